//! Rows of any [`Features`] handed to the prediction one at a time as
//! dense slices: a dense matrix's rows as they are, a sparse matrix's rows
//! (CSR; a CSC matrix is converted once) written into one row buffer that
//! is reset by the row's own indices, never a dense copy of the matrix.

use ndarray::ArrayView2;

use crate::error::{CiblageError, Result};
use crate::tree::cart::sparse::{Compressed, DenseValue, Features};
use crate::tree::cart::tree::CartModel;

/// Checks `x` against a tree of `n_features` features (the column count,
/// no infinite value), then calls `g(row index, row)` for every row.
pub(crate) fn for_each_row(
    x: Features<'_>,
    n_features: usize,
    g: impl FnMut(usize, &[f64]),
) -> Result<()> {
    if x.ncols() != n_features {
        return Err(CiblageError::LengthMismatch {
            argument: "X columns".into(),
            expected: n_features,
            got: x.ncols(),
        });
    }
    let infinite = |row: usize, value: f64| CiblageError::NonFinite {
        argument: "X".into(),
        row,
        value,
    };
    match x {
        Features::Dense(x) => dense_rows(x, n_features, g)?,
        Features::Dense32(x) => dense_rows(x, n_features, g)?,
        Features::Csr(x) => rows_of(&x.0, g).map_err(|(r, v)| infinite(r, v))?,
        Features::Csc(x) => {
            rows_of(&x.0.transposed().view(), g).map_err(|(r, v)| infinite(r, v))?
        }
    }
    Ok(())
}

/// Calls `g` with every row of a dense matrix (as f64: a row of float32
/// widened, exactly, into one buffer), after checking no value is
/// infinite.
fn dense_rows<T: DenseValue>(
    x: ArrayView2<'_, T>,
    n_features: usize,
    mut g: impl FnMut(usize, &[f64]),
) -> Result<()> {
    if let Some(((row, _), v)) = x.indexed_iter().find(|(_, v)| v.to_f64().is_infinite()) {
        return Err(CiblageError::NonFinite {
            argument: "X".into(),
            row,
            value: v.to_f64(),
        });
    }
    let mut buf = vec![0.0; n_features];
    for (i, r) in x.rows().into_iter().enumerate() {
        match T::as_f64_slice(r.as_slice()) {
            Some(s) => g(i, s),
            None => {
                buf.iter_mut().zip(r).for_each(|(b, v)| *b = v.to_f64());
                g(i, &buf);
            }
        }
    }
    Ok(())
}

/// Calls `g` with every row of a CSR matrix, densified in one buffer.
/// Errors: the first (row, value) that is infinite.
fn rows_of(
    x: &Compressed<'_>,
    mut g: impl FnMut(usize, &[f64]),
) -> std::result::Result<(), (usize, f64)> {
    if x.data.iter().any(|v| v.is_infinite()) {
        for i in 0..x.n_major {
            let mut found = None;
            x.for_each(i, |_, v| {
                if v.is_infinite() && found.is_none() {
                    found = Some(v);
                }
            });
            if let Some(v) = found {
                return Err((i, v));
            }
        }
    }
    let mut buf = vec![0.0; x.n_minor];
    for i in 0..x.n_major {
        x.for_each(i, |c, v| buf[c] = v);
        g(i, &buf);
        x.for_each(i, |c, _| buf[c] = 0.0);
    }
    Ok(())
}

impl CartModel {
    /// Leaf of every row of `x`: a dense matrix, or a sparse one
    /// ([`crate::tree::cart::CsrView`] read as it is, a
    /// [`crate::tree::cart::CscView`] converted to rows once).
    ///
    /// # Errors
    /// A column count other than the training one, infinite values.
    pub fn apply<'x>(&self, x: impl Into<Features<'x>>) -> Result<Vec<usize>> {
        let x = x.into();
        let mut out = Vec::with_capacity(x.nrows());
        for_each_row(x, self.n_features, |_, row| out.push(self.apply_row(row)))?;
        Ok(out)
    }

    /// The nodes every row of `x` passes through, from the root to its
    /// leaf, as the `(indptr, indices)` of a CSR indicator matrix (rows ×
    /// nodes).
    ///
    /// ```
    /// use ciblage::tree::cart::Cart;
    /// use ndarray::array;
    /// let x = array![[0.0], [1.0], [2.0], [3.0]];
    /// let tree = Cart::classifier().fit(x.view(), &[0, 0, 1, 1], 2, None)?;
    /// let (indptr, indices) = tree.decision_path(array![[0.0], [3.0]].view())?;
    /// assert_eq!(indptr, [0, 2, 4]);
    /// assert_eq!(indices, [0, 1, 0, 2]);
    /// # Ok::<(), ciblage::CiblageError>(())
    /// ```
    ///
    /// # Errors
    /// As [`CartModel::apply`].
    pub fn decision_path<'x>(
        &self,
        x: impl Into<Features<'x>>,
    ) -> Result<(Vec<usize>, Vec<usize>)> {
        let x = x.into();
        let mut indptr = Vec::with_capacity(x.nrows() + 1);
        indptr.push(0);
        let mut indices = Vec::new();
        for_each_row(x, self.n_features, |_, row| {
            self.decision_path_row(row, &mut indices);
            indptr.push(indices.len());
        })?;
        Ok((indptr, indices))
    }
}
