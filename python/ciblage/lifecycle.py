"""Lifecycle stages, actions, channels and the commercial-pressure cap.

>>> import ciblage, pandas as pd
>>> customers = pd.DataFrame({"customer_id": [1, 2], "frequency": [12, 3],
...                           "recency_days": [5, 250], "tenure_days": [900, 700],
...                           "tier": ["Best", "Small"]})
>>> out = ciblage.lifecycle.evaluate(customers, today="2026-01-15")
>>> out.customers[["customer_id", "stage", "channel", "actions"]].values.tolist()
[[1, 'best', 'personal', 'loyalty reward'], [2, 'inactive', 'mass', 'reactivation offer']]
"""

from __future__ import annotations

import datetime as _dt
import os
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import _native
from ._tables import from_arrow, iso_date, read_text, table_kind, to_arrow
from .exceptions import ColumnTypeError, InvalidInputError, InvalidParameterError

__all__ = ["FIELDS", "RuleSet", "LifecycleResult", "evaluate", "default_rules", "customer_state"]

#: Numeric customer columns the rules can read (missing ones are simply absent).
FIELDS = (
    "recency_days", "frequency", "monetary", "r_score", "f_score", "m_score", "tenure_days",
    "complaints", "satisfaction", "referrals", "opinion_leader", "contract_end_days",
    "frequency_change", "spend_change", "reactivated",
)

RuleSet = _native.RuleSet


def default_rules() -> Any:
    """The default rule set (written out in docs/lifecycle.md)."""
    return RuleSet.default()


def _rules(rules: Any) -> Any:
    if rules is None:
        return RuleSet.default()
    if isinstance(rules, RuleSet):
        return rules
    if isinstance(rules, (str, os.PathLike)):
        path = os.fspath(rules)
        if path.endswith(".toml"):
            return RuleSet.from_toml(read_text(path))
        if path.endswith(".json"):
            return RuleSet.from_json(read_text(path))
    raise InvalidParameterError(
        f"invalid parameter rules: expected a RuleSet or a path to a .toml/.json file, got {rules!r}"
    )


def _day(value: Any, argument: str) -> int:
    text = iso_date(value, argument)
    assert text is not None
    return (_dt.date.fromisoformat(text) - _dt.date(1970, 1, 1)).days


def _days_of(column: Any, argument: str) -> np.ndarray:
    if pa.types.is_timestamp(column.type) or pa.types.is_date(column.type):
        return pc.cast(pc.cast(column, pa.date32()), pa.int32()).to_numpy(zero_copy_only=False).astype(np.int64)
    raise ColumnTypeError(f"{argument}: has type {column.type}, expected dates or timestamps")


def _column_names(data: Any) -> list[str]:
    if hasattr(data, "column_names"):
        return [str(c) for c in data.column_names]
    if hasattr(data, "columns"):
        return [str(c) for c in data.columns]
    if isinstance(data, dict):
        return [str(k) for k in data]
    return []


class LifecycleResult:
    """The outcome of :func:`evaluate`, tables of the caller's library.

    Attributes:
        customers: one row per input customer, same order: the id, stage,
            moment, channel (by value tier), actions kept and suppressed
            (``"; "``-separated, priority order), contacts already in the window.
        decisions: one row per fired rule: the id, rule, action, channel,
            cost, kept, and the explanation (why it fired, why it was
            suppressed).
    """

    def __init__(self, customers: Any, decisions: Any) -> None:
        self.customers = customers
        self.decisions = decisions


