"""A mergeable histogram of customer values for the value-weighted curve
(cumulative share of value by customers ranked): the engines'
``concentration`` and ``value_tiers(method="abc")`` with
``quantiles="kll"``.

A KLL sketch of the values gives ranks, not the share of value held by
the customers below a rank; this histogram gives it, within a stated
bound. Positive values fall into log-spaced buckets: a bucket is a
float's exponent and the first :data:`MANTISSA_BITS` bits of its
mantissa (the top bits of its IEEE 754 pattern), so a bucket ``[lo, hi)``
of normal floats has ``hi / lo <= RATIO = 1 + 2^-7``; zero and negative
values are counted apart. Each bucket keeps its number of customers, the
exact sum of their values (integers: the values of a bucket share their
binary exponent, so their mantissas add as integers, exactly) and their
least and greatest value. Merging adds counts and integer sums and takes
minima and maxima: the merge is exact, so any cut of the customers into
partitions, merged in any order, gives the same histogram, bit for bit.

The curve read from it is exact at the bucket edges (cumulative counts
and sums are exact) and linear between them (every customer of a bucket
taken at the bucket's mean). See :class:`BinnedConcentration` for what
that costs in Gini and top shares (the proof is there).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from .exceptions import InvalidInputError

if TYPE_CHECKING:
    from collections.abc import Iterable

#: Mantissa bits in a bucket's key: buckets of ratio at most ``RATIO``.
MANTISSA_BITS = 7
#: The greatest ratio of the edges of a bucket of normal floats.
RATIO = 1.0 + 2.0**-MANTISSA_BITS
#: A value's bits below its bucket key.
_SHIFT = 52 - MANTISSA_BITS
#: Mantissas (53 bits with the implicit one) are summed as two int64 parts,
#: so a bucket holds up to 2^36 customers before its sums could overflow.
_LOW_BITS = 26
#: The integer sums count units of the smallest float, 2^-1074.
_UNIT = 1 << 1074

_COLUMNS = ("key", "count", "high", "low", "min", "max")


@dataclass(frozen=True)
class ValueHistogram:
    """Customers' values in log-spaced buckets (see the module): per
    bucket, in ascending order of value, ``key`` (a float's top bits),
    ``count``, ``high`` and ``low`` (the integer parts of the exact sum of
    the bucket's mantissas), ``min`` and ``max``; ``nonpositive`` counts
    the customers of value 0 or less, ``negative`` those below 0."""

    key: np.ndarray
    count: np.ndarray
    high: np.ndarray
    low: np.ndarray
    min: np.ndarray
    max: np.ndarray
    nonpositive: int
    negative: int

    @staticmethod
    def of(values: np.ndarray, column: str = "value") -> ValueHistogram:
        """The histogram of one value per customer (finite floats)."""
        values = np.ascontiguousarray(values, dtype=np.float64)
        if not np.all(np.isfinite(values)):
            raise InvalidInputError(f'value (column "{column}"): NaN or infinite value')
        positive = values[values > 0]
        bits = positive.view(np.uint64)
        key = (bits >> np.uint64(_SHIFT)).astype(np.int64)
        exponent = bits >> np.uint64(52)
        mantissa = bits & np.uint64((1 << 52) - 1)
        mantissa = np.where(exponent > 0, mantissa | np.uint64(1 << 52), mantissa)
        high = (mantissa >> np.uint64(_LOW_BITS)).astype(np.int64)
        low = (mantissa & np.uint64((1 << _LOW_BITS) - 1)).astype(np.int64)
        counts = np.ones(len(key), dtype=np.int64)
        return _grouped(
            key,
            counts,
            high,
            low,
            positive,
            positive,
            int(np.count_nonzero(values <= 0)),
            int(np.count_nonzero(values < 0)),
        )

    @staticmethod
    def merged(parts: Iterable[ValueHistogram]) -> ValueHistogram:
        """One histogram of several (exact: the same whatever the order)."""
        parts = list(parts)
        if not parts:
            return ValueHistogram.of(np.zeros(0))
        key, count, high, low, least, greatest = (np.concatenate([getattr(p, c) for p in parts]) for c in _COLUMNS)
        return _grouped(
            key,
            count,
            high,
            low,
            least,
            greatest,
            sum(p.nonpositive for p in parts),
            sum(p.negative for p in parts),
        )

    @property
    def customers(self) -> int:
        """Number of customers counted."""
        return self.nonpositive + int(self.count.sum())

    def sums(self) -> list[int]:
        """The exact sum of each bucket's values, in units of 2^-1074."""
        out = []
        for key, high, low in zip(self.key.tolist(), self.high.tolist(), self.low.tolist(), strict=True):
            exponent = max(key >> MANTISSA_BITS, 1)  # subnormals: the exponent of the smallest normal
            out.append(((high << _LOW_BITS) + low) << (exponent - 1))
        return out

    def to_bytes(self) -> bytes:
        """The histogram as Arrow IPC bytes (what partitions send)."""
        table = pa.table(
            {c: getattr(self, c) for c in _COLUMNS},
            metadata={b"nonpositive": str(self.nonpositive).encode(), b"negative": str(self.negative).encode()},
        )
        sink = io.BytesIO()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        return sink.getvalue()

    @staticmethod
    def from_bytes(data: bytes) -> ValueHistogram:
        """The histogram of :meth:`to_bytes`."""
        table = pa.ipc.open_stream(pa.py_buffer(data)).read_all()
        meta = table.schema.metadata or {}
        key, count, high, low, least, greatest = (table.column(c).to_numpy() for c in _COLUMNS)
        return ValueHistogram(key, count, high, low, least, greatest, int(meta[b"nonpositive"]), int(meta[b"negative"]))


def _grouped(
    key: np.ndarray,
    count: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    least: np.ndarray,
    greatest: np.ndarray,
    nonpositive: int,
    negative: int,
) -> ValueHistogram:
    """Rows of equal key added up (integer sums: exact), keys ascending."""
    order = np.argsort(key, kind="stable")
    key = key[order]
    if len(key) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return ValueHistogram(empty, empty, empty, empty, np.zeros(0), np.zeros(0), nonpositive, negative)
    starts = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
    return ValueHistogram(
        key[starts],
        np.add.reduceat(count[order], starts),
        np.add.reduceat(high[order], starts),
        np.add.reduceat(low[order], starts),
        np.minimum.reduceat(least[order], starts),
        np.maximum.reduceat(greatest[order], starts),
        nonpositive,
        negative,
    )


@dataclass(frozen=True)
class Curve:
    """The value-weighted curve of a histogram, ascending: after the
    customers of value 0 or less (``edges[0]`` customers, no value), each
    bucket ends at ``edges[j + 1]`` customers holding ``cumulative[j + 1]``
    (exact integers, units of 2^-1074) of ``total``; ``least``/``greatest``
    are the bucket's values' range and ``counts`` its customers."""

    edges: list[int]
    cumulative: list[int]
    counts: list[int]
    least: list[float]
    greatest: list[float]
    total: int

    @staticmethod
    def of(histogram: ValueHistogram) -> Curve:
        """The curve of a histogram."""
        edges, cumulative = [histogram.nonpositive], [0]
        for c, s in zip(histogram.count.tolist(), histogram.sums(), strict=True):
            edges.append(edges[-1] + c)
            cumulative.append(cumulative[-1] + s)
        return Curve(
            edges,
            cumulative,
            histogram.count.tolist(),
            histogram.min.tolist(),
            histogram.max.tolist(),
            cumulative[-1],
        )

    @property
    def customers(self) -> int:
        """Number of customers."""
        return self.edges[-1]

    def total_value(self, column: str = "value") -> float:
        """The total value as a float (correctly rounded), refused when
        beyond the float range."""
        try:
            return self.total / _UNIT
        except OverflowError:
            raise InvalidInputError(
                f'value (column "{column}"): sum of values beyond the float range (±1.8e308)'
            ) from None

    def share(self, j: int) -> float:
        """The share of value held up to edge ``j`` (correctly rounded)."""
        return self.cumulative[j] / self.total if self.total else 0.0

    def bucket_gap(self, j: int) -> float:
        """The bound on how far the curve within bucket ``j`` (0-based) is
        from its chord, in units of value: ``c (M − s)(s − m) / (M − m)``
        for ``c`` customers of mean ``s`` between ``m`` and ``M``."""
        c, m, big = self.counts[j], self.least[j], self.greatest[j]
        if big <= m:
            return 0.0
        s = (self.cumulative[j + 1] - self.cumulative[j]) / _UNIT / c
        return c * max(big - s, 0.0) * max(s - m, 0.0) / (big - m)


def bucket_ratio(histogram: ValueHistogram) -> float:
    """The greatest ``max / min`` within a bucket of positive values (1 for
    none), at most :data:`RATIO` when every value is a normal float."""
    if len(histogram.key) == 0:
        return 1.0
    return float(np.max(histogram.max / histogram.min))


def abc_cuts(curve: Curve, bounds: list[float]) -> tuple[list[float], list[list[float]]]:
    """The value thresholds of ABC classes at cumulative shares of value
    ``bounds`` (best customers first), and the range of values of the
    bucket each falls in.

    The exact rule (``ciblage.value_tiers``): a customer is above bound
    ``b`` when the value of the customers ranked before him is below
    ``b`` of the total. Sums at bucket edges are exact, so the bucket
    where that crosses ``b`` is known: every customer of a higher bucket
    is above ``b`` (the value before him is at most what the higher
    buckets hold, below ``b``) and every customer of a lower one below.
    Within that bucket the threshold is interpolated: the share ``f`` of
    the bucket's value needed to reach ``b`` gives ``t = M − f (M − m)``
    (the bucket's greatest value ``M`` at least goes above it: the value
    before it is below ``b``); customers of value ``>= t`` are above.
    Only the customers of that bucket (values within the returned range)
    may get another class than the exact one."""
    cuts: list[float] = []
    ranges: list[list[float]] = []
    n = len(curve.counts)
    if n == 0:  # no customer of positive value: every one is in the no-value tier
        return [math.inf] * len(bounds), [[] for _ in bounds]
    for bound in bounds:
        # The exact call's tolerance: 8 + 2 reaching exactly 0.8 of 10.
        target = bound * (1.0 - 1e-12)
        j = n - 1
        while j > 0 and 1.0 - curve.share(j) < target:
            j -= 1  # bucket j: the value above it is below the target
        above, inside = 1.0 - curve.share(j + 1), curve.share(j + 1) - curve.share(j)
        f = min(max((target - above) / inside, 0.0), 1.0) if inside > 0 else 1.0
        least, greatest = curve.least[j], curve.greatest[j]
        cuts.append(greatest - f * (greatest - least))
        ranges.append([least, greatest])
    return cuts, ranges
