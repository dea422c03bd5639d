//! Predictions of a fitted CART tree: the class code (classification) or
//! value (regression) of every row's leaf, and class probabilities.

use ndarray::{Array1, Array2};

use crate::error::{CiblageError, Result};
use crate::tree::cart::sparse::Features;
use crate::tree::cart::tree::CartModel;

impl CartModel {
    /// The prediction of every row of `x` (one row per sample): for a
    /// classification tree the code of its leaf's most frequent class (ties:
    /// the smallest code), as a number; for a regression tree its leaf's
    /// value (the mean, or the weighted median under `absolute_error`).
    ///
    /// ```
    /// use ciblage::tree::cart::Cart;
    /// use ndarray::array;
    /// let x = array![[0.0], [1.0], [2.0], [3.0]];
    /// let tree = Cart::classifier().fit(x.view(), &[0, 0, 1, 1], 2, None)?;
    /// assert_eq!(tree.predict(array![[0.5], [2.5]].view())?.to_vec(), [0.0, 1.0]);
    /// // One split, at 1.5 (squared errors 0 + 2, against 8 at 0.5 and 8/3 at 2.5).
    /// let tree = Cart::regressor()
    ///     .max_depth(Some(1))
    ///     .fit(x.view(), &[1.0, 1.0, 3.0, 5.0], None)?;
    /// assert_eq!(tree.predict(array![[0.5], [2.5]].view())?.to_vec(), [1.0, 4.0]);
    /// # Ok::<(), ciblage::CiblageError>(())
    /// ```
    ///
    /// # Errors
    /// As [`CartModel::apply`]: a column count other than the training one,
    /// infinite values.
    pub fn predict<'x>(&self, x: impl Into<Features<'x>>) -> Result<Array1<f64>> {
        self.check_single_output("predict")?;
        let leaves = self.apply(x)?;
        let classification = self.n_classes > 0;
        Ok(leaves
            .into_iter()
            .map(|leaf| {
                let value = self.value.node(leaf);
                if classification {
                    first_max(value) as f64
                } else {
                    value[0]
                }
            })
            .collect())
    }

    /// Class probabilities of every row of `x`: its leaf's class shares, one
    /// column per class code.
    ///
    /// # Errors
    /// A regression tree ([`CiblageError::InvalidParameter`] naming
    /// `predict_proba`), or as [`CartModel::apply`].
    pub fn predict_proba<'x>(&self, x: impl Into<Features<'x>>) -> Result<Array2<f64>> {
        self.check_single_output("predict_proba")?;
        if self.n_classes == 0 {
            return Err(CiblageError::param(
                "predict_proba",
                "a regression tree has no class probabilities; use predict",
            ));
        }
        let leaves = self.apply(x)?;
        let k = self.n_classes;
        let mut out = Array2::zeros((leaves.len(), k));
        for (mut row, &leaf) in out.rows_mut().into_iter().zip(&leaves) {
            for (o, &v) in row.iter_mut().zip(self.value.node(leaf)) {
                *o = v;
            }
        }
        Ok(out)
    }
}

/// Index of the largest value, the first one on ties.
fn first_max(values: &[f64]) -> usize {
    let mut best = 0;
    for (i, &v) in values.iter().enumerate() {
        if v > values[best] {
            best = i;
        }
    }
    best
}

impl CartModel {
    /// Predictions of every output (a tree of any number of outputs): one
    /// row per row of `x`, one column per output, holding the class code
    /// of largest share in the leaf among the output's own classes (ties:
    /// the first) or the leaf's value.
    ///
    /// # Errors
    /// As [`CartModel::apply`].
    pub fn predict_outputs<'x>(&self, x: impl Into<Features<'x>>) -> Result<Array2<f64>> {
        let leaves = self.apply(x)?;
        let k = self.n_outputs();
        let stride = self.value.width() / k;
        let own = |o: usize| self.output_classes.get(o).copied().unwrap_or(stride);
        let mut out = Array2::zeros((leaves.len(), k));
        for (row, &leaf) in leaves.iter().enumerate() {
            let value = self.value.node(leaf);
            for o in 0..k {
                let v = &value[o * stride..o * stride + own(o)];
                out[[row, o]] = if self.n_classes > 0 {
                    first_max(v) as f64
                } else {
                    v[0]
                };
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use ndarray::array;

    use crate::tree::cart::Cart;

    #[test]
    fn classes_and_probabilities_of_the_leaves() {
        // x 0..5, classes 0 0 1 1 2 2 with max_depth 1: the root splits at
        // 1.5 (gini 2/3 → left pure {0,0}: 0, right {1,1,2,2}: 0.5, weighted
        // 1/3, better than 3.5: {0,0,1,1} 0.5 ×4/6 = 1/3, a tie kept by the
        // first threshold). Left leaf [1, 0, 0]; right leaf [0, ½, ½]:
        // class 1 wins the tie with 2.
        let x = array![[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]];
        let tree = Cart::classifier()
            .max_depth(Some(1))
            .fit(x.view(), &[0, 0, 1, 1, 2, 2], 3, None)
            .unwrap();
        let p = tree.predict_proba(array![[0.0], [4.5]].view()).unwrap();
        assert_eq!(p.shape(), [2, 3]);
        assert_eq!(p.row(0).to_vec(), [1.0, 0.0, 0.0]);
        assert_eq!(p.row(1).to_vec(), [0.0, 0.5, 0.5]);
        let codes = tree.predict(array![[0.0], [4.5]].view()).unwrap();
        assert_eq!(codes.to_vec(), [0.0, 1.0]);
    }

    #[test]
    fn regression_predicts_leaf_means_and_has_no_probabilities() {
        // Squared errors of the splits: at 0.5 {2} | {4, 20, 22} (mean
        // 46/3: SSE (34/3)² + (14/3)² + (20/3)² ≈ 194.7), at 1.5 {2, 4} |
        // {20, 22} (1 + 1 + 1 + 1 = 4), at 2.5 {2, 4, 20} | {22} (≈ 194.7):
        // 1.5 wins;
        // left mean (2 + 4) / 2 = 3, right (20 + 22) / 2 = 21.
        let x = array![[0.0], [1.0], [2.0], [3.0]];
        let tree = Cart::regressor()
            .max_depth(Some(1))
            .fit(x.view(), &[2.0, 4.0, 20.0, 22.0], None)
            .unwrap();
        let y = tree.predict(array![[-1.0], [9.0]].view()).unwrap();
        assert_eq!(y.to_vec(), [3.0, 21.0]);
        let e = tree.predict_proba(x.view()).unwrap_err();
        assert!(
            e.to_string().starts_with("invalid parameter predict_proba"),
            "{e}"
        );
        // The matrix is checked as `apply` checks it.
        assert!(tree.predict(array![[0.0, 1.0]].view()).is_err());
    }
}
