"""Catalogue of bad and edge inputs of retention, churn_flags, migration and
the lifecycle entry points: each case either raises one of our exception
classes with a message naming the argument or column, or gives the result of
an independent pandas computation."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
import warnings
from collections.abc import Callable
from pathlib import Path
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
    RuleFileError,
)

TX = pd.DataFrame(
    {
        "customer_id": [1, 1, 2, 3, 3, 4],
        "timestamp": pd.to_datetime(
            ["2024-01-03", "2024-02-10", "2024-02-11", "2024-03-01", "2024-03-20", "2024-04-02"]
        ),
        "amount": [10.0, 20.0, -5.0, 7.0, 0.0, 12.0],
    }
)

CUSTOMERS = pd.DataFrame(
    {"customer_id": ["a", "b", "c"], "frequency": [3, 4, 5], "recency_days": [5, 5, 5], "tenure_days": [400, 400, 400]}
)
CONTACTS = pd.DataFrame({"customer_id": ["a", "b"], "date": pd.to_datetime(["2024-05-30", "2024-05-31"])})
TODAY = "2024-06-01"


def _labels(ids: list[Any], segs: list[Any]) -> pd.DataFrame:
    return pd.DataFrame({"customer_id": ids, "segment": segs})


def _rule_file(tmp: Path, name: str, data: bytes) -> str:
    path = tmp / name
    path.write_bytes(data)
    return str(path)


def _quiet(f: Callable[[], Any]) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RowsLeftOutWarning)
        warnings.simplefilter("ignore", ciblage.exceptions.DegenerateCriterionWarning)
        return f()


# (id, call(tmp_path), exception class, regex the message must match)
BAD: list[tuple[str, Callable[[Path], Any], type[Exception], str]] = [
    # retention: parameters
    (
        "retention-churn_after-huge",
        lambda _: ciblage.retention(TX, churn_after=10**12),
        InvalidParameterError,
        "churn_after",
    ),
    (
        "retention-churn_after-zero",
        lambda _: ciblage.retention(TX, churn_after=0),
        InvalidParameterError,
        "churn_after",
    ),
    (
        "retention-churn_after-float",
        lambda _: ciblage.retention(TX, churn_after=2.5),
        InvalidParameterError,
        "churn_after",
    ),
    (
        "retention-churn_after-bool",
        lambda _: ciblage.retention(TX, churn_after=True),
        InvalidParameterError,
        "churn_after",
    ),
    (
        "retention-as_of-garbage",
        lambda _: ciblage.retention(TX, as_of="2024-01-05garbage"),
        InvalidParameterError,
        "as_of.*garbage",
    ),
    ("retention-as_of-nat", lambda _: ciblage.retention(TX, as_of=pd.NaT), InvalidParameterError, "as_of"),
    ("retention-as_of-number", lambda _: ciblage.retention(TX, as_of=20240105), InvalidParameterError, "as_of"),
    (
        "retention-origin-bad-month",
        lambda _: ciblage.retention(TX, period="7d", origin="2024-13-01"),
        InvalidParameterError,
        "origin",
    ),
    ("retention-period-unknown", lambda _: ciblage.retention(TX, period="fortnight"), InvalidParameterError, "period"),
    ("retention-period-not-str", lambda _: ciblage.retention(TX, period=5), InvalidParameterError, "period"),
    ("retention-period-0d", lambda _: ciblage.retention(TX, period="0d"), InvalidParameterError, "period"),
    ("retention-period-negative-days", lambda _: ciblage.retention(TX, period="-5d"), InvalidParameterError, "period"),
    (
        "retention-week_start",
        lambda _: ciblage.retention(TX, period="week", week_start="funday"),
        InvalidParameterError,
        "week_start",
    ),
    ("retention-timezone-int", lambda _: ciblage.retention(TX, timezone=5), InvalidParameterError, "timezone"),
    (
        "retention-timezone-unknown",
        lambda _: ciblage.retention(TX, timezone="Mars/Base"),
        InvalidParameterError,
        "timezone",
    ),
    (
        "retention-too-many-periods",
        lambda _: ciblage.retention(
            pd.DataFrame(
                {"customer_id": [1, 2], "timestamp": pd.to_datetime(["2000-01-01", "2013-09-09"]), "amount": [1.0, 1.0]}
            ),
            period="day",
        ),
        InvalidParameterError,
        "period.*more than 2000",
    ),
    ("retention-cohorts-kind", lambda _: ciblage.retention(TX).cohorts("x"), InvalidParameterError, "kind"),
    (
        "retention-cohorts-shares",
        lambda _: ciblage.retention(TX).cohorts(shares="yes"),
        InvalidParameterError,
        "shares",
    ),
    ("retention-missing-column", lambda _: ciblage.retention(TX, amount="price"), ColumnNotFoundError, "price"),
    # churn_flags: parameters
    ("churn-days-huge", lambda _: ciblage.churn_flags(TX, days=2**40), InvalidParameterError, "days"),
    ("churn-days-negative", lambda _: ciblage.churn_flags(TX, days=-1), InvalidParameterError, "days"),
    ("churn-days-str", lambda _: ciblage.churn_flags(TX, days="30"), InvalidParameterError, "days"),
    (
        "churn-fallback-huge",
        lambda _: ciblage.churn_flags(TX, rule="median_gap", fallback_days=10**12),
        InvalidParameterError,
        "fallback_days",
    ),
    (
        "churn-multiple-str",
        lambda _: ciblage.churn_flags(TX, rule="median_gap", multiple="x"),
        InvalidParameterError,
        "multiple",
    ),
    (
        "churn-multiple-zero",
        lambda _: ciblage.churn_flags(TX, rule="median_gap", multiple=0),
        InvalidParameterError,
        "multiple",
    ),
    (
        "churn-multiple-nan",
        lambda _: ciblage.churn_flags(TX, rule="median_gap", multiple=float("nan")),
        InvalidParameterError,
        "multiple",
    ),
    ("churn-rule", lambda _: ciblage.churn_flags(TX, rule="x"), InvalidParameterError, "rule"),
    (
        "churn-as_of-garbage",
        lambda _: ciblage.churn_flags(TX, as_of="2024-01-05garbage"),
        InvalidParameterError,
        "as_of",
    ),
    ("churn-timezone-int", lambda _: ciblage.churn_flags(TX, timezone=5), InvalidParameterError, "timezone"),
    # migration
    (
        "migration-duplicate-before",
        lambda _: ciblage.migration(_labels([1, 1], ["a", "b"]), _labels([1], ["a"])),
        InvalidInputError,
        r"before column 'customer_id'.*customer id 1 appears 2 times",
    ),
    (
        "migration-duplicate-after",
        lambda _: ciblage.migration(_labels(["x"], ["a"]), _labels(["x", "y", "y"], ["a", "b", "b"])),
        InvalidInputError,
        r"after column 'customer_id'.*'y' appears 2 times",
    ),
    (
        "migration-null-label-before",
        lambda _: ciblage.migration(_labels([1, 2], ["a", None]), _labels([1], ["a"])),
        InvalidInputError,
        r"before column 'segment'.*null segment label",
    ),
    (
        "migration-null-id-after",
        lambda _: ciblage.migration(_labels([1], ["a"]), _labels([1, None], ["a", "b"])),
        InvalidInputError,
        r"after column 'customer_id'.*null id",
    ),
    (
        "migration-int-vs-str-ids",
        lambda _: ciblage.migration(_labels([1], ["a"]), _labels(["1"], ["a"])),
        ColumnTypeError,
        r"after column 'customer_id'.*before column 'customer_id'",
    ),
    (
        "migration-float-ids",
        lambda _: ciblage.migration(_labels([1.5], ["a"]), _labels([1.5], ["a"])),
        ColumnTypeError,
        r"before column 'customer_id'",
    ),
    (
        "migration-absent-is-a-label",
        lambda _: ciblage.migration(_labels([1], ["(absent)"]), _labels([1], ["a"])),
        InvalidParameterError,
        "absent",
    ),
    (
        "migration-absent-not-str",
        lambda _: ciblage.migration(_labels([1], ["a"]), _labels([1], ["a"]), absent=5),
        InvalidParameterError,
        "absent",
    ),
    (
        "migration-missing-column",
        lambda _: ciblage.migration(_labels([1], ["a"]), _labels([1], ["a"]), segment="tier"),
        ColumnNotFoundError,
        "tier",
    ),
    # lifecycle.evaluate
    (
        "evaluate-duplicate-ids",
        lambda _: ciblage.lifecycle.evaluate(CUSTOMERS.assign(customer_id=["a", "b", "a"]), today=TODAY),
        InvalidInputError,
        r"customers column 'customer_id'.*'a' appears 2 times",
    ),
    (
        "evaluate-null-id",
        lambda _: ciblage.lifecycle.evaluate(CUSTOMERS.assign(customer_id=["a", None, "c"]), today=TODAY),
        InvalidInputError,
        r"customers column 'customer_id'.*null id at row 1",
    ),
    (
        "evaluate-history-null-date",
        lambda _: ciblage.lifecycle.evaluate(
            CUSTOMERS, today=TODAY, history=CONTACTS.assign(date=pd.to_datetime(["2024-05-30", None]))
        ),
        InvalidInputError,
        r"history_date.*'date'.*null date at row 1",
    ),
    (
        "evaluate-history-null-id",
        lambda _: ciblage.lifecycle.evaluate(CUSTOMERS, today=TODAY, history=CONTACTS.assign(customer_id=["a", None])),
        InvalidInputError,
        r"history column 'customer_id'.*null id",
    ),
    (
        "evaluate-history-int-vs-str",
        lambda _: ciblage.lifecycle.evaluate(CUSTOMERS, today=TODAY, history=CONTACTS.assign(customer_id=[1, 2])),
        ColumnTypeError,
        r"history column 'customer_id'.*customers column 'customer_id'",
    ),
    (
        "evaluate-history-date-type",
        lambda _: ciblage.lifecycle.evaluate(CUSTOMERS, today=TODAY, history=CONTACTS.assign(date=["x", "y"])),
        ColumnTypeError,
        "history_date",
    ),
    (
        "evaluate-today-garbage",
        lambda _: ciblage.lifecycle.evaluate(CUSTOMERS, today="2024-01-05garbage"),
        InvalidParameterError,
        "today",
    ),
    (
        "evaluate-customer-not-str",
        lambda _: ciblage.lifecycle.evaluate(CUSTOMERS, today=TODAY, customer=5),
        InvalidParameterError,
        "customer",
    ),
    (
        "evaluate-contract_end-strings",
        lambda _: ciblage.lifecycle.evaluate(CUSTOMERS.assign(contract_end=["soon"] * 3), today=TODAY),
        ColumnTypeError,
        "contract_end",
    ),
    (
        "evaluate-rules-yaml",
        lambda _: ciblage.lifecycle.evaluate(CUSTOMERS, today=TODAY, rules="rules.yaml"),
        InvalidParameterError,
        "rules",
    ),
    (
        "evaluate-rules-missing-file",
        lambda tmp: ciblage.lifecycle.evaluate(CUSTOMERS, today=TODAY, rules=str(tmp / "none.toml")),
        RuleFileError,
        "none.toml",
    ),
    (
        "evaluate-rules-not-utf8",
        lambda tmp: ciblage.lifecycle.evaluate(
            CUSTOMERS,
            today=TODAY,
            rules=_rule_file(tmp, "latin.toml", b'version = 1\n[channels]\ndefault = "caf\xe9"\n'),
        ),
        RuleFileError,
        r"latin\.toml.*line 3.*UTF-8",
    ),
    (
        "evaluate-rules-negative-former_days",
        lambda tmp: ciblage.lifecycle.evaluate(
            CUSTOMERS, today=TODAY, rules=_rule_file(tmp, "neg.toml", b"version = 1\n[stages]\nformer_days = -5\n")
        ),
        RuleFileError,
        r"neg\.toml.*line 3.*stages\.former_days",
    ),
    (
        "evaluate-rules-json-negative-cost",
        lambda tmp: ciblage.lifecycle.evaluate(
            CUSTOMERS,
            today=TODAY,
            rules=_rule_file(
                tmp, "cost.json", b'{"version": 1,\n "rule": [\n  {"name": "r", "action": "a", "cost": -1}]}'
            ),
        ),
        RuleFileError,
        r"cost\.json.*line 3.*cost",
    ),
    # rule files through RuleSet
    (
        "ruleset-window-zero",
        lambda _: ciblage.lifecycle.RuleSet.from_toml("version = 1\n[pressure]\nwindow_days = 0\n"),
        RuleFileError,
        r"line 3.*pressure\.window_days",
    ),
    (
        "ruleset-max-contacts-negative",
        lambda _: ciblage.lifecycle.RuleSet.from_toml("version = 1\n[pressure]\nmax_contacts = -1\n"),
        RuleFileError,
        r"line 3",
    ),
    (
        "ruleset-new_days-nan",
        lambda _: ciblage.lifecycle.RuleSet.from_toml("version = 1\n[stages]\nnew_days = nan\n"),
        RuleFileError,
        r"line 3.*stages\.new_days",
    ),
    (
        "ruleset-condition-inf",
        lambda _: ciblage.lifecycle.RuleSet.from_toml(
            'version = 1\n[[rule]]\nname = "r"\naction = "a"\nwhen = [{ field = "monetary", op = ">", value = inf }]\n'
        ),
        RuleFileError,
        r"line 2.*when\[0\]",
    ),
    (
        "ruleset-unknown-per-stage",
        lambda _: ciblage.lifecycle.RuleSet.from_json('{"version": 1,\n "pressure": {\n  "per_stage": {"vip": 1}}}'),
        RuleFileError,
        r"line 3.*pressure\.per_stage",
    ),
    ("ruleset-text-not-str", lambda _: ciblage.lifecycle.RuleSet.from_toml(5), InvalidParameterError, "text"),
    (
        "ruleset-bytes-not-utf8",
        lambda _: ciblage.lifecycle.RuleSet.from_json(b'{"version": 1,\n "channels": {"default": "caf\xe9"}}'),
        RuleFileError,
        r"line 2.*UTF-8",
    ),
    (
        "ruleset-reactivated-false",
        lambda _: ciblage.lifecycle.RuleSet.from_toml(
            'version = 1\n[[rule]]\nname = "r"\naction = "a"\ntrigger = { reactivated = false }\n'
        ),
        RuleFileError,
        r"line 2.*trigger",
    ),
    # lifecycle.customer_state
    # (the tiny table makes the RFM scores degenerate: quiet, see _quiet)
    (
        "state-window-huge",
        lambda _: ciblage.lifecycle.customer_state(TX, today=TODAY, window_days=2**40),
        InvalidParameterError,
        "window_days",
    ),
    (
        "state-window-zero",
        lambda _: ciblage.lifecycle.customer_state(TX, today=TODAY, window_days=0),
        InvalidParameterError,
        "window_days",
    ),
    (
        "state-window-float",
        lambda _: ciblage.lifecycle.customer_state(TX, today=TODAY, window_days=30.0),
        InvalidParameterError,
        "window_days",
    ),
    (
        "state-today-garbage",
        lambda _: ciblage.lifecycle.customer_state(TX, today="2024-06-01garbage"),
        InvalidParameterError,
        "today",
    ),
    (
        "state-timezone-int",
        lambda _: ciblage.lifecycle.customer_state(TX, today=TODAY, timezone=5),
        InvalidParameterError,
        "timezone",
    ),
    # parameters that would be ignored in some combination
    *[
        (
            f"retention-origin-with-{p}",
            lambda _, p=p: ciblage.retention(TX, period=p, origin="2024-01-01"),
            InvalidParameterError,
            r"invalid parameter origin.*blocks of days",
        )
        for p in ("day", "week", "month", "quarter", "year")
    ],
    (
        "retention-week_start-with-month",
        lambda _: ciblage.retention(TX, week_start="sunday"),
        InvalidParameterError,
        r"invalid parameter week_start.*period='month'",
    ),
    (
        "retention-week_start-bad-with-day",
        lambda _: ciblage.retention(TX, period="day", week_start=5),
        InvalidParameterError,
        "week_start",
    ),
    (
        "retention-survival-shares",
        lambda _: ciblage.retention(TX).cohorts("survival", shares=False),
        InvalidParameterError,
        "invalid parameter shares.*survival",
    ),
    (
        "churn-multiple-with-days-rule",
        lambda _: ciblage.churn_flags(TX, multiple=2.0),
        InvalidParameterError,
        "invalid parameter multiple.*rule='days'",
    ),
    (
        "churn-fallback-with-days-rule",
        lambda _: ciblage.churn_flags(TX, fallback_days=30),
        InvalidParameterError,
        "invalid parameter fallback_days.*rule='days'",
    ),
    (
        "churn-days-with-median-gap",
        lambda _: ciblage.churn_flags(TX, rule="median_gap", days=30),
        InvalidParameterError,
        "invalid parameter days.*rule='median_gap'",
    ),
    (
        "evaluate-history_date-without-history",
        lambda _: ciblage.lifecycle.evaluate(CUSTOMERS, today=TODAY, history_date="contacted_on"),
        InvalidParameterError,
        "invalid parameter history_date.*no history",
    ),
    (
        "evaluate-history_customer-without-history",
        lambda _: ciblage.lifecycle.evaluate(CUSTOMERS, today=TODAY, history_customer="id"),
        InvalidParameterError,
        "invalid parameter history_customer",
    ),
    (
        "evaluate-tier-named-and-missing",
        lambda _: ciblage.lifecycle.evaluate(CUSTOMERS, today=TODAY, tier="value_tier"),
        ColumnNotFoundError,
        "tier.*'value_tier' not found",
    ),
    (
        "evaluate-contract_end-named-and-missing",
        lambda _: ciblage.lifecycle.evaluate(CUSTOMERS, today=TODAY, contract_end="ends_on"),
        ColumnNotFoundError,
        "contract_end.*'ends_on' not found",
    ),
    (
        "evaluate-contract_end-beside-contract_end_days",
        lambda _: ciblage.lifecycle.evaluate(
            CUSTOMERS.assign(contract_end=pd.Timestamp("2024-07-01"), contract_end_days=3), today=TODAY
        ),
        InvalidInputError,
        "contract_end.*'contract_end_days'",
    ),
    # several time zones in one column (object columns of datetimes)
    (
        "retention-several-zones",
        lambda _: ciblage.retention(
            TX.assign(timestamp=[pd.Timestamp("2024-01-03", tz="UTC"), pd.Timestamp("2024-01-03", tz="Asia/Tokyo")] * 3)
        ),
        ColumnTypeError,
        r'timestamp: column "timestamp" holds timestamps of several time zones',
    ),
    (
        "retention-naive-and-aware",
        lambda _: ciblage.retention(
            TX.assign(
                timestamp=pd.Series(
                    [pd.Timestamp("2024-01-03"), pd.Timestamp("2024-01-03", tz="Asia/Tokyo")] * 3, dtype=object
                )
            )
        ),
        ColumnTypeError,
        r'"timestamp".*several time zones.*naive',
    ),
    (
        "retention-dict-several-offsets",
        lambda _: ciblage.retention(
            {
                "customer_id": [1, 2],
                "amount": [1.0, 1.0],
                "timestamp": [
                    dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc),
                    dt.datetime(2024, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=9))),
                ],
            }
        ),
        ColumnTypeError,
        r'"timestamp".*several time zones',
    ),
    (
        "churn-several-zones",
        lambda _: ciblage.churn_flags(
            TX.assign(
                ts=[pd.Timestamp("2024-01-03", tz="Europe/Paris"), pd.Timestamp("2024-01-03", tz="America/New_York")]
                * 3
            ),
            timestamp="ts",
        ),
        ColumnTypeError,
        r'timestamp: column "ts" holds timestamps of several time zones',
    ),
    (
        "state-several-zones",
        lambda _: ciblage.lifecycle.customer_state(
            TX.assign(
                timestamp=[pd.Timestamp("2024-01-03", tz="UTC"), pd.Timestamp("2024-01-03", tz="Asia/Tokyo")] * 3
            ),
            today=TODAY,
        ),
        ColumnTypeError,
        r'"timestamp".*several time zones',
    ),
    (
        "evaluate-history-several-zones",
        lambda _: ciblage.lifecycle.evaluate(
            CUSTOMERS,
            today=TODAY,
            history=CONTACTS.assign(
                date=[pd.Timestamp("2024-05-30", tz="UTC"), pd.Timestamp("2024-05-31", tz="Asia/Tokyo")]
            ),
        ),
        ColumnTypeError,
        r'history_date: column "date" holds timestamps of several time zones',
    ),
    (
        "evaluate-contract_end-several-zones",
        lambda _: ciblage.lifecycle.evaluate(
            CUSTOMERS.assign(
                contract_end=[pd.Timestamp("2024-06-30", tz="UTC"), pd.Timestamp("2024-06-30", tz="Asia/Tokyo"), pd.NaT]
            ),
            today=TODAY,
        ),
        ColumnTypeError,
        r'contract_end: column "contract_end" holds timestamps of several time zones',
    ),
    (
        "evaluate-history-unknown-zone-of-the-column",
        lambda _: ciblage.lifecycle.evaluate(
            CUSTOMERS,
            today=TODAY,
            history=pa.table({"customer_id": ["a"], "date": pa.array([0], pa.timestamp("s", tz="Mars/Base"))}),
        ),
        ColumnTypeError,
        r"history_date: column 'date'.*time zone \"Mars/Base\"",
    ),
    (
        "evaluate-history-date-out-of-range",
        lambda _: ciblage.lifecycle.evaluate(
            CUSTOMERS,
            today=TODAY,
            history=pa.table({"customer_id": ["a", "b"], "date": pa.array([0, 2**62], pa.timestamp("s"))}),
        ),
        InvalidInputError,
        r"history_date: column 'date': timestamp out of range at row 1",
    ),
    # repeated column names
    (
        "retention-repeated-column",
        lambda _: ciblage.retention(pd.concat([TX, TX[["amount"]]], axis=1)),
        InvalidInputError,
        r'amount: column "amount" appears 2 times',
    ),
    (
        "churn-repeated-column",
        lambda _: ciblage.churn_flags(pd.concat([TX, TX[["customer_id"]]], axis=1)),
        InvalidInputError,
        r'customer: column "customer_id" appears 2 times',
    ),
    (
        "state-repeated-column",
        lambda _: ciblage.lifecycle.customer_state(pd.concat([TX, TX[["timestamp"]]], axis=1), today=TODAY),
        InvalidInputError,
        r'timestamp: column "timestamp" appears 2 times',
    ),
    (
        "migration-repeated-column",
        lambda _: ciblage.migration(
            pd.DataFrame([[1, "a", "b"]], columns=["customer_id", "segment", "segment"]), _labels([1], ["a"])
        ),
        InvalidInputError,
        r'segment: column "segment" appears 2 times',
    ),
    (
        "evaluate-repeated-column",
        lambda _: ciblage.lifecycle.evaluate(pd.concat([CUSTOMERS, CUSTOMERS[["frequency"]]], axis=1), today=TODAY),
        InvalidInputError,
        r'frequency: column "frequency" appears 2 times',
    ),
    (
        "evaluate-history-repeated-column",
        lambda _: ciblage.lifecycle.evaluate(
            CUSTOMERS, today=TODAY, history=pd.concat([CONTACTS, CONTACTS[["date"]]], axis=1)
        ),
        InvalidInputError,
        r'history_date: column "date" appears 2 times',
    ),
    # migration: labels and columns
    (
        "migration-labels-of-mixed-types",
        lambda _: ciblage.migration(_labels([1, 2], [1, "a"]), _labels([1, 2], ["a", "a"])),
        ColumnTypeError,
        r'segment: column "segment" cannot be read as one type',
    ),
    (
        "migration-nested-labels",
        lambda _: ciblage.migration(_labels([1], [[1, 2]]), _labels([1], [[1]])),
        ColumnTypeError,
        r"before column 'segment': labels of type list",
    ),
    (
        "migration-same-column-for-id-and-label",
        lambda _: ciblage.migration(_labels([1], ["a"]), _labels([1], ["a"]), customer="segment"),
        InvalidParameterError,
        r"invalid parameter segment.*'segment'",
    ),
    (
        "migration-label-named-before",
        lambda _: ciblage.migration(_labels([1], ["a"]), _labels([1], ["before"])),
        InvalidInputError,
        r"after column 'segment'.*label 'before'",
    ),
    (
        "migration-absent-named-before",
        lambda _: ciblage.migration(_labels([1], ["a"]), _labels([2], ["a"]), absent="before"),
        InvalidParameterError,
        "invalid parameter absent",
    ),
    (
        "migration-empty-untyped",
        lambda _: ciblage.migration(pd.DataFrame({"customer_id": [], "segment": []}), _labels([1], ["a"])),
        InvalidInputError,
        "before: input is empty",
    ),
    (
        "migration-not-a-table",
        lambda _: ciblage.migration([1, 2], _labels([1], ["a"])),
        ColumnTypeError,
        r"before.*list",
    ),
    # lifecycle: field values
    (
        "evaluate-infinite-field",
        lambda _: ciblage.lifecycle.evaluate(CUSTOMERS.assign(frequency=[1.0, 2.0, np.inf]), today=TODAY),
        InvalidInputError,
        r"frequency: non-finite value inf at row 2",
    ),
    (
        "evaluate-minus-infinite-field",
        lambda _: ciblage.lifecycle.evaluate(CUSTOMERS.assign(recency_days=[-np.inf, 2.0, 3.0]), today=TODAY),
        InvalidInputError,
        r"recency_days: non-finite value -inf at row 0",
    ),
    (
        "evaluate-nested-tier",
        lambda _: ciblage.lifecycle.evaluate(CUSTOMERS.assign(tier=[[1], [2], [3]]), today=TODAY),
        ColumnTypeError,
        r"tier: column 'tier'",
    ),
    (
        "evaluate-history-not-a-table",
        lambda _: ciblage.lifecycle.evaluate(CUSTOMERS, today=TODAY, history=[1, 2]),
        ColumnTypeError,
        r"history.*list",
    ),
    (
        "evaluate-history-empty-frame",
        lambda _: ciblage.lifecycle.evaluate(CUSTOMERS, today=TODAY, history=pd.DataFrame()),
        ColumnNotFoundError,
        r'history_customer: column "customer_id" not found',
    ),
    (
        "evaluate-today-bool",
        lambda _: ciblage.lifecycle.evaluate(CUSTOMERS, today=True),
        InvalidParameterError,
        "today",
    ),
    (
        "retention-uint64-ids-beyond-int64",
        lambda _: ciblage.retention(
            pa.table(
                {
                    "customer_id": pa.array([2**64 - 1], pa.uint64()),
                    "timestamp": pa.array([dt.date(2024, 1, 1)]),
                    "amount": [1.0],
                }
            )
        ),
        ColumnTypeError,
        r'customer: column "customer_id" has type UInt64',
    ),
    (
        "retention-as_of-far-future",
        lambda _: ciblage.retention(TX, as_of="9999-12-31"),
        InvalidParameterError,
        "period.*more than 2000",
    ),
    (
        "retention-nullable-int-id-missing",
        lambda _: ciblage.retention(TX.assign(customer_id=pd.array([1, None, 2, 3, 3, 4], dtype="Int64"))),
        InvalidInputError,
        r'customer \(column "customer_id"\): null value at row 1',
    ),
    (
        "churn-nullable-float-amount-missing",
        lambda _: ciblage.churn_flags(TX.assign(amount=pd.array([1, None, 1, 1, 1, 1], dtype="Float64"))),
        InvalidInputError,
        "amount: null value at row 1",
    ),
    (
        "retention-origin-nat",
        lambda _: ciblage.retention(TX, period="7d", origin=np.datetime64("NaT")),
        InvalidParameterError,
        "invalid parameter origin",
    ),
    (
        "state-customer-missing",
        lambda _: ciblage.lifecycle.customer_state(TX, today=TODAY, customer="id"),
        ColumnNotFoundError,
        r'customer: column "id" not found',
    ),
    (
        "retention-pyarrow-repeated-column",
        lambda _: ciblage.retention(
            pa.table(
                [pa.array([1]), pa.array([dt.date(2024, 1, 1)]), pa.array([1.0]), pa.array([2.0])],
                names=["customer_id", "timestamp", "amount", "amount"],
            )
        ),
        InvalidInputError,
        r'amount: column "amount" appears 2 times',
    ),
    (
        "evaluate-customers-none",
        lambda _: ciblage.lifecycle.evaluate(None, today=TODAY),
        ColumnTypeError,
        "customers.*NoneType",
    ),
]


@pytest.mark.parametrize(("call", "error", "pattern"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_input_raises_a_named_error(
    call: Callable[[Path], Any], error: type[Exception], pattern: str, tmp_path: Path
) -> None:
    with pytest.raises(error, match=pattern):
        _quiet(lambda: call(tmp_path))


# ----------------------------------------------------------------- results


def test_retention_books_every_row_in_its_own_period() -> None:
    # A return in December 2023 before customer 9's first purchase.
    tx = pd.concat(
        [
            TX,
            pd.DataFrame(
                {
                    "customer_id": [9, 9],
                    "timestamp": pd.to_datetime(["2023-12-20", "2024-03-05"]),
                    "amount": [-4.0, 6.0],
                }
            ),
        ],
        ignore_index=True,
    )
    as_of = pd.Timestamp("2024-04-01")
    r = ciblage.retention(tx, as_of="2024-04-01")
    kept = tx[tx["timestamp"] < as_of]
    expected = kept.groupby(kept["timestamp"].dt.strftime("%Y-%m"))["amount"].sum()
    got = r.periods.set_index("period")["revenue"]
    assert list(got.index) == ["2023-12", "2024-01", "2024-02", "2024-03"]
    np.testing.assert_allclose(got.reindex(expected.index), expected)
    assert got.sum() == pytest.approx(kept["amount"].sum())
    # Rows after as_of were asked for: counted, no warning.
    assert r.input_report["left_out"] == {"after_as_of": int((tx["timestamp"] >= as_of).sum())}
    assert r.input_report["rows_read"] == len(tx)
    # Customer 9's cohort (March) holds his December return apart.
    sizes = r.cohort_sizes.set_index("cohort")
    assert sizes.loc["2024-03", "revenue_before"] == -4.0


def test_retention_cohort_revenue_adds_up_to_the_period_revenue() -> None:
    rng = np.random.default_rng(5)
    n = 400
    tx = pd.DataFrame(
        {
            "customer_id": rng.integers(0, 60, n),
            "timestamp": pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 500, n), unit="D"),
            "amount": np.round(rng.normal(20, 30, n), 2),
        }
    )
    r = ciblage.retention(tx)
    cohorts = r.cohorts("revenue", shares=False)
    in_cells = np.nansum(cohorts.drop(columns=["cohort", "size"]).to_numpy())
    before = r.cohort_sizes["revenue_before"].sum()
    buyers = tx[tx["amount"] > 0]["customer_id"].unique()
    no_cohort = tx[~tx["customer_id"].isin(buyers)]["amount"].sum()
    # Every row is in exactly one place: a cell, before its cohort, or in
    # no cohort (customers who never bought).
    assert in_cells + before + no_cohort == pytest.approx(tx["amount"].sum())
    assert r.periods["revenue"].sum() == pytest.approx(tx["amount"].sum())


def test_retention_numpy_integer_parameter() -> None:
    a = ciblage.retention(TX, churn_after=np.int64(2))
    b = ciblage.retention(TX, churn_after=2)
    pd.testing.assert_frame_equal(a.cohort_sizes, b.cohort_sizes)


def test_retention_memory_is_bounded() -> None:
    # 2,000 customers, one a day: the largest analysis allowed (2,000 daily
    # periods); 5,000 days are refused before allocating anything.
    script = textwrap.dedent("""
        import resource, sys
        import numpy as np, pyarrow as pa, ciblage
        from ciblage.exceptions import InvalidParameterError
        def table(n):
            days = np.arange(n)
            stamps = pa.array((days * 86_400_000_000).astype("datetime64[us]"))
            return pa.table({"customer_id": days, "timestamp": stamps, "amount": np.ones(n)})
        big, ok = table(5_000), table(2_000)
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        try:
            ciblage.retention(big, period="day")
            sys.exit("no error")
        except InvalidParameterError as e:
            assert "period" in str(e)
        refused = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base
        r = ciblage.retention(ok, period="day")
        r.cohorts("classic")
        used = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base
        print(refused // 1024, used // 1024, len(r.periods))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    refused_mib, used_mib, periods = map(int, out.stdout.split())
    assert periods == 2_000
    assert refused_mib < 50
    # 2,001,000 cohort cells: about 130 MB of tables (documented bound).
    assert used_mib < 250


def test_churn_flags_report_and_attachment() -> None:
    as_of = pd.Timestamp("2024-03-15")
    out = ciblage.churn_flags(TX, as_of="2024-03-15", days=np.int32(30))
    before = TX[TX["timestamp"] < as_of]
    expected = {
        "after_as_of": int((TX["timestamp"] >= as_of).sum()),
        "not_a_purchase": int((before["amount"] <= 0).sum()),
    }
    assert out.attrs["input_report"]["left_out"] == expected
    assert out.attrs["input_report"]["rows_used"] == int((before["amount"] > 0).sum())
    last = before[before["amount"] > 0].groupby("customer_id")["timestamp"].max()
    silence = (as_of - last).dt.days
    got = out.set_index("customer_id")
    np.testing.assert_array_equal(got.loc[silence.index, "days_since_last"], silence)
    np.testing.assert_array_equal(got.loc[silence.index, "churned"], silence > 30)
    table = ciblage.churn_flags(pa.Table.from_pandas(TX), as_of="2024-03-15")
    assert b"ciblage.input_report" in table.schema.metadata


def _id_variants(values: list[str]) -> dict[str, Any]:
    return {
        "string": pa.array(values, pa.string()),
        "large_string": pa.array(values, pa.large_string()),
        "string_view": pa.array(values, pa.string_view()),
        "dictionary": pa.array(values, pa.string()).dictionary_encode(),
    }


@pytest.mark.parametrize("customers_type", ["string", "large_string", "string_view", "dictionary"])
@pytest.mark.parametrize("history_type", ["string", "large_string", "string_view", "dictionary"])
def test_evaluate_matches_history_of_any_string_type(customers_type: str, history_type: str) -> None:
    customers = pa.table(
        {
            "customer_id": _id_variants(["a", "b", "c"])[customers_type],
            "frequency": [3, 4, 5],
            "recency_days": [5, 5, 5],
            "tenure_days": [400, 400, 400],
        }
    )
    history = pa.table(
        {
            "customer_id": _id_variants(["a", "b", "b", "c"])[history_type],
            "date": pa.array(
                [pd.Timestamp(d).date() for d in ["2024-05-30", "2024-05-31", "2024-04-01", "2024-06-01"]]
            ),
        }
    )
    out = ciblage.lifecycle.evaluate(customers, history=history, today=TODAY)
    got = dict(
        zip(
            out.customers.column("customer_id").to_pylist(),
            out.customers.column("contacts_in_window").to_pylist(),
            strict=True,
        )
    )
    # By hand: the 30 days ending 2024-06-01 hold a (05-30), b (05-31), c (06-01).
    assert got == {"a": 1, "b": 1, "c": 1}
    assert out.input_report["history"]["left_out"]["before_window"] == 1


@pytest.mark.parametrize("customers_type", [pa.int32(), pa.int64(), pa.uint16()])
def test_evaluate_matches_integer_ids_of_any_width(customers_type: Any) -> None:
    customers = pa.table({"customer_id": pa.array([1, 2], customers_type), "frequency": [3, 4]})
    history = pl.DataFrame({"customer_id": [2, 2, 7], "date": [pd.Timestamp("2024-05-30").date()] * 3})
    out = _quiet(lambda: ciblage.lifecycle.evaluate(customers, history=history, today=TODAY))
    assert out.customers.column("contacts_in_window").to_pylist() == [0, 2]
    assert out.input_report["history"]["left_out"]["customer_not_evaluated"] == 1


def test_evaluate_warns_about_contacts_of_unknown_customers() -> None:
    history = CONTACTS.assign(customer_id=["a", "zz"])
    with pytest.warns(RowsLeftOutWarning, match="customer not evaluated"):
        out = ciblage.lifecycle.evaluate(CUSTOMERS, history=history, today=TODAY)
    assert out.customers.attrs["input_report"]["history"]["rows_used"] == 1


@pytest.mark.filterwarnings("ignore::ciblage.exceptions.DegenerateCriterionWarning")
@pytest.mark.parametrize("library", ["pandas", "pandas-category", "polars", "polars-categorical", "pyarrow-view"])
def test_customer_state_with_string_ids(library: str) -> None:
    tx = TX.assign(customer_id=TX["customer_id"].map(lambda i: f"c{i}"))
    base = ciblage.lifecycle.customer_state(tx, today="2024-03-15", window_days=30)
    data: Any = {
        "pandas": tx,
        "pandas-category": tx.assign(customer_id=tx["customer_id"].astype("category")),
        "polars": pl.from_pandas(tx),
        "polars-categorical": pl.from_pandas(tx).with_columns(pl.col("customer_id").cast(pl.Categorical)),
        "pyarrow-view": pa.Table.from_pandas(tx).set_column(
            0, "customer_id", pa.array(tx["customer_id"].tolist(), pa.string_view())
        ),
    }[library]
    out = ciblage.lifecycle.customer_state(data, today="2024-03-15", window_days=30)
    out = out.to_pandas() if hasattr(out, "to_pandas") else out
    assert [str(v) for v in out["customer_id"]] == list(base["customer_id"])
    np.testing.assert_array_equal(out["frequency_change"], base["frequency_change"])
    # Independent: rows on or after today are left out.
    assert base.attrs["input_report"]["left_out"] == {
        "after_today": int((tx["timestamp"] >= pd.Timestamp("2024-03-15")).sum())
    }


def test_migration_counts_match_pandas_and_nobody_is_lost() -> None:
    before = _labels(["a", "b", "c", "d"], ["x", "x", "y", "y"])
    after = pl.DataFrame({"customer_id": ["b", "c", "d", "e"], "segment": ["y", "y", "x", "x"]}).with_columns(
        pl.col("customer_id").cast(pl.Categorical)
    )
    m = ciblage.migration(before, after)
    joined = before.merge(
        after.to_pandas().astype({"customer_id": str}), on="customer_id", how="outer", suffixes=("_b", "_a")
    ).fillna("(absent)")
    expected = pd.crosstab(joined["segment_b"], joined["segment_a"])
    got = m.counts.set_index("before")
    for b in expected.index:
        for a in expected.columns:
            assert got.loc[b, a] == expected.loc[b, a], (b, a)
    assert int(got.to_numpy().sum()) == len(joined)
    assert m.input_report["only_before"] == 1 and m.input_report["only_after"] == 1
    assert m.input_report["rows_read"] == 8 and m.input_report["left_out"] == {}


@pytest.mark.filterwarnings("ignore::ciblage.exceptions.DegenerateCriterionWarning")
@pytest.mark.parametrize("id_type", [pa.int32(), pa.int64(), pa.uint64(), pa.dictionary(pa.int8(), pa.string())])
def test_customer_state_with_pyarrow_ids(id_type: Any) -> None:
    strings = pa.types.is_dictionary(id_type)
    tx = TX.assign(customer_id=TX["customer_id"].map(lambda i: f"c{i}")) if strings else TX
    base = ciblage.lifecycle.customer_state(tx, today="2024-03-15", window_days=30)
    table = pa.Table.from_pandas(tx).set_column(0, "customer_id", pa.array(tx["customer_id"].tolist()).cast(id_type))
    out = ciblage.lifecycle.customer_state(table, today="2024-03-15", window_days=30).to_pandas()
    assert [str(v) for v in out["customer_id"]] == [str(v) for v in base["customer_id"]]
    np.testing.assert_array_equal(out["spend_change"], base["spend_change"])
    np.testing.assert_array_equal(out["reactivated"], base["reactivated"])


# ------------------------------------------------ local days of time zones

# Instants near midnight UTC: their local date differs from the UTC date
# east (Tokyo) and west (New York) of Greenwich; two around the Paris
# daylight-saving changes of 2024 (31 March, 27 October).
INSTANTS = pd.to_datetime(
    [
        "2024-05-02 23:30",
        "2024-05-03 00:30",
        "2024-06-01 20:00",
        "2024-06-02 02:00",
        "2024-03-30 23:30",
        "2024-10-26 22:30",
    ]
).tz_localize("UTC")


# polars holds IANA zones only, not fixed offsets such as +05:30.
@pytest.mark.parametrize(
    ("zone", "library"),
    [
        (z, lib)
        for z in ["Asia/Tokyo", "America/New_York", "Europe/Paris", "+05:30"]
        for lib in ["pandas", "polars", "pyarrow"]
        if not (lib == "polars" and z.startswith("+"))
    ],
)
def test_evaluate_counts_contacts_on_their_local_day(zone: str, library: str) -> None:
    local = INSTANTS.tz_convert(zone)
    ids = ["a", "b", "c", "a", "b", "c"]
    history: Any = pd.DataFrame({"customer_id": ids, "date": local})
    if library == "polars":
        history = pl.from_pandas(history)
    elif library == "pyarrow":
        history = pa.Table.from_pandas(history)
    out = _quiet(lambda: ciblage.lifecycle.evaluate(CUSTOMERS, history=history, today=TODAY))
    # Independent: pandas' local dates; the default window is the 30 days
    # ending on today, today included.
    days = pd.Series(local.tz_convert(zone).date)
    today = dt.date(2024, 6, 1)
    inside = (days >= today - dt.timedelta(days=29)) & (days <= today)
    expected = pd.Series(ids)[inside.to_numpy()].value_counts().reindex(["a", "b", "c"], fill_value=0)
    got = out.customers
    got = got.to_pandas() if hasattr(got, "to_pandas") else got
    assert got["contacts_in_window"].tolist() == expected.tolist()
    report = out.input_report["history"]
    assert report["left_out"]["after_today"] == int((days > today).sum())
    assert report["left_out"]["before_window"] == int((days < today - dt.timedelta(days=29)).sum())


def test_evaluate_object_column_of_one_zone_is_read_in_that_zone() -> None:
    local = INSTANTS[:2].tz_convert("Asia/Tokyo")
    history = pd.DataFrame({"customer_id": ["a", "b"], "date": pd.Series(list(local.to_pydatetime()), dtype=object)})
    out = ciblage.lifecycle.evaluate(CUSTOMERS, history=history, today=TODAY)
    days = pd.Series(local.date)
    # 2024-05-03 (Tokyo) is the first day of the window ending 2024-06-01;
    # the UTC date of the first contact (05-02) is not.
    expected = [int((days[[i]] >= dt.date(2024, 5, 3)).sum()) for i in range(2)] + [0]
    assert out.customers["contacts_in_window"].tolist() == expected == [1, 1, 0]


@pytest.mark.parametrize("zone", ["Asia/Tokyo", "America/New_York"])
def test_evaluate_contract_end_on_its_local_day(zone: str) -> None:
    # Contract ends just past the renewal horizon (30 days) or just before
    # today in local time, but on the other side in UTC.
    ends = pd.to_datetime(["2024-07-01 23:30", "2024-06-01 02:00", "2024-06-15 12:00"]).tz_localize("UTC")
    local = ends.tz_convert(zone)
    out = ciblage.lifecycle.evaluate(CUSTOMERS.assign(contract_end=local), today=TODAY)
    days_left = pd.Series([(d - dt.date(2024, 6, 1)).days for d in local.tz_convert(zone).date])
    expected = ((days_left >= 0) & (days_left <= 30)).tolist()
    dec = out.decisions
    renewal = set(dec.loc[dec["rule"] == "renewal", "customer_id"])
    assert [c in renewal for c in CUSTOMERS["customer_id"]] == expected


def test_evaluate_missing_contract_end_fires_nothing() -> None:
    out = ciblage.lifecycle.evaluate(
        CUSTOMERS.assign(contract_end=[pd.NaT, pd.Timestamp("2024-06-10"), pd.NaT]), today=TODAY
    )
    dec = out.decisions
    # By hand: only b ends within 30 days (9 days left).
    assert set(dec.loc[dec["rule"] == "renewal", "customer_id"]) == {"b"}


@pytest.mark.parametrize("zone", ["Asia/Tokyo", "America/New_York", "Europe/Paris"])
def test_churn_flags_and_retention_count_local_days(zone: str) -> None:
    tx = pd.DataFrame(
        {
            "customer_id": [1, 2, 3, 4, 5, 6],
            "timestamp": INSTANTS.tz_convert(zone),
            "amount": [5.0, 6.0, 7.0, 8.0, 9.0, 10.0],
        }
    )
    as_of = dt.date(2024, 11, 10)
    flags = ciblage.churn_flags(tx, as_of="2024-11-10", days=30).set_index("customer_id")
    local = pd.Series(tx["timestamp"].dt.tz_convert(zone).dt.date.to_numpy(), index=tx["customer_id"])
    expected = local.map(lambda d: (as_of - d).days)
    np.testing.assert_array_equal(flags.loc[expected.index, "days_since_last"], expected)
    r = ciblage.retention(tx, period="day", as_of="2024-11-10")
    active = r.periods.loc[r.periods["active"] > 0, "period"].tolist()
    assert active == sorted({d.isoformat() for d in local})


def test_timezone_parameter_overrides_the_column_zone() -> None:
    tx = pd.DataFrame({"customer_id": [1, 2], "timestamp": INSTANTS[:2], "amount": [1.0, 1.0]})
    flags = ciblage.churn_flags(tx, as_of="2024-05-10", timezone="America/New_York")
    local = tx["timestamp"].dt.tz_convert("America/New_York").dt.date
    assert flags["days_since_last"].tolist() == [(dt.date(2024, 5, 10) - d).days for d in local]


def test_dates_are_not_moved_by_timezone() -> None:
    # A date is a calendar day already: timezone= applies to timestamps only.
    tx = pa.table(
        {"customer_id": [1, 2], "timestamp": pa.array([dt.date(2024, 1, 1), dt.date(2024, 2, 1)]), "amount": [1.0, 2.0]}
    )
    for zone in ("America/New_York", "Asia/Tokyo"):
        r = ciblage.retention(tx, timezone=zone).periods.to_pandas()
        assert r.loc[r["active"] > 0, "period"].tolist() == ["2024-01", "2024-02"]
        flags = ciblage.churn_flags(tx, as_of="2024-03-01", timezone=zone).to_pandas()
        assert flags["days_since_last"].tolist() == [
            (dt.date(2024, 3, 1) - dt.date(2024, 1, 1)).days,
            (dt.date(2024, 3, 1) - dt.date(2024, 2, 1)).days,
        ]


# --------------------------------------------------------- other inputs


def test_churn_flags_defaults_are_the_documented_ones() -> None:
    a = ciblage.churn_flags(TX, rule="median_gap")
    b = ciblage.churn_flags(TX, rule="median_gap", multiple=3.0, fallback_days=365)
    pd.testing.assert_frame_equal(a, b)
    assert (ciblage.churn_flags(TX)["threshold_days"].dropna() == 365).all()


def test_retention_week_start_with_weeks() -> None:
    r = ciblage.retention(TX, period="week", week_start=np.str_("sunday"))
    # 2024-01-03 is a Wednesday: its week starts on Sunday 2023-12-31.
    assert r.periods["start"].iloc[0] == dt.date(2023, 12, 31)


def test_evaluate_reads_decimal_huge_and_categorical_fields() -> None:
    from decimal import Decimal

    customers = pa.table(
        {
            "customer_id": ["a", "b"],
            "frequency": pa.array([Decimal("12.0"), Decimal("3.0")], pa.decimal128(10, 1)),
            "recency_days": pa.array([5, 2**63 - 1], pa.int64()),
            "tenure_days": pa.array([900, 700]).dictionary_encode(),
        }
    )
    plain = pa.table(
        {
            "customer_id": ["a", "b"],
            "frequency": [12.0, 3.0],
            "recency_days": [5.0, float(2**63 - 1)],
            "tenure_days": [900.0, 700.0],
        }
    )
    got = ciblage.lifecycle.evaluate(customers, today=TODAY).customers
    want = ciblage.lifecycle.evaluate(plain, today=TODAY).customers
    assert got.column("stage").to_pylist() == want.column("stage").to_pylist()


def test_evaluate_nan_tier_is_no_tier() -> None:
    out = ciblage.lifecycle.evaluate(CUSTOMERS.assign(tier=[np.nan, np.nan, np.nan]), today=TODAY)
    ref = ciblage.lifecycle.evaluate(CUSTOMERS.assign(tier=[None, None, None]), today=TODAY)
    assert out.customers["channel"].tolist() == ref.customers["channel"].tolist()


def test_evaluate_reads_an_arrow_stream_whole() -> None:
    customers = CUSTOMERS.assign(recency_days=[5, 300, 5])
    table = pa.Table.from_pandas(customers)
    stream = pa.RecordBatchReader.from_batches(table.schema, table.to_batches())
    got = ciblage.lifecycle.evaluate(stream, today=TODAY).customers
    # By hand: 300 days without purchase is past the default inactive_days.
    assert got.column("stage").to_pylist() == ["active", "inactive", "active"]


@pytest.mark.filterwarnings("ignore::ciblage.exceptions.DegenerateCriterionWarning")
def test_customer_state_reads_an_arrow_stream_once() -> None:
    table = pa.Table.from_pandas(TX)
    stream = pa.RecordBatchReader.from_batches(table.schema, table.to_batches())
    got = ciblage.lifecycle.customer_state(stream, today="2024-05-01", window_days=30)
    want = ciblage.lifecycle.customer_state(table, today="2024-05-01", window_days=30)
    pd.testing.assert_frame_equal(got.to_pandas(), want.to_pandas())
    # Independent: every row is read once.
    assert json_report(got)["rows_read"] == len(TX)


def json_report(table: pa.Table) -> dict[str, Any]:
    import json

    return json.loads(table.schema.metadata[b"ciblage.input_report"])


def test_migration_float_labels_and_one_row() -> None:
    m = ciblage.migration(_labels([1], [1.0]), _labels([1], [2.0]))
    # By hand: one customer moves from 1 to 2.
    assert m.labels == ["1", "2"]
    assert m.counts.set_index("before").loc["1", "2"] == 1
    assert int(m.counts.drop(columns="before").to_numpy().sum()) == 1


@pytest.mark.parametrize("day", [dt.date(1970, 1, 1), dt.date(9999, 12, 31)])
def test_extreme_dates(day: dt.date) -> None:
    tx = pa.table({"customer_id": [1, 1], "timestamp": pa.array([day, day]), "amount": [1.0, 2.0]})
    r = ciblage.retention(tx)
    assert r.periods.column("revenue").to_pylist() == [3.0]
    assert r.periods.column("start").to_pylist() == [day.replace(day=1)]
    flags = ciblage.churn_flags(tx)
    # Default as_of: the day after the last transaction.
    assert flags.column("days_since_last").to_pylist() == [1]
    history = pa.table({"customer_id": ["a"], "date": pa.array([day])})
    out = _quiet(lambda: ciblage.lifecycle.evaluate(CUSTOMERS, history=history, today=day))
    assert out.customers["contacts_in_window"].tolist() == [1, 0, 0]


def test_retention_reads_polars_enum_ids_and_a_numpy_origin() -> None:
    tx = TX.assign(customer_id=TX["customer_id"].map(lambda i: f"c{i}"))
    enum = pl.from_pandas(tx).with_columns(pl.col("customer_id").cast(pl.Enum(["c1", "c2", "c3", "c4"])))
    base = ciblage.retention(tx, period="7d", origin="2024-01-01").periods
    got = ciblage.retention(enum, period="7d", origin=np.datetime64("2024-01-01")).periods.to_pandas()
    pd.testing.assert_frame_equal(got.drop(columns="start"), base.drop(columns="start"))
    assert (pd.to_datetime(got["start"]) == pd.to_datetime(base["start"])).all()
    # Independent: 7-day blocks from Monday 2024-01-01 hold each row's date.
    start = (tx["timestamp"] - pd.Timestamp("2024-01-01")).dt.days // 7
    active = tx[tx["amount"] > 0].groupby(start[tx["amount"] > 0])["customer_id"].nunique()
    blocks = (pd.to_datetime(base["start"]) - pd.Timestamp("2024-01-01")).dt.days // 7
    assert dict(zip(blocks, base["active"], strict=True)) == {b: int(active.get(b, 0)) for b in blocks}


def test_timezone_as_tzinfo_is_read_as_its_name_everywhere() -> None:
    """``timezone=`` takes a tzinfo as rfm does: the same days as the name."""
    import zoneinfo

    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 2],
            # 23:30 UTC on 31 January is 1 February in Tokyo.
            "timestamp": pd.to_datetime(["2024-01-31 23:30", "2024-03-01 10:00", "2024-02-10 12:00"]).tz_localize(
                "UTC"
            ),
            "amount": [10.0, 5.0, 7.0],
        }
    )
    by_name = ciblage.retention(tx, period="month", as_of="2024-04-01", timezone="Asia/Tokyo")
    by_info = ciblage.retention(tx, period="month", as_of="2024-04-01", timezone=zoneinfo.ZoneInfo("Asia/Tokyo"))
    pd.testing.assert_frame_equal(by_name.cohorts("classic"), by_info.cohorts("classic"))
    flags = ciblage.churn_flags(tx, as_of="2024-04-01", timezone=zoneinfo.ZoneInfo("Asia/Tokyo"))
    assert list(flags.sort_values("customer_id")["customer_id"]) == [1, 2]
    with pytest.raises(InvalidParameterError, match="timezone"):
        ciblage.churn_flags(tx, as_of="2024-04-01", timezone=5)
