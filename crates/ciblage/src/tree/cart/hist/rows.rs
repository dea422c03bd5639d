//! The training rows of the histogram splitter in node order: every node
//! is one range of positions, and each position holds its row's bin codes
//! (one per feature, side by side, the row padded to a multiple of 8
//! bytes), weight and label. Splitting a node moves its positions (left
//! child first, each side in its former order), so every pass over a node
//! reads contiguous memory.

use crate::tree::cart::bins::row_stride;
use crate::tree::cart::splitter::TrainSet;

/// Copies the `N`-byte row `from` to row `to` of `codes` (a fixed size: a
/// few moves, no call).
#[inline]
fn copy_row<const N: usize>(codes: &mut [u8], from: usize, to: usize) {
    let row: [u8; N] = codes[from * N..from * N + N]
        .try_into()
        .expect("rows of N bytes");
    codes[to * N..to * N + N].copy_from_slice(&row);
}

/// Appends row `p` (`N` bytes) of `codes` to `buf`.
#[inline]
fn push_row<const N: usize>(codes: &[u8], p: usize, buf: &mut Vec<u8>) {
    let row: [u8; N] = codes[p * N..p * N + N].try_into().expect("rows of N bytes");
    buf.extend_from_slice(&row);
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
    pub(super) fn partition(
        &mut self,
        (start, end): (usize, usize),
        feature: usize,
        goes_left: impl Fn(u8) -> bool,
    ) -> usize {
        let d = self.d;
        let left = |rows: &Self, p: usize| goes_left(rows.codes[p * d + feature]);
        let n_left = (start..end).filter(|&p| left(self, p)).count();
        let n_right = end - start - n_left;
        let small_is_left = n_left <= n_right;
        let n_small = n_left.min(n_right);
        self.codes_buf.clear();
        self.w_buf.clear();
        self.label_buf.clear();
        for p in start..end {
            if left(self, p) == small_is_left {
                match d {
                    8 => push_row::<8>(&self.codes, p, &mut self.codes_buf),
                    16 => push_row::<16>(&self.codes, p, &mut self.codes_buf),
                    24 => push_row::<24>(&self.codes, p, &mut self.codes_buf),
                    32 => push_row::<32>(&self.codes, p, &mut self.codes_buf),
                    _ => self
                        .codes_buf
                        .extend_from_slice(&self.codes[p * d..(p + 1) * d]),
                }
                self.w_buf.push(self.w[p]);
                self.label_buf.push(self.label[p]);
            }
        }
        if small_is_left {
            // Right rows to the back, from the last (never overwriting a
            // row not yet moved), then the left rows in front.
            let mut to = end;
            for p in (start..end).rev() {
                if !left(self, p) {
                    to -= 1;
                    self.move_row(p, to);
                }
            }
            self.put_back(start, n_small);
        } else {
            let mut to = start;
            for p in start..end {
                if left(self, p) {
                    self.move_row(p, to);
                    to += 1;
                }
            }
            self.put_back(start + n_left, n_small);
        }
        start + n_left
    }

    /// Copies the row at position `from` to position `to`.
    fn move_row(&mut self, from: usize, to: usize) {
        if from != to {
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
    }

    /// Copies the `n` buffered rows to positions `at..at + n`.
    fn put_back(&mut self, at: usize, n: usize) {
        let d = self.d;
        self.codes[at * d..(at + n) * d].copy_from_slice(&self.codes_buf);
        self.w[at..at + n].copy_from_slice(&self.w_buf);
        self.label[at..at + n].copy_from_slice(&self.label_buf);
    }
}
