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


# Retention and the CLV summary of streams: read batch by batch into
# per-(customer, day or period, sign) states, compared with the call on the
# whole table, to the bit, for every option that changes what is kept.


def _retention_tx(n: int = 5_000, customers: int = 300, seed: int = 5) -> pd.DataFrame:
    """Returns and zero rows; customer 7 holds a tenth of the rows (in
    every batch); timestamps at any hour in Paris time, over 800 days."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, customers, n)
    ids[::10] = 7
    seconds = rng.integers(0, 800 * 86_400, n)
    ts = pd.Timestamp("2023-01-01", tz="Europe/Paris") + pd.to_timedelta(seconds, unit="s")
    amounts = np.round(rng.gamma(2.0, 30.0, n), 2) * 10.0 ** rng.integers(-2, 5, n)
    amounts[::23] *= -1
    amounts[::41] = 0.0
    return pd.DataFrame({"customer_id": ids, "timestamp": ts, "amount": amounts, "cost": amounts * 0.3})


def _same_retention(whole: ciblage.RetentionResult, streamed: ciblage.RetentionResult) -> None:
    for name in ("periods", "cohort_sizes", "survival"):
        pd.testing.assert_frame_equal(
            _as_pandas(getattr(whole, name)), _as_pandas(getattr(streamed, name)), check_exact=True
        )
    for kind in ("classic", "rolling", "revenue", "survival"):
        pd.testing.assert_frame_equal(_as_pandas(whole.cohorts(kind)), _as_pandas(streamed.cohorts(kind)))
    pd.testing.assert_frame_equal(
        _as_pandas(whole.cohorts("revenue", shares=False)), _as_pandas(streamed.cohorts("revenue", shares=False))
    )
    assert whole.input_report == streamed.input_report


RETENTION_CALLS = [
    {"period": "day", "as_of": "2023-06-15"},
    {"period": "week"},
    {"period": "week", "week_start": "sunday", "as_of": "2024-07-03", "timezone": "America/New_York"},
    {"period": "month"},
    {"period": "month", "as_of": "2024-02-29", "churn_after": 2},
    {"period": "quarter", "timezone": "Asia/Kolkata"},
    {"period": "year"},
    {"period": "30d"},
    {"period": "45d", "origin": "2022-12-20", "as_of": "2024-12-01"},
]


@pytest.mark.parametrize("kwargs", RETENTION_CALLS, ids=lambda k: "-".join(str(v) for v in k.values()))
def test_retention_of_a_stream_for_every_period(kwargs: dict) -> None:
    tx = _retention_tx()
    whole = ciblage.retention(tx, **kwargs)
    _same_retention(whole, ciblage.retention(_pieces(tx), **kwargs))
    _same_retention(whole, ciblage.retention(_reader(tx), **kwargs))
    # Rows in another order (the last day read from a middle batch).
    shuffled = tx.sample(frac=1.0, random_state=3).reset_index(drop=True)
    _same_retention(whole, ciblage.retention(iter(_pieces(shuffled)), **kwargs))
    # Independent count of the rows left out: local days on or after as_of.
    if "as_of" in kwargs:
        zone = kwargs.get("timezone", "Europe/Paris")
        late = tx["timestamp"].dt.tz_convert(zone).dt.date >= pd.Timestamp(kwargs["as_of"]).date()
        assert whole.input_report["left_out"]["after_as_of"] == int(late.sum()) > 0


def test_retention_of_a_stream_in_polars_and_utc() -> None:
    pl = pytest.importorskip("polars")
    tx = _retention_tx(n=3_000, seed=9)
    tx["timestamp"] = tx["timestamp"].dt.tz_convert("UTC")
    tx["customer_id"] = "c" + tx["customer_id"].astype(str)
    lazy = pl.from_pandas(tx).lazy()
    whole = ciblage.retention(pl.from_pandas(tx), period="quarter")
    streamed = ciblage.retention(lazy, period="quarter")
    assert isinstance(streamed.periods, pl.DataFrame)
    _same_retention(whole, streamed)


def test_retention_stream_state_follows_the_customer_periods() -> None:
    # The state read from the stream holds one key per customer, month and
    # sign of the amount (those of the last month by day).
    from ciblage import _partial_days, _stream_days

    tx = _retention_tx()
    spec = _partial_days.day_spec(
        "retention",
        {"customer": "customer_id", "timestamp": "timestamp", "amount": "amount", "period": "month", "timezone": None},
    )
    state, _ = _stream_days.read_days(spec, _pieces(tx), False, "retention")
    local = tx["timestamp"].dt.tz_convert("Europe/Paris")
    month = local.dt.strftime("%Y-%m")
    last = month == month.max()
    key = np.where(last, local.dt.strftime("%Y-%m-%d"), month)
    keys = pd.DataFrame({"c": tx["customer_id"], "k": key, "s": np.sign(tx["amount"])}).drop_duplicates()
    assert state.num_rows == len(keys)
    assert int(state.column("rows").to_numpy().sum()) == len(tx)
    # Customer 7 (500 rows on ~370 days): about 3 keys a month.
    days = pd.DataFrame({"c": tx["customer_id"], "d": local.dt.date, "s": np.sign(tx["amount"])}).drop_duplicates()
    of_7 = int(pa.compute.sum(pa.compute.equal(state.column("customer"), 7)).as_py())
    assert of_7 < int((days["c"] == 7).sum()) / 3


CLV_CALLS = [
    {},
    {"freq": "W", "cost": "cost"},
    {"freq": "M", "calibration_end": "2024-03-31", "observation_end": "2024-12-31"},
    {"freq": 7, "negative_amounts": "exclude", "timezone": "Asia/Kolkata"},
    {"calibration_end": "2024-06-30", "cost": "cost", "negative_amounts": "exclude"},
]


@pytest.mark.parametrize("kwargs", CLV_CALLS, ids=lambda k: "-".join(str(v) for v in k.values()) or "default")
@pytest.mark.parametrize("ids", ["int", "str"])
def test_clv_summary_of_a_stream(kwargs: dict, ids: str) -> None:
    tx = _retention_tx()
    if ids == "str":
        tx["customer_id"] = "c" + tx["customer_id"].astype(str)
    whole = ciblage.clv.summary(tx, **kwargs)
    for streamed in (
        ciblage.clv.summary(_pieces(tx), **kwargs),
        ciblage.clv.summary(_reader(tx), **kwargs),
        ciblage.clv.summary(iter(_pieces(tx.sample(frac=1.0, random_state=2))), **kwargs),
    ):
        _same(whole, streamed)
        assert _as_pandas(streamed)["customer_id"].dtype == whole["customer_id"].dtype
        assert streamed_report(streamed) == whole.attrs["input_report"]
    # Independent count of the rows read and of the returns left out (no
    # observation end given: every return).
    report = streamed_report(streamed)
    assert report["rows_read"] == len(tx)
    if kwargs.get("negative_amounts") == "exclude":
        assert report["left_out"]["negative_excluded"] == int((tx["amount"] < 0).sum())


def test_retention_and_clv_summary_errors_of_a_stream() -> None:
    tx = _retention_tx()
    bad = tx.copy()
    bad.loc[2_500, "amount"] = np.nan
    for call in (ciblage.retention, ciblage.clv.summary):
        with pytest.raises(InvalidInputError, match="row 2500") as whole:
            call(bad)
        with pytest.raises(InvalidInputError, match="row 2500") as streamed:
            call(_pieces(bad))
        assert str(whole.value) == str(streamed.value)
        with pytest.raises(ColumnNotFoundError, match='amount: column "value" not found'):
            call(_reader(tx), amount="value")
        empty = [tx.iloc[:0], tx.iloc[:0]]
        with pytest.raises(type(_raised(call, tx.iloc[:0]))) as streamed_empty:
            call(empty)
        assert str(streamed_empty.value) == str(_raised(call, tx.iloc[:0]))
    with pytest.raises(ColumnTypeError, match="several time zones"):
        utc = tx.iloc[100:].assign(timestamp=tx["timestamp"].iloc[100:].dt.tz_convert("UTC"))
        ciblage.clv.summary([tx.iloc[:100], utc])
    # A bad parameter is refused at the first batch (the first piece, empty,
    # gives no batch), not after the whole stream.
    read = []

    def batches():
        for part in _pieces(tx):
            read.append(len(part))
            yield part

    from ciblage.exceptions import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="period"):
        ciblage.retention(batches(), period="fortnight")
    assert read == [0, 1]


def _raised(fn, *args, **kwargs) -> Exception:
    try:
        fn(*args, **kwargs)
    except Exception as e:
        return e
    raise AssertionError("no error")


def test_retention_of_a_stream_reports_progress_and_stops_between_batches() -> None:
    tx = _retention_tx()
    seen: list[tuple[int, int]] = []
    ciblage.retention(_pieces(tx), progress=lambda done, total: seen.append((done, total)))
    done = [d for d, _ in seen[:-1]]
    assert done == sorted(done)
    assert seen[-1] == (len(tx), len(tx))
    absorbed = []

    def batches():
        for i, part in enumerate(_pieces(tx)):
            absorbed.append(i)
            if i == 3:
                raise KeyboardInterrupt
            yield part

    with pytest.raises(KeyboardInterrupt):
        ciblage.clv.summary(batches())
    assert absorbed == [0, 1, 2, 3]
