//! Sparse features for CART: compressed sparse matrices (CSC and CSR)
//! borrowed from the caller without a copy, the one input type
//! [`Features`] that `fit` and the prediction verbs take, and the column
//! and row readers the splitters and the prediction use.
//!
//! Implicit entries are zeros, as scikit-learn reads them; an explicit NaN
//! is a missing value here, as in a dense matrix (the Python estimators
//! refuse it at their boundary, as scikit-learn does). Trees fitted on a sparse
//! matrix are the trees fitted on its dense equivalent, node for node: the
//! exact splitter's sorted orders and the histogram splitter's bins are the
//! dense ones, built from the explicit values with the zeros placed as one
//! block (see [`orders`](self) and the histogram binning).
//!
//! ```
//! use ciblage::tree::cart::{Cart, CscView, CsrView};
//! use ndarray::array;
//! // Column 0 of [[0], [0], [2], [3]]: rows 2 and 3 hold values.
//! let indptr = [0i64, 2];
//! let indices = [2i64, 3];
//! let x = CscView::new(4, 1, &indptr[..], &indices[..], &[2.0, 3.0])?;
//! let tree = Cart::classifier().fit(x, &[0, 0, 1, 1], 2, None)?;
//! assert_eq!(tree.threshold[0], 1.0);
//! // Rows [[5], [0]] as CSR: row 0 holds 5, row 1 nothing.
//! let rows = CsrView::new(2, 1, &[0i32, 1, 1][..], &[0i32][..], &[5.0])?;
//! assert_eq!(tree.apply(rows)?, [2, 1]);
//! # Ok::<(), ciblage::CiblageError>(())
//! ```

mod columns;
pub(crate) mod exact;
pub(crate) mod orders;
mod predict;
#[cfg(test)]
mod tests;

use ndarray::ArrayView2;

use crate::error::{CiblageError, Result};
pub(crate) use columns::{with_columns, Columns, DenseValue};

/// An index array of a compressed sparse matrix (`indptr` or `indices`),
/// 32- or 64-bit as the caller holds it.
#[derive(Clone, Copy, Debug)]
pub enum SparseIndex<'a> {
    /// 32-bit indices (scipy's default).
    I32(&'a [i32]),
    /// 64-bit indices.
    I64(&'a [i64]),
}

impl<'a> From<&'a [i32]> for SparseIndex<'a> {
    fn from(s: &'a [i32]) -> Self {
        Self::I32(s)
    }
}

impl<'a> From<&'a [i64]> for SparseIndex<'a> {
    fn from(s: &'a [i64]) -> Self {
        Self::I64(s)
    }
}

impl SparseIndex<'_> {
    fn len(&self) -> usize {
        match self {
            Self::I32(s) => s.len(),
            Self::I64(s) => s.len(),
        }
    }

    /// Entry `i`, as a position (negative ones are refused at construction).
    #[inline]
    fn at(&self, i: usize) -> usize {
        match self {
            Self::I32(s) => s[i] as usize,
            Self::I64(s) => s[i] as usize,
        }
    }

    /// Entry `i` as a signed number (for the checks).
    fn signed(&self, i: usize) -> i64 {
        match self {
            Self::I32(s) => i64::from(s[i]),
            Self::I64(s) => s[i],
        }
    }
}

/// A compressed sparse matrix: `indptr[j]..indptr[j + 1]` are the entries
/// of major line `j` (a column of a CSC matrix, a row of a CSR one), each
/// at minor position `indices[k]` with value `data[k]`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Compressed<'a> {
    pub n_major: usize,
    pub n_minor: usize,
    indptr: SparseIndex<'a>,
    indices: SparseIndex<'a>,
    pub data: &'a [f64],
}

