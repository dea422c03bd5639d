//! The statistics of a node of several outputs, as scikit-learn's
//! criteria keep them for a 2-D `y`: per output its class weights (with
//! its own classes) or its Σwy; the impurity, children impurities and
//! proxy are the mean over outputs of each output's, in scikit-learn's
//! order of operations (so that equal splits compare equal).

use crate::prefetch::prefetch;
use crate::tree::cart::params::CartCriterion;

/// scikit-learn's `EPSILON` of the Poisson criterion (10 × machine
/// epsilon): children summing below it cannot be predicted by a mean.
const POISSON_EPSILON: f64 = 10.0 * f64::EPSILON;

/// The targets of a fit of several outputs, row-major (`k` per row).
pub(crate) enum Outputs {
    /// Class codes, each output with its own number of classes; sums are
    /// held `stride` (the largest number of classes) per output.
    Classes {
        codes: Vec<u32>,
        n_classes: Vec<usize>,
        stride: usize,
        k: usize,
    },
    /// Target values.
    Values { y: Vec<f64>, k: usize },
}

/// [`Outputs::move_rows`] of `K` target values per row: the sums held in
/// registers over the rows (each output's sum added in the same order as
/// the loop over outputs adds it, so equal bit for bit).
#[inline]
fn move_values<const K: usize>(
    y: &[f64],
    sums: &mut [f64],
    w_sum: &mut f64,
    (rows, ahead): (&[u32], &[u32]),
    weights: &[f64],
    sign: f64,
) {
    let mut acc: [f64; K] = sums.try_into().expect("K sums");
    let mut w_acc = *w_sum;
    let mut step = |j: usize, i: usize| {
        if let Some(&a) = ahead.get(j) {
            prefetch(&weights[a as usize]);
            prefetch(&y[a as usize * K]);
        }
        let ws = sign * weights[i];
        let row: &[f64; K] = y[i * K..(i + 1) * K].try_into().expect("K values");
        for (s, v) in acc.iter_mut().zip(row) {
            *s += ws * v;
        }
        w_acc += ws;
    };
    if sign > 0.0 {
        rows.iter()
            .enumerate()
            .for_each(|(j, &r)| step(j, r as usize));
    } else {
        rows.iter()
            .rev()
            .enumerate()
            .for_each(|(j, &r)| step(j, r as usize));
    }
    sums.copy_from_slice(&acc);
    *w_sum = w_acc;
}

impl Outputs {
    /// Numbers per node in the sums and the node value.
    pub(crate) fn width(&self) -> usize {
        match self {
            Self::Classes { stride, k, .. } => stride * k,
            Self::Values { k, .. } => *k,
        }
    }

    /// Adds `w` times sample `i` to `sums` (its class weights, or w·y).
    #[inline]
    pub(crate) fn add(&self, sums: &mut [f64], i: usize, w: f64) {
        match self {
            Self::Classes {
                codes, stride, k, ..
            } => {
                for (o, &c) in codes[i * k..(i + 1) * k].iter().enumerate() {
                    sums[o * stride + c as usize] += w;
                }
            }
            Self::Values { y, k } => {
                for (s, v) in sums.iter_mut().zip(&y[i * k..(i + 1) * k]) {
                    *s += w * v;
                }
            }
        }
    }

    /// Adds (`sign` 1) the samples `rows` in their order to `sums` and
    /// their weights to `w_sum`, or takes them back (`sign` −1) in reverse
    /// order, as scikit-learn's `update` does (`x + (−w)` is `x − w`
    /// exactly); `ahead`: the samples read next, whose targets are asked
    /// for ahead of use.
    #[inline]
    pub(crate) fn move_rows(
        &self,
        sums: &mut [f64],
        w_sum: &mut f64,
        (rows, ahead): (&[u32], &[u32]),
        weights: &[f64],
        sign: f64,
    ) {
        match self {
            Self::Classes {
                codes, stride, k, ..
            } => {
                let (stride, k) = (*stride, *k);
                let mut step = |j: usize, i: usize| {
                    if let Some(&a) = ahead.get(j) {
                        prefetch(&weights[a as usize]);
                        prefetch(&codes[a as usize * k]);
                    }
                    let ws = sign * weights[i];
                    for (o, &c) in codes[i * k..(i + 1) * k].iter().enumerate() {
                        sums[o * stride + c as usize] += ws;
                    }
                    *w_sum += ws;
                };
                if sign > 0.0 {
                    rows.iter()
                        .enumerate()
                        .for_each(|(j, &r)| step(j, r as usize));
                } else {
                    rows.iter()
                        .rev()
                        .enumerate()
                        .for_each(|(j, &r)| step(j, r as usize));
                }
            }
            Self::Values { y, k } => match *k {
                2 => move_values::<2>(y, sums, w_sum, (rows, ahead), weights, sign),
                3 => move_values::<3>(y, sums, w_sum, (rows, ahead), weights, sign),
                4 => move_values::<4>(y, sums, w_sum, (rows, ahead), weights, sign),
                k => {
                    let mut step = |j: usize, i: usize| {
                        if let Some(&a) = ahead.get(j) {
                            prefetch(&weights[a as usize]);
                            prefetch(&y[a as usize * k]);
                        }
                        let ws = sign * weights[i];
                        for (s, v) in sums.iter_mut().zip(&y[i * k..(i + 1) * k]) {
                            *s += ws * v;
                        }
                        *w_sum += ws;
                    };
                    if sign > 0.0 {
                        rows.iter()
                            .enumerate()
                            .for_each(|(j, &r)| step(j, r as usize));
                    } else {
                        rows.iter()
                            .rev()
                            .enumerate()
                            .for_each(|(j, &r)| step(j, r as usize));
                    }
                }
            },
        }
    }

