"""The fitted state of CART estimators: checks of the attributes a pickled
estimator brings back, and the container of the pruning path."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._cart_params import max_features
from .exceptions import InvalidParameterError, ModelFileError


def check_fitted_state(name: str, state: dict[str, Any]) -> None:
    """The attributes of a fitted CART estimator agree with its tree."""
    tree = state["tree_"]
    d = len(tree.feature_importances())

    def bad(field: str, reason: str) -> ModelFileError:
        return ModelFileError(f"{name} pickle: {field}: {reason}")

    # scikit-learn's n_outputs_ (one in pickles older than it).
    k = int(tree.n_outputs)
    if state.setdefault("n_outputs_", 1) != k:
        raise bad("n_outputs_", f"{state['n_outputs_']!r} where the tree has {k} output(s)")
    if state.get("n_features_in_") != d:
        raise bad("n_features_in_", f"{state.get('n_features_in_')!r} where the tree has {d} features")
    if "max_features_" not in state:
        # Pickles older than the attribute: as fit resolves max_features.
        try:
            state["max_features_"] = max_features(state.get("max_features"), d) or d
        except InvalidParameterError as e:
            raise bad("max_features", str(e)) from e
    full = state.get("_full_tree")
    if full is not None and len(full.feature_importances()) != d:
        raise bad("_full_tree", "another number of features than tree_")
    names = state.get("feature_names_in_")
    if names is not None:
        if not isinstance(names, (list, tuple, np.ndarray)) or np.ndim(names) != 1:
            raise bad("feature_names_in_", f"expected a list of {d} names, got {type(names).__name__}")
        if len(names) != d:
            raise bad("feature_names_in_", f"{len(names)} names for {d} features")
        state["feature_names_in_"] = np.array([str(v) for v in names], dtype=object)
    cats = state.get("categories_")
    if cats is not None:
        if not isinstance(cats, list):
            raise bad("categories_", f"expected a list of {d} entries, got {type(cats).__name__}")
        if len(cats) != d:
            raise bad("categories_", f"{len(cats)} entries for {d} features")
        for j, c in enumerate(cats):
            if c is not None and not isinstance(c, list):
                raise bad(f"categories_[{j}]", f"expected None or a list of labels, got {type(c).__name__}")
    width = tree.value.shape[2]
    if k > 1:
        _check_output_classes(state, tree, bad)
    elif "classes_" in state:
        classes = state["classes_"]
        if not isinstance(classes, (list, tuple, np.ndarray)) or np.ndim(classes) != 1:
            raise bad("classes_", f"expected an array of {width} labels, got {type(classes).__name__}")
        if len(classes) != width:
            raise bad("classes_", f"{len(classes)} classes where the tree has {width}")
        state["classes_"] = np.asarray(classes)
        if state.get("n_classes_", width) != width:
            raise bad("n_classes_", f"{state.get('n_classes_')!r} where the tree has {width} classes")
    elif width != 1:
        raise bad("classes_", "missing for a classification tree")


def _check_output_classes(state: dict[str, Any], tree: Any, bad: Any) -> None:
    """A tree of several outputs: a classifier's ``classes_`` hold one
    array of labels per output, of the tree's numbers of classes."""
    n_classes = [int(c) for c in tree.n_classes]
    if "classes_" not in state:
        if tree.value.shape[2] != 1:
            raise bad("classes_", "missing for a classification tree")
        return
    classes = state["classes_"]
    if not isinstance(classes, (list, tuple)) or len(classes) != len(n_classes):
        raise bad("classes_", f"expected a list of {len(n_classes)} arrays of labels (one per output)")
    for o, (c, n) in enumerate(zip(classes, n_classes, strict=True)):
        if np.ndim(c) != 1 or len(c) != n:
            raise bad(f"classes_[{o}]", f"expected {n} labels")
    state["classes_"] = [np.asarray(c) for c in classes]
    if list(np.ravel(state.get("n_classes_", n_classes))) != n_classes:
        raise bad("n_classes_", f"{state.get('n_classes_')!r} where the tree has {n_classes} classes")


class Bunch(dict[str, Any]):
    """A dict whose keys are also attributes, as scikit-learn's ``Bunch``
    (``path.ccp_alphas`` and ``path["ccp_alphas"]``)."""

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    def __dir__(self) -> list[str]:
        return [*super().__dir__(), *self.keys()]


def decision_path_matrix(indptr: np.ndarray, indices: np.ndarray, shape: tuple[int, int]) -> Any:
    """The node indicator of ``decision_path`` (``CartTree.decision_path``
    and the estimators'): a ``scipy.sparse.csr_matrix`` of ones, rows ×
    nodes, as scikit-learn's ``Tree.decision_path``. scipy is an optional
    dependency: without it, an ``ImportError`` naming it."""
    try:
        from scipy.sparse import csr_matrix
    except ImportError as e:
        raise ImportError("decision_path returns a scipy.sparse.csr_matrix and needs scipy: pip install scipy") from e
    data = np.ones(len(indices), dtype=np.intp)
    return csr_matrix((data, indices.astype(np.intp), indptr.astype(np.intp)), shape=shape)
