//! The FP-tree of FP-growth and its recursive mining.
//!
//! A tree is three parallel arrays (parent, item, count) plus a header
//! (every item's nodes), built from weighted paths sorted
//! lexicographically: a path shares its nodes with the previous path's
//! common prefix, so no child lookup is needed. Items are ranks (0 = the
//! most frequent item overall), and every path lists them in ascending
//! rank, from the root down.

use rayon::slice::ParallelSliceMut;

use crate::error::Result;
use crate::interrupt::Interrupt;

/// The parent of a child of the root.
const ROOT: u32 = u32::MAX;

/// Weighted paths, flat: path `i` is `items[ends[i - 1]..ends[i]]`.
#[derive(Default)]
pub(super) struct Paths {
    pub(super) items: Vec<u32>,
    pub(super) ends: Vec<usize>,
    pub(super) weights: Vec<u64>,
}

impl Paths {
    /// Appends a path (ascending items) of weight `w`; empty paths are
    /// dropped.
    pub(super) fn push(&mut self, path: impl IntoIterator<Item = u32>, w: u64) {
        let start = self.items.len();
        self.items.extend(path);
        if self.items.len() > start {
            self.ends.push(self.items.len());
            self.weights.push(w);
        }
    }

    fn path(&self, i: usize) -> &[u32] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.items[start..self.ends[i]]
    }
}

/// An FP-tree over `n_items` local items.
pub(super) struct Tree {
    parent: Vec<u32>,
    item: Vec<u32>,
    count: Vec<u64>,
    /// `head[head_start[i]..head_start[i + 1]]` are item `i`'s nodes.
    head_start: Vec<usize>,
    head: Vec<u32>,
    /// The support of every local item in the tree.
    item_count: Vec<u64>,
}

impl Tree {
    /// The tree of `paths` (items below `n_items`, ascending in each path).
    pub(super) fn build(paths: &Paths, n_items: usize) -> Self {
        let mut order: Vec<u32> = (0..paths.weights.len() as u32).collect();
        // Equal paths are interchangeable (their counts add up), so the
        // unstable parallel sort gives the same tree on any thread count.
        order.par_sort_unstable_by(|&a, &b| paths.path(a as usize).cmp(paths.path(b as usize)));
        let mut parent = Vec::new();
        let mut item = Vec::new();
        let mut count: Vec<u64> = Vec::new();
        // The nodes of the previous path, root first.
        let mut stack: Vec<u32> = Vec::new();
        let mut previous: &[u32] = &[];
        for &p in &order {
            let path = paths.path(p as usize);
            let w = paths.weights[p as usize];
            let shared = path
                .iter()
                .zip(previous)
                .take_while(|(a, b)| a == b)
                .count();
            stack.truncate(shared);
            for &node in &stack {
                count[node as usize] += w;
            }
            for &it in &path[shared..] {
                parent.push(stack.last().copied().unwrap_or(ROOT));
                item.push(it);
                count.push(w);
                stack.push(item.len() as u32 - 1);
            }
            previous = path;
        }
        // The header, by a counting sort of the nodes on their items.
        let mut head_start = vec![0usize; n_items + 1];
        let mut item_count = vec![0u64; n_items];
        for (&it, &c) in item.iter().zip(&count) {
            head_start[it as usize + 1] += 1;
            item_count[it as usize] += c;
        }
        for i in 0..n_items {
            head_start[i + 1] += head_start[i];
        }
        let mut fill = head_start.clone();
        let mut head = vec![0u32; item.len()];
        for (node, &it) in item.iter().enumerate() {
            head[fill[it as usize]] = node as u32;
            fill[it as usize] += 1;
        }
        Self {
            parent,
            item,
            count,
            head_start,
            head,
            item_count,
        }
    }

    /// The number of local items.
    pub(super) fn n_items(&self) -> usize {
        self.item_count.len()
    }

    /// Whether the tree is one chain from the root (nodes are built depth
    /// first, so a chain is node `i` under node `i - 1`).
    fn is_single_path(&self) -> bool {
        self.parent.iter().enumerate().all(|(i, &p)| {
            if i == 0 {
                p == ROOT
            } else {
                p as usize == i - 1
            }
        })
    }
}

/// Itemsets found, flat: itemset `i` is `items[ends[i - 1]..ends[i]]`
/// (global ranks, unordered), of support `counts[i]`.
#[derive(Default)]
pub(super) struct Found {
    pub(super) items: Vec<u32>,
    pub(super) ends: Vec<usize>,
    pub(super) counts: Vec<u64>,
}

impl Found {
    fn push(&mut self, suffix: &[u32], extra: impl IntoIterator<Item = u32>, count: u64) {
        self.items.extend_from_slice(suffix);
        self.items.extend(extra);
        self.ends.push(self.items.len());
        self.counts.push(count);
    }
}

/// What the mining of every tree shares.
pub(super) struct Miner<'a> {
    pub(super) min_count: u64,
    /// The largest itemset size wanted.
    pub(super) max_len: usize,
    pub(super) interrupt: &'a Interrupt,
}

