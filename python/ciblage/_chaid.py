"""CHAID classification trees with scikit-learn conventions."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _estimator as est
from . import _native
from ._estimator import small_int_codes
from ._params import as_bool, as_choice, as_float, as_int, as_opt_int
from ._tables import from_arrow
from .exceptions import InvalidInputError, InvalidParameterError, ModelFileError

__all__ = ["ChaidClassifier", "ChaidRegressor"]

_PARAMS = ("alpha_merge", "alpha_split", "max_depth", "min_parent", "min_child", "exhaustive",
           "bonferroni", "bins", "preset", "column_types", "statistic", "split_merged")


def _frame(X: Any) -> Any:
    """X as a pandas DataFrame (pandas and numpy kept, polars/pyarrow converted)."""
    import pandas as pd

    if isinstance(X, pd.DataFrame):
        return X
    mod = type(X).__module__.split(".", 1)[0]
    if mod == "polars" and type(X).__name__ in ("DataFrame", "LazyFrame"):
        return (X.collect() if type(X).__name__ == "LazyFrame" else X).to_pandas()
    if mod == "pyarrow" and type(X).__name__ in ("Table", "RecordBatch"):
        return X.to_pandas()
    if mod in ("polars", "pyarrow"):
        raise InvalidInputError(f"X: expected a 2-D array or a table, got a {mod} {type(X).__name__} (one column)")
    if X is None:
        raise InvalidInputError("X: expected a 2-D array or a table, got None")
    try:
        arr = np.asarray(X)
    except (TypeError, ValueError) as e:
        raise InvalidInputError(f"X: cannot be read as an array: {e}") from e
    if arr.ndim != 2:
        raise InvalidInputError(f"X: expected a 2-D array or a table, got {arr.ndim} dimension(s)")
    return pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])


def _kind(series: Any, override: str | None) -> str:
    import pandas as pd

    if override is not None:
        return as_choice(override, f"column_types[{str(series.name)!r}]", ("nominal", "ordinal", "continuous"))
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return "ordinal" if dtype.ordered else "nominal"
    if est.is_time_column(series):
        raise est.time_column_error(series.name, 'set its kind in column_types (e.g. "ordinal")')
    if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
        return "nominal"
    return "continuous"


def _labels_and_codes(series: Any, kind: str) -> tuple[list[str], np.ndarray]:
    """Category labels and codes (int64 with −1 = missing, or uint32 for
    small-range integers without missing values): a categorical's own
    categories, else the sorted distinct values."""
    import pandas as pd

    if isinstance(series.dtype, pd.CategoricalDtype):
        cats = series.cat.categories
        return [_label(c) for c in cats], series.cat.codes.to_numpy(dtype=np.int64)
    if not series.hasnans:
        fast = small_int_codes(series.to_numpy())
        if fast is not None:
            return [_label(u) for u in fast[0].tolist()], fast[1]
    codes, uniques = pd.factorize(series, sort=True, use_na_sentinel=True)
    return [_label(u) for u in uniques], np.ascontiguousarray(codes, dtype=np.int64)


def _label(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{value:g}"
    return str(value)


def _opt_probability(name: str, value: Any) -> float | None:
    """``None``, or a probability in (0, 1]."""
    return None if value is None else as_float(value, name, 0.0, 1.0, low_open=True)


def _opt_count(name: str, value: Any) -> float | None:
    """``None``, or a (weighted) case count >= 0."""
    return None if value is None else as_float(value, name, 0.0)


def _column_types(value: Any, names: list[str]) -> dict[str, str]:
    """``column_types``: ``None`` or a mapping of existing column names to a kind."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidParameterError(
            f"invalid parameter column_types: expected a dict {{column: kind}} or None, got {value!r}"
        )
    unknown = [k for k in value if str(k) not in names]
    if unknown:
        raise InvalidParameterError(
            f"invalid parameter column_types: no column {unknown[0]!r} in X (columns: {names})"
        )
    return {str(k): v for k, v in value.items()}


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b) and type(a) is type(b)
    except (TypeError, ValueError):
        return False


