//! The training features as the splitters read them: the caller's dense
//! matrix or its CSC arrays.

use ndarray::ArrayView2;

use super::{Compressed, Features};

/// The training features as the splitters read them: the caller's dense
/// matrix, or its CSC arrays.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Columns<'a> {
    Dense(ArrayView2<'a, f64>),
    Sparse(Compressed<'a>),
}

impl Columns<'_> {
    /// Feature `f` of every row as f32 (NaN for a missing value).
    pub fn column_f32(&self, f: usize) -> Vec<f32> {
        match self {
            Self::Dense(x) => x
                .column(f)
                .iter()
                .map(|v| if v.is_nan() { f32::NAN } else { *v as f32 })
                .collect(),
            Self::Sparse(c) => {
                let mut out = vec![0.0f32; c.n_minor];
                c.for_each(f, |r, v| {
                    out[r] = if v.is_nan() { f32::NAN } else { v as f32 }
                });
                out
            }
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
            Self::Dense(x) => {
                let col = x.column(f);
                out.extend(rows.iter().map(|&r| col[r as usize] as f32));
            }
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
            Self::Dense(x) => {
                if x.as_slice_memory_order()
                    .is_some_and(|s| !any_beyond(s, limit))
                {
                    return None;
                }
                x.indexed_iter()
                    .find(|(_, v)| v.abs() > limit)
                    .map(|((r, c), v)| (r, c, *v))
            }
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
fn any_beyond(s: &[f64], limit: f64) -> bool {
    const L: usize = 8;
    s.chunks(1 << 12).any(|block| {
        let mut hit = [false; L];
        let chunks = block.chunks_exact(L);
        let rest = chunks.remainder().iter().any(|v| v.abs() > limit);
        for c in chunks {
            for j in 0..L {
                hit[j] |= c[j].abs() > limit;
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
            Self::Sparse(c) => c.n_minor,
        }
    }

    /// Number of columns (features).
    pub fn ncols(&self) -> usize {
        match self {
            Self::Dense(x) => x.ncols(),
            Self::Sparse(c) => c.n_major,
        }
    }
}

/// Calls `g` with `x` as training columns: dense or CSC as they are, a CSR
/// matrix converted to CSC for the call.
pub(crate) fn with_columns<T>(x: Features<'_>, g: impl FnOnce(Columns<'_>) -> T) -> T {
    match x {
        Features::Dense(x) => g(Columns::Dense(x)),
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
}
