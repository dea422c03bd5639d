//! Segmentation trees: CART and CHAID, and the layer they share — rules
//! as one condition type rendered as text and SQL ([`Condition`]), leaf
//! tables ([`LeafRow`]), drawings ([`Drawing`]) and versioned model files.

pub mod cart;
pub mod chaid;
#[cfg(test)]
mod chaid_load_tests;
mod codes;
mod condition;
mod drawing;
#[cfg(test)]
mod fuzz_tests;
mod gains;
mod inputs;
#[cfg(test)]
mod load_tests;
mod merge;
pub(crate) mod model_file;
mod rules;
mod sql;
mod task;

pub use codes::small_int_codes;
pub use drawing::{p_value_text, DrawEdge, DrawNode, Drawing, EdgeLabel, SMALLEST_SHOWN_P};
pub use gains::{leaf_table, LeafOrder, LeafRow, LeafSource, Outcome};
pub use inputs::{
    check_class_codes, check_finite_target, check_sample_weight, check_target_sums,
    check_training_shape,
};
pub use merge::merge_conditions;
pub use rules::{
    indented_text, join_text, rule_path, text_rules, Category, Condition, Missing, RuleTree, Test,
};
pub use sql::{sql_rules, sql_where};
pub use task::{AnyTask, Classification, Regression, TreeTask};