class ChaidClassifier:
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
    """

    def __init__(self, *, alpha_merge: float | None = None, alpha_split: float | None = None,
                 max_depth: int | None = None, min_parent: float | None = None, min_child: float | None = None,
                 exhaustive: bool = False,
                 bonferroni: bool = True, bins: int = 10, preset: str = "spss",
                 column_types: dict[str, str] | None = None, statistic: str = "pearson",
                 split_merged: float | None = None) -> None:
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

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {k: getattr(self, k) for k in _PARAMS}

    def set_params(self, **params: Any) -> ChaidClassifier:
        for k, v in params.items():
            if k not in _PARAMS:
                raise InvalidParameterError(f"invalid parameter {k}: {type(self).__name__} has no such parameter")
            setattr(self, k, v)
        return self

    def __repr__(self) -> str:
        defaults = type(self)().get_params()
        changed = [f"{k}={v!r}" for k, v in self.get_params().items() if not _same(v, defaults[k])]
        return f"{type(self).__name__}({', '.join(changed)})"

    def _columns(self, X: Any, fitting: bool) -> list[Any]:
        df = _frame(X)
        # The messages of CART's matrix check.
        if fitting and df.shape[0] == 0:
            raise InvalidInputError(
                f"X: found array with 0 sample(s) (shape={df.shape}) while a minimum of 1 is required."
            )
        if df.shape[1] == 0:
            raise InvalidInputError(
                f"X: found array with 0 feature(s) (shape={df.shape}) while a minimum of 1 is required."
            )
        if len(set(map(str, df.columns))) != df.shape[1]:
            raise InvalidInputError(f"X: column names must be unique, got {list(map(str, df.columns))}")
        if fitting:
            self.feature_names_in_ = np.array([str(c) for c in df.columns], dtype=object)
            self.n_features_in_ = len(df.columns)
        elif [str(c) for c in df.columns] != list(self.feature_names_in_):
            raise InvalidInputError(
                f"X: columns {list(map(str, df.columns))} differ from those seen in fit {list(self.feature_names_in_)}"
            )
        return [df[c] for c in df.columns]

    def fit(self, X: Any, y: Any, sample_weight: Any = None, case_weight: Any = None) -> ChaidClassifier:
        """Grows the tree. ``sample_weight``: frequency weights (a row
        counts as that many cases). ``case_weight``: SPSS case weights, one
        positive weight per row, entering the χ² tests through expected
        counts fitted by iterative proportional fitting; node counts stay
        frequency counts."""
        params = self._checked_params()
        cols = self._columns(X, fitting=True)
        classes, y_codes = est.class_target(y, self, len(cols[0]))
        cw = est.sample_weights(case_weight, len(y_codes), "case_weight")
        self._fit(cols, params, y_codes, [str(c) for c in classes.tolist()], None, sample_weight, cw)
        self.classes_ = classes
        return self

    def _checked_params(self) -> dict[str, Any]:
        """Every parameter converted and checked (numpy scalars accepted,
        nothing truncated), as the native fit takes them."""
        return dict(
            alpha_merge=_opt_probability("alpha_merge", self.alpha_merge),
            alpha_split=_opt_probability("alpha_split", self.alpha_split),
            max_depth=as_opt_int(self.max_depth, "max_depth", 0, 2**31 - 1),
            min_parent=_opt_count("min_parent", self.min_parent),
            min_child=_opt_count("min_child", self.min_child),
            exhaustive=as_bool(self.exhaustive, "exhaustive"),
            bonferroni=as_bool(self.bonferroni, "bonferroni"),
            # More bins than an ordinal predictor may have categories
            # could only be refused later, after binning.
            bins=as_int(self.bins, "bins", 2, 5_000),
            preset=as_choice(self.preset, "preset", ("spss", "chaid_package")),
            statistic=as_choice(self.statistic, "statistic", ("pearson", "likelihood_ratio")),
            split_merged=_opt_probability("split_merged", self.split_merged),
        )

    def _fit(self, cols: list[Any], params: dict[str, Any], y_codes: np.ndarray, class_names: list[str],
             y_values: Any, sample_weight: Any, case_weight: Any = None) -> Any:
        n = len(y_codes)
        w = est.sample_weights(sample_weight, n)
        spec = []
        types = _column_types(self.column_types, [str(c.name) for c in cols])
        for c in cols:
            kind = _kind(c, types.get(str(c.name)))
            if kind == "continuous":
                values = est.numeric_column(c, " for a continuous predictor")
                spec.append((str(c.name), kind, None, [], values))
            elif isinstance(c.dtype, np.dtype) and (c.dtype.kind == "i" or (c.dtype.kind == "u" and c.dtype.itemsize < 8)):
                # Integers: each distinct value a category, coded natively.
                spec.append((str(c.name), kind, np.ascontiguousarray(c.to_numpy(), dtype=np.int64), None, None))
            else:
                try:
                    labels, codes = _labels_and_codes(c, kind)
                except TypeError as e:
                    raise est.category_error(c.name, e) from e
                spec.append((str(c.name), kind, np.ascontiguousarray(codes), labels, None))
        self.tree_ = _native.chaid_fit(
            spec, np.ascontiguousarray(y_codes, dtype=np.uint32), class_names, y_values=y_values,
            sample_weight=w, case_weight=case_weight, **params,
        )
        self._predictors = self.tree_.predictors()
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "tree_"):
            raise est.not_fitted(self)

    def apply(self, X: Any) -> np.ndarray:
        """Leaf id of every row. Levels unseen in training go to the largest
        child (nominal) or the nearest group (ordinal codes absent from a node)."""
        self._check_fitted()
        cols = self._columns(X, fitting=False)
        import pandas as pd

        rows = len(cols[0]) if cols else 0
        if rows == 0:
            # As at fit, and as CART and scikit-learn: no rows is an error.
            raise InvalidInputError(
                f"X: found array with 0 sample(s) (shape=(0, {len(cols)})) while a minimum of 1 is required."
            )
        coded = []
        for (name, kind, labels, edges), c in zip(self._predictors, cols):
            if edges is not None:
                values = est.numeric_column(c, " for a continuous predictor")
                # NaN is a missing value; an infinity is refused, as at fit.
                infinite = np.flatnonzero(np.isinf(values))
                if infinite.size:
                    row = int(infinite[0])
                    raise InvalidInputError(f"{name}: non-finite value {values[row]} at row {row}")
                coded.append(values)
                continue
            if isinstance(c.dtype, pd.CategoricalDtype):
                c = c.astype(object)
            try:
                text = c.map(_label, na_action="ignore")
                codes = pd.Index(labels).get_indexer(text.to_numpy()).astype(np.int64)
            except TypeError as e:
                raise est.category_error(name, e) from e
            codes[(codes == -1) & c.notna().to_numpy()] = -2  # a level unseen in training
            coded.append(codes)
        return self.tree_.apply(coded)

    def predict_proba(self, X: Any) -> np.ndarray:
        self._check_fitted()
        proba = np.asarray(self.tree_.node_proba())
        return proba[self.apply(X)]

    def predict(self, X: Any) -> np.ndarray:
        self._check_fitted()
        classes = np.asarray(self.tree_.node_class())
        return self.classes_[classes[self.apply(X)]]

    def nodes(self) -> Any:
        """One row per node: id, parent, depth, n, split, statistic, df, p,
        adjusted p (and their logarithms), stop reason, rule as text and as a
        SQL WHERE condition (pandas)."""
        self._check_fitted()
        return from_arrow(self.tree_.nodes(), "pandas")

    def gains(self, target: Any) -> Any:
        """Gains table for the class ``target``: leaves by decreasing
        response rate with n, share, responses, response_rate, gain, index
        (lift × 100) and their cumulative values (pandas)."""
        self._check_fitted()
        if np.ndim(target) != 0:
            raise InvalidParameterError(f"invalid parameter target: expected one class label, got {target!r}")
        matches = np.flatnonzero(self.classes_ == target)
        if len(matches) == 0:
            raise InvalidParameterError(f"invalid parameter target: {target!r} is not a class ({list(self.classes_)})")
        table = from_arrow(self.tree_.gains(int(matches[0])), "pandas")
        leaf_rules = self.nodes().set_index("node")["rule"]
        table["rule"] = table["node"].map(leaf_rules)
        return table

    def _repr_html_(self) -> str:
        """The fitted tree as an SVG drawing (Jupyter shows it; no graphviz)."""
        from html import escape

        from ._draw import tree_svg

        if not hasattr(self, "tree_"):
            return f"<pre>{escape(repr(self))}</pre>"
        table = self.nodes()
        groups = self.tree_.groups()
        proba = None if not hasattr(self, "classes_") or self.classes_ is None else self.tree_.node_proba()
        means = self.tree_.node_mean()
        branch: dict[int, str] = {}
        for parent, g in enumerate(groups):
            if g is None:
                continue
            kids = table.loc[table["parent"] == parent, "node"].tolist()
            for kid, cats in zip(kids, g):
                branch[int(kid)] = ", ".join("<missing>" if c is None else c for c in cats)
        nodes = []
        for row in table.itertuples():
            lines = [f"node {row.node}  n = {row.n:g}"]
            if proba is not None:
                k = max(range(len(proba[row.node])), key=lambda j: proba[row.node][j])
                lines.append(f"{self.classes_[k]}: {100 * proba[row.node][k]:.1f}%")
            else:
                lines.append(f"mean = {means[row.node]:.4g}")
            if row.split:
                lines.append(f"{row.split}")
                lines.append(f"adj. p = {row.p_adjusted:.2e}")
            nodes.append({"id": int(row.node), "parent": None if row.parent != row.parent else int(row.parent),
                          "lines": lines, "edge": branch.get(int(row.node), "")})
        return tree_svg(nodes)

    def to_dot(self) -> str:
        """The tree in Graphviz DOT (render with any DOT tool)."""
        self._check_fitted()
        return self.tree_.to_dot()

    def rules(self) -> list[str]:
        """The rule of every leaf, as text."""
        n = self.nodes()
        leaves = n[n["split"] == ""]
        return [f"node {i}: {r}" for i, r in zip(leaves["node"], leaves["rule"])]

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
                raise ModelFileError(f"{name} pickle: feature_names_in_: expected a list of names, got {type(seen).__name__}")
            if [str(c) for c in seen] != names:
                raise ModelFileError(f"{name} pickle: feature_names_in_: differs from the model's predictors {names}")
            state["n_features_in_"] = len(names)
            classes = state.get("classes_")
            if classes is not None and (not isinstance(classes, (list, tuple, np.ndarray)) or np.ndim(classes) != 1):
                raise ModelFileError(f"{name} pickle: classes_: expected an array of labels, got {type(classes).__name__}")
            if tree.classes and (classes is None or [str(c) for c in classes] != list(tree.classes)):
                raise ModelFileError(f"{name} pickle: classes_: differs from the model's classes {tree.classes}")
        self.__dict__.update(state)


class ChaidRegressor(ChaidClassifier):
    """CHAID regression tree: a continuous target (e.g. monetary value),
    categories merged and predictors chosen by one-way ANOVA F tests with
    Bonferroni adjustment; leaves predict the weighted mean."""

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> ChaidRegressor:  # type: ignore[override]
        params = self._checked_params()
        cols = self._columns(X, fitting=True)
        yy = est.value_target(y, self, len(cols[0]))
        return self._fit(cols, params, np.zeros(len(yy), dtype=np.uint32), [], yy, sample_weight)

    def predict(self, X: Any) -> np.ndarray:
        self._check_fitted()
        return np.asarray(self.tree_.node_mean())[self.apply(X)]

    def predict_proba(self, X: Any) -> np.ndarray:
        raise InvalidParameterError("invalid parameter predict_proba: a regression tree has no class probabilities")

    def gains(self, target: Any) -> Any:
        raise InvalidParameterError("invalid parameter target: gains tables are for classification trees")
