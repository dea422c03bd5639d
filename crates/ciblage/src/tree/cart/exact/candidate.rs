//! What the exact search keeps while it reads a node: the order in which
//! it reads a feature's samples, and the best split found so far.

/// The order in which a split search reads a node's samples for the
/// current feature: its sorted list, with the samples missing the feature
/// (NaN, kept last in the list) read last, or first when the search sends
/// them left (scikit-learn's two passes).
#[derive(Clone, Copy)]
pub(crate) struct Layout {
    pub start: usize,
    pub end_nm: usize,
    pub n_missing: usize,
    pub missing_first: bool,
}

impl Layout {
    /// Index in the sorted list of the sample read at position `q`.
    #[inline]
    pub(crate) fn at(&self, q: usize) -> usize {
        if !self.missing_first {
            q
        } else if q < self.start + self.n_missing {
            self.end_nm + (q - self.start)
        } else {
            q - self.n_missing
        }
    }
}

/// The best split found so far in a node.
pub(crate) struct Best {
    pub proxy: f64,
    pub feature: usize,
    pub threshold: f64,
    pub missing_left: bool,
    /// Categorical split: the categories going left and right.
    pub categories: Option<(Vec<u32>, Vec<u32>)>,
}
