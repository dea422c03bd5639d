//! The sparse exact splitter's stored entries: per feature, the non-zero
//! values of the rows taking part, sorted once at the root by value then
//! row; every node holds, for each feature with entries among its rows,
//! one range of them (its [`Span`]), still sorted. A split partitions each
//! such range into its left then right entries, each side in order, so no
//! node sorts again and a node's cost is its stored entries, not its rows
//! × features.

use rayon::prelude::*;

use crate::tree::cart::sparse::{Compressed, SparseIndex};

/// The entries of one feature in one node: positions `start..start + len`
/// of [`Entries`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub start: usize,
    pub feature: u32,
    pub len: u32,
}

impl Span {
    /// The positions of its entries.
    #[inline]
    pub fn range(&self) -> std::ops::Range<usize> {
        self.start..self.start + self.len as usize
    }
}

/// Every feature's sorted entries, one block per feature (see the module
/// documentation).
#[derive(Debug, Default)]
pub(crate) struct Entries {
    /// Row of each entry.
    pub rows: Vec<u32>,
    /// Value of each entry as f32 (never +0.0: zeros, explicit or rounded
    /// to 0 in f32, are implicit here; -0.0 is kept, before the zeros, as
    /// the dense sort places it).
    pub vals: Vec<f32>,
    /// The right side of a range being partitioned.
    buf_rows: Vec<u32>,
    buf_vals: Vec<f32>,
}

/// The entries (value as f32, row) of column `f` of `x` (CSC) whose row
/// takes part (`taking_part[row]`) and whose value is not +0.0 in f32,
/// sorted by value (the order of `f32::total_cmp`), ties by row.
fn sorted_column(x: &Compressed<'_>, f: usize, taking_part: &[bool], out: &mut Vec<(f32, u32)>) {
    out.clear();
    let range = x.range(f);
    let data = &x.data[range.clone()];
    let mut take = |r: usize, v: f64| {
        let key = v as f32;
        if key.to_bits() != 0 && taking_part[r] {
            out.push((key, r as u32));
        }
    };
    match x.indices {
        SparseIndex::I32(s) => s[range]
            .iter()
            .zip(data)
            .for_each(|(&r, &v)| take(r as usize, v)),
        SparseIndex::I64(s) => s[range]
            .iter()
            .zip(data)
            .for_each(|(&r, &v)| take(r as usize, v)),
    }
    // Rows ascend within a column: a stable sort keeps ties by row.
    radsort::sort_by_key(out, |e| e.0);
}

impl Entries {
    /// The sorted entries of every feature of `x` (CSC, without NaN) for
    /// the rows flagged in `taking_part`, sorted on all threads, and the
    /// root's spans (features without entries have none).
    pub(crate) fn at_root(x: &Compressed<'_>, taking_part: &[bool]) -> (Self, Vec<Span>) {
        let d = x.n_major;
        // Counts first, so that every feature sorts into its own block.
        let counts: Vec<usize> = (0..d)
            .into_par_iter()
            .map(|f| {
                let range = x.range(f);
                let data = &x.data[range.clone()];
                (0..range.len())
                    .filter(|&k| {
                        (data[k] as f32).to_bits() != 0 && taking_part[x.minor_at(range.start + k)]
                    })
                    .count()
            })
            .collect();
        let total: usize = counts.iter().sum();
        let mut rows = vec![0u32; total];
        let mut vals = vec![0.0f32; total];
        let mut blocks = Vec::with_capacity(d);
        let (mut rest_rows, mut rest_vals) = (&mut rows[..], &mut vals[..]);
        for (f, &c) in counts.iter().enumerate() {
            let (r, tail_r) = rest_rows.split_at_mut(c);
            let (v, tail_v) = rest_vals.split_at_mut(c);
            blocks.push((f, r, v));
            (rest_rows, rest_vals) = (tail_r, tail_v);
        }
        blocks
            .into_par_iter()
            .for_each_init(Vec::new, |keyed, (f, r, v)| {
                sorted_column(x, f, taking_part, keyed);
                for (k, &(val, row)) in keyed.iter().enumerate() {
                    r[k] = row;
                    v[k] = val;
                }
            });
        let mut spans = Vec::new();
        let mut start = 0;
        for (f, &c) in counts.iter().enumerate() {
            if c > 0 {
                spans.push(Span {
                    start,
                    feature: f as u32,
                    len: c as u32,
                });
            }
            start += c;
        }
        let longest = counts.iter().copied().max().unwrap_or(0);
        let entries = Self {
            rows,
            vals,
            buf_rows: vec![0; longest],
            buf_vals: vec![0.0; longest],
        };
        (entries, spans)
    }