impl<'a> Compressed<'a> {
    /// Checks the arrays: `n_major + 1` pointers from 0, non-decreasing, to
    /// the number of entries; indices strictly increasing within a line
    /// (sorted, no duplicates) and below `n_minor`.
    fn new(
        shape: (usize, usize),
        indptr: SparseIndex<'a>,
        indices: SparseIndex<'a>,
        data: &'a [f64],
        kind: &str,
    ) -> Result<Self> {
        let (n_major, n_minor) = shape;
        let bad = |reason: String| CiblageError::param("X", format!("{kind} matrix: {reason}"));
        if indptr.len() != n_major + 1 {
            return Err(bad(format!(
                "indptr has {} entries, expected {}",
                indptr.len(),
                n_major + 1
            )));
        }
        if indices.len() != data.len() {
            return Err(bad(format!(
                "{} indices for {} values",
                indices.len(),
                data.len()
            )));
        }
        if indptr.signed(0) != 0 || indptr.signed(n_major) != data.len() as i64 {
            return Err(bad(format!(
                "indptr must run from 0 to the number of values ({})",
                data.len()
            )));
        }
        for j in 0..n_major {
            let (a, b) = (indptr.signed(j), indptr.signed(j + 1));
            if b < a {
                return Err(bad(format!("indptr decreases at {j}")));
            }
            let mut last = -1i64;
            for k in a as usize..b as usize {
                let i = indices.signed(k);
                if i <= last || i >= n_minor as i64 {
                    return Err(bad(format!(
                        "index {i} at position {k}: indices must be sorted, unique and in 0..{n_minor} \
                         (call sum_duplicates() first)"
                    )));
                }
                last = i;
            }
        }
        Ok(Self {
            n_major,
            n_minor,
            indptr,
            indices,
            data,
        })
    }

    /// Positions in `indices`/`data` of line `j`'s entries.
    #[inline]
    pub fn range(&self, j: usize) -> std::ops::Range<usize> {
        self.indptr.at(j)..self.indptr.at(j + 1)
    }

    /// Entry (`j`, `i`): line `j`, minor index `i`; an implicit entry is 0
    /// (a binary search in the line's sorted indices).
    #[inline]
    pub fn get(&self, j: usize, i: usize) -> f64 {
        let r = self.range(j);
        let found = match self.indices {
            SparseIndex::I32(s) => s[r.clone()].binary_search_by(|&k| (k as usize).cmp(&i)),
            SparseIndex::I64(s) => s[r.clone()].binary_search_by(|&k| (k as usize).cmp(&i)),
        };
        found.map_or(0.0, |k| self.data[r.start + k])
    }

    /// Calls `g(minor, value)` for every entry of line `j`, in ascending
    /// minor order.
    #[inline]
    pub fn for_each(&self, j: usize, mut g: impl FnMut(usize, f64)) {
        let r = self.range(j);
        let data = &self.data[r.clone()];
        match self.indices {
            SparseIndex::I32(s) => {
                for (&i, &v) in s[r].iter().zip(data) {
                    g(i as usize, v);
                }
            }
            SparseIndex::I64(s) => {
                for (&i, &v) in s[r].iter().zip(data) {
                    g(i as usize, v);
                }
            }
        }
    }

    /// The same matrix compressed along the other axis (CSC ↔ CSR), owned.
    pub fn transposed(&self) -> OwnedCompressed {
        let mut counts = vec![0usize; self.n_minor + 1];
        for j in 0..self.n_major {
            self.for_each(j, |i, _| counts[i + 1] += 1);
        }
        for i in 0..self.n_minor {
            counts[i + 1] += counts[i];
        }
        let indptr: Vec<i64> = counts.iter().map(|&c| c as i64).collect();
        let mut next = counts;
        let mut indices = vec![0i64; self.data.len()];
        let mut data = vec![0.0; self.data.len()];
        // Major lines in ascending order: each new line's indices ascend.
        for j in 0..self.n_major {
            self.for_each(j, |i, v| {
                indices[next[i]] = j as i64;
                data[next[i]] = v;
                next[i] += 1;
            });
        }
        OwnedCompressed {
            n_major: self.n_minor,
            n_minor: self.n_major,
            indptr,
            indices,
            data,
        }
    }

    /// The major lines `lines` (any order, repeats allowed), in that order.
    pub fn select_major(&self, lines: &[usize]) -> OwnedCompressed {
        let mut out = OwnedCompressed {
            n_major: lines.len(),
            n_minor: self.n_minor,
            indptr: vec![0],
            indices: Vec::new(),
            data: Vec::new(),
        };
        for &j in lines {
            self.for_each(j, |i, v| {
                out.indices.push(i as i64);
                out.data.push(v);
            });
            out.indptr.push(out.indices.len() as i64);
        }
        out
    }

