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
    ColumnNotFoundError,
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


def _arrow_tx(timestamps: pa.Array) -> pa.Table:
    """Two customers, one row each, at the given instants."""
    return pa.table({"customer_id": [1, 2], "timestamp": timestamps, "amount": [1.0, 2.0]})


def _concentration_state(state: dict[str, Any]) -> Any:
    """A Concentration unpickled from a hand-edited state."""
    c = ciblage.Concentration.__new__(ciblage.Concentration)
    c.__setstate__(state)
    return c


CLASSIC = ciblage.SegmentTable.classic()
CONC = ciblage.concentration(np.array([1.0, 2.0, 3.0, 4.0]))
CUSTOMERS = pd.DataFrame({"customer_id": ["a", "b", "c"], "monetary": [5.0, 3.0, 1.0]})
RULE = ("A", (1, 5), (1, 5), (1, 5))

# (id, call, exception class, regex the message must match)
BAD: list[tuple[str, Callable[[], Any], type[Exception], str]] = [
    # --- rfm / rfm_analysis: silent wrong results refused -------------------
    (
        "rfm-mixed-zones",
        lambda: ciblage.rfm(
            tx(
                timestamp=pd.Series(
                    paris("2024-01-01 10:00")
                    + [
                        pd.Timestamp("2024-01-01 10:00", tz="America/New_York").to_pydatetime(),
                        pd.Timestamp("2024-01-02", tz="Asia/Tokyo").to_pydatetime(),
                    ],
                    dtype=object,
                )
            )
        ),
        ColumnTypeError,
        r'^timestamp: column "timestamp" holds timestamps of several time zones',
    ),
    (
        "rfm-naive-and-aware",
        lambda: ciblage.rfm(
            tx(timestamp=pd.Series([dt.datetime(2024, 1, 1)] + paris("2024-01-02", "2024-01-03"), dtype=object))
        ),
        ColumnTypeError,
        r"several time zones \('Europe/Paris', naive\)",
    ),
    (
        "rfm-dict-fixed-offsets",
        lambda: ciblage.rfm(
            {
                "customer_id": [1, 2],
                "amount": [1.0, 2.0],
                "timestamp": [
                    dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc),
                    dt.datetime(2024, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=5))),
                ],
            }
        ),
        ColumnTypeError,
        r'^timestamp: column "timestamp" holds timestamps of several',
    ),
    (
        "rfm-renamed-mixed-zones",
        lambda: ciblage.rfm(
            tx(
                when=pd.Series(
                    paris("2024-01-01") + [pd.Timestamp("2024-01-01", tz="UTC").to_pydatetime()] * 2, dtype=object
                )
            ),
            timestamp="when",
        ),
        ColumnTypeError,
        r'^timestamp: column "when"',
    ),
    (
        "rfm-sum-overflow",
        lambda: ciblage.rfm(tx(amount=[1.0, BIG, BIG])),
        InvalidInputError,
        r"^amount: the sum of amounts of customer 2 overflows",
    ),
    (
        "rfm-sum-overflow-named",
        lambda: ciblage.rfm(tx(price=[1.0, BIG, BIG]), amount="price"),
        InvalidInputError,
        r'^amount \(column "price"\): the sum of amounts',
    ),
    (
        "rfm-negative-sum-overflow",
        lambda: ciblage.rfm(tx(amount=[1.0, -BIG, -BIG])),
        InvalidInputError,
        r"^amount: the sum of amounts of customer 2",
    ),
    (
        "rfm-segment-total-overflow",
        lambda: ciblage.rfm(tx(customer_id=[1, 2, 3], amount=[BIG, BIG, BIG]), bins=2),
        InvalidInputError,
        r"^amount: the total of segment",
    ),
    (
        "rfm-margin-overflow",
        lambda: ciblage.rfm(tx(cost=[0.0, 0.0, -BIG], amount=[1.0, 1.0, BIG]), cost="cost", monetary="margin"),
        InvalidInputError,
        r"margin \(sum of amounts minus sum of costs\) of customer 2",
    ),
    (
        "rfm-default-as-of-past-9999",
        lambda: ciblage.rfm(tx(timestamp=np.array(["9999-12-31", "2000-01-01", "2000-01-02"], dtype="datetime64[s]"))),
        InvalidParameterError,
        r"^invalid parameter as_of: the default reference date",
    ),
    # --- rfm parameters -----------------------------------------------------
    (
        "rfm-bins-negative",
        lambda: ciblage.rfm(tx(), bins=-1),
        InvalidParameterError,
        r"^invalid parameter bins: expected an integer from 2 to 9, got -1$",
    ),
    ("rfm-bins-huge", lambda: ciblage.rfm(tx(), bins=2**70), InvalidParameterError, r"^invalid parameter bins"),
    ("rfm-bins-float", lambda: ciblage.rfm(tx(), bins=2.0), InvalidParameterError, r"^invalid parameter bins"),
    ("rfm-bins-bool", lambda: ciblage.rfm(tx(), bins=True), InvalidParameterError, r"^invalid parameter bins"),
    ("rfm-bins-string", lambda: ciblage.rfm(tx(), bins="5"), InvalidParameterError, r"^invalid parameter bins"),
    (
        "rfm-bins-10",
        lambda: ciblage.rfm_analysis(tx(), bins=np.int64(10)),
        InvalidParameterError,
        r"^invalid parameter bins: expected an integer from 2 to 9",
    ),
    (
        "rfm-timezone-int",
        lambda: ciblage.rfm(tx(), timezone=5),
        InvalidParameterError,
        r"^invalid parameter timezone: expected a string",
    ),
    ("rfm-method-int", lambda: ciblage.rfm(tx(), method=3), InvalidParameterError, r"^invalid parameter method"),
    (
        "rfm-negative-none",
        lambda: ciblage.rfm(tx(), negative_amounts=None),
        InvalidParameterError,
        r"^invalid parameter negative_amounts",
    ),
    (
        "rfm-variant-bytes",
        lambda: ciblage.rfm(tx(), variant=b"rfm"),
        InvalidParameterError,
        r"^invalid parameter variant",
    ),
    (
        "rfm-weights-strings",
        lambda: ciblage.rfm(tx(), weights=("1", 1, 1)),
        InvalidParameterError,
        r"^invalid parameter weights",
    ),
    (
        "rfm-weights-scalar",
        lambda: ciblage.rfm(tx(), weights=1),
        InvalidParameterError,
        r"^invalid parameter weights: expected three numbers",
    ),
    (
        "rfm-weights-text",
        lambda: ciblage.rfm(tx(), weights="abc"),
        InvalidParameterError,
        r"^invalid parameter weights",
    ),
    (
        "rfm-cuts-bool",
        lambda: ciblage.rfm(tx(), monetary_cuts=[True]),
        InvalidParameterError,
        r"^invalid parameter monetary_cuts: expected numbers",
    ),
    (
        "rfm-cuts-text",
        lambda: ciblage.rfm(tx(), recency_cuts="10,20"),
        InvalidParameterError,
        r"^invalid parameter recency_cuts: expected numbers",
    ),
    (
        "rfm-cuts-scalar",
        lambda: ciblage.rfm(tx(), frequency_cuts=5),
        InvalidParameterError,
        r"^invalid parameter frequency_cuts: expected numbers",
    ),
    (
        "rfm-customer-none",
        lambda: ciblage.rfm(tx(), customer=None),
        InvalidParameterError,
        r"^invalid parameter customer: expected a column name",
    ),
    (
        "rfm-amount-float-label",
        lambda: ciblage.rfm(tx(), amount=1.5),
        InvalidParameterError,
        r"^invalid parameter amount",
    ),
    ("rfm-cost-list", lambda: ciblage.rfm(tx(), cost=["c"]), InvalidParameterError, r"^invalid parameter cost"),
    # --- rfm tables ---------------------------------------------------------
    (
        "rfm-series-as-table",
        lambda: ciblage.rfm(tx()["amount"]),
        ColumnTypeError,
        r"^transactions: expected a pandas, polars or pyarrow table.*got a single column \(pandas.Series\)",
    ),
    (
        "rfm-polars-series-as-table",
        lambda: ciblage.rfm(pl.Series([1.0])),
        ColumnTypeError,
        r"^transactions: .*single column \(polars.Series\)",
    ),
    ("rfm-2d-array-as-table", lambda: ciblage.rfm(np.ones((3, 3))), ColumnTypeError, r"^transactions: expected"),
    (
        "rfm-mixed-amounts",
        lambda: ciblage.rfm(tx(amount=[1, "a", 2.0])),
        ColumnTypeError,
        r'^amount: column "amount" cannot be read as one type',
    ),
    (
        "rfm-mixed-ids",
        lambda: ciblage.rfm(tx(customer_id=[1, "a", 2])),
        ColumnTypeError,
        r'^customer: column "customer_id" cannot be read as one type',
    ),
    (
        "rfm-mixed-timestamps",
        lambda: ciblage.rfm(tx(timestamp=pd.Series([dt.datetime(2024, 1, 1), "2024-01-02", 3], dtype=object))),
        ColumnTypeError,
        r'^timestamp: column "timestamp"',
    ),
    (
        "rfm-dict-mixed-amounts",
        lambda: ciblage.rfm({"customer_id": [1, 2], "timestamp": [dt.date(2024, 1, 1)] * 2, "amount": [1.0, "x"]}),
        ColumnTypeError,
        r'^amount: column "amount"',
    ),
    (
        "rfm-dict-2d-amounts",
        lambda: ciblage.rfm({"customer_id": [1, 2], "timestamp": [dt.date(2024, 1, 1)] * 2, "amount": np.ones((2, 2))}),
        ColumnTypeError,
        r'^amount: column "amount" must be 1-D',
    ),
    (
        "rfm-duplicate-columns",
        lambda: ciblage.rfm(pd.concat([tx(), tx()[["amount"]]], axis=1)),
        InvalidInputError,
        r'^amount: column "amount" appears 2 times',
    ),
    (
        "rfm-duplicate-columns-arrow",
        lambda: ciblage.rfm(
            pa.Table.from_arrays(
                [pa.array([1, 2]), pa.array([dt.date(2024, 1, 1)] * 2), pa.array([1.0, 2.0]), pa.array([1, 2])],
                names=["customer_id", "timestamp", "amount", "customer_id"],
            )
        ),
        InvalidInputError,
        r'^customer: column "customer_id" appears 2 times',
    ),
    (
        "rfm-uint64-beyond-int64",
        lambda: ciblage.rfm(tx(customer_id=np.array([2**63 + 5, 1, 1], dtype=np.uint64))),
        ColumnTypeError,
        r'^customer: column "customer_id" has type UInt64, expected integers up to 2\^63 - 1',
    ),
    (
        "rfm-null-string-id",
        lambda: ciblage.rfm(tx(customer_id=[None, "a", "b"])),
        InvalidInputError,
        r'^customer \(column "customer_id"\): null value at row 0$',
    ),
    (
        "rfm-null-categorical-id",
        lambda: ciblage.rfm(tx(customer_id=pd.Categorical(["a", None, "b"]))),
        InvalidInputError,
        r'^customer \(column "customer_id"\): null value at row 1$',
    ),
    (
        "rfm-bool-amounts",
        lambda: ciblage.rfm(tx(amount=[True, False, True])),
        ColumnTypeError,
        r'^amount: column "amount" has type Boolean',
    ),
    # --- segment files and dicts --------------------------------------------
    (
        "rfm-segments-missing-file",
        lambda: ciblage.rfm(tx(), segments=os.path.join(_DIR, "nope.json")),
        SegmentTableError,
        r"^segments: file '.*nope\.json' not found$",
    ),
    (
        "rfm-segments-directory",
        lambda: ciblage.rfm(tx(), segments=_directory("folder.json")),
        SegmentTableError,
        r"^segments: '.*folder\.json' is a directory",
    ),
    (
        "rfm-segments-not-utf8",
        lambda: ciblage.rfm(tx(), segments=_file("latin1.toml", "name = 'Fidèle'".encode("latin-1"))),
        SegmentTableError,
        r"^segments: file '.*latin1\.toml' is not UTF-8",
    ),
    (
        "rfm-segments-bad-content-names-file",
        lambda: ciblage.rfm(tx(), segments=_file("bad.json", b'{"segment": 5}')),
        SegmentTableError,
        r"^segments: file '.*bad\.json': segment table",
    ),
    (
        "rfm-segments-dict-unserialisable",
        lambda: ciblage.rfm(tx(), segments={"segment": {1, 2}}),
        SegmentTableError,
        r"^segments: the dict cannot be read",
    ),
    # --- customer_totals ----------------------------------------------------
    (
        "totals-overflow",
        lambda: ciblage.customer_totals(tx(amount=[1.0, BIG, BIG])),
        InvalidInputError,
        r"^amount: the revenue \(sum of amounts\) of customer #1 overflows",
    ),
    (
        "totals-cost-overflow",
        lambda: ciblage.customer_totals(tx(c=[1.0, -BIG, -BIG]), cost="c"),
        InvalidInputError,
        r'^cost \(column "c"\): the sum of costs of customer #1',
    ),
    (
        "totals-margin-overflow",
        lambda: ciblage.customer_totals(tx(amount=[1.0, 1.0, BIG], c=[0.0, 0.0, -BIG]), cost="c"),
        InvalidInputError,
        r"^amount: the margin",
    ),
    (
        "totals-null-id-named",
        lambda: ciblage.customer_totals(tx(cid=["a", None, "b"]), customer="cid"),
        InvalidInputError,
        r'^customer \(column "cid"\): null value at row 1$',
    ),
    ("totals-series", lambda: ciblage.customer_totals(tx()["amount"]), ColumnTypeError, r"^transactions: expected"),
    (
        "totals-customer-none",
        lambda: ciblage.customer_totals(tx(), customer=None),
        InvalidParameterError,
        r"^invalid parameter customer",
    ),
    (
        "totals-mixed-amounts",
        lambda: ciblage.customer_totals(tx(amount=[1.0, "2", 3.0])),
        ColumnTypeError,
        r'^amount: column "amount"',
    ),
    # --- value_tiers --------------------------------------------------------
    (
        "tiers-duplicate-ids",
        lambda: ciblage.value_tiers(CUSTOMERS.assign(customer_id=["a", "b", "a"])),
        InvalidInputError,
        r'^customer \(column "customer_id"\): id \'a\' appears more than once \(rows 0 and 2\)',
    ),
    (
        "tiers-duplicate-categorical-ids",
        lambda: ciblage.value_tiers(CUSTOMERS.assign(customer_id=pd.Categorical([7, 7, 8]))),
        InvalidInputError,
        r"id 7 appears more than once \(rows 0 and 1\)",
    ),
    (
        "tiers-null-ids",
        lambda: ciblage.value_tiers(CUSTOMERS.assign(customer_id=["a", None, "c"])),
        InvalidInputError,
        r'^customer \(column "customer_id"\): null value at row 1$',
    ),
    (
        "tiers-overflow",
        lambda: ciblage.value_tiers(CUSTOMERS.assign(monetary=[BIG, BIG, 1.0])),
        InvalidInputError,
        r'^value \(column "monetary"\): the .* overflows',
    ),
    (
        "tiers-abc-overflow",
        lambda: ciblage.value_tiers(np.array([BIG, BIG, 1.0]), method="abc"),
        InvalidInputError,
        r"^value: the sum of positive values overflows",
    ),
    (
        "tiers-method-int",
        lambda: ciblage.value_tiers(CUSTOMERS, method=1),
        InvalidParameterError,
        r"^invalid parameter method",
    ),
    (
        "tiers-method-unknown",
        lambda: ciblage.value_tiers(CUSTOMERS, method="pareto"),
        InvalidParameterError,
        r"^invalid parameter method: expected one of 'count', 'abc'",
    ),
    (
        "tiers-shares-text",
        lambda: ciblage.value_tiers(CUSTOMERS, shares="0.5"),
        InvalidParameterError,
        r"^invalid parameter shares: expected numbers",
    ),
    (
        "tiers-shares-bool",
        lambda: ciblage.value_tiers(CUSTOMERS, shares=[0.5, True]),
        InvalidParameterError,
        r"^invalid parameter shares",
    ),
    (
        "tiers-names-text",
        lambda: ciblage.value_tiers(CUSTOMERS, names="ABC"),
        InvalidParameterError,
        r"^invalid parameter names",
    ),
    (
        "tiers-names-ints",
        lambda: ciblage.value_tiers(CUSTOMERS, names=[1, 2, 3]),
        InvalidParameterError,
        r"^invalid parameter names: expected a string",
    ),
    (
        "tiers-no-value-name-int",
        lambda: ciblage.value_tiers(CUSTOMERS, no_value_name=0),
        InvalidParameterError,
        r"^invalid parameter no_value_name",
    ),
    (
        "tiers-2d",
        lambda: ciblage.value_tiers(np.ones((2, 2))),
        ColumnTypeError,
        r"^customers: expected a 1-D array of values, got an array of shape \(2, 2\)",
    ),
    (
        "tiers-mixed-list",
        lambda: ciblage.value_tiers([1.0, "x"]),
        ColumnTypeError,
        r"^customers: cannot read the values",
    ),
    # --- concentration ------------------------------------------------------
    ("conc-2d", lambda: ciblage.concentration(np.ones((3, 2))), ColumnTypeError, r"^customers: expected a 1-D array"),
    (
        "conc-overflow",
        lambda: ciblage.concentration(np.array([BIG, BIG])),
        InvalidInputError,
        r"^value: the sum of values overflows",
    ),
    (
        "conc-overflow-named",
        lambda: ciblage.concentration(CUSTOMERS.assign(monetary=[BIG, BIG, 0.0])),
        InvalidInputError,
        r'^value \(column "monetary"\): the sum of values overflows',
    ),
    ("conc-strings", lambda: ciblage.concentration(["a", "b"]), ColumnTypeError, r"^value: has type string"),
    (
        "conc-value-float",
        lambda: ciblage.concentration(CUSTOMERS, value=5.5),
        InvalidParameterError,
        r"^invalid parameter value",
    ),
    ("lorenz-negative", lambda: CONC.lorenz(-1), InvalidParameterError, r"^invalid parameter points"),
    (
        "lorenz-one",
        lambda: CONC.lorenz(1),
        InvalidParameterError,
        r"^invalid parameter points: expected an integer from 2",
    ),
    ("lorenz-float", lambda: CONC.lorenz(2.5), InvalidParameterError, r"^invalid parameter points"),
    ("lorenz-huge", lambda: CONC.lorenz(2**64), InvalidParameterError, r"^invalid parameter points"),
    ("top-share-text", lambda: CONC.top_share("0.2"), InvalidParameterError, r"^invalid parameter share"),
    ("top-share-above-one", lambda: CONC.top_share(1.5), InvalidParameterError, r"^invalid parameter share"),
    ("top-share-bool", lambda: CONC.top_share(True), InvalidParameterError, r"^invalid parameter share"),
    (
        "customers-for-value-negative",
        lambda: CONC.customers_for_value(-0.1),
        InvalidParameterError,
        r"^invalid parameter share",
    ),
    (
        "customers-for-value-nan",
        lambda: CONC.customers_for_value(float("nan")),
        InvalidParameterError,
        r"^invalid parameter share",
    ),
    # --- SegmentTable -------------------------------------------------------
    (
        "coverage-zero",
        lambda: CLASSIC.coverage(0),
        InvalidParameterError,
        r"^invalid parameter bins: expected an integer from 2 to 9, got 0$",
    ),
    ("coverage-ten", lambda: CLASSIC.coverage(10), InvalidParameterError, r"^invalid parameter bins"),
    ("coverage-float", lambda: CLASSIC.coverage(2.0), InvalidParameterError, r"^invalid parameter bins"),
    ("coverage-bool", lambda: CLASSIC.coverage(True), InvalidParameterError, r"^invalid parameter bins"),
    ("coverage-numpy-bool", lambda: CLASSIC.coverage(np.True_), InvalidParameterError, r"^invalid parameter bins"),
    (
        "rule-score-256",
        lambda: ciblage.SegmentTable([("A", (1, 256), (1, 5), (1, 5))]),
        InvalidParameterError,
        r'rule 0: "A" recency: expected integer scores from 1 to 9, got \(1, 256\)',
    ),
    (
        "rule-score-negative",
        lambda: ciblage.SegmentTable([RULE, ("B", (1, 5), (-1, 5), (1, 5))]),
        SegmentTableError,
        r'rule 1: "B" frequency',
    ),
    (
        "rule-score-float",
        lambda: ciblage.SegmentTable([("A", (1, 5), (1, 5), (1.0, 5))]),
        SegmentTableError,
        r'"A" monetary',
    ),
    (
        "rule-score-zero",
        lambda: ciblage.SegmentTable([("A", (0, 5), (1, 5), (1, 5))]),
        SegmentTableError,
        r"score range \[0, 5\] must satisfy 1 <= low <= high <= 9",
    ),
    ("rules-not-a-list", lambda: ciblage.SegmentTable(5), InvalidParameterError, r"^invalid parameter rules"),
    ("rules-text", lambda: ciblage.SegmentTable("A"), InvalidParameterError, r"^invalid parameter rules"),
    ("rule-short", lambda: ciblage.SegmentTable([("A", (1, 5))]), SegmentTableError, r"rule 0: expected \(name,"),
    (
        "rule-name-int",
        lambda: ciblage.SegmentTable([(5, (1, 5), (1, 5), (1, 5))]),
        SegmentTableError,
        r"rule 0: name: expected a string",
    ),
    (
        "name-of-zero",
        lambda: CLASSIC.name_of(0, 1, 1),
        InvalidParameterError,
        r"^invalid parameter r: expected an integer from 1 to 9",
    ),
    ("name-of-ten", lambda: CLASSIC.name_of(1, 10, 1), InvalidParameterError, r"^invalid parameter f"),
    ("name-of-huge", lambda: CLASSIC.name_of(1, 1, 2**70), InvalidParameterError, r"^invalid parameter m"),
    (
        "from-json-int",
        lambda: ciblage.SegmentTable.from_json(5),
        InvalidParameterError,
        r"^invalid parameter text: expected a string",
    ),
    (
        "from-toml-bytes",
        lambda: ciblage.SegmentTable.from_toml(b"x = 1"),
        InvalidParameterError,
        r"^invalid parameter text",
    ),
    (
        "fallback-int",
        lambda: ciblage.SegmentTable([RULE], fallback=5),
        InvalidParameterError,
        r"^invalid parameter fallback",
    ),
    # --- datasets.transactions ----------------------------------------------
    (
        "data-customers-negative",
        lambda: ciblage.datasets.transactions(customers=-1),
        InvalidParameterError,
        r"^invalid parameter customers",
    ),
    (
        "data-customers-zero",
        lambda: ciblage.datasets.transactions(customers=0),
        InvalidParameterError,
        r"^invalid parameter customers",
    ),
    (
        "data-seed-negative",
        lambda: ciblage.datasets.transactions(seed=-1),
        InvalidParameterError,
        r"^invalid parameter seed: expected an integer from 0",
    ),
    (
        "data-seed-2-64",
        lambda: ciblage.datasets.transactions(seed=2**64),
        InvalidParameterError,
        r"^invalid parameter seed",
    ),
    (
        "data-transactions-float",
        lambda: ciblage.datasets.transactions(transactions=1.5e3),
        InvalidParameterError,
        r"^invalid parameter transactions",
    ),
    (
        "data-string-ids-int",
        lambda: ciblage.datasets.transactions(string_ids=1),
        InvalidParameterError,
        r"^invalid parameter string_ids",
    ),
    (
        "data-return-rate-one",
        lambda: ciblage.datasets.transactions(return_rate=1.0),
        InvalidParameterError,
        r"^invalid parameter return_rate",
    ),
    (
        "data-return-rate-text",
        lambda: ciblage.datasets.transactions(return_rate="0.1"),
        InvalidParameterError,
        r"^invalid parameter return_rate",
    ),
    (
        "data-library-int",
        lambda: ciblage.datasets.transactions(library=5),
        InvalidParameterError,
        r"^invalid parameter library",
    ),
    # --- second sweep: timestamps beyond the supported range ------------------
    (
        "rfm-date32-max",
        lambda: ciblage.rfm(_arrow_tx(pa.array([0, 2**31 - 1], pa.date32()))),
        InvalidInputError,
        r"^timestamp: timestamp out of range at row 1$",
    ),
    (
        "rfm-date32-min",
        lambda: ciblage.rfm(_arrow_tx(pa.array([-(2**31), 0], pa.date32()))),
        InvalidInputError,
        r"^timestamp: timestamp out of range at row 0$",
    ),
    (
        "rfm-timestamp-int64-max",
        lambda: ciblage.rfm(_arrow_tx(pa.array([0, 2**63 - 1], pa.timestamp("us")))),
        InvalidInputError,
        r"^timestamp: timestamp out of range at row 1$",
    ),
    (
        "rfm-timestamp-int64-max-with-as-of",
        lambda: ciblage.rfm(_arrow_tx(pa.array([0, 2**63 - 1], pa.timestamp("us"))), as_of="2024-01-01"),
        InvalidInputError,
        r"^timestamp: timestamp out of range at row 1$",
    ),
    (
        "rfm-timestamp-near-int64-min",
        lambda: ciblage.rfm(_arrow_tx(pa.array([-(2**63) + 1, 0], pa.timestamp("us")))),
        InvalidInputError,
        r"^timestamp: timestamp out of range at row 0$",
    ),
    (
        "rfm-timestamp-out-of-range-named",
        lambda: ciblage.rfm(
            _arrow_tx(pa.array([0, 2**31 - 1], pa.date32())).rename_columns(["customer_id", "when", "amount"]),
            timestamp="when",
        ),
        InvalidInputError,
        r'^timestamp \(column "when"\): timestamp out of range at row 1$',
    ),
    (
        "retention-date32-max",
        lambda: ciblage.retention(_arrow_tx(pa.array([0, 2**31 - 1], pa.date32()))),
        InvalidInputError,
        r"^timestamp: timestamp out of range at row 1$",
    ),
    # --- empty tables whose columns have no type ---------------------------------
    (
        "rfm-empty-dict",
        lambda: ciblage.rfm({"customer_id": [], "timestamp": [], "amount": []}),
        InvalidInputError,
        r"^transactions: input is empty$",
    ),
    (
        "rfm-empty-untyped-pandas",
        lambda: ciblage.rfm(pd.DataFrame(columns=["customer_id", "timestamp", "amount"])),
        InvalidInputError,
        r"^transactions: input is empty$",
    ),
    (
        "totals-empty-dict",
        lambda: ciblage.customer_totals({"customer_id": [], "amount": []}),
        InvalidInputError,
        r"^transactions: input is empty$",
    ),
    (
        "totals-empty-dict-missing-column-first",
        lambda: ciblage.customer_totals({"customer_id": []}),
        ColumnNotFoundError,
        r'^amount: column "amount" not found',
    ),
    # --- polars types Arrow cannot take ------------------------------------------
    (
        "rfm-polars-int128-ids",
        lambda: ciblage.rfm(pl.from_pandas(tx()).with_columns(pl.col("customer_id").cast(pl.Int128))),
        ColumnTypeError,
        r'^customer: column "customer_id" has polars type Int128',
    ),
    (
        "totals-polars-int128-amounts",
        lambda: ciblage.customer_totals(
            pl.DataFrame({"customer_id": [1, 2], "amount": [1, 2]}).with_columns(pl.col("amount").cast(pl.Int128))
        ),
        ColumnTypeError,
        r'^amount: column "amount" has polars type Int128',
    ),
    # --- output columns that would take an input column's name -------------------
    (
        "totals-id-named-revenue",
        lambda: ciblage.customer_totals(tx().rename(columns={"customer_id": "revenue"}), customer="revenue"),
        InvalidParameterError,
        r'^invalid parameter customer: column "revenue" is kept in the output',
    ),
    (
        "totals-id-named-transactions-polars",
        lambda: ciblage.customer_totals(
            pl.from_pandas(tx().rename(columns={"customer_id": "transactions"})), customer="transactions"
        ),
        InvalidParameterError,
        r'^invalid parameter customer: column "transactions"',
    ),
    (
        "totals-id-named-margin-with-cost",
        lambda: ciblage.customer_totals(
            tx(c=[1.0, 1.0, 1.0]).rename(columns={"customer_id": "margin"}), customer="margin", cost="c"
        ),
        InvalidParameterError,
        r'^invalid parameter customer: column "margin"',
    ),
    (
        "tiers-value-named-rank",
        lambda: ciblage.value_tiers(CUSTOMERS.rename(columns={"monetary": "rank"}), value="rank"),
        InvalidParameterError,
        r'^invalid parameter value: column "rank" is kept in the output of value_tiers',
    ),
    (
        "tiers-id-named-tier",
        lambda: ciblage.value_tiers(CUSTOMERS.rename(columns={"customer_id": "tier"}), customer="tier"),
        InvalidParameterError,
        r'^invalid parameter customer: column "tier"',
    ),
    (
        "tiers-id-is-the-value",
        lambda: ciblage.value_tiers(CUSTOMERS, customer="monetary"),
        InvalidParameterError,
        r'^invalid parameter customer: column "monetary"',
    ),
    (
        "tiers-list-ids",
        lambda: ciblage.value_tiers(CUSTOMERS.assign(customer_id=[[1], [2], [3]])),
        ColumnTypeError,
        r'^customer \(column "customer_id"\): has type list<item: int64>',
    ),
    # --- an RFM table with every row excluded and no as_of -----------------------
    (
        "rfm-every-row-excluded",
        lambda: ciblage.rfm(tx(amount=[-1.0, -2.0, -3.0]), negative_amounts="exclude"),
        InvalidInputError,
        r"before the default reference date \(3 rows read, 0 after the reference date, 3 negative",
    ),
    # --- hand-edited Concentration pickles ---------------------------------------
    (
        "conc-state-missing-key",
        lambda: _concentration_state({"values": [1.0], "column": "value"}),
        InvalidInputError,
        r"^Concentration: the pickled state cannot be read: KeyError\('kind'\)",
    ),
    (
        "conc-state-text-values",
        lambda: _concentration_state({"values": "abc", "kind": "pyarrow", "column": "value"}),
        InvalidInputError,
        r"^Concentration: the pickled state cannot be read",
    ),
    (
        "conc-state-2d-values",
        lambda: _concentration_state({"values": [[1.0]], "kind": "pyarrow", "column": "value"}),
        InvalidInputError,
        r"^Concentration: the pickled values are not 1-D",
    ),
    (
        "conc-state-nan",
        lambda: _concentration_state({"values": [1.0, float("nan")], "kind": "pyarrow", "column": "v"}),
        InvalidInputError,
        r"^value \(column \"v\"\): non-finite value NaN at row 1$",
    ),
    # --- all-null columns (no type inferred) are nulls ---------------------------
    (
        "rfm-all-null-amounts",
        lambda: ciblage.rfm(tx(amount=[None, None, None])),
        InvalidInputError,
        r"^amount: null value at row 0$",
    ),
    (
        "rfm-all-null-ids",
        lambda: ciblage.rfm(tx(customer_id=[None, None, None])),
        InvalidInputError,
        r'^customer \(column "customer_id"\): null value at row 0$',
    ),
    (
        "rfm-all-null-timestamps-named",
        lambda: ciblage.rfm(tx(when=[None, None, None]), timestamp="when"),
        InvalidInputError,
        r'^timestamp \(column "when"\): null value at row 0$',
    ),
    (
        "rfm-all-null-cost",
        lambda: ciblage.rfm(tx(c=[None, None, None]), cost="c"),
        InvalidInputError,
        r'^cost \(column "c"\): null value at row 0$',
    ),
    (
        "rfm-polars-null-amounts",
        lambda: ciblage.rfm(
            pl.DataFrame({"customer_id": [1, 2], "timestamp": [dt.date(2024, 1, 1)] * 2, "amount": [None, None]})
        ),
        InvalidInputError,
        r"^amount: null value at row 0$",
    ),
    (
        "totals-all-null-amounts",
        lambda: ciblage.customer_totals({"customer_id": [1, 2], "amount": [None, None]}),
        InvalidInputError,
        r"^amount: null value at row 0$",
    ),
    (
        "tiers-all-null-values",
        lambda: ciblage.value_tiers(CUSTOMERS.assign(monetary=[None, None, None])),
        InvalidInputError,
        r'^value \(column "monetary"\): null value at row 0$',
    ),
    (
        "conc-all-none-list",
        lambda: ciblage.concentration([None, None]),
        InvalidInputError,
        r"^value: null value at row 0$",
    ),
    # --- synthetic data beyond what memory holds ----------------------------------
    (
        "data-transactions-above-1e8",
        lambda: ciblage.datasets.transactions(transactions=10**8 + 1),
        InvalidParameterError,
        r"^invalid parameter transactions: expected an integer from 1 to 100,000,000",
    ),
    (
        "data-customers-2-31",
        lambda: ciblage.datasets.transactions(customers=2**31),
        InvalidParameterError,
        r"^invalid parameter customers: expected an integer from 1 to 100,000,000",
    ),
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
    table = pa.table(
        {"customer_id": [1, 2, 2], "timestamp": pa.array([dt.date(2024, 1, d) for d in (1, 2, 3)]), "amount": amount}
    )
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
    table = pa.table(
        {
            "customer_id": ids,
            "timestamp": pa.array([dt.date(2024, 1, d) for d in (1, 2, 3)]),
            "amount": [10.0, 20.0, 30.0],
        }
    )
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


