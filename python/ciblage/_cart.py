"""CART classification and regression trees with scikit-learn conventions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from . import _cart_cv, _cart_state, _native
from . import _cart_input as cin
from . import _cart_outputs as outs
from . import _cart_params as cp
from . import _estimator as est
from ._base import ClassifierScore, RegressorScore, TreeEstimator, check_params, needs_fit
from ._params import as_float, as_int
from ._progress import reporter

if TYPE_CHECKING:
    import pandas

    from .plot._display import Display
from .exceptions import InvalidParameterError, ModelFileError

__all__ = ["CartClassifier", "CartRegressor"]


def _single_output(model: Any, y: Any) -> None:
    """Monotonic constraints hold for one target: a 2-D ``y`` of several
    columns is refused with scikit-learn's message."""
    if model.monotonic_cst is None:
        return
    try:
        shape = np.shape(y)
    except (TypeError, ValueError):
        return
    if len(shape) == 2 and shape[1] > 1:
        raise InvalidParameterError(
            "invalid parameter monotonic_cst: Monotonicity constraints are not supported with multiple outputs"
        )


def _class_weight_table(cw: Any, classes: np.ndarray, codes: np.ndarray) -> np.ndarray | None:
    """The weight of every class of one output under ``class_weight``
    ``cw`` (``None``, ``"balanced"``: ``n / (k · n_c)``, or a mapping)."""
    if cw is None:
        return None
    if isinstance(cw, str):
        if cw != "balanced":
            raise InvalidParameterError(
                f'invalid parameter class_weight: expected None, "balanced" or a mapping, got {cw!r}'
            )
        counts = np.bincount(codes, minlength=len(classes)).astype(np.float64)
        return len(codes) / (len(classes) * counts)
    if isinstance(cw, dict):
        unknown = [k for k in cw if k not in set(classes.tolist())]
        if unknown:
            raise InvalidParameterError(f"invalid parameter class_weight: labels {unknown!r} are not classes of y")
        for label, v in cw.items():
            as_float(v, f"class_weight[{label!r}]", 0.0)
        weights = np.array([float(cw.get(c, 1.0)) for c in classes.tolist()])
        if not (weights[codes] > 0).any():
            raise InvalidParameterError("invalid parameter class_weight: every row gets weight zero")
        with np.errstate(over="ignore"):
            total = weights[codes].sum()
        if not np.isfinite(total):
            raise InvalidParameterError(
                "invalid parameter class_weight: the total weight of the rows overflows the range of 64-bit floats"
            )
        return weights
    raise InvalidParameterError(f'invalid parameter class_weight: expected None, "balanced" or a mapping, got {cw!r}')


