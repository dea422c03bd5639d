//! The training features as the splitters read them: the caller's dense
//! matrix (float64 or float32) or its CSC arrays.

use ndarray::{ArrayView1, ArrayView2};

use super::{Compressed, Features};

/// The element of a dense feature matrix, float64 or float32: features
/// are read as f32 (as scikit-learn reads them) either way, a float32
/// matrix without a conversion.
pub(crate) trait DenseValue: Copy + Send + Sync {
    /// The value as f32 (rounded to the nearest; NaN stays NaN).
    fn to_f32(self) -> f32;
    /// The value as f64 (exact).
    fn to_f64(self) -> f64;
    /// Whether the value is missing (NaN).
    fn is_missing(self) -> bool;
    /// `s` as f64 values when the values are f64 (`None` otherwise, or
    /// without a slice).
    fn as_f64_slice(s: Option<&[Self]>) -> Option<&[f64]>
    where
        Self: Sized;
}

impl DenseValue for f64 {
    #[inline(always)]
    fn to_f32(self) -> f32 {
        self as f32
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline(always)]
    fn is_missing(self) -> bool {
        self.is_nan()
    }
    fn as_f64_slice(s: Option<&[f64]>) -> Option<&[f64]> {
        s
    }
}

impl DenseValue for f32 {
    #[inline(always)]
    fn to_f32(self) -> f32 {
        self
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    #[inline(always)]
    fn is_missing(self) -> bool {
        self.is_nan()
    }
    fn as_f64_slice(_: Option<&[f32]>) -> Option<&[f64]> {
        None
    }
}

/// The training features as the splitters read them: the caller's dense
/// matrix, or its CSC arrays.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Columns<'a> {
    Dense(ArrayView2<'a, f64>),
    Dense32(ArrayView2<'a, f32>),
    Sparse(Compressed<'a>),
}

/// Column `col` as f32, one NaN (positive) for every missing value.
fn dense_column_f32<T: DenseValue>(col: ArrayView1<'_, T>) -> Vec<f32> {
    col.iter()
        .map(|v| if v.is_missing() { f32::NAN } else { v.to_f32() })
        .collect()
}

/// The values of `col` at `rows`, as f32, appended to `out`.
fn dense_rows_f32<T: DenseValue>(col: ArrayView1<'_, T>, rows: &[u32], out: &mut Vec<f32>) {
    out.extend(rows.iter().map(|&r| col[r as usize].to_f32()));
}

/// The first value of `x` beyond `limit` (see [`Columns::first_beyond`]).
fn dense_first_beyond<T: DenseValue>(
    x: &ArrayView2<'_, T>,
    limit: f64,
) -> Option<(usize, usize, f64)> {
    if x.as_slice_memory_order()
        .is_some_and(|s| !any_beyond(s, limit))
    {
        return None;
    }
    x.indexed_iter()
        .find(|(_, v)| v.to_f64().abs() > limit)
        .map(|((r, c), v)| (r, c, v.to_f64()))
}

impl Columns<'_> {
    /// Feature `f` of every row as f32 (NaN for a missing value).
    pub fn column_f32(&self, f: usize) -> Vec<f32> {
        match self {
            Self::Dense(x) => dense_column_f32(x.column(f)),
            Self::Dense32(x) => dense_column_f32(x.column(f)),
            Self::Sparse(c) => {
                let mut out = vec![0.0f32; c.n_minor];
                c.for_each(f, |r, v| {
                    out[r] = if v.is_nan() { f32::NAN } else { v as f32 }
                });
                out
            }
        }
    }

    /// Feature `f` of every row as f64 (dense columns only: `None` for
    /// sparse ones).
    pub fn dense_column_f64(&self, f: usize) -> Option<Vec<f64>> {
        match self {
            Self::Dense(x) => Some(x.column(f).to_vec()),
            Self::Dense32(x) => Some(x.column(f).iter().map(|&v| f64::from(v)).collect()),
            Self::Sparse(_) => None,
        }
    }

    /// Whether the columns are sparse (CSC arrays).
    #[inline]
    pub fn is_sparse(&self) -> bool {
        matches!(self, Self::Sparse(_))
    }

    /// Reads feature `f` of the samples `held[start..end]` (a node's) into
    /// `out` (one value per sample, in their order, as f32; NaN for a
    /// missing value): a node's column, read once for all the passes over
    /// it. `at[r]` is row `r`'s position in `held` when it is one of the
    /// node's (any value otherwise; only read for sparse columns). A sparse column
    /// is read by a binary search per row when the node is small against
    /// its stored entries, else by one walk over those entries (each kept
    /// when its row is one of the node's): the same values either way.
    pub fn node_column_f32(
        &self,
        f: usize,
        held: &[u32],
        (start, end): (usize, usize),
        at: &[u32],
        out: &mut Vec<f32>,
    ) {
        out.clear();
        let rows = &held[start..end];
        match self {
            Self::Dense(x) => dense_rows_f32(x.column(f), rows, out),
            Self::Dense32(x) => dense_rows_f32(x.column(f), rows, out),
            Self::Sparse(c) => {
                let n_stored = c.range(f).len();
                // About log2(stored) steps per row against one per entry.
                let search_cost = rows.len() * (n_stored.max(1).ilog2() as usize + 1);
                if search_cost < n_stored {
                    out.extend(rows.iter().map(|&r| c.get(f, r as usize) as f32));
                    return;
                }
                out.resize(rows.len(), 0.0);
                c.for_each(f, |r, v| {
                    let p = at[r] as usize;
                    if (start..end).contains(&p) && held[p] as usize == r {
                        out[p - start] = v as f32;
                    }
                });
            }
        }
    }

    /// The first value (row, column, value) that is infinite or beyond the
    /// f32 range, if any.
    pub fn first_beyond(&self, limit: f64) -> Option<(usize, usize, f64)> {
        match self {
            Self::Dense(x) => dense_first_beyond(x, limit),
            Self::Dense32(x) => dense_first_beyond(x, limit),
            Self::Sparse(c) => {
                if !c.data.iter().any(|v| v.abs() > limit) {
                    return None;
                }
                let mut found: Option<(usize, usize, f64)> = None;
                for f in 0..c.n_major {
                    c.for_each(f, |r, v| {
                        if v.abs() > limit && found.is_none_or(|b| r < b.0) {
                            found = Some((r, f, v));
                        }
                    });
                }
                found
            }
        }
    }
}

/// Whether a value of `s` is beyond `limit` in magnitude (NaN is not):
/// compared in eight lanes by blocks, without a branch per value, so that
/// the compiler vectorises the scan.
fn any_beyond<T: DenseValue>(s: &[T], limit: f64) -> bool {
    const L: usize = 8;
    s.chunks(1 << 12).any(|block| {
        let mut hit = [false; L];
        let chunks = block.chunks_exact(L);
        let rest = chunks.remainder().iter().any(|v| v.to_f64().abs() > limit);
        for c in chunks {
            for j in 0..L {
                hit[j] |= c[j].to_f64().abs() > limit;
            }
        }
        rest || hit.contains(&true)
    })
}

impl<'a> From<ArrayView2<'a, f64>> for Columns<'a> {
    fn from(x: ArrayView2<'a, f64>) -> Self {
        Self::Dense(x)
    }
}

impl Columns<'_> {
    /// Number of rows (samples).
    pub fn nrows(&self) -> usize {
        match self {
            Self::Dense(x) => x.nrows(),
            Self::Dense32(x) => x.nrows(),
            Self::Sparse(c) => c.n_minor,
        }
    }

