//! The training rows of the histogram splitter in node order: every node
//! is one range of positions, and each position holds its row's bin codes
//! (one per feature, side by side, the row padded to a multiple of 8
//! bytes), weight and label. Splitting a node moves its positions (left
//! child first, each side in its former order), so every pass over a node
//! reads contiguous memory.

use crate::tree::cart::hist::bins::row_stride;
use crate::tree::cart::shared::data::TrainSet;

/// Copies the `N`-byte row `from` to row `to` of `codes` (a fixed size: a
/// few moves, no call).
#[inline]
fn copy_row<const N: usize>(codes: &mut [u8], from: usize, to: usize) {
    let row: [u8; N] = codes[from * N..from * N + N]
        .try_into()
        .expect("rows of N bytes");
    codes[to * N..to * N + N].copy_from_slice(&row);
}

/// Copies the `N`-byte row `from` of `codes` to row `to` of `buf`.
#[inline]
fn copy_row_out<const N: usize>(codes: &[u8], from: usize, buf: &mut [u8], to: usize) {
    let row: [u8; N] = codes[from * N..from * N + N]
        .try_into()
        .expect("rows of N bytes");
    buf[to * N..to * N + N].copy_from_slice(&row);
}

/// See the module documentation.
pub(crate) struct NodeRows {
    /// Bytes per row (the features, padded to a multiple of 8).
    d: usize,
    /// Bin codes, `codes[position * d + feature]`.
    pub(super) codes: Vec<u8>,
    /// Weight per position.
    pub(super) w: Vec<f64>,
    /// Target (regression) or class code (classification) per position.
    pub(super) label: Vec<f64>,
    /// Per position of the node being split, whether it goes left.
    sides: Vec<bool>,
    /// The smaller side of a partition, waiting.
    codes_buf: Vec<u8>,
    w_buf: Vec<f64>,
    label_buf: Vec<f64>,
}

impl NodeRows {
    /// The rows of non-zero weight of `data`, in row order; `binned` holds
    /// every row's codes (row-major, [`row_stride`] bytes per row), reused
    /// when no row is dropped.
    pub(crate) fn new(data: &TrainSet<'_>, binned: Vec<u8>) -> Self {
        let d = row_stride(data.d);
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
        Self {
            d,
            codes,
            w: kept.iter().map(|&r| data.weights[r]).collect(),
            label: kept.iter().map(|&r| label_of(r)).collect(),
            sides: Vec::new(),
            codes_buf: Vec::new(),
            w_buf: Vec::new(),
            label_buf: Vec::new(),
        }
    }