# --- second sweep: valid edge inputs ---------------------------------------------


@pytest.mark.parametrize(
    ("arrow_type", "values"),
    [(pa.decimal32(5, 2), ["10.25", "20.50", "30.75"]), (pa.decimal64(12, 3), ["10.250", "-20.500", "30.750"])],
    ids=["decimal32", "decimal64"],
)
def test_decimal32_and_decimal64_amounts(arrow_type, values) -> None:
    amounts = pa.array([decimal.Decimal(v) for v in values], arrow_type)
    table = pa.table(
        {"customer_id": [1, 2, 2], "timestamp": pa.array([dt.date(2024, 1, d) for d in (1, 2, 3)]), "amount": amounts}
    )
    expected = pd.DataFrame({"customer_id": [1, 2, 2], "amount": [float(v) for v in values]})
    assert ciblage.rfm(table, bins=2).column("monetary").to_pylist() == _monetary_by_pandas(expected)
    assert ciblage.customer_totals(table).column("revenue").to_pylist() == _monetary_by_pandas(expected)


@pytest.mark.parametrize("unit", ["Y", "M", "W", "D", "h", "m", "s", "ms", "us", "ns"])
def test_numpy_datetime64_of_every_unit_in_a_dict(unit) -> None:
    stamps = np.array(["2023-01-01", "2024-03-01T10:30", "2024-06-15T23:59"], dtype="datetime64[m]").astype(
        f"datetime64[{unit}]"
    )
    out = ciblage.rfm({"customer_id": [1, 2, 2], "timestamp": stamps, "amount": [1.0, 2.0, 3.0]}, bins=2)
    # numpy truncates to the unit; days are counted from the truncated instants.
    days = stamps.astype("datetime64[D]").astype("int64")
    as_of = days.max() + 1
    expected = [int(as_of - days[0]), int(as_of - max(days[1], days[2]))]
    assert out.column("recency_days").to_pylist() == expected


