//! Basket and affinity analysis: what is bought together, and which
//! products each segment loves.
//!
//! Order lines in long form (one row per order and product, see
//! [`OrderLines`]) are grouped into baskets and mined for frequent
//! itemsets by FP-growth ([`FpGrowth`], giving [`FrequentItemsets`]), from
//! which [`AssociationRules`] derives [`Rules`] with every standard measure
//! ([`Measures`]) and, on request, a p-value per rule.
//!
//! Affinity by segment ([`SegmentAffinity`]): each segment's penetration,
//! lift, revenue and margin shares per product, with a significance test,
//! and the "keep" report ([`Keep`]); next-best product per customer from
//! association rules ([`NextBest`]). Per-segment rule mining
//! ([`SegmentRules`]) builds every segment's baskets in one scan of the
//! order lines ([`SegmentBaskets`]) and mines the segments in parallel.

mod affinity;
mod affinity_keep;
mod affinity_lines;
#[cfg(test)]
mod affinity_tests;
mod candidates;
mod fpgrowth;
mod fpgrowth_tree;
mod itemsets;
mod lines;
mod next_best;
#[cfg(test)]
mod next_best_tests;
mod pvalue;
mod rules;
mod rules_measures;
mod segments;

pub use affinity::{
    AffinityCell, AffinityReport, AffinityTable, ProductTotals, SegmentAffinity,
    SegmentAffinityParams, SegmentAffinityValidParams, SegmentTotals,
};
pub use affinity_keep::{Keep, KeepParams, KeepReport, KeepRow, KeepValidParams};
pub use affinity_lines::AffinityLines;
pub use candidates::{
    Candidates, ItemsetCount, ItemsetCountParams, ItemsetCountValidParams, ItemsetCounts,
};
pub use fpgrowth::{FpGrowth, FpGrowthParams, FpGrowthValidParams, MinSupport};
pub use itemsets::{FrequentItemsets, ItemsetKind};
pub use lines::OrderLines;
pub use next_best::{
    CandidateRule, NextBest, NextBestParams, NextBestRank, NextBestTable, NextBestValidParams,
    PurchaseHistory, Recommendation,
};
pub use pvalue::{Correction, PValueTest};
pub use rules::{
    AssociationRules, AssociationRulesParams, AssociationRulesValidParams, Consequents, Rules,
};
pub use rules_measures::{Measures, Metric};
pub use segments::{
    SegmentBaskets, SegmentRules, SegmentRulesParams, SegmentRulesValidParams, SegmentedRules,
};

/// The Rust example of docs/basket_affinity.md, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../../../../docs/basket_affinity.md")]
pub struct AffinityDocDoctests;
