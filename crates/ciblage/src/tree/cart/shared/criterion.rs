//! The split criteria shared by the exact and histogram splitters: node
//! impurity, children impurities and the proxy compared between candidate
//! splits.

use smallvec::SmallVec;

use crate::tree::cart::params::CartCriterion;
use crate::tree::cart::shared::limits::LeafLimits;

/// Per-class weights (classification) or Σwy (regression) of a node: held
/// inline for up to four classes, so that no node allocates for them.
pub(crate) type ClassSums = SmallVec<[f64; 4]>;

/// Running sums of a node's criterion (class weights, or Σwy and Σwy²) and
/// of its left child.
#[derive(Clone)]
pub(crate) struct Sums {
    pub total: ClassSums,
    pub left: ClassSums,
    pub sq_total: f64,
    pub w_node: f64,
    pub w_left: f64,
    pub pos: usize,
}

impl Sums {
    /// Sums of `width` zeros.
    pub(crate) fn zero(width: usize) -> Self {
        Self {
            total: smallvec::smallvec![0.0; width],
            left: smallvec::smallvec![0.0; width],
            sq_total: 0.0,
            w_node: 0.0,
            w_left: 0.0,
            pos: 0,
        }
    }

    /// The first sums of the left child and the node, and their weights
    /// (what monotonic constraints read).
    #[inline]
    pub(crate) fn first(&self) -> ((f64, f64), (f64, f64)) {
        ((self.left[0], self.total[0]), (self.w_left, self.w_node))
    }

    /// Becomes a copy of `other`, reusing its buffers.
    pub(crate) fn reset_from(&mut self, other: &Self) {
        copy_sums(&mut self.total, &other.total);
        copy_sums(&mut self.left, &other.left);
        self.sq_total = other.sq_total;
        self.w_node = other.w_node;
        self.w_left = other.w_left;
        self.pos = other.pos;
    }
}

/// `to = from`, element by element when the lengths agree (the usual case:
/// no truncation and refill).
#[inline]
pub(crate) fn copy_sums(to: &mut ClassSums, from: &ClassSums) {
    if to.len() == from.len() {
        to.copy_from_slice(from);
    } else {
        to.clone_from(from);
    }
}

fn log2(x: f64) -> f64 {
    x.ln() / std::f64::consts::LN_2
}

/// Impurity of a node with class weights (or Σwy) `sums`, Σwy² `sq` and
/// weight `w`: Gini, entropy in bits, or the variance. For Poisson, `sq` is
/// the node's Σ w·y·ln(y/ȳ) (see [`poisson_loss`]); for the absolute error,
/// its Σ w·|y − median|.
pub(crate) fn impurity(c: CartCriterion, sums: &[f64], sq: f64, w: f64) -> f64 {
    match c {
        CartCriterion::AbsoluteError => sq / w,
        CartCriterion::Poisson => {
            if sums[0] / w <= f64::EPSILON {
                f64::INFINITY
            } else {
                sq / w
            }
        }
        CartCriterion::Gini => {
            let sq_count: f64 = sums.iter().map(|c| c * c).sum();
            1.0 - sq_count / (w * w)
        }
        CartCriterion::Entropy => {
            let mut e = 0.0;
            for &c in sums {
                if c > 0.0 {
                    let p = c / w;
                    e -= p * log2(p);
                }
            }
            e
        }
        CartCriterion::SquaredError => {
            let mut imp = sq / w;
            imp -= (sums[0] / w).powi(2);
            imp
        }
    }
}

/// The quantity maximised among candidate splits (scikit-learn's
/// `proxy_impurity_improvement`).
#[inline]
pub(crate) fn proxy(c: CartCriterion, s: &Sums) -> f64 {
    let w_right = s.w_node - s.w_left;
    match c {
        CartCriterion::SquaredError => {
            let right = s.total[0] - s.left[0];
            s.left[0] * s.left[0] / s.w_left + right * right / w_right
        }
        CartCriterion::Poisson => {
            let right = s.total[0] - s.left[0];
            // Children with Σy <= 0 cannot be predicted by a Poisson mean.
            if s.left[0] <= f64::EPSILON || right <= f64::EPSILON {
                return f64::NEG_INFINITY;
            }
            s.left[0] * (s.left[0] / s.w_left).ln() + right * (right / w_right).ln()
        }
        CartCriterion::Gini => {
            let (il, ir) = gini_children(s, w_right);
            -w_right * ir - s.w_left * il
        }
        _ => {
            let (il, ir) = children_impurity(c, s, 0.0);
            -w_right * ir - s.w_left * il
        }
    }
}

/// The squared-error proxy `L²/w_L + R²/w_R` of a candidate with left sum
/// `left` of a node summing to `total` ([`proxy`]'s terms, in its order),
/// or `None` when products show it cannot beat `best` (see
/// [`may_beat_squared`]).
#[inline]
pub(crate) fn squared_proxy(
    left: f64,
    total: f64,
    (w_left, w_right): (f64, f64),
    best: Option<f64>,
) -> Option<f64> {
    let right = total - left;
    if best.is_some_and(|b| !may_beat_squared(left, w_left, right, w_right, b)) {
        return None;
    }
    Some(left * left / w_left + right * right / w_right)
}

