//! Native categorical splits, one search for both splitters: a subset of a
//! feature's categories goes left.
//!
//! The node's categories (the missing values counted as one more) are
//! ordered by their mean target — the share of the second class for two
//! classes, the share of the node's majority class for more, the mean for
//! regression — and the best split is searched among the prefixes of that
//! order. For two classes and for regression this is the best of all
//! subsets (Breiman et al. 1984, §9.4); for more classes it is a heuristic
//! with the same cost. Ties in the order go by category code (missing last),
//! so trees are deterministic.

use crate::tree::cart::params::CartCriterion;
use crate::tree::cart::shared::criterion::{self, Sums};
use crate::tree::cart::shared::limits::LeafLimits;

/// The categories of one feature in one node, by ascending code (the
/// missing values, when some, last): each one's rows, weight and criterion
/// sums (`width` per category, as the node's sums).
pub(crate) struct CategoryStats<'s> {
    pub count: &'s [u32],
    pub w: &'s [f64],
    pub stat: &'s [f64],
    /// Whether the last category is the missing values.
    pub has_missing: bool,
}

/// The best subset split of a feature in a node.
pub(crate) struct SubsetSplit {
    pub proxy: f64,
    /// The categories (their indices in [`CategoryStats`]) in the order
    /// searched: the first `prefix` go left.
    pub order: Vec<usize>,
    pub prefix: usize,
    /// Where the missing values go: their side when the node has some,
    /// else towards the larger child (as scikit-learn).
    pub missing_left: bool,
}

impl SubsetSplit {
    /// The categories going left (indices in [`CategoryStats`]) and those
    /// going right, each ascending.
    pub(crate) fn sides(&self) -> (Vec<usize>, Vec<usize>) {
        let mut left = self.order[..self.prefix].to_vec();
        let mut right = self.order[self.prefix..].to_vec();
        left.sort_unstable();
        right.sort_unstable();
        (left, right)
    }
}

/// The best subset split of the categories `cats` of a node of `n_node`
/// rows summed in `node` (its left sums zero): `None` when the feature is
/// constant there (one category, the missing values counted), `Some(None)`
/// when no split keeps the leaf limits.
pub(crate) fn best_subset(
    c: CartCriterion,
    leaf: LeafLimits,
    node: &Sums,
    cats: &CategoryStats<'_>,
    n_node: usize,
) -> Option<Option<SubsetSplit>> {
    let n = cats.count.len();
    if n < 2 {
        return None;
    }
    let width = node.total.len();
    let class = match (c, width) {
        (c, _) if c.is_regression() => 0,
        (_, 2) => 1,
        _ => (0..width).fold(0, |b, k| if node.total[k] > node.total[b] { k } else { b }),
    };
    let key = |i: usize| {
        if cats.w[i] > 0.0 {
            cats.stat[i * width + class] / cats.w[i]
        } else {
            0.0
        }
    };
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| key(a).total_cmp(&key(b)).then(a.cmp(&b)));
    let mut s = node.clone();
    s.left.iter_mut().for_each(|v| *v = 0.0);
    s.w_left = 0.0;
    let mut n_left = 0;
    let mut best: Option<(f64, usize, usize)> = None; // proxy, prefix length, n_left
    for (j, &i) in order.iter().enumerate().take(n - 1) {
        n_left += cats.count[i] as usize;
        s.w_left += cats.w[i];
        for (l, v) in s
            .left
            .iter_mut()
            .zip(&cats.stat[i * width..(i + 1) * width])
        {
            *l += v;
        }
        let Some(proxy) = criterion::limited_proxy(c, &s, (n_left, n_node - n_left), leaf) else {
            continue;
        };
        if best.is_none_or(|b| proxy > b.0) {
            best = Some((proxy, j + 1, n_left));
        }
    }
    let Some((proxy, prefix, n_left)) = best else {
        return Some(None);
    };
    let missing_left = if cats.has_missing {
        order[..prefix].contains(&(n - 1))
    } else {
        n_left > n_node - n_left
    };
    Some(Some(SubsetSplit {
        proxy,
        order,
        prefix,
        missing_left,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sums(total: &[f64], w: f64) -> Sums {
        let mut s = Sums::zero(total.len());
        s.total.copy_from_slice(total);
        s.w_node = w;
        s
    }

    #[test]
    fn categories_are_ordered_by_mean_and_cut_at_the_best_prefix() {
        // Regression, four categories of means 5, 1, 4, 0 (one row each,
        // weight 1): ordered 3, 1, 2, 0; sums 0, 1, 5 on the left of the
        // three cuts, total 10. Proxies L²/wL + R²/wR: 0 + 100/3, 1/2 +
        // 81/2 = 41, 25/3 + 25 = 33.3: the second cut, {3, 1} left.
        let stats = CategoryStats {
            count: &[1, 1, 1, 1],
            w: &[1.0; 4],
            stat: &[5.0, 1.0, 4.0, 0.0],
            has_missing: false,
        };
        let leaf = LeafLimits {
            min_samples: 1,
            min_weight: 0.0,
        };
        let node = sums(&[10.0], 4.0);
        let split = best_subset(CartCriterion::SquaredError, leaf, &node, &stats, 4)
            .unwrap()
            .unwrap();
        assert_eq!(split.order, [3, 1, 2, 0]);
        assert_eq!(split.prefix, 2);
        assert_eq!(split.proxy, 41.0);
        assert_eq!(split.sides(), (vec![1, 3], vec![0, 2]));
        // Two rows on each side: the missing values (none) go right.
        assert!(!split.missing_left);
        // Leaves of three rows at least: no cut keeps them.
        let three = LeafLimits {
            min_samples: 3,
            ..leaf
        };
        let none = best_subset(CartCriterion::SquaredError, three, &node, &stats, 4);
        assert!(matches!(none, Some(None)));
        // One category: constant.
        let one = CategoryStats {
            count: &[4],
            w: &[4.0],
            stat: &[10.0],
            has_missing: false,
        };
        assert!(best_subset(CartCriterion::SquaredError, leaf, &node, &one, 4).is_none());
    }
}
