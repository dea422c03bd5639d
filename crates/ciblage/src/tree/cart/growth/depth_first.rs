//! Depth-first growth (no `max_leaf_nodes`): each node's subtree is grown
//! before the next node, left child first, nodes numbered in preorder (as
//! scikit-learn's depth-first builder).

use crate::tree::cart::growth::{evaluate, NodeSplitter, Pending};
use crate::tree::cart::shared::limits::Limits;
use crate::tree::cart::tree::CartModel;

/// Grows the subtree of `root` into `t`, depth first. Every node is first
/// offered to `defer`, which may take it (and number it in `t`) to be grown
/// elsewhere: then its subtree is not grown here.
pub(crate) fn grow<S: NodeSplitter>(
    sp: &mut S,
    t: &mut CartModel,
    lim: &Limits,
    root: Pending,
    mut defer: impl FnMut(&mut S, &mut CartModel, &Pending) -> bool,
) {
    // Samples of zero weight take no part (as in scikit-learn): the
    // splitter holds the others only.
    let mut stack = vec![root];
    while let Some(mut node) = stack.pop() {
        if defer(sp, t, &node) {
            continue;
        }
        // The nodes left on the stack all lie below this one.
        sp.release_above(node.end);
        let (id, split) = evaluate(sp, t, lim, &mut node);
        if split.is_none() {
            // Progress: the samples of every leaf, once.
            lim.interrupt.advance((node.end - node.start) as u64);
        }
        if let Some(s) = split {
            let [(left_start, left_end), (right_start, right_end)] =
                sp.children(node.start, node.end, s.pos);
            let [left_bounds, right_bounds] = lim
                .monotonic
                .as_ref()
                .map_or([node.bounds, node.bounds], |m| {
                    m.child_bounds(s.feature, node.bounds, s.middle)
                });
            let child = |start, end, is_left, impurity, bounds| Pending {
                start,
                end,
                depth: node.depth + 1,
                parent: id,
                is_left,
                impurity: Some(impurity),
                n_constant: node.n_constant,
                bounds,
            };
            stack.push(child(
                right_start,
                right_end,
                false,
                s.impurity_right,
                right_bounds,
            ));
            stack.push(child(
                left_start,
                left_end,
                true,
                s.impurity_left,
                left_bounds,
            ));
        }
    }
}
