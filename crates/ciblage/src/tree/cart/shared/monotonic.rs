//! Monotonic constraints (scikit-learn's `monotonic_cst`): per feature,
//! +1 (the prediction may only rise with the feature), −1 (only fall) or 0
//! (free). They act at three places, as in scikit-learn:
//!
//! - a candidate split on a constrained feature is refused when its
//!   children's values are in the wrong order, or either lies outside the
//!   node's bounds ([`Monotonic::admits`]);
//! - a node's value is clipped into the bounds inherited from its
//!   ancestors ([`clip`]); the stored value is the clipped one;
//! - a split on a constrained feature bounds its children by the middle of
//!   their values: the left child's upper (+1) or lower (−1) bound, and the
//!   right child's other one ([`Monotonic::child_bounds`]).
//!
//! A classifier (two classes) constrains the share of the positive class
//! (class 1); the values compared and clipped are those of class 0 (as in
//! scikit-learn), so its signs are stored flipped. The checks run per
//! candidate of constrained features only, and per node.

/// A node's bounds on its value: (lower, upper).
pub(crate) type Bounds = (f64, f64);

/// No bound: the root's.
pub(crate) const UNBOUNDED: Bounds = (f64::NEG_INFINITY, f64::INFINITY);

/// The constraints of a fit, per feature, in the signs the search uses
/// (those of the first value of a node: a classifier's are flipped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Monotonic {
    signs: Vec<i8>,
    /// Classification: a node's value is its class shares, the second
    /// `1 - ` the first after clipping.
    classification: bool,
}

impl Monotonic {
    /// The constraints `cst` (the caller's signs: on the mean, or on the
    /// positive class's share) of a regression or classification fit.
    pub(crate) fn new(cst: &[i8], classification: bool) -> Self {
        let flip = if classification { -1 } else { 1 };
        Self {
            signs: cst.iter().map(|&c| c * flip).collect(),
            classification,
        }
    }

    /// The constraint of `feature` in the search's signs (0: free).
    #[inline]
    pub(crate) fn sign(&self, feature: usize) -> i8 {
        self.signs.get(feature).copied().unwrap_or(0)
    }

    /// Whether children of values `left` and `right` keep the constraint
    /// `sign` and the node's `bounds` (scikit-learn's
    /// `_check_monotonicity`).
    #[inline]
    pub(crate) fn admits(sign: i8, (lower, upper): Bounds, left: f64, right: f64) -> bool {
        left >= lower
            && right >= lower
            && left <= upper
            && right <= upper
            && (left - right) * f64::from(sign) <= 0.0
    }

    /// The bounds of the left and right children of a node of `bounds`
    /// split on `feature`, the middle of the children's values being
    /// `middle`.
    pub(crate) fn child_bounds(&self, feature: usize, bounds: Bounds, middle: f64) -> [Bounds; 2] {
        let (lower, upper) = bounds;
        match self.sign(feature) {
            1 => [(lower, middle), (middle, upper)],
            -1 => [(middle, upper), (lower, middle)],
            _ => [bounds, bounds],
        }
    }

    /// Clips a node's `value` into `bounds` (see [`clip`]).
    pub(crate) fn clip(&self, value: &mut [f64], bounds: Bounds) {
        clip(value, bounds, self.classification);
    }
}

/// Clips the first number of a node's `value` into `bounds`; for a
/// classification, the second becomes `1 -` the first (two classes; a
/// single class keeps its share).
pub(crate) fn clip(value: &mut [f64], (lower, upper): Bounds, classification: bool) {
    if value[0] < lower {
        value[0] = lower;
    } else if value[0] > upper {
        value[0] = upper;
    }
    if classification && value.len() == 2 {
        value[1] = 1.0 - value[0];
    }
}

/// The first sums of a candidate split: its left child's and its node's
/// first class weight (or Σwy), then their weights.
pub(crate) type FirstSums = ((f64, f64), (f64, f64));

/// The values of the left and right children of a candidate of sums
/// `((left, total), (w_left, w_node))` (their first class's share, or
/// their mean).
#[inline]
pub(crate) fn side_values(((left, total), (w_left, w_node)): FirstSums) -> (f64, f64) {
    (left / w_left, (total - left) / (w_node - w_left))
}

/// The middle of the children's values of a split of sums
/// `((left, total), (w_left, w_node))` (scikit-learn's `middle_value`).
pub(crate) fn middle(((left, total), (w_left, w_node)): FirstSums) -> f64 {
    left / (2.0 * w_left) + (total - left) / (2.0 * (w_node - w_left))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_candidate_keeps_the_order_and_the_bounds() {
        // Increasing: left at most right.
        assert!(Monotonic::admits(1, UNBOUNDED, 1.0, 2.0));
        assert!(Monotonic::admits(1, UNBOUNDED, 2.0, 2.0));
        assert!(!Monotonic::admits(1, UNBOUNDED, 2.5, 2.0));
        // Decreasing: left at least right.
        assert!(Monotonic::admits(-1, UNBOUNDED, 2.5, 2.0));
        assert!(!Monotonic::admits(-1, UNBOUNDED, 1.0, 2.0));
        // Free, but bounded: both values inside [0, 3].
        assert!(Monotonic::admits(0, (0.0, 3.0), 3.0, 0.0));
        assert!(!Monotonic::admits(0, (0.0, 3.0), 3.5, 0.0));
        assert!(!Monotonic::admits(0, (0.0, 3.0), 1.0, -0.5));
    }

    #[test]
    fn children_are_bounded_by_the_middle() {
        let m = Monotonic::new(&[1, -1, 0], false);
        let b = (0.0, 10.0);
        assert_eq!(m.child_bounds(0, b, 4.0), [(0.0, 4.0), (4.0, 10.0)]);
        assert_eq!(m.child_bounds(1, b, 4.0), [(4.0, 10.0), (0.0, 4.0)]);
        assert_eq!(m.child_bounds(2, b, 4.0), [b, b]);
        // A classifier's signs are those of class 0's share.
        let c = Monotonic::new(&[1, -1, 0], true);
        assert_eq!((c.sign(0), c.sign(1), c.sign(2)), (-1, 1, 0));
    }

    #[test]
    fn values_are_clipped_into_the_bounds() {
        let mut v = [0.9, 0.1];
        clip(&mut v, (0.0, 0.6), true);
        assert_eq!(v, [0.6, 1.0 - 0.6]);
        let mut v = [7.0];
        clip(&mut v, (7.5, f64::INFINITY), false);
        assert_eq!(v, [7.5]);
        let mut v = [7.0];
        clip(&mut v, UNBOUNDED, false);
        assert_eq!(v, [7.0]);
    }

    #[test]
    fn middle_and_sides_read_the_sums() {
        // Left: weight 2, Σ 3 (mean 1.5); right: weight 4, Σ 10 (mean 2.5).
        let s = ((3.0, 13.0), (2.0, 6.0));
        assert_eq!(side_values(s), (1.5, 2.5));
        assert_eq!(middle(s), 2.0);
    }
}
