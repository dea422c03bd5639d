//! Segmentation trees.

pub mod cart;
pub mod chaid;
