//! The growth of a tree, the same for both splitters: depth first
//! ([`depth_first`]), best first under `max_leaf_nodes` ([`best_first`]),
//! and depth first with the subtrees of small nodes grown as tasks of their
//! own ([`subtrees`]). Both orders evaluate a node by [`evaluate`]: its
//! summary, the stop rule of the limits, the splitter's best split and its
//! acceptance. The growth depends on the shared pieces and on the fitted
//! tree only; the splitters implement [`NodeSplitter`].

pub(crate) mod best_first;
pub(crate) mod depth_first;
mod piece;
pub(crate) mod subtrees;

use crate::tree::cart::shared::data::{NodeSummary, Split};
use crate::tree::cart::shared::limits::Limits;
use crate::tree::cart::shared::monotonic::{Bounds, UNBOUNDED};
use crate::tree::cart::tree::{CartModel, LEAF};

/// The node a splitter is asked to split.
pub(crate) struct NodeToSplit<'n> {
    pub start: usize,
    pub end: usize,
    pub depth: usize,
    /// The node's impurity as its parent computed it (its own at the root).
    pub impurity: f64,
    pub summary: &'n NodeSummary,
    /// Bounds of the node's value under monotonic constraints.
    pub bounds: Bounds,
}

/// What the growth asks of a splitter.
pub(crate) trait NodeSplitter {
    /// Number of samples taking part (those of non-zero weight).
    fn samples(&self) -> usize;
    /// Weight, impurity, value and sums of the node `start..end`.
    fn summarise(&self, start: usize, end: usize) -> NodeSummary;
    /// The best split of `node` under the limits `lim`, whose samples it
    /// partitions (see [`NodeSplitter::children`]); `n_constant` is the
    /// number of features known constant in the parent, updated in place.
    fn node_split(
        &mut self,
        node: &NodeToSplit<'_>,
        lim: &Limits,
        n_constant: &mut usize,
    ) -> Option<Split>;
    /// The node `start..end` will not be split: drop what was kept for it.
    fn forget(&mut self, _start: usize, _end: usize) {}
    /// The ranges of the left and right children of `start..end` once a
    /// split sending `pos - start` samples left has partitioned it (by
    /// default left first, then right).
    fn children(&self, start: usize, end: usize, pos: usize) -> [(usize, usize); 2] {
        [(start, pos), (pos, end)]
    }
    /// Every node still to grow lies below position `end`: what is held
    /// for the positions above may be freed.
    fn release_above(&mut self, _end: usize) {}
}

/// A node waiting to be grown: its positions, depth, parent (and side),
/// the impurity its parent computed for it (`None` at the root: its own)
/// the number of features known constant in it, and the bounds of its
/// value under monotonic constraints.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pending {
    pub start: usize,
    pub end: usize,
    pub depth: usize,
    pub parent: i64,
    pub is_left: bool,
    pub impurity: Option<f64>,
    pub n_constant: usize,
    pub bounds: Bounds,
}

impl Pending {
    /// The root of a tree over `n` samples.
    pub fn root(n: usize) -> Self {
        Self {
            start: 0,
            end: n,
            depth: 0,
            parent: LEAF,
            is_left: false,
            impurity: None,
            n_constant: 0,
            bounds: UNBOUNDED,
        }
    }
}

/// Evaluates `node` (both growth orders): summarises it, searches its best
/// split unless the limits stop it, accepts or refuses that split, and
/// numbers the node in `t` (with its split). Returns the node's id and its
/// accepted split (`None`: a leaf); `node.n_constant` is updated.
pub(crate) fn evaluate<S: NodeSplitter>(
    sp: &mut S,
    t: &mut CartModel,
    lim: &Limits,
    node: &mut Pending,
) -> (i64, Option<Split>) {
    let (start, end, depth) = (node.start, node.end, node.depth);
    let n_node = end - start;
    let mut summary = sp.summarise(start, end);
    if let Some(m) = &lim.monotonic {
        // The value stored is the one clipped into the node's bounds.
        m.clip(&mut summary.value, node.bounds);
    }
    let impurity = node.impurity.unwrap_or(summary.impurity);
    let mut split = if lim.stops(depth, n_node, summary.w, impurity) {
        sp.forget(start, end);
        None
    } else {
        let at = NodeToSplit {
            start,
            end,
            depth,
            impurity,
            summary: &summary,
            bounds: node.bounds,
        };
        match sp.node_split(&at, lim, &mut node.n_constant) {
            Some(s) if lim.refuses((s.pos, s.improvement), end) => {
                for (a, b) in sp.children(start, end, s.pos) {
                    sp.forget(a, b);
                }
                None
            }
            split => split,
        }
    };
    let id = t.push_node(
        node.parent,
        node.is_left,
        impurity,
        n_node,
        summary.w,
        &summary.value,
    );
    if let Some(s) = &mut split {
        let i = id as usize;
        t.feature[i] = s.feature as i64;
        t.threshold[i] = s.threshold;
        t.missing_go_to_left[i] = s.missing_left;
        t.categories[i] = s.categories.take().map(Box::new);
    }
    (id, split)
}
