//! The features as the random splitter reads them, converted once to f32
//! (as scikit-learn reads them): a dense matrix as one contiguous column
//! per feature, in the splitter's node order (reordered with each split),
//! a sparse one as rows (CSR) whose entries are sorted into
//! one bucket per feature at each node searched, so that a feature costs
//! its stored entries in the node and never the node's size.

use ndarray::ArrayView2;

use super::partition::{Keep, Mask};
use crate::tree::cart::shared::data::Columns;
use crate::tree::cart::sparse::DenseValue;

/// Rows of this many samples are transposed together (their values of
/// every feature), the columns written in runs.
const BLOCK: usize = 64;

/// A node's smallest and largest value of a feature and its number of
/// missing values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Range {
    pub lo: f32,
    pub hi: f32,
    pub n_missing: usize,
}

/// The smallest and largest non-missing value of `values` and the number
/// of missing (NaN) ones: comparisons in eight lanes (a NaN compares
/// false, so it never becomes a bound), vectorised by the compiler.
pub(super) fn range_of(values: &[f32]) -> Range {
    const L: usize = 8;
    let (mut lo, mut hi, mut nan) = ([f32::INFINITY; L], [f32::NEG_INFINITY; L], [0u32; L]);
    let chunks = values.chunks_exact(L);
    let rest = chunks.remainder();
    for c in chunks {
        for j in 0..L {
            let v = c[j];
            lo[j] = if v < lo[j] { v } else { lo[j] };
            hi[j] = if v > hi[j] { v } else { hi[j] };
            nan[j] += u32::from(v.is_nan());
        }
    }
    for (j, &v) in rest.iter().enumerate() {
        lo[j] = if v < lo[j] { v } else { lo[j] };
        hi[j] = if v > hi[j] { v } else { hi[j] };
        nan[j] += u32::from(v.is_nan());
    }
    Range {
        lo: lo
            .iter()
            .fold(f32::INFINITY, |a, &b| if b < a { b } else { a }),
        hi: hi
            .iter()
            .fold(f32::NEG_INFINITY, |a, &b| if b > a { b } else { a }),
        n_missing: nan.iter().map(|&k| k as usize).sum(),
    }
}

/// The features of the training samples, as f32.
pub(super) enum NodeFeatures {
    /// Column `f` at `cols[f * n..(f + 1) * n]`, indexed by position in
    /// the splitter's samples (`n` of them), partitioned with them: a
    /// node's values of a feature are contiguous.
    Dense { cols: Vec<f32>, n: usize },
    /// The rows, and the buckets of the node last searched.
    Sparse(SparseRows),
}

impl NodeFeatures {
    /// The features of `x`, converted to f32 (NaN stays NaN: missing);
    /// dense columns hold the rows `samples` (ascending), in their order.
    pub(super) fn new(x: &Columns<'_>, samples: &[u32]) -> Self {
        match x {
            Columns::Dense(x) => Self::from_dense(x, samples),
            Columns::Dense32(x) => Self::from_dense(x, samples),
            Columns::Sparse(_) => Self::Sparse(SparseRows::new(x)),
        }
    }

    /// The dense columns of `x` holding the rows `samples` (ascending).
    fn from_dense<T: DenseValue>(x: &ArrayView2<'_, T>, samples: &[u32]) -> Self {
        let n = x.nrows();
        let mut cols = columns_f32(x);
        if samples.len() < n {
            // Rows of zero weight take no part: left out, the others
            // moved up (a row never moves after itself).
            let m = samples.len();
            for f in 0..x.ncols() {
                for (p, &s) in samples.iter().enumerate() {
                    cols[f * m + p] = cols[f * n + s as usize];
                }
            }
            cols.truncate(m * x.ncols());
        }
        Self::Dense {
            cols,
            n: samples.len(),
        }
    }

    /// The values of dense feature `f` at positions `start..end`.
    #[inline]
    pub(super) fn dense(&self, f: usize, (start, end): (usize, usize)) -> Option<&[f32]> {
        match self {
            Self::Dense { cols, n } => Some(&cols[f * n + start..f * n + end]),
            Self::Sparse(_) => None,
        }
    }

    /// Moves the positions `start..start + mask.len()` of every dense
    /// column but those of `skip` (features constant there: never read
    /// again below) as the samples were moved: those whose `mask` is 1
    /// first (`n_left` of them), each side in its order. Only the sides
    /// `keep` (left, right) get their values; the other side's positions
    /// are left as they happen to be (never read again).
    pub(super) fn partition(
        &mut self,
        start: usize,
        (mask, n_left): (&Mask, usize),
        keep: Keep,
        skip: &[bool],
        scratch: &mut Vec<u32>,
    ) {
        let Self::Dense { cols, n } = self else {
            return;
        };
        if keep == (false, false) {
            return;
        }
        let k = mask.bytes.len();
        for (f, col) in cols.chunks_exact_mut(*n).enumerate() {
            if skip[f] {
                continue;
            }
            let l = mask.part_f32(&mut col[start..start + k], keep, scratch);
            debug_assert_eq!(l, n_left);
        }
    }
}

