# Stubs of the native module; checked by `python -m mypy.stubtest ciblage._native`.
from collections.abc import Callable
from typing import Any, Protocol, TypedDict, final

import numpy as np
import numpy.typing as npt

class _ArrowTable(Protocol):
    """The tables the native functions return (arro3 ``Table``s): any Arrow
    C-stream consumer (``pyarrow.table(t)``, polars, pandas) reads them."""

    @property
    def num_rows(self) -> int: ...
    @property
    def column_names(self) -> list[str]: ...
    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object: ...

class _Coverage(TypedDict):
    """What :meth:`SegmentTable.coverage` finds."""

    uncovered: list[tuple[int, int, int]]
    unreachable: list[str]

class _Criterion(TypedDict):
    """How one RFM criterion was scored."""

    criterion: str
    method: str
    classes: int
    classes_used: int
    counts: list[int]
    degenerate: bool
    warning: str

class _RfmInputReport(TypedDict):
    """What reading the transactions of an RFM analysis left out."""

    rows: int
    rows_after_as_of: int
    negative_rows: int
    negative_rows_excluded: int
    customers_without_rows: int

__all__ = [
    "FrequentItemsets",
    "OrderLines",
    "BasketLinesBuilder",
    "basket_lines_builder",
    "basket_count_itemsets",
    "basket_itemsets_from_counts",
    "SegmentLines",
    "SegmentItemsets",
    "AffinityTable",
    "next_best_products",
    "segment_affinity",
    "KPrototypesModel",
    "adjusted_rand",
    "calinski_harabasz",
    "choose_k",
    "choose_k_mixed",
    "cluster_stability",
    "segment_profile",
    "davies_bouldin",
    "kmodes_fit",
    "kprototypes_fit",
    "silhouette",
    "rfm_scores",
    "RfmResult",
    "SegmentTable",
    "synthetic_transactions",
    "customer_totals",
    "ActivityStream",
    "rfm_stream",
    "totals_stream",
    "stream_partition",
    "stream_partial_state",
    "stream_absorb_partial_state",
    "partial_days",
    "DayStateStream",
    "day_state_stream",
    "merge_partial_days",
    "partial_days_rows",
    "value_tiers",
    "Concentration",
    "retention",
    "RetentionResult",
    "churn_flags",
    "migration",
    "CustomerIdColumn",
    "customer_id_column",
    "migration_matched",
    "RuleSet",
    "lifecycle_evaluate",
    "behaviour_change",
    "local_days",
    "chaid_fit",
    "small_int_codes",
    "ChaidModel",
    "cart_cost_complexity_cv",
    "cart_fit",
    "CartTree",
    "release_buffers",
    "clv_summary",
    "clv_holdout",
    "clv_fit",
    "clv_units_per_month",
    "kmeans_fit",
    "KMeansModel",
    "bg_bb_fit",
    "sbg_fit_survivors",
    "sbg_fit_lifetimes",
    "sbg_fit_retention",
    "sbg_fit_retention_cohorts",
    "BgBbModel",
    "ShiftedBetaGeoModel",
    "clv_customer_value",
    "clv_p_alive_at",
    "clv_dert",
    "ClvModel",
    "clv_cov_fit",
    "clv_interval",
    "clv_log_covariance",
    "ClvCovModel",
    "__build__",
    "__version__",
    "_debug_build",
    "_panic_for_test",
    "_wait_for_test",
]
__version__: str
#: Test hook, not public API: whether the module is an unoptimised build.
_debug_build: bool
#: "debug" (unoptimised, ``make develop``/``make test``) or "release".
__build__: str

@final
class SegmentTable:
    def __new__(
        cls,
        rules: list[tuple[str, tuple[int, int], tuple[int, int], tuple[int, int]]],
        *,
        fallback: str = "Others",
    ) -> SegmentTable: ...
    @staticmethod
    def classic() -> SegmentTable: ...
    @staticmethod
    def from_json(text: str) -> SegmentTable: ...
    @staticmethod
    def from_toml(text: str) -> SegmentTable: ...
    def to_json(self) -> str: ...
    def to_toml(self) -> str: ...
    @property
    def names(self) -> list[str]: ...
    @property
    def rules(self) -> list[tuple[str, tuple[int, int], tuple[int, int], tuple[int, int]]]: ...
    @property
    def fallback(self) -> str: ...
    def name_of(self, r: int, f: int, m: int) -> str: ...
    def coverage(self, bins: int = 5) -> _Coverage: ...
    def _repr_html_(self) -> str: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...
    def __getnewargs_ex__(
        self,
    ) -> tuple[tuple[list[tuple[str, tuple[int, int], tuple[int, int], tuple[int, int]]]], dict[str, str]]: ...