    /// The minor positions `keep` (ascending), renumbered `0..keep.len()`.
    pub fn select_minor(&self, keep: &[usize]) -> OwnedCompressed {
        let mut new_of = vec![usize::MAX; self.n_minor];
        for (k, &i) in keep.iter().enumerate() {
            new_of[i] = k;
        }
        let mut out = OwnedCompressed {
            n_major: self.n_major,
            n_minor: keep.len(),
            indptr: vec![0],
            indices: Vec::new(),
            data: Vec::new(),
        };
        for j in 0..self.n_major {
            self.for_each(j, |i, v| {
                if new_of[i] != usize::MAX {
                    out.indices.push(new_of[i] as i64);
                    out.data.push(v);
                }
            });
            out.indptr.push(out.indices.len() as i64);
        }
        out
    }
}

/// A compressed matrix built here (transposed, or rows selected).
pub(crate) struct OwnedCompressed {
    n_major: usize,
    n_minor: usize,
    indptr: Vec<i64>,
    indices: Vec<i64>,
    data: Vec<f64>,
}

impl OwnedCompressed {
    /// A view of it (valid by construction).
    pub fn view(&self) -> Compressed<'_> {
        Compressed {
            n_major: self.n_major,
            n_minor: self.n_minor,
            indptr: SparseIndex::I64(&self.indptr),
            indices: SparseIndex::I64(&self.indices),
            data: &self.data,
        }
    }
}

/// A CSC matrix (compressed sparse columns) borrowed from the caller:
/// column `j`'s entries are `indptr[j]..indptr[j + 1]`, at rows `indices`
/// with values `data`. The layout a fit reads without conversion.
#[derive(Clone, Copy, Debug)]
pub struct CscView<'a>(pub(crate) Compressed<'a>);

/// A CSR matrix (compressed sparse rows) borrowed from the caller: row
/// `i`'s entries are `indptr[i]..indptr[i + 1]`, at columns `indices` with
/// values `data`. The layout the prediction reads without conversion.
#[derive(Clone, Copy, Debug)]
pub struct CsrView<'a>(pub(crate) Compressed<'a>);

impl<'a> CscView<'a> {
    /// A CSC view of `n_rows` × `n_cols` over the caller's arrays.
    ///
    /// # Errors
    /// [`CiblageError::InvalidParameter`] naming `X` when the arrays are
    /// not a canonical CSC matrix of that shape (`indptr` of `n_cols + 1`
    /// non-decreasing entries from 0 to the number of values, row indices
    /// sorted and unique within each column, below `n_rows`).
    pub fn new(
        n_rows: usize,
        n_cols: usize,
        indptr: impl Into<SparseIndex<'a>>,
        indices: impl Into<SparseIndex<'a>>,
        data: &'a [f64],
    ) -> Result<Self> {
        Compressed::new((n_cols, n_rows), indptr.into(), indices.into(), data, "CSC").map(Self)
    }

    /// Number of rows.
    pub fn nrows(&self) -> usize {
        self.0.n_minor
    }

    /// Number of columns.
    pub fn ncols(&self) -> usize {
        self.0.n_major
    }
}

impl<'a> CsrView<'a> {
    /// A CSR view of `n_rows` × `n_cols` over the caller's arrays.
    ///
    /// # Errors
    /// As [`CscView::new`], rows and columns exchanged.
    pub fn new(
        n_rows: usize,
        n_cols: usize,
        indptr: impl Into<SparseIndex<'a>>,
        indices: impl Into<SparseIndex<'a>>,
        data: &'a [f64],
    ) -> Result<Self> {
        Compressed::new((n_rows, n_cols), indptr.into(), indices.into(), data, "CSR").map(Self)
    }

    /// Number of rows.
    pub fn nrows(&self) -> usize {
        self.0.n_major
    }

    /// Number of columns.
    pub fn ncols(&self) -> usize {
        self.0.n_minor
    }
}

