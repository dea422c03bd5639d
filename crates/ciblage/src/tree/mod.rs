//! Segmentation trees.

pub mod cart;
pub mod chaid;
#[cfg(test)]
mod chaid_load_tests;
mod codes;
#[cfg(test)]
mod fuzz_tests;
mod inputs;
#[cfg(test)]
mod load_tests;
mod model_file;

pub use codes::small_int_codes;
pub use inputs::{
    check_class_codes, check_finite_target, check_sample_weight, check_target_sums,
    check_training_shape,
};