/// The columns of `x` as f32, one after the other.
fn columns_f32<T: DenseValue>(x: &ArrayView2<'_, T>) -> Vec<f32> {
    let (n, d) = x.dim();
    let mut cols = vec![0.0f32; n * d];
    if n == 0 || d == 0 {
        return cols;
    }
    if x.columns().into_iter().all(|c| c.as_slice().is_some()) {
        // A column-major (Fortran) matrix: each column is contiguous.
        for (col, src) in cols.chunks_exact_mut(n).zip(x.columns()) {
            for (o, &v) in col.iter_mut().zip(src.iter()) {
                *o = v.to_f32();
            }
        }
        return cols;
    }
    // Row-major (or strided): blocks of rows, each block's values of a
    // feature written as one run.
    for r0 in (0..n).step_by(BLOCK) {
        let r1 = (r0 + BLOCK).min(n);
        let block = x.slice(ndarray::s![r0..r1, ..]);
        for (col, src) in cols.chunks_exact_mut(n).zip(block.columns()) {
            for (o, &v) in col[r0..r1].iter_mut().zip(src.iter()) {
                *o = v.to_f32();
            }
        }
    }
    cols
}

/// A sparse matrix by rows (its stored entries, as f32), and the buckets
/// of the node last searched: its entries sorted by feature, each with the
/// sample's position in the node.
pub(super) struct SparseRows {
    d: usize,
    /// Row `r`'s entries at `indptr[r]..indptr[r + 1]`.
    indptr: Vec<usize>,
    features: Vec<u32>,
    values: Vec<f32>,
    /// Feature `f`'s entries in the node at `offsets[f]..offsets[f + 1]`
    /// of `at` / `vals`.
    offsets: Vec<u32>,
    /// Position in the node of each entry's sample.
    at: Vec<u32>,
    vals: Vec<f32>,
}

impl SparseRows {
    fn new(x: &Columns<'_>) -> Self {
        let (n, d) = (x.nrows(), x.ncols());
        let Columns::Sparse(c) = x else {
            unreachable!("sparse columns")
        };
        let mut indptr = vec![0usize; n + 1];
        for f in 0..d {
            c.for_each(f, |r, _| indptr[r + 1] += 1);
        }
        for r in 0..n {
            indptr[r + 1] += indptr[r];
        }
        let nnz = indptr[n];
        let mut next = indptr.clone();
        let (mut features, mut values) = (vec![0u32; nnz], vec![0.0f32; nnz]);
        // Features in ascending order: each row's entries ascend.
        for f in 0..d {
            c.for_each(f, |r, v| {
                features[next[r]] = f as u32;
                values[next[r]] = v as f32;
                next[r] += 1;
            });
        }
        Self {
            d,
            indptr,
            features,
            values,
            offsets: vec![0; d + 1],
            at: Vec::new(),
            vals: Vec::new(),
        }
    }

    /// Sorts the entries of the node holding `rows` into one bucket per
    /// feature (each bucket in the rows' order).
    pub(super) fn bucket(&mut self, rows: &[u32]) {
        let offsets = &mut self.offsets;
        offsets.fill(0);
        for &r in rows {
            let r = r as usize;
            for &f in &self.features[self.indptr[r]..self.indptr[r + 1]] {
                offsets[f as usize + 1] += 1;
            }
        }
        for f in 0..self.d {
            offsets[f + 1] += offsets[f];
        }
        let total = offsets[self.d] as usize;
        self.at.resize(total, 0);
        self.vals.resize(total, 0.0);
        // Filled from the back, each bucket's last entry first: the
        // offsets end up at the buckets' starts.
        for (i, &r) in rows.iter().enumerate().rev() {
            let e = self.indptr[r as usize]..self.indptr[r as usize + 1];
            for (&f, &v) in self.features[e.clone()].iter().zip(&self.values[e]).rev() {
                let k = &mut offsets[f as usize + 1];
                *k -= 1;
                self.at[*k as usize] = i as u32;
                self.vals[*k as usize] = v;
            }
        }
        // Bucket f now starts at offsets[f + 1]: shift them down.
        offsets.copy_within(1.., 0);
        offsets[self.d] = total as u32;
    }

    /// Feature `f`'s entries in the node last bucketed: the positions of
    /// their samples in the node, and their values.
    #[inline]
    pub(super) fn entries(&self, f: usize) -> (&[u32], &[f32]) {
        let r = self.offsets[f] as usize..self.offsets[f + 1] as usize;
        (&self.at[r.clone()], &self.vals[r])
    }
}

#[cfg(test)]
mod tests {
    use super::super::partition::Isa;
    use super::*;
    use crate::tree::cart::sparse::CscView;
    use ndarray::Array2;

    #[test]
    fn a_range_skips_missing_values_and_counts_them() {
        // 19 values (two chunks of eight and three more), NaN in each part.
        let mut v: Vec<f32> = (0..19).map(|i| (i as f32 - 7.0) * 0.5).collect();
        v[3] = f32::NAN;
        v[17] = f32::NAN;
        // Without 3 and 17: smallest (0 - 7)/2 = -3.5, largest (18 - 7)/2.
        let r = range_of(&v);
        assert_eq!(
            r,
            Range {
                lo: -3.5,
                hi: 5.5,
                n_missing: 2
            }
        );
        let all_missing = range_of(&[f32::NAN; 3]);
        assert_eq!(all_missing.n_missing, 3);
        assert!(all_missing.lo > all_missing.hi);
    }