class _CartBase(TreeEstimator):
    """What the CART classifier and regressor share."""

    def __init__(
        self,
        *,
        criterion: str,
        max_depth: int | None = None,
        min_samples_split: int = 2,
        min_samples_leaf: int = 1,
        min_weight_fraction_leaf: float = 0.0,
        max_features: Any = None,
        max_leaf_nodes: int | None = None,
        min_impurity_decrease: float = 0.0,
        ccp_alpha: float = 0.0,
        random_state: Any = None,
        splitter: str = "best",
        max_bins: int = 255,
        n_threads: int | None = None,
        categorical_features: Any = "from_dtype",
        monotonic_cst: Any = None,
    ) -> None:
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.min_weight_fraction_leaf = min_weight_fraction_leaf
        self.max_features = max_features
        self.max_leaf_nodes = max_leaf_nodes
        self.min_impurity_decrease = min_impurity_decrease
        self.ccp_alpha = ccp_alpha
        self.random_state = random_state
        self.splitter = splitter
        self.max_bins = max_bins
        self.n_threads = n_threads
        self.categorical_features = categorical_features
        self.monotonic_cst = monotonic_cst

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        # scipy.sparse X is read (tests/test_cart_sparse.py).
        tags.input_tags.sparse = True
        # A 2-D y of several columns grows one tree for every output.
        tags.target_tags.multi_output = True
        return tags

    def _checked_params(self, n: int, d: int) -> dict[str, Any]:
        """Every parameter checked by the table (numpy scalars accepted,
        nothing truncated), as the native fit takes them (``random_state``
        as scikit-learn's internal ``seed``), with ``ccp_alpha``."""
        values = check_params(self, n=n, d=d)
        params = {p.native: values[p.name] for p in type(self)._params if p.at_fit and p.native}
        params["seed"] = values["random_state"]
        return params

    def _fit(
        self, x: np.ndarray, w: np.ndarray | None, categorical: list[int], progress: Any = False, **target: Any
    ) -> Any:
        params = self._checked_params(x.shape[0], x.shape[1])
        ccp_alpha = params.pop("ccp_alpha")
        report = reporter(progress, f"{type(self).__name__}.fit")
        tree = _native.cart_fit(
            x, sample_weight=w, categorical_features=categorical, progress=report, **params, **target
        )
        if categorical:
            tree = tree.with_category_names(cin.category_names(self))
        self.n_features_in_ = x.shape[1]
        self.n_outputs_ = int(tree.n_outputs)
        self.max_features_ = params["max_features"] or x.shape[1]
        self._full_tree = tree
        self.tree_ = tree.pruned(ccp_alpha) if ccp_alpha > 0 else tree
        return self

    def _check(self, X: Any) -> Any:
        self._fitted()
        return cin.encode_predict(self, X)

    @needs_fit
    def apply(self, X: Any) -> np.ndarray:
        """Leaf id of every row."""
        x = self._check(X)
        return self.tree_.apply(x)

    @property
    @needs_fit
    def feature_importances_(self) -> np.ndarray:
        """Normalised total impurity decrease brought by each feature."""
        return np.asarray(self._fitted().feature_importances())

    @needs_fit
    def get_depth(self) -> int:
        """Depth of the tree (the root alone: 0)."""
        return int(self._fitted().max_depth)

    @needs_fit
    def get_n_leaves(self) -> int:
        """Number of leaves."""
        return int(self._fitted().n_leaves)

    def _feature_names(self, feature_names: Any) -> list[str]:
        """Names of the features in exports: the given ones (one per
        feature), else the DataFrame's columns seen at fit
        (``feature_names_in_``), else ``feature_<i>`` (as scikit-learn)."""
        d = self.n_features_in_
        if feature_names is None:
            seen = getattr(self, "feature_names_in_", None)
            if seen is not None and len(seen) == d:
                return [str(f) for f in seen]
            return [f"feature_{i}" for i in range(d)]
        if isinstance(feature_names, (str, bytes)) or not hasattr(feature_names, "__iter__"):
            raise InvalidParameterError(
                f"invalid parameter feature_names: expected a list of {d} names, got {feature_names!r}"
            )
        names = [str(f) for f in feature_names]
        if len(names) != d:
            raise InvalidParameterError(f"invalid parameter feature_names: {len(names)} names for {d} features")
        return names

    @needs_fit
    def export_text(self, feature_names: Any = None, decimals: int = 2) -> str:
        """The tree as indented text, as ``sklearn.tree.export_text``."""
        self._fitted()
        classes = [str(c) for c in getattr(self, "classes_", [])]
        return self.tree_.to_text(self._feature_names(feature_names), classes, as_int(decimals, "decimals", 0, 100))

    @needs_fit
    def export_graphviz(self, feature_names: Any = None) -> str:
        """The tree in Graphviz DOT (render with any DOT tool)."""
        self._fitted()
        classes = [str(c) for c in getattr(self, "classes_", [])]
        return self.tree_.to_dot(self._feature_names(feature_names), classes)

    @needs_fit
    def to_dot(self, feature_names: Any = None) -> str:
        """The tree in Graphviz DOT: the same text as ``export_graphviz``
        (CHAID's name for it)."""
        return self.export_graphviz(feature_names)

    @needs_fit
    def rules(self, feature_names: Any = None) -> list[str]:
        """The readable rule of every node (leaves included), conditions
        joined by ``AND``, as CHAID's ``rules()``."""
        self._fitted()
        return self.tree_.rules(self._feature_names(feature_names))

    @needs_fit
    def sql_rules(self, feature_names: Any = None) -> list[str]:
        """The SQL WHERE condition of every node (leaves included)."""
        self._fitted()
        return self.tree_.sql_rules(self._feature_names(feature_names))

    @needs_fit
    def decision_path(self, X: Any) -> Any:
        """Indicator of the nodes each row passes through: a
        ``scipy.sparse.csr_matrix`` (rows × nodes), as ``tree_.decision_path``
        (an ``ImportError`` naming scipy without it)."""
        return self.tree_.decision_path(self._check(X))

    @needs_fit
    def segments(self, feature_names: Any = None) -> Any:
        """One row per leaf: node, rule, n (training samples), share, and the
        class proportions with their lift against the root (classification)
        or the mean and its ratio to the overall mean (regression; the median
        and its ratio to the overall median with ``criterion="absolute_error"``);
        pandas."""
        from ._tables import from_arrow

        self._fitted()
        names = self._feature_names(feature_names)
        classes = [f"{c}" for c in self.classes_] if hasattr(self, "classes_") else []
        return from_arrow(self.tree_.segments(names, classes), "pandas")

    def cost_complexity_pruning_path(self, X: Any, y: Any, sample_weight: Any = None) -> dict[str, np.ndarray]:
        """Effective alphas and total leaf impurities of minimal cost-complexity
        pruning: a dict whose keys are also attributes (``path.ccp_alphas``)."""
        full = type(self)(**{**self.get_params(), "ccp_alpha": 0.0}).fit(X, y, sample_weight)
        alphas, impurities = full.tree_.cost_complexity_pruning_path()
        return _cart_state.Bunch(ccp_alphas=np.asarray(alphas), impurities=np.asarray(impurities))

    def cost_complexity_cv(
        self,
        X: Any,
        y: Any,
        *,
        cv: int = 10,
        random_state: Any = 0,
        sample_weight: Any = None,
        progress: Any = False,
    ) -> Any:
        """rpart-style choice of the pruning level by k-fold cross-validation.

        The full tree's pruning path gives alphas a_0 = 0 < a_1 < … ; each
        subtree is represented by the geometric mean √(a_k·a_{k+1}) (a_k for
        the last), as rpart does. For each of ``cv`` folds (rows shuffled by
        ``random_state``), a tree grown on the other folds is pruned at every
        representative alpha and scored on the fold: misclassification
        (classifier) or squared error (regressor), weighted by
        ``sample_weight``. Errors are relative to the root's (rpart's
        ``xerror``); ``xstd`` is their standard error.

        Returns a pandas DataFrame, one row per subtree from the largest:
        ``ccp_alpha``, ``cp`` (alpha over the root's impurity, rpart's
        scale), ``n_leaves``, ``rel_error`` (training impurity relative to
        the root), ``xerror``, ``xstd``, and ``min`` / ``one_se`` flags: the
        smallest ``xerror``, and the smallest tree within one standard error
        of it (the 1-SE rule). Fit with ``ccp_alpha`` set to the chosen row's
        ``ccp_alpha`` to use it.
        """
        return _cart_cv.cost_complexity_cv(
            self, X, y, cv=cv, random_state=random_state, sample_weight=sample_weight, progress=progress
        )

    @needs_fit
    def drawing_nodes(self, feature_names: Any = None) -> list[dict[str, Any]]:
        """The nodes as drawn: ``id``, ``parent``, ``depth``, ``n``
        (training samples), ``counts`` (class weights), ``lines`` (label of
        the box: split, impurity, samples, class or value), ``edge`` (True:
        left child, False: right child) and ``prediction``."""
        from ._draw import drawing_nodes

        self._fitted()
        classes = [str(c) for c in getattr(self, "classes_", [])]
        rows = self.tree_.drawing(self._feature_names(feature_names), classes)
        values = None if classes else self.tree_.value[:, 0, 0]
        return drawing_nodes(rows, getattr(self, "classes_", None), values, "cart")

    @needs_fit
    def to_svg(self, max_depth: Any = None, feature_names: Any = None) -> str:
        """The tree as a self-contained SVG (no graphviz): boxes with the
        split, samples and class or value, leaves coloured by prediction;
        nodes deeper than ``max_depth`` collapsed into their ancestor (None:
        the whole tree). It has a ``viewBox`` and its natural size in pixels;
        the notebook's drawing (:meth:`draw`, ``_repr_html_``) scales to its
        container up to that width, scrolling when the tree is wider."""
        from ._draw import tree_svg

        return tree_svg(self.drawing_nodes(feature_names), max_depth)

    @needs_fit
    def draw(self, max_depth: Any = None, feature_names: Any = None) -> Any:
        """The SVG drawing (:meth:`to_svg`) as an object a notebook shows."""
        from ._draw import SvgDrawing

        return SvgDrawing(self.drawing_nodes(feature_names), max_depth)

    def _repr_html_(self) -> str:
        """The fitted tree as an SVG drawing, collapsed below depth
        ``ciblage._draw.DEFAULT_HTML_DEPTH`` (Jupyter shows it)."""
        from html import escape

        from ._draw import DEFAULT_HTML_DEPTH, SvgDrawing

        if not hasattr(self, "tree_") or self.n_outputs_ > 1:
            # The drawing shows trees of one output.
            return f"<pre>{escape(repr(self))}</pre>"
        return SvgDrawing(self.drawing_nodes(), DEFAULT_HTML_DEPTH)._repr_html_()

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        for k in ("tree_", "_full_tree"):
            if k in state:
                state[k] = state[k].to_json()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        if not isinstance(state, dict):
            raise ModelFileError(
                f"{type(self).__name__} pickle: expected a dict of attributes, got {type(state).__name__}"
            )
        state = dict(state)
        for k in ("tree_", "_full_tree"):
            if k in state:
                if not isinstance(state[k], str):
                    raise ModelFileError(f"{type(self).__name__} pickle: {k}: expected the tree's JSON text")
                state[k] = _native.CartTree.from_json(est.model_text(state[k], f"{type(self).__name__} pickle: {k}"))
        if "tree_" in state:
            _cart_state.check_fitted_state(type(self).__name__, state)
        self.__dict__.update(state)

    @needs_fit
    def plot(self, kind: str = "tree", **kwargs: Any) -> Display:
        """Draws the tree (``kind="tree"``: :class:`ciblage.plot.TreeDisplay`)
        or a classification tree's gains, lift or cumulative response chart
        (``"gains"``, ``"lift"``, ``"response"``: ``target=`` the class, and
        ``X=``, ``y=`` for other data than the training set's gains table);
        other keyword arguments go to the display's ``plot``. Returns the
        display."""
        from .plot._trees import plot_model

        return plot_model(self, kind, **kwargs)


