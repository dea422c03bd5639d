//! Best-first growth under `max_leaf_nodes`: the node whose split improves
//! the weighted impurity most is expanded first, until the budget of leaves
//! is spent. Node ids, feature draws and tie order follow scikit-learn's
//! best-first builder: a node is numbered and its split searched when it is
//! created (known-constant features are not carried from the parent), both
//! children of an expanded node are created left then right, and the
//! frontier is a binary heap moved exactly as the C++ standard library's
//! `push_heap`/`pop_heap`, so that equal improvements come out in the same
//! order.

use crate::tree::cart::growth::{evaluate, NodeSplitter, Pending};
use crate::tree::cart::shared::limits::Limits;
use crate::tree::cart::shared::monotonic::{Bounds, UNBOUNDED};
use crate::tree::cart::tree::{CartModel, LEAF};

/// A node waiting in the frontier: its id, depth, the improvement of its
/// split (0 for a leaf), and, when it was split, its children's ranges
/// with the impurities the split gave them and their bounds under
/// monotonic constraints.
#[derive(Debug, Clone, Copy)]
struct Record {
    node: i64,
    depth: usize,
    improvement: f64,
    children: Option<[(usize, usize, f64, Bounds); 2]>,
}

/// Max-heap on `improvement`, laid out and moved as libstdc++'s heap
/// algorithms with the comparison `a.improvement < b.improvement`.
#[derive(Default)]
struct Frontier(Vec<Record>);

impl Frontier {
    fn less(a: &Record, b: &Record) -> bool {
        a.improvement < b.improvement
    }

    /// Moves `value` up from `hole` towards `top` (the standard library's
    /// `__push_heap`).
    fn sift_up(&mut self, mut hole: usize, top: usize, value: Record) {
        let h = &mut self.0;
        while hole > top {
            let parent = (hole - 1) / 2;
            if !Self::less(&h[parent], &value) {
                break;
            }
            h[hole] = h[parent];
            hole = parent;
        }
        h[hole] = value;
    }

    fn push(&mut self, r: Record) {
        self.0.push(r);
        let last = self.0.len() - 1;
        self.sift_up(last, 0, r);
    }

    /// Removes the record of largest improvement (`pop_heap` then
    /// `pop_back`).
    fn pop(&mut self) -> Option<Record> {
        let len = self.0.len();
        if len > 1 {
            // `__pop_heap`: the last record is re-inserted from the root's
            // hole after the root moves to the back.
            let value = self.0[len - 1];
            self.0[len - 1] = self.0[0];
            self.adjust(0, len - 1, value);
        }
        self.0.pop()
    }

    /// The standard library's `__adjust_heap` on the first `len` records.
    fn adjust(&mut self, mut hole: usize, len: usize, value: Record) {
        let top = hole;
        let mut child = hole;
        while len >= 2 && child < (len - 1) / 2 {
            child = 2 * (child + 1);
            if Self::less(&self.0[child], &self.0[child - 1]) {
                child -= 1;
            }
            self.0[hole] = self.0[child];
            hole = child;
        }
        if len % 2 == 0 && len >= 2 && child == (len - 2) / 2 {
            child = 2 * (child + 1);
            self.0[hole] = self.0[child - 1];
            hole = child - 1;
        }
        self.sift_up(hole, top, value);
    }
}

/// Creates the node `start..end` (numbered now, its best split searched
/// now, no feature known constant) and returns its frontier record.
fn add_node(
    sp: &mut impl NodeSplitter,
    t: &mut CartModel,
    lim: &Limits,
    (start, end, depth): (usize, usize, usize),
    (parent, is_left): (i64, bool),
    (impurity, bounds): (Option<f64>, Bounds),
) -> Record {
    let mut node = Pending {
        start,
        end,
        depth,
        parent,
        is_left,
        impurity,
        n_constant: 0,
        bounds,
    };
    let (id, split) = evaluate(sp, t, lim, &mut node);
    let children = split.as_ref().map(|s| {
        let [(a, b), (c, d)] = sp.children(start, end, s.pos);
        let [lb, rb] = lim.monotonic.as_ref().map_or([bounds, bounds], |m| {
            m.child_bounds(s.feature, bounds, s.middle)
        });
        [(a, b, s.impurity_left, lb), (c, d, s.impurity_right, rb)]
    });
    Record {
        node: id,
        depth,
        improvement: split.map_or(0.0, |s| s.improvement),
        children,
    }
}

