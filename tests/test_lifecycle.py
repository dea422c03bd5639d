"""Lifecycle rules from Python: stages, actions, pressure cap, rule files."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

import ciblage
from ciblage.exceptions import ColumnNotFoundError, ColumnTypeError, InvalidParameterError, RuleFileError

TODAY = "2024-06-30"


def hand_built() -> pd.DataFrame:
    # One customer per default stage, in the documented test order.
    return pd.DataFrame(
        {
            "customer_id": [
                "friend",
                "former",
                "unhappy",
                "sleeper",
                "silent",
                "newbie",
                "star",
                "leader",
                "rising",
                "regular",
            ],
            "frequency": [0, 4, 9, 6, 3, 1, 20, 5, 7, 2],
            "recency_days": [np.nan, 731, 10, 20, 181, 5, 3, 30, 15, 100],
            "tenure_days": [np.nan, 1500, 800, 600, 400, 90, 1000, 500, 300, 200],
            "complaints": [0, 0, 2, 0, 0, 0, 0, 0, 0, 0],
            "satisfaction": [np.nan, 4, 1, 2, 4, np.nan, 5, 4, 3, 3],
            "referrals": [0, 0, 0, 0, 0, 0, 5, 3, 0, 0],
            "tier": [None, "Small", "Best", "Standard", "Small", "Best", "Best", "Small", "Standard", "Small"],
        }
    )


def test_every_default_stage_and_its_action() -> None:
    out = ciblage.lifecycle.evaluate(hand_built(), today=TODAY)
    c = out.customers.set_index("customer_id")
    assert list(c["stage"]) == [
        "friends_of_customers",
        "former",
        "dissatisfied",
        "sleepwalker",
        "inactive",
        "new",
        "best",
        "lead",
        "high_potential",
        "active",
    ]
    assert list(c["moment"]) == [
        "recruitment",
        "win_back",
        "retention",
        "retention",
        "win_back",
        "recruitment",
        "retention",
        "development",
        "development",
        "retention",
    ]
    assert c.loc["star", "channel"] == "personal" and c.loc["rising", "channel"] == "semi_personal"
    assert c.loc["silent", "actions"] == "reactivation offer"
    assert c.loc["regular", "actions"] == ""
    d = out.decisions
    apology = d[d["customer_id"] == "unhappy"].iloc[0]
    assert (apology["rule"], apology["channel"], apology["kept"]) == ("apologise", "personal", True)
    assert "complaints = 2 >= 1" in apology["explanation"]


def test_pressure_cap_across_the_window_boundary() -> None:
    rules = ciblage.lifecycle.RuleSet.from_toml(
        """version = 1