class CartClassifier(ClassifierScore, _CartBase):
    """CART classification tree reproducing scikit-learn's
    ``DecisionTreeClassifier`` (same thresholds, impurities, node order and,
    through ``random_state``, the same feature order at ties).

    ``class_weight``: ``None``, ``"balanced"`` (weights ``n / (k · n_c)``)
    or a mapping ``{label: weight}``; multiplied into ``sample_weight``.

    Example:
        >>> import ciblage
        >>> model = ciblage.CartClassifier(max_depth=2).fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
        >>> model.predict([[0.5], [2.5]]).tolist()
        [0, 1]
    """

    _estimator_type = "classifier"
    _params = cp.CLASSIFIER_PARAMS
    # One array of labels (and a count) for one output; lists of them, one
    # per output, for a 2-D y.
    classes_: Any
    n_classes_: Any

    def __init__(
        self,
        *,
        criterion: str = "gini",
        max_depth: int | None = None,
        min_samples_split: int = 2,
        min_samples_leaf: int = 1,
        min_weight_fraction_leaf: float = 0.0,
        max_features: Any = None,
        max_leaf_nodes: int | None = None,
        min_impurity_decrease: float = 0.0,
        class_weight: Any = None,
        ccp_alpha: float = 0.0,
        random_state: Any = None,
        splitter: str = "best",
        max_bins: int = 255,
        n_threads: int | None = None,
        categorical_features: Any = "from_dtype",
        monotonic_cst: Any = None,
    ) -> None:
        super().__init__(
            criterion=criterion,
            max_depth=max_depth,
            min_samples_split=min_samples_split,
            min_samples_leaf=min_samples_leaf,
            min_weight_fraction_leaf=min_weight_fraction_leaf,
            max_features=max_features,
            max_leaf_nodes=max_leaf_nodes,
            min_impurity_decrease=min_impurity_decrease,
            ccp_alpha=ccp_alpha,
            random_state=random_state,
            splitter=splitter,
            max_bins=max_bins,
            n_threads=n_threads,
            categorical_features=categorical_features,
            monotonic_cst=monotonic_cst,
        )
        self.class_weight = class_weight

    def fit(self, X: Any, y: Any, sample_weight: Any = None, *, progress: Any = False) -> CartClassifier:
        """Grows the tree on ``X`` (rows × features) and class labels ``y``;
        ``progress``: ``True`` for a progress bar, or a callable receiving
        ``(done, total)`` (samples placed in leaves)."""
        cin.sparse.refuse_sparse_y(y)
        x, categorical = cin.encode_fit(self, X)
        _single_output(self, y)
        yy = outs.several(y)
        if yy is not None:
            return self._fit_outputs(x, yy, sample_weight, categorical, progress)
        classes, codes = est.class_target(y, self, x.shape[0])
        w = cin.sample_weights(sample_weight, x.shape[0])
        cw = self._class_weights(classes, codes)
        if cw is not None:
            w = cw[codes] if w is None else w * cw[codes]
        self._fit(x, w, categorical, progress, y_codes=codes, n_classes=len(classes))
        self.classes_ = classes
        self.n_classes_ = len(classes)
        return self

    def _fit_outputs(
        self, x: np.ndarray, yy: np.ndarray, sample_weight: Any, categorical: list[int], progress: Any
    ) -> CartClassifier:
        """Grows one tree for every column of ``yy`` (scikit-learn's
        multi-output classification)."""
        classes, codes = outs.class_outputs(yy, self, x.shape[0])
        w = cin.sample_weights(sample_weight, x.shape[0])
        cw = outs.class_weights(self, classes, codes, _class_weight_table)
        if cw is not None:
            w = cw if w is None else w * cw
        n_classes = [len(c) for c in classes]
        self._fit(x, w, categorical, progress, y_output_codes=codes, output_classes=n_classes)
        self.classes_ = classes
        self.n_classes_ = np.array(n_classes, dtype=np.intp)
        return self

    def _class_weights(self, classes: np.ndarray, codes: np.ndarray) -> np.ndarray | None:
        return _class_weight_table(self.class_weight, classes, codes)

    @needs_fit
    def predict_proba(self, X: Any) -> Any:
        """Class probabilities of every row: the class shares of its leaf
        (a list of one array per output for a tree of several outputs)."""
        leaves = self.apply(X)
        if self.n_outputs_ > 1:
            return outs.predict_proba(self, leaves)
        return self.tree_.value[leaves, 0]

    @needs_fit
    def predict(self, X: Any) -> np.ndarray:
        """The most likely class of every row (ties: the first class); one
        column per output for a tree of several outputs."""
        proba = self.predict_proba(X)
        if self.n_outputs_ > 1:
            return outs.predict_classes(self, proba)
        return self.classes_[np.argmax(proba, axis=1)]

    @needs_fit
    def predict_log_proba(self, X: Any) -> Any:
        """Natural logarithm of :meth:`predict_proba` (−inf for zero)."""
        proba = self.predict_proba(X)
        with np.errstate(divide="ignore"):
            if self.n_outputs_ > 1:
                return [np.log(p) for p in proba]
            return np.log(proba)

    @needs_fit
    def gains(self, target: Any, feature_names: Any = None) -> pandas.DataFrame:
        """Gains table for the class ``target``, as CHAID's: leaves by
        decreasing response rate with their rule, n, share, responses,
        response_rate, gain, index (lift × 100) and their cumulative values
        (pandas)."""
        from ._tables import from_arrow

        self._fitted()
        if self.n_outputs_ > 1:
            raise InvalidParameterError("invalid parameter target: gains tables are for trees of one output")
        if np.ndim(target) != 0:
            raise InvalidParameterError(f"invalid parameter target: expected one class label, got {target!r}")
        matches = np.flatnonzero(self.classes_ == target)
        if len(matches) == 0:
            raise InvalidParameterError(f"invalid parameter target: {target!r} is not a class ({list(self.classes_)})")
        return from_arrow(self.tree_.gains(self._feature_names(feature_names), int(matches[0])), "pandas")