impl Miner<'_> {
    /// Every frequent itemset of `tree` (local items mapped to global
    /// ranks by `ranks`), each joined to `suffix`.
    pub(super) fn mine(
        &self,
        tree: &Tree,
        ranks: &[u32],
        suffix: &mut Vec<u32>,
        out: &mut Found,
    ) -> Result<()> {
        if tree.is_single_path() {
            self.single_path(tree, ranks, suffix, out);
            return Ok(());
        }
        for i in 0..tree.n_items() {
            self.mine_item(tree, ranks, i, suffix, out)?;
        }
        Ok(())
    }

    /// The frequent itemsets of `tree` that hold local item `i` and no
    /// item after it (each joined to `suffix`).
    pub(super) fn mine_item(
        &self,
        tree: &Tree,
        ranks: &[u32],
        i: usize,
        suffix: &mut Vec<u32>,
        out: &mut Found,
    ) -> Result<()> {
        let support = tree.item_count[i];
        if support < self.min_count {
            return Ok(());
        }
        suffix.push(ranks[i]);
        out.push(suffix, [], support);
        if suffix.len() < self.max_len {
            self.interrupt.check()?;
            if let Some((cond, cond_ranks)) = self.conditional(tree, ranks, i) {
                self.mine(&cond, &cond_ranks, suffix, out)?;
            }
        }
        suffix.pop();
        Ok(())
    }

    /// The conditional tree of local item `i`: the paths above its nodes,
    /// restricted to the items frequent among them (None when there is
    /// none). The paths are walked twice, to count then to collect, so that
    /// nothing is stored for the many items whose conditional base holds no
    /// frequent item.
    fn conditional(&self, tree: &Tree, ranks: &[u32], i: usize) -> Option<(Tree, Vec<u32>)> {
        let nodes = &tree.head[tree.head_start[i]..tree.head_start[i + 1]];
        let mut counts = vec![0u64; i];
        for &n in nodes {
            let w = tree.count[n as usize];
            let mut p = tree.parent[n as usize];
            while p != ROOT {
                counts[tree.item[p as usize] as usize] += w;
                p = tree.parent[p as usize];
            }
        }
        // Frequent items keep their order (ascending rank), recoded densely.
        let mut local = vec![u32::MAX; i];
        let mut cond_ranks = Vec::new();
        for (it, &c) in counts.iter().enumerate() {
            if c >= self.min_count {
                local[it] = cond_ranks.len() as u32;
                cond_ranks.push(ranks[it]);
            }
        }
        if cond_ranks.is_empty() {
            return None;
        }
        let mut kept = Paths::default();
        let mut path = Vec::new();
        for &n in nodes {
            path.clear();
            let mut p = tree.parent[n as usize];
            while p != ROOT {
                let l = local[tree.item[p as usize] as usize];
                if l != u32::MAX {
                    path.push(l);
                }
                p = tree.parent[p as usize];
            }
            path.reverse();
            kept.push(path.iter().copied(), tree.count[n as usize]);
        }
        Some((Tree::build(&kept, cond_ranks.len()), cond_ranks))
    }

    /// Every non-empty subset of a single-path tree's nodes (up to the size
    /// limit), of the support of its deepest node.
    fn single_path(&self, tree: &Tree, ranks: &[u32], suffix: &[u32], out: &mut Found) {
        let room = self.max_len - suffix.len();
        let mut chosen: Vec<usize> = Vec::new();
        self.subsets(tree, ranks, suffix, 0, room, &mut chosen, out);
    }

    /// Subsets of the path's nodes from `from` on, added to `chosen`.
    #[allow(clippy::too_many_arguments)]
    fn subsets(
        &self,
        tree: &Tree,
        ranks: &[u32],
        suffix: &[u32],
        from: usize,
        room: usize,
        chosen: &mut Vec<usize>,
        out: &mut Found,
    ) {
        if chosen.len() == room {
            return;
        }
        for n in from..tree.count.len() {
            if tree.count[n] < self.min_count {
                break; // counts only fall down the path
            }
            chosen.push(n);
            let items = chosen.iter().map(|&k| ranks[tree.item[k] as usize]);
            out.push(suffix, items, tree.count[n]);
            self.subsets(tree, ranks, suffix, n + 1, room, chosen, out);
            chosen.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(list: &[(&[u32], u64)]) -> Paths {
        let mut p = Paths::default();
        for (items, w) in list {
            p.push(items.iter().copied(), *w);
        }
        p
    }

    #[test]
    fn shared_prefixes_share_nodes() {
        // {0,1,2}, {0,1}, {0,2}, {1}: nodes 0 -> 1 -> 2, 0 -> 2, 1.
        let t = Tree::build(
            &paths(&[(&[0, 1, 2], 1), (&[1], 1), (&[0, 1], 2), (&[0, 2], 1)]),
            3,
        );
        assert_eq!(t.item, vec![0, 1, 2, 2, 1]);
        assert_eq!(t.parent, vec![ROOT, 0, 1, 0, ROOT]);
        assert_eq!(t.count, vec![4, 3, 1, 1, 1]);
        assert_eq!(t.item_count, vec![4, 4, 2]);
        assert!(!t.is_single_path());
        let chain = Tree::build(&paths(&[(&[0, 1], 1), (&[0], 2)]), 2);
        assert!(chain.is_single_path());
    }
}
