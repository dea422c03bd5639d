//! Basket and affinity analysis from order lines.
//!
//! Affinity by segment ([`SegmentAffinity`]): each segment's penetration,
//! lift, revenue and margin shares per product, with a significance test,
//! and the "keep" report ([`Keep`]); next-best product per customer from
//! association rules ([`NextBest`]).

mod affinity;
mod affinity_keep;
mod affinity_lines;
mod affinity_stats;
#[cfg(test)]
mod affinity_tests;
mod next_best;
#[cfg(test)]
mod next_best_tests;

pub use affinity::{
    AffinityCell, AffinityReport, AffinityTable, ProductTotals, SegmentAffinity,
    SegmentAffinityParams, SegmentAffinityValidParams, SegmentTotals,
};
pub use affinity_keep::{Keep, KeepParams, KeepReport, KeepRow, KeepValidParams};
pub use affinity_lines::AffinityLines;
pub use affinity_stats::Correction;
pub use next_best::{
    CandidateRule, NextBest, NextBestParams, NextBestRank, NextBestTable, NextBestValidParams,
    PurchaseHistory, Recommendation,
};

/// The Rust example of docs/basket_affinity.md, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../../../../docs/basket_affinity.md")]
pub struct AffinityDocDoctests;
