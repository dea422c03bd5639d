"""How stable segments are (``ciblage.cluster.stability``): k-means on the
data and on seeded bootstrap resamples, compared by the adjusted Rand
index and, per segment, Hennig's clusterwise Jaccard; computed in parallel
by the native core, the same for any number of threads."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _estimator as est
from . import _native
from ._cluster_input import as_table
from ._kmeans_params import _names_of, _prepare
from ._params import as_bool, as_choice, as_float, as_int
from ._progress import reporter
from ._report import make_report

#: The most resamples (each is a k-means fit kept in memory until the end).
MAX_RESAMPLES = 1_000_000
#: The largest count the native side takes.
_BIG = 2**63 - 1

#: Segments below this mean best Jaccard are flagged (Hennig: below 0.6 a
#: cluster is unstable; from 0.75 it is stable).
DEFAULT_THRESHOLD = 0.6


class ClusterStability:
    """The stability of a k-means segmentation: ``labels`` (the full-data
    labelling), ``ari`` (the adjusted Rand index of each resample against
    it), ``mean_ari``, ``table`` (one row per segment: ``segment``,
    ``size``, ``jaccard``: mean best Jaccard over the resamples, ``stable``;
    a table of the caller's library), ``unstable`` (the segments below
    ``threshold``), ``resamples`` (``(rows, labels)`` of each resample,
    when kept), ``input_report``.

    Example:
        >>> import numpy as np
        >>> from ciblage.cluster import stability
        >>> X = np.repeat([[0.0], [10.0]], 20, axis=0) + np.arange(40)[:, None] * 0.01
        >>> s = stability(X, 2, n_resamples=5)
        >>> round(s.mean_ari, 3), s.unstable
        (1.0, [])
    """

    def __init__(self, out: dict[str, Any], threshold: float, kind: str, report: dict[str, Any]) -> None:
        self.labels: np.ndarray = np.asarray(out["labels"]).astype(np.int32)
        self.ari: np.ndarray = np.asarray(out["ari"])
        self.mean_ari = float(out["mean_ari"])
        self.threshold = threshold
        jaccard = np.asarray(out["segment_jaccard"])
        k = len(jaccard)
        self.columns = {
            "segment": np.arange(k),
            "size": np.bincount(self.labels, minlength=k),
            "jaccard": jaccard,
            "stable": ~np.isin(np.arange(k), out["unstable"]),
        }
        self.table = as_table(self.columns, kind)
        self.unstable: list[int] = [int(c) for c in out["unstable"]]
        self.resamples = out["resamples"]
        self.input_report = report

    def __repr__(self) -> str:
        return (
            f"ClusterStability(segments={len(self.columns['segment'])}, resamples={len(self.ari)}, "
            f"mean_ari={self.mean_ari:.3f}, unstable={self.unstable})"
        )

    def _repr_html_(self) -> str:
        from ._tables import html_summary

        figures = {
            "resamples": len(self.ari),
            "mean adjusted Rand index": round(self.mean_ari, 4),
            "threshold": self.threshold,
            "unstable segments": ", ".join(map(str, self.unstable)) or "none",
        }
        return html_summary(repr(self), self.table, figures=figures)


def stability(
    X: Any,
    n_clusters: int = 8,
    *,
    n_resamples: int = 20,
    threshold: float = DEFAULT_THRESHOLD,
    random_state: int = 0,
    n_init: int = 4,
    max_iter: int = 300,
    algorithm: str = "lloyd",
    keep_resamples: bool = False,
    prepare: dict[str, Any] | None = None,
    progress: Any = None,
) -> ClusterStability:
    """Fits k-means with ``n_clusters`` on ``X`` and on ``n_resamples``
    bootstrap resamples of its rows (drawn with ``random_state``), and
    compares each resample's labels with the full-data labels of the same
    rows: the adjusted Rand index (``ari``) and, per segment, the best
    Jaccard index with a resample cluster among the resample's distinct
    rows, averaged over the resamples (Hennig's clusterwise stability).
    Segments below ``threshold`` (default 0.6) are listed in
    ``unstable``. At most 1,000,000 resamples. ``keep_resamples=True`` keeps each resample's rows and
    labels. ``prepare`` prepares the rows of each fit as
    :class:`~ciblage.cluster.KMeans`'s ``prepare=`` does (the preparation
    fitted on the rows of that fit). ``progress=True`` shows a bar; Ctrl-C
    stops the computation.

    >>> import numpy as np
    >>> from ciblage.cluster import stability
    >>> rng = np.random.default_rng(0)
    >>> X = np.concatenate([rng.normal(c, 0.3, (30, 2)) for c in (0, 5, 10)])
    >>> s = stability(X, 3, n_resamples=10)
    >>> s.mean_ari > 0.95, s.unstable
    (True, [])
    """
    x = est.check_matrix(X, None, fitting=True)
    k = as_int(n_clusters, "n_clusters", 1, _BIG)
    if k > x.shape[0]:
        from .exceptions import InvalidParameterError

        raise InvalidParameterError(
            f"invalid parameter n_clusters: {k} clusters need at least {k} rows, X has {x.shape[0]}"
        )
    prep = _prepare(prepare, None, {"names": _names_of(X), "d": x.shape[1]})
    t = as_float(threshold, "threshold", 0.0, 1.0)
    seed = as_int(random_state, "random_state", 0, 2**63 - 1)
    out = _native.cluster_stability(
        x,
        n_clusters=k,
        n_resamples=as_int(n_resamples, "n_resamples", 1, MAX_RESAMPLES),
        threshold=t,
        seed=seed,
        kmeans_seed=seed,
        n_init=as_int(n_init, "n_init", 1, _BIG),
        max_iter=as_int(max_iter, "max_iter", 1, _BIG),
        algorithm=as_choice(algorithm, "algorithm", ("lloyd", "elkan")),
        keep_resamples=as_bool(keep_resamples, "keep_resamples"),
        log1p=prep["log1p"],
        rank=prep["rank"],
        winsorize=prep["winsorize"],
        standardize=prep["standardize"],
        progress=reporter(progress, "stability"),
    )
    kind = type(X).__module__.split(".", 1)[0]
    return ClusterStability(out, t, kind, make_report(x.shape[0], {}))