    /// Σ w·y² of sample `i` over the outputs (regression; 0 otherwise),
    /// added term by term to `acc` as scikit-learn adds them.
    #[inline]
    pub(crate) fn add_squares(&self, acc: &mut f64, i: usize, w: f64) {
        if let Self::Values { y, k } = self {
            for v in &y[i * k..(i + 1) * k] {
                *acc += w * v * v;
            }
        }
    }

    /// The node's sums over `rows`: (per-output sums, Σ w·y², weight), in
    /// scikit-learn's order (`sum += w·y`, `sq += (w·y)·y`).
    pub(crate) fn node_sums(&self, rows: &[u32], weights: &[f64]) -> (Vec<f64>, f64, f64) {
        let mut total = vec![0.0; self.width()];
        let (mut sq, mut w_node) = (0.0, 0.0);
        for &s in rows {
            let i = s as usize;
            let w = weights[i];
            match self {
                Self::Classes { .. } => self.add(&mut total, i, w),
                Self::Values { y, k } => {
                    for (t, v) in total.iter_mut().zip(&y[i * k..(i + 1) * k]) {
                        let wy = w * v;
                        *t += wy;
                        sq += wy * v;
                    }
                }
            }
            w_node += w;
        }
        (total, sq, w_node)
    }

    /// The node value: per output its class shares (classification, the
    /// classes past its own left at zero) or its mean.
    pub(crate) fn value(&self, total: &[f64], w: f64) -> Vec<f64> {
        total.iter().map(|t| t / w).collect()
    }

    /// Impurity of a node of sums `total`, Σ w·y² `sq`, weight `w`, whose
    /// samples are `rows` (read by the Poisson loss only): the mean over
    /// outputs.
    pub(crate) fn impurity(
        &self,
        c: CartCriterion,
        (total, sq, w): (&[f64], f64, f64),
        rows: &[u32],
        weights: &[f64],
    ) -> f64 {
        match (self, c) {
            (Self::Classes { .. }, CartCriterion::Entropy) => self.entropy(total, w),
            (Self::Classes { .. }, _) => self.gini(total, w),
            (Self::Values { .. }, CartCriterion::Poisson) => {
                self.poisson_loss(total, w, rows, weights)
            }
            (Self::Values { k, .. }, _) => {
                let mut imp = sq / w;
                for t in total {
                    imp -= (t / w).powi(2);
                }
                imp / *k as f64
            }
        }
    }

    /// Mean Gini index of the outputs.
    fn gini(&self, sums: &[f64], w: f64) -> f64 {
        let Self::Classes {
            n_classes, stride, ..
        } = self
        else {
            unreachable!("classes")
        };
        let mut gini = 0.0;
        for (o, &n) in n_classes.iter().enumerate() {
            let mut sq = 0.0;
            for c in &sums[o * stride..o * stride + n] {
                sq += c * c;
            }
            gini += 1.0 - sq / (w * w);
        }
        gini / n_classes.len() as f64
    }

    /// Mean entropy (in bits) of the outputs.
    fn entropy(&self, sums: &[f64], w: f64) -> f64 {
        let Self::Classes {
            n_classes, stride, ..
        } = self
        else {
            unreachable!("classes")
        };
        let mut e = 0.0;
        for (o, &n) in n_classes.iter().enumerate() {
            for &c in &sums[o * stride..o * stride + n] {
                if c > 0.0 {
                    let p = c / w;
                    e -= p * (p.ln() / std::f64::consts::LN_2);
                }
            }
        }
        e / n_classes.len() as f64
    }

    /// scikit-learn's Poisson loss of `rows` of sums `sums` and weight `w`:
    /// Σ_outputs Σ w·y·ln(y/ȳ) / (w · k), infinite when an output's sum is
    /// at most [`POISSON_EPSILON`].
    fn poisson_loss(&self, sums: &[f64], w: f64, rows: &[u32], weights: &[f64]) -> f64 {
        let Self::Values { y, k } = self else {
            unreachable!("values")
        };
        let mut loss = 0.0;
        for (o, &s) in sums.iter().enumerate() {
            if s <= POISSON_EPSILON {
                return f64::INFINITY;
            }
            let mean = s / w;
            for &r in rows {
                let i = r as usize;
                let v = y[i * k + o];
                // xlogy(v, v/mean): 0 at v = 0.
                if v != 0.0 {
                    loss += weights[i] * (v * (v / mean).ln());
                }
            }
        }
        loss / (w * *k as f64)
    }

