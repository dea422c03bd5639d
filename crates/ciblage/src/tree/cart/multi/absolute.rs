//! The absolute error of several outputs: each output's weighted median
//! and absolute error, from the single-output criterion's ranked passes,
//! summed over outputs (scikit-learn's `MAE` with a 2-D `y`: the impurity
//! is the sum of the outputs' errors over `weight × outputs`).

use crate::tree::cart::exact::{median_error_of, AbsoluteScratch, Layout};
use crate::tree::cart::shared::data::TrainSet;

/// Per output, a training set whose target is that output, and the
/// errors of the prefixes and suffixes of the order searched last.
pub(crate) struct MedianOutputs<'a> {
    sets: Vec<TrainSet<'a>>,
    scratch: AbsoluteScratch,
    /// Σ over outputs of the error of the first `j + 1` samples …
    left: Vec<f64>,
    /// … and of the samples from `j` on.
    right: Vec<f64>,
}

impl<'a> MedianOutputs<'a> {
    /// The outputs `columns` (one target vector each) of `data`.
    pub(crate) fn new(data: &'a TrainSet<'a>, columns: &'a [Vec<f64>]) -> Self {
        let sets = columns
            .iter()
            .map(|col| TrainSet {
                x: data.x.reborrow(),
                n: data.n,
                d: data.d,
                classes: None,
                n_classes: 0,
                targets: Some(col),
                weights: data.weights.clone(),
                categorical: Vec::new(),
                interrupt: data.interrupt.clone(),
            })
            .collect();
        Self {
            sets,
            scratch: AbsoluteScratch::default(),
            left: Vec::new(),
            right: Vec::new(),
        }
    }

    /// Number of outputs.
    pub(crate) fn k(&self) -> f64 {
        self.sets.len() as f64
    }

    /// Each output's weighted median over `rows`, and the sum over
    /// outputs of their absolute errors.
    pub(crate) fn node(&self, rows: &[u32]) -> (Vec<f64>, f64) {
        let mut error = 0.0;
        let medians = self
            .sets
            .iter()
            .map(|set| {
                let (m, e) = median_error_of(set, rows.iter().copied());
                error += e;
                m
            })
            .collect();
        (medians, error)
    }

    /// The errors of every prefix and suffix of `order` (a node's samples
    /// in a feature's order), summed over outputs.
    pub(crate) fn passes(&mut self, order: &[u32]) {
        let n = order.len();
        self.left.clear();
        self.left.resize(n, 0.0);
        self.right.clear();
        self.right.resize(n, 0.0);
        let lay = Layout {
            start: 0,
            end_nm: n,
            n_missing: 0,
            missing_first: false,
        };
        for set in &self.sets {
            self.scratch.rank(set, order);
            self.scratch.passes(set, order, false, (&lay, n));
            for (l, e) in self.left.iter_mut().zip(&self.scratch.prefix) {
                *l += e;
            }
            for (r, e) in self.right.iter_mut().zip(&self.scratch.suffix) {
                *r += e;
            }
        }
    }

    /// Summed errors of the first `p` samples of the last order, and of
    /// the others.
    pub(crate) fn split_errors(&self, p: usize) -> (f64, f64) {
        (self.left[p - 1], self.right[p])
    }
}
