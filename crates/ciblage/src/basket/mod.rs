//! Basket analysis: what is bought together.
//!
//! Order lines in long form (one row per order and product, see
//! [`OrderLines`]) are grouped into baskets and mined for frequent
//! itemsets by FP-growth ([`FpGrowth`], giving [`FrequentItemsets`]), from
//! which [`AssociationRules`] derives [`Rules`] with every standard measure
//! ([`Measures`]) and, on request, a p-value per rule.

mod fpgrowth;
mod fpgrowth_tree;
mod itemsets;
mod lines;
mod pvalue;
mod rules;
mod rules_measures;

pub use fpgrowth::{FpGrowth, FpGrowthParams, FpGrowthValidParams, MinSupport};
pub use itemsets::{FrequentItemsets, ItemsetKind};
pub use lines::OrderLines;
pub use pvalue::{Correction, PValueTest};
pub use rules::{
    AssociationRules, AssociationRulesParams, AssociationRulesValidParams, Consequents, Rules,
};
pub use rules_measures::{Measures, Metric};
