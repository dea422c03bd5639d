"""Catalogue of bad and edge inputs at the front door: tables, column types,
parameters and input reports of rfm, rfm_analysis, customer_totals,
value_tiers, concentration, SegmentTable and datasets.transactions.

Each bad case asserts the exception class and that the message names the
argument or column; each edge case checks the result against an independent
pandas/numpy computation (or a hand computation in a comment)."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import os
import tempfile
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import ciblage
from ciblage.exceptions import (
    ColumnTypeError,
    InvalidInputError,
    InvalidParameterError,
    RowsLeftOutWarning,
    SegmentTableError,
)

BIG = 1e308  # two of them sum past f64::MAX ≈ 1.797e308

# Tiny tables collapse criteria to few classes; that warning is not under test.
pytestmark = pytest.mark.filterwarnings("ignore::ciblage.DegenerateCriterionWarning")


def tx(**overrides: Any) -> pd.DataFrame:
    base: dict[str, Any] = {
        "customer_id": [1, 2, 2],
        "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]),
        "amount": [10.0, 20.0, 30.0],
    }
    base.update(overrides)
    return pd.DataFrame(base)


def paris(*stamps: str) -> list[dt.datetime]:
    return [pd.Timestamp(s, tz="Europe/Paris").to_pydatetime() for s in stamps]


_DIR = tempfile.mkdtemp(prefix="ciblage-catalogue-")


def _file(name: str, content: bytes) -> str:
    path = os.path.join(_DIR, name)
    with open(path, "wb") as f:
        f.write(content)
    return path


def _directory(name: str) -> str:
    path = os.path.join(_DIR, name)
    os.makedirs(path, exist_ok=True)
    return path


CLASSIC = ciblage.SegmentTable.classic()
CONC = ciblage.concentration(np.array([1.0, 2.0, 3.0, 4.0]))
CUSTOMERS = pd.DataFrame({"customer_id": ["a", "b", "c"], "monetary": [5.0, 3.0, 1.0]})
RULE = ("A", (1, 5), (1, 5), (1, 5))

# (id, call, exception class, regex the message must match)
BAD: list[tuple[str, Callable[[], Any], type[Exception], str]] = [
    # --- rfm / rfm_analysis: silent wrong results refused -------------------
    ("rfm-mixed-zones", lambda: ciblage.rfm(tx(timestamp=pd.Series(
        paris("2024-01-01 10:00") + [pd.Timestamp("2024-01-01 10:00", tz="America/New_York").to_pydatetime(),
                                     pd.Timestamp("2024-01-02", tz="Asia/Tokyo").to_pydatetime()], dtype=object))),
     ColumnTypeError, r'^timestamp: column "timestamp" holds timestamps of several time zones'),
    ("rfm-naive-and-aware", lambda: ciblage.rfm(tx(timestamp=pd.Series(
        [dt.datetime(2024, 1, 1)] + paris("2024-01-02", "2024-01-03"), dtype=object))),
     ColumnTypeError, r"several time zones \('Europe/Paris', naive\)"),
    ("rfm-dict-fixed-offsets", lambda: ciblage.rfm({
        "customer_id": [1, 2], "amount": [1.0, 2.0],
        "timestamp": [dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc),
                      dt.datetime(2024, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=5)))]}),
     ColumnTypeError, r'^timestamp: column "timestamp" holds timestamps of several'),
    ("rfm-renamed-mixed-zones", lambda: ciblage.rfm(tx(when=pd.Series(
        paris("2024-01-01") + [pd.Timestamp("2024-01-01", tz="UTC").to_pydatetime()] * 2, dtype=object)),
        timestamp="when"), ColumnTypeError, r'^timestamp: column "when"'),
    ("rfm-sum-overflow", lambda: ciblage.rfm(tx(amount=[1.0, BIG, BIG])),
     InvalidInputError, r"^amount: the sum of amounts of customer 2 overflows"),
    ("rfm-sum-overflow-named", lambda: ciblage.rfm(tx(price=[1.0, BIG, BIG]), amount="price"),
     InvalidInputError, r'^amount \(column "price"\): the sum of amounts'),
    ("rfm-negative-sum-overflow", lambda: ciblage.rfm(tx(amount=[1.0, -BIG, -BIG])),
     InvalidInputError, r"^amount: the sum of amounts of customer 2"),
    ("rfm-segment-total-overflow", lambda: ciblage.rfm(tx(customer_id=[1, 2, 3], amount=[BIG, BIG, BIG]), bins=2),
     InvalidInputError, r"^amount: the total of segment"),
    ("rfm-margin-overflow", lambda: ciblage.rfm(tx(cost=[0.0, 0.0, -BIG], amount=[1.0, 1.0, BIG]),
                                                cost="cost", monetary="margin"),
     InvalidInputError, r"margin \(sum of amounts minus sum of costs\) of customer 2"),
    ("rfm-default-as-of-past-9999", lambda: ciblage.rfm(tx(timestamp=np.array(
        ["9999-12-31", "2000-01-01", "2000-01-02"], dtype="datetime64[s]"))),
     InvalidParameterError, r"^invalid parameter as_of: the default reference date"),
    # --- rfm parameters -----------------------------------------------------
    ("rfm-bins-negative", lambda: ciblage.rfm(tx(), bins=-1), InvalidParameterError,
     r"^invalid parameter bins: expected an integer from 2 to 9, got -1$"),
    ("rfm-bins-huge", lambda: ciblage.rfm(tx(), bins=2**70), InvalidParameterError, r"^invalid parameter bins"),
    ("rfm-bins-float", lambda: ciblage.rfm(tx(), bins=2.0), InvalidParameterError, r"^invalid parameter bins"),
    ("rfm-bins-bool", lambda: ciblage.rfm(tx(), bins=True), InvalidParameterError, r"^invalid parameter bins"),
    ("rfm-bins-string", lambda: ciblage.rfm(tx(), bins="5"), InvalidParameterError, r"^invalid parameter bins"),
    ("rfm-bins-10", lambda: ciblage.rfm_analysis(tx(), bins=np.int64(10)), InvalidParameterError,
     r"^invalid parameter bins: expected an integer from 2 to 9"),
    ("rfm-timezone-int", lambda: ciblage.rfm(tx(), timezone=5), InvalidParameterError,
     r"^invalid parameter timezone: expected a string"),
    ("rfm-method-int", lambda: ciblage.rfm(tx(), method=3), InvalidParameterError, r"^invalid parameter method"),
    ("rfm-negative-none", lambda: ciblage.rfm(tx(), negative_amounts=None), InvalidParameterError,
     r"^invalid parameter negative_amounts"),
    ("rfm-variant-bytes", lambda: ciblage.rfm(tx(), variant=b"rfm"), InvalidParameterError,
     r"^invalid parameter variant"),
    ("rfm-weights-strings", lambda: ciblage.rfm(tx(), weights=("1", 1, 1)), InvalidParameterError,
     r"^invalid parameter weights"),
    ("rfm-weights-scalar", lambda: ciblage.rfm(tx(), weights=1), InvalidParameterError,
     r"^invalid parameter weights: expected three numbers"),
    ("rfm-weights-text", lambda: ciblage.rfm(tx(), weights="abc"), InvalidParameterError,
     r"^invalid parameter weights"),
    ("rfm-cuts-bool", lambda: ciblage.rfm(tx(), monetary_cuts=[True]), InvalidParameterError,
     r"^invalid parameter monetary_cuts: expected numbers"),
    ("rfm-cuts-text", lambda: ciblage.rfm(tx(), recency_cuts="10,20"), InvalidParameterError,
     r"^invalid parameter recency_cuts: expected numbers"),
    ("rfm-cuts-scalar", lambda: ciblage.rfm(tx(), frequency_cuts=5), InvalidParameterError,
     r"^invalid parameter frequency_cuts: expected numbers"),
    ("rfm-customer-none", lambda: ciblage.rfm(tx(), customer=None), InvalidParameterError,
     r"^invalid parameter customer: expected a column name"),
    ("rfm-amount-float-label", lambda: ciblage.rfm(tx(), amount=1.5), InvalidParameterError,
     r"^invalid parameter amount"),
    ("rfm-cost-list", lambda: ciblage.rfm(tx(), cost=["c"]), InvalidParameterError, r"^invalid parameter cost"),
    # --- rfm tables ---------------------------------------------------------
    ("rfm-series-as-table", lambda: ciblage.rfm(tx()["amount"]), ColumnTypeError,
     r"^transactions: expected a pandas, polars or pyarrow table.*got a single column \(pandas.Series\)"),
    ("rfm-polars-series-as-table", lambda: ciblage.rfm(pl.Series([1.0])), ColumnTypeError,
     r"^transactions: .*single column \(polars.Series\)"),
    ("rfm-2d-array-as-table", lambda: ciblage.rfm(np.ones((3, 3))), ColumnTypeError, r"^transactions: expected"),
    ("rfm-mixed-amounts", lambda: ciblage.rfm(tx(amount=[1, "a", 2.0])), ColumnTypeError,
     r'^amount: column "amount" cannot be read as one type'),
    ("rfm-mixed-ids", lambda: ciblage.rfm(tx(customer_id=[1, "a", 2])), ColumnTypeError,
     r'^customer: column "customer_id" cannot be read as one type'),
    ("rfm-mixed-timestamps", lambda: ciblage.rfm(tx(timestamp=pd.Series(
        [dt.datetime(2024, 1, 1), "2024-01-02", 3], dtype=object))), ColumnTypeError, r'^timestamp: column "timestamp"'),
    ("rfm-dict-mixed-amounts", lambda: ciblage.rfm({"customer_id": [1, 2], "timestamp": [dt.date(2024, 1, 1)] * 2,
                                                    "amount": [1.0, "x"]}),
     ColumnTypeError, r'^amount: column "amount"'),
    ("rfm-dict-2d-amounts", lambda: ciblage.rfm({"customer_id": [1, 2], "timestamp": [dt.date(2024, 1, 1)] * 2,
                                                 "amount": np.ones((2, 2))}),
     ColumnTypeError, r'^amount: column "amount" must be 1-D'),
    ("rfm-duplicate-columns", lambda: ciblage.rfm(pd.concat([tx(), tx()[["amount"]]], axis=1)), InvalidInputError,
     r'^amount: column "amount" appears 2 times'),
    ("rfm-duplicate-columns-arrow", lambda: ciblage.rfm(pa.Table.from_arrays(
        [pa.array([1, 2]), pa.array([dt.date(2024, 1, 1)] * 2), pa.array([1.0, 2.0]), pa.array([1, 2])],
        names=["customer_id", "timestamp", "amount", "customer_id"])),
     InvalidInputError, r'^customer: column "customer_id" appears 2 times'),
    ("rfm-uint64-beyond-int64", lambda: ciblage.rfm(tx(customer_id=np.array([2**63 + 5, 1, 1], dtype=np.uint64))),
     ColumnTypeError, r'^customer: column "customer_id" has type UInt64, expected integers up to 2\^63 - 1'),
    ("rfm-null-string-id", lambda: ciblage.rfm(tx(customer_id=[None, "a", "b"])), InvalidInputError,
     r'^customer \(column "customer_id"\): null value at row 0$'),
    ("rfm-null-categorical-id", lambda: ciblage.rfm(tx(customer_id=pd.Categorical(["a", None, "b"]))),
     InvalidInputError, r'^customer \(column "customer_id"\): null value at row 1$'),
    ("rfm-bool-amounts", lambda: ciblage.rfm(tx(amount=[True, False, True])), ColumnTypeError,
     r'^amount: column "amount" has type Boolean'),
    # --- segment files and dicts --------------------------------------------
    ("rfm-segments-missing-file", lambda: ciblage.rfm(tx(), segments=os.path.join(_DIR, "nope.json")),
     SegmentTableError, r"^segments: file '.*nope\.json' not found$"),
    ("rfm-segments-directory", lambda: ciblage.rfm(tx(), segments=_directory("folder.json")),
     SegmentTableError, r"^segments: '.*folder\.json' is a directory"),
    ("rfm-segments-not-utf8", lambda: ciblage.rfm(tx(), segments=_file("latin1.toml", "name = 'Fidèle'".encode("latin-1"))),
     SegmentTableError, r"^segments: file '.*latin1\.toml' is not UTF-8"),
    ("rfm-segments-bad-content-names-file", lambda: ciblage.rfm(tx(), segments=_file("bad.json", b'{"segment": 5}')),
     SegmentTableError, r"^segments: file '.*bad\.json': segment table"),
    ("rfm-segments-dict-unserialisable", lambda: ciblage.rfm(tx(), segments={"segment": {1, 2}}),
     SegmentTableError, r"^segments: the dict cannot be read"),
    # --- customer_totals ----------------------------------------------------
    ("totals-overflow", lambda: ciblage.customer_totals(tx(amount=[1.0, BIG, BIG])), InvalidInputError,
     r"^amount: the revenue \(sum of amounts\) of customer #1 overflows"),
    ("totals-cost-overflow", lambda: ciblage.customer_totals(tx(c=[1.0, -BIG, -BIG]), cost="c"), InvalidInputError,
     r'^cost \(column "c"\): the sum of costs of customer #1'),
    ("totals-margin-overflow", lambda: ciblage.customer_totals(tx(amount=[1.0, 1.0, BIG], c=[0.0, 0.0, -BIG]),
                                                               cost="c"),
     InvalidInputError, r"^amount: the margin"),
    ("totals-null-id-named", lambda: ciblage.customer_totals(tx(cid=["a", None, "b"]), customer="cid"),
     InvalidInputError, r'^customer \(column "cid"\): null value at row 1$'),
    ("totals-series", lambda: ciblage.customer_totals(tx()["amount"]), ColumnTypeError, r"^transactions: expected"),
    ("totals-customer-none", lambda: ciblage.customer_totals(tx(), customer=None), InvalidParameterError,
     r"^invalid parameter customer"),
    ("totals-mixed-amounts", lambda: ciblage.customer_totals(tx(amount=[1.0, "2", 3.0])), ColumnTypeError,
     r'^amount: column "amount"'),
    # --- value_tiers --------------------------------------------------------
    ("tiers-duplicate-ids", lambda: ciblage.value_tiers(CUSTOMERS.assign(customer_id=["a", "b", "a"])),
     InvalidInputError, r'^customer \(column "customer_id"\): id \'a\' appears more than once \(rows 0 and 2\)'),
    ("tiers-duplicate-categorical-ids", lambda: ciblage.value_tiers(
        CUSTOMERS.assign(customer_id=pd.Categorical([7, 7, 8]))),
     InvalidInputError, r"id 7 appears more than once \(rows 0 and 1\)"),
    ("tiers-null-ids", lambda: ciblage.value_tiers(CUSTOMERS.assign(customer_id=["a", None, "c"])),
     InvalidInputError, r'^customer \(column "customer_id"\): null value at row 1$'),
    ("tiers-overflow", lambda: ciblage.value_tiers(CUSTOMERS.assign(monetary=[BIG, BIG, 1.0])),
     InvalidInputError, r'^value \(column "monetary"\): the .* overflows'),
    ("tiers-abc-overflow", lambda: ciblage.value_tiers(np.array([BIG, BIG, 1.0]), method="abc"),
     InvalidInputError, r"^value: the sum of positive values overflows"),
    ("tiers-method-int", lambda: ciblage.value_tiers(CUSTOMERS, method=1), InvalidParameterError,
     r"^invalid parameter method"),
    ("tiers-method-unknown", lambda: ciblage.value_tiers(CUSTOMERS, method="pareto"), InvalidParameterError,
     r"^invalid parameter method: expected one of 'count', 'abc'"),
    ("tiers-shares-text", lambda: ciblage.value_tiers(CUSTOMERS, shares="0.5"), InvalidParameterError,
     r"^invalid parameter shares: expected numbers"),
    ("tiers-shares-bool", lambda: ciblage.value_tiers(CUSTOMERS, shares=[0.5, True]), InvalidParameterError,
     r"^invalid parameter shares"),
    ("tiers-names-text", lambda: ciblage.value_tiers(CUSTOMERS, names="ABC"), InvalidParameterError,
     r"^invalid parameter names"),
    ("tiers-names-ints", lambda: ciblage.value_tiers(CUSTOMERS, names=[1, 2, 3]), InvalidParameterError,
     r"^invalid parameter names: expected a string"),
    ("tiers-no-value-name-int", lambda: ciblage.value_tiers(CUSTOMERS, no_value_name=0), InvalidParameterError,
     r"^invalid parameter no_value_name"),
    ("tiers-value-none", lambda: ciblage.value_tiers(CUSTOMERS, value=None), InvalidParameterError,
     r"^invalid parameter value"),
    ("tiers-2d", lambda: ciblage.value_tiers(np.ones((2, 2))), ColumnTypeError,
     r"^customers: expected a 1-D array of values, got an array of shape \(2, 2\)"),
    ("tiers-mixed-list", lambda: ciblage.value_tiers([1.0, "x"]), ColumnTypeError,
     r"^customers: cannot read the values"),
    # --- concentration ------------------------------------------------------
    ("conc-2d", lambda: ciblage.concentration(np.ones((3, 2))), ColumnTypeError, r"^customers: expected a 1-D array"),
    ("conc-overflow", lambda: ciblage.concentration(np.array([BIG, BIG])), InvalidInputError,
     r"^value: the sum of values overflows"),
    ("conc-overflow-named", lambda: ciblage.concentration(CUSTOMERS.assign(monetary=[BIG, BIG, 0.0])),
     InvalidInputError, r'^value \(column "monetary"\): the sum of values overflows'),
    ("conc-strings", lambda: ciblage.concentration(["a", "b"]), ColumnTypeError, r"^value: has type string"),
    ("conc-value-float", lambda: ciblage.concentration(CUSTOMERS, value=5.5), InvalidParameterError,
     r"^invalid parameter value"),
    ("lorenz-negative", lambda: CONC.lorenz(-1), InvalidParameterError, r"^invalid parameter points"),
    ("lorenz-one", lambda: CONC.lorenz(1), InvalidParameterError, r"^invalid parameter points: expected an integer from 2"),
    ("lorenz-float", lambda: CONC.lorenz(2.5), InvalidParameterError, r"^invalid parameter points"),
    ("lorenz-huge", lambda: CONC.lorenz(2**64), InvalidParameterError, r"^invalid parameter points"),
    ("top-share-text", lambda: CONC.top_share("0.2"), InvalidParameterError, r"^invalid parameter share"),
    ("top-share-above-one", lambda: CONC.top_share(1.5), InvalidParameterError, r"^invalid parameter share"),
    ("top-share-bool", lambda: CONC.top_share(True), InvalidParameterError, r"^invalid parameter share"),
    ("customers-for-value-negative", lambda: CONC.customers_for_value(-0.1), InvalidParameterError,
     r"^invalid parameter share"),
    ("customers-for-value-nan", lambda: CONC.customers_for_value(float("nan")), InvalidParameterError,
     r"^invalid parameter share"),
    # --- SegmentTable -------------------------------------------------------
    ("coverage-zero", lambda: CLASSIC.coverage(0), InvalidParameterError,
     r"^invalid parameter bins: expected an integer from 2 to 9, got 0$"),
    ("coverage-ten", lambda: CLASSIC.coverage(10), InvalidParameterError, r"^invalid parameter bins"),
    ("coverage-float", lambda: CLASSIC.coverage(2.0), InvalidParameterError, r"^invalid parameter bins"),
    ("coverage-bool", lambda: CLASSIC.coverage(True), InvalidParameterError, r"^invalid parameter bins"),
    ("coverage-numpy-bool", lambda: CLASSIC.coverage(np.True_), InvalidParameterError, r"^invalid parameter bins"),
    ("rule-score-256", lambda: ciblage.SegmentTable([("A", (1, 256), (1, 5), (1, 5))]), InvalidParameterError,
     r'rule 0: "A" recency: expected integer scores from 1 to 9, got \(1, 256\)'),
    ("rule-score-negative", lambda: ciblage.SegmentTable([RULE, ("B", (1, 5), (-1, 5), (1, 5))]), SegmentTableError,
     r'rule 1: "B" frequency'),
    ("rule-score-float", lambda: ciblage.SegmentTable([("A", (1, 5), (1, 5), (1.0, 5))]), SegmentTableError,
     r'"A" monetary'),
    ("rule-score-zero", lambda: ciblage.SegmentTable([("A", (0, 5), (1, 5), (1, 5))]), SegmentTableError,
     r"score range \[0, 5\] must satisfy 1 <= low <= high <= 9"),
    ("rules-not-a-list", lambda: ciblage.SegmentTable(5), InvalidParameterError, r"^invalid parameter rules"),
    ("rules-text", lambda: ciblage.SegmentTable("A"), InvalidParameterError, r"^invalid parameter rules"),
    ("rule-short", lambda: ciblage.SegmentTable([("A", (1, 5))]), SegmentTableError, r"rule 0: expected \(name,"),
    ("rule-name-int", lambda: ciblage.SegmentTable([(5, (1, 5), (1, 5), (1, 5))]), SegmentTableError,
     r"rule 0: name: expected a string"),
    ("name-of-zero", lambda: CLASSIC.name_of(0, 1, 1), InvalidParameterError, r"^invalid parameter r: expected an integer from 1 to 9"),
    ("name-of-ten", lambda: CLASSIC.name_of(1, 10, 1), InvalidParameterError, r"^invalid parameter f"),
    ("name-of-huge", lambda: CLASSIC.name_of(1, 1, 2**70), InvalidParameterError, r"^invalid parameter m"),
    ("from-json-int", lambda: ciblage.SegmentTable.from_json(5), InvalidParameterError,
     r"^invalid parameter text: expected a string"),
    ("from-toml-bytes", lambda: ciblage.SegmentTable.from_toml(b"x = 1"), InvalidParameterError,
     r"^invalid parameter text"),
    ("fallback-int", lambda: ciblage.SegmentTable([RULE], fallback=5), InvalidParameterError,
     r"^invalid parameter fallback"),
    # --- datasets.transactions ----------------------------------------------
    ("data-customers-negative", lambda: ciblage.datasets.transactions(customers=-1), InvalidParameterError,
     r"^invalid parameter customers"),
    ("data-customers-zero", lambda: ciblage.datasets.transactions(customers=0), InvalidParameterError,
     r"^invalid parameter customers"),
    ("data-seed-negative", lambda: ciblage.datasets.transactions(seed=-1), InvalidParameterError,
     r"^invalid parameter seed: expected an integer from 0"),
    ("data-seed-2-64", lambda: ciblage.datasets.transactions(seed=2**64), InvalidParameterError,
     r"^invalid parameter seed"),
    ("data-transactions-float", lambda: ciblage.datasets.transactions(transactions=1.5e3), InvalidParameterError,
     r"^invalid parameter transactions"),
    ("data-string-ids-int", lambda: ciblage.datasets.transactions(string_ids=1), InvalidParameterError,
     r"^invalid parameter string_ids"),
    ("data-return-rate-one", lambda: ciblage.datasets.transactions(return_rate=1.0), InvalidParameterError,
     r"^invalid parameter return_rate"),
    ("data-return-rate-text", lambda: ciblage.datasets.transactions(return_rate="0.1"), InvalidParameterError,
     r"^invalid parameter return_rate"),
    ("data-library-int", lambda: ciblage.datasets.transactions(library=5), InvalidParameterError,
     r"^invalid parameter library"),
]


@pytest.mark.parametrize(("call", "error", "pattern"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_input_raises_our_class_naming_the_argument(call, error, pattern) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ciblage.DegenerateCriterionWarning)
        with pytest.raises(error, match=pattern):
            call()


# --- valid edge inputs, checked against independent computations ------------


def _monetary_by_pandas(df: pd.DataFrame) -> list[float]:
    return df.groupby("customer_id")["amount"].sum().astype(float).tolist()


AMOUNTS = [10.25, 20.5, 30.75]


@pytest.mark.parametrize(
    "amount",
    [
        pa.array([decimal.Decimal("10.25"), decimal.Decimal("20.50"), decimal.Decimal("30.75")], pa.decimal128(10, 2)),
        pa.array([decimal.Decimal("10.25"), decimal.Decimal("20.50"), decimal.Decimal("30.75")], pa.decimal256(50, 2)),
        pa.array(np.array(AMOUNTS, dtype=np.float16)),
        pa.array(np.array(AMOUNTS, dtype=np.float32)),
        pa.array([10, 20, 30], pa.uint64()),
    ],
    ids=["decimal128", "decimal256", "float16", "float32", "uint64"],
)
def test_numeric_amount_types_give_the_float_sums(amount) -> None:
    table = pa.table({"customer_id": [1, 2, 2], "timestamp": pa.array([dt.date(2024, 1, d) for d in (1, 2, 3)]),
                      "amount": amount})
    expected = pd.DataFrame({"customer_id": [1, 2, 2], "amount": amount.to_pandas().astype(float)})
    # 10.25, 20.5 and 30.75 are exact in float16 too (multiples of 1/4).
    assert ciblage.rfm(table, bins=2).column("monetary").to_pylist() == _monetary_by_pandas(expected)
    totals = ciblage.customer_totals(table)
    assert totals.column("revenue").to_pylist() == _monetary_by_pandas(expected)


@pytest.mark.parametrize("dtype", ["uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32"])
def test_integer_id_types(dtype) -> None:
    df = tx(customer_id=np.array([7, 3, 3], dtype=dtype))
    out = ciblage.rfm(df, bins=2)
    assert out["customer_id"].tolist() == [3, 7]
    assert out["monetary"].tolist() == [50.0, 10.0]


def test_uint64_ids_above_2_53_are_kept_exactly() -> None:
    ids = np.array([2**62 + 1, 2**62, 2**62], dtype=np.uint64)
    out = ciblage.rfm(tx(customer_id=ids), bins=2)
    assert out["customer_id"].tolist() == [2**62, 2**62 + 1]


@pytest.mark.parametrize(
    "ids",
    [
        pa.array(["b", "a", "a"], pa.large_string()),
        pa.array(["b", "a", "a"], pa.string_view()),
        pa.array(["b", "a", "a"]).dictionary_encode(),
        pa.array([2, 1, 1], pa.int64()).dictionary_encode(),
    ],
    ids=["large_string", "string_view", "dictionary", "int-dictionary"],
)
def test_string_view_large_string_and_dictionary_ids(ids) -> None:
    table = pa.table({"customer_id": ids, "timestamp": pa.array([dt.date(2024, 1, d) for d in (1, 2, 3)]),
                      "amount": [10.0, 20.0, 30.0]})
    out = ciblage.rfm(table, bins=2)
    expected = pd.DataFrame({"customer_id": ids.to_pylist(), "amount": [10.0, 20.0, 30.0]})
    assert out.column("customer_id").to_pylist() == sorted(set(ids.to_pylist()))
    assert out.column("monetary").to_pylist() == _monetary_by_pandas(expected)


def test_categorical_ids_from_pandas_and_polars() -> None:
    df = tx(customer_id=pd.Categorical(["x", "y", "y"], categories=["y", "x", "unused"]))
    out = ciblage.rfm(df, bins=2)
    assert out["customer_id"].tolist() == ["x", "y"]
    assert out["monetary"].tolist() == [10.0, 50.0]
    pdf = pl.from_pandas(tx(customer_id=["x", "y", "y"])).with_columns(pl.col("customer_id").cast(pl.Categorical))
    assert ciblage.rfm(pdf, bins=2)["monetary"].to_list() == [10.0, 50.0]


def test_integer_column_labels() -> None:
    df = tx().set_axis([0, 1, 2], axis=1)
    out = ciblage.rfm(df, customer=0, timestamp=1, amount=2, bins=2)
    assert out["monetary"].tolist() == df.groupby(0)[2].sum().tolist()
    totals = ciblage.customer_totals(df, customer=0, amount=2)
    assert list(totals.columns)[0] == 0 and totals["revenue"].tolist() == df.groupby(0)[2].sum().tolist()
    tiers = ciblage.value_tiers(pd.DataFrame({0: ["a", "b"], 1: [5.0, 1.0]}), customer=0, value=1)
    assert list(tiers.customers.columns)[:2] == [0, 1]


@pytest.mark.parametrize("unit", ["s", "ms", "us"])
@pytest.mark.parametrize("zone", [None, "Europe/Paris"])
def test_timestamps_up_to_9999(unit, zone) -> None:
    stamps = np.array(["9999-12-31T12:00", "9999-12-20", "0001-01-01"], dtype=f"datetime64[{unit}]")
    ts = pd.Series(stamps)
    if zone is not None:
        ts = ts.dt.tz_localize(zone)
    out = ciblage.rfm(tx(timestamp=ts), as_of="9999-12-31", bins=2)
    # Customer 1 bought on 9999-12-31 (recency 0); customer 2 last on
    # 9999-12-20 (11 days before), first on 0001-01-01.
    assert out["recency_days"].tolist() == [0, 11]
    first = dt.date(1, 1, 1)
    assert out["tenure_days"].tolist() == [0, (dt.date(9999, 12, 31) - first).days]


def test_dates_as_python_objects_up_to_9999() -> None:
    out = ciblage.rfm(tx(timestamp=[dt.date(9999, 12, 30), dt.date(9999, 1, 1), dt.date(1, 1, 1)]), bins=2)
    # Default as_of: the day after the last date, 9999-12-31.
    as_of = dt.date(9999, 12, 31)
    assert out["recency_days"].tolist() == [(as_of - dt.date(9999, 12, 30)).days, (as_of - dt.date(9999, 1, 1)).days]


def test_single_zone_object_column_is_honoured() -> None:
    # 23:30 in Paris in summer is 21:30 UTC: the local day is kept.
    stamps = paris("2024-07-01 23:30", "2024-07-01 00:30", "2024-07-03 23:30")
    out = ciblage.rfm(tx(timestamp=pd.Series(stamps, dtype=object)), bins=2)
    local_days = pd.Series([s.date() for s in stamps])
    as_of = local_days.max() + dt.timedelta(days=1)
    df = pd.DataFrame({"c": [1, 2, 2], "d": local_days})
    expected = [(as_of - d).days for d in df.groupby("c")["d"].max()]
    assert out["recency_days"].tolist() == expected
    assert str(out["last_purchase"].dt.tz) == "Europe/Paris"


def test_numpy_integer_parameters() -> None:
    out = ciblage.rfm(tx(), bins=np.int64(3))
    assert out["r_score"].max() <= 3
    assert CONC.lorenz(np.int32(5)).num_rows == 5
    assert CLASSIC.coverage(np.int64(3)) == CLASSIC.coverage(3)
    assert CLASSIC.name_of(np.int8(5), np.uint8(5), 5) == "Champions"
    table = ciblage.SegmentTable([("A", (np.int64(1), np.uint8(5)), (1, 5), (1, 5))])
    assert table == ciblage.SegmentTable([("A", (1, 5), (1, 5), (1, 5))])
    data = ciblage.datasets.transactions(customers=np.int64(50), transactions=np.uint32(500), seed=np.int16(1))
    assert data.num_rows == 500 and len(set(data.column("customer_id").to_pylist())) == 50


def test_segment_table_pickles_with_its_fallback() -> None:
    import pickle

    table = ciblage.SegmentTable([RULE], fallback="Rest")
    back = pickle.loads(pickle.dumps(table))
    assert back == table and back.fallback == "Rest"


def test_sums_just_inside_the_float_range_are_kept() -> None:
    half = np.finfo(np.float64).max / 2
    totals = ciblage.customer_totals(tx(amount=[1.0, half, half]))
    assert totals["revenue"].tolist() == [1.0, half + half]
    # Gini does not depend on scale: values 1..4 scaled by 1e307 (total 1e308).
    values = np.array([4.0, 1.0, 3.0, 2.0])
    scaled = ciblage.concentration(values * 1e307)
    x = np.sort(values)
    n = len(x)
    gini = (2 * np.sum(np.arange(1, n + 1) * x) / (n * x.sum())) - (n + 1) / n
    assert scaled.gini == pytest.approx(gini, abs=1e-12)


def test_value_tiers_take_integers_beyond_2_53_as_floats() -> None:
    values = np.array([2**60 + 1, 3, 2**55], dtype=np.uint64)
    tiers = ciblage.value_tiers(pd.DataFrame({"customer_id": [1, 2, 3], "monetary": values}))
    assert tiers.customers["monetary"].tolist() == values.astype(np.float64).tolist()
    assert tiers.customers["rank"].tolist() == [1, 3, 2]
    assert tiers.input_report == {"rows_read": 3, "rows_used": 3, "left_out": {}}


# --- input reports -------------------------------------------------------------


def test_rfm_report_on_pandas_and_pyarrow_tables() -> None:
    df = tx(amount=[10.0, -5.0, 30.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RowsLeftOutWarning)  # asked-for reasons pass quietly
        out = ciblage.rfm(df, as_of="2024-01-02", negative_amounts="exclude", bins=2)
    report = out.attrs["input_report"]
    after = int((df["timestamp"].dt.date > dt.date(2024, 1, 2)).sum())
    negative = int(((df["amount"] < 0) & (df["timestamp"].dt.date <= dt.date(2024, 1, 2))).sum())
    assert report["rows_read"] == len(df)
    assert report["left_out"] == {"after_as_of": after, "negative_amount": negative}
    assert report["rows_used"] == len(df) - after - negative
    assert report["rows_after_as_of"] == after  # the earlier keys stay
    arrow = ciblage.rfm(pa.Table.from_pandas(df), as_of="2024-01-02", negative_amounts="exclude", bins=2)
    assert json.loads(arrow.schema.metadata[b"ciblage.input_report"]) == report
    result = ciblage.rfm_analysis(pl.from_pandas(df), as_of="2024-01-02", negative_amounts="exclude", bins=2)
    assert result.input_report == report


def test_rfm_report_without_anything_left_out() -> None:
    out = ciblage.rfm(tx(), bins=2)
    assert out.attrs["input_report"]["rows_used"] == 3
    assert out.attrs["input_report"]["left_out"] == {"after_as_of": 0, "negative_amount": 0}


def test_customer_totals_report() -> None:
    df = tx(amount=[10.0, -5.0, 30.0])
    out = ciblage.customer_totals(df)
    assert out.attrs["input_report"] == {"rows_read": len(df), "rows_used": len(df), "left_out": {}}
    arrow = ciblage.customer_totals(pa.Table.from_pandas(df))
    assert json.loads(arrow.schema.metadata[b"ciblage.input_report"])["rows_read"] == len(df)


def test_concentration_report_counts_clipped_values() -> None:
    values = np.array([-2.0, 0.0, 5.0, 1.0])
    c = ciblage.concentration(values)
    assert c.input_report == {"rows_read": 4, "rows_used": 4, "left_out": {}, "clipped": int((values < 0).sum())}


def _gini(x: np.ndarray) -> float:
    """Gini of non-negative values, the textbook formula over sorted values."""
    x = np.sort(np.clip(x.astype(float), 0, None))
    n = len(x)
    return float(2 * np.sum(np.arange(1, n + 1) * x) / (n * x.sum()) - (n + 1) / n)


@pytest.mark.parametrize(
    "values",
    [
        pa.array([decimal.Decimal("1.50"), decimal.Decimal("4.25"), decimal.Decimal("0.25")], pa.decimal128(6, 2)),
        pa.array([decimal.Decimal("1.50"), decimal.Decimal("4.25"), decimal.Decimal("0.25")], pa.decimal256(60, 2)),
        pa.array(np.array([1.5, 4.25, 0.25], dtype=np.float16)),
        pa.array([2**60, 3, 2**55], pa.uint64()),
        pa.array([-3, 7, 1], pa.int8()),
    ],
    ids=["decimal128", "decimal256", "float16", "uint64-beyond-2^53", "int8-negative"],
)
def test_value_column_types_in_concentration_and_tiers(values) -> None:
    as_float = np.array(values.to_pylist(), dtype=object).astype(float)
    table = pa.table({"customer_id": ["a", "b", "c"], "monetary": values})
    c = ciblage.concentration(table)
    assert c.gini == pytest.approx(_gini(as_float), abs=1e-12)
    assert c.total == pytest.approx(np.clip(as_float, 0, None).sum(), rel=1e-15)
    tiers = ciblage.value_tiers(table, method="abc", bounds=[0.5])
    # Rank 1 is the largest value; values <= 0 fall in the no-value tier.
    order = np.argsort(-as_float, kind="stable")
    assert tiers.customers.column("rank").to_pylist() == (np.argsort(order) + 1).tolist()
    no_value = tiers.names[-1]
    tier_names = tiers.customers.column("tier").to_pylist()
    assert [t == no_value for t in tier_names] == (as_float <= 0).tolist()


@pytest.mark.parametrize("kind", ["pandas", "polars", "pyarrow"])
def test_customer_totals_string_view_and_dictionary_ids(kind) -> None:
    ids = pa.array(["x", "y", "x"], pa.string_view())
    table = pa.table({"customer_id": ids, "amount": [1.5, 2.0, 3.0]})
    data = {"pandas": table.to_pandas(), "polars": pl.from_arrow(table), "pyarrow": table}[kind]
    out = ciblage.customer_totals(data)
    got = pa.table(out) if kind == "polars" else (pa.Table.from_pandas(out) if kind == "pandas" else out)
    expected = pd.DataFrame({"c": ["x", "y", "x"], "a": [1.5, 2.0, 3.0]}).groupby("c", sort=False)["a"].sum()
    assert got.column("customer_id").to_pylist() == expected.index.tolist()
    assert got.column("revenue").to_pylist() == expected.tolist()
