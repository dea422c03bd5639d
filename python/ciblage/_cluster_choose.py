"""How many segments (``ciblage.cluster.choose_k``): k-means (or
k-prototypes for mixed data) for each candidate number of clusters, the
inertia, silhouette, Calinski–Harabasz and Davies–Bouldin of each, and a
recommendation with its reason, computed by the native core."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _native
from ._cluster_input import Features, as_table
from ._kmeans_params import _prepare
from ._params import as_float, as_int, as_opt_int
from ._progress import reporter
from ._report import make_report
from .exceptions import InvalidParameterError

#: The largest count the native side takes.
_BIG = 2**63 - 1


class ClusterCountChoice:
    """The measures of every candidate number of clusters and the
    recommended one: ``table`` (``k``, ``inertia``, ``silhouette``,
    ``calinski_harabasz``, ``davies_bouldin``; a table of the caller's
    library), ``recommended``, ``reason``, ``elbow``, ``method``
    (``"kmeans"``, ``"kprototypes"`` or ``"kmodes"``), ``silhouette_rows`` and
    ``silhouette_sampled`` (whether the silhouette was computed on a seeded
    sample), ``input_report``.

    Example:
        >>> import numpy as np
        >>> from ciblage.cluster import choose_k
        >>> X = np.repeat([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]], 10, axis=0) + np.arange(30)[:, None] * 0.01
        >>> c = choose_k(X, range(2, 6))
        >>> c.recommended, c.silhouette_sampled
        (3, False)
    """

    def __init__(self, out: dict[str, Any], method: str, kind: str, report: dict[str, Any]) -> None:
        self.columns = {
            name: np.asarray(out[name])
            for name in ("k", "inertia", "silhouette", "calinski_harabasz", "davies_bouldin")
        }
        self.table = as_table(self.columns, kind)
        self.recommended: int = int(out["recommended"])
        self.reason: str = str(out["reason"])
        self.elbow: int | None = None if out["elbow"] is None else int(out["elbow"])
        self.method = method
        self.silhouette_rows: int = int(out["silhouette_rows"])
        self.silhouette_sampled: bool = bool(out["silhouette_sampled"])
        self.input_report = report

    def __repr__(self) -> str:
        ks = self.columns["k"]
        return (
            f"ClusterCountChoice(recommended={self.recommended}, k={int(ks[0])}..{int(ks[-1])}, method={self.method!r})"
        )

    def _repr_html_(self) -> str:
        from ._tables import html_summary

        sil = f"{self.silhouette_rows} rows" + (" (seeded sample)" if self.silhouette_sampled else " (exact)")
        figures = {"recommended k": self.recommended, "reason": self.reason, "silhouette on": sil}
        return html_summary(repr(self), self.table, figures=figures, rows=len(self.columns["k"]))

    def plot(self, axes: Any = None) -> Any:
        """Draws the four curves against ``k`` (inertia, silhouette,
        Calinski–Harabasz, Davies–Bouldin) with the recommended ``k`` marked
        by a vertical line, with matplotlib (the ``ciblage[plot]`` extra),
        on four given axes or a new 2 × 2 figure; returns the axes."""
        try:
            import matplotlib.pyplot as plt
        except ImportError as e:  # pragma: no cover - depends on the extra
            raise ImportError("ClusterCountChoice.plot needs matplotlib: pip install 'ciblage[plot]'") from e
        if axes is None:
            _, grid = plt.subplots(2, 2, figsize=(9, 6), constrained_layout=True)
            axes = list(np.ravel(grid))
        axes = list(axes)
        if len(axes) != 4:
            raise InvalidParameterError(f"invalid parameter axes: expected 4 axes, got {len(axes)}")
        ks = self.columns["k"]
        titles = {
            "inertia": "inertia (elbow)",
            "silhouette": "silhouette (higher is better)",
            "calinski_harabasz": "Calinski–Harabasz (higher is better)",
            "davies_bouldin": "Davies–Bouldin (lower is better)",
        }
        for ax, (name, title) in zip(axes, titles.items(), strict=True):
            ax.plot(ks, self.columns[name], marker="o")
            ax.axvline(self.recommended, color="tab:red", linestyle="--", label=f"k = {self.recommended}")
            ax.set_title(title)
            ax.set_xlabel("k")
        axes[0].legend()
        return axes


def _k_range(value: Any, n: int) -> list[int]:
    if isinstance(value, (str, bytes)) or value is None:
        raise InvalidParameterError(f"invalid parameter k_range: expected integers of at least 2, got {value!r}")
    try:
        items = list(value)
    except TypeError:
        items = [value]
    if not items:
        raise InvalidParameterError("invalid parameter k_range: expected at least one number of clusters")
    ks = sorted({as_int(k, "k_range", 2, _BIG) for k in items})
    if ks[-1] >= n:
        raise InvalidParameterError(f"invalid parameter k_range: k = {ks[-1]} needs more than {ks[-1]} rows, X has {n}")
    return ks


def choose_k(
    X: Any,
    k_range: Any = range(2, 11),
    *,
    categorical: Any = None,
    n_init: int | None = None,
    max_iter: int | None = None,
    gamma: float | None = None,
    sample_size: int | None = 20_000,
    random_state: int = 0,
    prepare: dict[str, Any] | None = None,
    progress: Any = None,
) -> ClusterCountChoice:
    """Fits k-means for each ``k`` of ``k_range`` (k-prototypes when ``X``
    has categorical columns: ``categorical``, by default its non-numeric
    columns; k-modes when every column is categorical) and measures each fit: inertia, silhouette (exact up to
    ``sample_size`` rows, above on a sample of that many rows drawn with
    ``random_state``; ``None``: always exact), Calinski–Harabasz and
    Davies–Bouldin.

    The recommended ``k`` is the one of highest silhouette (the smallest
    among equals) unless the elbow of the inertia (the Kneedle point: the
    ``k`` farthest below the chord of the curve scaled to [0, 1]) and the
    largest Calinski–Harabasz index agree on another ``k``; ``reason`` says
    which. For mixed data the measures are computed in the space where
    the squared Euclidean distance is the k-prototypes cost (categories
    one-hot, scaled by √(γ/2)). ``n_init`` runs per ``k`` (default 4 for
    k-means, 10 for k-prototypes), ``max_iter`` passes per run (default 300
    and 100). ``prepare`` prepares numeric data before k-means exactly as
    :class:`~ciblage.cluster.KMeans`'s ``prepare=`` (``log1p`` / ``rank``
    columns, ``winsorize`` quantiles, ``standardize``); the fits and the
    measures are then in the prepared space. It is refused for data with
    categorical columns. ``progress=True`` shows a bar (or a callable receives
    ``(done, total)``); Ctrl-C stops the computation.

    >>> import numpy as np
    >>> from ciblage.cluster import choose_k
    >>> rng = np.random.default_rng(0)
    >>> X = np.concatenate([rng.normal(c, 0.3, (30, 2)) for c in (0, 5, 10)])
    >>> choose_k(X, range(2, 7)).recommended
    3
    """
    f = Features(X, categorical)
    ks = _k_range(k_range, f.n)
    size = as_opt_int(sample_size, "sample_size", 2, _BIG)
    seed = as_int(random_state, "random_state", 0, 2**63 - 1)
    report = reporter(progress, "choose_k")
    if f.cat_idx:
        if prepare is not None:
            raise InvalidParameterError(
                "invalid parameter prepare: only for numeric data (k-means); X has categorical columns "
                f"{f.categorical_labels}"
            )
        g = None if gamma is None else as_float(gamma, "gamma", 0.0)
        out = _native.choose_k_mixed(
            f.numeric,
            f.codes,
            n_init=as_int(10 if n_init is None else n_init, "n_init", 1, _BIG),
            max_iter=as_int(100 if max_iter is None else max_iter, "max_iter", 1, _BIG),
            gamma=g,
            k_range=ks,
            seed=seed,
            sample_size=size,
            progress=report,
        )
        method = "kprototypes" if f.num_idx else "kmodes"
    else:
        if gamma is not None:
            raise InvalidParameterError("invalid parameter gamma: only for mixed data (k-prototypes); X is numeric")
        prep = _prepare(prepare, None, {"names": f.names, "d": f.numeric.shape[1]})
        out = _native.choose_k(
            f.numeric,
            n_init=as_int(4 if n_init is None else n_init, "n_init", 1, _BIG),
            max_iter=as_int(300 if max_iter is None else max_iter, "max_iter", 1, _BIG),
            k_range=ks,
            seed=seed,
            sample_size=size,
            log1p=prep["log1p"],
            rank=prep["rank"],
            winsorize=prep["winsorize"],
            standardize=prep["standardize"],
            progress=report,
        )
        method = "kmeans"
    return ClusterCountChoice(out, method, f.kind, make_report(f.n, {}))