@final
class RfmResult:
    def customers(self) -> _ArrowTable: ...
    def segments(self) -> _ArrowTable: ...
    def thresholds(self) -> _ArrowTable: ...
    def criteria(self) -> list[_Criterion]: ...
    def input_report(self) -> _RfmInputReport: ...
    @property
    def as_of(self) -> str: ...
    @property
    def timezone(self) -> str: ...
    def __len__(self) -> int: ...

def rfm_scores(
    table: Any,
    *,
    customer: str,
    timestamp: str,
    amount: str,
    cost: str | None = None,
    as_of: str | None = None,
    bins: int = 5,
    method: str = "quantile",
    recency_cuts: list[float] | None = None,
    frequency_cuts: list[float] | None = None,
    monetary_cuts: list[float] | None = None,
    frequency: str = "transactions",
    monetary: str = "revenue",
    variant: str = "rfm",
    weights: tuple[float, float, float] = ...,
    negative_amounts: str = "keep",
    segments: SegmentTable | None = None,
    timezone: str | None = None,
    progress: Callable[[int, int], object] | None = None,
) -> RfmResult: ...
def synthetic_transactions(
    *,
    customers: int = 10_000,
    transactions: int = 100_000,
    seed: int = 42,
    string_ids: bool = False,
    return_rate: float = 0.02,
) -> _ArrowTable: ...
def customer_totals(table: Any, *, customer: str, amount: str, cost: str | None = None) -> _ArrowTable: ...

@final
class ActivityStream:
    def absorb(self, batch: Any) -> None: ...
    @property
    def rows(self) -> int: ...
    def rfm(self) -> RfmResult: ...
    def totals(self) -> _ArrowTable: ...
    def summary(self) -> dict[str, int]: ...

def rfm_stream(
    *,
    customer: str,
    timestamp: str,
    amount: str,
    cost: str | None = None,
    as_of: str | None = None,
    bins: int = 5,
    method: str = "quantile",
    recency_cuts: list[float] | None = None,
    frequency_cuts: list[float] | None = None,
    monetary_cuts: list[float] | None = None,
    frequency: str = "transactions",
    monetary: str = "revenue",
    variant: str = "rfm",
    weights: tuple[float, float, float] = ...,
    negative_amounts: str = "keep",
    segments: SegmentTable | None = None,
    timezone: str | None = None,
) -> ActivityStream: ...
def totals_stream(*, customer: str, amount: str, cost: str | None = None) -> ActivityStream: ...
def stream_partition(stream: ActivityStream, row0: int, order0: int) -> None: ...
def stream_partial_state(stream: ActivityStream) -> Any: ...
def stream_absorb_partial_state(stream: ActivityStream, batch: Any, schema: Any) -> None: ...

@final
class DayStateStream:
    def absorb(self, batch: Any) -> None: ...
    @property
    def rows(self) -> int: ...
    def finish(self) -> Any: ...

def day_state_stream(
    *,
    goal: str,
    customer: str,
    timestamp: str,
    amount: str,
    cost: str | None = None,
    timezone: str | None = None,
    period: str = "month",
    week_start: str = "monday",
    origin: int | None = None,
    as_of: int | None = None,
    freq: str = "D",
    reject_negatives: tuple[str, int | None] | None = None,
) -> DayStateStream: ...
def partial_days(
    table: Any,
    *,
    customer: str,
    timestamp: str,
    amount: str,
    cost: str | None = None,
    timezone: str | None = None,
) -> Any: ...
def merge_partial_days(
    batches: list[Any],
    *,
    has_cost: bool,
    goal: str | None = None,
    period: str = "month",
    week_start: str = "monday",
    origin: int | None = None,
    as_of: int | None = None,
    freq: str = "D",
) -> Any: ...
def partial_days_rows(batches: list[Any], *, has_cost: bool) -> Any: ...
def value_tiers(
    values: npt.NDArray[np.float64],
    *,
    column: str = "value",
    method: str = "count",
    shares: list[float] | None = None,
    bounds: list[float] | None = None,
    names: list[str] | None = None,
    no_value_name: str = "No value",
) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint32], list[str], _ArrowTable]: ...

@final
class Concentration:
    def __new__(cls, values: npt.NDArray[np.float64], *, column: str = "value") -> Concentration: ...
    @property
    def gini(self) -> float: ...
    @property
    def customers(self) -> int: ...
    @property
    def total(self) -> float: ...
    @property
    def clipped(self) -> int: ...
    def top_share(self, share: float) -> float: ...
    def customers_for_value(self, share: float) -> float: ...
    def lorenz(self, points: int = 101) -> _ArrowTable: ...

@final
class RetentionResult:
    def periods(self) -> _ArrowTable: ...
    def cohorts(self, kind: str = "classic", shares: bool = True) -> _ArrowTable: ...
    def cohort_sizes(self) -> _ArrowTable: ...
    def survival(self) -> _ArrowTable: ...
    def input_report(self) -> tuple[int, int, int]: ...

