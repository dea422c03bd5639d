"""Catalogue of bad and edge inputs for the four tree estimators
(CartClassifier, CartRegressor, ChaidClassifier, ChaidRegressor) and their
methods: each bad case raises one of ciblage's exception classes with a
message naming the argument or column; each edge case gives the result of
an independent computation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import ciblage
from ciblage.exceptions import (
    ColumnTypeError,
    InvalidInputError,
    InvalidParameterError,
    ModelFileError,
    NotFittedError,
)

CC, CR = ciblage.CartClassifier, ciblage.CartRegressor
HC, HR = ciblage.ChaidClassifier, ciblage.ChaidRegressor

_rng = np.random.RandomState(7)
N = 120
X = _rng.rand(N, 3)
Y = (X[:, 0] + 0.3 * X[:, 1] > 0.6).astype(int)
YV = 3.0 * X[:, 0] + X[:, 2]
DF = pd.DataFrame({"a": _rng.choice(list("pqrs"), N), "b": X[:, 1] * 10, "c": _rng.randint(0, 3, N)})
YD = ((DF.a.isin(["p", "q"])) ^ (DF.b > 7)).astype(int).to_numpy()

# Small CHAID trees grow on 120 rows.
SMALL = dict(min_parent=10, min_child=5)


def _cart() -> Any:
    return CC(max_depth=3, random_state=0).fit(X, Y)


def _chaid() -> Any:
    return HC(**SMALL).fit(DF, YD)


def _chaid_reg() -> Any:
    return HR(**SMALL).fit(DF, YV)


E = pytest.param
ERROR_CASES = [
    # --- CHAID parameters -------------------------------------------------
    E(
        lambda: HC(bins=2.7).fit(DF, YD),
        InvalidParameterError,
        r"invalid parameter bins: .*got 2\.7",
        id="chaid-bins-float",
    ),
    E(
        lambda: HC(bins=-3).fit(DF, YD),
        InvalidParameterError,
        r"invalid parameter bins: .*got -3",
        id="chaid-bins-negative",
    ),
    E(lambda: HC(bins=1).fit(DF, YD), InvalidParameterError, r"invalid parameter bins", id="chaid-bins-one"),
    E(lambda: HC(bins=True).fit(DF, YD), InvalidParameterError, r"invalid parameter bins", id="chaid-bins-bool"),
    E(lambda: HC(bins=10**30).fit(DF, YD), InvalidParameterError, r"invalid parameter bins", id="chaid-bins-huge"),
    E(
        lambda: HC(max_depth=2.9).fit(DF, YD),
        InvalidParameterError,
        r"invalid parameter max_depth: .*got 2\.9",
        id="chaid-max-depth-float",
    ),
    E(
        lambda: HC(max_depth=-1).fit(DF, YD),
        InvalidParameterError,
        r"invalid parameter max_depth",
        id="chaid-max-depth-negative",
    ),
    E(
        lambda: HC(alpha_merge=0).fit(DF, YD),
        InvalidParameterError,
        r"invalid parameter alpha_merge",
        id="chaid-alpha-merge-zero",
    ),
    E(
        lambda: HC(alpha_merge=float("nan")).fit(DF, YD),
        InvalidParameterError,
        r"invalid parameter alpha_merge",
        id="chaid-alpha-merge-nan",
    ),
    E(
        lambda: HC(alpha_split=1.5).fit(DF, YD),
        InvalidParameterError,
        r"invalid parameter alpha_split",
        id="chaid-alpha-split-above-one",
    ),
    E(
        lambda: HC(alpha_split="0.05").fit(DF, YD),
        InvalidParameterError,
        r"invalid parameter alpha_split",
        id="chaid-alpha-split-text",
    ),
    E(
        lambda: HC(split_merged=0.0).fit(DF, YD),
        InvalidParameterError,
        r"invalid parameter split_merged",
        id="chaid-split-merged-zero",
    ),
    E(
        lambda: HC(min_parent=-1).fit(DF, YD),
        InvalidParameterError,
        r"invalid parameter min_parent",
        id="chaid-min-parent-negative",
    ),
    E(
        lambda: HC(min_child=float("inf")).fit(DF, YD),
        InvalidParameterError,
        r"invalid parameter min_child",
        id="chaid-min-child-inf",
    ),
    E(
        lambda: HC(exhaustive=1).fit(DF, YD),
        InvalidParameterError,
        r"invalid parameter exhaustive",
        id="chaid-exhaustive-int",
    ),
    E(
        lambda: HC(bonferroni="no").fit(DF, YD),
        InvalidParameterError,
        r"invalid parameter bonferroni",
        id="chaid-bonferroni-text",
    ),
    E(lambda: HC(preset="sas").fit(DF, YD), InvalidParameterError, r"invalid parameter preset", id="chaid-preset"),
    E(
        lambda: HC(statistic="g2").fit(DF, YD),
        InvalidParameterError,
        r"invalid parameter statistic",
        id="chaid-statistic",
    ),
    E(
        lambda: HC(column_types={"zz": "nominal"}).fit(DF, YD),
        InvalidParameterError,
        r"column_types: no column 'zz'",
        id="chaid-column-types-unknown-column",
    ),
    E(
        lambda: HC(column_types={"a": "fuzzy"}).fit(DF, YD),
        InvalidParameterError,
        r"column_types\['a'\]",
        id="chaid-column-types-unknown-kind",
    ),
    E(
        lambda: HC(column_types=["a"]).fit(DF, YD),
        InvalidParameterError,
        r"invalid parameter column_types",
        id="chaid-column-types-not-a-dict",
    ),
    E(
        lambda: HC(column_types={"a": "continuous"}).fit(DF, YD),
        ColumnTypeError,
        r"\ba\b.*cannot be read as numbers",
        id="chaid-continuous-text-column",
    ),
    E(
        lambda: HC().set_params(colour=1),
        InvalidParameterError,
        r"invalid parameter colour",
        id="chaid-set-params-unknown",
    ),
    E(
        lambda: HR().set_params(colour=1),
        InvalidParameterError,
        r"colour: ChaidRegressor has no such",
        id="chaid-regressor-set-params-unknown",
    ),
    # --- CHAID inputs -----------------------------------------------------
    E(lambda: HC().fit(DF[[]], YD), InvalidInputError, r"X: .*0 feature", id="chaid-zero-columns"),
    E(lambda: HC().fit(DF.iloc[:0], YD[:0]), InvalidInputError, r"X: .*0 sample", id="chaid-zero-rows"),
    E(lambda: HC().fit(np.arange(5.0), YD[:5]), InvalidInputError, r"X: expected a 2-D", id="chaid-1d-x"),
    E(lambda: HC().fit(None, YD), InvalidInputError, r"X: ", id="chaid-x-none"),
    E(lambda: HC().fit(DF, YD[:7]), InvalidInputError, r"y: has 7 values for 120 rows of X", id="chaid-y-length"),
    E(
        lambda: HC().fit(DF, np.where(YD == 1, np.nan, 0.0)),
        InvalidInputError,
        r"y: non-finite value NaN at row",
        id="chaid-y-nan",
    ),
    E(
        lambda: HC().fit(DF, np.array(["u", None] * 60, dtype=object)),
        InvalidInputError,
        r"y: missing class label \(None\) at row 1",
        id="chaid-y-none",
    ),
    E(
        lambda: HC().fit(DF, YD, sample_weight=np.zeros(N)),
        InvalidParameterError,
        r"sample_weight: every weight is zero",
        id="chaid-weights-all-zero",
    ),
    E(
        lambda: HC().fit(DF, YD, sample_weight=np.ones(3)),
        InvalidInputError,
        r"sample_weight: expected a 1-D array of 120",
        id="chaid-weights-length",
    ),
    E(
        lambda: HC().fit(DF, YD, sample_weight=-np.ones(N)),
        InvalidParameterError,
        r"sample_weight: negative weight -1 at row 0",
        id="chaid-weights-negative",
    ),
    E(
        lambda: HC().fit(DF, YD, sample_weight=np.r_[np.ones(N - 1), np.inf]),
        InvalidInputError,
        r"sample_weight: non-finite value inf at row 119",
        id="chaid-weights-inf",
    ),
    E(
        lambda: HC().fit(DF, YD, case_weight=np.ones(2)),
        InvalidInputError,
        r"case_weight: expected a 1-D array",
        id="chaid-case-weight-length",
    ),
    E(
        lambda: HC().fit(DF, YD, case_weight=np.r_[0.0, np.ones(N - 1)]),
        InvalidParameterError,
        r"case_weight: must be positive",
        id="chaid-case-weight-zero",
    ),
    E(
        lambda: HR().fit(DF, np.r_[np.nan, YV[1:]]),
        InvalidInputError,
        r"y: non-finite value NaN at row 0",
        id="chaid-regressor-y-nan",
    ),
    E(lambda: HR().fit(DF, ["a"] * N), ColumnTypeError, r"y: cannot be read as numbers", id="chaid-regressor-y-text"),
    E(
        lambda: HR().fit(DF, YV, sample_weight=np.zeros(N)),
        InvalidParameterError,
        r"sample_weight: every weight is zero",
        id="chaid-regressor-weights-zero",
    ),
    E(
        lambda: HR().fit(DF, YV, sample_weight=np.ones(N + 1)),
        InvalidInputError,
        r"sample_weight: expected a 1-D array of 120",
        id="chaid-regressor-weights-length",
    ),
    # --- CHAID methods ----------------------------------------------------
    E(lambda: HC().predict(DF), NotFittedError, r"ChaidClassifier is not fitted", id="chaid-predict-unfitted"),
    E(lambda: HR().nodes(), NotFittedError, r"ChaidRegressor is not fitted", id="chaid-nodes-unfitted"),
    E(
        lambda: _chaid().predict(DF[["b", "a", "c"]]),
        InvalidInputError,
        r"X: columns .* differ from those seen in fit",
        id="chaid-predict-columns",
    ),
    E(
        lambda: _chaid().predict(DF.assign(b=["q"] * N)),
        ColumnTypeError,
        r"column 'b' cannot be read as numbers",
        id="chaid-predict-text-in-continuous",
    ),
    E(
        lambda: _chaid().gains("nope"),
        InvalidParameterError,
        r"invalid parameter target: 'nope' is not a class",
        id="chaid-gains-unknown-class",
    ),
    E(
        lambda: _chaid().gains([0, 1]),
        InvalidParameterError,
        r"invalid parameter target: expected one class label",
        id="chaid-gains-list",
    ),
    E(lambda: _chaid_reg().gains(1), InvalidParameterError, r"invalid parameter target", id="chaid-regressor-gains"),
    E(lambda: _chaid_reg().predict_proba(DF), InvalidParameterError, r"predict_proba", id="chaid-regressor-proba"),
    # --- CART parameters --------------------------------------------------
    E(
        lambda: CC(class_weight={0: -2}).fit(X, Y),
        InvalidParameterError,
        r"invalid parameter class_weight\[0\]",
        id="cart-class-weight-negative",
    ),
    E(
        lambda: CC(class_weight={0: float("nan")}).fit(X, Y),
        InvalidParameterError,
        r"invalid parameter class_weight\[0\]",
        id="cart-class-weight-nan",
    ),
    E(
        lambda: CC(class_weight={0: 0.0, 1: 0.0}).fit(X, Y),
        InvalidParameterError,
        r"class_weight: every row gets weight zero",
        id="cart-class-weight-all-zero",
    ),
    E(
        lambda: CC(class_weight="balanced_subsample").fit(X, Y),
        InvalidParameterError,
        r"invalid parameter class_weight",
        id="cart-class-weight-unknown",
    ),
    E(
        lambda: CC(random_state=-1).fit(X, Y),
        InvalidParameterError,
        r"invalid parameter random_state: .*got -1",
        id="cart-random-state-negative",
    ),
    E(
        lambda: CR(random_state=2**40).fit(X, YV),
        InvalidParameterError,
        r"invalid parameter random_state",
        id="cart-random-state-overflow",
    ),
    E(
        lambda: CC(random_state=1.5).fit(X, Y),
        InvalidParameterError,
        r"invalid parameter random_state",
        id="cart-random-state-float",
    ),
    E(
        lambda: CC(max_depth=2.5).fit(X, Y),
        InvalidParameterError,
        r"invalid parameter max_depth",
        id="cart-max-depth-float",
    ),
    E(
        lambda: CR(max_depth=0).fit(X, YV),
        InvalidParameterError,
        r"invalid parameter max_depth",
        id="cart-max-depth-zero",
    ),
    E(
        lambda: CC(min_samples_split=1).fit(X, Y),
        InvalidParameterError,
        r"invalid parameter min_samples_split",
        id="cart-min-samples-split",
    ),
    E(
        lambda: CC(min_samples_leaf=1.5).fit(X, Y),
        InvalidParameterError,
        r"invalid parameter min_samples_leaf",
        id="cart-min-samples-leaf-fraction",
    ),
    E(
        lambda: CC(min_weight_fraction_leaf="a").fit(X, Y),
        InvalidParameterError,
        r"invalid parameter min_weight_fraction_leaf",
        id="cart-min-weight-fraction-text",
    ),
    E(
        lambda: CR(min_weight_fraction_leaf=0.7).fit(X, YV),
        InvalidParameterError,
        r"invalid parameter min_weight_fraction_leaf",
        id="cart-min-weight-fraction-range",
    ),
    E(
        lambda: CC(min_impurity_decrease=-0.1).fit(X, Y),
        InvalidParameterError,
        r"invalid parameter min_impurity_decrease",
        id="cart-min-impurity-negative",
    ),
    E(
        lambda: CC(max_features="auto").fit(X, Y),
        InvalidParameterError,
        r"invalid parameter max_features",
        id="cart-max-features-auto",
    ),
    E(
        lambda: CC(max_leaf_nodes=1).fit(X, Y),
        InvalidParameterError,
        r"invalid parameter max_leaf_nodes",
        id="cart-max-leaf-nodes",
    ),
    E(
        lambda: CC(ccp_alpha=-1).fit(X, Y),
        InvalidParameterError,
        r"invalid parameter ccp_alpha",
        id="cart-ccp-alpha-negative",
    ),
    E(
        lambda: CC(ccp_alpha=True).fit(X, Y),
        InvalidParameterError,
        r"invalid parameter ccp_alpha",
        id="cart-ccp-alpha-bool",
    ),
    E(
        lambda: CC(splitter="extra").fit(X, Y),
        InvalidParameterError,
        r"invalid parameter splitter",
        id="cart-splitter",
    ),
    E(
        lambda: CC(max_bins=1000).fit(X, Y),
        InvalidParameterError,
        r"invalid parameter max_bins",
        id="cart-max-bins-huge",
    ),
    E(
        lambda: CC(n_threads=0).fit(X, Y),
        InvalidParameterError,
        r"invalid parameter n_threads",
        id="cart-n-threads-zero",
    ),
    E(
        lambda: CC(criterion="squared_error").fit(X, Y),
        InvalidParameterError,
        r"invalid parameter criterion",
        id="cart-classifier-regression-criterion",
    ),
    E(
        lambda: CR(criterion="gini").fit(X, YV),
        InvalidParameterError,
        r"invalid parameter criterion",
        id="cart-regressor-classification-criterion",
    ),
    E(
        lambda: CC(categorical_features="abc").fit(X, Y),
        InvalidParameterError,
        r"invalid parameter categorical_features",
        id="cart-categorical-features-text",
    ),
    E(
        lambda: CC(categorical_features=3).fit(X, Y),
        InvalidParameterError,
        r"invalid parameter categorical_features",
        id="cart-categorical-features-int",
    ),
    E(
        lambda: CC(categorical_features=[7]).fit(X, Y),
        InvalidParameterError,
        r"categorical_features: column 7 does not exist",
        id="cart-categorical-features-range",
    ),
    # --- CART inputs ------------------------------------------------------
    E(
        lambda: CC().fit(X, np.where(Y == 1, np.nan, 0.0)),
        InvalidInputError,
        r"y: non-finite value NaN at row",
        id="cart-y-nan",
    ),
    E(
        lambda: CC().fit(X, np.array(["u", None] * 60, dtype=object)),
        InvalidInputError,
        r"y: missing class label \(None\) at row 1",
        id="cart-y-none",
    ),
    E(lambda: CC().fit(X, Y[:5]), InvalidInputError, r"y: has 5 values for 120 rows of X", id="cart-y-length"),
    E(
        lambda: CC().fit(X, np.array([1, 1.5] * (N // 2), dtype=object)),
        InvalidInputError,
        r"y: Unknown label type: continuous",
        id="cart-y-object-fractional",
    ),
    E(
        lambda: HC().fit(DF, np.array(["a", 0.25] * (N // 2), dtype=object)),
        InvalidInputError,
        r"y: Unknown label type: continuous",
        id="chaid-y-object-fractional",
    ),
    E(
        lambda: CC().fit(X, Y, sample_weight=np.zeros(N)),
        InvalidParameterError,
        r"sample_weight: every weight is zero",
        id="cart-weights-all-zero",
    ),
    E(
        lambda: CR().fit(X, YV, sample_weight=np.ones(3)),
        InvalidInputError,
        r"sample_weight: expected a 1-D array of 120",
        id="cart-weights-length",
    ),
    E(
        lambda: CR().fit(X, YV, sample_weight=np.r_[np.nan, np.ones(N - 1)]),
        InvalidInputError,
        r"sample_weight: non-finite value NaN at row 0",
        id="cart-weights-nan",
    ),
    E(
        lambda: CC().fit(X, Y, sample_weight="heavy"),
        InvalidInputError,
        r"sample_weight: cannot be read as numbers",
        id="cart-weights-text",
    ),
    E(
        lambda: CC().fit(pd.DataFrame(X, columns=["a", "a", "b"]), Y),
        InvalidInputError,
        r"X: column names must be unique",
        id="cart-duplicate-columns",
    ),
    E(
        lambda: HC().fit(pd.DataFrame(X, columns=["a", "a", "b"]), Y),
        InvalidInputError,
        r"X: column names must be unique",
        id="chaid-duplicate-columns",
    ),
    E(lambda: CC().fit(X[:0], Y[:0]), InvalidInputError, r"X: found array with 0 sample", id="cart-empty-x"),
    E(
        lambda: CR().fit(np.c_[X[:, :2], np.r_[np.inf, X[1:, 2]]], YV),
        InvalidInputError,
        r"X: non-finite value inf at row 0",
        id="cart-x-inf",
    ),
    # --- CART methods -----------------------------------------------------
    E(
        lambda: _cart().export_text(feature_names=["a", "b"]),
        InvalidParameterError,
        r"feature_names: 2 names for 3 features",
        id="cart-export-text-names",
    ),
    E(
        lambda: _cart().export_text(feature_names="abc"),
        InvalidParameterError,
        r"invalid parameter feature_names",
        id="cart-export-text-names-string",
    ),
    E(
        lambda: _cart().export_text(decimals=-1),
        InvalidParameterError,
        r"invalid parameter decimals",
        id="cart-export-text-decimals",
    ),
    E(
        lambda: _cart().export_graphviz(feature_names=["a"]),
        InvalidParameterError,
        r"feature_names: 1 names for 3 features",
        id="cart-graphviz-names",
    ),
    E(
        lambda: _cart().sql_rules(feature_names=["a", "b", "c", "d"]),
        InvalidParameterError,
        r"feature_names: 4 names for 3 features",
        id="cart-sql-names",
    ),
    E(
        lambda: _cart().segments(feature_names=["a"]),
        InvalidParameterError,
        r"feature_names: 1 names for 3 features",
        id="cart-segments-names",
    ),
    E(
        lambda: _cart().tree_.rules(["a"]),
        InvalidParameterError,
        r"feature_names: 1 names for 3 features",
        id="cart-native-rules-names",
    ),
    E(
        lambda: _cart().predict(X[:, :2]),
        InvalidInputError,
        r"X has 2 features, but CartClassifier is expecting 3",
        id="cart-predict-columns",
    ),
    E(lambda: _cart().score(X, Y[:3]), InvalidInputError, r"y: expected 120 values", id="cart-score-y-length"),
    E(
        lambda: CR().fit(X, YV).score(X, ["a"] * N),
        InvalidInputError,
        r"y: cannot be read as numbers",
        id="cart-regressor-score-text",
    ),
    E(
        lambda: _cart().cost_complexity_cv(X, Y, cv=2.5),
        InvalidParameterError,
        r"invalid parameter cv",
        id="cart-cv-float",
    ),
    E(
        lambda: _cart().cost_complexity_cv(X, Y, cv=500),
        InvalidParameterError,
        r"invalid parameter cv: 500 folds",
        id="cart-cv-too-many",
    ),
    E(
        lambda: _cart().cost_complexity_cv(X, Y, random_state=-3),
        InvalidParameterError,
        r"invalid parameter random_state",
        id="cart-cv-random-state",
    ),
    E(
        lambda: _cart().cost_complexity_cv(X, Y[:4]),
        InvalidInputError,
        r"y: expected 120 values",
        id="cart-cv-y-length",
    ),
    E(lambda: CC().apply(X), NotFittedError, r"CartClassifier is not fitted", id="cart-apply-unfitted"),
    E(
        lambda: _cart().cost_complexity_cv(X, Y, cv=3, sample_weight=np.r_[1.0, np.zeros(N - 1)]),
        InvalidParameterError,
        r"sample_weight: the rows outside fold \d all weigh zero",
        id="cart-cv-fold-without-weight",
    ),
    # --- Values out of the range of the computation -----------------------
    # Features are read as float32: ±1e308 became ±inf there (the exact
    # splitter grew without end).
    E(
        lambda: CC().fit(np.c_[X[:, :2], np.r_[1e308, X[1:, 2]]], Y),
        InvalidInputError,
        r"X column 2: value 1e308 at row 0 is out of range: .*32-bit",
        id="cart-x-beyond-float32",
    ),
    E(
        lambda: CR(splitter="hist").fit(np.c_[np.r_[X[:5, 0], -1e39, X[6:, 0]], X[:, 1:]], YV),
        InvalidInputError,
        r"X column 0: value -1e39 at row 5 is out of range",
        id="cart-hist-x-beyond-float32",
    ),
    E(
        lambda: CC().fit(pd.DataFrame({"a": DF.a, "b": np.r_[DF.b[:-1], 4e38]}), YD),
        InvalidInputError,
        r"X column 1: value 4e38 at row 119",
        id="cart-dataframe-x-beyond-float32",
    ),
    # (1e200)² overflows: node values were inf and impurities NaN.
    E(
        lambda: CR().fit(X, np.r_[1e200, YV[1:]]),
        InvalidInputError,
        r"y: the weighted sum of squares of y .*overflows",
        id="cart-regressor-y-squares-overflow",
    ),
    E(
        lambda: CR(criterion="absolute_error").fit(X, np.r_[YV[:-1], -1e160]),
        InvalidInputError,
        r"y: the weighted sum of squares",
        id="cart-mae-y-squares-overflow",
    ),
    E(
        lambda: HR().fit(DF, np.r_[1e200, YV[1:]]),
        InvalidInputError,
        r"y: the weighted sum of squares of y",
        id="chaid-regressor-y-squares-overflow",
    ),
    # 120 weights of 1e306 sum to 1.2e308 (in range); times y² (up to 16) they overflow.
    E(
        lambda: CR().fit(X, YV, sample_weight=np.full(N, 1e306)),
        InvalidInputError,
        r"y: the weighted sum of squares",
        id="cart-regressor-weighted-squares-overflow",
    ),
    E(
        lambda: CC().fit(X, Y, sample_weight=np.full(N, 1e307)),
        InvalidInputError,
        r"sample_weight: the sum of the weights overflows",
        id="cart-weights-sum-overflow",
    ),
    E(
        lambda: HC().fit(DF, YD, sample_weight=np.full(N, 1e307)),
        InvalidInputError,
        r"sample_weight: the sum of the weights overflows",
        id="chaid-weights-sum-overflow",
    ),
    E(
        lambda: HR().fit(DF, YV, sample_weight=np.full(N, 1e307)),
        InvalidInputError,
        r"sample_weight: the sum of the weights overflows",
        id="chaid-regressor-weights-sum-overflow",
    ),
    E(
        lambda: CC(class_weight={0: 1e308, 1: 1e308}).fit(X, Y),
        InvalidParameterError,
        r"invalid parameter class_weight: the total weight of the rows overflows",
        id="cart-class-weight-sum-overflow",
    ),
    # --- CART sizes beyond the native range (a bare OverflowError or a panic) --
    E(
        lambda: CC(max_depth=2**64).fit(X, Y),
        InvalidParameterError,
        r"invalid parameter max_depth: expected an integer >= 1 and <= 9223372036854775807",
        id="cart-max-depth-2-64",
    ),
    E(
        lambda: CR(min_samples_leaf=10**30).fit(X, YV),
        InvalidParameterError,
        r"invalid parameter min_samples_leaf",
        id="cart-min-samples-leaf-10-30",
    ),
    E(
        lambda: CC(min_samples_split=2**64).fit(X, Y),
        InvalidParameterError,
        r"invalid parameter min_samples_split",
        id="cart-min-samples-split-2-64",
    ),
    E(
        lambda: CC(max_leaf_nodes=2**64).fit(X, Y),
        InvalidParameterError,
        r"invalid parameter max_leaf_nodes",
        id="cart-max-leaf-nodes-2-64",
    ),
    E(
        lambda: CC(n_threads=2**64).fit(X, Y),
        InvalidParameterError,
        r"invalid parameter n_threads",
        id="cart-n-threads-2-64",
    ),
    E(
        lambda: CC(categorical_features=np.array(0)).fit(X, Y),
        InvalidParameterError,
        r"invalid parameter categorical_features",
        id="cart-categorical-features-0d-array",
    ),
    E(
        lambda: CC(splitter="hist").fit(
            pd.DataFrame({"a": pd.Categorical(np.arange(N * 3) % 300)}), np.arange(N * 3) % 2
        ),
        InvalidParameterError,
        r'max_bins: feature 0 has 300 categories, more than max_bins \(255\): use splitter="best"',
        id="cart-hist-300-categories",
    ),
    # --- CHAID predictors too large to merge (minutes and gigabytes) --------
    E(
        lambda: HC().fit(pd.DataFrame({"id": [f"c{i}" for i in range(1001)]}), np.arange(1001) % 2),
        InvalidInputError,
        r'X column "id": 1001 categories, more than the 1000 allowed for nominal predictors',
        id="chaid-nominal-1001-categories",
    ),
    E(
        lambda: HR(column_types={"v": "ordinal"}).fit(pd.DataFrame({"v": np.arange(5001)}), np.arange(5001.0)),
        InvalidInputError,
        r'X column "v": 5001 categories, more than the 5000 allowed for ordinal predictors',
        id="chaid-ordinal-5001-categories",
    ),
    E(
        lambda: HC(bins=2**31 - 1).fit(DF, YD),
        InvalidParameterError,
        r"invalid parameter bins: expected an integer from 2 to 5,000",
        id="chaid-bins-beyond-5000",
    ),
    # --- Columns a tree cannot read ----------------------------------------
    E(
        lambda: CC().fit(pa.table({"l": pa.array([[1], [2]] * (N // 2)), "b": X[:, 1]}), Y),
        ColumnTypeError,
        r"X: column 'l' holds values that are neither numbers nor category labels",
        id="cart-list-column",
    ),
    E(
        lambda: HC().fit(pa.table({"s": pa.array([{"k": 1}] * N), "b": X[:, 1]}), Y),
        ColumnTypeError,
        r"X: column 's' holds values that are neither numbers nor category labels",
        id="chaid-struct-column",
    ),
    E(
        lambda: HR().fit(pa.table({"l": pa.array([[1], [2]] * (N // 2))}), YV),
        ColumnTypeError,
        r"X: column 'l' holds values",
        id="chaid-regressor-list-column",
    ),
    E(
        lambda: HC().fit([[1.0, 2.0], [1.0]] * (N // 2), Y),
        InvalidInputError,
        r"X: cannot be read as an array",
        id="chaid-ragged-rows",
    ),
    E(
        lambda: CR().fit([[1.0, 2.0], [1.0]] * (N // 2), YV),
        InvalidInputError,
        r"X: cannot be read as an array",
        id="cart-ragged-rows",
    ),
    E(
        lambda: HC().fit(pa.chunked_array([X[:, 0]]), Y),
        InvalidInputError,
        r"X: expected a 2-D array or a table, got a pyarrow ChunkedArray",
        id="chaid-pyarrow-chunked-array",
    ),
    E(
        lambda: CC().fit(DF.assign(z=X[:, 0] + 1j), YD),
        ColumnTypeError,
        r"X: column 'z' holds complex numbers",
        id="cart-complex-column",
    ),
    E(
        lambda: HC().fit(DF.assign(z=X[:, 0] + 1j), YD),
        ColumnTypeError,
        r"X: column 'z' holds complex numbers",
        id="chaid-complex-column",
    ),
    # A complex matrix: refused as a whole, as CART and scikit-learn do.
    E(lambda: HR().fit(X + 0j, YV), InvalidInputError, r"^X: Complex data not supported", id="chaid-complex-matrix"),
    # Dates and durations: read as numbers, the unit decided the thresholds;
    # read as categories, each instant was a category of its own.
    E(
        lambda: CC().fit(DF.assign(d=pd.date_range("2020-01-01", periods=N)), YD),
        ColumnTypeError,
        r"X: column 'd' holds dates or times.*categorical_features",
        id="cart-datetime-column",
    ),
    E(
        lambda: CR().fit(DF.assign(d=pd.date_range("2020-01-01", periods=N, tz="Europe/Paris")), YV),
        ColumnTypeError,
        r"X: column 'd' holds dates or times",
        id="cart-tz-aware-column",
    ),
    E(
        lambda: CC(categorical_features=["a"]).fit(DF.assign(d=pd.to_timedelta(np.arange(N), unit="D")), YD),
        ColumnTypeError,
        r"X: column 'd' holds dates or times",
        id="cart-timedelta-column-not-listed",
    ),
    E(
        lambda: HC().fit(DF.assign(d=[pd.Timestamp("2020-01-01").date()] * N), YD),
        ColumnTypeError,
        r"X: column 'd' holds dates or times.*column_types",
        id="chaid-date-objects-column",
    ),
    E(
        lambda: HR().fit(pa.table({"d": pa.array(np.arange(N, dtype=np.int32)).cast(pa.date32())}), YV),
        ColumnTypeError,
        r"X: column 'd' holds dates or times",
        id="chaid-arrow-date32-column",
    ),
    E(
        lambda: HC().fit(DF.assign(d=pd.period_range("2020-01", periods=N, freq="M")), YD),
        ColumnTypeError,
        r"X: column 'd' holds dates or times",
        id="chaid-period-column",
    ),
    E(
        lambda: CR().fit(np.array(["2020-01-01", "2021-01-01"] * (N // 2), dtype="datetime64[D]").reshape(N, 1), YV),
        ColumnTypeError,
        r"X: cannot be read as numbers: dates or times",
        id="cart-numpy-datetime-matrix",
    ),
    # --- Targets and weights that numpy would cast ---------------------------
    E(
        lambda: CR().fit(X, YV + 1j),
        ColumnTypeError,
        r"y: cannot be read as numbers: complex",
        id="cart-regressor-y-complex",
    ),
    E(
        lambda: HR().fit(DF, YV + 2j),
        ColumnTypeError,
        r"y: cannot be read as numbers: complex",
        id="chaid-regressor-y-complex",
    ),
    E(
        lambda: CR().fit(X, np.arange(N).astype("datetime64[D]")),
        ColumnTypeError,
        r"y: cannot be read as numbers: dates",
        id="cart-regressor-y-datetime",
    ),
    E(
        lambda: CC().fit(X, Y, sample_weight="1"),
        InvalidInputError,
        r"^sample_weight: cannot be read as numbers: text",
        id="cart-weights-text-number",
    ),
    E(
        lambda: HC().fit(DF, YD, sample_weight=np.array(["1"] * N, dtype=object)),
        InvalidInputError,
        r"^sample_weight: cannot be read as numbers: text",
        id="chaid-weights-object-text",
    ),
    E(
        lambda: CR().fit(X, YV, sample_weight=np.arange(N).astype("datetime64[D]")),
        InvalidInputError,
        r"^sample_weight: cannot be read as numbers: dates",
        id="cart-weights-datetime",
    ),
    E(
        lambda: HC().fit(DF, YD, case_weight=np.ones(N) + 0j),
        InvalidInputError,
        r"^case_weight: cannot be read as numbers: complex",
        id="chaid-case-weight-complex",
    ),
    # --- Scores: weights and labels under the rules of fit ---------------------
    E(
        lambda: _cart().score(X, Y, sample_weight=np.zeros(N)),
        InvalidParameterError,
        r"sample_weight: every weight is zero",
        id="cart-score-weights-zero",
    ),
    E(
        lambda: _cart().score(X, Y, sample_weight=np.r_[-1.0, np.ones(N - 1)]),
        InvalidParameterError,
        r"sample_weight: negative weight -1 at row 0",
        id="cart-score-weights-negative",
    ),
    E(
        lambda: CR().fit(X, YV).score(X, YV, sample_weight=np.r_[np.ones(N - 1), np.nan]),
        InvalidInputError,
        r"sample_weight: non-finite value NaN at row 119",
        id="cart-regressor-score-weights-nan",
    ),
    E(
        lambda: CR().fit(X, YV).score(X, YV, sample_weight=np.full(N, 1e307)),
        InvalidInputError,
        r"sample_weight: the sum of the weights overflows",
        id="cart-regressor-score-weights-overflow",
    ),
    E(
        lambda: _cart().score(X, pd.array([True, None] * (N // 2), dtype="boolean")),
        InvalidInputError,
        r"y: missing class label \(<NA>\) at row 1",
        id="cart-score-y-missing-label",
    ),
    E(
        lambda: CR().fit(X, YV).score(X, YV + 1j),
        InvalidInputError,
        r"y: cannot be read as numbers: complex",
        id="cart-regressor-score-y-complex",
    ),
]


@pytest.mark.parametrize("call, error, message", ERROR_CASES)
def test_bad_input_raises_a_typed_error_naming_the_argument(
    call: Callable[[], Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        call()


def _same_chaid_tree(a: Any, b: Any) -> None:
    cols = ["node", "parent", "split", "n", "rule"]
    pd.testing.assert_frame_equal(a.nodes()[cols], b.nodes()[cols])


def _bins_numpy_int() -> None:
    _same_chaid_tree(HC(bins=np.int64(5), **SMALL).fit(DF, YD), HC(bins=5, **SMALL).fit(DF, YD))


def _chaid_params_numpy_scalars() -> None:
    a = HC(
        max_depth=np.int32(2),
        min_parent=np.float32(10),
        min_child=np.int64(5),
        alpha_merge=np.float64(0.05),
        exhaustive=np.bool_(True),
    ).fit(DF, YD)
    _same_chaid_tree(a, HC(max_depth=2, min_parent=10, min_child=5, alpha_merge=0.05, exhaustive=True).fit(DF, YD))


def _chaid_unit_weights() -> None:
    _same_chaid_tree(HC(**SMALL).fit(DF, YD, sample_weight=np.ones(N)), HC(**SMALL).fit(DF, YD))


def _chaid_scalar_weight() -> None:
    # A scalar weight multiplies every case: counts double, splits unchanged.
    a, b = HC(**SMALL).fit(DF, YD, sample_weight=2.0), HC(**SMALL).fit(DF, YD)
    np.testing.assert_allclose(a.nodes()["n"], 2 * b.nodes()["n"])


def _chaid_float_labels() -> None:
    # Integral floats are class labels as the integers are.
    a, b = HC(**SMALL).fit(DF, YD.astype(float)), HC(**SMALL).fit(DF, YD)
    np.testing.assert_array_equal(a.predict(DF), b.predict(DF).astype(float))


def _chaid_predictions_against_pandas() -> None:
    # predict_proba of every row equals its leaf's class shares, computed
    # here from the rows with pandas.
    m = _chaid()
    leaves = pd.Series(m.apply(DF))
    shares = pd.crosstab(leaves, YD, normalize="index").to_numpy()
    by_leaf = {leaf: shares[k] for k, leaf in enumerate(sorted(leaves.unique()))}
    np.testing.assert_allclose(m.predict_proba(DF), np.array([by_leaf[v] for v in leaves]))


def _chaid_regressor_means() -> None:
    m = _chaid_reg()
    leaves = m.apply(DF)
    means = pd.Series(YV).groupby(leaves).mean()
    np.testing.assert_allclose(m.predict(DF), means.loc[leaves].to_numpy())


def _chaid_column_types_numpy() -> None:
    # A numpy matrix's columns are x0, x1, …: column_types may name them.
    Xi = np.c_[DF.c.to_numpy(), X[:, 1]]
    m = HC(column_types={"x0": "ordinal"}, **SMALL).fit(Xi, YD)
    kinds = {p[0]: p[1] for p in m.tree_.predictors()}
    assert kinds == {"x0": "ordinal", "x1": "continuous"}


def _cart_pyarrow_string_column() -> None:
    df = DF.copy()
    from_pandas = CC(random_state=0).fit(df, YD)
    from_arrow = CC(random_state=0).fit(pa.table(df), YD)
    np.testing.assert_array_equal(from_arrow.predict(pa.table(df)), from_pandas.predict(df))
    assert from_arrow.export_text() == from_pandas.export_text()


def _cart_numpy_scalars() -> None:
    a = CC(
        max_depth=np.int64(3),
        min_samples_leaf=np.int32(2),
        random_state=np.int64(4),
        ccp_alpha=np.float32(0.0),
        min_weight_fraction_leaf=np.float64(0.0),
    ).fit(X, Y)
    b = CC(max_depth=3, min_samples_leaf=2, random_state=4).fit(X, Y)
    assert a.export_text() == b.export_text()


def _cart_unit_weights() -> None:
    a = CR(max_depth=3, random_state=0).fit(X, YV, sample_weight=np.ones(N))
    b = CR(max_depth=3, random_state=0).fit(X, YV)
    np.testing.assert_allclose(a.predict(X), b.predict(X))


def _cart_class_weight_zero_drops_a_class() -> None:
    # A class weighted 0 counts for nothing: the root's shares are those of
    # the other classes (here all of class 1), computed by hand.
    y3 = np.r_[Y, np.full(10, 2)]
    x3 = np.r_[X, _rng.rand(10, 3)]
    m = CC(max_depth=1, class_weight={2: 0.0}, random_state=0).fit(x3, y3)
    root = m.tree_.value[0, 0]
    counts = np.bincount(y3[y3 != 2], minlength=3).astype(float)
    np.testing.assert_allclose(root, counts / counts.sum())


def _cart_export_names() -> None:
    m = _cart()
    text = m.export_text(feature_names=["alpha", "beta", "gamma"])
    used = {f for f in m.tree_.feature if f >= 0}
    for f in used:
        assert ["alpha", "beta", "gamma"][f] in text
    assert "feature_" not in text


def _cart_ccp_alpha_inf() -> None:
    # Pruned at infinity, the tree is its root; it predicts the majority class.
    m = CC(ccp_alpha=float("inf"), random_state=0).fit(X, Y)
    assert m.get_n_leaves() == 1
    assert (m.predict(X) == np.bincount(Y).argmax()).all()


def _cart_float32_max_is_a_feature_value() -> None:
    # f32::MAX ≈ 3.4028235e38 is still a float32: the tree splits between 2
    # and 3e38 and predicts the training classes (hand computation).
    x = np.array([[1.0], [2.0], [3e38], [float(np.finfo(np.float32).max)]])
    m = CC(random_state=0).fit(x, [0, 0, 1, 1])
    assert 2.0 < m.tree_.threshold[0] < 3e38
    np.testing.assert_array_equal(m.predict(x), [0, 0, 1, 1])


def _cart_huge_min_samples_leaf() -> None:
    # 2·min_samples_leaf overflowed (a panic); no leaf can hold 2**63 − 1
    # rows: the tree is its root and predicts the majority class.
    m = CC(min_samples_leaf=2**63 - 1, random_state=0).fit(X, Y)
    assert m.get_n_leaves() == 1
    assert (m.predict(X) == np.bincount(Y).argmax()).all()


def _cart_many_threads() -> None:
    # Thread counts above the CPUs run on the CPUs: the same tree, quickly.
    a = CR(n_threads=4096, random_state=0).fit(X, YV)
    b = CR(n_threads=1, random_state=0).fit(X, YV)
    assert a.export_text() == b.export_text()


def _cart_regressor_large_targets() -> None:
    # 1e150 squared is 1e300: in range, so accepted; the leaves are the
    # means of their rows (pandas groupby).
    yy = YV * 1e150
    m = CR(max_depth=3, random_state=0).fit(X, yy)
    leaves = m.apply(X)
    means = pd.Series(yy).groupby(leaves).mean()
    np.testing.assert_allclose(m.predict(X), means.loc[leaves].to_numpy(), rtol=1e-12)


def _chaid_repr() -> None:
    assert repr(HC(bins=5, exhaustive=True)) == "ChaidClassifier(exhaustive=True, bins=5)"
    assert repr(HR()) == "ChaidRegressor()"
    assert repr(HR(column_types={"a": "ordinal"})) == "ChaidRegressor(column_types={'a': 'ordinal'})"


def _chaid_dates_as_ordinal_when_asked() -> None:
    # Dates named in column_types are categories in date order; each
    # leaf's class shares equal pandas' over its rows.
    dates = pd.to_datetime(["2020-01-01", "2021-06-01", "2022-01-01", "2023-01-01"] * (N // 4))
    frame = pd.DataFrame({"d": dates, "b": X[:, 1]})
    yy = np.asarray(dates.year >= 2022, dtype=int)
    m = HC(column_types={"d": "ordinal"}, **SMALL).fit(frame, yy)
    assert m.nodes()["split"].iloc[0] == "d"
    leaves = pd.Series(m.apply(frame))
    shares = pd.crosstab(leaves, yy, normalize="index")
    np.testing.assert_allclose(m.predict_proba(frame), shares.loc[leaves].to_numpy())


def _cart_dates_as_categories_when_listed() -> None:
    # A date column named in categorical_features: one category per date;
    # the classes follow the year, so the tree separates them exactly.
    dates = pd.to_datetime(["2020-01-01", "2021-06-01", "2022-01-01", "2023-01-01"] * (N // 4))
    frame = pd.DataFrame({"d": dates, "b": X[:, 1]})
    yy = np.asarray(dates.year >= 2022, dtype=int)
    m = CC(categorical_features=["d"], random_state=0).fit(frame, yy)
    np.testing.assert_array_equal(m.predict(frame), yy)
    assert m.categories_[0] == sorted(set(dates))


def _cart_r2_of_huge_targets() -> None:
    # R² is scale-free: scoring targets near 1e300 gives the R² of the
    # same targets at scale 1 (it was NaN: the squares overflowed).
    m = CR(max_depth=2, random_state=0).fit(X, YV)
    pred = m.predict(X)
    truth = YV + 0.1 * np.sin(np.arange(N))
    expected = 1 - np.sum((truth - pred) ** 2) / np.sum((truth - truth.mean()) ** 2)
    m_big = CR(max_depth=2, random_state=0).fit(X, YV * 1e150)
    np.testing.assert_allclose(m_big.score(X, truth * 1e150), expected, rtol=1e-9)
    np.testing.assert_allclose(m.score(X, truth), expected, rtol=1e-12)


def _dot_strings_stay_closed() -> None:
    # Names ending in a backslash, holding quotes or line breaks: every
    # quoted DOT string still ends where it should. Checked by reading the
    # strings back as Graphviz does (only \" is an escape).
    import re

    frame = pd.DataFrame({"a\\": np.where(YD == 1, 'x"y\\', "q\nz"), "b": X[:, 1]})
    dots = [
        CC(max_depth=1, random_state=0).fit(frame, YD).export_graphviz(feature_names=list(frame.columns)),
        HC(**SMALL).fit(frame, YD).to_dot(),
    ]
    for dot in dots:
        for line in dot.splitlines()[2:-1]:
            # One statement per line, each label one closed string.
            assert re.fullmatch(r'[^"]*"(?:[^"\\]|\\.)*"[^"]*', line), line


RESULT_CASES = [
    E(_dot_strings_stay_closed, id="dot-strings-closed"),
    E(_cart_r2_of_huge_targets, id="cart-regressor-score-1e150"),
    E(_cart_float32_max_is_a_feature_value, id="cart-float32-max"),
    E(_cart_huge_min_samples_leaf, id="cart-min-samples-leaf-2-63"),
    E(_cart_many_threads, id="cart-n-threads-4096"),
    E(_cart_regressor_large_targets, id="cart-regressor-y-1e150"),
    E(_chaid_repr, id="chaid-repr"),
    E(_chaid_dates_as_ordinal_when_asked, id="chaid-dates-ordinal"),
    E(_cart_dates_as_categories_when_listed, id="cart-dates-categorical-features"),
    E(_bins_numpy_int, id="chaid-bins-numpy-int"),
    E(_chaid_params_numpy_scalars, id="chaid-numpy-scalars"),
    E(_chaid_unit_weights, id="chaid-unit-weights"),
    E(_chaid_scalar_weight, id="chaid-scalar-weight"),
    E(_chaid_float_labels, id="chaid-float-labels"),
    E(_chaid_predictions_against_pandas, id="chaid-proba-against-pandas"),
    E(_chaid_regressor_means, id="chaid-regressor-means"),
    E(_chaid_column_types_numpy, id="chaid-column-types-numpy"),
    E(_cart_pyarrow_string_column, id="cart-pyarrow-string-column"),
    E(_cart_numpy_scalars, id="cart-numpy-scalars"),
    E(_cart_unit_weights, id="cart-unit-weights"),
    E(_cart_class_weight_zero_drops_a_class, id="cart-class-weight-zero"),
    E(_cart_export_names, id="cart-export-names"),
    E(_cart_ccp_alpha_inf, id="cart-ccp-alpha-inf"),
]


@pytest.mark.parametrize("check", RESULT_CASES)
def test_edge_input_gives_the_independent_result(check: Callable[[], None]) -> None:
    check()


def _edited_pickle(model: Any, **changes: Any) -> Any:
    state = {**model.__getstate__(), **changes}
    out = type(model).__new__(type(model))
    out.__setstate__(state)
    return out


PICKLE_CASES = [
    E(
        lambda: _edited_pickle(_cart(), classes_="ab"),
        r"CartClassifier pickle: classes_: expected an array",
        id="cart-classes-text",
    ),
    E(
        lambda: _edited_pickle(_cart(), n_classes_=7),
        r"CartClassifier pickle: n_classes_: 7 where the tree has 2",
        id="cart-n-classes",
    ),
    E(
        lambda: _edited_pickle(_cart(), feature_names_in_=5),
        r"CartClassifier pickle: feature_names_in_: expected a list",
        id="cart-names-int",
    ),
    E(
        lambda: _edited_pickle(_cart(), categories_=5),
        r"CartClassifier pickle: categories_: expected a list",
        id="cart-categories-int",
    ),
    E(
        lambda: _edited_pickle(_cart(), categories_=[5, None, None]),
        r"CartClassifier pickle: categories_\[0\]",
        id="cart-categories-entry",
    ),
    E(
        lambda: _edited_pickle(_cart(), tree_=_cart().tree_.to_json() + "\udcff"),
        r"CartClassifier pickle: tree_: not valid UTF-8",
        id="cart-tree-surrogate",
    ),
    E(
        lambda: _edited_pickle(_chaid(), feature_names_in_=5),
        r"ChaidClassifier pickle: feature_names_in_: expected a list",
        id="chaid-names-int",
    ),
    E(
        lambda: _edited_pickle(_chaid(), classes_=3),
        r"ChaidClassifier pickle: classes_: expected an array",
        id="chaid-classes-int",
    ),
    E(
        lambda: _edited_pickle(_chaid_reg(), tree_=_chaid_reg().tree_.to_json() + "\ud800"),
        r"ChaidRegressor pickle: tree_: not valid UTF-8",
        id="chaid-tree-surrogate",
    ),
]


PICKLE_CASES += [
    E(
        lambda: ciblage._native.CartTree.from_json(b"\xff{}"),
        r"CART model: the bytes are not UTF-8",
        id="cart-json-bytes-not-utf8",
    ),
    E(
        lambda: ciblage._native.CartTree.from_json(None),
        r"CART model: expected the JSON text \(str or bytes\), got NoneType",
        id="cart-json-none",
    ),
    E(
        lambda: ciblage._native.ChaidModel.from_json(_chaid().tree_.to_json() + "\udcff"),
        r"CHAID model: the text is not valid UTF-8",
        id="chaid-json-surrogate",
    ),
    E(lambda: ciblage._native.ChaidModel.from_json(3.5), r"CHAID model: expected the JSON text", id="chaid-json-float"),
]


def test_model_json_is_read_from_utf8_bytes() -> None:
    cart, chaid = _cart(), _chaid()
    again = ciblage._native.CartTree.from_json(cart.tree_.to_json().encode())
    np.testing.assert_array_equal(again.apply(X), cart.tree_.apply(X))
    assert ciblage._native.ChaidModel.from_json(chaid.tree_.to_json().encode()).to_json() == chaid.tree_.to_json()


@pytest.mark.parametrize("call, message", PICKLE_CASES)
def test_hand_edited_pickles_raise_model_file_error(call: Callable[[], Any], message: str) -> None:
    with pytest.raises(ModelFileError, match=message):
        call()


SAME_RULES = [
    E(lambda fit: fit(DF, np.where(YD == 1, np.nan, 0.0)), id="y-nan"),
    E(lambda fit: fit(DF, np.array(["u", None] * 60, dtype=object)), id="y-none"),
    E(lambda fit: fit(DF, np.array(["u", float("nan")] * 60, dtype=object)), id="y-nan-object"),
    E(lambda fit: fit(DF, YD[:3]), id="y-length"),
    E(lambda fit: fit(DF, YD, sample_weight=np.zeros(N)), id="weights-all-zero"),
    E(lambda fit: fit(DF, YD, sample_weight=np.r_[-0.5, np.ones(N - 1)]), id="weights-negative"),
    E(lambda fit: fit(DF, YD, sample_weight=np.r_[np.ones(N - 1), np.nan]), id="weights-nan"),
    E(lambda fit: fit(DF, YD, sample_weight=np.ones(N - 1)), id="weights-length"),
    E(lambda fit: fit(DF.iloc[:0], YD[:0]), id="zero-rows"),
    E(lambda fit: fit(DF[[]], YD), id="zero-columns"),
]


@pytest.mark.parametrize("call", SAME_RULES)
def test_cart_and_chaid_refuse_the_same_inputs_with_the_same_message(call: Callable[..., Any]) -> None:
    errors = []
    for make in (lambda: CC(random_state=0), lambda: HC(**SMALL)):
        with pytest.raises((InvalidInputError, InvalidParameterError)) as info:
            call(make().fit)
        errors.append((type(info.value), str(info.value)))
    assert errors[0] == errors[1]
    assert any(word in errors[0][1] for word in ("X:", "y:", "sample_weight:"))


def test_polars_lazy_frames_are_read_by_both_families() -> None:
    import polars as pl

    lazy = pl.from_pandas(DF).lazy()
    np.testing.assert_array_equal(HC(**SMALL).fit(lazy, YD).predict(lazy), HC(**SMALL).fit(DF, YD).predict(DF))
    np.testing.assert_array_equal(
        CC(random_state=0).fit(lazy, YD).predict(lazy), CC(random_state=0).fit(DF, YD).predict(DF)
    )


def test_native_pruning_refuses_nan() -> None:
    with pytest.raises(InvalidParameterError, match="ccp_alpha"):
        _cart().tree_.pruned(float("nan"))


# ------------------------------------------- predict follows fit's rules


@pytest.mark.parametrize("family", ["cart", "chaid"])
def test_predict_refuses_what_fit_refuses(family: str) -> None:
    rng = np.random.default_rng(0)
    X = rng.random((200, 2))
    y = (X[:, 0] > 0.5).astype(int)
    model = (ciblage.CartClassifier() if family == "cart" else ciblage.ChaidClassifier()).fit(X, y)
    with pytest.raises(InvalidInputError, match=r"^X: found array with 0 sample\(s\)"):
        model.predict(np.zeros((0, 2)))
    with pytest.raises(InvalidInputError, match=r"non-finite value -?inf at row 1$"):
        model.predict(np.array([[0.2, 0.5], [-np.inf, 0.5]]))
    # NaN is a missing value for both families, not an error; rows away
    # from the cut keep the class of their side (x0 > 0.5 is class 1).
    assert list(model.predict(np.array([[0.9, 0.5], [0.1, 0.5]]))) == [1, 0]


def test_cart_does_not_parse_text_arrays_into_numbers() -> None:
    """As scikit-learn: a numpy array of text is refused by CART rather than
    parsed ("1" read as 1.0); a DataFrame's text columns are categories."""
    X = np.array([["1", "2"], ["3", "4"], ["5", "6"], ["7", "8"]])
    with pytest.raises(ColumnTypeError, match=r"^X: dtype='numeric' is not compatible with arrays of bytes/strings"):
        ciblage.CartClassifier().fit(X, [0, 1, 0, 1])
