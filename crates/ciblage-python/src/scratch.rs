//! Row buffers kept between calls: the core's ([`ciblage::arrow`]), which
//! its Arrow readers write into; `ciblage.release_buffers()` frees them.

use pyo3::prelude::*;

pub use ciblage::arrow::give_codes;

/// Frees the row buffers kept between calls; returns the bytes freed.
#[pyfunction]
pub fn release_buffers() -> usize {
    ciblage::arrow::release_buffers()
}