def retention(
    table: Any,
    *,
    customer: str,
    timestamp: str,
    amount: str,
    period: str = "month",
    week_start: str = "monday",
    as_of: str | None = None,
    origin: str | None = None,
    churn_after: int = 3,
    timezone: str | None = None,
    progress: Callable[[int, int], object] | None = None,
) -> RetentionResult: ...
def churn_flags(
    table: Any,
    *,
    customer: str,
    timestamp: str,
    amount: str,
    rule: str = "days",
    days: int = 365,
    multiple: float = 3.0,
    fallback_days: int = 365,
    as_of: str | None = None,
    timezone: str | None = None,
) -> tuple[_ArrowTable, tuple[int, int, int]]: ...
def migration(before: list[str], after: list[str], order: list[str]) -> tuple[list[str], list[int]]: ...

@final
class CustomerIdColumn:
    def __len__(self) -> int: ...
    def kind(self) -> str: ...
    def refuse_nulls(self, place: str) -> None: ...
    def refuse_duplicates(self, place: str) -> None: ...
    def id_at(self, row: int) -> int | str | None: ...
    def positions_in(self, other: CustomerIdColumn) -> npt.NDArray[np.int64]: ...
    def sort_indices(self) -> npt.NDArray[np.int64]: ...

def customer_id_column(column: Any, *, place: str, type_name: str) -> CustomerIdColumn: ...
def migration_matched(
    before_ids: CustomerIdColumn,
    before: list[str],
    after_ids: CustomerIdColumn,
    after: list[str],
    *,
    order: list[str],
    absent: str,
) -> tuple[list[str], list[int], tuple[int, int, int, int]]: ...

@final
class RuleSet:
    def __new__(cls, json: str | bytes) -> RuleSet: ...
    @staticmethod
    def default() -> RuleSet: ...
    @staticmethod
    def from_toml(text: str | bytes) -> RuleSet: ...
    @staticmethod
    def from_json(text: str | bytes) -> RuleSet: ...
    def to_toml(self) -> str: ...
    def to_json(self) -> str: ...
    @property
    def rule_names(self) -> list[str]: ...
    def _repr_html_(self) -> str: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __getnewargs__(self) -> tuple[str]: ...

def lifecycle_evaluate(
    rules: RuleSet,
    n: int,
    columns: dict[str, npt.NDArray[np.float64]],
    tiers: list[str] | None,
    history_rows: npt.NDArray[np.uint32],
    history_days: npt.NDArray[np.int64],
    today: int,
) -> tuple[_ArrowTable, _ArrowTable, tuple[int, int, int, int]]: ...

# A drawn node: id, parent, depth, size, class weights, label lines, edge label.
_DrawRow = tuple[int, int | None, int, float, list[float], list[str], str | None]

@final
class ChaidModel:
    def apply(self, columns: list[Any]) -> npt.NDArray[np.int64]: ...
    def node_proba(self) -> list[list[float]]: ...
    def node_class(self) -> list[int]: ...
    def node_mean(self) -> list[float]: ...
    def nodes(self) -> _ArrowTable: ...
    def groups(self) -> list[list[list[str | None]] | None]: ...
    def predictors(self) -> list[tuple[str, str, list[str], list[float] | None]]: ...
    def gains(self, target: int) -> _ArrowTable: ...
    def segments(self, class_names: list[str]) -> _ArrowTable: ...
    def to_text(self, class_names: list[str], decimals: int = 2) -> str: ...
    def to_dot(self) -> str: ...
    def drawing(self) -> list[_DrawRow]: ...
    @property
    def classes(self) -> list[str]: ...
    def to_json(self) -> str: ...
    @staticmethod
    def from_json(text: str | bytes) -> ChaidModel: ...
    def __reduce__(self) -> tuple[Callable[[str], ChaidModel], tuple[str]]: ...

def small_int_codes(
    values: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint32]] | None:
    """Sorted distinct values and each value's code, or None for a wide range."""

def chaid_fit(
    columns: list[
        tuple[
            str,
            str,
            npt.NDArray[np.int64] | npt.NDArray[np.uint32] | None,
            list[str] | None,
            npt.NDArray[np.float64] | None,
        ]
    ],
    y: npt.NDArray[np.uint32],
    classes: list[str],
    *,
    y_values: npt.NDArray[np.float64] | None = None,
    sample_weight: npt.NDArray[np.float64] | None = None,
    case_weight: npt.NDArray[np.float64] | None = None,
    alpha_merge: float | None = None,
    alpha_split: float | None = None,
    max_depth: int | None = None,
    min_parent: float | None = None,
    min_child: float | None = None,
    exhaustive: bool = False,
    bonferroni: bool = True,
    bins: int = 10,
    preset: str = "spss",
    statistic: str = "pearson",
    split_merged: float | None = None,
    progress: Callable[[int, int], object] | None = None,
) -> ChaidModel: ...

