//! Basket analysis: what is bought together.
//!
//! Order lines in long form (one row per order and product, see
//! [`OrderLines`]) are grouped into baskets and mined for frequent
//! itemsets and association rules.

mod lines;

pub use lines::OrderLines;