def test_subnormal_values_in_concentration() -> None:
    # Equal values, however small: the Lorenz curve is the diagonal.
    c = ciblage.concentration(np.full(3, 5e-324))
    assert c.gini == 0.0
    assert c.top_share(0.5) == pytest.approx(0.5, abs=1e-12)
    assert c.customers_for_value(0.5) == pytest.approx(0.5, abs=1e-12)
    assert c.lorenz(5).column("share_of_value").to_pylist() == pytest.approx([0, 0.25, 0.5, 0.75, 1], abs=1e-12)
    # 1..4 times 1e-310: the curve of 1..4, computed by numpy.
    x = np.array([1.0, 2.0, 3.0, 4.0])
    tiny = ciblage.concentration(x * 1e-310)
    cum = np.concatenate([[0.0], np.cumsum(x)]) / x.sum()
    p = np.linspace(0, 1, 9)
    expected = np.interp(p * len(x), np.arange(len(x) + 1), cum)
    assert tiny.lorenz(9).column("share_of_value").to_pylist() == pytest.approx(expected.tolist(), abs=1e-12)
    assert tiny.gini == pytest.approx(_gini(x), abs=1e-12)


def test_rfm_result_and_concentration_pickle() -> None:
    import copy
    import pickle

    result = ciblage.rfm_analysis(tx(customer_id=[1, 2, 3]), bins=2)
    back = pickle.loads(pickle.dumps(result))
    assert back.customers.equals(result.customers) and back.segments.equals(result.segments)
    assert (len(back), back.as_of, back.criteria) == (len(result), result.as_of, result.criteria)
    assert back.input_report == result.input_report and back.customers.attrs == result.customers.attrs
    assert copy.deepcopy(result).thresholds.equals(result.thresholds)
    c = ciblage.concentration(CUSTOMERS)
    again = pickle.loads(pickle.dumps(c))
    assert (again.gini, again.total, again.customers) == (c.gini, c.total, c.customers)
    assert type(again.lorenz(5)) is pd.DataFrame
    assert again.lorenz(5).equals(c.lorenz(5))
    assert again.top_share(0.3) == c.top_share(0.3)


