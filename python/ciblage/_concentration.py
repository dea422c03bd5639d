"""Concentration of value among customers: Lorenz curve, Gini coefficient
and "x % of customers make y % of value"."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from . import _native
from ._params import Param, convert
from ._report import make_report
from ._tables import column_arg, from_arrow, html_summary
from ._typing import Table
from ._value import _id_and_values, _is_table, _value_source
from .exceptions import InvalidInputError

if TYPE_CHECKING:
    from .plot._display import Display

__all__ = ["concentration", "Concentration"]

# Ranges of the concentration methods; the native checks have the same
# (tests/test_params_table.py).
SHARE = Param(
    "share",
    "float",
    None,
    "a share of customers or of value",
    low=0.0,
    high=1.0,
    native="share",
    native_checks=("low", "high"),
)
LORENZ_POINTS = Param(
    "points",
    "int",
    101,
    "points of the Lorenz curve",
    low=2,
    high=10_000_000,
    native="points",
    native_checks=("low", "high"),
)


class Concentration:
    """How concentrated value is among customers (:func:`concentration`).

    Attributes:
        gini: Gini coefficient in [0, 1] (0: everybody has the same value).
        customers: number of customers.
        total: total value, negative values counted as zero.
        clipped: customers whose negative value was counted as zero.
        input_report: rows read and used (every row is used; ``clipped``
            repeated).

    Example:
        >>> import ciblage
        >>> c = ciblage.concentration([1.0, 1.0, 1.0, 1.0])
        >>> c.gini, c.top_share(0.5)
        (0.0, 0.5)
    """

    def __init__(self, native: Any, kind: str, values: np.ndarray | None = None, column: str = "value") -> None:
        self._native = native
        self._values = values
        self._column = column
        self._kind = kind if kind in ("pandas", "polars") else "pyarrow"
        self.gini: float = native.gini
        self.customers: int = native.customers
        self.total: float = native.total
        self.clipped: int = native.clipped
        self.input_report: dict[str, Any] = make_report(self.customers, {}, clipped=self.clipped)

    def top_share(self, share: float) -> float:
        """Share of value made by the top ``share`` of customers (e.g. 0.2)."""
        return float(self._native.top_share(convert(SHARE, share)))

    def customers_for_value(self, share: float) -> float:
        """Smallest share of (best) customers that make ``share`` of value."""
        return float(self._native.customers_for_value(convert(SHARE, share)))

    def lorenz(self, points: int = 101) -> Table:
        """Lorenz curve: share_of_customers (poorest first), share_of_value,
        at ``points`` evenly spaced shares of customers (2 to 10,000,000)."""
        return from_arrow(self._native.lorenz(convert(LORENZ_POINTS, points)), self._kind)

    def __repr__(self) -> str:
        return f"Concentration(customers={self.customers}, gini={self.gini:.4f}, top_20%={self.top_share(0.2):.1%})"

    def _repr_html_(self) -> str:
        figures = {
            "customers": self.customers,
            "Gini": round(self.gini, 4),
            "total value": self.total,
            "share of the top 20%": f"{self.top_share(0.2):.1%}",
            "customers making 80% of value": f"{self.customers_for_value(0.8):.1%}",
            "negative values counted as 0": self.clipped,
        }
        return html_summary(repr(self), figures=figures)

    def __getstate__(self) -> dict[str, Any]:
        # Pickled as the values it was computed from; the native state is
        # computed again (and checked again) when unpickled.
        if self._values is None:
            raise TypeError("this Concentration was built without its values and cannot be pickled")
        return {"values": self._values, "kind": self._kind, "column": self._column}

    def __setstate__(self, state: dict[str, Any]) -> None:
        try:
            values = np.ascontiguousarray(state["values"], dtype=np.float64)
            kind, column = str(state["kind"]), str(state["column"])
        except (KeyError, TypeError, ValueError) as e:
            raise InvalidInputError(f"Concentration: the pickled state cannot be read: {e!r}") from e
        if values.ndim != 1:
            raise InvalidInputError("Concentration: the pickled values are not 1-D")
        self.__init__(_native.Concentration(values, column=column), kind, values, column)  # type: ignore[misc]

    def plot(self, kind: str = "lorenz", ax: Any = None, **kwargs: Any) -> Display:
        """Draws a chart of this result with matplotlib (the ``ciblage[plot]``
        extra) and returns its Display (see :mod:`ciblage.plot`).

        Args:
            kind: ``"lorenz"`` (Lorenz curve with the Gini coefficient,
                :class:`~ciblage.plot.LorenzDisplay`; ``points=`` sets its
                resolution, default 101).
            ax: matplotlib Axes to draw on (default: a new figure).
            **kwargs: options of the chart, then matplotlib keyword
                arguments, ``title``, ``xlabel``, ``ylabel``, ``figsize``.

        Raises:
            InvalidParameterError: an unknown ``kind``.
            ImportError: matplotlib is not installed.
        """
        from .plot._value import plot_concentration

        return plot_concentration(self, kind, ax, kwargs)


def concentration(customers: Any, *, value: str | None = None) -> Concentration:
    """Lorenz curve, Gini coefficient and "x % of customers make y % of
    value" for one value per customer (a table column, a 1-D array, or a
    :class:`ciblage.clv.CustomerValue`; ``value`` as in :func:`value_tiers`).

    Values are sorted ascending; negative values count as zero. Shares
    between customers are linear interpolations of the Lorenz curve.

    Example:
        >>> import ciblage
        >>> tx = ciblage.datasets.transactions(customers=200, transactions=2_000, library="pandas")
        >>> c = ciblage.concentration(ciblage.rfm(tx))
        >>> 0.0 <= c.gini <= 1.0, c.customers, c.top_share(1.0)
        (True, 200, 1.0)
    """
    customers, value = _value_source(customers, value)
    value = column_arg(value, "value")
    _, values, kind = _id_and_values(customers, None, value)
    column = value if _is_table(customers) else "value"
    return Concentration(_native.Concentration(values, column=column), kind, values, column)
