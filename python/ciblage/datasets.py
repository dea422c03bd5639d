"""Bundled data: a deterministic generator of realistic transactions."""

from __future__ import annotations

from typing import Any

from . import _native
from ._tables import from_arrow

__all__ = ["transactions"]


def transactions(
    *,
    customers: int = 10_000,
    transactions: int = 100_000,
    seed: int = 42,
    string_ids: bool = False,
    return_rate: float = 0.02,
    library: str = "pyarrow",
) -> Any:
    """Synthetic transactions: customer_id, timestamp (UTC), amount, cost.

    Pareto-distributed orders per customer, customers acquired over two years
    from 2022-01-01 and churning after an exponential lifetime, log-normal
    amounts, more sales in November and December, ``return_rate`` of rows
    being returns (negative amounts). The same seed always gives the same rows.

    Args:
        library: ``"pyarrow"``, ``"pandas"`` or ``"polars"``.
    """
    if library not in ("pyarrow", "pandas", "polars"):
        from .exceptions import InvalidParameterError

        raise InvalidParameterError(
            f"invalid parameter library: expected 'pyarrow', 'pandas' or 'polars', got {library!r}"
        )
    table = _native.synthetic_transactions(
        customers=customers,
        transactions=transactions,
        seed=seed,
        string_ids=string_ids,
        return_rate=return_rate,
    )
    return from_arrow(table, library)