/// A feature matrix, rows = samples: dense (float64 or float32), or
/// sparse in either layout. `fit` reads CSC (a CSR matrix is converted
/// once), the prediction verbs read CSR (a CSC matrix is converted once);
/// neither makes a dense copy.
#[derive(Clone, Copy, Debug)]
pub enum Features<'a> {
    /// A dense matrix.
    Dense(ArrayView2<'a, f64>),
    /// A dense matrix of float32, read as it is (features are read as
    /// float32 in any case: the same trees as from its float64 widening).
    Dense32(ArrayView2<'a, f32>),
    /// Compressed sparse columns.
    Csc(CscView<'a>),
    /// Compressed sparse rows.
    Csr(CsrView<'a>),
}

impl<'a> From<ArrayView2<'a, f64>> for Features<'a> {
    fn from(x: ArrayView2<'a, f64>) -> Self {
        Self::Dense(x)
    }
}

impl<'a> From<&'a ndarray::Array2<f64>> for Features<'a> {
    fn from(x: &'a ndarray::Array2<f64>) -> Self {
        Self::Dense(x.view())
    }
}

impl<'a> From<ArrayView2<'a, f32>> for Features<'a> {
    fn from(x: ArrayView2<'a, f32>) -> Self {
        Self::Dense32(x)
    }
}

impl<'a> From<&'a ndarray::Array2<f32>> for Features<'a> {
    fn from(x: &'a ndarray::Array2<f32>) -> Self {
        Self::Dense32(x.view())
    }
}

impl<'a> From<CscView<'a>> for Features<'a> {
    fn from(x: CscView<'a>) -> Self {
        Self::Csc(x)
    }
}

impl<'a> From<CsrView<'a>> for Features<'a> {
    fn from(x: CsrView<'a>) -> Self {
        Self::Csr(x)
    }
}

impl Features<'_> {
    /// Number of rows (samples).
    pub fn nrows(&self) -> usize {
        match self {
            Self::Dense(x) => x.nrows(),
            Self::Dense32(x) => x.nrows(),
            Self::Csc(x) => x.nrows(),
            Self::Csr(x) => x.nrows(),
        }
    }

    /// Number of columns (features).
    pub fn ncols(&self) -> usize {
        match self {
            Self::Dense(x) => x.ncols(),
            Self::Dense32(x) => x.ncols(),
            Self::Csc(x) => x.ncols(),
            Self::Csr(x) => x.ncols(),
        }
    }
}

/// A feature matrix owned here: rows selected from a [`Features`] (the
/// folds of a cross-validation), in the same layout.
pub(crate) enum OwnedFeatures {
    Dense(ndarray::Array2<f64>),
    Dense32(ndarray::Array2<f32>),
    Csc(OwnedCompressed),
    Csr(OwnedCompressed),
}

impl OwnedFeatures {
    /// A view of it.
    pub fn view(&self) -> Features<'_> {
        match self {
            Self::Dense(x) => Features::Dense(x.view()),
            Self::Dense32(x) => Features::Dense32(x.view()),
            Self::Csc(c) => Features::Csc(CscView(c.view())),
            Self::Csr(c) => Features::Csr(CsrView(c.view())),
        }
    }
}

impl Features<'_> {
    /// Rows `rows` of the matrix, in that order; with a CSC matrix, `rows`
    /// must ascend (else it is given as CSR).
    pub(crate) fn select_rows(&self, rows: &[usize]) -> OwnedFeatures {
        match self {
            Self::Dense(x) => OwnedFeatures::Dense(x.select(ndarray::Axis(0), rows)),
            Self::Dense32(x) => OwnedFeatures::Dense32(x.select(ndarray::Axis(0), rows)),
            Self::Csc(x) if rows.windows(2).all(|w| w[0] < w[1]) => {
                OwnedFeatures::Csc(x.0.select_minor(rows))
            }
            Self::Csc(x) => OwnedFeatures::Csr(x.0.transposed().view().select_major(rows)),
            Self::Csr(x) => OwnedFeatures::Csr(x.0.select_major(rows)),
        }
    }
}

impl<'a> Features<'a> {
    /// The same matrix, borrowed for a shorter time.
    pub fn reborrow<'b>(self) -> Features<'b>
    where
        'a: 'b,
    {
        match self {
            Self::Dense(x) => Features::Dense(x.reborrow()),
            Self::Dense32(x) => Features::Dense32(x.reborrow()),
            Self::Csc(x) => Features::Csc(x),
            Self::Csr(x) => Features::Csr(x),
        }
    }
}
