"""Extremely randomized CART trees: scikit-learn's ``ExtraTreeClassifier``
and ``ExtraTreeRegressor``, as CART estimators with the random splitter."""

from __future__ import annotations

from typing import Any

from . import _cart_params as cp
from ._cart import CartClassifier, CartRegressor

__all__ = ["ExtraCartClassifier", "ExtraCartRegressor"]


class ExtraCartClassifier(CartClassifier):
    """An extremely randomized classification tree, scikit-learn's
    ``ExtraTreeClassifier``: ``CartClassifier`` with its defaults,
    ``splitter="random"`` (at each node, one threshold drawn uniformly
    between the node's smallest and largest value of each drawn feature,
    the best of those kept) and ``max_features="sqrt"``. The draws come from
    scikit-learn's generator seeded by ``random_state``: the same trees as
    scikit-learn's, node for node, on any number of threads.

    Example:
        >>> import ciblage
        >>> X = [[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.0]]
        >>> model = ciblage.ExtraCartClassifier(random_state=0).fit(X, [0, 0, 1, 1])
        >>> model.predict(X).tolist()
        [0, 0, 1, 1]
    """

    _params = cp.EXTRA_CLASSIFIER_PARAMS

    def __init__(
        self,
        *,
        criterion: str = "gini",
        max_depth: int | None = None,
        min_samples_split: int = 2,
        min_samples_leaf: int = 1,
        min_weight_fraction_leaf: float = 0.0,
        max_features: Any = "sqrt",
        max_leaf_nodes: int | None = None,
        min_impurity_decrease: float = 0.0,
        class_weight: Any = None,
        ccp_alpha: float = 0.0,
        random_state: Any = None,
        splitter: str = "random",
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
            class_weight=class_weight,
            ccp_alpha=ccp_alpha,
            random_state=random_state,
            splitter=splitter,
            max_bins=max_bins,
            n_threads=n_threads,
            categorical_features=categorical_features,
            monotonic_cst=monotonic_cst,
        )


class ExtraCartRegressor(CartRegressor):
    """An extremely randomized regression tree, scikit-learn's
    ``ExtraTreeRegressor``: ``CartRegressor`` with its defaults,
    ``splitter="random"`` and ``max_features=1.0`` (every feature drawn,
    one random threshold each; see :class:`ExtraCartClassifier`).

    Example:
        >>> import ciblage
        >>> X = [[0.0], [1.0], [2.0], [3.0]]
        >>> model = ciblage.ExtraCartRegressor(random_state=0).fit(X, [1.0, 1.0, 5.0, 5.0])
        >>> model.predict(X).tolist()
        [1.0, 1.0, 5.0, 5.0]
    """

    _params = cp.EXTRA_REGRESSOR_PARAMS

    def __init__(
        self,
        *,
        criterion: str = "squared_error",
        max_depth: int | None = None,
        min_samples_split: int = 2,
        min_samples_leaf: int = 1,
        min_weight_fraction_leaf: float = 0.0,
        max_features: Any = 1.0,
        max_leaf_nodes: int | None = None,
        min_impurity_decrease: float = 0.0,
        ccp_alpha: float = 0.0,
        random_state: Any = None,
        splitter: str = "random",
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