class CartRegressor(RegressorScore, _CartBase):
    """CART regression tree reproducing scikit-learn's ``DecisionTreeRegressor``
    (``criterion="squared_error"``, ``"poisson"`` for counts, or
    ``"absolute_error"`` for weighted medians, exact or random splitter).

    Example:
        >>> import ciblage
        >>> model = ciblage.CartRegressor(max_depth=1).fit([[0.0], [1.0], [2.0], [3.0]], [1.0, 1.0, 5.0, 5.0])
        >>> model.predict([[0.0], [3.0]]).tolist()
        [1.0, 5.0]
    """

    _estimator_type = "regressor"
    _params = cp.REGRESSOR_PARAMS

    def __init__(
        self,
        *,
        criterion: str = "squared_error",
        max_depth: int | None = None,
        min_samples_split: int = 2,
        min_samples_leaf: int = 1,
        min_weight_fraction_leaf: float = 0.0,
        max_features: Any = None,
        max_leaf_nodes: int | None = None,
        min_impurity_decrease: float = 0.0,
        ccp_alpha: float = 0.0,
        random_state: Any = None,
        splitter: str = "best",
        max_bins: int = 255,
        n_threads: int | None = None,
        categorical_features: Any = "from_dtype",
        monotonic_cst: Any = None,
    ) -> None:
        super().__init__(
            criterion=cp.regression_criterion(criterion),
            max_depth=max_depth,
            min_samples_split=min_samples_split,
            min_samples_leaf=min_samples_leaf,
            min_weight_fraction_leaf=min_weight_fraction_leaf,
            max_features=max_features,
            max_leaf_nodes=max_leaf_nodes,
            min_impurity_decrease=min_impurity_decrease,
            ccp_alpha=ccp_alpha,
            random_state=random_state,
            splitter=splitter,
            max_bins=max_bins,
            n_threads=n_threads,
            categorical_features=categorical_features,
            monotonic_cst=monotonic_cst,
        )

    def fit(self, X: Any, y: Any, sample_weight: Any = None, *, progress: Any = False) -> CartRegressor:
        """Grows the tree on ``X`` (rows × features) and targets ``y``;
        ``progress`` as in :meth:`CartClassifier.fit`."""
        cin.sparse.refuse_sparse_y(y)
        if isinstance(self.criterion, str) and self.criterion == "poisson":
            cin.check_poisson_target(y)
        x, categorical = cin.encode_fit(self, X)
        _single_output(self, y)
        w = cin.sample_weights(sample_weight, x.shape[0])
        several = outs.several(y)
        if several is not None:
            values = outs.value_outputs(several, self, x.shape[0])
            return self._fit(x, w, categorical, progress, y_output_values=values)
        yy = est.value_target(y, self, x.shape[0])
        return self._fit(x, w, categorical, progress, y_values=yy)

    @needs_fit
    def predict(self, X: Any) -> np.ndarray:
        """The value of each row's leaf: its mean target (its weighted median
        with ``criterion="absolute_error"``); one column per output for a
        tree of several outputs."""
        leaves = self.apply(X)
        if self.n_outputs_ > 1:
            return self.tree_.value[leaves, :, 0]
        return self.tree_.value[leaves, 0, 0]

    @needs_fit
    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Coefficient of determination R² of :meth:`predict` on ``X``
        against ``y`` (weighted by ``sample_weight``; averaged over outputs
        for a tree of several outputs)."""
        if self.n_outputs_ > 1:
            return outs.r2_score(y, self.predict(X), sample_weight)
        return super().score(X, y, sample_weight)

    def gains(self, target: Any, feature_names: Any = None) -> pandas.DataFrame:
        """Gains tables are for classification trees: always an InvalidParameterError."""
        raise InvalidParameterError("invalid parameter target: gains tables are for classification trees")
