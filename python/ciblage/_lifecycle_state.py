"""The customer state lifecycle rules read, built from transactions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, overload

import pyarrow as pa
import pyarrow.compute as pc

from . import _ids, _native
from ._params import Param, as_str, convert
from ._report import make_report
from ._tables import as_timezone, attach_report, from_arrow, iso_date, table_kind, to_arrow
from ._typing import Table
from .exceptions import InvalidParameterError

if TYPE_CHECKING:
    import pandas
    import polars
    import pyarrow

# The window of behaviour_change; the native check shares the lower bound,
# the upper one is the native integer type's (tests/test_params_table.py).
WINDOW_DAYS = Param(
    "window_days",
    "int",
    90,
    "days of each window compared",
    low=1,
    high=2**32 - 1,
    native="window_days",
    native_checks=("low",),
)


@overload
def customer_state(
    transactions: polars.DataFrame | polars.LazyFrame,
    *,
    today: Any,
    customer: str = "customer_id",
    timestamp: str = "timestamp",
    amount: str = "amount",
    window_days: int = 90,
    timezone: Any = None,
) -> polars.DataFrame: ...


@overload
def customer_state(
    transactions: pandas.DataFrame,
    *,
    today: Any,
    customer: str = "customer_id",
    timestamp: str = "timestamp",
    amount: str = "amount",
    window_days: int = 90,
    timezone: Any = None,
) -> pandas.DataFrame: ...


@overload
def customer_state(  # type: ignore[overload-cannot-match]
    transactions: object,
    *,
    today: Any,
    customer: str = "customer_id",
    timestamp: str = "timestamp",
    amount: str = "amount",
    window_days: int = 90,
    timezone: Any = None,
) -> pyarrow.Table: ...


def customer_state(
    transactions: Any,
    *,
    today: Any,
    customer: str = "customer_id",
    timestamp: str = "timestamp",
    amount: str = "amount",
    window_days: int = 90,
    timezone: Any = None,
) -> Table:
    """The state rules read, built from transactions as of ``today``: RFM
    values and scores (``ciblage.rfm``), the value tier (5/15/80), and the
    behaviour change of the last ``window_days`` days against the
    ``window_days`` before (``frequency_change``, ``spend_change``,
    ``reactivated``). Add complaints, satisfaction, referrals or contract ends
    as columns before :func:`evaluate`. Returns the caller's library, with
    the input report (rows on or after ``today`` left out) in
    ``attrs["input_report"]`` (pandas) or the schema metadata (pyarrow).

    Example:
        >>> import ciblage
        >>> from ciblage import lifecycle
        >>> tx = ciblage.datasets.transactions(customers=200, transactions=2_000, library="pandas")
        >>> state = lifecycle.customer_state(tx, today="2024-07-01", window_days=60)
        >>> len(state), "r_score" in state.columns
        (200, True)
    """
    from ._rfm import rfm
    from ._value import value_tiers

    customer = as_str(customer, "customer")
    timestamp = as_str(timestamp, "timestamp")
    amount = as_str(amount, "amount")
    window_days = convert(WINDOW_DAYS, window_days)
    timezone = as_timezone(timezone)
    day = iso_date(today, "today")
    if day is None:
        raise InvalidParameterError("invalid parameter today: expected a date, got None")
    columns = {"customer": customer, "timestamp": timestamp, "amount": amount}
    arrow_tx = to_arrow(transactions, columns, argument="transactions")
    kind = table_kind(transactions)
    if kind not in ("pandas", "polars"):
        # A stream can be read once: both readers below take the table.
        arrow_tx = arrow_tx if isinstance(arrow_tx, pa.Table) else pa.RecordBatchReader.from_stream(arrow_tx).read_all()
        transactions = arrow_tx
    scores = rfm(transactions, customer=customer, timestamp=timestamp, amount=amount, as_of=day, timezone=timezone)
    tiers = value_tiers(scores, value="monetary", customer="customer_id")
    change, (rows_read, after_today) = _native.behaviour_change(
        arrow_tx,
        customer=customer,
        timestamp=timestamp,
        amount=amount,
        today=day,
        window_days=window_days,
        timezone=timezone,
    )
    out = kind if kind in ("pandas", "polars") else "pyarrow"
    base = (
        pa.table(scores) if out == "pyarrow" else pa.Table.from_pandas(scores) if out == "pandas" else scores.to_arrow()
    )
    tier_col = (
        pa.table(tiers.customers)
        if out == "pyarrow"
        else pa.Table.from_pandas(tiers.customers)
        if out == "pandas"
        else tiers.customers.to_arrow()
    ).column("tier")
    joined = base.append_column("tier", tier_col.cast(pa.string()))
    change = pa.table(change)
    # Matched through normalised ids, not a join: the two tables may hold the
    # same ids as string, large_string, string_view or dictionary columns.
    where = "customer_state: customer_id"
    left = _ids.normalize(joined.column("customer_id"), where)
    right = _ids.normalize(change.column("customer_id"), where)
    index = left.positions_in(right)
    pos = pa.array(index, mask=index < 0)
    for name in ("frequency_change", "spend_change", "reactivated"):
        joined = joined.append_column(name, pc.take(change.column(name), pos))
    joined = joined.take(pa.array(left.sort_indices()))
    report = make_report(rows_read, {"after_today": after_today})
    return attach_report(from_arrow(joined, out), report)