@final
class CartTree:
    def apply(self, x: npt.NDArray[np.float64] | npt.NDArray[np.float32] | Any) -> npt.NDArray[np.int64]: ...
    def with_category_names(self, names: list[list[str]]) -> CartTree: ...
    @property
    def value(self) -> npt.NDArray[np.float64]: ...
    @property
    def n_features(self) -> int: ...
    @property
    def n_outputs(self) -> int: ...
    @property
    def n_classes(self) -> npt.NDArray[np.intp]: ...
    @property
    def max_n_classes(self) -> int: ...
    @property
    def node_count(self) -> int: ...
    @property
    def n_leaves(self) -> int: ...
    @property
    def max_depth(self) -> int: ...
    @property
    def children_left(self) -> npt.NDArray[np.intp]: ...
    @property
    def children_right(self) -> npt.NDArray[np.intp]: ...
    @property
    def feature(self) -> npt.NDArray[np.intp]: ...
    @property
    def categories(self) -> list[tuple[list[int], list[int]] | None]: ...
    @property
    def missing_go_to_left(self) -> list[bool]: ...
    @property
    def threshold(self) -> npt.NDArray[np.float64]: ...
    @property
    def impurity(self) -> npt.NDArray[np.float64]: ...
    @property
    def n_node_samples(self) -> npt.NDArray[np.intp]: ...
    @property
    def weighted_n_node_samples(self) -> npt.NDArray[np.float64]: ...
    def feature_importances(self) -> list[float]: ...
    def cost_complexity_pruning_path(self) -> tuple[list[float], list[float]]: ...
    def pruned(self, ccp_alpha: float) -> CartTree: ...
    def to_text(self, feature_names: list[str], class_names: list[str], decimals: int = 2) -> str: ...
    def sql_rules(self, feature_names: list[str]) -> list[str]: ...
    def decision_path(self, x: npt.NDArray[np.float64] | npt.NDArray[np.float32] | Any) -> Any: ...
    def rules(self, feature_names: list[str]) -> list[str]: ...
    def gains(self, feature_names: list[str], target: int) -> _ArrowTable: ...
    def segments(self, feature_names: list[str], class_names: list[str]) -> _ArrowTable: ...
    def to_dot(self, feature_names: list[str], class_names: list[str]) -> str: ...
    def drawing(self, feature_names: list[str], class_names: list[str]) -> list[_DrawRow]: ...
    def to_json(self) -> str: ...
    @staticmethod
    def from_json(text: str | bytes) -> CartTree: ...
    def __reduce__(self) -> tuple[Callable[[str], CartTree], tuple[str]]: ...

# A sparse matrix's arrays (ciblage._cart_sparse.SparseX): layout ("csc" or
# "csr"), rows, columns, indptr, indices (int32 or int64), data.
_SparseArrays = tuple[str, int, int, npt.NDArray[Any], npt.NDArray[Any], npt.NDArray[np.float64]]

def cart_fit(
    x: npt.NDArray[np.float64] | _SparseArrays,
    *,
    y_codes: npt.NDArray[np.uint32] | None = None,
    n_classes: int = 0,
    y_values: npt.NDArray[np.float64] | None = None,
    sample_weight: npt.NDArray[np.float64] | None = None,
    y_output_codes: npt.NDArray[np.uint32] | None = None,
    output_classes: list[int] = ...,
    y_output_values: npt.NDArray[np.float64] | None = None,
    criterion: str = "gini",
    max_depth: int | None = None,
    min_samples_split: int = 2,
    min_samples_leaf: int = 1,
    min_weight_fraction_leaf: float = 0.0,
    min_impurity_decrease: float = 0.0,
    max_features: int | None = None,
    max_leaf_nodes: int | None = None,
    splitter: str = "best",
    max_bins: int = 255,
    n_threads: int | None = None,
    categorical_features: list[int] = ...,
    monotonic_cst: list[int] | None = None,
    seed: int = 1,
    progress: Callable[[int, int], object] | None = None,
) -> CartTree: ...
def cart_cost_complexity_cv(
    x: npt.NDArray[np.float64] | _SparseArrays,
    *,
    y_codes: npt.NDArray[np.uint32] | None = None,
    n_classes: int = 0,
    y_values: npt.NDArray[np.float64] | None = None,
    sample_weight: npt.NDArray[np.float64] | None = None,
    folds: int = 10,
    seed: int | None = None,
    order: list[int] | None = None,
    class_weight: list[float] | None = None,
    balanced: bool = False,
    fits: list[tuple[int, int, int]] = ...,
    criterion: str = "gini",
    max_depth: int | None = None,
    min_weight_fraction_leaf: float = 0.0,
    min_impurity_decrease: float = 0.0,
    max_features: int | None = None,
    max_leaf_nodes: int | None = None,
    splitter: str = "best",
    max_bins: int = 255,
    n_threads: int | None = None,
    categorical_features: list[int] = ...,
    monotonic_cst: list[int] | None = None,
    progress: Callable[[int, int], object] | None = None,
) -> tuple[list[float], list[float], list[int], list[float], list[float], list[float], int, int]: ...
def behaviour_change(
    table: Any,
    *,
    customer: str,
    timestamp: str,
    amount: str,
    today: str,
    window_days: int = 90,
    timezone: str | None = None,
) -> tuple[_ArrowTable, tuple[int, int]]: ...
def local_days(
    table: Any,
    *,
    column: str,
    argument: str,
    timezone: str | None = None,
) -> npt.NDArray[np.float64]: ...
def release_buffers() -> int:
    """Frees the row buffers kept between calls; returns the bytes freed."""
    ...