def test_html_reprs_of_results() -> None:
    result = ciblage.rfm_analysis(tx(), bins=2)
    assert result._repr_html_().startswith("<div") and f"<b>{repr(result)}</b>" in result._repr_html_()
    assert "Champions" in result._repr_html_()
    tiers = ciblage.value_tiers(pa.table({"customer_id": ["a", "b"], "monetary": [1.0, 2.0]}), names=["<A>", "B", "C"])
    assert "&lt;A&gt;" in tiers._repr_html_() and "<A>" not in tiers._repr_html_()
    conc = ciblage.concentration(np.array([1.0, 3.0]))
    assert f"<b>{repr(conc)}</b>" in conc._repr_html_()


@pytest.mark.parametrize(
    "zone",
    [__import__("zoneinfo").ZoneInfo("Asia/Tokyo"), dt.timezone(dt.timedelta(hours=9)), dt.timezone.utc],
    ids=["zoneinfo", "fixed-offset", "utc"],
)
def test_timezone_as_a_tzinfo(zone) -> None:
    # 2024-01-01 20:00 UTC is 2024-01-02 05:00 in Tokyo (UTC+9, no DST).
    df = tx(timestamp=pd.to_datetime(["2024-01-01 20:00", "2024-01-01 10:00", "2024-01-03 10:00"]).tz_localize("UTC"))
    out = ciblage.rfm(df, timezone=zone, bins=2)
    local = df["timestamp"].dt.tz_convert(zone).dt.date
    as_of = local.max() + dt.timedelta(days=1)
    expected = [(as_of - d).days for d in pd.DataFrame({"c": df["customer_id"], "d": local}).groupby("c")["d"].max()]
    assert out["recency_days"].tolist() == expected