    /// A copy of the positions `start..end`, numbered from 0.
    pub(super) fn subset(&self, start: usize, end: usize) -> Self {
        let d = self.d;
        Self {
            d,
            codes: self.codes[start * d..end * d].to_vec(),
            w: self.w[start..end].to_vec(),
            label: self.label[start..end].to_vec(),
            sides: Vec::new(),
            codes_buf: Vec::new(),
            w_buf: Vec::new(),
            label_buf: Vec::new(),
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

    /// Code of `feature` at position `p`.
    #[inline]
    pub(super) fn code(&self, p: usize, feature: usize) -> u8 {
        self.codes[p * self.d + feature]
    }

    /// Moves the positions of `start..end` whose code of `feature` goes
    /// left to the front, each side keeping its order; returns the first
    /// position of the right side. The smaller side waits in the buffers
    /// (at most half the rows) while the larger one is moved in place.
    /// Branch-free: every row is copied, and only its side's cursor moves
    /// on (a row's side is unpredictable: a branch on it would mispredict
    /// half the time).
    pub(super) fn partition(
        &mut self,
        (start, end): (usize, usize),
        feature: usize,
        goes_left: impl Fn(u8) -> bool,
    ) -> usize {
        let d = self.d;
        let mut sides = std::mem::take(&mut self.sides);
        sides.clear();
        sides.extend((start..end).map(|p| goes_left(self.codes[p * d + feature])));
        let n_left = sides.iter().filter(|&&l| l).count();
        let n_right = end - start - n_left;
        let small_is_left = n_left <= n_right;
        let n_small = n_left.min(n_right);
        // One spare row takes the writes past the last one kept.
        self.codes_buf.resize((n_small + 1) * d, 0);
        self.w_buf.resize(n_small + 1, 0.0);
        self.label_buf.resize(n_small + 1, 0.0);
        let mut k = 0;
        for (p, &left) in (start..end).zip(&sides) {
            match d {
                8 => copy_row_out::<8>(&self.codes, p, &mut self.codes_buf, k),
                16 => copy_row_out::<16>(&self.codes, p, &mut self.codes_buf, k),
                24 => copy_row_out::<24>(&self.codes, p, &mut self.codes_buf, k),
                32 => copy_row_out::<32>(&self.codes, p, &mut self.codes_buf, k),
                _ => self.codes_buf[k * d..(k + 1) * d]
                    .copy_from_slice(&self.codes[p * d..(p + 1) * d]),
            }
            self.w_buf[k] = self.w[p];
            self.label_buf[k] = self.label[p];
            k += usize::from(left == small_is_left);
        }
        debug_assert_eq!(k, n_small);
        if small_is_left {
            // Right rows to the back, from the last. Every position from
            // the one read to the cursor holds a left row (buffered) or the
            // row read: writing there loses nothing.
            let mut to = end;
            for (p, &left) in (start..end).zip(&sides).rev() {
                self.move_row(p, to - 1);
                to -= usize::from(!left);
            }
            self.put_back(start, n_small);
        } else {
            // Left rows to the front, from the first (the cursor never
            // passes the row read).
            let mut to = start;
            for (p, &left) in (start..end).zip(&sides) {
                self.move_row(p, to);
                to += usize::from(left);
            }
            self.put_back(start + n_left, n_small);
        }
        self.sides = sides;
        start + n_left
    }

    /// Copies the row at position `from` to position `to`.
    #[inline]
    fn move_row(&mut self, from: usize, to: usize) {
        let d = self.d;
        match d {
            8 => copy_row::<8>(&mut self.codes, from, to),
            16 => copy_row::<16>(&mut self.codes, from, to),
            24 => copy_row::<24>(&mut self.codes, from, to),
            32 => copy_row::<32>(&mut self.codes, from, to),
            _ => self.codes.copy_within(from * d..(from + 1) * d, to * d),
        }
        self.w[to] = self.w[from];
        self.label[to] = self.label[from];
    }

    /// Copies the `n` buffered rows to positions `at..at + n`.
    fn put_back(&mut self, at: usize, n: usize) {
        let d = self.d;
        self.codes[at * d..(at + n) * d].copy_from_slice(&self.codes_buf[..n * d]);
        self.w[at..at + n].copy_from_slice(&self.w_buf[..n]);
        self.label[at..at + n].copy_from_slice(&self.label_buf[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// A partition keeps every row (codes, weight and label together),
        /// puts the rows going left first, each side in its former order,
        /// and leaves the positions outside the node alone; rows of 1 to 40
        /// features (padded strides 8 to 40: the fixed-size copies and the
        /// general one).
        #[test]
        fn partition_is_a_stable_split(
            (d, codes) in (1usize..41).prop_flat_map(|d| {
                (Just(d), prop::collection::vec(any::<u8>(), d..d * 60))
            }),
            (cut, feature_pick, range_pick) in (any::<u8>(), any::<usize>(), any::<(usize, usize)>()),
        ) {
            let n = codes.len() / d;
            let stride = row_stride(d);
            let mut binned = vec![0u8; n * stride];
            for r in 0..n {
                binned[r * stride..r * stride + d].copy_from_slice(&codes[r * d..(r + 1) * d]);
            }
            let x = ndarray::Array2::<f64>::zeros((n, d));
            let y: Vec<f64> = (0..n).map(|r| r as f64).collect();
            let data = TrainSet {
                x: x.view().into(),
                n,
                d,
                classes: None,
                n_classes: 0,
                targets: Some(&y),
                weights: (0..n).map(|r| 1.0 + r as f64).collect(),
                categorical: vec![false; d],
                interrupt: Default::default(),
            };
            let mut rows = NodeRows::new(&data, binned);
            let feature = feature_pick % d;
            let (a, b) = (range_pick.0 % (n + 1), range_pick.1 % (n + 1));
            let (start, end) = (a.min(b), a.max(b));
            let goes_left = |c: u8| c <= cut;
            let pos = rows.partition((start, end), feature, goes_left);
            let side = |r: usize| goes_left(codes[r * d + feature]);
            let expected: Vec<usize> = (0..start)
                .chain((start..end).filter(|&r| side(r)))
                .chain((start..end).filter(|&r| !side(r)))
                .chain(end..n)
                .collect();
            prop_assert_eq!(pos, start + (start..end).filter(|&r| side(r)).count());
            for (p, &r) in expected.iter().enumerate() {
                // The label is the row number; weight and codes follow it.
                prop_assert_eq!(rows.label[p], r as f64);
                prop_assert_eq!(rows.w[p], 1.0 + r as f64);
                prop_assert_eq!(rows.codes_of(p, &(0..d)), &codes[r * d..(r + 1) * d]);
            }
        }
    }
}
