"""CART classification and regression trees with scikit-learn conventions."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _native
from .exceptions import InvalidInputError, InvalidParameterError

__all__ = ["CartClassifier", "CartRegressor"]

_PARAMS = ("criterion", "max_depth", "min_samples_split", "min_samples_leaf", "min_weight_fraction_leaf",
           "min_impurity_decrease", "ccp_alpha", "random_state")


def _seed(random_state: Any) -> int:
    """scikit-learn's internal tree seed for a `random_state`."""
    if isinstance(random_state, np.random.RandomState):
        rng = random_state
    elif random_state is None:
        rng = np.random.mtrand._rand
    else:
        rng = np.random.RandomState(random_state)
    return int(rng.randint(0, np.iinfo(np.int32).max))


def _matrix(X: Any) -> np.ndarray:
    try:
        arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise InvalidInputError(f"X: cannot be read as a numeric matrix ({e})") from e
    if arr.ndim != 2:
        raise InvalidInputError(f"X: expected a 2-D array, got {arr.ndim} dimension(s)")
    return np.ascontiguousarray(arr)


class _CartBase:
    def __init__(self, *, criterion: str, max_depth: int | None = None, min_samples_split: int = 2,
                 min_samples_leaf: int = 1, min_weight_fraction_leaf: float = 0.0,
                 min_impurity_decrease: float = 0.0, ccp_alpha: float = 0.0, random_state: Any = None) -> None:
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.min_weight_fraction_leaf = min_weight_fraction_leaf
        self.min_impurity_decrease = min_impurity_decrease
        self.ccp_alpha = ccp_alpha
        self.random_state = random_state

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {k: getattr(self, k) for k in _PARAMS}

    def set_params(self, **params: Any) -> Any:
        for k, v in params.items():
            if k not in _PARAMS:
                raise InvalidParameterError(f"invalid parameter {k}: {type(self).__name__} has no such parameter")
            setattr(self, k, v)
        return self

    def _fit(self, X: Any, sample_weight: Any, **target: Any) -> Any:
        x = _matrix(X)
        if not (isinstance(self.ccp_alpha, (int, float)) and self.ccp_alpha >= 0):
            raise InvalidParameterError(f"invalid parameter ccp_alpha: expected a number >= 0, got {self.ccp_alpha!r}")
        w = None if sample_weight is None else np.ascontiguousarray(sample_weight, dtype=np.float64)
        tree = _native.cart_fit(
            x, sample_weight=w, criterion=self.criterion, max_depth=self.max_depth,
            min_samples_split=int(self.min_samples_split), min_samples_leaf=int(self.min_samples_leaf),
            min_weight_fraction_leaf=float(self.min_weight_fraction_leaf),
            min_impurity_decrease=float(self.min_impurity_decrease), seed=_seed(self.random_state), **target,
        )
        self.n_features_in_ = x.shape[1]
        self._full_tree = tree
        self.tree_ = tree.pruned(float(self.ccp_alpha)) if self.ccp_alpha > 0 else tree
        return self

    def _check(self, X: Any) -> np.ndarray:
        if not hasattr(self, "tree_"):
            raise InvalidInputError(f"this {type(self).__name__} is not fitted yet: call fit first")
        x = _matrix(X)
        if x.shape[1] != self.n_features_in_:
            raise InvalidInputError(f"X: has {x.shape[1]} features, the tree was fitted on {self.n_features_in_}")
        return x

    def apply(self, X: Any) -> np.ndarray:
        """Leaf id of every row."""
        x = self._check(X)
        return self.tree_.apply(x)

    @property
    def feature_importances_(self) -> np.ndarray:
        return np.asarray(self.tree_.feature_importances())

    def get_depth(self) -> int:
        return self.tree_.max_depth

    def get_n_leaves(self) -> int:
        return self.tree_.n_leaves

    def _feature_names(self, feature_names: Any) -> list[str]:
        if feature_names is not None:
            return [str(f) for f in feature_names]
        return [f"feature_{i}" for i in range(self.n_features_in_)]

    def export_text(self, feature_names: Any = None, decimals: int = 2) -> str:
        """The tree as indented text, as ``sklearn.tree.export_text``."""
        if not hasattr(self, "tree_"):
            raise InvalidInputError(f"this {type(self).__name__} is not fitted yet: call fit first")
        classes = [str(c) for c in getattr(self, "classes_", [])]
        return self.tree_.to_text(self._feature_names(feature_names), classes, int(decimals))

    def export_graphviz(self, feature_names: Any = None) -> str:
        """The tree in Graphviz DOT (render with any DOT tool)."""
        if not hasattr(self, "tree_"):
            raise InvalidInputError(f"this {type(self).__name__} is not fitted yet: call fit first")
        classes = [str(c) for c in getattr(self, "classes_", [])]
        return self.tree_.to_dot(self._feature_names(feature_names), classes)

    def sql_rules(self, feature_names: Any = None) -> list[str]:
        """The SQL WHERE condition of every node (leaves included)."""
        if not hasattr(self, "tree_"):
            raise InvalidInputError(f"this {type(self).__name__} is not fitted yet: call fit first")
        return self.tree_.sql_rules(self._feature_names(feature_names))

    def decision_path(self, X: Any) -> Any:
        """Indicator of the nodes each row passes through: a
        ``scipy.sparse.csr_matrix`` (rows × nodes) when scipy is installed,
        else the ``(indptr, indices)`` arrays."""
        x = self._check(X)
        indptr, indices = self.tree_.decision_path(x)
        try:
            from scipy.sparse import csr_matrix
        except ImportError:
            return indptr, indices
        data = np.ones(len(indices), dtype=np.int64)
        return csr_matrix((data, indices, indptr), shape=(x.shape[0], self.tree_.node_count))

    def segments(self, feature_names: Any = None) -> Any:
        """One row per leaf: node, rule, n (training samples), share, and the
        class proportions with their lift against the root (classification)
        or the mean and its ratio to the overall mean (regression); pandas."""
        import pandas as pd

        if not hasattr(self, "tree_"):
            raise InvalidInputError(f"this {type(self).__name__} is not fitted yet: call fit first")
        t = self.tree_
        left = np.asarray(t.children_left)
        leaves = np.flatnonzero(left == -1)
        value = t.value()
        n = np.asarray(t.n_node_samples)
        rules = t.rules(self._feature_names(feature_names))
        table = pd.DataFrame({"node": leaves, "rule": [rules[i] for i in leaves], "n": n[leaves],
                              "share": n[leaves] / n[0]})
        if hasattr(self, "classes_"):
            for k, c in enumerate(self.classes_):
                table[f"p_{c}"] = value[leaves, k]
                table[f"lift_{c}"] = value[leaves, k] / value[0, k] if value[0, k] > 0 else np.nan
        else:
            table["mean"] = value[leaves, 0]
            table["ratio_to_mean"] = value[leaves, 0] / value[0, 0] if value[0, 0] != 0 else np.nan
        return table

    def cost_complexity_pruning_path(self, X: Any, y: Any, sample_weight: Any = None) -> dict[str, np.ndarray]:
        """Effective alphas and total leaf impurities of minimal cost-complexity pruning."""
        full = type(self)(**{**self.get_params(), "ccp_alpha": 0.0}).fit(X, y, sample_weight)
        alphas, impurities = full.tree_.cost_complexity_pruning_path()
        return {"ccp_alphas": np.asarray(alphas), "impurities": np.asarray(impurities)}

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        for k in ("tree_", "_full_tree"):
            if k in state:
                state[k] = state[k].to_json()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for k in ("tree_", "_full_tree"):
            if k in state:
                state[k] = _native.CartTree.from_json(state[k])
        self.__dict__.update(state)


