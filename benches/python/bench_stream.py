"""Streaming cell: RFM, customer totals, value tiers, monthly retention and the
weekly CLV summary of transactions held in parquet files, read whole into memory
against streamed batch by batch (``pyarrow.dataset``).

The parquet files are written once (``--stream-rows``, default 20M rows, customers
``--customer-share`` of the rows, integer or string ids) into ``--folder``. Each run
takes a fresh process, which reports its wall time and its peak resident size
(VmHWM) above the interpreter's size after imports; the per-customer state is
``customers x 32 bytes`` (first, last, revenue, count) plus the id index
(``customers x 12 bytes`` for integer ids); retention and the CLV summary keep
one entry per customer and period instead (the "peak / state" column still
divides by the per-customer figure). Goals (issue 23): streamed peak memory
at most 2x the state, streamed throughput at least 80 % of in-memory.

    .venv/bin/python benches/python/bench_stream.py --stream-rows 2M
    .venv/bin/python benches/python/bench_stream.py --stream-rows 200M --folder /data/tx  # idle machine
"""

from __future__ import annotations

import argparse
import json
import pathlib
import subprocess
import sys
import tempfile

RUN = r"""
import json, sys, time
import pyarrow.dataset as ds, pyarrow.parquet as pq
import ciblage

def hwm():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))

folder, mode, what = sys.argv[1], sys.argv[2], sys.argv[3]
base = hwm()
start = time.perf_counter()
columns = ["customer_id", "timestamp", "amount"]
data = pq.read_table(folder, columns=columns) if mode == "memory" else ds.dataset(folder, format="parquet")
if what == "rfm":
    rows = len(ciblage.rfm(data))
elif what == "totals":
    rows = len(ciblage.customer_totals(data))
elif what == "tiers":
    rows = len(ciblage.value_tiers(ciblage.customer_totals(data), value="revenue").customers)
elif what == "retention":
    rows = len(ciblage.retention(data, period="month").periods)
else:
    rows = len(ciblage.clv.summary(data, freq="W"))
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "peak_kib": hwm() - base, "rows": rows}))
"""


#: The calls timed, in this order.
WHAT = ("rfm", "totals", "tiers", "retention", "clv")


def parse_rows(text: str) -> int:
    text = text.strip().upper()
    scale = {"K": 1_000, "M": 1_000_000, "G": 1_000_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("KMG")) * scale)


def write_files(folder: pathlib.Path, rows: int, customers: int, string_ids: bool) -> None:
    """Parquet files of about 4M rows each, written once per size."""
    import pyarrow.parquet as pq

    import ciblage

    marker = folder / f"_done_{rows}_{customers}_{int(string_ids)}"
    if marker.exists():
        return
    step = 4_000_000
    for i, lo in enumerate(range(0, rows, step)):
        n = min(step, rows - lo)
        part = ciblage.datasets.transactions(
            customers=customers, transactions=n, seed=i, string_ids=string_ids, library="pyarrow"
        )
        pq.write_table(part, folder / f"part-{i:05d}.parquet")
    marker.touch()


def run(folder: pathlib.Path, mode: str, what: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", RUN, str(folder), mode, what], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stream-rows", default="20M")
    parser.add_argument("--customer-share", type=float, default=0.01)
    parser.add_argument("--string-ids", action="store_true")
    parser.add_argument("--folder", default=None)
    parser.add_argument("--skip-memory", action="store_true", help="only the streamed runs (tables beyond RAM)")
    parser.add_argument("--what", default=",".join(WHAT), help=f"comma-separated, of {', '.join(WHAT)}")
    args = parser.parse_args()
    whats = [w.strip() for w in args.what.split(",") if w.strip()]
    unknown = sorted(set(whats) - set(WHAT))
    if unknown:
        parser.error(f"--what: unknown {unknown}")
    rows = parse_rows(args.stream_rows)
    customers = max(1, int(rows * args.customer_share))
    folder = pathlib.Path(args.folder or tempfile.gettempdir()) / f"ciblage-stream-{rows}-{customers}"
    folder.mkdir(parents=True, exist_ok=True)
    write_files(folder, rows, customers, args.string_ids)
    state_kib = customers * (32 + 12) / 1024
    print(f"{rows:,} rows, {customers:,} customers; per-customer state {state_kib / 1024:.1f} MiB")
    print("| what | input | seconds | Mrows/s | peak MiB | peak / state |")
    print("|---|---|---:|---:|---:|---:|")
    for what in whats:
        figures = {}
        for mode in ("memory", "stream"):
            if mode == "memory" and args.skip_memory:
                continue
            r = run(folder, mode, what)
            figures[mode] = r
            print(
                f"| {what} | {mode} | {r['seconds']:.2f} | {rows / r['seconds'] / 1e6:.1f} | "
                f"{r['peak_kib'] / 1024:.0f} | {r['peak_kib'] / state_kib:.1f}x |"
            )
        if len(figures) == 2:
            ratio = figures["memory"]["seconds"] / figures["stream"]["seconds"]
            print(f"| {what} | stream / memory throughput | | {ratio:.0%} | | |")


if __name__ == "__main__":
    main()
