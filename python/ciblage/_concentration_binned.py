"""Concentration of value read from a :class:`ValueHistogram` (the
engines' ``concentration(..., quantiles="kll")``), with its error bound.

**The bound.** Let the customers' values (negative ones counted as zero)
be sorted ascending, ``C(i)`` the value held by the ``i`` poorest and
``T`` the total; the exact Lorenz curve is ``C`` joined linearly between
customers, scaled by ``1/n`` and ``1/T`` (as :func:`ciblage.concentration`
interpolates). The histogram knows ``C`` exactly at every bucket edge and
this result joins the edges linearly: it is the Lorenz curve of the
customers each taken at their bucket's mean.

Within a bucket of ``c`` customers, values between ``m`` and ``M``, mean
``s``, ``C`` is convex (values ascend) with slopes in ``[m, M]`` and
agrees with the chord at both ends. A convex function of such slopes lies
above ``max(m t, c s − M (c − t))`` (starting from either end), so the
chord minus ``C`` is at most ``min((s − m) t, (M − s)(c − t))``, whose
largest value (where both are equal) is
``g = c (M − s)(s − m) / (M − m)``, and the area between them is at most
that of the triangle the bounding lines make,
``c² (M − s)(s − m) / (2 (M − m)) = c g / 2``. Hence, the chord lying
above the curve everywhere:

- every Lorenz value ``L(p)`` (so every ``top_share = 1 − L(1 − p)``) is
  at least the exact one and at most ``max_j g_j / T`` above it
  (``share_error``);
- Gini ``= 1 − 2 ∫ L`` is at most the exact one and at most
  ``2 Σ_j c_j g_j / (2 n T) = Σ_j c_j g_j / (n T)`` below it
  (``gini_error``).

With ``M <= r m`` (``r`` the bucket ratio, ``1 + 2^-7``):
``g <= c (M − m) / 4 <= c m (r − 1) / 4 <= S (r − 1) / 4`` for the bucket's
sum ``S >= c m``; so ``share_error <= (r − 1)/4 · max_j S_j / T`` and
``gini_error <= (r − 1)/4 · Σ_j (c_j / n)(S_j / T) <= (r − 1)/4``: both at
most ``2^-9 ≈ 0.00195``, whatever the data, and 0 for buckets of equal
values. The bounds are computed from the data (the buckets' ``m``, ``M``,
``s``) and reported; they hold for exact arithmetic, the floats computed
differ from it by rounding (relative 1e-15 or so).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from ._concentration import LORENZ_POINTS, SHARE
from ._params import convert
from ._report import make_report
from ._tables import from_arrow, html_summary
from ._value_histogram import RATIO, Curve, ValueHistogram, bucket_ratio

if TYPE_CHECKING:
    from ._typing import Table
    from .plot._display import Display

__all__ = ["BinnedConcentration"]


class BinnedConcentration:
    """How concentrated value is among customers, read from a histogram of
    their values (``concentration(..., quantiles="kll")`` of
    ``ciblage.spark`` and ``ciblage.dask``): the methods of
    :class:`ciblage.Concentration`, within the reported bounds.

    Attributes:
        gini: Gini coefficient, at most the exact one and at least the
            exact one minus ``input_report["histogram"]["gini_error"]``.
        customers: number of customers (exact).
        total: total value, negative values counted as zero (the exact sum,
            rounded once).
        clipped: customers whose negative value was counted as zero (exact).
        input_report: rows read and used, ``clipped``, and ``histogram``:
            ``ratio`` (the buckets' greatest ratio of edges, ``1 + 2^-7``),
            ``buckets``, ``largest_ratio`` (the greatest ratio of the
            greatest to the least value within a bucket), ``gini_error``
            and ``share_error`` (see the module).

    Example:
        >>> from ciblage._concentration_binned import BinnedConcentration
        >>> from ciblage._value_histogram import ValueHistogram
        >>> c = BinnedConcentration(ValueHistogram.of([1.0, 1.0, 1.0, 1.0]), "pandas", rows=4)
        >>> c.gini, c.top_share(0.5), c.input_report["histogram"]["share_error"]
        (0.0, 0.5, 0.0)
    """

    def __init__(self, histogram: ValueHistogram, kind: str, rows: int, column: str = "value") -> None:
        self.histogram = histogram
        self._curve = curve = Curve.of(histogram)
        self._kind = kind if kind in ("pandas", "polars") else "pyarrow"
        self.customers: int = curve.customers
        self.total: float = curve.total_value(column)
        self.clipped: int = histogram.negative
        n, total = curve.customers, curve.total
        gaps = [curve.bucket_gap(j) for j in range(len(curve.counts))]
        if total == 0 or n == 0:
            self.gini, share_error, gini_error = 0.0, 0.0, 0.0
        else:
            # 1 − 2 ∫ L by trapezoids over the buckets, exactly (integers),
            # rounded once: n T − Σ_j c_j (C_(j−1) + C_j), over n T.
            area = sum(c * (curve.cumulative[j] + curve.cumulative[j + 1]) for j, c in enumerate(curve.counts))
            self.gini = min(max((n * total - area) / (n * total), 0.0), 1.0)
            value = self.total
            share_error = max(gaps, default=0.0) / value
            gini_error = sum(c * g for c, g in zip(curve.counts, gaps, strict=True)) / (n * value)
        self.input_report: dict[str, Any] = make_report(rows, {}, clipped=self.clipped)
        self.input_report["histogram"] = {
            "ratio": RATIO,
            "buckets": len(curve.counts),
            "largest_ratio": bucket_ratio(histogram),
            "gini_error": min(gini_error, 1.0),
            "share_error": min(share_error, 1.0),
        }

    def _lorenz(self, p: Any) -> Any:
        """The curve at shares of customers ``p``: linear between the
        edges, 0 among the customers of no value."""
        curve = self._curve
        if curve.total == 0:
            return p
        # (0, 0), then the edges; the first is (customers of no value, 0).
        xs = np.asarray([0, *curve.edges], dtype=np.float64)
        ys = np.asarray([0.0] + [curve.share(j) for j in range(len(curve.edges))])
        return np.interp(np.asarray(p, dtype=np.float64) * curve.customers, xs, ys)

    def top_share(self, share: float) -> float:
        """Share of value made by the top ``share`` of customers, at most
        ``share_error`` below the exact one."""
        return float(1.0 - self._lorenz(1.0 - convert(SHARE, share)))

    def customers_for_value(self, share: float) -> float:
        """Smallest share of (best) customers that make ``share`` of value
        on this curve: exact at bucket edges, otherwise within the share of
        customers of the bucket where it falls (never below the exact one)."""
        share = convert(SHARE, share)
        curve = self._curve
        if curve.total == 0:
            return share
        if share <= 0.0:
            return 0.0
        wanted = 1.0 - share  # the poorest customers hold at most this
        shares = [curve.share(j) for j in range(len(curve.edges))]
        j = int(np.searchsorted(shares, wanted, side="right"))  # first edge holding more
        if j >= len(shares):
            return 0.0
        start, width = curve.edges[j - 1], curve.edges[j] - curve.edges[j - 1]
        x = start + (wanted - shares[j - 1]) / (shares[j] - shares[j - 1]) * width
        return 1.0 - x / curve.customers

    def lorenz(self, points: int = 101) -> Table:
        """Lorenz curve: share_of_customers (poorest first), share_of_value,
        at ``points`` evenly spaced shares of customers (2 to 10,000,000),
        each at most ``share_error`` above the exact one."""
        points = convert(LORENZ_POINTS, points)
        p = np.arange(points) / (points - 1)
        table = pa.table({"share_of_customers": p, "share_of_value": np.asarray(self._lorenz(p), dtype=np.float64)})
        return from_arrow(table, self._kind)

    def lorenz_at_edges(self) -> Table:
        """The Lorenz curve at the buckets' edges, where it is exact:
        share_of_customers, share_of_value (from (0, 0) to (1, 1))."""
        curve = self._curve
        n = max(curve.customers, 1)
        xs = [0.0] + [e / n for e in curve.edges]
        ys = [0.0] + [curve.share(j) for j in range(len(curve.edges))]
        return from_arrow(pa.table({"share_of_customers": xs, "share_of_value": ys}), self._kind)

    def __repr__(self) -> str:
        return (
            f"BinnedConcentration(customers={self.customers}, gini={self.gini:.4f}, top_20%={self.top_share(0.2):.1%})"
        )

    def _repr_html_(self) -> str:
        h = self.input_report["histogram"]
        figures = {
            "customers": self.customers,
            "Gini": round(self.gini, 4),
            "Gini error bound": f"{h['gini_error']:.2e}",
            "total value": self.total,
            "share of the top 20%": f"{self.top_share(0.2):.1%}",
            "share error bound": f"{h['share_error']:.2e}",
            "negative values counted as 0": self.clipped,
        }
        return html_summary(repr(self), figures=figures)

    def plot(self, kind: str = "lorenz", ax: Any = None, **kwargs: Any) -> Display:
        """Draws the Lorenz curve as :meth:`ciblage.Concentration.plot` does."""
        from .plot._value import plot_concentration

        return plot_concentration(self, kind, ax, kwargs)
