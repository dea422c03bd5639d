//! # ciblage
//!
//! A customer-segmentation engine, from raw transactions: RFM/RFA scoring
//! ([`Rfm`]), value tiers, ABC classes and concentration ([`value`]),
//! retention, cohorts, survival, churn flags and migration ([`churn`]),
//! CART and CHAID segmentation trees ([`tree::cart`], [`tree::chaid`]), and
//! customer lifetime value: BG/NBD, Pareto/NBD and Gamma-Gamma ([`clv`]).
//! Lifecycle rules are in the `ciblage-lifecycle` crate; the Python package
//! wraps both.
//!
//! Customer ids (integer or string) are factorised once into dense codes
//! ([`CustomerIndex`]); transactions are aggregated per customer in one pass
//! ([`CustomerActivity`], mergeable for chunked or distributed input); RFM
//! scores are computed by [`Rfm`]. Every long computation takes an
//! [`Interrupt`] token from its parameter builder, which stops it and may
//! report its progress.
//!
//! ```
//! use ciblage::{Rfm, SyntheticTransactions};
//!
//! let data = SyntheticTransactions::params().customers(1_000).transactions(10_000).generate()?;
//! let scores = Rfm::params().bins(5).score(&data.to_transactions()?)?;
//! assert_eq!(scores.len(), 1_000);
//! for row in scores.segment_summary() {
//!     println!("{:<20} {:>5} customers {:>10.2} revenue", row.segment, row.customers, row.revenue);
//! }
//! # Ok::<(), ciblage::CiblageError>(())
//! ```
//!
//! # Data in and out
//!
//! Columnar tables are [`Transactions`], built from slices or, with the
//! default cargo feature `arrow`, from Arrow record batches
//! ([`Transactions::from_record_batch`], the same checks and errors as the
//! Python binding; see [`arrow`]). Dates are [`chrono::NaiveDate`],
//! instants `i64` µs since 1970 UTC as columns only (see [`time`]); matrices
//! are [`ndarray`] arrays. The crates whose types you name are re-exported:
//! depend on `ciblage` alone and write `ciblage::ndarray::Array2`,
//! `ciblage::chrono::NaiveDate`, `ciblage::arrow_array::RecordBatch`, so
//! that another version of them in your own dependencies (an `ndarray`
//! 0.16, say) does not clash with ours.
//!
//! ```
//! use ciblage::chrono::NaiveDate;
//! use ciblage::churn::{CohortMeasure, Retention};
//! use ciblage::ndarray::Array2;
//! use ciblage::SyntheticTransactions;
//!
//! let tx = SyntheticTransactions::params().customers(200).transactions(2_000).generate()?
//!     .to_transactions()?;
//! let as_of = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
//! let cohorts: Array2<f64> = Retention::params().as_of(as_of).score(&tx)?
//!     .cohort_matrix(CohortMeasure::Classic, true);
//! assert!(cohorts.nrows() >= 1);
//! # Ok::<(), ciblage::CiblageError>(())
//! ```

pub mod activity;
#[cfg(feature = "arrow")]
pub mod arrow;
pub mod basket;
pub mod churn;
pub mod cluster;
pub mod clv;
pub mod customers;
pub mod error;
pub mod exact_sum;
pub mod instants;
pub mod interrupt;
pub mod partial_state;
mod prefetch;
pub mod rfm;
pub mod synth;
#[cfg(test)]
mod testing;
pub mod time;
pub mod transactions;
pub mod tree;
pub mod value;

pub use activity::{
    ActivityAccumulator, ActivityOptions, CustomerActivity, ExactTotals, InputReport, RowChunk,
};
pub use customers::{CustomerId, CustomerIds, CustomerIndex, StringIds};
pub use error::{CiblageError, Result};
pub use instants::Instants;
pub use interrupt::Interrupt;
pub use rfm::{
    Binning, Criterion, CriterionReport, FrequencyMeasure, MonetaryMeasure, Rfm, RfmParams,
    RfmScores, RfmValidParams, RfmVariant, ScoreRange, SegmentCoverage, SegmentRule,
    SegmentSummary, SegmentTable,
};
pub use synth::{IdKind, SyntheticParams, SyntheticTransactions, SyntheticValidParams};
pub use time::Zone;
pub use transactions::{NegativeAmounts, TransactionView, Transactions};

/// The `ndarray` crate this one is built on: matrix inputs are
/// `ndarray::ArrayView2<f64>` and matrix outputs `ndarray::Array2`. Name its
/// types as `ciblage::ndarray::…` so that a different `ndarray` version in
/// your own dependencies does not clash with ours.
pub use ndarray;

/// The `chrono` crate of the dates in signatures and results
/// (`ciblage::chrono::NaiveDate`).
pub use chrono;

/// The `arrow-array` crate whose [`arrow_array::RecordBatch`] the core reads
/// ([`Transactions::from_record_batch`]); feature `arrow`.
#[cfg(feature = "arrow")]
pub use arrow_array;

/// The `arrow-schema` crate of the schemas and types the Arrow readers
/// check; feature `arrow`.
#[cfg(feature = "arrow")]
pub use arrow_schema;

/// The Rust example of docs/churn.md, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/churn.md")]
pub struct ChurnDocDoctests;

/// The Rust example of docs/cluster.md, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/cluster.md")]
pub struct ClusterDocDoctests;

/// The README's Rust example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;

/// The crate's own README (the one published with it), run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct CrateReadmeDoctests;