def _panic_for_test(where_: str = "run") -> None:
    """Test hook, not public API: panics on the calling thread (``"guard"``),
    in a long call's work (``"run"``) or in a rayon task of it
    (``"rayon"``); the panic arrives as ``ciblage.exceptions.InternalError``."""
    ...

def _wait_for_test(seconds: float, progress: Callable[[int, int], object] | None = None) -> float:
    """Test hook, not public API: works ``seconds`` without the GIL as a long
    call does (stopped by Ctrl-C); returns the seconds waited."""
    ...

@final
class ClvModel:
    @staticmethod
    def from_json(kind: str, text: str) -> ClvModel: ...
    def to_json(self) -> str: ...
    def correlation(self) -> tuple[float | None, str | None]: ...
    def p_alive(self, frequency: np.ndarray, recency: np.ndarray, t: np.ndarray) -> np.ndarray: ...
    def expected_purchases(
        self, horizon: float, frequency: np.ndarray, recency: np.ndarray, t: np.ndarray
    ) -> np.ndarray: ...
    def expected_purchases_new(self, horizons: np.ndarray) -> np.ndarray: ...
    def prob_n_purchases(self, n: int, horizon: float) -> float: ...
    def expected_average_spend(self, frequency: np.ndarray, monetary_value: np.ndarray) -> np.ndarray: ...
    def clv(
        self,
        purchases: ClvModel,
        frequency: np.ndarray,
        recency: np.ndarray,
        t: np.ndarray,
        monetary_value: np.ndarray,
        months: int,
        discount_rate: float,
        units_per_month: float,
    ) -> np.ndarray: ...

def clv_summary(
    table: Any,
    *,
    customer: str,
    timestamp: str,
    amount: str,
    cost: str | None = None,
    freq: str = "D",
    observation_end: str | None = None,
    calibration_end: str | None = None,
    negative_amounts: str = "keep",
    timezone: str | None = None,
) -> tuple[Any, tuple[int, int, int, int], str, bool]: ...
def clv_holdout(
    table: Any,
    model: ClvModel,
    *,
    customer: str,
    timestamp: str,
    amount: str,
    calibration_end: str,
    cost: str | None = None,
    freq: str = "D",
    observation_end: str | None = None,
    negative_amounts: str = "keep",
    timezone: str | None = None,
    max_frequency: int = 6,
) -> tuple[
    Any, Any, Any, tuple[int, float, float, float, float, float, float, float], tuple[int, int, int, int], str
]: ...
def clv_fit(
    kind: str,
    frequency: np.ndarray,
    recency: np.ndarray,
    t: np.ndarray,
    *,
    monetary_value: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    penalizer: float = 0.0,
    max_iterations: int = 1000,
    correlation_threshold: float = 0.3,
    progress: Callable[[int, int], object] | None = None,
) -> ClvModel: ...
def clv_units_per_month(freq: str) -> float: ...

@final
class BgBbModel:
    @staticmethod
    def from_json(text: str) -> BgBbModel: ...
    def to_json(self) -> str: ...
    def p_alive(self, frequency: np.ndarray, recency: np.ndarray, opportunities: np.ndarray) -> np.ndarray: ...
    def expected_purchases(
        self, horizon: int, frequency: np.ndarray, recency: np.ndarray, opportunities: np.ndarray
    ) -> np.ndarray: ...
    def expected_purchases_new(self, horizons: list[int]) -> np.ndarray: ...
    def dert(
        self, discount_rate: float, frequency: np.ndarray, recency: np.ndarray, opportunities: np.ndarray
    ) -> np.ndarray: ...

@final
class ShiftedBetaGeoModel:
    @staticmethod
    def from_json(text: str) -> ShiftedBetaGeoModel: ...
    def to_json(self) -> str: ...
    def retention_rate(self, t: list[int]) -> np.ndarray: ...
    def survival(self, t: list[int]) -> np.ndarray: ...
    def churn_probability(self, t: list[int]) -> np.ndarray: ...
    def expected_lifetime(self) -> float: ...
    def derl(self, discount_rate: float, renewals: list[int]) -> np.ndarray: ...

