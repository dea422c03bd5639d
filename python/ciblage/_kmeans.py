"""k-means clustering of customers (:class:`ciblage.cluster.KMeans`,
:class:`ciblage.cluster.MiniBatchKMeans`): scikit-learn's estimators and
parameter names, on the native k-means of ``ciblage.cluster``, with a
``prepare=`` option whose fitted statistics are kept in the model."""

from __future__ import annotations

import html
from typing import Any

import numpy as np

from . import _estimator as est
from . import _native
from ._base import TreeEstimator, check_params
from ._kmeans_params import _COMMON_HEAD, _N_THREADS, _PREPARE, _RANDOM, _copy_x, _n_init, _names_of
from ._params import Param, as_str
from ._progress import reporter
from .exceptions import InvalidInputError, InvalidParameterError


class _KMeansBase(TreeEstimator):
    """What both k-means estimators share: fit, predict, transform, score,
    the fitted attributes, pickling, ``_repr_html_`` and ``plot``."""

    _estimator_type = "clusterer"
    _allow_nan = False

    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import InputTags, Tags, TargetTags, TransformerTags

        return Tags(
            estimator_type="clusterer",
            target_tags=TargetTags(required=False),
            transformer_tags=TransformerTags(preserves_dtype=["float64"]),
            input_tags=InputTags(allow_nan=False),
        )

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "_model")

    def _fitted(self, method: str = "") -> Any:
        if not hasattr(self, "_model"):
            raise est.not_fitted(self, method)
        return self._model

    def _native_options(self, values: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def _matrix(self, X: Any, fitting: bool) -> np.ndarray:
        names = _names_of(X)
        if not fitting:
            seen = getattr(self, "feature_names_in_", None)
            if seen is not None and names is not None and list(names) != list(seen):
                raise InvalidInputError(
                    f"X: the feature names {list(names)} differ from those seen at fit {list(seen)}"
                )
        return est.check_matrix(X, self, fitting=fitting)

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None, progress: Any = None) -> Any:
        """Clusters the rows of ``X`` (numbers; pandas, polars or numpy),
        each weighted by ``sample_weight`` (non-negative, not all zero).
        ``y`` is ignored (scikit-learn's convention); ``progress``: True
        (a tqdm bar) or a callable taking ``(done, total)``."""
        x = self._matrix(X, fitting=True)
        n, d = x.shape
        names = _names_of(X)
        values = check_params(self, k=None, d=d, n=n, names=names)
        k = values["n_clusters"]
        if k > n:
            raise InvalidParameterError(f"invalid parameter n_clusters: n_samples={n} should be >= n_clusters={k}")
        kind, centres = values["init"]
        if centres is not None and centres.shape != (k, d):
            raise InvalidParameterError(
                f"invalid parameter init: the initial centres have shape {centres.shape}, expected ({k}, {d}) "
                "(n_clusters rows, one column per feature)"
            )
        w = est.checked_weights(sample_weight, n)
        prep = values["prepare"]
        model = _native.kmeans_fit(
            x,
            w,
            n_clusters=k,
            init="k-means++" if kind == "array" else kind,
            init_centers=centres,
            seed=values["random_state"],
            n_threads=values["n_threads"],
            log1p=prep["log1p"],
            rank=prep["rank"],
            winsorize=prep["winsorize"],
            standardize=prep["standardize"],
            progress=reporter(progress, type(self).__name__),
            **self._native_options(values),
        )
        for attr in ("feature_names_in_",):
            if hasattr(self, attr):
                delattr(self, attr)
        if names is not None:
            self.feature_names_in_ = np.asarray(names, dtype=object)
        self.n_features_in_ = d
        self._set_model(model)
        return self

    def _set_model(self, model: Any) -> None:
        self._model = model
        self.labels_ = model.labels()
        self.cluster_centers_ = model.centers()
        self.inertia_ = float(model.inertia)
        self.n_iter_ = int(model.n_iter)

    def fit_predict(self, X: Any, y: Any = None, sample_weight: Any = None) -> np.ndarray:
        """``fit`` then the labels of the rows of ``X``."""
        return self.fit(X, sample_weight=sample_weight).labels_

    def fit_transform(self, X: Any, y: Any = None, sample_weight: Any = None) -> np.ndarray:
        """``fit`` then the distances of the rows of ``X`` to every centre."""
        return self.fit(X, sample_weight=sample_weight).transform(X)

    def predict(self, X: Any) -> np.ndarray:
        """The nearest centre of every row of ``X`` (prepared as the fit
        data was), as int32 labels."""
        model = self._fitted("predict")
        return model.predict(self._matrix(X, fitting=False))

    def transform(self, X: Any) -> np.ndarray:
        """Euclidean distances of every row of ``X`` (prepared as the fit
        data was) to every centre: ``rows × n_clusters``."""
        model = self._fitted("transform")
        return model.transform(self._matrix(X, fitting=False))

    def score(self, X: Any, y: Any = None, sample_weight: Any = None) -> float:
        """Opposite of the (weighted) inertia of ``X`` against the centres
        (scikit-learn's: larger is better)."""
        model = self._fitted("score")
        x = self._matrix(X, fitting=False)
        w = est.checked_weights(sample_weight, x.shape[0])
        return -float(model.inertia_of(x, w))

    def prepare_transform(self, X: Any) -> np.ndarray:
        """``X`` prepared as the fit data was (the space of
        ``cluster_centers_``); ``X`` itself as floats without ``prepare``."""
        model = self._fitted("prepare_transform")
        return model.prepare(self._matrix(X, fitting=False))

    def to_json(self) -> str:
        """The fitted model as versioned JSON (centres, preparation, labels)."""
        return str(self._fitted("to_json").to_json())

    @classmethod
    def from_json(cls, text: str) -> Any:
        """A fitted estimator from :meth:`to_json`'s text (``ModelFileError``
        if corrupt); its parameters are the defaults."""
        model = _native.KMeansModel.from_json(as_str(text, "text"))
        out = cls()
        out.n_features_in_ = int(model.n_features)
        out._set_model(model)
        return out

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        if "_model" in state:
            state["_model"] = state["_model"].to_json()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        model = state.pop("_model", None)
        self.__dict__.update(state)
        if model is not None:
            self._model = _native.KMeansModel.from_json(model)

    def _summary(self) -> dict[str, Any]:
        """Rows, weight share and centre of every cluster."""
        labels = self.labels_
        counts = np.bincount(labels, minlength=self.cluster_centers_.shape[0])
        names = (
            [str(c) for c in self.feature_names_in_]
            if hasattr(self, "feature_names_in_")
            else [f"x{j}" for j in range(self.n_features_in_)]
        )
        return {"counts": counts, "names": names}

    def _repr_html_(self) -> str:
        head = html.escape(repr(self))
        if not hasattr(self, "_model"):
            return f"<div><p><b>{head}</b> (not fitted)</p></div>"
        s = self._summary()
        n = max(1, int(s["counts"].sum()))
        cols = s["names"][:12]
        header = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
        rows = "".join(
            f"<tr><td>{j}</td><td>{int(c)}</td><td>{c / n:.1%}</td>"
            + "".join(f"<td>{v:.4g}</td>" for v in self.cluster_centers_[j, : len(cols)])
            + "</tr>"
            for j, c in enumerate(s["counts"])
        )
        return (
            f"<div><p><b>{head}</b>: {len(s['counts'])} clusters of {n} rows, "
            f"inertia {self.inertia_:.6g}, {self.n_iter_} iterations</p>"
            f"<table><tr><th>cluster</th><th>rows</th><th>share</th>{header}</tr>{rows}</table></div>"
        )

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Draws the clusters (size and centres, as
        :class:`~ciblage.plot.ClusterDisplay`) with matplotlib and returns
        the Display."""
        from .plot._cluster import ClusterDisplay

        return ClusterDisplay.from_estimator(self).plot(ax=ax, **kwargs)


class KMeans(_KMeansBase):
    """k-means clustering (scikit-learn's ``KMeans``: same parameters,
    defaults and fitted attributes), run natively on all cores, with
    deterministic results for a given ``random_state``.

    Args:
        n_clusters: number of clusters.
        init: ``"k-means++"`` (greedy, 2 + ln k trials per centre),
            ``"random"`` or an array of initial centres.
        n_init: initialisations, the best inertia kept (``"auto"``: 1 for
            k-means++ and an array, 10 for random).
        max_iter: most iterations per initialisation.
        tol: tolerance on the centres' squared moves, relative to the
            mean variance of the features (scikit-learn's).
        random_state: seed (``None``: numpy's global generator).
        copy_x: accepted for compatibility: ``X`` is never modified.
        algorithm: ``"lloyd"`` or ``"elkan"`` (Hamerly's bounds: the same
            iterations, fewer distances).
        prepare: feature preparation kept in the model (see
            ``docs/cluster.md``): ``{"log1p": [...], "rank": [...],
            "winsorize": (0.01, 0.99), "standardize": True}``.
        n_threads: threads (``None``: all); results do not depend on it.

    Attributes (after ``fit``): ``labels_``, ``cluster_centers_`` (in the
    prepared space), ``inertia_``, ``n_iter_``, ``n_features_in_``,
    ``feature_names_in_`` (DataFrame input).

    Example:
        >>> import numpy as np
        >>> from ciblage.cluster import KMeans
        >>> X = np.array([[1.0, 1.0], [1.5, 2.0], [8.0, 8.0], [8.5, 9.0]])
        >>> km = KMeans(n_clusters=2, random_state=0).fit(X)
        >>> bool(km.labels_[0] == km.labels_[1] != km.labels_[2])
        True
        >>> km.predict(np.array([[9.0, 9.0]]))[0] == km.labels_[3]
        np.True_
    """

    _params = (
        *_COMMON_HEAD,
        Param("n_init", "n_init", "auto", "'auto' or initialisations (>= 1), best inertia kept", convert=_n_init),
        Param("max_iter", "int", 300, "most iterations per initialisation", low=1),
        Param("tol", "float", 1e-4, "tolerance relative to the mean variance of the features", low=0.0),
        _RANDOM,
        Param("copy_x", "bool", True, "accepted for compatibility (X is never modified)", convert=_copy_x),
        Param(
            "algorithm",
            "choice",
            "lloyd",
            "'lloyd' or 'elkan' (Hamerly's bounds)",
            choices=("lloyd", "elkan"),
            native="algorithm",
            native_checks=("choices",),
        ),
        _PREPARE,
        _N_THREADS,
    )

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        init: Any = "k-means++",
        n_init: Any = "auto",
        max_iter: int = 300,
        tol: float = 1e-4,
        random_state: Any = None,
        copy_x: bool = True,
        algorithm: str = "lloyd",
        prepare: dict[str, Any] | None = None,
        n_threads: int | None = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.copy_x = copy_x
        self.algorithm = algorithm
        self.prepare = prepare
        self.n_threads = n_threads

    def _native_options(self, values: dict[str, Any]) -> dict[str, Any]:
        return {
            "n_init": values["n_init"],
            "max_iter": values["max_iter"],
            "tol": values["tol"],
            "algorithm": values["algorithm"],
        }


class MiniBatchKMeans(_KMeansBase):
    """Mini-batch k-means (scikit-learn's ``MiniBatchKMeans``) for tens of
    millions of rows: each step draws ``batch_size`` rows and moves their
    centres to running weighted means; ``max_iter`` counts passes over the
    data. The small-cluster reassignment of scikit-learn
    (``reassignment_ratio``) is not done; ``labels_`` and ``inertia_`` are
    always computed on every row at the end.

    Args:
        n_clusters, init, n_init (``"auto"``: 1 for k-means++, 3 for
            random), random_state, prepare, n_threads: as :class:`KMeans`.
        max_iter: most passes over the data.
        batch_size: rows per step.
        tol: stop when the centres' squared moves in a step add up to at
            most ``tol`` × the mean variance (0: never).
        max_no_improvement: steps without improvement of the smoothed
            batch inertia before stopping (``None``: never).
        init_size: rows drawn to initialise (``None``: 3 × batch_size).

    Example:
        >>> import numpy as np
        >>> from ciblage.cluster import MiniBatchKMeans
        >>> rng = np.random.default_rng(0)
        >>> X = np.vstack([rng.normal(0, 1, (500, 2)), rng.normal(20, 1, (500, 2))])
        >>> km = MiniBatchKMeans(n_clusters=2, batch_size=128, random_state=0).fit(X)
        >>> bool((km.labels_[:500] == km.labels_[0]).all() and (km.labels_[500:] != km.labels_[0]).all())
        True
    """

    _params = (
        *_COMMON_HEAD,
        Param("max_iter", "int", 100, "most passes over the data", low=1),
        Param("batch_size", "int", 1024, "rows per step", low=1),
        _RANDOM,
        Param("tol", "float", 0.0, "tolerance on a step's squared moves, relative to the mean variance", low=0.0),
        Param(
            "max_no_improvement",
            "opt_int",
            10,
            "steps without improvement of the smoothed batch inertia before stopping (None: never)",
            low=1,
        ),
        Param("init_size", "opt_int", None, "rows drawn to initialise (None: 3 × batch_size)", low=1),
        Param("n_init", "n_init", "auto", "'auto' or initialisations (>= 1), best inertia kept", convert=_n_init),
        _PREPARE,
        _N_THREADS,
    )

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        init: Any = "k-means++",
        max_iter: int = 100,
        batch_size: int = 1024,
        random_state: Any = None,
        tol: float = 0.0,
        max_no_improvement: int | None = 10,
        init_size: int | None = None,
        n_init: Any = "auto",
        prepare: dict[str, Any] | None = None,
        n_threads: int | None = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.init = init
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.random_state = random_state
        self.tol = tol
        self.max_no_improvement = max_no_improvement
        self.init_size = init_size
        self.n_init = n_init
        self.prepare = prepare
        self.n_threads = n_threads

    def _native_options(self, values: dict[str, Any]) -> dict[str, Any]:
        return {
            "n_init": values["n_init"],
            "max_iter": values["max_iter"],
            "tol": values["tol"],
            "batch_size": values["batch_size"],
            "max_no_improvement": values["max_no_improvement"],
            "init_size": values["init_size"],
        }
