//! The rows a k-means fit reads, the fixed chunks they are worked in, and
//! the squared distance of a row to a centre.

/// Rows per chunk of parallel work (fixed: results do not depend on threads).
pub(crate) const CHUNK: usize = 4096;

/// Rows of prepared data, row-major, with optional weights.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Data<'a> {
    /// `n × d` values, row-major.
    pub x: &'a [f64],
    /// Rows.
    pub n: usize,
    /// Columns.
    pub d: usize,
    /// One weight per row (`None`: 1).
    pub w: Option<&'a [f64]>,
}

impl Data<'_> {
    /// Row `i`.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.x[i * self.d..(i + 1) * self.d]
    }
    /// Weight of row `i`.
    pub fn weight(&self, i: usize) -> f64 {
        self.w.map_or(1.0, |w| w[i])
    }
}

/// Squared Euclidean distance.
#[inline]
pub(crate) fn sq_dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}
