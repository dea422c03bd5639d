//! The limits of a tree's growth and the one rule deciding, from them,
//! whether a node is split: the growth loops ask it of every node, the
//! histogram splitter of the children whose histograms it may keep.

use crate::interrupt::Interrupt;
use crate::tree::cart::shared::monotonic::Monotonic;

/// Smallest children a split may make (read in the splitters' inner
/// loops: a copy each).
#[derive(Debug, Clone, Copy)]
pub(crate) struct LeafLimits {
    /// Samples in each child (≥ 1).
    pub min_samples: usize,
    /// Weight in each child.
    pub min_weight: f64,
}

/// Limits of the growth.
#[derive(Debug, Clone)]
pub(crate) struct Limits {
    /// Depth of the deepest nodes (`None`: no limit).
    pub max_depth: Option<usize>,
    pub min_samples_split: usize,
    pub leaf: LeafLimits,
    pub min_impurity_decrease: f64,
    /// Once set, every node is a leaf: the growth ends fast and the fit
    /// returns an error instead of the tree.
    pub interrupt: Interrupt,
    /// The monotonic constraints (`None`: none given; node values are
    /// then stored as computed).
    pub monotonic: Option<Monotonic>,
}

impl Limits {
    /// Whether a node at `depth` may be split (is above the depth limit).
    #[inline]
    pub(crate) fn below_max_depth(&self, depth: usize) -> bool {
        self.max_depth.is_none_or(|m| depth < m)
    }

    /// Whether a node of `n` samples, weight `w` and `impurity` at `depth`
    /// is a leaf before any split is searched.
    pub(crate) fn stops(&self, depth: usize, n: usize, w: f64, impurity: f64) -> bool {
        !self.below_max_depth(depth)
            || n < self.min_samples_split
            || self.interrupt.is_set()
            || n < 2 * self.leaf.min_samples
            || w < 2.0 * self.leaf.min_weight
            || impurity <= f64::EPSILON
    }

    /// Whether the best split found for the node ending at `end`, sending
    /// the samples before `pos` left and improving the weighted impurity
    /// by `improvement`, is refused (it moves nothing, or improves too
    /// little).
    pub(crate) fn refuses(&self, (pos, improvement): (usize, f64), end: usize) -> bool {
        pos >= end || improvement + f64::EPSILON < self.min_impurity_decrease
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max_depth: Option<usize>) -> Limits {
        Limits {
            max_depth,
            min_samples_split: 4,
            leaf: LeafLimits {
                min_samples: 2,
                min_weight: 1.5,
            },
            min_impurity_decrease: 0.0,
            interrupt: Interrupt::default(),
            monotonic: None,
        }
    }

    #[test]
    fn the_stop_rule_reads_every_limit() {
        let lim = limits(Some(3));
        assert!(!lim.stops(2, 4, 3.0, 0.5));
        // Depth 3 is the deepest: its nodes are leaves.
        assert!(lim.stops(3, 4, 3.0, 0.5));
        // Fewer than min_samples_split, or than two leaves' samples.
        assert!(lim.stops(0, 3, 3.0, 0.5));
        // Less than two leaves' weight (2 × 1.5).
        assert!(lim.stops(0, 4, 2.9, 0.5));
        // A pure node.
        assert!(lim.stops(0, 4, 3.0, 0.0));
        // No depth limit: no depth stops.
        assert!(!limits(None).stops(usize::MAX, 4, 3.0, 0.5));
        assert!(limits(None).below_max_depth(usize::MAX));
        assert!(!limits(Some(1)).below_max_depth(1));
    }
}