def evaluate(
    customers: Any,
    *,
    rules: Any = None,
    history: Any = None,
    today: Any = None,
    customer: str = "customer_id",
    tier: str | None = "tier",
    contract_end: str | None = "contract_end",
    history_customer: str = "customer_id",
    history_date: str = "date",
) -> LifecycleResult:
    """Assigns stages, moments, channels and actions to every customer.

    Args:
        customers: one row per customer (pandas, polars or pyarrow), with any
            of :data:`FIELDS` as columns (``ciblage.rfm`` output has recency,
            frequency, monetary, scores and tenure), an optional value ``tier``
            column (``ciblage.value_tiers``), and an optional ``contract_end``
            date column (turned into ``contract_end_days`` from ``today``).
        rules: a :class:`RuleSet`, a path to a ``.toml``/``.json`` rule file,
            or ``None`` for the default rules.
        history: past contacts, one row each: ``history_customer`` and
            ``history_date`` columns. Contacts in the pressure window ending
            on ``today`` count against the cap; contacts of customers not in
            ``customers`` and contacts after ``today`` are not counted.
        today: the evaluation day (default: today's date).
    """
    kind = table_kind(customers)
    present = _column_names(customers)
    wanted = {"customer": customer}
    for name in (*FIELDS, tier, contract_end):
        if name and name in present:
            wanted[name] = name
    table = pa.table(to_arrow(customers, wanted, argument="customers"))
    if table.num_rows == 0:
        raise InvalidInputError("customers: input is empty")
    t = _day(today if today is not None else _dt.date.today(), "today")
    columns: dict[str, np.ndarray] = {}
    for name in FIELDS:
        if name in table.column_names:
            col = table.column(name)
            if not (pa.types.is_integer(col.type) or pa.types.is_floating(col.type) or pa.types.is_boolean(col.type)):
                raise ColumnTypeError(f"{name}: has type {col.type}, expected numbers")
            columns[name] = np.ascontiguousarray(
                pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64
            )
    if contract_end and contract_end in table.column_names and "contract_end_days" not in columns:
        days = pc.cast(pc.cast(table.column(contract_end), pa.date32()), pa.int32())
        columns["contract_end_days"] = pc.subtract(pc.cast(days, pa.float64()), float(t)).to_numpy(
            zero_copy_only=False
        )
    tiers = None
    if tier and tier in table.column_names:
        tiers = [("" if v is None else str(v)) for v in table.column(tier).cast(pa.string()).to_pylist()]
    ids = table.column(customer)
    if str(ids.type) in ("string_view", "binary_view"):
        ids = ids.cast(pa.large_string())
    if history is None:
        rows, days = np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.int64)
    else:
        h = pa.table(to_arrow(history, {"history_customer": history_customer, "history_date": history_date},
                              argument="history"))
        hid = h.column(history_customer)
        if str(hid.type) in ("string_view", "binary_view"):
            hid = hid.cast(pa.large_string())
        index = pc.index_in(hid, value_set=ids.combine_chunks())
        keep = pc.is_valid(index)
        rows = pc.filter(index, keep).to_numpy(zero_copy_only=False).astype(np.uint32)
        days = _days_of(pc.filter(h.column(history_date), keep), "history_date")
    cust, dec = _native.lifecycle_evaluate(
        _rules(rules), table.num_rows, columns, tiers, rows, days, t
    )
    cust = pa.table(cust)
    cust = cust.add_column(0, customer, ids)
    dec = pa.table(dec)
    dec = dec.add_column(0, customer, pc.take(ids, dec.column("row"))).drop_columns(["row"])
    out = kind if kind in ("pandas", "polars") else "pyarrow"
    return LifecycleResult(from_arrow(cust, out), from_arrow(dec, out))


def customer_state(
    transactions: Any,
    *,
    today: Any,
    customer: str = "customer_id",
    timestamp: str = "timestamp",
    amount: str = "amount",
    window_days: int = 90,
    timezone: str | None = None,
) -> Any:
    """The state rules read, built from transactions as of ``today``: RFM
    values and scores (``ciblage.rfm``), the value tier (5/15/80), and the
    behaviour change of the last ``window_days`` days against the
    ``window_days`` before (``frequency_change``, ``spend_change``,
    ``reactivated``). Add complaints, satisfaction, referrals or contract ends
    as columns before :func:`evaluate`. Returns the caller's library.
    """
    from ._rfm import rfm
    from ._value import value_tiers

    if isinstance(window_days, bool) or not isinstance(window_days, int) or window_days < 1:
        raise InvalidParameterError(f"invalid parameter window_days: expected a number of days >= 1, got {window_days!r}")
    day = iso_date(today, "today")
    scores = rfm(transactions, customer=customer, timestamp=timestamp, amount=amount, as_of=day, timezone=timezone)
    tiers = value_tiers(scores, value="monetary", customer="customer_id")
    change = _native.behaviour_change(
        to_arrow(transactions, {"customer": customer, "timestamp": timestamp, "amount": amount}),
        customer=customer, timestamp=timestamp, amount=amount, today=day, window_days=window_days,
        timezone=timezone,
    )
    kind = table_kind(transactions)
    out = kind if kind in ("pandas", "polars") else "pyarrow"
    base = pa.table(scores) if out == "pyarrow" else pa.Table.from_pandas(scores) if out == "pandas" else scores.to_arrow()
    tier_col = (pa.table(tiers.customers) if out == "pyarrow" else pa.Table.from_pandas(tiers.customers)
                if out == "pandas" else tiers.customers.to_arrow()).column("tier")
    joined = base.append_column("tier", tier_col.cast(pa.string()))
    change = pa.table(change)
    joined = joined.join(change, keys="customer_id", join_type="left outer").sort_by("customer_id")
    return from_arrow(joined, out)