def test_big_endian_arrays_are_read_as_numbers() -> None:
    values = np.array([4.0, 1.0, 3.0, 2.0], dtype=">f8")
    assert ciblage.concentration(values).gini == pytest.approx(_gini(values.astype("<f8")), abs=1e-12)
    tiers = ciblage.value_tiers(values, method="abc", bounds=[0.5])
    assert tiers.customers.column("rank").to_pylist() == [1, 4, 2, 3]
    df = pd.DataFrame(
        {
            "customer_id": np.array([1, 2, 2], dtype=">i8"),
            "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]),
            "amount": np.array([10.0, 20.0, 30.0], dtype=">f8"),
        }
    )
    assert ciblage.rfm(df, bins=2)["monetary"].tolist() == [10.0, 50.0]
    as_dict = {c: df[c].to_numpy() for c in df.columns}
    assert ciblage.customer_totals(as_dict).column("revenue").to_pylist() == [10.0, 50.0]


def test_range_of_values() -> None:
    assert ciblage.concentration(range(1, 5)).gini == pytest.approx(_gini(np.arange(1, 5)), abs=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_value_tiers_against_numpy_with_ties_zeros_and_negative_zero(seed) -> None:
    rng = np.random.default_rng(seed)
    v = np.round(rng.normal(3, 5, 40))  # many ties, zeros, -0.0 and negatives
    v[:3] = [-0.0, 0.0, -0.0]
    # Ranks: highest first, ties (−0.0 == 0.0 included) in input order.
    order = np.argsort(-v, kind="stable")
    expected_rank = np.empty(len(v), dtype=int)
    expected_rank[order] = np.arange(1, len(v) + 1)
    counted = ciblage.value_tiers(v)
    assert counted.customers.column("rank").to_pylist() == expected_rank.tolist()
    # Count tiers of the positive customers: the customer straddling a
    # boundary goes to the upper tier (ranks up to ceil(n × cumulative share)).
    positive = v > 0
    ends = np.ceil(np.cumsum([0.05, 0.15, 0.80]) * positive.sum() - 1e-9)
    names = ["Best", "Standard", "Small"]
    expected = [
        "No value" if not p else names[int(np.searchsorted(ends, r, side="left"))]
        for p, r in zip(positive, expected_rank, strict=True)
    ]
    assert counted.customers.column("tier").to_pylist() == expected
    # ABC: a customer's class is set by the value share held before him.
    abc = ciblage.value_tiers(v, method="abc")
    total = v[positive].sum()
    before = {i: v[order[:k]][v[order[:k]] > 0].sum() / total for k, i in enumerate(order)}
    expected_abc = [
        "No value" if not positive[i] else "ABC"[int(np.searchsorted([0.8, 0.95], before[i], side="right"))]
        for i in range(len(v))
    ]
    assert abc.customers.column("tier").to_pylist() == expected_abc


def test_segment_tables_hash_like_their_equality() -> None:
    a, b = ciblage.SegmentTable.classic(), ciblage.SegmentTable.from_json(CLASSIC.to_json())
    other = ciblage.SegmentTable([RULE])
    assert a == b and hash(a) == hash(b) and len({a, b, other}) == 2


def test_segment_dicts_with_numpy_scores_and_upper_case_file_extensions() -> None:
    rules = {
        "segment": [
            {
                "name": "A",
                "recency": [np.int64(1), np.int64(5)],
                "frequency": np.array([1, 5]),
                "monetary": [1, np.uint8(5)],
            }
        ]
    }
    plain = ciblage.SegmentTable([("A", (1, 5), (1, 5), (1, 5))])
    out = ciblage.rfm(tx(), segments=rules, bins=2)
    # One rule covering every cell: every customer is "A".
    assert out["segment"].astype(str).tolist() == ["A", "A"]
    path = _file("UPPER.JSON", plain.to_json().encode())
    assert ciblage.rfm(tx(), segments=path, bins=2)["segment"].astype(str).tolist() == ["A", "A"]


def test_dates_before_year_1_come_back_to_pandas_as_datetime64() -> None:
    # 800,000 days before 1970-01-01 is in the year -221 (proleptic Gregorian).
    days = pa.array([-800_000, 0], pa.date32())
    df = pd.DataFrame(
        {"customer_id": [1, 2], "timestamp": pd.Series(days, dtype=pd.ArrowDtype(pa.date32())), "amount": [1.0, 2.0]}
    )
    out = ciblage.rfm(df, as_of="2024-01-01", bins=2)
    as_of = np.datetime64("2024-01-01", "D").astype("int64")
    assert out["recency_days"].tolist() == [int(as_of + 800_000), int(as_of)]
    assert out["first_purchase"].dtype == np.dtype("datetime64[ms]")
    assert out["first_purchase"].iloc[0] == pd.Timestamp(np.datetime64(-800_000, "D"))


def test_value_none_is_the_default_column() -> None:
    # value=None names the default column: "monetary" (or "clv" for a
    # customer_value result), as if value were not given.
    a = ciblage.value_tiers(CUSTOMERS, value=None)
    b = ciblage.value_tiers(CUSTOMERS)
    assert a.customers.equals(b.customers)