    /// Number of columns (features).
    pub fn ncols(&self) -> usize {
        match self {
            Self::Dense(x) => x.ncols(),
            Self::Dense32(x) => x.ncols(),
            Self::Sparse(c) => c.n_major,
        }
    }
}

/// Calls `g` with `x` as training columns: dense or CSC as they are, a CSR
/// matrix converted to CSC for the call.
pub(crate) fn with_columns<T>(x: Features<'_>, g: impl FnOnce(Columns<'_>) -> T) -> T {
    match x {
        Features::Dense(x) => g(Columns::Dense(x)),
        Features::Dense32(x) => g(Columns::Dense32(x)),
        Features::Csc(x) => g(Columns::Sparse(x.0)),
        Features::Csr(x) => g(Columns::Sparse(x.0.transposed().view())),
    }
}

impl<'a> Columns<'a> {
    /// The same columns, borrowed for a shorter time.
    pub fn reborrow<'b>(self) -> Columns<'b>
    where
        'a: 'b,
    {
        match self {
            Self::Dense(x) => Columns::Dense(x.reborrow()),
            Self::Dense32(x) => Columns::Dense32(x.reborrow()),
            Self::Sparse(c) => Columns::Sparse(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::cart::sparse::CscView;
    use ndarray::Array2;

    #[test]
    fn a_node_column_reads_the_same_values_by_either_path() {
        // 40 rows, one column: rows divisible by 3 hold r + 0.5, row 7 NaN,
        // the others implicit zeros.
        let n = 40;
        let dense = Array2::from_shape_fn((n, 1), |(r, _)| match r {
            7 => f64::NAN,
            r if r % 3 == 0 => r as f64 + 0.5,
            _ => 0.0,
        });
        let rows: Vec<i64> = (0..n as i64).filter(|r| r % 3 == 0 || *r == 7).collect();
        let data: Vec<f64> = rows.iter().map(|&r| dense[[r as usize, 0]]).collect();
        let indptr = [0i64, rows.len() as i64];
        let csc = CscView::new(n, 1, &indptr[..], &rows[..], &data).unwrap();
        let sparse = Columns::Sparse(csc.0);
        // The held samples, a node at positions 10..30 of them (rows in a
        // shuffled order); `at` also holds stale positions of rows outside
        // the node, which must not be read.
        let held: Vec<u32> = (0..n as u32).map(|q| (q * 17) % n as u32).collect();
        let mut at = vec![15u32; n];
        for (q, &r) in held.iter().enumerate().take(30).skip(10) {
            at[r as usize] = q as u32;
        }
        let expected: Vec<f32> = held[10..30]
            .iter()
            .map(|&r| dense[[r as usize, 0]] as f32)
            .collect();
        let same = |a: &[f32], b: &[f32]| {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|(x, y)| x == y || (x.is_nan() && y.is_nan()))
        };
        let mut out = Vec::new();
        // 20 rows against 14 entries: one walk over the entries.
        sparse.node_column_f32(0, &held, (10, 30), &at, &mut out);
        assert!(same(&out, &expected), "{out:?}");
        // 2 rows: a binary search per row.
        sparse.node_column_f32(0, &held, (10, 12), &at, &mut out);
        assert!(same(&out, &expected[..2]), "{out:?}");
        Columns::Dense(dense.view()).node_column_f32(0, &held, (10, 30), &[], &mut out);
        assert!(same(&out, &expected), "{out:?}");
    }

    #[test]
    fn the_first_value_beyond_the_limit_is_found_in_any_lane_and_block() {
        // 5000 rows × 2 (10,000 values: three blocks, a remainder of lanes);
        // NaN never counts, an infinity or a value beyond f32 does.
        let mut x = Array2::from_shape_fn((5000, 2), |(r, c)| (r * 2 + c) as f64 * 1e30);
        x[[10, 1]] = f64::NAN;
        assert_eq!(
            Columns::Dense(x.view()).first_beyond(f64::from(f32::MAX)),
            None
        );
        for (r, c, v) in [
            (4999, 1, f64::NEG_INFINITY),
            (2049, 0, 3.5e38),
            (0, 1, f64::INFINITY),
        ] {
            let mut y = x.clone();
            y[[r, c]] = v;
            let found = Columns::Dense(y.view()).first_beyond(f64::from(f32::MAX));
            assert_eq!(found, Some((r, c, v)));
        }
        // A magnitude equal to the limit is not beyond it.
        assert!(!any_beyond(&[1e34, -1e34, f64::NAN], 1e34));
        assert!(any_beyond(
            &[0.0; 13]
                .iter()
                .chain(&[-2e34])
                .copied()
                .collect::<Vec<_>>(),
            1e34
        ));
    }

    #[test]
    fn a_float32_matrix_fits_and_predicts_as_its_float64_widening() {
        use crate::tree::cart::{Cart, CartSplitter};
        // 300 rows × 4 of float32 values (a third of a unit apart: not
        // representable in f64 halves), some missing; three classes and
        // real targets.
        let x32 = Array2::from_shape_fn((300, 4), |(r, c)| match (r * 7 + c) % 29 {
            0 if c == 2 => f32::NAN,
            k => (k as f32) / 3.0 + (r % 5) as f32 * (c as f32 - 1.5),
        });
        // The independent reference: the same values widened by ndarray.
        let x64 = x32.mapv(f64::from);
        let codes: Vec<u32> = (0..300).map(|r| ((r * 13 + r / 7) % 3) as u32).collect();
        let y: Vec<f64> = (0..300).map(|r| ((r * 31) % 17) as f64 * 0.25).collect();
        for splitter in [
            CartSplitter::Exact,
            CartSplitter::Random,
            CartSplitter::Histogram { max_bins: 16 },
        ] {
            let fit_c = |x| {
                Cart::classifier()
                    .splitter(splitter)
                    .seed(3)
                    .fit(x, &codes, 3, None)
                    .unwrap()
            };
            let (a, b) = (fit_c(Features::from(&x32)), fit_c(Features::from(&x64)));
            assert!(a.node_count() > 20, "{splitter:?}");
            assert_eq!(a, b, "{splitter:?}");
            assert_eq!(a.apply(&x32).unwrap(), b.apply(&x64).unwrap());
            let fit_r = |x| {
                Cart::regressor()
                    .splitter(splitter)
                    .seed(3)
                    .fit(x, &y, None)
                    .unwrap()
            };
            let (a, b) = (fit_r(Features::from(&x32)), fit_r(Features::from(&x64)));
            assert_eq!(a, b, "{splitter:?}");
            assert_eq!(a.predict(&x32).unwrap(), b.predict(&x64).unwrap());
        }
        // An infinity is refused from either width.
        let mut bad = x32.clone();
        bad[[5, 1]] = f32::INFINITY;
        let e = Cart::classifier().fit(&bad, &codes, 3, None).unwrap_err();
        assert!(e.to_string().contains("row 5"), "{e}");
    }
}
