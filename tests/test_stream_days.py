"""Retention and the CLV summary of streams: read batch by batch into
per-(customer, day or period, sign) states, compared with the call on the
whole table, to the bit, for every option that changes what is kept; the
same errors, progress and Ctrl-C between batches. Every test runs with
the stream read into states from its first batch (a gathering budget of 0
bytes), with a budget that a few batches exceed (the batches gathered so
far become the first state), and with the default budget (the stream
gathered into one table)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import ciblage
from ciblage.exceptions import ColumnNotFoundError, ColumnTypeError, InvalidInputError
from test_stream import _as_pandas, _pieces, _reader, _same, streamed_report


@pytest.fixture(autouse=True, params=[0, 20_000, None], ids=["states", "switch", "gathered"])
def gather_budget(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    from ciblage import _stream_days

    if request.param is not None:
        monkeypatch.setattr(_stream_days, "GATHER_BYTES", request.param)
    return int(_stream_days.GATHER_BYTES)


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
    # sign of the amount, the last month included: of the days, only the
    # latest is kept (on one key), which sets the default as_of.
    from ciblage import _partial_days, _stream_days

    tx = _retention_tx()
    spec = _partial_days.day_spec(
        "retention",
        {"customer": "customer_id", "timestamp": "timestamp", "amount": "amount", "period": "month", "timezone": None},
    )
    state, _, table = _stream_days.read_days(spec, _pieces(tx), False, "retention")
    assert table is None
    local = tx["timestamp"].dt.tz_convert("Europe/Paris")
    month = local.dt.strftime("%Y-%m")
    keys = pd.DataFrame({"c": tx["customer_id"], "m": month, "s": np.sign(tx["amount"])}).drop_duplicates()
    assert state.num_rows == len(keys)
    assert int(state.column("rows").to_numpy().sum()) == len(tx)
    latest = (local.dt.date.max() - pd.Timestamp("1970-01-01").date()).days
    days = state.column("day").to_numpy()
    assert int(days.max()) == latest
    assert int((days == latest).sum()) == 1
    # Customer 7 (500 rows over 27 months): at most 3 keys a month.
    of_7 = int(pa.compute.sum(pa.compute.equal(state.column("customer"), 7)).as_py())
    assert of_7 <= 3 * month[tx["customer_id"] == 7].nunique()


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


def _spoilt(tx: pd.DataFrame, what: str) -> pa.Table:
    """``tx`` as an Arrow table with one kind of value the local call
    refuses at row 2500 (a second one later, for negatives)."""
    table = pa.Table.from_pandas(tx, preserve_index=False)
    name = {"id": "customer_id", "time": "timestamp", "nat": "timestamp", "huge": "timestamp"}.get(what, "amount")
    if what == "null_cost":
        name = "cost"
    i = table.schema.get_field_index(name)
    column = table.column(i)
    if name == "timestamp":
        values = column.cast(pa.int64()).to_pylist()
        values[2_500] = {"time": None, "nat": np.iinfo(np.int64).min, "huge": np.iinfo(np.int64).max - 5}[what]
        spoilt = pa.array(values, pa.int64()).cast(column.type)
    else:
        values = column.to_pylist()
        values[2_500] = {"null": None, "null_cost": None, "inf": np.inf, "negative": -3.0}.get(what)
        if what == "negative":
            values[4_000] = -1.0
        spoilt = pa.array(values, column.type)
    return table.set_column(i, name, spoilt)


@pytest.mark.parametrize("what", ["id", "time", "nat", "huge", "null", "null_cost", "inf", "negative"])
@pytest.mark.parametrize(
    "call",
    [
        lambda d: ciblage.retention(d, period="week"),
        lambda d: ciblage.clv.summary(d, cost="cost"),
        lambda d: ciblage.clv.summary(d, negative_amounts="reject", freq="W"),
        # The first negative row is after the end: the second is refused.
        lambda d: ciblage.clv.summary(d, negative_amounts="reject", freq="M", observation_end="2023-09-30"),
        lambda d: ciblage.clv.summary(d, negative_amounts="reject", observation_end="2023-01-05"),
    ],
    ids=["retention", "clv_cost", "clv_reject", "clv_reject_end", "clv_reject_early_end"],
)
def test_a_stream_refuses_each_bad_row_as_the_table(call, what: str) -> None:
    """Each kind of value the local call refuses, on its own: the stream's
    error is the table's (class and message, the row counted from the
    stream's first), raised by the core as it reads the batch."""
    # Latest rows first: row 2500 (about 2024-02) is after 2023-09-30, row
    # 4000 (about 2023-06) before it.
    tx = _retention_tx().sort_values("timestamp", ascending=False, kind="stable").reset_index(drop=True)
    tx["amount"] = tx["amount"].abs()
    table = _spoilt(tx, what)
    try:
        call(table)
        whole = None
    except Exception as e:
        whole = e
    try:
        call(table.to_batches(max_chunksize=700))
        streamed = None
    except Exception as e:
        streamed = e
    assert type(whole) is type(streamed)
    assert str(whole) == str(streamed)


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
