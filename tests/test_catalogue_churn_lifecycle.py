"""Catalogue of bad and edge inputs of retention, churn_flags, migration and
the lifecycle entry points: each case either raises one of our exception
classes with a message naming the argument or column, or gives the result of
an independent pandas computation."""

from __future__ import annotations

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

TX = pd.DataFrame({
    "customer_id": [1, 1, 2, 3, 3, 4],
    "timestamp": pd.to_datetime(["2024-01-03", "2024-02-10", "2024-02-11", "2024-03-01", "2024-03-20",
                                 "2024-04-02"]),
    "amount": [10.0, 20.0, -5.0, 7.0, 0.0, 12.0],
})

CUSTOMERS = pd.DataFrame({"customer_id": ["a", "b", "c"], "frequency": [3, 4, 5], "recency_days": [5, 5, 5],
                          "tenure_days": [400, 400, 400]})
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
    ("retention-churn_after-huge", lambda _: ciblage.retention(TX, churn_after=10**12), InvalidParameterError,
     "churn_after"),
    ("retention-churn_after-zero", lambda _: ciblage.retention(TX, churn_after=0), InvalidParameterError,
     "churn_after"),
    ("retention-churn_after-float", lambda _: ciblage.retention(TX, churn_after=2.5), InvalidParameterError,
     "churn_after"),
    ("retention-churn_after-bool", lambda _: ciblage.retention(TX, churn_after=True), InvalidParameterError,
     "churn_after"),
    ("retention-as_of-garbage", lambda _: ciblage.retention(TX, as_of="2024-01-05garbage"), InvalidParameterError,
     "as_of.*garbage"),
    ("retention-as_of-nat", lambda _: ciblage.retention(TX, as_of=pd.NaT), InvalidParameterError, "as_of"),
    ("retention-as_of-number", lambda _: ciblage.retention(TX, as_of=20240105), InvalidParameterError, "as_of"),
    ("retention-origin-bad-month", lambda _: ciblage.retention(TX, period="7d", origin="2024-13-01"),
     InvalidParameterError, "origin"),
    ("retention-period-unknown", lambda _: ciblage.retention(TX, period="fortnight"), InvalidParameterError,
     "period"),
    ("retention-period-not-str", lambda _: ciblage.retention(TX, period=5), InvalidParameterError, "period"),
    ("retention-period-0d", lambda _: ciblage.retention(TX, period="0d"), InvalidParameterError, "period"),
    ("retention-period-negative-days", lambda _: ciblage.retention(TX, period="-5d"), InvalidParameterError,
     "period"),
    ("retention-week_start", lambda _: ciblage.retention(TX, period="week", week_start="funday"),
     InvalidParameterError, "week_start"),
    ("retention-timezone-int", lambda _: ciblage.retention(TX, timezone=5), InvalidParameterError, "timezone"),
    ("retention-timezone-unknown", lambda _: ciblage.retention(TX, timezone="Mars/Base"), InvalidParameterError,
     "timezone"),
    ("retention-too-many-periods",
     lambda _: ciblage.retention(pd.DataFrame({"customer_id": [1, 2], "timestamp": pd.to_datetime(
         ["2000-01-01", "2013-09-09"]), "amount": [1.0, 1.0]}), period="day"),
     InvalidParameterError, "period.*more than 2000"),
    ("retention-cohorts-kind", lambda _: ciblage.retention(TX).cohorts("x"), InvalidParameterError, "kind"),
    ("retention-cohorts-shares", lambda _: ciblage.retention(TX).cohorts(shares="yes"), InvalidParameterError,
     "shares"),
    ("retention-missing-column", lambda _: ciblage.retention(TX, amount="price"), ColumnNotFoundError, "price"),
    # churn_flags: parameters
    ("churn-days-huge", lambda _: ciblage.churn_flags(TX, days=2**40), InvalidParameterError, "days"),
    ("churn-days-negative", lambda _: ciblage.churn_flags(TX, days=-1), InvalidParameterError, "days"),
    ("churn-days-str", lambda _: ciblage.churn_flags(TX, days="30"), InvalidParameterError, "days"),
    ("churn-fallback-huge", lambda _: ciblage.churn_flags(TX, rule="median_gap", fallback_days=10**12),
     InvalidParameterError, "fallback_days"),
    ("churn-multiple-str", lambda _: ciblage.churn_flags(TX, rule="median_gap", multiple="x"),
     InvalidParameterError, "multiple"),
    ("churn-multiple-zero", lambda _: ciblage.churn_flags(TX, rule="median_gap", multiple=0),
     InvalidParameterError, "multiple"),
    ("churn-multiple-nan", lambda _: ciblage.churn_flags(TX, rule="median_gap", multiple=float("nan")),
     InvalidParameterError, "multiple"),
    ("churn-rule", lambda _: ciblage.churn_flags(TX, rule="x"), InvalidParameterError, "rule"),
    ("churn-as_of-garbage", lambda _: ciblage.churn_flags(TX, as_of="2024-01-05garbage"), InvalidParameterError,
     "as_of"),
    ("churn-timezone-int", lambda _: ciblage.churn_flags(TX, timezone=5), InvalidParameterError, "timezone"),
    # migration
    ("migration-duplicate-before", lambda _: ciblage.migration(_labels([1, 1], ["a", "b"]), _labels([1], ["a"])),
     InvalidInputError, r"before column 'customer_id'.*customer id 1 appears 2 times"),
    ("migration-duplicate-after",
     lambda _: ciblage.migration(_labels(["x"], ["a"]), _labels(["x", "y", "y"], ["a", "b", "b"])),
     InvalidInputError, r"after column 'customer_id'.*'y' appears 2 times"),
    ("migration-null-label-before", lambda _: ciblage.migration(_labels([1, 2], ["a", None]), _labels([1], ["a"])),
     InvalidInputError, r"before column 'segment'.*null segment label"),
    ("migration-null-id-after", lambda _: ciblage.migration(_labels([1], ["a"]), _labels([1, None], ["a", "b"])),
     InvalidInputError, r"after column 'customer_id'.*null id"),
    ("migration-int-vs-str-ids", lambda _: ciblage.migration(_labels([1], ["a"]), _labels(["1"], ["a"])),
     ColumnTypeError, r"after column 'customer_id'.*before column 'customer_id'"),
    ("migration-float-ids", lambda _: ciblage.migration(_labels([1.5], ["a"]), _labels([1.5], ["a"])),
     ColumnTypeError, r"before column 'customer_id'"),
    ("migration-absent-is-a-label",
     lambda _: ciblage.migration(_labels([1], ["(absent)"]), _labels([1], ["a"])),
     InvalidParameterError, "absent"),
    ("migration-absent-not-str", lambda _: ciblage.migration(_labels([1], ["a"]), _labels([1], ["a"]), absent=5),
     InvalidParameterError, "absent"),
    ("migration-missing-column",
     lambda _: ciblage.migration(_labels([1], ["a"]), _labels([1], ["a"]), segment="tier"),
     ColumnNotFoundError, "tier"),
    # lifecycle.evaluate
    ("evaluate-duplicate-ids",
     lambda _: ciblage.lifecycle.evaluate(CUSTOMERS.assign(customer_id=["a", "b", "a"]), today=TODAY),
     InvalidInputError, r"customers column 'customer_id'.*'a' appears 2 times"),
    ("evaluate-null-id",
     lambda _: ciblage.lifecycle.evaluate(CUSTOMERS.assign(customer_id=["a", None, "c"]), today=TODAY),
     InvalidInputError, r"customers column 'customer_id'.*null id at row 1"),
    ("evaluate-history-null-date",
     lambda _: ciblage.lifecycle.evaluate(CUSTOMERS, today=TODAY, history=CONTACTS.assign(
         date=pd.to_datetime(["2024-05-30", None]))),
     InvalidInputError, r"history_date.*'date'.*null date at row 1"),
    ("evaluate-history-null-id",
     lambda _: ciblage.lifecycle.evaluate(CUSTOMERS, today=TODAY, history=CONTACTS.assign(customer_id=["a", None])),
     InvalidInputError, r"history column 'customer_id'.*null id"),
    ("evaluate-history-int-vs-str",
     lambda _: ciblage.lifecycle.evaluate(CUSTOMERS, today=TODAY, history=CONTACTS.assign(customer_id=[1, 2])),
     ColumnTypeError, r"history column 'customer_id'.*customers column 'customer_id'"),
    ("evaluate-history-date-type",
     lambda _: ciblage.lifecycle.evaluate(CUSTOMERS, today=TODAY, history=CONTACTS.assign(date=["x", "y"])),
     ColumnTypeError, "history_date"),
    ("evaluate-today-garbage", lambda _: ciblage.lifecycle.evaluate(CUSTOMERS, today="2024-01-05garbage"),
     InvalidParameterError, "today"),
    ("evaluate-customer-not-str", lambda _: ciblage.lifecycle.evaluate(CUSTOMERS, today=TODAY, customer=5),
     InvalidParameterError, "customer"),
    ("evaluate-contract_end-strings",
     lambda _: ciblage.lifecycle.evaluate(CUSTOMERS.assign(contract_end=["soon"] * 3), today=TODAY),
     ColumnTypeError, "contract_end"),
    ("evaluate-rules-yaml", lambda _: ciblage.lifecycle.evaluate(CUSTOMERS, today=TODAY, rules="rules.yaml"),
     InvalidParameterError, "rules"),
    ("evaluate-rules-missing-file",
     lambda tmp: ciblage.lifecycle.evaluate(CUSTOMERS, today=TODAY, rules=str(tmp / "none.toml")),
     RuleFileError, "none.toml"),
    ("evaluate-rules-not-utf8",
     lambda tmp: ciblage.lifecycle.evaluate(CUSTOMERS, today=TODAY, rules=_rule_file(
         tmp, "latin.toml", b"version = 1\n[channels]\ndefault = \"caf\xe9\"\n")),
     RuleFileError, r"latin\.toml.*line 3.*UTF-8"),
    ("evaluate-rules-negative-former_days",
     lambda tmp: ciblage.lifecycle.evaluate(CUSTOMERS, today=TODAY, rules=_rule_file(
         tmp, "neg.toml", b"version = 1\n[stages]\nformer_days = -5\n")),
     RuleFileError, r"neg\.toml.*line 3.*stages\.former_days"),
    ("evaluate-rules-json-negative-cost",
     lambda tmp: ciblage.lifecycle.evaluate(CUSTOMERS, today=TODAY, rules=_rule_file(
         tmp, "cost.json", b'{"version": 1,\n "rule": [\n  {"name": "r", "action": "a", "cost": -1}]}')),
     RuleFileError, r"cost\.json.*line 3.*cost"),
    # rule files through RuleSet
    ("ruleset-window-zero", lambda _: ciblage.lifecycle.RuleSet.from_toml("version = 1\n[pressure]\nwindow_days = 0\n"),
     RuleFileError, r"line 3.*pressure\.window_days"),
    ("ruleset-max-contacts-negative",
     lambda _: ciblage.lifecycle.RuleSet.from_toml("version = 1\n[pressure]\nmax_contacts = -1\n"),
     RuleFileError, r"line 3"),
    ("ruleset-new_days-nan", lambda _: ciblage.lifecycle.RuleSet.from_toml("version = 1\n[stages]\nnew_days = nan\n"),
     RuleFileError, r"line 3.*stages\.new_days"),
    ("ruleset-condition-inf",
     lambda _: ciblage.lifecycle.RuleSet.from_toml(
         'version = 1\n[[rule]]\nname = "r"\naction = "a"\nwhen = [{ field = "monetary", op = ">", value = inf }]\n'),
     RuleFileError, r"line 2.*when\[0\]"),
    ("ruleset-unknown-per-stage",
     lambda _: ciblage.lifecycle.RuleSet.from_json('{"version": 1,\n "pressure": {\n  "per_stage": {"vip": 1}}}'),
     RuleFileError, r"line 3.*pressure\.per_stage"),
    ("ruleset-text-not-str", lambda _: ciblage.lifecycle.RuleSet.from_toml(5), InvalidParameterError, "text"),
    ("ruleset-bytes-not-utf8",
     lambda _: ciblage.lifecycle.RuleSet.from_json(b'{"version": 1,\n "channels": {"default": "caf\xe9"}}'),
     RuleFileError, r"line 2.*UTF-8"),
    ("ruleset-reactivated-false",
     lambda _: ciblage.lifecycle.RuleSet.from_toml(
         'version = 1\n[[rule]]\nname = "r"\naction = "a"\ntrigger = { reactivated = false }\n'),
     RuleFileError, r"line 2.*trigger"),
    # lifecycle.customer_state
    # (the tiny table makes the RFM scores degenerate: quiet, see _quiet)
    ("state-window-huge", lambda _: ciblage.lifecycle.customer_state(TX, today=TODAY, window_days=2**40),
     InvalidParameterError, "window_days"),
    ("state-window-zero", lambda _: ciblage.lifecycle.customer_state(TX, today=TODAY, window_days=0),
     InvalidParameterError, "window_days"),
    ("state-window-float", lambda _: ciblage.lifecycle.customer_state(TX, today=TODAY, window_days=30.0),
     InvalidParameterError, "window_days"),
    ("state-today-garbage", lambda _: ciblage.lifecycle.customer_state(TX, today="2024-06-01garbage"),
     InvalidParameterError, "today"),
    ("state-timezone-int", lambda _: ciblage.lifecycle.customer_state(TX, today=TODAY, timezone=5),
     InvalidParameterError, "timezone"),
]


