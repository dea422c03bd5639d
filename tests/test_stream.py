"""Streams of record batches as transactions: the same results as the whole
table, whatever the cut into batches, for every entry point that takes
transactions; the same errors; the input report summed over batches."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

import ciblage
from ciblage import _stream
from ciblage.exceptions import ColumnNotFoundError, ColumnTypeError, InvalidInputError

# Uneven cuts: empty batches, one-row batches, a large one.
CUTS = [0, 0, 1, 2, 2, 350, 351, 2_000, 4_321, 4_322]


def _transactions(n: int = 6_000, customers: int = 400, ids: str = "int", seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    raw = rng.integers(0, customers, n) * 37 + 11
    start = np.datetime64("2024-01-01T00:00:00", "us")
    ts = start + rng.integers(0, 500 * 86_400, n).astype("timedelta64[s]")
    # Amounts of mixed magnitudes: the order of the additions shows in the bits.
    amounts = np.round(rng.gamma(2.0, 30.0, n), 2) * 10.0 ** rng.integers(-2, 5, n)
    return pd.DataFrame(
        {
            "customer_id": raw if ids == "int" else np.char.add("c", raw.astype(str)),
            "timestamp": pd.to_datetime(ts).tz_localize("UTC"),
            "amount": amounts,
            "cost": amounts * 0.4,
        }
    )


def _pieces(frame: pd.DataFrame) -> list[pd.DataFrame]:
    bounds = [*CUTS, len(frame)]
    return [frame.iloc[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=False)]


def _reader(frame: pd.DataFrame) -> pa.RecordBatchReader:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    batches = [pa.RecordBatch.from_pandas(p, schema=table.schema, preserve_index=False) for p in _pieces(frame)]
    return pa.RecordBatchReader.from_batches(table.schema, batches)


def _as_pandas(table: object) -> pd.DataFrame:
    if isinstance(table, pd.DataFrame):
        return table
    if isinstance(table, pa.Table):
        return table.to_pandas()
    return table.to_pandas()  # type: ignore[attr-defined]


def _same(a: object, b: object, key: str = "customer_id") -> None:
    """Equal tables up to row order (a stream codes customers in order of
    first appearance), to the bit."""
    x = _as_pandas(a).sort_values(key).reset_index(drop=True)
    y = _as_pandas(b).sort_values(key).reset_index(drop=True)
    # Categories as their labels (polars drops unused ones on the way).
    for frame in (x, y):
        for c in frame.columns:
            if isinstance(frame[c].dtype, pd.CategoricalDtype):
                frame[c] = frame[c].astype(str)
    pd.testing.assert_frame_equal(x, y, check_dtype=False, check_exact=True)


STREAMS = {
    "reader": _reader,
    "pandas_list": _pieces,
    "generator_of_tables": lambda f: (pa.Table.from_pandas(p, preserve_index=False) for p in _pieces(f)),
    "batches_list": lambda f: [
        b for p in _pieces(f) for b in pa.Table.from_pandas(p, preserve_index=False).to_batches()
    ],
}


@pytest.mark.parametrize("ids", ["int", "str"])
@pytest.mark.parametrize("form", sorted(STREAMS))
def test_rfm_of_a_stream_is_the_rfm_of_the_table(form: str, ids: str) -> None:
    tx = _transactions(ids=ids)
    whole = ciblage.rfm(tx, cost="cost")
    streamed = ciblage.rfm(STREAMS[form](tx), cost="cost")
    _same(whole, streamed)
    # The input report counts the rows of every batch.
    assert streamed_report(streamed)["rows_read"] == len(tx)


def streamed_report(result: object) -> dict:
    if isinstance(result, pd.DataFrame):
        return dict(result.attrs["input_report"])
    import json

    return json.loads(result.schema.metadata[b"ciblage.input_report"])  # type: ignore[attr-defined]


@pytest.mark.parametrize("ids", ["int", "str"])
def test_rfm_options_and_left_out_rows_over_batches(ids: str) -> None:
    tx = _transactions(ids=ids)
    tx.loc[::17, "amount"] *= -1
    kwargs = dict(as_of="2025-01-31", negative_amounts="exclude", frequency="purchase_days", timezone="Europe/Paris")
    whole = ciblage.rfm(tx, **kwargs)
    streamed = ciblage.rfm(_pieces(tx), **kwargs)
    _same(whole, streamed)
    w, s = streamed_report(whole), streamed_report(streamed)
    assert w == s
    # Independent count of the rows left out: after the reference day
    # (in Paris) and negative amounts on or before it.
    local = tx["timestamp"].dt.tz_convert("Europe/Paris").dt.date
    late = local > pd.Timestamp("2025-01-31").date()
    assert s["left_out"]["after_as_of"] == int(late.sum())
    assert s["left_out"]["negative_amount"] == int(((tx["amount"] < 0) & ~late).sum())


@pytest.mark.parametrize("ids", ["int", "str"])
@pytest.mark.parametrize("form", sorted(STREAMS))
def test_totals_of_a_stream(form: str, ids: str) -> None:
    tx = _transactions(ids=ids)
    streamed = ciblage.customer_totals(STREAMS[form](tx), cost="cost")
    _same(ciblage.customer_totals(tx, cost="cost"), streamed)
    # Independent: math.fsum is the correctly rounded sum of each
    # customer's rows, as ours (exact sums, rounded once): to the bit.
    expected = tx.groupby("customer_id", sort=True)["amount"].agg(math.fsum)
    got = _as_pandas(streamed).set_index("customer_id")["revenue"].sort_index()
    assert got.index.tolist() == expected.index.tolist()
    assert got.tolist() == expected.tolist()


def test_value_tiers_retention_and_clv_summary_of_streams() -> None:
    tx = _transactions()
    totals = ciblage.customer_totals(tx)
    pieces = [totals.iloc[:10], totals.iloc[10:10], totals.iloc[10:]]
    t1 = ciblage.value_tiers(totals, value="revenue")
    t2 = ciblage.value_tiers(pieces, value="revenue")
    _same(t1.customers, t2.customers)
    _same(t1.summary, t2.summary, key="tier")
    r1 = ciblage.retention(tx)
    r2 = ciblage.retention(_reader(tx))
    _same(r1.periods, r2.periods, key="period")
    _same(r1.cohort_sizes, r2.cohort_sizes, key="cohort")
    _same(r1.survival, r2.survival, key=list(_as_pandas(r1.survival).columns)[0])
    _same(ciblage.clv.summary(tx), ciblage.clv.summary(iter(_pieces(tx))))


def test_polars_lazy_frame_is_read_in_batches() -> None:
    pl = pytest.importorskip("polars")
    tx = _transactions(ids="str")
    lazy = pl.from_pandas(tx).lazy().with_columns(pl.col("amount") * 1.0)
    out = ciblage.rfm(lazy)
    assert isinstance(out, pl.DataFrame)
    _same(ciblage.rfm(tx), out)
    _same(ciblage.customer_totals(tx), ciblage.customer_totals(lazy))


def test_parquet_dataset_reads_only_the_columns_used(tmp_path) -> None:
    tx = _transactions(ids="str")
    tx["unused"] = "x" * 20
    for i, part in enumerate(_pieces(tx)):
        if len(part):
            pq.write_table(pa.Table.from_pandas(part, preserve_index=False), tmp_path / f"part-{i:02d}.parquet")
    dataset = ds.dataset(tmp_path, format="parquet")
    # Files are read in name order: the rows of the table, in order.
    _same(ciblage.rfm(tx.drop(columns="unused")), ciblage.rfm(dataset))
    columns = {"customer": "customer_id", "timestamp": "timestamp", "amount": "amount"}
    for batch in _stream.batches(dataset, columns):
        assert batch.schema.names == ["customer_id", "timestamp", "amount"]
    seen = []
    ciblage.rfm(dataset, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (len(tx), len(tx))
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_dictionary_ids_whose_dictionaries_differ_per_batch() -> None:
    tx = _transactions(ids="str")
    batches = []
    for part in _pieces(tx):
        if not len(part):
            continue
        t = pa.Table.from_pandas(part, preserve_index=False)
        # Each batch its own dictionary (values in another order, unused ones).
        ids = pa.array(part["customer_id"].tolist()).dictionary_encode()
        extra = pa.array(["unused"] + ids.dictionary.to_pylist()[::-1])
        keys = pa.array([extra.to_pylist().index(v) for v in part["customer_id"]], pa.int32())
        t = t.set_column(0, "customer_id", pa.DictionaryArray.from_arrays(keys, extra))
        batches.extend(t.to_batches())
    streamed = ciblage.rfm(iter(batches))
    _same(ciblage.rfm(tx), streamed)
    assert "unused" not in set(_as_pandas(streamed)["customer_id"])


def test_a_stream_of_a_table_read_in_parallel_is_bit_identical() -> None:
    # More rows than the in-memory path reads on one thread (one piece).
    tx = _transactions(n=300_000, customers=20_000, ids="int", seed=3)
    table = pa.Table.from_pandas(tx, preserve_index=False)
    sizes = [1, 0, 65_537, 3, 100_000]
    pieces, at = [], 0
    for s in sizes:
        pieces.append(table.slice(at, s))
        at += s
    pieces.append(table.slice(at))
    _same(ciblage.rfm(tx, cost="cost"), ciblage.rfm(pieces, cost="cost"))
    _same(ciblage.customer_totals(tx, cost="cost"), ciblage.customer_totals(pieces, cost="cost"))


def test_errors_of_a_stream_name_the_column_and_the_row() -> None:
    tx = _transactions()
    with pytest.raises(ColumnNotFoundError, match='amount: column "value" not found'):
        ciblage.rfm(_reader(tx), amount="value")
    bad = tx.copy()
    bad.loc[2_500, "amount"] = np.inf
    with pytest.raises(InvalidInputError, match="row 2500") as whole:
        ciblage.rfm(bad)
    with pytest.raises(InvalidInputError, match="row 2500") as streamed:
        ciblage.rfm(_pieces(bad))
    assert str(whole.value) == str(streamed.value)
    with pytest.raises(InvalidInputError, match="empty|no rows"):
        ciblage.rfm([tx.iloc[:0], tx.iloc[:0]])
    with pytest.raises(ColumnTypeError, match="expected an iterable of pyarrow"):
        ciblage.rfm(iter([1, 2, 3]))


def test_mixed_time_zones_across_batches_are_refused() -> None:
    tx = _transactions()
    a = tx.iloc[:100].copy()
    b = tx.iloc[100:].copy()
    b["timestamp"] = b["timestamp"].dt.tz_convert("Europe/Paris")
    with pytest.raises(ColumnTypeError, match="several time zones"):
        ciblage.rfm([a, b])
    with pytest.raises(ColumnTypeError, match="several time zones"):
        ciblage.retention([a, b])
    c = b.copy()
    c["timestamp"] = c["timestamp"].dt.tz_localize(None)
    with pytest.raises(ColumnTypeError, match="several time zones"):
        ciblage.rfm([a, c])


def test_ctrl_c_stops_between_batches() -> None:
    tx = _transactions()
    absorbed = []

    def batches():
        for i, part in enumerate(_pieces(tx)):
            absorbed.append(i)
            if i == 3:
                raise KeyboardInterrupt
            yield part

    with pytest.raises(KeyboardInterrupt):
        ciblage.rfm(batches())
    assert absorbed == [0, 1, 2, 3]


def test_duckdb_relation() -> None:
    duckdb = pytest.importorskip("duckdb")
    tx = _transactions()
    con = duckdb.connect()
    con.register("tx", tx)
    _same(ciblage.rfm(tx), ciblage.rfm(con.sql("select * from tx")))


def test_progress_counts_the_rows_of_every_batch() -> None:
    tx = _transactions()
    seen: list[tuple[int, int]] = []
    ciblage.rfm(_pieces(tx), progress=lambda done, total: seen.append((done, total)))
    # One report per batch (rows so far), then the end.
    done = [d for d, _ in seen[:-1]]
    assert done == sorted(done)
    assert set(done) == set([*CUTS, len(tx)][1:]) - {0}
    assert seen[-1] == (len(tx), len(tx))


def _uneven_large_cut(frame: pd.DataFrame) -> list[pa.Table]:
    """Batches of uneven sizes, some above 512k rows, cut anywhere."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    sizes = [600_001, 3, 0, 1, 530_017]
    pieces, at = [], 0
    for s in sizes:
        pieces.append(table.slice(at, s))
        at += s
    pieces.append(table.slice(at))
    return pieces


