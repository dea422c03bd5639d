"""The profile of segments (``ciblage.cluster.profile``): per segment its
size and shares, the mean, median and lift of each numeric feature, the
dominant categories with their share and lift, and a suggested name, all
computed by the native core (``ciblage::cluster::Profile``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _native
from ._cluster_input import Features
from ._params import as_int
from ._report import make_report
from .exceptions import InvalidInputError


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


def _text(category: Any) -> str:
    """A category as text in a name: integral floats (integer columns read
    as numbers) without their ``.0``."""
    if isinstance(category, (float, np.floating)) and float(category).is_integer():
        return str(int(category))
    return str(category)


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

    f = Features(X, categorical)
    n = f.n
    top = as_int(top, "top", 1, 2**63 - 1)
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
    codes = np.ascontiguousarray(seg.reshape(-1), dtype=np.uint32)
    k = len(segments)
    rev = _vector(revenue, n, "revenue")
    mar = _vector(margin, n, "margin")
    p = _native.segment_profile(
        f.numeric,
        f.codes,
        codes,
        rev,
        mar,
        top=top,
        numeric_names=f.numeric_labels,
        categorical_names=f.categorical_labels,
        category_names=[[_text(c) for c in cats] for cats in f.categories],
    )
    out: dict[str, Any] = {"segment": segments, "size": p["size"], "share": p["share"]}
    for what in ("revenue", "margin"):
        if p[f"{what}_share"] is not None:
            out[f"{what}_share"] = p[f"{what}_share"]
    for feat in p["numeric"]:
        for stat in ("mean", "median", "lift"):
            out[f"{feat['name']}_{stat}"] = feat[stat]
    rows = []
    for cats, feat in zip(f.categories, p["categorical"], strict=True):
        name = feat["name"]
        for s, tops in enumerate(feat["top"]):
            for rank, (code, share, lift) in enumerate(tops):
                rows.append((segments[s], name, cats[code], rank + 1, share, lift))
        out[f"{name}_top"] = [cats[tops[0][0]] for tops in feat["top"]]
        out[f"{name}_top_share"] = [tops[0][1] for tops in feat["top"]]
        out[f"{name}_top_lift"] = [tops[0][2] for tops in feat["top"]]
    out["name"] = p["names"]
    result = pd.DataFrame(out)
    categories = pd.DataFrame(rows, columns=["segment", "feature", "category", "rank", "share", "lift"])
    return SegmentProfile(result, categories, make_report(n, {}, segments=k))
