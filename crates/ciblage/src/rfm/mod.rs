//! RFM and RFA: recency, frequency and monetary value (or average amount)
//! per customer, scored into `k` classes and named by a segment table.
//!
//! The pipeline: transactions → [`crate::CustomerActivity`] (one pass) →
//! values per customer → classes per criterion ([`Binning`]) → cell code,
//! sum, weighted score → segment ([`SegmentTable`], first match wins).
//! See `docs/rfm.md` for the definitions and how they map to R `rfm`,
//! `lifetimes` and pymc-marketing.

mod binning;
mod fit;
mod order_stats;
mod params;
mod scores;
mod segments;
mod summary;

pub use binning::Binning;
pub use params::{FrequencyMeasure, MonetaryMeasure, Rfm, RfmParams, RfmValidParams, RfmVariant};
pub use scores::RfmScores;
pub use segments::{ScoreRange, SegmentCoverage, SegmentRule, SegmentTable};
pub use summary::{Criterion, CriterionReport, SegmentSummary};
