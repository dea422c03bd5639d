//! Small dense symmetric matrices: Cholesky factor and inverse (the
//! covariance of a fit, the draws of the parametric bootstrap).

use ndarray::Array2;

/// Lower Cholesky factor `L` (`A = L L'`) of a symmetric matrix; `None`
/// when it is not positive definite (a pivot at most `1e-12` times the
/// largest diagonal entry) or not finite.
pub(crate) fn cholesky(a: &Array2<f64>) -> Option<Array2<f64>> {
    let n = a.nrows();
    let largest = a.diag().iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    let mut l = Array2::<f64>::zeros((n, n));
    for j in 0..n {
        let mut d = a[[j, j]];
        for k in 0..j {
            d -= l[[j, k]] * l[[j, k]];
        }
        if !(d.is_finite() && d > 1e-12 * largest) {
            return None;
        }
        let d = d.sqrt();
        l[[j, j]] = d;
        for i in j + 1..n {
            let mut s = a[[i, j]];
            for k in 0..j {
                s -= l[[i, k]] * l[[j, k]];
            }
            l[[i, j]] = s / d;
        }
    }
    Some(l)
}

/// Inverse of a symmetric positive definite matrix; `None` when it is not.
pub(crate) fn inverse_spd(a: &Array2<f64>) -> Option<Array2<f64>> {
    let n = a.nrows();
    let l = cholesky(a)?;
    // Solve L Y = I, then L' X = Y, column by column.
    let mut inv = Array2::<f64>::zeros((n, n));
    for c in 0..n {
        let mut y = vec![0.0; n];
        for i in 0..n {
            let mut s = if i == c { 1.0 } else { 0.0 };
            for k in 0..i {
                s -= l[[i, k]] * y[k];
            }
            y[i] = s / l[[i, i]];
        }
        for i in (0..n).rev() {
            let mut s = y[i];
            for k in i + 1..n {
                s -= l[[k, i]] * inv[[k, c]];
            }
            inv[[i, c]] = s / l[[i, i]];
        }
    }
    let t = inv.t().to_owned();
    Some((inv + t) * 0.5)
}

/// Hessian of `f` (given by its gradient) at `x` by central differences
/// of the gradient with steps `steps`, symmetrised.
pub(crate) fn hessian(x: &[f64], steps: &[f64], grad: impl Fn(&[f64]) -> Vec<f64>) -> Array2<f64> {
    let n = x.len();
    let mut h = Array2::<f64>::zeros((n, n));
    for j in 0..n {
        let (mut up, mut down) = (x.to_vec(), x.to_vec());
        up[j] += steps[j];
        down[j] -= steps[j];
        let (gu, gd) = (grad(&up), grad(&down));
        for i in 0..n {
            h[[i, j]] = (gu[i] - gd[i]) / (2.0 * steps[j]);
        }
    }
    let t = h.t().to_owned();
    (h + t) * 0.5
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn inverse_and_factor_of_a_known_matrix() {
        let a = array![[4.0, 2.0], [2.0, 3.0]];
        let l = cholesky(&a).unwrap();
        // L = [[2, 0], [1, sqrt(2)]].
        assert!((l[[0, 0]] - 2.0).abs() < 1e-15 && (l[[1, 0]] - 1.0).abs() < 1e-15);
        assert!((l[[1, 1]] - 2f64.sqrt()).abs() < 1e-15);
        let inv = inverse_spd(&a).unwrap();
        // det 8: [[3, -2], [-2, 4]] / 8.
        let expected = array![[0.375, -0.25], [-0.25, 0.5]];
        assert!((inv - expected).iter().all(|d| d.abs() < 1e-15));
        assert!(cholesky(&array![[1.0, 2.0], [2.0, 4.0]]).is_none());
    }
}
