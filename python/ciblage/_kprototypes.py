"""k-prototypes and k-modes estimators (``ciblage.cluster.KPrototypes``,
``ciblage.cluster.KModes``): scikit-learn's clusterer conventions, the
parameter names of the ``kmodes`` package."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from . import _estimator as est
from . import _native
from ._base import TreeEstimator, check_params
from ._cart_params import random_state_of
from ._kprototypes_json import SavedAsJson
from ._mixed_columns import _categories, _codes, _columns, _is_numeric, _label, _numeric
from ._params import Param
from ._progress import reporter
from .exceptions import ColumnNotFoundError, InvalidInputError, InvalidParameterError


def _init(value: Any, p: Param, context: dict[str, Any]) -> Any:
    if isinstance(value, str):
        if value.lower() in ("huang", "cao"):
            return value
        raise InvalidParameterError(
            f"invalid parameter init: expected 'Huang', 'Cao' or initial prototypes, got {value!r}"
        )
    if context.get("kmodes"):
        try:
            arr = np.asarray(value)
        except (TypeError, ValueError):
            arr = None
        if arr is None or arr.ndim != 2:
            raise InvalidParameterError(
                f"invalid parameter init: expected 'Huang', 'Cao' or a 2-D array of initial modes, got {value!r}"
            )
        return arr
    if isinstance(value, (list, tuple)) and len(value) == 2:
        try:
            num = np.asarray(value[0], dtype=np.float64)
            cat = np.asarray(value[1])
        except (TypeError, ValueError) as e:
            raise InvalidParameterError(f"invalid parameter init: cannot read the prototypes ({e})") from e
        num = num.reshape(-1, 1) if num.ndim == 1 else num
        cat = cat.reshape(-1, 1) if cat.ndim == 1 else cat
        if num.ndim == 2 and cat.ndim == 2:
            return (num, cat)
    raise InvalidParameterError(
        "invalid parameter init: expected 'Huang', 'Cao' or [numeric prototypes, categorical prototypes], "
        f"got {value!r}"
    )


def _seed(value: Any, p: Param, context: dict[str, Any]) -> int:
    return int(random_state_of(value).randint(0, np.iinfo(np.int32).max))


_COMMON = (
    Param("n_clusters", "int", 8, "number of clusters", low=1, native="n_clusters", native_checks=("low",)),
    Param("init", "init", "Cao", "'Huang', 'Cao' or the initial prototypes", convert=_init),
    Param(
        "n_init", "int", 10, "runs from different initial prototypes", low=1, native="n_init", native_checks=("low",)
    ),
    Param("max_iter", "int", 100, "most passes per run", low=1, native="max_iter", native_checks=("low",)),
    Param("random_state", "random_state", None, "seed of the random draws", convert=_seed),
)


class _Clusterer(SavedAsJson, TreeEstimator):
    """What KPrototypes and KModes share: input reading, fitted check, tags."""

    _estimator_type = "clusterer"
    _allow_nan = False
    _kmodes = False

    # The attributes set by fit: read before it, NotFittedError names them
    # (an AttributeError too, so hasattr stays False).
    _FITTED = frozenset(
        {
            "model_",
            "labels_",
            "cluster_centers_",
            "inertia_",
            "cost_",
            "n_iter_",
            "n_features_in_",
            "categories_",
            "gamma_",
            "numeric_centers_",
            "categorical_centers_",
        }
    )

    def __getattr__(self, name: str) -> Any:
        if name in _Clusterer._FITTED:
            raise est.not_fitted(self, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __sklearn_is_fitted__(self) -> bool:
        return "model_" in self.__dict__

    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import InputTags, Tags, TargetTags

        return Tags(
            estimator_type="clusterer", target_tags=TargetTags(required=False), input_tags=InputTags(allow_nan=False)
        )

    def _model(self, method: str) -> Any:
        if "model_" not in self.__dict__:
            raise est.not_fitted(self, method)
        return self.model_

    def _which_categorical(self, names: list[Any] | None, cols: list[np.ndarray], categorical: Any) -> list[int]:
        d = len(cols)
        if self._kmodes:
            return list(range(d))
        if categorical is None:
            return [j for j in range(d) if not _is_numeric(cols[j])]
        items = [categorical] if isinstance(categorical, (str, numbers.Integral)) else categorical
        try:
            items = list(items)
        except TypeError:
            raise InvalidParameterError(
                f"invalid parameter categorical: expected column indices or names, got {categorical!r}"
            ) from None
        out = []
        for c in items:
            if isinstance(c, (bool, np.bool_)):
                raise InvalidParameterError(
                    f"invalid parameter categorical: expected column indices or names, got {c!r}"
                )
            if isinstance(c, numbers.Integral):
                j = int(c)
                if not -d <= j < d:
                    raise InvalidParameterError(
                        f"invalid parameter categorical: column index {j} out of range for {d} columns"
                    )
                out.append(j % d)
            elif names is not None and c in names:
                out.append(names.index(c))
            elif isinstance(c, str):
                raise ColumnNotFoundError(
                    f"categorical: column {c!r} not found in X"
                    + ("" if names is not None else " (X has no column names)")
                )
            else:
                raise InvalidParameterError(
                    f"invalid parameter categorical: expected column indices or names, got {c!r}"
                )
        if len(set(out)) != len(out):
            raise InvalidParameterError(f"invalid parameter categorical: a column is named twice in {categorical!r}")
        return sorted(out)

    def _read(self, X: Any, *, fitting: bool, categorical: Any = None) -> tuple[np.ndarray, np.ndarray]:
        names, cols = _columns(X)
        if fitting:
            cat_idx = self._which_categorical(names, cols, categorical)
            if not self._kmodes and not cat_idx:
                raise InvalidParameterError("invalid parameter categorical: no categorical feature: use KMeans")
            if not self._kmodes and len(cat_idx) == len(cols):
                raise InvalidParameterError("invalid parameter categorical: every feature is categorical: use KModes")
            self.n_features_in_ = len(cols)
            if names is not None and all(isinstance(n, str) for n in names):
                self.feature_names_in_ = np.asarray(names, dtype=object)
            elif hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
            self._categorical = cat_idx
            self.categories_ = [_categories(cols[j], _label(names, j)) for j in cat_idx]
        elif len(cols) != self.n_features_in_:
            raise InvalidInputError(
                f"X has {len(cols)} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input"
            )
        n = len(cols[0])
        cat_set = set(self._categorical)
        num_idx = [j for j in range(len(cols)) if j not in cat_set]
        num = np.empty((n, len(num_idx)), dtype=np.float64)
        for t, j in enumerate(num_idx):
            num[:, t] = _numeric(cols[j], _label(names, j))
        cat = np.empty((n, len(self._categorical)), dtype=np.uint32)
        for t, j in enumerate(self._categorical):
            cat[:, t] = _codes(cols[j], self.categories_[t], _label(names, j))
        return num, cat

    def _encode_modes(self, modes: np.ndarray) -> np.ndarray:
        q = len(self.categories_)
        if modes.ndim != 2 or modes.shape[1] != q:
            raise InvalidParameterError(
                f"invalid parameter init: categorical prototypes must have {q} columns, got shape {modes.shape}"
            )
        out = np.empty(modes.shape, dtype=np.uint32)
        for j in range(q):
            out[:, j] = _codes(modes[:, j], self.categories_[j], f"init column {j}")
        return out

    def _decode_modes(self, codes: np.ndarray) -> np.ndarray:
        cols = [
            np.asarray(self.categories_[j])[np.minimum(codes[:, j], len(self.categories_[j]) - 1)]
            for j in range(codes.shape[1])
        ]
        if not cols:
            return np.empty((codes.shape[0], 0), dtype=object)
        try:
            return np.column_stack(cols)
        except (TypeError, ValueError):
            # Categories of types numpy cannot share (dates and booleans,
            # say): the modes as objects.
            return np.column_stack([c.astype(object) for c in cols])

    def _set_fitted(self, model: Any) -> None:
        self.model_ = model
        self.labels_ = np.asarray(model.labels, dtype=np.int64)
        self.inertia_ = float(model.inertia)
        self.cost_ = self.inertia_
        self.n_iter_ = int(model.n_iter)

    def _weights(self, sample_weight: Any, n: int) -> np.ndarray | None:
        w = est.sample_weights(sample_weight, n)
        if w is None:
            return None
        bad = ~np.isfinite(w) | (w < 0)
        if bad.any():
            at = int(np.flatnonzero(bad)[0])
            raise InvalidInputError(f"sample_weight: value {w[at]} at row {at}: weights must be finite and >= 0")
        return np.ascontiguousarray(w, dtype=np.float64)

    def _repr_html_(self) -> str:
        from html import escape

        if "model_" not in self.__dict__:
            return f"<div><pre>{escape(repr(self))}</pre></div>"
        from ._tables import html_summary

        sizes = np.bincount(self.labels_, minlength=len(self.cluster_centers_))
        figures = {"rows": len(self.labels_), "cost": round(self.cost_, 6), "passes": self.n_iter_}
        import pandas as pd

        centers = pd.DataFrame(self.cluster_centers_, columns=[str(c) for c in self._feature_labels()])
        centers.insert(0, "size", sizes)
        return html_summary(repr(self), centers, figures=figures)

    def _feature_labels(self) -> list[Any]:
        if hasattr(self, "feature_names_in_"):
            return list(self.feature_names_in_)
        return [f"x{j}" for j in range(self.n_features_in_)]

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Draws the share of rows in each cluster with matplotlib (the
        ``ciblage[plot]`` extra) and returns its Display
        (:class:`ciblage.plot.ClusterSizesDisplay`)."""
        self._model("plot")
        from .plot import ClusterSizesDisplay

        return ClusterSizesDisplay.from_estimator(self).plot(ax=ax, **kwargs)

    def fit_predict(self, X: Any, y: Any = None, sample_weight: Any = None, **kwargs: Any) -> np.ndarray:
        """Fits and returns ``labels_``."""
        return self.fit(X, y, sample_weight=sample_weight, **kwargs).labels_

    def predict(self, X: Any, **kwargs: Any) -> np.ndarray:
        """The nearest prototype of each row of ``X`` (categories not seen in
        fit match no mode)."""
        model = self._model("predict")
        num, cat = self._read(X, fitting=False)
        return np.asarray(model.predict(num, cat), dtype=np.int64)


