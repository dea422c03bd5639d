//! Python bindings of ciblage: conversion only. The module is
//! `ciblage._native`; users import `ciblage`.

mod affinity;
mod arrow_in;
mod arrow_out;
mod basket;
mod basket_build;
mod basket_son;
mod cart;
mod cart_arrays;
mod cart_cv;
mod cart_outputs;
mod chaid;
mod churn;
mod cluster_choose;
mod cluster_kmeans;
mod cluster_kproto;
mod cluster_profile;
mod cluster_stability;
mod clv;
mod clv_cov;
mod clv_models;
mod clv_summary;
mod clv_value;
mod day_stream;
mod days_in;
mod error;
mod ids_in;
mod lifecycle;
mod partial;
mod partial_days;
mod rfm;
mod run;
mod scratch;
mod segments;
mod stream;
mod synth;
mod tree_tables;
mod tx_in;
mod value;

use pyo3::prelude::*;

/// The native module behind `ciblage`.
#[pymodule]
mod _native {
    #[pymodule_export]
    use crate::affinity::{next_best_products, segment_affinity, PyAffinityTable};
    #[pymodule_export]
    use crate::basket::{PyItemsets, PyOrderLines};
    #[pymodule_export]
    use crate::basket_build::{
        basket_lines_builder, PyLinesBuilder, PySegmentItemsets, PySegmentLines,
    };
    #[pymodule_export]
    use crate::basket_son::{basket_count_itemsets, basket_itemsets_from_counts};
    #[pymodule_export]
    use crate::cart::{cart_fit, PyCartTree};
    #[pymodule_export]
    use crate::cart_cv::cart_cost_complexity_cv;
    #[pymodule_export]
    use crate::chaid::{chaid_fit, small_int_codes, PyChaidModel};
    #[pymodule_export]
    use crate::churn::{churn_flags, migration, retention, PyRetention};
    #[pymodule_export]
    use crate::cluster_choose::{choose_k, choose_k_mixed};
    #[pymodule_export]
    use crate::cluster_kmeans::{kmeans_fit, PyKMeansModel};
    #[pymodule_export]
    use crate::cluster_kproto::{
        adjusted_rand, calinski_harabasz, davies_bouldin, kmodes_fit, kprototypes_fit, silhouette,
        PyKPrototypesModel,
    };
    #[pymodule_export]
    use crate::cluster_profile::segment_profile;
    #[pymodule_export]
    use crate::cluster_stability::cluster_stability;
    #[pymodule_export]
    use crate::clv::{clv_fit, clv_units_per_month, PyClvModel};
    #[pymodule_export]
    use crate::clv_cov::{clv_cov_fit, clv_interval, clv_log_covariance, PyClvCovModel};
    #[pymodule_export]
    use crate::clv_models::{
        bg_bb_fit, sbg_fit_lifetimes, sbg_fit_retention, sbg_fit_retention_cohorts,
        sbg_fit_survivors, PyBgBbModel, PyShiftedBetaGeoModel,
    };
    #[pymodule_export]
    use crate::clv_summary::{clv_holdout, clv_summary};
    #[pymodule_export]
    use crate::clv_value::{clv_customer_value, clv_dert, clv_p_alive_at};
    #[pymodule_export]
    use crate::day_stream::{day_state_stream, PyDayStateStream};
    #[pymodule_export]
    use crate::days_in::local_days;
    #[pymodule_export]
    use crate::ids_in::{customer_id_column, migration_matched, PyIdColumn};
    #[pymodule_export]
    use crate::lifecycle::{behaviour_change, lifecycle_evaluate, PyRuleSet};
    #[pymodule_export]
    use crate::partial::{stream_absorb_partial_state, stream_partial_state, stream_partition};
    #[pymodule_export]
    use crate::partial_days::{merge_partial_days, partial_days, partial_days_rows};
    #[pymodule_export]
    use crate::rfm::{rfm_scores, PyRfmResult};
    #[pymodule_export]
    use crate::run::{panic_for_test, wait_for_test};
    #[pymodule_export]
    use crate::scratch::release_buffers;
    #[pymodule_export]
    use crate::segments::PySegmentTable;
    #[pymodule_export]
    use crate::stream::{rfm_stream, totals_stream, PyActivityStream};
    #[pymodule_export]
    use crate::synth::synthetic_transactions;
    #[pymodule_export]
    use crate::value::{customer_totals, value_tiers, PyConcentration};

    use super::*;

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        // Calls from a process forked after this import get a pool of
        // their own (see `run`).
        crate::run::note_import();
        // Tests size their long inputs by it (an unoptimised build is
        // about ten times slower).
        m.add("_debug_build", cfg!(debug_assertions))?;
        // `ciblage.build_info()`: which build `make` installed.
        m.add(
            "__build__",
            if cfg!(debug_assertions) {
                "debug"
            } else {
                "release"
            },
        )?;
        m.add("__version__", env!("CARGO_PKG_VERSION"))
    }
}