def test_sums_are_exact_for_any_cut_and_row_order() -> None:
    # 1.3M rows: the in-memory call cuts them into several pieces summed on
    # several threads; the stream cuts them elsewhere; the shuffled table
    # adds every customer's rows in another order. Sums are exact, rounded
    # once: the same bits everywhere, and those of math.fsum.
    tx = _transactions(n=1_300_000, customers=30_000, ids="int", seed=11)
    shuffled = tx.sample(frac=1.0, random_state=5).reset_index(drop=True)
    pieces = _uneven_large_cut(tx)

    totals = ciblage.customer_totals(tx, cost="cost")
    _same(totals, ciblage.customer_totals(pieces, cost="cost"))
    _same(totals, ciblage.customer_totals(shuffled, cost="cost"))
    got = _as_pandas(totals).set_index("customer_id").sort_index()
    by_customer = tx.groupby("customer_id", sort=True)
    assert got["revenue"].tolist() == by_customer["amount"].agg(math.fsum).tolist()
    assert got["cost"].tolist() == by_customer["cost"].agg(math.fsum).tolist()

    scores = ciblage.rfm(tx, cost="cost")
    _same(scores, ciblage.rfm(pieces, cost="cost"))
    _same(scores, ciblage.rfm(shuffled, cost="cost"))
    monetary = _as_pandas(scores).set_index("customer_id")["monetary"].sort_index()
    assert monetary.tolist() == by_customer["amount"].agg(math.fsum).tolist()

    t1 = ciblage.value_tiers(totals, value="revenue")
    t2 = ciblage.value_tiers(ciblage.customer_totals(pieces, cost="cost"), value="revenue")
    _same(t1.customers, t2.customers)
    _same(t1.summary, t2.summary, key="tier")

    r1 = ciblage.retention(tx)
    for other in (ciblage.retention(pieces), ciblage.retention(shuffled)):
        _same(r1.periods, other.periods, key="period")
        _same(r1.cohort_sizes, other.cohort_sizes, key="cohort")

    s1 = ciblage.clv.summary(tx)
    _same(s1, ciblage.clv.summary(iter(pieces)))
    _same(s1, ciblage.clv.summary(shuffled))