class KPrototypes(_Clusterer):
    """k-prototypes clustering (Huang 1998) of rows with numeric and
    categorical features: squared Euclidean distance on the numeric ones
    plus ``gamma`` times the number of categorical mismatches.

    Parameters follow the ``kmodes`` package: ``n_clusters``, ``init``
    (``"Huang"``, ``"Cao"`` or ``[numeric prototypes, categorical
    prototypes]``, the categorical ones in the data's own categories),
    ``n_init``, ``max_iter``, ``gamma`` (``None``: half the mean standard
    deviation of the numeric features, as ``kmodes``), ``random_state``;
    ``categorical``: indices or names of the categorical columns (``None``:
    the non-numeric columns of a DataFrame). Numeric features are not
    scaled: scale them first when their units differ.

    >>> import pandas as pd
    >>> from ciblage.cluster import KPrototypes
    >>> X = pd.DataFrame({"spend": [10.0, 12.0, 11.0, 95.0, 99.0, 97.0],
    ...                   "channel": ["web", "web", "web", "shop", "shop", "web"]})
    >>> km = KPrototypes(n_clusters=2, random_state=0).fit(X)
    >>> bool(km.labels_[0] == km.labels_[1] != km.labels_[3])
    True
    >>> km.cluster_centers_.shape
    (2, 2)
    """

    _params = (
        *_COMMON,
        Param(
            "gamma",
            "opt_float",
            None,
            "weight of a categorical mismatch",
            low=0.0,
            native="gamma",
            native_checks=("low",),
        ),
        Param("categorical", "categorical", None, "indices or names of the categorical columns", at_fit=False),
    )

    def __init__(
        self,
        n_clusters: int = 8,
        init: Any = "Cao",
        n_init: int = 10,
        max_iter: int = 100,
        gamma: float | None = None,
        random_state: Any = None,
        categorical: Any = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.gamma = gamma
        self.random_state = random_state
        self.categorical = categorical

    def fit(
        self, X: Any, y: Any = None, sample_weight: Any = None, categorical: Any = None, progress: Any = None
    ) -> KPrototypes:
        """Clusters the rows of ``X`` (``categorical`` here overrides the
        constructor's, as in ``kmodes``); ``progress``: True (a tqdm bar) or
        a callable taking ``(done, total)`` (one unit per iteration of each
        initialisation). Ctrl-C stops the fit."""
        p = check_params(self)
        num, cat = self._read(X, fitting=True, categorical=self.categorical if categorical is None else categorical)
        w = self._weights(sample_weight, num.shape[0])
        kwargs: dict[str, Any] = {}
        if isinstance(p["init"], tuple):
            gn, gc = p["init"]
            if gn.shape[1] != num.shape[1]:
                raise InvalidParameterError(
                    f"invalid parameter init: numeric prototypes must have {num.shape[1]} columns, got shape {gn.shape}"
                )
            kwargs = {"init_numeric": np.ascontiguousarray(gn), "init_categorical": self._encode_modes(gc)}
        else:
            kwargs = {"init": p["init"]}
        model = _native.kprototypes_fit(
            num,
            cat,
            sample_weight=w,
            n_clusters=p["n_clusters"],
            n_init=p["n_init"],
            max_iter=p["max_iter"],
            gamma=p["gamma"],
            seed=p["random_state"],
            progress=reporter(progress, type(self).__name__),
            **kwargs,
        )
        self._finish(model)
        return self

    def _finish(self, model: Any) -> None:
        self._set_fitted(model)
        self.gamma_ = float(model.gamma)
        self.numeric_centers_ = np.asarray(model.numeric_centers)
        self.categorical_centers_ = self._decode_modes(np.asarray(model.categorical_centers))
        k, d = self.numeric_centers_.shape[0], self.n_features_in_
        centers = np.empty((k, d), dtype=object)
        num_idx = [j for j in range(d) if j not in set(self._categorical)]
        centers[:, num_idx] = self.numeric_centers_
        centers[:, self._categorical] = self.categorical_centers_
        self.cluster_centers_ = centers


class KModes(_Clusterer):
    """k-modes clustering (Huang 1998) of rows with categorical features:
    the cost of a row is the number of its features that differ from its
    cluster's modes. Parameters follow the ``kmodes`` package:
    ``n_clusters``, ``init`` (``"Huang"``, ``"Cao"`` or an array of initial
    modes in the data's categories), ``n_init``, ``max_iter``,
    ``random_state``.

    >>> from ciblage.cluster import KModes
    >>> X = [["a", "x"], ["a", "x"], ["a", "y"], ["b", "z"], ["b", "z"], ["c", "z"]]
    >>> km = KModes(n_clusters=2, random_state=0).fit(X)
    >>> km.cost_
    2.0
    >>> km.predict([["b", "z"]]).tolist() == [int(km.labels_[3])]
    True
    """

    _params = _COMMON
    _kmodes = True
    _what = "kmodes"

    def __init__(
        self,
        n_clusters: int = 8,
        init: Any = "Cao",
        n_init: int = 10,
        max_iter: int = 100,
        random_state: Any = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.random_state = random_state

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None, progress: Any = None) -> KModes:
        """Clusters the rows of ``X`` (every column categorical);
        ``progress``: True (a tqdm bar) or a callable taking
        ``(done, total)``. Ctrl-C stops the fit."""
        p = check_params(self, kmodes=True)
        _, cat = self._read(X, fitting=True)
        w = self._weights(sample_weight, cat.shape[0])
        if isinstance(p["init"], np.ndarray):
            kwargs: dict[str, Any] = {"init_modes": self._encode_modes(p["init"])}
        else:
            kwargs = {"init": p["init"]}
        model = _native.kmodes_fit(
            cat,
            sample_weight=w,
            n_clusters=p["n_clusters"],
            n_init=p["n_init"],
            max_iter=p["max_iter"],
            seed=p["random_state"],
            progress=reporter(progress, type(self).__name__),
            **kwargs,
        )
        self._finish(model)
        return self

    def _finish(self, model: Any) -> None:
        self._set_fitted(model)
        self.cluster_centers_ = self._decode_modes(np.asarray(model.categorical_centers))