/// Grows `t` (empty) best first, with at most `max_leaf_nodes` leaves.
pub(crate) fn grow(
    sp: &mut impl NodeSplitter,
    t: &mut CartModel,
    (lim, max_leaf_nodes): (&Limits, usize),
    n_samples: usize,
) {
    let mut frontier = Frontier::default();
    let root = add_node(
        sp,
        t,
        lim,
        (0, n_samples, 0),
        (LEAF, false),
        (None, UNBOUNDED),
    );
    frontier.push(root);
    let mut splits_left = max_leaf_nodes.saturating_sub(1);
    while let Some(r) = frontier.pop() {
        let children = match r.children {
            Some(children) if splits_left > 0 => children,
            children => {
                // Not expanded: a leaf (its split, searched at creation,
                // is dropped).
                for (start, end, _, _) in children.into_iter().flatten() {
                    sp.forget(start, end);
                }
                t.feature[r.node as usize] = LEAF;
                t.categories[r.node as usize] = None;
                t.threshold[r.node as usize] = -2.0;
                // Progress: the samples of every leaf, once.
                lim.interrupt
                    .advance(t.n_node_samples[r.node as usize] as u64);
                continue;
            }
        };
        splits_left -= 1;
        for ((start, end, impurity, bounds), is_left) in children.into_iter().zip([true, false]) {
            let child = add_node(
                sp,
                t,
                lim,
                (start, end, r.depth + 1),
                (r.node, is_left),
                (Some(impurity), bounds),
            );
            frontier.push(child);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(improvement: f64, node: i64) -> Record {
        Record {
            node,
            depth: 0,
            improvement,
            children: None,
        }
    }

    #[test]
    fn pops_in_decreasing_improvement() {
        let mut f = Frontier::default();
        for (k, v) in [3.0, 1.0, 4.0, 1.5, 5.0, 9.0, 2.0, 6.0].iter().enumerate() {
            f.push(rec(*v, k as i64));
        }
        let out: Vec<f64> = std::iter::from_fn(|| f.pop())
            .map(|r| r.improvement)
            .collect();
        assert_eq!(out, [9.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.5, 1.0]);
    }

    #[test]
    fn equal_improvements_come_out_in_the_standard_library_order() {
        // Expected orders printed by a C++ program running std::push_heap,
        // std::pop_heap + pop_back (GCC 12, libstdc++) on the same records,
        // compared on `improvement` only.
        let mut f = Frontier::default();
        for k in 0..5 {
            f.push(rec(1.0, k));
        }
        let out: Vec<i64> = std::iter::from_fn(|| f.pop()).map(|r| r.node).collect();
        assert_eq!(out, [0, 2, 4, 1, 3]);
        // Pushes interleaved with pops (one pop after every third push).
        let keys = [2.0, 1.0, 2.0, 3.0, 1.0, 2.0, 2.0, 0.0, 3.0, 1.0, 2.0, 2.0];
        let mut out = Vec::new();
        for (k, &key) in keys.iter().enumerate() {
            f.push(rec(key, k as i64));
            if k % 3 == 2 {
                out.push(f.pop().unwrap().node);
            }
        }
        out.extend(std::iter::from_fn(|| f.pop()).map(|r| r.node));
        assert_eq!(out, [0, 3, 8, 2, 5, 6, 11, 10, 1, 4, 9, 7]);
    }
}
