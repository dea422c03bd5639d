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
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import _ids, _native
from ._lifecycle_rules import RuleSet, _rules, default_rules
from ._lifecycle_state import WINDOW_DAYS as WINDOW_DAYS  # re-exported: the parameter table
from ._lifecycle_state import customer_state
from ._params import as_str
from ._report import make_report, warn_left_out
from ._tables import attach_report, from_arrow, html_summary, iso_date, table_kind, to_arrow
from ._typing import Table

if TYPE_CHECKING:
    from .plot._display import Display
from .exceptions import ColumnNotFoundError, ColumnTypeError, InvalidInputError, InvalidParameterError

__all__ = ["FIELDS", "VALUE_FIELDS", "RuleSet", "LifecycleResult", "evaluate", "default_rules", "customer_state"]

#: Numeric customer columns the rules can read (missing ones are simply absent).
FIELDS = (
    "recency_days",
    "frequency",
    "monetary",
    "r_score",
    "f_score",
    "m_score",
    "tenure_days",
    "complaints",
    "satisfaction",
    "referrals",
    "opinion_leader",
    "contract_end_days",
    "frequency_change",
    "spend_change",
    "reactivated",
    "p_alive",
    "clv",
)

#: The fields :func:`evaluate` takes from a ``value`` table (a
#: :func:`ciblage.clv.customer_value` result).
VALUE_FIELDS = ("p_alive", "clv")


def _day(value: Any, argument: str) -> int:
    text = iso_date(value, argument)
    assert text is not None
    return (_dt.date.fromisoformat(text) - _dt.date(1970, 1, 1)).days


def _local_days(column: Any, argument: str) -> np.ndarray:
    """Local days (days since 1970-01-01, floats, NaN for null or NaT) of a
    date or timestamp column: a timestamp's own calendar day in the column's
    zone (a naive timestamp's wall-clock date), as for transactions."""
    if pa.types.is_dictionary(column.type):
        column = _decoded(column)
    if not (pa.types.is_timestamp(column.type) or pa.types.is_date(column.type)):
        raise ColumnTypeError(f"{argument}: has type {column.type}, expected dates or timestamps")
    days: np.ndarray = _native.local_days(pa.table({"v": column}), column="v", argument=argument)
    return days


def _decoded(column: Any) -> Any:
    """A dictionary (categorical) column as its values."""
    value_type = column.type.value_type
    return pa.chunked_array([c.dictionary.take(c.indices) for c in column.chunks], type=value_type)


