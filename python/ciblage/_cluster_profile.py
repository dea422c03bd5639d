"""The profile of segments (``ciblage.cluster.profile``): per segment its
size and shares, the mean, median and lift of each numeric feature, the
dominant categories with their share and lift, and a suggested name."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._cluster_input import categorical_indices
from ._kprototypes import _categories, _codes, _columns, _label, _numeric
from ._params import as_int
from ._report import make_report
from .exceptions import InvalidInputError

# A numeric trait enters a name when the segment's mean is at least this
# many overall standard deviations from the overall mean.
TRAIT_Z = 0.5
# A categorical trait enters a name when the dominant category holds at
# more than this share of the segment and at least this lift against the whole base.
TRAIT_SHARE = 0.5
TRAIT_LIFT = 1.25


class SegmentProfile:
    """The profile of segments: ``table`` (one row per segment, a pandas
    DataFrame), ``categories`` (the dominant categories of each segment and
    categorical feature, with share and lift), ``input_report``.

    Example:
        >>> import pandas as pd
        >>> from ciblage.cluster import profile
        >>> X = pd.DataFrame({"monetary": [10.0, 12.0, 200.0, 220.0], "channel": ["web", "web", "shop", "shop"]})
        >>> p = profile(X, [0, 0, 1, 1])
        >>> len(p.table), p.input_report["rows_used"]
        (2, 4)
    """

    def __init__(self, table: Any, categories: Any, input_report: dict[str, Any]) -> None:
        self.table = table
        self.categories = categories
        self.input_report = input_report

    def __repr__(self) -> str:
        return f"SegmentProfile(segments={len(self.table)}, rows={self.input_report['rows_used']})"

    def _repr_html_(self) -> str:
        from ._tables import html_summary

        figures = {"segments": len(self.table), "rows": self.input_report["rows_used"]}
        return html_summary(repr(self), self.table, figures=figures, tables={"dominant categories": self.categories})

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Draws the lift of each numeric feature in each segment with
        matplotlib (the ``ciblage[plot]`` extra) and returns its Display
        (:class:`ciblage.plot.SegmentProfileDisplay`)."""
        from .plot import SegmentProfileDisplay

        return SegmentProfileDisplay.from_result(self).plot(ax=ax, **kwargs)


def _vector(values: Any, n: int, name: str) -> np.ndarray | None:
    if values is None:
        return None
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise InvalidInputError(f"{name}: cannot be read as numbers ({e})") from None
    if arr.ndim != 1 or len(arr) != n:
        raise InvalidInputError(f"{name}: expected {n} values (one per row), got shape {arr.shape}")
    bad = ~np.isfinite(arr)
    if bad.any():
        at = int(np.flatnonzero(bad)[0])
        raise InvalidInputError(f"{name}: non-finite value {arr[at]} at row {at}")
    return arr