    #[test]
    fn columns_are_the_same_from_either_layout() {
        let x = Array2::from_shape_fn((130, 3), |(r, c)| (r * 3 + c) as f64 + 0.1);
        let fortran = x.t().as_standard_layout().into_owned().reversed_axes();
        assert!(fortran.column(0).as_slice().is_some());
        let a = columns_f32(&x.view());
        let b = columns_f32(&fortran.view());
        assert_eq!(a, b);
        // Column 2, row 129: 129 · 3 + 2 + 0.1, as f32.
        assert_eq!(a[2 * 130 + 129], 389.1f32);
    }

    #[test]
    fn dense_columns_hold_the_samples_taking_part_and_follow_their_order() {
        // 5 rows × 2; rows 1 and 3 take no part: positions 0, 1, 2 hold
        // rows 0, 2, 4 (row r, column c holds 10·r + c).
        let x = Array2::from_shape_fn((5, 2), |(r, c)| (10 * r + c) as f64);
        let mut f = NodeFeatures::new(&Columns::Dense(x.view()), &[0, 2, 4]);
        assert_eq!(f.dense(0, (0, 3)), Some(&[0.0f32, 20.0, 40.0][..]));
        assert_eq!(f.dense(1, (0, 3)), Some(&[1.0f32, 21.0, 41.0][..]));
        // Positions 1..3: position 2 goes left (mask 0, 1), in column 0
        // only (column 1 skipped as constant).
        let mut scratch = Vec::new();
        f.partition(
            1,
            (&Mask::of(Isa::detect(), &[0, 1]), 1),
            (true, true),
            &[false, true],
            &mut scratch,
        );
        assert_eq!(f.dense(0, (0, 3)), Some(&[0.0f32, 40.0, 20.0][..]));
        assert_eq!(f.dense(1, (0, 3)), Some(&[1.0f32, 21.0, 41.0][..]));
        // The whole node 0..3, positions 0 and 2 going left, the right
        // child (position 1's value) never split: column 0 then holds 0,
        // 20 (left) and its old 20 (not written).
        f.partition(
            0,
            (&Mask::of(Isa::detect(), &[1, 0, 1]), 2),
            (true, false),
            &[false, false],
            &mut scratch,
        );
        assert_eq!(f.dense(0, (0, 2)), Some(&[0.0f32, 20.0][..]));
        assert_eq!(f.dense(1, (0, 2)), Some(&[1.0f32, 41.0][..]));
        // Column 0 now 0, 20, 20; the right child only, position 1 going
        // left: the right run (0, 20, in order) lands at 1..3.
        f.partition(
            0,
            (&Mask::of(Isa::detect(), &[0, 1, 0]), 1),
            (false, true),
            &[false, false],
            &mut scratch,
        );
        assert_eq!(f.dense(0, (1, 3)), Some(&[0.0f32, 20.0][..]));
    }

    #[test]
    fn buckets_hold_each_features_entries_of_the_node() {
        // 6 rows, 3 columns; the node holds rows 5, 1, 2 (in that order).
        let dense = ndarray::array![
            [0.0, 1.0, 0.0],
            [2.0, 0.0, 3.0],
            [0.0, 0.0, 4.0],
            [5.0, 6.0, 0.0],
            [0.0, 0.0, 0.0],
            [7.0, 0.0, 8.0],
        ];
        let (mut indptr, mut indices, mut data) = (vec![0i64], Vec::new(), Vec::new());
        for f in 0..3 {
            for r in 0..6 {
                if dense[[r, f]] != 0.0 {
                    indices.push(r as i64);
                    data.push(dense[[r, f]]);
                }
            }
            indptr.push(indices.len() as i64);
        }
        let csc = CscView::new(6, 3, &indptr[..], &indices[..], &data).unwrap();
        let NodeFeatures::Sparse(mut rows) = NodeFeatures::new(&Columns::Sparse(csc.0), &[]) else {
            panic!("sparse")
        };
        rows.bucket(&[5, 1, 2]);
        // Feature 0: row 5 (position 0) holds 7, row 1 (position 1) 2.
        assert_eq!(rows.entries(0), (&[0u32, 1][..], &[7.0f32, 2.0][..]));
        assert_eq!(rows.entries(1), (&[][..], &[][..]));
        assert_eq!(
            rows.entries(2),
            (&[0u32, 1, 2][..], &[8.0f32, 3.0, 4.0][..])
        );
        // Another node: rows 3, 0.
        rows.bucket(&[3, 0]);
        assert_eq!(rows.entries(0), (&[0u32][..], &[5.0f32][..]));
        assert_eq!(rows.entries(1), (&[0u32, 1][..], &[6.0f32, 1.0][..]));
        assert_eq!(rows.entries(2), (&[][..], &[][..]));
    }
}