[pressure]
window_days = 7
max_contacts = 2
per_stage = {}
[[rule]]
name = "first"
priority = 2
when = [{ field = "frequency", op = ">=", value = 1 }]
action = "A"
[[rule]]
name = "second"
priority = 1
when = [{ field = "frequency", op = ">=", value = 1 }]
action = "B"
"""
    )
    customers = pd.DataFrame(
        {"customer_id": [1, 2, 3], "frequency": [3, 3, 3], "recency_days": [1, 1, 1], "tenure_days": [500, 500, 500]}
    )
    # Window of 7 days ending 2024-06-30: 06-24 ..= 06-30.
    history = pd.DataFrame(
        {
            "customer_id": [1, 2, 2, 3, 99],
            "date": pd.to_datetime(["2024-06-23", "2024-06-24", "2024-06-30", "2024-07-01", "2024-06-30"]),
        }
    )
    # Customer 99 is not evaluated: his contact is left out, with a warning.
    with pytest.warns(ciblage.exceptions.RowsLeftOutWarning, match="1 customer not evaluated"):
        out = ciblage.lifecycle.evaluate(customers, rules=rules, history=history, today=TODAY)
    # By hand: 06-23 before the window, 06-24 and 06-30 (customer 2) in it,
    # 07-01 after today, customer 99 not evaluated.
    assert out.input_report["history"] == {
        "rows_read": 5,
        "rows_used": 2,
        "left_out": {"before_window": 1, "after_today": 1, "customer_not_evaluated": 1},
    }
    c = out.customers.set_index("customer_id")
    # 1: the 06-23 contact is outside → both kept. 2: two inside → none.
    # 3: a planned contact after today is not counted → both kept.
    assert list(c["contacts_in_window"]) == [0, 2, 0]
    assert c.loc[1, "actions"] == "A; B" and c.loc[1, "suppressed"] == ""
    assert c.loc[2, "actions"] == "" and c.loc[2, "suppressed"] == "A; B"
    why = out.decisions.query("customer_id == 2 and rule == 'first'")["explanation"].iloc[0]
    assert "suppressed by the pressure cap of 2 contacts per 7 days for stage active: 2 already in the window" in why


def test_contract_end_event_from_a_date_column() -> None:
    customers = pd.DataFrame(
        {
            "customer_id": [1, 2, 3],
            "frequency": [5, 5, 5],
            "recency_days": [10, 10, 10],
            "tenure_days": [400, 400, 400],
            "contract_end": pd.to_datetime(["2024-07-30", "2024-07-31", "2024-06-29"]),
        }
    )
    d = ciblage.lifecycle.evaluate(customers, today=TODAY).decisions
    # 30 days ahead fires, 31 does not, yesterday does not.
    assert list(d.loc[d["rule"] == "renewal", "customer_id"]) == [1]


def test_rule_files_rejected_with_line_and_field(tmp_path) -> None:
    bad = tmp_path / "rules.toml"
    bad.write_text('version = 1\n[[rule]]\nname = "x"\naction = "y"\npriorty = 3\n')
    with pytest.raises(RuleFileError, match=r"line 5.*unknown field `priorty`"):
        ciblage.lifecycle.evaluate(hand_built(), rules=bad, today=TODAY)
    with pytest.raises(RuleFileError, match=r'rule "x" \(#1, line 2\): when\[0\]: unknown stage'):
        ciblage.lifecycle.RuleSet.from_toml(
            'version = 1\n[[rule]]\nname = "x"\naction = "y"\nwhen = [{ stage = ["vip"] }]\n'
        )
    with pytest.raises(RuleFileError, match="unknown field `colour`"):
        ciblage.lifecycle.RuleSet.from_json('{"version": 1, "colour": "red"}')
    with pytest.raises(InvalidParameterError, match="invalid parameter rules"):
        ciblage.lifecycle.evaluate(hand_built(), rules=42, today=TODAY)
    assert issubclass(RuleFileError, ValueError)


def test_rule_sets_round_trip_and_pickle() -> None:
    rules = ciblage.lifecycle.default_rules()
    assert ciblage.lifecycle.RuleSet.from_toml(rules.to_toml()) == rules
    assert pickle.loads(pickle.dumps(rules)) == rules
    assert rules.rule_names[0] == "apologise"


def test_polars_and_errors() -> None:
    out = ciblage.lifecycle.evaluate(pl.from_pandas(hand_built()), today=TODAY)
    assert isinstance(out.customers, pl.DataFrame) and out.customers.height == 10
    with pytest.raises(ColumnNotFoundError, match='customer: column "id" not found'):
        ciblage.lifecycle.evaluate(hand_built(), customer="id", today=TODAY)
    with pytest.raises(ColumnTypeError, match="frequency: has type .*string, expected numbers"):
        ciblage.lifecycle.evaluate(pd.DataFrame({"customer_id": [1], "frequency": ["many"]}), today=TODAY)
    with pytest.raises(InvalidParameterError, match="invalid parameter today"):
        ciblage.lifecycle.evaluate(hand_built(), today="someday")


@given(
    st.lists(
        st.tuples(st.integers(0, 30), st.integers(0, 900), st.integers(0, 2000), st.integers(0, 2)),
        min_size=1,
        max_size=40,
    ),
    st.lists(st.tuples(st.integers(0, 39), st.integers(-40, 3)), max_size=80),
    st.randoms(),
)
def test_order_independence_everyone_once_and_cap(rows, contacts, rnd) -> None:
    df = pd.DataFrame(rows, columns=["frequency", "recency_days", "tenure_days", "complaints"])
    df.insert(0, "customer_id", range(len(df)))
    df["tier"] = ["Best", "Standard", "Small"] * (len(df) // 3) + ["Small"] * (len(df) % 3)
    history = pd.DataFrame(
        {
            "customer_id": [c for c, _ in contacts],
            "date": pd.Timestamp(TODAY) + pd.to_timedelta([d for _, d in contacts], unit="D"),
        }
    )
    with warnings.catch_warnings():
        # Contacts of ids past the table are left out, with a warning.
        warnings.simplefilter("ignore", ciblage.exceptions.RowsLeftOutWarning)
        a = ciblage.lifecycle.evaluate(df, history=history, today=TODAY)
        shuffled = df.sample(frac=1, random_state=rnd.randint(0, 2**31))
        b = ciblage.lifecycle.evaluate(shuffled, history=history, today=TODAY)
    # Every history row counted once, by an independent count: the default
    # window is the 30 days ending today (offsets -29..0).
    known = [d for c, d in contacts if c < len(df)]
    assert a.input_report["history"]["left_out"] == {
        "before_window": sum(d < -29 for d in known),
        "after_today": sum(d > 0 for d in known),
        "customer_not_evaluated": len(contacts) - len(known),
    }
    assert a.input_report["history"]["rows_used"] == sum(-29 <= d <= 0 for d in known)
    assert sorted(a.customers["customer_id"]) == list(range(len(df)))
    pd.testing.assert_frame_equal(
        a.customers.set_index("customer_id").sort_index(), b.customers.set_index("customer_id").sort_index()
    )
    caps = {"sleepwalker": 1, "dissatisfied": 1, "former": 1}
    for _, row in a.customers.iterrows():
        kept = len([x for x in row["actions"].split("; ") if x])
        if kept:
            assert row["contacts_in_window"] + kept <= caps.get(row["stage"], 4)


def test_customer_state_behaviour_change_matches_pandas(synthetic: pd.DataFrame) -> None:
    today = pd.Timestamp("2023-10-01", tz="UTC")
    state = ciblage.lifecycle.customer_state(synthetic, today="2023-10-01", window_days=60).set_index("customer_id")
    tx = synthetic[synthetic["timestamp"] < today]
    cur = tx[tx["timestamp"] >= today - pd.Timedelta(days=60)]
    prev = tx[(tx["timestamp"] < today - pd.Timedelta(days=60)) & (tx["timestamp"] >= today - pd.Timedelta(days=120))]
    older = tx[(tx["timestamp"] < today - pd.Timedelta(days=120)) & (tx["amount"] > 0)]
    n_cur = cur[cur["amount"] > 0].groupby("customer_id").size().reindex(state.index, fill_value=0)
    n_prev = prev[prev["amount"] > 0].groupby("customer_id").size().reindex(state.index, fill_value=0)
    s_cur = cur.groupby("customer_id")["amount"].sum().reindex(state.index, fill_value=0.0)
    s_prev = prev.groupby("customer_id")["amount"].sum().reindex(state.index, fill_value=0.0)
    freq = ((n_cur - n_prev) / n_prev).where(n_prev > 0)
    spend = ((s_cur - s_prev) / s_prev).where(s_prev > 0)
    react = ((n_cur > 0) & (n_prev == 0) & state.index.isin(older["customer_id"])).astype(float)
    np.testing.assert_allclose(state["frequency_change"], freq, equal_nan=True)
    np.testing.assert_allclose(state["spend_change"], spend, rtol=1e-9, equal_nan=True)
    np.testing.assert_array_equal(state["reactivated"], react)
    assert set(state["tier"].dropna()) <= {"Best", "Standard", "Small", "No value"}
    out = ciblage.lifecycle.evaluate(state.reset_index(), today="2023-10-01")
    assert len(out.customers) == len(state)
    with pytest.raises(InvalidParameterError, match="invalid parameter window_days"):
        ciblage.lifecycle.customer_state(synthetic, today="2023-10-01", window_days=0)
