"""ciblage on Dask against Dask's own groupby: RFM end to end on N synthetic
transactions in parquet, and scoring a fitted CART model on the customers.

The parquet files are written once (``--rows``, customers ``--customer-share``
of the rows) into ``--folder``; a LocalCluster of ``--workers`` processes
runs every cell. Cells:

- ``dask groupby``: Dask's idiom, ``groupby(customer).agg(max, count, sum)``
  then quintile scores with pandas ``qcut`` ranks on the gathered customers;
- ``ciblage rfm``: ``ciblage.dask.rfm`` when the adapter has it (until then,
  the cell reports itself skipped);
- ``ciblage predict``: ``ciblage.dask.predict`` of a CART model fitted on a
  sample, on the per-customer table (map only).

The issue's size is 100M rows (``--rows 100M``: an idle machine, not CI).

    .venv/bin/python benches/python/bench_dask.py --rows 1M
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import pathlib
import tempfile
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq


def parse_rows(text: str) -> int:
    text = text.strip().upper()
    scale = {"K": 1_000, "M": 1_000_000, "G": 1_000_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("KMG")) * scale)


def write_files(folder: pathlib.Path, rows: int, customers: int, files: int = 8, seed: int = 1) -> None:
    """``rows`` transactions (customer_id int64, timestamp µs, amount) in
    ``files`` parquet files, rows in date order within each file."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2024-01-01T00:00:00", "us")
    per = -(-rows // files)
    for i in range(files):
        n = min(per, rows - i * per)
        if n <= 0:
            break
        seconds = np.sort(rng.integers(0, 730 * 86_400, n))
        table = pa.table(
            {
                "customer_id": rng.integers(0, customers, n, dtype=np.int64),
                "timestamp": start + seconds.astype("timedelta64[s]"),
                "amount": np.round(rng.gamma(2.0, 30.0, n), 2),
            }
        )
        pq.write_table(table, folder / f"part-{i:03d}.parquet")


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default="1M")
    parser.add_argument("--customer-share", type=float, default=0.1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--folder", default=None)
    args = parser.parse_args()

    import dask.dataframe as dd
    import distributed
    import pandas as pd

    import ciblage
    import ciblage.dask

    rows = parse_rows(args.rows)
    customers = max(1, int(rows * args.customer_share))
    folder = pathlib.Path(args.folder or tempfile.mkdtemp(prefix="ciblage-bench-dask-"))
    folder.mkdir(parents=True, exist_ok=True)
    if not any(folder.glob("*.parquet")):
        write_files(folder, rows, customers)
    as_of = pd.Timestamp("2026-01-01")
    results: dict[str, object] = {"rows": rows, "customers": customers, "date": dt.date.today().isoformat()}

    with (
        distributed.LocalCluster(
            n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        tx = dd.read_parquet(str(folder))

        def dask_groupby():
            agg = (
                tx.groupby("customer_id")
                .agg(last=("timestamp", "max"), frequency=("amount", "count"), monetary=("amount", "sum"))
                .compute()
            )
            recency = (as_of - agg["last"]).dt.days
            scores = pd.DataFrame(
                {
                    "r": pd.qcut(-recency.rank(method="first"), 5, labels=False) + 1,
                    "f": pd.qcut(agg["frequency"].rank(method="first"), 5, labels=False) + 1,
                    "m": pd.qcut(agg["monetary"].rank(method="first"), 5, labels=False) + 1,
                }
            )
            return agg.assign(recency_days=recency).join(scores)

        seconds, per_customer = timed(dask_groupby)
        results["dask groupby + qcut (s)"] = round(seconds, 3)
        if hasattr(ciblage.dask, "rfm"):
            seconds, _ = timed(lambda: ciblage.dask.rfm(tx).compute())
            results["ciblage.dask.rfm (s)"] = round(seconds, 3)
        else:
            results["ciblage.dask.rfm"] = "skipped: ciblage.dask has no rfm yet"

        table = per_customer.reset_index()[["customer_id", "recency_days", "frequency", "monetary"]]
        sample = table.sample(min(len(table), 20_000), random_state=1)
        model = ciblage.CartClassifier(max_depth=6).fit(
            sample[["recency_days", "frequency", "monetary"]], sample["frequency"] > sample["frequency"].median()
        )
        frame = dd.from_pandas(table, npartitions=8)
        seconds, scored = timed(lambda: ciblage.dask.predict(model, frame).compute())
        results["ciblage.dask.predict on customers (s)"] = round(seconds, 3)
        seconds, _ = timed(lambda: model.predict(table[["recency_days", "frequency", "monetary"]]))
        results["local predict on customers (s)"] = round(seconds, 3)
        assert len(scored) == len(table)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