    /// Partitions the entries of every span of a node into those whose
    /// row goes left (`goes_left`) then the others, each side keeping its
    /// order; pushes the children's spans (those with entries) to `left`
    /// and `right`.
    pub(crate) fn partition(
        &mut self,
        spans: &[Span],
        goes_left: &[bool],
        (left, right): (&mut Vec<Span>, &mut Vec<Span>),
    ) {
        for s in spans {
            let range = s.range();
            let (rows, vals) = (&mut self.rows[range.clone()], &mut self.vals[range]);
            // Left entries move forward in place (never past one not yet
            // read), the others wait in the buffers, then follow.
            // Branch-free: each entry is written to both places, and only
            // its side's cursor moves on.
            let (mut l, mut r) = (0, 0);
            for k in 0..rows.len() {
                let (row, v) = (rows[k], vals[k]);
                let go = usize::from(goes_left[row as usize]);
                rows[l] = row;
                vals[l] = v;
                self.buf_rows[r] = row;
                self.buf_vals[r] = v;
                l += go;
                r += 1 - go;
            }
            rows[l..].copy_from_slice(&self.buf_rows[..r]);
            vals[l..].copy_from_slice(&self.buf_vals[..r]);
            if l > 0 {
                left.push(Span {
                    start: s.start,
                    feature: s.feature,
                    len: l as u32,
                });
            }
            if r > 0 {
                right.push(Span {
                    start: s.start + l,
                    feature: s.feature,
                    len: r as u32,
                });
            }
        }
    }
}

impl Compressed<'_> {
    /// The minor index (row of a CSC matrix) of entry `k`.
    #[inline]
    pub(crate) fn minor_at(&self, k: usize) -> usize {
        self.indices.at(k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::cart::sparse::CscView;

    #[test]
    fn entries_are_sorted_per_feature_and_partitioned_in_order() {
        // 6 rows × 2 features; feature 0: rows 0..6 hold 3, -1, 0 (explicit),
        // 2, 1e-50 (0 in f32), -1; feature 1 is empty. Row 4 takes no part.
        let indptr = [0i64, 6, 6];
        let indices = [0i64, 1, 2, 3, 4, 5];
        let data = [3.0, -1.0, 0.0, 2.0, 1e-50, -1.0];
        let x = CscView::new(6, 2, &indptr[..], &indices[..], &data).unwrap();
        let mut taking_part = vec![true; 6];
        taking_part[3] = false;
        let (mut e, spans) = Entries::at_root(&x.0, &taking_part);
        // Row 3 (2.0) takes no part; 0 and 1e-50 are implicit zeros.
        assert_eq!(e.vals, [-1.0, -1.0, 3.0]);
        assert_eq!(e.rows, [1, 5, 0]);
        assert_eq!(
            spans,
            [Span {
                start: 0,
                feature: 0,
                len: 3
            }]
        );
        // Rows 0 and 5 go left: each side keeps its order.
        let mut goes_left = vec![false; 6];
        goes_left[0] = true;
        goes_left[5] = true;
        let (mut left, mut right) = (Vec::new(), Vec::new());
        e.partition(&spans, &goes_left, (&mut left, &mut right));
        assert_eq!(e.rows, [5, 0, 1]);
        assert_eq!(e.vals, [-1.0, 3.0, -1.0]);
        assert_eq!(
            left,
            [Span {
                start: 0,
                feature: 0,
                len: 2
            }]
        );
        assert_eq!(
            right,
            [Span {
                start: 2,
                feature: 0,
                len: 1
            }]
        );
    }
}
