"""Value tiers (Pareto count tiers, ABC classes) and concentration of value."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, overload

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import _native, _stream
from ._params import as_choice, as_str
from ._report import make_report
from ._tables import (
    attach_report,
    column_arg,
    float_list,
    from_arrow,
    html_summary,
    native_order,
    opt_column_arg,
    table_kind,
    to_arrow,
)
from ._typing import Table
from .exceptions import ColumnTypeError, InvalidInputError, InvalidParameterError

if TYPE_CHECKING:
    import pandas
    import polars
    import pyarrow

    from .plot._display import Display

__all__ = ["customer_totals", "value_tiers", "ValueTiers"]


@overload
def customer_totals(
    transactions: polars.DataFrame | polars.LazyFrame,
    *,
    customer: str = "customer_id",
    amount: str = "amount",
    cost: str | None = None,
) -> polars.DataFrame: ...


@overload
def customer_totals(
    transactions: pandas.DataFrame,
    *,
    customer: str = "customer_id",
    amount: str = "amount",
    cost: str | None = None,
) -> pandas.DataFrame: ...


@overload
def customer_totals(  # type: ignore[overload-cannot-match]
    transactions: object,
    *,
    customer: str = "customer_id",
    amount: str = "amount",
    cost: str | None = None,
) -> pyarrow.Table: ...


def customer_totals(
    transactions: Any,
    *,
    customer: str = "customer_id",
    amount: str = "amount",
    cost: str | None = None,
) -> Table:
    """Totals per customer, the customer's income statement: number of
    transactions, revenue (net sum of amounts, returns included) and, with
    ``cost``, cost and margin (revenue minus cost).

    One row per customer (dense integer ids ascending, other ids in order
    of first appearance), as a table of the caller's library (pandas, polars, else pyarrow); feed it to
    :func:`value_tiers` or :func:`concentration` with ``value="revenue"`` or
    ``value="margin"``.

    Every row is used (bad rows are refused, none is left out); the input
    report (``rows_read``, ``rows_used``, ``left_out``) is attached to the
    result as for :func:`ciblage.rfm` (pandas ``attrs["input_report"]``,
    pyarrow schema metadata ``b"ciblage.input_report"``).

    Raises:
        InvalidInputError: empty input, null ids or amounts, NaN/inf amounts
            or costs, a customer's total beyond the float range (±1.8e308).
        ColumnNotFoundError, ColumnTypeError: a missing column or one of the
            wrong type.

    Example:
        >>> import ciblage
        >>> tx = ciblage.datasets.transactions(customers=200, transactions=2_000, library="pandas")
        >>> totals = ciblage.customer_totals(tx)
        >>> list(totals.columns), len(totals), int(totals["transactions"].sum())
        (['customer_id', 'transactions', 'revenue'], 200, 2000)
    """
    labels = {"customer": customer, "amount": amount}
    customer = column_arg(customer, "customer")
    amount = column_arg(amount, "amount")
    cost = opt_column_arg(cost, "cost")
    _check_output_names(
        "customer",
        customer,
        ("transactions", "revenue") + (() if cost is None else ("cost", "margin")),
        "customer_totals",
    )
    columns = {"customer": customer, "amount": amount}
    if cost is not None:
        columns["cost"] = cost
    if _stream.is_stream(transactions):
        stream = _native.totals_stream(customer=customer, amount=amount, cost=cost)
        _stream.absorb(stream, transactions, columns, False, "customer_totals")
        table = pa.RecordBatchReader.from_stream(stream.totals()).read_all()
        kind = _stream.stream_kind(transactions)
    else:
        native = _native.customer_totals(to_arrow(transactions, columns), customer=customer, amount=amount, cost=cost)
        table = pa.RecordBatchReader.from_stream(native).read_all()
        kind = table_kind(transactions)
    # Every row is counted in one customer's transactions (bad rows are
    # refused, none is left out): the rows read are their sum.
    rows = int(pc.sum(table.column("transactions")).as_py() or 0)
    out = from_arrow(table, kind if kind in ("pandas", "polars") else "pyarrow")
    if kind == "pandas" and not isinstance(labels["customer"], str):
        out = out.rename(columns={customer: labels["customer"]})
    return attach_report(out, make_report(rows, {}))


def _check_output_names(argument: str, column: str, taken: tuple[str, ...], what: str) -> None:
    """Refuses a column kept in the output under a name the output gives
    to another column (the table would hold two columns of that name, and
    pandas or polars would keep one of them)."""
    if column in taken:
        shown = ", ".join(json.dumps(t) for t in taken)
        raise InvalidParameterError(
            f"invalid parameter {argument}: column {json.dumps(column)} is kept in the output of {what}, "
            f"whose columns {shown} it would clash with; rename it first"
        )


def _value_source(customers: Any, value: Any) -> tuple[Any, Any]:
    """The table and value column: a ``CustomerValue``'s ``customers`` table
    and ``"clv"`` by default, else the input and ``"monetary"``."""
    from ._clv_value import CustomerValue

    if isinstance(customers, CustomerValue):
        return customers.customers, "clv" if value is None else value
    return customers, "monetary" if value is None else value


def _is_table(data: Any) -> bool:
    """False for a 1-D array of values (numpy, list, Series, Arrow array)."""
    kind = table_kind(data)
    return not (
        isinstance(data, (np.ndarray, list, tuple, range, pa.Array, pa.ChunkedArray))
        or (kind in ("pandas", "polars") and data.__class__.__name__ == "Series")
    )


def _id_and_values(
    data: Any, customer: str | None, value: str, argument: str = "customers"
) -> tuple[pa.Table | None, np.ndarray, str]:
    """The customer id column (if any) and the value column as float64."""
    if _stream.is_stream(data):
        wanted = {"value": value} if customer is None else {"customer": customer, "value": value}
        data = _stream.materialized(data, wanted, argument)
    kind = table_kind(data)
    if not _is_table(data):
        if isinstance(data, np.ndarray) and data.ndim != 1:
            raise ColumnTypeError(f"{argument}: expected a 1-D array of values, got an array of shape {data.shape}")
        if isinstance(data, np.ndarray):
            data = native_order(data)
        if isinstance(data, pa.ChunkedArray):
            column = data
        else:
            try:
                array = data if isinstance(data, pa.Array) else pa.array(data)
            except (
                pa.ArrowInvalid,
                pa.ArrowTypeError,
                pa.ArrowNotImplementedError,
                TypeError,
                ValueError,
                OverflowError,
            ) as e:
                raise ColumnTypeError(f"{argument}: cannot read the values as one numeric type: {e}") from e
            column = pa.chunked_array([array])
        return None, _floats(column, "value"), kind
    columns = {"value": value} if customer is None else {"customer": customer, "value": value}
    table = pa.table(to_arrow(data, columns, argument=argument))
    ids = None if customer is None else table.select([customer])
    if ids is not None and customer is not None:
        _check_ids(ids.column(0), customer)
    return ids, _floats(table.column(value), value), kind


def _check_ids(ids: pa.ChunkedArray, name: str) -> None:
    """Refuses null and repeated ids in a table of one row per customer."""
    label = f"customer (column {json.dumps(name)})"
    if ids.null_count:
        row = int(np.flatnonzero(ids.is_null().to_numpy(zero_copy_only=False))[0])
        raise InvalidInputError(f"{label}: null value at row {row}")
    if _ascending_integers(ids):  # customer_totals' integer ids: one pass, no hashing
        return
    try:
        plain = ids.cast(ids.type.value_type) if pa.types.is_dictionary(ids.type) else ids
        encoded = pc.dictionary_encode(plain).combine_chunks()
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as e:
        raise ColumnTypeError(
            f"{label}: has type {ids.type}, expected integers, strings, dates or a categorical"
        ) from e
    # As many distinct ids as rows: none repeated (the hash pass above tells;
    # the rows of a repeat are looked for only then).
    if len(encoded.dictionary) == len(encoded):
        return
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    _, first = np.unique(codes, return_index=True)
    if len(first) == len(codes):
        return
    repeated = np.ones(len(codes), dtype=bool)
    repeated[first] = False
    row = int(np.flatnonzero(repeated)[0])
    earlier = int(np.flatnonzero(codes[:row] == codes[row])[0])
    raise InvalidInputError(
        f"{label}: id {plain[row].as_py()!r} appears more than once (rows {earlier} and {row}); "
        "expected one row per customer (customer_totals gives one)"
    )


def _ascending_integers(ids: pa.ChunkedArray) -> bool:
    """True for integer ids without nulls in strictly ascending order (so
    none is repeated), as :func:`customer_totals` gives dense integer ids:
    one vectorised pass over the ids, where a hash table would cost more."""
    if not pa.types.is_integer(ids.type) or ids.null_count:
        return False
    previous = None
    for chunk in ids.chunks:
        if len(chunk) == 0:
            continue
        values = chunk.to_numpy()
        if not bool(np.all(values[1:] > values[:-1])):
            return False
        if previous is not None and not values[0] > previous:
            return False
        previous = values[-1]
    return True


def _floats(column: pa.ChunkedArray, name: str) -> np.ndarray:
    label = "value" if name == "value" else f"value (column {json.dumps(name)})"
    if len(column) == 0:  # an empty list has no type to check
        raise InvalidInputError(f"{label}: input is empty")
    if pa.types.is_null(column.type):  # every value missing: no type inferred
        raise InvalidInputError(f"{label}: null value at row 0")
    if not (pa.types.is_integer(column.type) or pa.types.is_floating(column.type) or pa.types.is_decimal(column.type)):
        raise ColumnTypeError(f"{label}: has type {column.type}, expected numbers")
    if column.null_count:
        row = int(np.flatnonzero(column.is_null().to_numpy(zero_copy_only=False))[0])
        raise InvalidInputError(f"{label}: null value at row {row}")
    # Integers beyond 2^53 and decimals round to the nearest float, as any
    # number does in a floating-point computation (relative error < 1e-16).
    return np.ascontiguousarray(column.cast(pa.float64(), safe=False).to_numpy(), dtype=np.float64)


class ValueTiers:
    """The outcome of :func:`value_tiers`.

    Attributes:
        customers: the input customers (same order) with ``value``, ``rank``
            (1 = highest value; ties in row order) and ``tier``.
        summary: one row per tier, best first, the zero/negative-value tier
            last: tier, customers, share_of_customers, value, share_of_value,
            mean_value, min_value, max_value.
        names: tier names in that order.
        input_report: rows read and used (every row is used: zero and
            negative values form the no-value tier).

    Example:
        >>> import ciblage
        >>> tx = ciblage.datasets.transactions(customers=100, transactions=1_000, library="pandas")
        >>> tiers = ciblage.value_tiers(ciblage.rfm(tx))
        >>> int(tiers.summary["customers"].sum())
        100
    """

    def __init__(self, customers: Table, summary: Table, names: list[str], input_report: dict[str, Any]) -> None:
        self.customers = customers
        self.summary = summary
        self.names = names
        self.input_report = input_report

    def __repr__(self) -> str:
        return f"ValueTiers(tiers={self.names!r}, customers={len(self.customers)})"

    def _repr_html_(self) -> str:
        figures = {"customers": len(self.customers), "tiers": len(self.names)}
        return html_summary(repr(self), self.summary, figures=figures)

    def plot(self, kind: str = "pareto", ax: Any = None, **kwargs: Any) -> Display:
        """Draws a chart of this result with matplotlib (the ``ciblage[plot]``
        extra) and returns its Display (see :mod:`ciblage.plot`).

        Args:
            kind: ``"pareto"`` (cumulative share of value by customer
                rank over the tier bands, :class:`~ciblage.plot.ParetoDisplay`).
            ax: matplotlib Axes to draw on (default: a new figure).
            **kwargs: options of the chart, then matplotlib keyword
                arguments, ``title``, ``xlabel``, ``ylabel``, ``figsize``.

        Raises:
            InvalidParameterError: an unknown ``kind``.
            ImportError: matplotlib is not installed.
        """
        from .plot._value import plot_tiers

        return plot_tiers(self, kind, ax, kwargs)


def value_tiers(
    customers: Any,
    *,
    value: str | None = None,
    customer: str | None = "customer_id",
    method: str = "count",
    shares: Sequence[float] | None = None,
    bounds: Sequence[float] | None = None,
    names: Sequence[str] | None = None,
    no_value_name: str = "No value",
) -> ValueTiers:
    """Ranks customers by value and cuts them into tiers.

    Args:
        customers: one row per customer (pandas, polars or pyarrow table, such
            as :func:`ciblage.rfm`'s output), a
            :class:`ciblage.clv.CustomerValue` (its ``customers`` table), or a
            1-D array of values.
        value: the value column (revenue, margin, clv, …); default
            ``"clv"`` for a :class:`ciblage.clv.CustomerValue`, else
            ``"monetary"``.
        customer: the id column kept in the output (``None``: no id).
        method: ``"count"``: tiers of ``shares`` of the customers (default
            5 % / 15 % / 80 %: Best, Standard, Small); ``"abc"``: classes by
            cumulative share of value at ``bounds`` (default 80 % / 95 %: A,
            B, C). The customer straddling a boundary goes to the upper tier.
        names: tier names, best first.
        no_value_name: name of the tier of customers with zero or negative
            value, who are not ranked into the other tiers.

    Raises:
        InvalidInputError: empty input, NaN/inf or null values, null or
            repeated customer ids, totals beyond the float range (±1.8e308).
        InvalidParameterError: shares not summing to 1, bounds not
            increasing in (0, 1), wrong number of names.
        ColumnNotFoundError, ColumnTypeError: a missing or non-numeric column.

    Example:
        >>> import ciblage
        >>> tx = ciblage.datasets.transactions(customers=200, transactions=2_000, library="pandas")
        >>> tiers = ciblage.value_tiers(ciblage.rfm(tx))
        >>> tiers
        ValueTiers(tiers=['Best', 'Standard', 'Small', 'No value'], customers=200)
    """
    customers, value = _value_source(customers, value)
    labels = {column_arg(value, "value"): value}
    if customer is not None:
        labels[column_arg(customer, "customer")] = customer
    value = column_arg(value, "value")
    customer = opt_column_arg(customer, "customer")
    method = as_choice(method, "method", ("count", "abc"))
    shares_list = float_list(shares, "shares")
    bounds_list = float_list(bounds, "bounds")
    if names is not None and (isinstance(names, (str, bytes)) or not hasattr(names, "__iter__")):
        raise InvalidParameterError(f"invalid parameter names: expected a list of strings, got {names!r}")
    name_list = None if names is None else [as_str(n, "names") for n in names]
    no_value_name = as_str(no_value_name, "no_value_name")
    if _is_table(customers):
        _check_output_names("value", value, ("rank", "tier"), "value_tiers")
        if customer is not None:
            _check_output_names("customer", customer, (value, "rank", "tier"), "value_tiers")
    ids, values, kind = _id_and_values(customers, customer, value)
    tier, rank, tier_names, summary = _native.value_tiers(
        values,
        column=value if _is_table(customers) else "value",
        method=method,
        shares=shares_list,
        bounds=bounds_list,
        names=name_list,
        no_value_name=no_value_name,
    )
    columns: dict[str, Any] = {}
    if ids is not None and customer is not None:
        columns[customer] = ids.column(customer)
    columns[value] = pa.array(values)
    columns["rank"] = pa.array(rank)
    columns["tier"] = pa.DictionaryArray.from_arrays(pa.array(tier.astype(np.int32)), pa.array(tier_names))
    out_kind = kind if kind in ("pandas", "polars") else "pyarrow"
    report = make_report(len(values), {})
    table = from_arrow(pa.table(columns), out_kind)
    if out_kind == "pandas":  # integer column labels come back as they were given
        table = table.rename(columns={k: v for k, v in labels.items() if not isinstance(v, str)})
    return ValueTiers(table, from_arrow(summary, out_kind), list(tier_names), report)