@final
class ClvCovModel:
    @staticmethod
    def from_json(text: str) -> ClvCovModel: ...
    def to_json(self) -> str: ...
    def covariance(self) -> np.ndarray | None: ...
    def p_alive(
        self, frequency: np.ndarray, recency: np.ndarray, t: np.ndarray, covariates: np.ndarray, names: list[str]
    ) -> np.ndarray: ...
    def expected_purchases(
        self,
        horizon: float,
        frequency: np.ndarray,
        recency: np.ndarray,
        t: np.ndarray,
        covariates: np.ndarray,
        names: list[str],
    ) -> np.ndarray: ...
    def expected_purchases_new(self, horizon: float, covariates: np.ndarray, names: list[str]) -> np.ndarray: ...

def clv_cov_fit(
    kind: str,
    frequency: np.ndarray,
    recency: np.ndarray,
    t: np.ndarray,
    covariates: np.ndarray,
    names: list[str],
    *,
    trans: list[str],
    life: list[str],
    weights: np.ndarray | None = None,
    penalizer: float = 0.0,
    max_iterations: int = 1000,
) -> ClvCovModel: ...
def clv_log_covariance(
    model: ClvModel,
    frequency: np.ndarray,
    recency: np.ndarray,
    t: np.ndarray,
    *,
    monetary_value: np.ndarray | None = None,
    weights: np.ndarray | None = None,
) -> np.ndarray: ...
def bg_bb_fit(
    frequency: np.ndarray,
    recency: np.ndarray,
    opportunities: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    penalizer: float = 0.0,
    max_iterations: int = 1000,
) -> BgBbModel: ...
def sbg_fit_survivors(
    survivors: list[list[float]], *, penalizer: float = 0.0, max_iterations: int = 1000
) -> ShiftedBetaGeoModel: ...
def sbg_fit_lifetimes(
    lifetime: np.ndarray, censored: list[bool], *, penalizer: float = 0.0, max_iterations: int = 1000
) -> ShiftedBetaGeoModel: ...
def sbg_fit_retention(
    result: RetentionResult, *, penalizer: float = 0.0, max_iterations: int = 1000
) -> ShiftedBetaGeoModel: ...
def sbg_fit_retention_cohorts(
    result: RetentionResult, *, penalizer: float = 0.0, max_iterations: int = 1000
) -> list[tuple[str, ShiftedBetaGeoModel | None, str | None]]: ...
def clv_interval(
    what: str,
    purchases: ClvModel | ClvCovModel | None,
    purchases_covariance: np.ndarray | None,
    spend: ClvModel | None,
    spend_covariance: np.ndarray | None,
    frequency: np.ndarray,
    recency: np.ndarray,
    t: np.ndarray,
    *,
    monetary_value: np.ndarray | None = None,
    covariates: np.ndarray | None = None,
    names: list[str] | None = None,
    horizon: float = 0.0,
    months: int = 12,
    discount_rate: float = 0.0,
    units_per_month: float = 1.0,
    draws: int = 1000,
    level: float = 0.9,
    seed: int = 0,
    progress: Callable[[int, int], object] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]: ...
def clv_customer_value(
    frequency: np.ndarray,
    recency: np.ndarray,
    t: np.ndarray,
    monetary_value: np.ndarray,
    *,
    freq: str,
    model: str = "bgnbd",
    horizon: int = 12,
    discount_rate: float = 0.01,
    discounting: str = "monthly",
    penalizer: float = 0.0,
    spend_penalizer: float = 0.0,
    max_iterations: int = 1000,
) -> tuple[dict[str, Any], ClvModel, ClvModel]: ...
def clv_p_alive_at(
    model: ClvModel, t_ahead: float, frequency: np.ndarray, recency: np.ndarray, t: np.ndarray
) -> np.ndarray: ...
def clv_dert(
    model: ClvModel, delta: float, horizon: float | None, frequency: np.ndarray, recency: np.ndarray, t: np.ndarray
) -> np.ndarray: ...

@final
class KMeansModel:
    @staticmethod
    def from_json(text: str) -> KMeansModel: ...
    def to_json(self) -> str: ...
    def labels(self) -> npt.NDArray[np.int32]: ...
    def centers(self) -> npt.NDArray[np.float64]: ...
    @property
    def inertia(self) -> float: ...
    @property
    def n_iter(self) -> int: ...
    @property
    def n_features(self) -> int: ...
    @property
    def n_clusters(self) -> int: ...
    @property
    def has_preparation(self) -> bool: ...
    def predict(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.int32]: ...
    def transform(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]: ...
    def inertia_of(self, x: npt.NDArray[np.float64], sample_weight: npt.NDArray[np.float64] | None = None) -> float: ...
    def prepare(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]: ...

