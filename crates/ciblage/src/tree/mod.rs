//! Segmentation trees.

pub mod chaid;