def _days_of(column: Any, argument: str) -> np.ndarray:
    """Local days of a date or timestamp column without nulls."""
    days = _local_days(column, argument)
    missing = np.isnan(days)
    if missing.any():
        row = int(np.argmax(missing))
        raise InvalidInputError(
            f"{argument}: null date at row {row} ({int(missing.sum()):,} in all); a contact without "
            "a date cannot be placed in the pressure window: drop or date these rows"
        )
    return days.astype(np.int64)


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
        input_report: rows of ``customers`` read and used (all of them), and
            under ``"history"`` the report of the contact history: rows in
            the window are used; rows ``before_window``, ``after_today`` and
            of a ``customer_not_evaluated`` are left out.

    Example:
        >>> import ciblage
        >>> from ciblage import lifecycle
        >>> tx = ciblage.datasets.transactions(customers=50, transactions=500, library="pandas")
        >>> result = lifecycle.evaluate(lifecycle.customer_state(tx, today="2024-07-01"), today="2024-07-01")
        >>> result.input_report["rows_read"]
        50
    """

    def __init__(self, customers: Table, decisions: Table, input_report: dict[str, Any] | None = None) -> None:
        self.customers = customers
        self.decisions = decisions
        self.input_report: dict[str, Any] = input_report if input_report is not None else make_report(0, {})

    def __repr__(self) -> str:
        return f"LifecycleResult(customers={len(self.customers)}, decisions={len(self.decisions)})"

    def _repr_html_(self) -> str:
        return html_summary(repr(self), tables={"customers": self.customers, "decisions": self.decisions})

    def plot(self, kind: str = "stages", ax: Any = None, **kwargs: Any) -> Display:
        """Draws a chart of this result with matplotlib (the ``ciblage[plot]``
        extra) and returns its Display (see :mod:`ciblage.plot`).

        Args:
            kind: ``"stages"`` (customers per stage and moment,
                :class:`~ciblage.plot.LifecycleStagesDisplay`) or
                ``"contacts"`` (contacts kept and suppressed by rule;
                ``by="action"`` or ``"channel"`` groups otherwise,
                :class:`~ciblage.plot.LifecycleContactsDisplay`).
            ax: matplotlib Axes to draw on (default: a new figure).
            **kwargs: options of the chart, then matplotlib keyword
                arguments, ``title``, ``xlabel``, ``ylabel``, ``figsize``.

        Raises:
            InvalidParameterError: an unknown ``kind``.
            ImportError: matplotlib is not installed.
        """
        from .plot._lifecycle import plot_result

        return plot_result(self, kind, ax, kwargs)


def evaluate(
    customers: Any,
    *,
    rules: Any = None,
    history: Any = None,
    today: Any = None,
    customer: str = "customer_id",
    tier: str | None = "tier",
    contract_end: str | None = "contract_end",
    history_customer: str | None = None,
    history_date: str | None = None,
    value: Any = None,
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
            ``history_date`` columns (default ``"customer_id"`` and
            ``"date"``; naming them without a ``history`` raises
            :class:`InvalidParameterError`). Contacts in the pressure window ending
            on ``today`` count against the cap; contacts of customers not in
            ``customers`` (with a :class:`RowsLeftOutWarning`), contacts
            before the window and contacts after ``today`` are not counted,
            and each is counted in ``input_report["history"]``. A contact
            with a null date or id raises :class:`InvalidInputError`.
            A timestamp counts on its own calendar day in the column's time
            zone (a naive one on its wall-clock date), as transactions do;
            an object column of datetimes of several zones raises
            :class:`ColumnTypeError`.
        today: the evaluation day (default: today's date).
        value: P(alive) and CLV per customer for rules on ``p_alive`` and
            ``clv``: a :class:`ciblage.clv.CustomerValue` (its
            ``customer_id`` column), or a table with the ``customer`` id
            column and a ``p_alive`` and/or ``clv`` column. Matched on the
            ids; a customer absent from it (or with NaN/null there) has no
            value, and no condition on that field holds for him (neither
            ``>`` nor ``<=``). Rows of customers not evaluated are unused
            (counted in ``input_report["value"]``). Refused beside
            ``customers`` columns of the same names (one would be ignored);
            ``p_alive`` outside [0, 1] raises :class:`InvalidInputError`.
        tier, contract_end: optional columns, read when present; a name
            other than the default that is not a column raises
            :class:`ColumnNotFoundError` (it would be ignored). A
            ``contract_end`` column beside a ``contract_end_days`` column
            raises :class:`InvalidInputError` (one of the two would be
            ignored); contract ends count on their local day, like contacts.

    Numeric fields may be integers, floats, booleans or decimals; NaN or
    null is a missing value, an infinite value raises
    :class:`InvalidInputError` naming the column and row.

    One row per customer: a repeated or null id raises
    :class:`InvalidInputError` naming the column. Ids match across integer
    widths and string, large string, string view and categorical columns;
    integer against string ids raise :class:`ColumnTypeError`.

    Example:
        >>> import ciblage
        >>> from ciblage import lifecycle
        >>> tx = ciblage.datasets.transactions(customers=200, transactions=2_000, library="pandas")
        >>> state = lifecycle.customer_state(tx, today="2024-07-01")
        >>> result = lifecycle.evaluate(state, today="2024-07-01")
        >>> len(result.customers)
        200
    """
    value_table = value  # `value` is reused below
    customer = as_str(customer, "customer")
    tier = None if tier is None else as_str(tier, "tier")
    contract_end = None if contract_end is None else as_str(contract_end, "contract_end")
    if history is None:
        for name, value in (("history_customer", history_customer), ("history_date", history_date)):
            if value is not None:
                raise InvalidParameterError(
                    f"invalid parameter {name}: {value!r} names a column of history, but no history was given"
                )
    history_customer = as_str("customer_id" if history_customer is None else history_customer, "history_customer")
    history_date = as_str("date" if history_date is None else history_date, "history_date")
    rule_set = _rules(rules)
    t = _day(today if today is not None else _dt.date.today(), "today")
    kind = table_kind(customers)
    present = _column_names(customers)
    wanted = {"customer": customer}
    for wanted_name in (*FIELDS, tier, contract_end):
        if wanted_name and wanted_name in present:
            wanted[wanted_name] = wanted_name
    for argument, value, default in (("tier", tier, "tier"), ("contract_end", contract_end, "contract_end")):
        if value is not None and value != default and value not in present:
            raise ColumnNotFoundError(f"{argument}: column {value!r} not found; the table has {present}")
    if contract_end and contract_end in present and "contract_end_days" in present:
        raise InvalidInputError(
            f"contract_end: customers have both a {contract_end!r} column and a 'contract_end_days' column; "
            "keep one (the dates are turned into contract_end_days from today)"
        )
    table = pa.table(to_arrow(customers, wanted, argument="customers"))
    if table.num_rows == 0:
        raise InvalidInputError("customers: input is empty")
    where = f"customers column {customer!r}"
    key = _ids.normalize(table.column(customer), where)
    _ids.refuse_nulls(key, where)
    _ids.refuse_duplicates(key, where)
    columns: dict[str, np.ndarray] = {}
    for name in FIELDS:
        if name in table.column_names:
            col = table.column(name)
            if pa.types.is_dictionary(col.type):
                col = _decoded(col)
            if not (
                pa.types.is_integer(col.type)
                or pa.types.is_floating(col.type)
                or pa.types.is_boolean(col.type)
                or pa.types.is_decimal(col.type)
            ):
                raise ColumnTypeError(f"{name}: has type {col.type}, expected numbers")
            # Integers beyond 2**53 become the nearest float (the rules
            # compare them with float thresholds): not an error.
            columns[name] = np.ascontiguousarray(
                pc.cast(col, pa.float64(), safe=False).to_numpy(zero_copy_only=False), dtype=np.float64
            )
    if contract_end and contract_end in table.column_names:
        end = table.column(contract_end)
        if pa.types.is_dictionary(end.type):
            end = _decoded(end)
        if not (pa.types.is_timestamp(end.type) or pa.types.is_date(end.type)):
            raise ColumnTypeError(f"contract_end: column {contract_end!r} has type {end.type}, expected dates")
        # A missing contract end is a missing value (NaN): no event fires.
        days = _local_days(end, f"contract_end: column {contract_end!r}")
        columns["contract_end_days"] = np.ascontiguousarray(days - float(t), dtype=np.float64)
    tiers = None
    if tier and tier in table.column_names:
        tier_col = table.column(tier)
        if pa.types.is_floating(tier_col.type):
            # A NaN tier is a missing tier, as a null is.
            tier_col = pc.if_else(pc.is_nan(tier_col), pa.scalar(None, tier_col.type), tier_col)
        try:
            tier_text = tier_col.cast(pa.string())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
            raise ColumnTypeError(f"tier: column {tier!r} has type {tier_col.type}, expected labels") from e
        tiers = [("" if v is None else str(v)) for v in tier_text.to_pylist()]
    ids = table.column(customer)
    if str(ids.type) in ("string_view", "binary_view"):
        ids = ids.cast(pa.large_string())
    h = None
    if history is not None:
        h = pa.table(
            to_arrow(history, {"history_customer": history_customer, "history_date": history_date}, argument="history")
        )
    if h is None or h.num_rows == 0:
        # No contact (an empty table's columns may have any type).
        rows, days = np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.int64)
    else:
        hwhere = f"history column {history_customer!r}"
        _ids.check_same_kind(table.column(customer), where, h.column(history_customer), hwhere)
        hid = _ids.normalize(h.column(history_customer), hwhere)
        _ids.refuse_nulls(hid, hwhere)
        days = _days_of(h.column(history_date), f"history_date: column {history_date!r}")
        # Matched on the ids in the core; contacts of customers not
        # evaluated are counted apart (u32::MAX).
        index = hid.positions_in(key)
        rows = np.where(index < 0, _NOT_EVALUATED, index).astype(np.uint32)
    value_report = None
    if value_table is not None:
        value_report = _value_fields(value_table, customer, table, key, where, columns)
    cust, dec, counts = _native.lifecycle_evaluate(rule_set, table.num_rows, columns, tiers, rows, days, t)
    in_window, before_window, after_today, not_evaluated = counts
    history_report = make_report(
        len(rows),
        {"before_window": before_window, "after_today": after_today, "customer_not_evaluated": not_evaluated},
    )
    report = make_report(table.num_rows, {}, history=history_report)
    if value_report is not None:
        report["value"] = value_report
    warn_left_out(history_report, "lifecycle.evaluate: history", expected=("before_window", "after_today"))
    cust = pa.table(cust)
    cust = cust.add_column(0, customer, ids)
    dec = pa.table(dec)
    dec = dec.add_column(0, customer, pc.take(ids, dec.column("row"))).drop_columns(["row"])
    out = kind if kind in ("pandas", "polars") else "pyarrow"
    return LifecycleResult(
        attach_report(from_arrow(cust, out), report), attach_report(from_arrow(dec, out), report), report
    )