/// Gini impurities of the children (right weight `w_right`).
#[inline(always)]
fn gini_children(s: &Sums, w_right: f64) -> (f64, f64) {
    let (mut sq_l, mut sq_r) = (0.0, 0.0);
    for (t, l) in s.total.iter().zip(&s.left) {
        let r = t - l;
        sq_l += l * l;
        sq_r += r * r;
    }
    (
        1.0 - sq_l / (s.w_left * s.w_left),
        1.0 - sq_r / (w_right * w_right),
    )
}

/// The Gini proxy of a two-class candidate with left weights `left` of a
/// node of class weights `total`: [`proxy`]'s terms, in its order.
#[inline]
pub(crate) fn gini2_proxy(left: [f64; 2], total: [f64; 2], w_left: f64, w_right: f64) -> f64 {
    let (r0, r1) = (total[0] - left[0], total[1] - left[1]);
    let sq_l = 0.0 + left[0] * left[0] + left[1] * left[1];
    let sq_r = 0.0 + r0 * r0 + r1 * r1;
    let il = 1.0 - sq_l / (w_left * w_left);
    let ir = 1.0 - sq_r / (w_right * w_right);
    -w_right * ir - w_left * il
}

/// Whether a squared-error candidate with left sums (`left`, `w_left`)
/// and right sums (`right`, `w_right`) may have a proxy above `best`,
/// tested with products only: `L²·w_R + R²·w_L ≥ best·w_L·w_R`, loose by
/// a relative 1e-12 (far above the rounding of either side, all terms being
/// non-negative), and always true where products could leave the normal
/// range. Only candidates passing it pay for the proxy's two divisions, so
/// the candidate kept is the same as when every proxy is computed.
#[inline]
pub(crate) fn may_beat_squared(
    left: f64,
    w_left: f64,
    right: f64,
    w_right: f64,
    best: f64,
) -> bool {
    let bound = best * (w_left * w_right);
    let products = left * left * w_right + right * right * w_left;
    // NaN or infinite products compare false: they pass.
    !(products < bound * (1.0 - 1e-12) && bound >= 1e-200)
}

/// The proxy of a candidate split, or `None` when a child would be
/// smaller than the leaf limits allow.
pub(crate) fn limited_proxy(
    c: CartCriterion,
    s: &Sums,
    (n_left, n_right): (usize, usize),
    leaf: LeafLimits,
) -> Option<f64> {
    let too_small = n_left < leaf.min_samples
        || n_right < leaf.min_samples
        || s.w_left < leaf.min_weight
        || s.w_node - s.w_left < leaf.min_weight;
    (!too_small).then(|| proxy(c, s))
}

/// Impurities of the children; `sq_left` is Σ w·y² of the left child
/// (squared error only; Poisson children are computed by
/// [`poisson_loss`] over their samples).
#[inline]
pub(crate) fn children_impurity(c: CartCriterion, s: &Sums, sq_left: f64) -> (f64, f64) {
    let w_right = s.w_node - s.w_left;
    match c {
        CartCriterion::Poisson => unreachable!("Poisson children use poisson_loss"),
        CartCriterion::AbsoluteError => unreachable!("absolute-error children use their medians"),
        CartCriterion::SquaredError => {
            let sq_right = s.sq_total - sq_left;
            let mut il = sq_left / s.w_left;
            let mut ir = sq_right / w_right;
            il -= (s.left[0] / s.w_left).powi(2);
            ir -= ((s.total[0] - s.left[0]) / w_right).powi(2);
            (il, ir)
        }
        CartCriterion::Gini => gini_children(s, w_right),
        CartCriterion::Entropy => {
            let (mut el, mut er) = (0.0, 0.0);
            for (t, l) in s.total.iter().zip(&s.left) {
                let r = t - l;
                if *l > 0.0 {
                    let p = l / s.w_left;
                    el -= p * log2(p);
                }
                if r > 0.0 {
                    let p = r / w_right;
                    er -= p * log2(p);
                }
            }
            (el, er)
        }
    }
}

/// Σ w·y·ln(y/ȳ) over `(w, y)` pairs, ȳ = `sum / w_total` (scikit-learn's
/// Poisson loss, before division by the weight).
pub(crate) fn poisson_loss(pairs: impl Iterator<Item = (f64, f64)>, sum: f64, w_total: f64) -> f64 {
    let mean = sum / w_total;
    if mean <= f64::EPSILON {
        return f64::INFINITY;
    }
    pairs
        .filter(|&(_, y)| y > 0.0)
        .map(|(w, y)| w * y * (y / mean).ln())
        .sum()
}

/// The weighted impurity decrease of a split (scikit-learn's
/// `impurity_improvement`): the node summed in `s`, of impurity
/// `impurity`, its children of impurities `(impurity_left,
/// impurity_right)`, all samples weighing `w_total`.
pub(crate) fn improvement(
    s: &Sums,
    w_total: f64,
    impurity: f64,
    (impurity_left, impurity_right): (f64, f64),
) -> f64 {
    let w_right = s.w_node - s.w_left;
    (s.w_node / w_total)
        * (impurity - w_right / s.w_node * impurity_right - s.w_left / s.w_node * impurity_left)
}

/// Poisson impurities of two children from their losses.
pub(crate) fn poisson_children(s: &Sums, loss_left: f64, loss_right: f64) -> (f64, f64) {
    let w_right = s.w_node - s.w_left;
    (loss_left / s.w_left, loss_right / w_right)
}
