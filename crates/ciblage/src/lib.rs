//! # ciblage
//!
//! A customer-segmentation engine: RFM/RFA scoring from raw transactions,
//! with value tiers, churn, CHAID and CART trees to come on the same
//! foundations.
//!
//! Customer ids (integer or string) are factorised once into dense codes
//! ([`CustomerIndex`]); transactions are aggregated per customer in one pass
//! ([`CustomerActivity`], mergeable for chunked or distributed input); RFM
//! scores are computed by [`Rfm`].
//!
//! ```
//! use ciblage::{Rfm, SyntheticTransactions};
//!
//! let data = SyntheticTransactions::params().customers(1_000).transactions(10_000).generate()?;
//! let scores = Rfm::params().bins(5).fit(&data.to_transactions()?)?;
//! assert_eq!(scores.len(), 1_000);
//! for row in scores.segment_summary() {
//!     println!("{:<20} {:>5} customers {:>10.2} revenue", row.segment, row.customers, row.revenue);
//! }
//! # Ok::<(), ciblage::CiblageError>(())
//! ```

pub mod activity;
pub mod churn;
pub mod clv;
pub mod customers;
pub mod error;
pub mod interrupt;
mod prefetch;
pub mod rfm;
pub mod synth;
#[cfg(test)]
mod testing;
pub mod time;
pub mod transactions;
pub mod tree;
pub mod value;

pub use activity::{ActivityAccumulator, ActivityOptions, CustomerActivity, InputReport, RowChunk};
pub use customers::{CustomerId, CustomerIds, CustomerIndex, StringIds};
pub use error::{CiblageError, Result};
pub use interrupt::Interrupt;
pub use rfm::{
    Binning, Criterion, CriterionReport, FrequencyMeasure, MonetaryMeasure, Rfm, RfmParams,
    RfmScores, RfmValidParams, RfmVariant, ScoreRange, SegmentCoverage, SegmentRule,
    SegmentSummary, SegmentTable,
};
pub use synth::{IdKind, SyntheticParams, SyntheticTransactions};
pub use time::Zone;
pub use transactions::{NegativeAmounts, TransactionView, Transactions};

/// The README's Rust example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
