//! Segmentation trees.

pub mod cart;
pub mod chaid;
mod codes;

pub use codes::small_int_codes;