@pytest.mark.parametrize(("call", "error", "pattern"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_input_raises_a_named_error(call: Callable[[Path], Any], error: type[Exception], pattern: str,
                                        tmp_path: Path) -> None:
    with pytest.raises(error, match=pattern):
        _quiet(lambda: call(tmp_path))


# ----------------------------------------------------------------- results


def test_retention_books_every_row_in_its_own_period() -> None:
    # A return in December 2023 before customer 9's first purchase.
    tx = pd.concat([TX, pd.DataFrame({"customer_id": [9, 9], "timestamp": pd.to_datetime(["2023-12-20", "2024-03-05"]),
                                      "amount": [-4.0, 6.0]})], ignore_index=True)
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
    tx = pd.DataFrame({
        "customer_id": rng.integers(0, 60, n),
        "timestamp": pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 500, n), unit="D"),
        "amount": np.round(rng.normal(20, 30, n), 2),
    })
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
            return pa.table({"customer_id": days, "timestamp": pa.array((days * 86_400_000_000).astype("datetime64[us]")),
                             "amount": np.ones(n)})
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
    expected = {"after_as_of": int((TX["timestamp"] >= as_of).sum()),
                "not_a_purchase": int((before["amount"] <= 0).sum())}
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
    customers = pa.table({"customer_id": _id_variants(["a", "b", "c"])[customers_type],
                          "frequency": [3, 4, 5], "recency_days": [5, 5, 5], "tenure_days": [400, 400, 400]})
    history = pa.table({"customer_id": _id_variants(["a", "b", "b", "c"])[history_type],
                        "date": pa.array([pd.Timestamp(d).date() for d in
                                          ["2024-05-30", "2024-05-31", "2024-04-01", "2024-06-01"]])})
    out = ciblage.lifecycle.evaluate(customers, history=history, today=TODAY)
    got = dict(zip(out.customers.column("customer_id").to_pylist(), out.customers.column("contacts_in_window")
                   .to_pylist()))
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
            0, "customer_id", pa.array(tx["customer_id"].tolist(), pa.string_view())),
    }[library]
    out = ciblage.lifecycle.customer_state(data, today="2024-03-15", window_days=30)
    out = out.to_pandas() if hasattr(out, "to_pandas") else out
    assert [str(v) for v in out["customer_id"]] == list(base["customer_id"])
    np.testing.assert_array_equal(out["frequency_change"], base["frequency_change"])
    # Independent: rows on or after today are left out.
    assert base.attrs["input_report"]["left_out"] == {
        "after_today": int((tx["timestamp"] >= pd.Timestamp("2024-03-15")).sum())}


def test_migration_counts_match_pandas_and_nobody_is_lost() -> None:
    before = _labels(["a", "b", "c", "d"], ["x", "x", "y", "y"])
    after = pl.DataFrame({"customer_id": ["b", "c", "d", "e"], "segment": ["y", "y", "x", "x"]}).with_columns(
        pl.col("customer_id").cast(pl.Categorical))
    m = ciblage.migration(before, after)
    joined = before.merge(after.to_pandas().astype({"customer_id": str}), on="customer_id", how="outer",
                          suffixes=("_b", "_a")).fillna("(absent)")
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