def kmeans_fit(
    x: npt.NDArray[np.float64],
    sample_weight: npt.NDArray[np.float64] | None = None,
    *,
    n_clusters: int = 8,
    init: str = "k-means++",
    init_centers: npt.NDArray[np.float64] | None = None,
    n_init: int | None = None,
    max_iter: int = 300,
    tol: float = 1e-4,
    algorithm: str = "lloyd",
    seed: int = 0,
    n_threads: int | None = None,
    batch_size: int | None = None,
    max_no_improvement: int | None = ...,
    init_size: int | None = None,
    log1p: list[int] = ...,
    rank: list[int] = ...,
    winsorize: tuple[float, float] | None = None,
    standardize: bool = False,
    progress: Callable[[int, int], object] | None = None,
) -> KMeansModel: ...

# Clustering: k-prototypes, k-modes and metrics (ciblage.cluster).
@final
class KPrototypesModel:
    @property
    def labels(self) -> npt.NDArray[np.uint32]: ...
    @property
    def numeric_centers(self) -> npt.NDArray[np.float64]: ...
    @property
    def categorical_centers(self) -> npt.NDArray[np.uint32]: ...
    @property
    def gamma(self) -> float: ...
    @property
    def inertia(self) -> float: ...
    @property
    def n_iter(self) -> int: ...
    def predict(
        self, numeric: npt.NDArray[np.float64], categorical: npt.NDArray[np.uint32]
    ) -> npt.NDArray[np.uint32]: ...
    def to_json(self) -> str: ...
    def __reduce__(self) -> tuple[Any, tuple[str]]: ...
    @staticmethod
    def from_json(text: str | bytes) -> KPrototypesModel: ...

def kprototypes_fit(
    numeric: npt.NDArray[np.float64],
    categorical: npt.NDArray[np.uint32],
    *,
    sample_weight: npt.NDArray[np.float64] | None = None,
    n_clusters: int = 8,
    init: str = "Cao",
    init_numeric: npt.NDArray[np.float64] | None = None,
    init_categorical: npt.NDArray[np.uint32] | None = None,
    n_init: int = 10,
    max_iter: int = 100,
    gamma: float | None = None,
    seed: int = 0,
    progress: Callable[[int, int], object] | None = None,
) -> KPrototypesModel: ...
def kmodes_fit(
    categorical: npt.NDArray[np.uint32],
    *,
    sample_weight: npt.NDArray[np.float64] | None = None,
    n_clusters: int = 8,
    init: str = "Cao",
    init_modes: npt.NDArray[np.uint32] | None = None,
    n_init: int = 10,
    max_iter: int = 100,
    seed: int = 0,
    progress: Callable[[int, int], object] | None = None,
) -> KPrototypesModel: ...
def silhouette(
    x: npt.NDArray[np.float64],
    labels: npt.NDArray[np.uint32],
    *,
    sample_size: int | None = ...,
    seed: int = 0,
) -> tuple[float, int, bool]: ...
def calinski_harabasz(x: npt.NDArray[np.float64], labels: npt.NDArray[np.uint32]) -> float: ...
def cluster_stability(
    x: npt.NDArray[np.float64],
    *,
    n_clusters: int,
    n_resamples: int = 20,
    threshold: float = 0.6,
    seed: int = 0,
    kmeans_seed: int = 0,
    n_init: int | None = ...,
    max_iter: int = 300,
    algorithm: str = "lloyd",
    keep_resamples: bool = False,
    log1p: list[int] = ...,
    rank: list[int] = ...,
    winsorize: tuple[float, float] | None = None,
    standardize: bool = False,
    progress: Any = None,
) -> dict[str, Any]: ...
def segment_profile(
    numeric: npt.NDArray[np.float64],
    categorical: npt.NDArray[np.uint32],
    labels: npt.NDArray[np.uint32],
    revenue: npt.NDArray[np.float64] | None = None,
    margin: npt.NDArray[np.float64] | None = None,
    *,
    top: int = 3,
    numeric_names: list[str] | None = None,
    categorical_names: list[str] | None = None,
    category_names: list[list[str]] | None = None,
) -> dict[str, Any]: ...
def choose_k(
    x: npt.NDArray[np.float64],
    *,
    k_range: list[int],
    n_init: int | None = ...,
    max_iter: int = 300,
    algorithm: str = "lloyd",
    seed: int = 0,
    sample_size: int | None = ...,
    log1p: list[int] = ...,
    rank: list[int] = ...,
    winsorize: tuple[float, float] | None = None,
    standardize: bool = False,
    progress: Any = None,
) -> dict[str, Any]: ...
def choose_k_mixed(
    numeric: npt.NDArray[np.float64],
    categorical: npt.NDArray[np.uint32],
    *,
    k_range: list[int],
    n_init: int = 10,
    max_iter: int = 100,
    gamma: float | None = None,
    seed: int = 0,
    sample_size: int | None = ...,
    progress: Any = None,
) -> dict[str, Any]: ...
def davies_bouldin(x: npt.NDArray[np.float64], labels: npt.NDArray[np.uint32]) -> float: ...
def adjusted_rand(labels_true: npt.NDArray[np.uint32], labels_pred: npt.NDArray[np.uint32]) -> float: ...

