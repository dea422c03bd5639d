//! The training rows of the histogram splitter in node order: every node
//! is one range of positions, and each position holds its row's bin codes
//! (one per feature, side by side), weight and label. Splitting a node
//! moves its positions (left child first, each side in its former order),
//! so every pass over a node reads contiguous memory.

use crate::tree::cart::splitter::TrainSet;

pub(super) struct NodeRows {
    /// Features per row.
    d: usize,
    /// Bin codes, `codes[position * d + feature]`.
    pub(super) codes: Vec<u8>,
    /// Weight per position.
    pub(super) w: Vec<f64>,
    /// Target (regression) or class code (classification) per position.
    pub(super) label: Vec<f64>,
    codes_buf: Vec<u8>,
    w_buf: Vec<f64>,
    label_buf: Vec<f64>,
}

impl NodeRows {
    /// The rows of non-zero weight of `data`, in row order; `binned` holds
    /// every row's codes (row-major), reused when no row is dropped.
    pub(super) fn new(data: &TrainSet<'_>, binned: Vec<u8>) -> Self {
        let d = data.d;
        let label_of = |r: usize| match (data.classes, data.targets) {
            (Some(c), _) => f64::from(c[r]),
            (_, Some(t)) => t[r],
            _ => unreachable!("a target is set"),
        };
        let kept: Vec<usize> = (0..data.n).filter(|&r| data.weights[r] != 0.0).collect();
        let codes = if kept.len() == data.n {
            binned
        } else {
            kept.iter()
                .flat_map(|&r| binned[r * d..(r + 1) * d].iter().copied())
                .collect()
        };
        let m = kept.len();
        Self {
            d,
            codes_buf: vec![0; codes.len()],
            codes,
            w: kept.iter().map(|&r| data.weights[r]).collect(),
            label: kept.iter().map(|&r| label_of(r)).collect(),
            w_buf: vec![0.0; m],
            label_buf: vec![0.0; m],
        }
    }

    /// Number of positions (rows of non-zero weight).
    pub(super) fn len(&self) -> usize {
        self.w.len()
    }

    /// Codes of `features` at position `p`.
    #[inline]
    pub(super) fn codes_of(&self, p: usize, features: &std::ops::Range<usize>) -> &[u8] {
        &self.codes[p * self.d + features.start..p * self.d + features.end]
    }

    /// Moves the positions of `start..end` whose code of `feature` goes
    /// left to the front, each side keeping its order; returns the first
    /// position of the right side.
    pub(super) fn partition(
        &mut self,
        (start, end): (usize, usize),
        feature: usize,
        goes_left: impl Fn(u8) -> bool,
    ) -> usize {
        let d = self.d;
        let n_left = (start..end)
            .filter(|&p| goes_left(self.codes[p * d + feature]))
            .count();
        let (mut l, mut r) = (start, start + n_left);
        for p in start..end {
            let to = if goes_left(self.codes[p * d + feature]) {
                l += 1;
                l - 1
            } else {
                r += 1;
                r - 1
            };
            self.codes_buf[to * d..(to + 1) * d].copy_from_slice(&self.codes[p * d..(p + 1) * d]);
            self.w_buf[to] = self.w[p];
            self.label_buf[to] = self.label[p];
        }
        self.codes[start * d..end * d].copy_from_slice(&self.codes_buf[start * d..end * d]);
        self.w[start..end].copy_from_slice(&self.w_buf[start..end]);
        self.label[start..end].copy_from_slice(&self.label_buf[start..end]);
        start + n_left
    }
}
