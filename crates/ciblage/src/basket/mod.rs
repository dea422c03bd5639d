//! Basket analysis: what is bought together.
//!
//! Order lines in long form (one row per order and product, see
//! [`OrderLines`]) are grouped into baskets and mined for frequent
//! itemsets by FP-growth ([`FpGrowth`], giving [`FrequentItemsets`]).

mod fpgrowth;
mod fpgrowth_tree;
mod itemsets;
mod lines;

pub use fpgrowth::{FpGrowth, FpGrowthParams, FpGrowthValidParams, MinSupport};
pub use itemsets::{FrequentItemsets, ItemsetKind};
pub use lines::OrderLines;