# Basket analysis (ciblage.basket): order lines, FP-growth itemsets, rules.

@final
class OrderLines:
    def __len__(self) -> int: ...
    @property
    def n_products(self) -> int: ...
    def products(self) -> Any: ...
    def fpgrowth(
        self,
        *,
        min_support: float | None = None,
        min_count: int | None = None,
        max_len: int | None = None,
        kind: str = "all",
        items: list[int] | None = None,
        exclude: list[int] | None = None,
        progress: Callable[[int, int], Any] | None = None,
    ) -> FrequentItemsets: ...

@final
class FrequentItemsets:
    def __len__(self) -> int: ...
    @property
    def n_baskets(self) -> int: ...
    @property
    def min_count(self) -> int: ...
    @property
    def kind(self) -> str: ...
    def products(self) -> Any: ...
    def parts(self) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.int64], npt.NDArray[np.uint64]]: ...
    def rules(
        self,
        *,
        metric: str = "confidence",
        min_threshold: float = 0.8,
        consequents: str = "all",
        p_value: str | None = None,
        correction: str = "none",
    ) -> tuple[
        npt.NDArray[np.uint32], npt.NDArray[np.int64], npt.NDArray[np.uint32], npt.NDArray[np.int64], _ArrowTable
    ]: ...

def basket_lines_builder(*, order: str, product: str) -> BasketLinesBuilder: ...
def basket_count_itemsets(
    lines: OrderLines, items: npt.NDArray[np.uint32], offsets: npt.NDArray[np.int64]
) -> npt.NDArray[np.uint64]: ...
def basket_itemsets_from_counts(
    products: Any,
    items: npt.NDArray[np.uint32],
    offsets: npt.NDArray[np.int64],
    counts: npt.NDArray[np.uint64],
    n_baskets: int,
    *,
    min_support: float | None = None,
    min_count: int | None = None,
    kind: str = "all",
) -> FrequentItemsets: ...

@final
class BasketLinesBuilder:
    def absorb(self, batch: Any, customer: npt.NDArray[np.uint32] | None = None) -> None: ...
    def finish(self) -> OrderLines: ...
    def finish_segments(self, segments: npt.NDArray[np.int64]) -> SegmentLines: ...

@final
class SegmentLines:
    def baskets(self) -> list[int]: ...
    @property
    def lines_without_segment(self) -> int: ...
    def products(self) -> Any: ...
    def fpgrowth(
        self,
        *,
        min_support: float | None = None,
        min_count: int | None = None,
        max_len: int | None = None,
        kind: str = "all",
        items: list[int] | None = None,
        exclude: list[int] | None = None,
        progress: Callable[[int, int], Any] | None = None,
    ) -> SegmentItemsets: ...

@final
class SegmentItemsets:
    @property
    def kind(self) -> str: ...
    def products(self) -> Any: ...
    def parts(
        self,
    ) -> tuple[
        npt.NDArray[np.uint32],
        npt.NDArray[np.uint32],
        npt.NDArray[np.int64],
        npt.NDArray[np.uint64],
        list[int],
        list[int],
    ]: ...
    def rules(
        self,
        *,
        metric: str = "confidence",
        min_threshold: float = 0.8,
        consequents: str = "all",
        p_value: str | None = None,
        correction: str = "none",
    ) -> tuple[
        npt.NDArray[np.uint32],
        tuple[
            npt.NDArray[np.uint32], npt.NDArray[np.int64], npt.NDArray[np.uint32], npt.NDArray[np.int64], _ArrowTable
        ],
    ]: ...

# Affinity by segment, keep report, next-best product (ciblage._affinity).
@final
class AffinityTable:
    def columns(self) -> dict[str, Any]: ...
    def keep(
        self,
        *,
        max_margin_rate: float,
        min_lift: float,
        alpha: float,
        top_segments: int | None,
        segment_value: list[float] | None = None,
    ) -> dict[str, Any]: ...

def segment_affinity(
    customer: npt.NDArray[np.uint32],
    product: npt.NDArray[np.uint32],
    amount: npt.NDArray[np.float64],
    segments: npt.NDArray[np.int64],
    cost: npt.NDArray[np.float64] | None = None,
    *,
    test: str = "fisher",
    correction: str = "none",
    progress: Any = None,
) -> AffinityTable: ...
def next_best_products(
    customer: npt.NDArray[np.uint32],
    product: npt.NDArray[np.uint32],
    antecedents: list[list[int]],
    consequents: list[list[int]],
    confidence: list[float],
    lift: list[float],
    *,
    k: int = 3,
    rank: str = "lift_confidence",
    margins: list[float] | None = None,
    progress: Any = None,
) -> dict[str, Any]: ...