class CartClassifier(_CartBase):
    """CART classification tree reproducing scikit-learn's
    ``DecisionTreeClassifier`` (same thresholds, impurities, node order and,
    through ``random_state``, the same feature order at ties)."""

    def __init__(self, *, criterion: str = "gini", max_depth: int | None = None, min_samples_split: int = 2,
                 min_samples_leaf: int = 1, min_weight_fraction_leaf: float = 0.0,
                 min_impurity_decrease: float = 0.0, ccp_alpha: float = 0.0, random_state: Any = None) -> None:
        super().__init__(criterion=criterion, max_depth=max_depth, min_samples_split=min_samples_split,
                         min_samples_leaf=min_samples_leaf, min_weight_fraction_leaf=min_weight_fraction_leaf,
                         min_impurity_decrease=min_impurity_decrease, ccp_alpha=ccp_alpha,
                         random_state=random_state)

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> CartClassifier:
        yy = np.asarray(y)
        if yy.ndim != 1 or len(yy) != len(np.asarray(X)):
            raise InvalidInputError(f"y: expected one label per row of X, got shape {yy.shape}")
        self.classes_, codes = np.unique(yy, return_inverse=True)
        self.n_classes_ = len(self.classes_)
        return self._fit(X, sample_weight, y_codes=np.ascontiguousarray(codes, dtype=np.uint32),
                         n_classes=self.n_classes_)

    def predict_proba(self, X: Any) -> np.ndarray:
        leaves = self.apply(X)
        return self.tree_.value()[leaves]

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class CartRegressor(_CartBase):
    """CART regression tree reproducing scikit-learn's ``DecisionTreeRegressor``."""

    def __init__(self, *, criterion: str = "squared_error", max_depth: int | None = None,
                 min_samples_split: int = 2, min_samples_leaf: int = 1, min_weight_fraction_leaf: float = 0.0,
                 min_impurity_decrease: float = 0.0, ccp_alpha: float = 0.0, random_state: Any = None) -> None:
        super().__init__(criterion=criterion, max_depth=max_depth, min_samples_split=min_samples_split,
                         min_samples_leaf=min_samples_leaf, min_weight_fraction_leaf=min_weight_fraction_leaf,
                         min_impurity_decrease=min_impurity_decrease, ccp_alpha=ccp_alpha,
                         random_state=random_state)

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> CartRegressor:
        yy = np.ascontiguousarray(y, dtype=np.float64)
        if yy.ndim != 1 or len(yy) != len(np.asarray(X)):
            raise InvalidInputError(f"y: expected one value per row of X, got shape {yy.shape}")
        return self._fit(X, sample_weight, y_values=yy)

    def predict(self, X: Any) -> np.ndarray:
        leaves = self.apply(X)
        return self.tree_.value()[leaves, 0]