def _medians(values: np.ndarray, seg: np.ndarray, k: int) -> np.ndarray:
    """Median of ``values`` within each segment (sorted once)."""
    order = np.lexsort((values, seg))
    counts = np.bincount(seg, minlength=k)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    v = values[order]
    lo = v[starts + (counts - 1) // 2]
    hi = v[starts + counts // 2]
    return (lo + hi) / 2.0


def _name(num_names: list[str], z: np.ndarray, traits: list[tuple[str, str, float, float]]) -> str:
    parts = []
    for j in np.argsort(-np.abs(z), kind="stable")[:2]:
        if np.isfinite(z[j]) and abs(z[j]) >= TRAIT_Z:
            parts.append(f"{'high' if z[j] > 0 else 'low'} {num_names[j]}")
    best = max((t for t in traits if t[2] > TRAIT_SHARE and t[3] >= TRAIT_LIFT), key=lambda t: t[3], default=None)
    if best is not None:
        parts.append(f"mostly {best[0]}={best[1]}")
    return ", ".join(parts) if parts else "close to the average"


def profile(
    X: Any,
    labels: Any,
    revenue: Any = None,
    margin: Any = None,
    *,
    categorical: Any = None,
    top: int = 3,
) -> SegmentProfile:
    """Profiles the segments given by ``labels`` (one per row of ``X``).

    ``table`` has one row per segment (in the order of the labels):
    ``segment``, ``size``, ``share`` (of rows), ``revenue_share`` and
    ``margin_share`` (of the sums of ``revenue``/``margin``, when given),
    for each numeric feature ``f``: ``f_mean``, ``f_median`` and ``f_lift``
    (segment mean / overall mean; NaN when the overall mean is 0), for each
    categorical feature ``c``: ``c_top`` (the segment's most frequent
    category, the smallest among equals), ``c_top_share`` and
    ``c_top_lift`` (its share in the segment / its share overall); and
    ``name``: the most distinctive traits, up to two numeric ones whose
    mean is at least half an overall standard deviation from the overall
    mean ("high monetary, low recency") and the dominant category of
    largest lift holding more than half the segment with a lift of at
    least 1.25 ("mostly channel=web"). ``categories`` lists the ``top``
    categories of each segment and feature. Categorical features are the
    ``categorical`` columns (indices or names), by default the non-numeric
    ones.

    >>> import pandas as pd
    >>> from ciblage.cluster import profile
    >>> X = pd.DataFrame({"monetary": [10.0, 12.0, 200.0, 220.0], "channel": ["web", "web", "shop", "web"]})
    >>> p = profile(X, [0, 0, 1, 1], revenue=X["monetary"])
    >>> row = p.table.iloc[1]
    >>> int(row["size"]), round(float(row["revenue_share"]), 4), round(float(row["monetary_lift"]), 4), row["name"]
    (2, 0.9502, 1.9005, 'high monetary')
    """
    import pandas as pd

    names, cols = _columns(X)
    n, d = len(cols[0]), len(cols)
    top = as_int(top, "top", 1)
    if labels is None:
        raise InvalidInputError("labels: expected one label per row, got None")
    lab = np.asarray(labels)
    if lab.ndim != 1 or len(lab) != n:
        raise InvalidInputError(f"labels: expected {n} labels (one per row of X), got shape {lab.shape}")
    if lab.dtype.kind == "f" and np.isnan(lab).any():
        raise InvalidInputError(f"labels: missing label (NaN) at row {int(np.flatnonzero(np.isnan(lab))[0])}")
    try:
        segments, seg = np.unique(lab, return_inverse=True)
    except TypeError as e:
        raise InvalidInputError(f"labels: labels of different types cannot be ordered ({e})") from None
    seg = seg.reshape(-1)
    k = len(segments)
    rev = _vector(revenue, n, "revenue")
    mar = _vector(margin, n, "margin")
    label_of = [str(names[j]) if names is not None else f"x{j}" for j in range(d)]
    cat_idx = categorical_indices(categorical, names, cols)
    size = np.bincount(seg, minlength=k)
    out: dict[str, Any] = {"segment": segments, "size": size, "share": size / n}
    for what, v in (("revenue", rev), ("margin", mar)):
        if v is not None:
            total = v.sum()
            out[f"{what}_share"] = (
                np.bincount(seg, weights=v, minlength=k) / total if total != 0 else np.full(k, np.nan)
            )
    num_idx = [j for j in range(d) if j not in set(cat_idx)]
    z = np.zeros((k, len(num_idx)))
    for t, j in enumerate(num_idx):
        v = _numeric(cols[j], _label(names, j))
        mean = np.bincount(seg, weights=v, minlength=k) / size
        overall, std = v.mean(), v.std()
        out[f"{label_of[j]}_mean"] = mean
        out[f"{label_of[j]}_median"] = _medians(v, seg, k)
        out[f"{label_of[j]}_lift"] = mean / overall if overall != 0 else np.full(k, np.nan)
        z[:, t] = (mean - overall) / std if std > 0 else 0.0
    traits: list[list[tuple[str, str, float, float]]] = [[] for _ in range(k)]
    rows = []
    for j in cat_idx:
        cats = _categories(cols[j], _label(names, j))
        codes = _codes(cols[j], cats, _label(names, j)).astype(np.int64)
        m = len(cats)
        overall = np.bincount(codes, minlength=m) / n
        table = np.bincount(seg * m + codes, minlength=k * m).reshape(k, m) / size[:, None]
        # Most frequent first, the smallest category among equals.
        order = np.argsort(-table, axis=1, kind="stable")
        tops, shares, lifts = [], [], []
        for s in range(k):
            for rank, c in enumerate(order[s, :top]):
                if table[s, c] == 0:
                    break
                lift = table[s, c] / overall[c]
                rows.append((segments[s], label_of[j], cats[c], rank + 1, table[s, c], lift))
                if rank == 0:
                    tops.append(cats[c])
                    shares.append(table[s, c])
                    lifts.append(lift)
                    traits[s].append((label_of[j], str(cats[c]), table[s, c], lift))
        out[f"{label_of[j]}_top"] = tops
        out[f"{label_of[j]}_top_share"] = shares
        out[f"{label_of[j]}_top_lift"] = lifts
    num_names = [label_of[j] for j in num_idx]
    out["name"] = [_name(num_names, z[s], traits[s]) for s in range(k)]
    result = pd.DataFrame(out)
    categories = pd.DataFrame(rows, columns=["segment", "feature", "category", "rank", "share", "lift"])
    return SegmentProfile(result, categories, make_report(n, {}, segments=k))