_NOT_EVALUATED = 2**32 - 1


def _value_fields(
    value: Any, customer: str, table: Any, key: Any, where: str, columns: dict[str, np.ndarray]
) -> dict[str, Any]:
    """Adds ``p_alive`` and ``clv`` of a value table to ``columns``, matched on
    the customer ids (NaN for a customer without a row); returns its report."""
    from ._clv_value import CustomerValue

    if isinstance(value, CustomerValue):
        data, id_name = value.customers, "customer_id"
    else:
        data, id_name = value, customer
    present = _column_names(data)
    fields = [f for f in VALUE_FIELDS if f in present]
    if not fields:
        raise ColumnNotFoundError(f"value: no column {' or '.join(map(repr, VALUE_FIELDS))}; the table has {present}")
    for f in fields:
        if f in table.column_names:
            raise InvalidInputError(
                f"value: customers already have a {f!r} column, and value has one too; keep one of them"
            )
    v = pa.table(to_arrow(data, {"customer": id_name, **{f: f for f in fields}}, argument="value"))
    vwhere = f"value column {id_name!r}"
    _ids.check_same_kind(table.column(customer), where, v.column(id_name), vwhere)
    vkey = _ids.normalize(v.column(id_name), vwhere)
    _ids.refuse_nulls(vkey, vwhere)
    _ids.refuse_duplicates(vkey, vwhere)
    index = key.positions_in(vkey)
    found = index >= 0
    for f in fields:
        col = v.column(f)
        if not (pa.types.is_integer(col.type) or pa.types.is_floating(col.type) or pa.types.is_decimal(col.type)):
            raise ColumnTypeError(f"value: column {f!r} has type {col.type}, expected numbers")
        values = pc.cast(col, pa.float64(), safe=False).to_numpy(zero_copy_only=False).astype(np.float64)
        out = np.full(len(index), np.nan)
        out[found] = values[index[found]]
        columns[f] = np.ascontiguousarray(out)
    used = int(np.unique(index[found]).size)
    return make_report(
        v.num_rows, {"customer_not_evaluated": v.num_rows - used}, customers_without_value=int((~found).sum())
    )
