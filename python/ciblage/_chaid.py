"""CHAID classification and regression trees with scikit-learn conventions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from . import _chaid_input as cin
from . import _estimator as est
from . import _native
from ._base import ClassifierScore, RegressorScore, TreeEstimator, check_params, needs_fit, unavailable
from ._cart_state import decision_path_matrix
from ._params import Param, as_int
from ._progress import reporter
from ._tables import from_arrow

if TYPE_CHECKING:
    import pandas

    from .plot._display import Display
from .exceptions import InvalidParameterError, ModelFileError

__all__ = ["ChaidClassifier", "ChaidRegressor"]


def _probability(name: str, doc: str) -> Param:
    return Param(
        name,
        "opt_float",
        None,
        doc,
        low=0.0,
        high=1.0,
        low_open=True,
        native=name,
        native_checks=("low", "high"),
    )


def _cases(name: str, doc: str) -> Param:
    return Param(name, "opt_float", None, doc, low=0.0, native=name, native_checks=("low",))


# The constructor's parameters, in its order. The upper limits of bins and
# max_depth are Python's (more bins than an ordinal predictor may have
# categories could only be refused after binning; depths beyond 2**31 − 1
# are no limit at all).
_PARAMS = (
    _probability("alpha_merge", "p-value above which categories merge (None: the preset's)"),
    _probability("alpha_split", "p-value below which a node splits (None: the preset's)"),
    Param(
        "max_depth",
        "opt_int",
        None,
        "maximum depth (None: the preset's: 3 for spss, 2 for chaid_package)",
        low=0,
        high=2**31 - 1,
        native="max_depth",
    ),
    _cases("min_parent", "minimum (weighted) cases to split a node (None: the preset's)"),
    _cases("min_child", "minimum (weighted) cases in a child (None: the preset's)"),
    Param("exhaustive", "bool", False, "Exhaustive CHAID (every merge sequence)", native="exhaustive"),
    Param("bonferroni", "bool", True, "Bonferroni-adjusted p-values (preset spss)", native="bonferroni"),
    Param(
        "bins",
        "int",
        10,
        "quantile bins of each continuous predictor",
        low=2,
        high=5_000,
        native="bins",
        native_checks=("low",),
    ),
    Param(
        "preset",
        "choice",
        "spss",
        'the defaults: "spss" or "chaid_package"',
        choices=("spss", "chaid_package"),
        native="preset",
        native_checks=("choices",),
    ),
    Param(
        "column_types",
        "column_types",
        None,
        "None or {column: kind} overriding the kinds read from the dtypes",
        at_fit=False,
    ),
    Param(
        "statistic",
        "choice",
        "pearson",
        'the test statistic: "pearson" or "likelihood_ratio"',
        choices=("pearson", "likelihood_ratio"),
        native="statistic",
        native_checks=("choices",),
    ),
    _probability("split_merged", "p-value to split merged groups back (None: never)"),
)


class _ChaidBase(TreeEstimator):
    """What the CHAID classifier and regressor share: parameters, input
    coding, ``apply``, the node table and the exports."""

    _params = _PARAMS

    def __init__(
        self,
        *,
        alpha_merge: float | None = None,
        alpha_split: float | None = None,
        max_depth: int | None = None,
        min_parent: float | None = None,
        min_child: float | None = None,
        exhaustive: bool = False,
        bonferroni: bool = True,
        bins: int = 10,
        preset: str = "spss",
        column_types: dict[str, str] | None = None,
        statistic: str = "pearson",
        split_merged: float | None = None,
    ) -> None:
        self.alpha_merge = alpha_merge
        self.alpha_split = alpha_split
        self.max_depth = max_depth
        self.min_parent = min_parent
        self.min_child = min_child
        self.exhaustive = exhaustive
        self.bonferroni = bonferroni
        self.bins = bins
        self.preset = preset
        self.column_types = column_types
        self.statistic = statistic
        self.split_merged = split_merged

    def _checked_params(self) -> dict[str, Any]:
        """Every parameter checked by the table (numpy scalars accepted,
        nothing truncated), as the native fit takes them."""
        values = check_params(self)
        return {p.native: values[p.name] for p in _PARAMS if p.at_fit and p.native}

    def _fit(
        self,
        cols: list[Any],
        params: dict[str, Any],
        y_codes: np.ndarray,
        class_names: list[str],
        y_values: Any,
        sample_weight: Any,
        case_weight: Any = None,
        progress: Any = False,
    ) -> Any:
        w = est.sample_weights(sample_weight, len(y_codes))
        spec = cin.fit_spec(cols, self.column_types)
        self.tree_ = _native.chaid_fit(
            spec,
            np.ascontiguousarray(y_codes, dtype=np.uint32),
            class_names,
            y_values=y_values,
            sample_weight=w,
            case_weight=case_weight,
            progress=reporter(progress, f"{type(self).__name__}.fit"),
            **params,
        )
        self._predictors = self.tree_.predictors()
        return self

    @needs_fit
    def apply(self, X: Any) -> np.ndarray:
        """Leaf id of every row. Levels unseen in training go to the largest
        child (nominal) or the nearest group (ordinal codes absent from a node)."""
        self._fitted()
        cols = cin.columns(self, X, fitting=False)
        return self.tree_.apply(cin.apply_codes(self._predictors, cols))

    @needs_fit
    def decision_path(self, X: Any) -> Any:
        """Indicator of the nodes each row passes through, as CART's: a
        ``scipy.sparse.csr_matrix`` of ones (rows × nodes). scipy is an
        optional dependency: without it, an ``ImportError`` naming it."""
        leaves = self.apply(X)
        parents = self.nodes()["parent"].to_numpy()
        paths: list[list[int]] = []
        for node in range(len(parents)):
            up = [node]
            while parents[up[-1]] == parents[up[-1]]:  # not NaN: below the root
                up.append(int(parents[up[-1]]))
            paths.append(up[::-1])
        lengths = np.array([len(p) for p in paths], dtype=np.int64)
        indptr = np.concatenate([[0], np.cumsum(lengths[leaves])])
        flat = np.concatenate([np.asarray(p, dtype=np.int64) for p in paths])
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        take = starts[leaves][:, None] + np.arange(lengths.max())[None, :]
        keep = np.arange(lengths.max())[None, :] < lengths[leaves][:, None]
        indices = flat[take[keep]]
        return decision_path_matrix(indptr, indices, (len(leaves), len(parents)))

    @needs_fit
    def nodes(self) -> Any:
        """One row per node: id, parent, depth, n, split, statistic, df, p,
        adjusted p (and their logarithms), stop reason, rule as text and as a
        SQL WHERE condition (pandas)."""
        self._fitted()
        return from_arrow(self.tree_.nodes(), "pandas")

    @needs_fit
    def drawing_nodes(self) -> list[dict[str, Any]]:
        """The nodes as drawn: ``id``, ``parent``, ``depth``, ``n`` (cases),
        ``counts`` (class counts), ``lines`` (label of the box: id, n, class
        shares or mean, split predictor and adjusted p), ``edge`` (the
        branch's categories) and ``prediction``."""
        from ._draw import drawing_nodes

        tree = self._fitted()
        classes = getattr(self, "classes_", None)
        return drawing_nodes(tree.drawing(), classes, tree.node_mean(), "chaid")

    @needs_fit
    def to_svg(self, max_depth: Any = None) -> str:
        """The tree as a self-contained SVG (no graphviz): boxes with n,
        class shares or mean and the split with its adjusted p-value (shown
        by its logarithm below 1e-300), leaves coloured by prediction; nodes
        deeper than ``max_depth`` collapsed into their ancestor (None: the
        whole tree). It has a ``viewBox`` and its natural size in pixels;
        the notebook's drawing (:meth:`draw`, ``_repr_html_``) scales to its
        container up to that width, scrolling when the tree is wider."""
        from ._draw import tree_svg

        return tree_svg(self.drawing_nodes(), max_depth)

    @needs_fit
    def draw(self, max_depth: Any = None) -> Any:
        """The SVG drawing (:meth:`to_svg`) as an object a notebook shows."""
        from ._draw import SvgDrawing

        return SvgDrawing(self.drawing_nodes(), max_depth)

    def _repr_html_(self) -> str:
        """The fitted tree as an SVG drawing, collapsed below depth
        ``ciblage._draw.DEFAULT_HTML_DEPTH`` (Jupyter shows it; no graphviz)."""
        from html import escape

        from ._draw import DEFAULT_HTML_DEPTH, SvgDrawing

        if not hasattr(self, "tree_"):
            return f"<pre>{escape(repr(self))}</pre>"
        return SvgDrawing(self.drawing_nodes(), DEFAULT_HTML_DEPTH)._repr_html_()

    @needs_fit
    def segments(self) -> Any:
        """One row per leaf, as CART's ``segments``: node, rule, n (training
        cases, weighted by ``sample_weight``), share, and the class
        proportions with their lift against the root (classification) or the
        mean and its ratio to the overall mean (regression); pandas."""
        self._fitted()
        classes = getattr(self, "classes_", None)
        names = [] if classes is None else [f"{c}" for c in classes]
        return from_arrow(self.tree_.segments(names), "pandas")

    @needs_fit
    def export_graphviz(self) -> str:
        """The tree in Graphviz DOT (render with any DOT tool)."""
        return str(self._fitted().to_dot())

    @needs_fit
    def to_dot(self) -> str:
        """The tree in Graphviz DOT (the same as :meth:`export_graphviz`)."""
        return self.export_graphviz()

    @needs_fit
    def export_text(self, decimals: int = 2) -> str:
        """The tree as indented text, in the layout of
        ``sklearn.tree.export_text``: one line per branch (the parent's
        predictor and the categories of the branch), and each leaf's class
        or value."""
        self._fitted()
        digits = as_int(decimals, "decimals", 0, 100)
        classes = getattr(self, "classes_", None)
        names = [] if classes is None else [f"{c}" for c in classes]
        return str(self.tree_.to_text(names, digits))

    @needs_fit
    def rules(self) -> list[str]:
        """The rule of every leaf, as text."""
        n = self.nodes()
        leaves = n[n["split"] == ""]
        return [f"node {i}: {r}" for i, r in zip(leaves["node"], leaves["rule"], strict=True)]

    @needs_fit
    def sql_rules(self) -> list[str]:
        """The SQL WHERE condition of every node (leaves included), in node order."""
        return [str(s) for s in self.nodes()["sql"]]

    @needs_fit
    def get_depth(self) -> int:
        """Depth of the tree (the root alone: 0)."""
        return int(self.nodes()["depth"].max())

    @needs_fit
    def get_n_leaves(self) -> int:
        """Number of leaves."""
        return int((self.nodes()["split"] == "").sum())

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        if "tree_" in state:
            state["tree_"] = state["tree_"].to_json()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        name = type(self).__name__
        if not isinstance(state, dict):
            raise ModelFileError(f"{name} pickle: expected a dict of attributes, got {type(state).__name__}")
        state = dict(state)
        if "tree_" in state:
            if not isinstance(state["tree_"], str):
                raise ModelFileError(f"{name} pickle: tree_: expected the model's JSON text")
            tree = _native.ChaidModel.from_json(est.model_text(state["tree_"], f"{name} pickle: tree_"))
            state["tree_"] = tree
            # Derived from the tree, never trusted from the pickle.
            state["_predictors"] = tree.predictors()
            names = [p[0] for p in state["_predictors"]]
            seen = state.get("feature_names_in_", [])
            if not isinstance(seen, (list, tuple, np.ndarray)) or np.ndim(seen) != 1:
                raise ModelFileError(
                    f"{name} pickle: feature_names_in_: expected a list of names, got {type(seen).__name__}"
                )
            if [str(c) for c in seen] != names:
                raise ModelFileError(f"{name} pickle: feature_names_in_: differs from the model's predictors {names}")
            state["n_features_in_"] = len(names)
            classes = state.get("classes_")
            if classes is not None and (not isinstance(classes, (list, tuple, np.ndarray)) or np.ndim(classes) != 1):
                raise ModelFileError(
                    f"{name} pickle: classes_: expected an array of labels, got {type(classes).__name__}"
                )
            if tree.classes and (classes is None or [str(c) for c in classes] != list(tree.classes)):
                raise ModelFileError(f"{name} pickle: classes_: differs from the model's classes {tree.classes}")
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


class ChaidClassifier(ClassifierScore, _ChaidBase):
    """CHAID classification tree (SPSS algorithm: Kass merging, Bonferroni,
    floating missing, Exhaustive CHAID), scikit-learn style.

    Columns of a DataFrame are typed automatically: unordered categoricals,
    strings and booleans are nominal, ordered categoricals ordinal, numbers
    continuous (binned into ``bins`` quantile bins once at the root);
    ``column_types={"col": "ordinal"}`` overrides. ``preset="chaid_package"``
    reproduces the ``chaid`` package (no Bonferroni, alpha_merge only, its
    minimum-child rule and weighted χ²).

    ``alpha_merge``, ``alpha_split``, ``max_depth``, ``min_parent`` and
    ``min_child`` left at ``None`` take the preset's defaults: SPSS's
    0.05 / 0.05 / 3 / 100 / 50, or the package's 0.05 / none / 2 / 30 / 30.
    ``statistic="likelihood_ratio"`` uses G² instead of Pearson's χ².
    ``split_merged=0.05`` splits merged groups of three or more categories
    back when their best binary split is that significant (SPSS).

    Example:
        >>> import pandas as pd
        >>> import ciblage
        >>> X = pd.DataFrame({"channel": ["web", "web", "shop", "shop"] * 50})
        >>> model = ciblage.ChaidClassifier().fit(X, [0, 0, 1, 1] * 50)
        >>> model.predict(pd.DataFrame({"channel": ["web", "shop"]})).tolist()
        [0, 1]
    """

    _estimator_type = "classifier"

    def fit(
        self, X: Any, y: Any, sample_weight: Any = None, case_weight: Any = None, *, progress: Any = False
    ) -> ChaidClassifier:
        """Grows the tree. ``sample_weight``: frequency weights (a row
        counts as that many cases). ``case_weight``: SPSS case weights, one
        positive weight per row, entering the χ² tests through expected
        counts fitted by iterative proportional fitting; node counts stay
        frequency counts. ``progress``: ``True`` for a progress bar, or a
        callable receiving ``(done, total)`` (rows placed in leaves)."""
        params = self._checked_params()
        cols = cin.columns(self, X, fitting=True)
        classes, y_codes = est.class_target(y, self, len(cols[0]))
        cw = est.sample_weights(case_weight, len(y_codes), "case_weight")
        self._fit(cols, params, y_codes, [str(c) for c in classes.tolist()], None, sample_weight, cw, progress)
        self.classes_ = classes
        self.n_classes_ = len(classes)
        return self

    @needs_fit
    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities of every row: the class shares of its leaf."""
        proba = np.asarray(self._fitted().node_proba())
        return proba[self.apply(X)]

    @needs_fit
    def predict_log_proba(self, X: Any) -> np.ndarray:
        """Natural logarithm of :meth:`predict_proba` (−inf for zero)."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    @needs_fit
    def predict(self, X: Any) -> np.ndarray:
        """The most likely class of every row."""
        classes = np.asarray(self._fitted().node_class())
        return self.classes_[classes[self.apply(X)]]

    @needs_fit
    def gains(self, target: Any) -> pandas.DataFrame:
        """Gains table for the class ``target``: leaves by decreasing
        response rate with n, share, responses, response_rate, gain, index
        (lift × 100) and their cumulative values (pandas)."""
        self._fitted()
        if np.ndim(target) != 0:
            raise InvalidParameterError(f"invalid parameter target: expected one class label, got {target!r}")
        matches = np.flatnonzero(self.classes_ == target)
        if len(matches) == 0:
            raise InvalidParameterError(f"invalid parameter target: {target!r} is not a class ({list(self.classes_)})")
        return from_arrow(self.tree_.gains(int(matches[0])), "pandas")


class ChaidRegressor(RegressorScore, _ChaidBase):
    """CHAID regression tree: a continuous target (e.g. monetary value),
    categories merged and predictors chosen by one-way ANOVA F tests with
    Bonferroni adjustment; leaves predict the weighted mean.

    Example:
        >>> import pandas as pd
        >>> import ciblage
        >>> X = pd.DataFrame({"channel": ["web", "web", "shop", "shop"] * 50})
        >>> model = ciblage.ChaidRegressor().fit(X, [1.0, 1.0, 5.0, 5.0] * 50)
        >>> model.predict(pd.DataFrame({"channel": ["web", "shop"]})).tolist()
        [1.0, 5.0]
    """

    _estimator_type = "regressor"
    # SPSS's defaults (min_parent=100, min_child=50) are made for marketing
    # files of thousands of rows: on scikit-learn's 200-row regression check
    # they allow two leaves and an R² of 0.46, below the check's 0.5.
    _poor_score = True

    # A regression tree has no class probabilities: the attribute is absent
    # for scikit-learn (hasattr is False) and its use an InvalidParameterError.
    predict_proba = unavailable("predict_proba", "a regression tree has no class probabilities")
    predict_log_proba = unavailable("predict_log_proba", "a regression tree has no class probabilities")

    def fit(self, X: Any, y: Any, sample_weight: Any = None, *, progress: Any = False) -> ChaidRegressor:
        """Grows the tree on the columns of ``X`` and the values ``y``
        (``sample_weight``: frequency weights; ``progress`` as in
        :meth:`ChaidClassifier.fit`)."""
        params = self._checked_params()
        cols = cin.columns(self, X, fitting=True)
        yy = est.value_target(y, self, len(cols[0]))
        return self._fit(cols, params, np.zeros(len(yy), dtype=np.uint32), [], yy, sample_weight, None, progress)

    @needs_fit
    def predict(self, X: Any) -> np.ndarray:
        """The weighted mean target of each row's leaf."""
        return np.asarray(self._fitted().node_mean())[self.apply(X)]

    def gains(self, target: Any) -> pandas.DataFrame:
        """Gains tables are for classification trees: always an InvalidParameterError."""
        raise InvalidParameterError("invalid parameter target: gains tables are for classification trees")