    /// The proxy of a candidate (scikit-learn's
    /// `proxy_impurity_improvement`): left sums `left`, right sums
    /// `right`, weights `(w_left, w_right)`.
    #[inline]
    pub(crate) fn proxy(
        &self,
        c: CartCriterion,
        (left, right): (&[f64], &[f64]),
        (w_left, w_right): (f64, f64),
    ) -> f64 {
        match (self, c) {
            (Self::Values { .. }, CartCriterion::Poisson) => {
                let (mut pl, mut pr) = (0.0, 0.0);
                for (l, r) in left.iter().zip(right) {
                    if *l <= POISSON_EPSILON || *r <= POISSON_EPSILON {
                        return f64::NEG_INFINITY;
                    }
                    // scikit-learn's `log` here is log2 (ln x / ln 2).
                    pl -= l * ((l / w_left).ln() / std::f64::consts::LN_2);
                    pr -= r * ((r / w_right).ln() / std::f64::consts::LN_2);
                }
                -pl - pr
            }
            (Self::Values { .. }, _) => {
                let (mut pl, mut pr) = (0.0, 0.0);
                for (l, r) in left.iter().zip(right) {
                    pl += l * l;
                    pr += r * r;
                }
                pl / w_left + pr / w_right
            }
            (Self::Classes { .. }, CartCriterion::Entropy) => {
                let (il, ir) = (self.entropy(left, w_left), self.entropy(right, w_right));
                -w_right * ir - w_left * il
            }
            (Self::Classes { .. }, _) => {
                let (il, ir) = (self.gini(left, w_left), self.gini(right, w_right));
                -w_right * ir - w_left * il
            }
        }
    }

    /// Impurities of the children `rows_left` and `rows_right` of a node
    /// of Σ w·y² `sq_total`, their sums `left` and `right` and weights
    /// `(w_left, w_right)`.
    pub(crate) fn children_impurity(
        &self,
        c: CartCriterion,
        (left, right): (&[f64], &[f64]),
        (w_left, w_right): (f64, f64),
        (rows_left, rows_right, sq_total): (&[u32], &[u32], f64),
        weights: &[f64],
    ) -> (f64, f64) {
        match (self, c) {
            (Self::Values { .. }, CartCriterion::Poisson) => (
                self.poisson_loss(left, w_left, rows_left, weights),
                self.poisson_loss(right, w_right, rows_right, weights),
            ),
            (Self::Values { .. }, CartCriterion::AbsoluteError) => {
                unreachable!("absolute-error impurities come from the medians")
            }
            (Self::Values { k, .. }, _) => {
                let mut sq_left = 0.0;
                for &r in rows_left {
                    self.add_squares(&mut sq_left, r as usize, weights[r as usize]);
                }
                let sq_right = sq_total - sq_left;
                let mut il = sq_left / w_left;
                let mut ir = sq_right / w_right;
                for (l, r) in left.iter().zip(right) {
                    il -= (l / w_left).powi(2);
                    ir -= (r / w_right).powi(2);
                }
                (il / *k as f64, ir / *k as f64)
            }
            (Self::Classes { .. }, CartCriterion::Entropy) => {
                (self.entropy(left, w_left), self.entropy(right, w_right))
            }
            (Self::Classes { .. }, _) => (self.gini(left, w_left), self.gini(right, w_right)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impurities_are_the_mean_over_outputs() {
        // Two outputs over 4 rows: output 0 classes [0, 0, 1, 1] (Gini
        // 0.5), output 1 classes [0, 1, 2, 2] of 3 (Gini 1 - (1+1+4)/16
        // = 0.625): mean 0.5625.
        let out = Outputs::Classes {
            codes: vec![0, 0, 0, 1, 1, 2, 1, 2],
            n_classes: vec![2, 3],
            stride: 3,
            k: 2,
        };
        let w = [1.0; 4];
        let (total, sq, wn) = out.node_sums(&[0, 1, 2, 3], &w);
        assert_eq!(total, [2.0, 2.0, 0.0, 1.0, 1.0, 2.0]);
        let g = out.impurity(CartCriterion::Gini, (&total, sq, wn), &[], &w);
        assert!((g - 0.5625).abs() < 1e-15, "{g}");
        // Entropy: output 0 one bit, output 1 1.5 bits: mean 1.25.
        let e = out.impurity(CartCriterion::Entropy, (&total, sq, wn), &[], &w);
        assert!((e - 1.25).abs() < 1e-15, "{e}");
        // Squared error of outputs [1, 3] and [2, 6] (variances 1 and 4):
        // mean 2.5.
        let out = Outputs::Values {
            y: vec![1.0, 2.0, 3.0, 6.0],
            k: 2,
        };
        let w = [1.0; 2];
        let (total, sq, wn) = out.node_sums(&[0, 1], &w);
        let v = out.impurity(CartCriterion::SquaredError, (&total, sq, wn), &[0, 1], &w);
        assert!((v - 2.5).abs() < 1e-12, "{v}");
    }
}
