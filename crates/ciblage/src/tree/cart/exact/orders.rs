//! The exact splitter's sorted orders: per feature, the samples sorted by
//! that feature's value (radix-sorted once, on all threads), every node
//! one range of positions, the same in all features; the partition of a
//! split node keeps each side in order, so no node sorts again.
//!
//! Grown depth first, the children are laid out right then left
//! (`mirror`): the left child, grown first, holds the top positions of its
//! parent, so the positions of finished subtrees always lie above the node
//! being grown, and the orders can be cut down to what is left to grow
//! while the tree itself grows (see [`Orders::release_above`]).

use rayon::prelude::*;

use crate::tree::cart::shared::data::{Columns, TrainSet};
use crate::tree::cart::sparse::{self, DenseValue};
use ndarray::ArrayView1;

/// Bytes from which the system allocator maps a block on its own (glibc's
/// largest automatic threshold is 32 MiB); such a block shrunk in place
/// gives its tail back to the system.
const OWN_MAPPING: usize = 32 << 20;
/// Arrays below this size are not worth releasing.
const RELEASABLE: usize = 1 << 18;

/// An empty vector for `n` items whose tail can be given back to the
/// system when cut: large ones reserve at least [`OWN_MAPPING`] bytes (the
/// reserve beyond `n` items is address space, never touched, so it takes
/// no memory). Where the system refuses the address space (a strict
/// overcommit policy, a limit on it), just `n` items.
pub(crate) fn releasable<T>(n: usize) -> Vec<T> {
    let size = std::mem::size_of::<T>().max(1);
    let mut v = Vec::new();
    if n * size >= RELEASABLE && v.try_reserve_exact(n.max(OWN_MAPPING / size + 1)).is_ok() {
        return v;
    }
    Vec::with_capacity(n)
}

/// An empty vector for `n` items, [`releasable`] when `releasing`.
pub(crate) fn reserved<T>(n: usize, releasing: bool) -> Vec<T> {
    if releasing {
        releasable(n)
    } else {
        Vec::with_capacity(n)
    }
}

/// Bytes a fitted tree takes per node (see `CartModel`), near enough.
const NODE_BYTES: usize = 81;

/// Whether the sorted orders of `n` rows × `d` features are worth
/// reserving for release: when the largest tree `max_depth` allows could
/// take an eighth of their memory (8 bytes per cell) or more. Small trees
/// leave them as ordinary allocations, which may reuse memory the process
/// already holds.
pub(crate) fn worth_releasing(n: usize, d: usize, max_depth: Option<usize>) -> bool {
    let most = (2 * n).saturating_sub(1);
    let nodes = match max_depth {
        Some(k) if k < 62 => most.min((1usize << (k + 1)) - 1),
        _ => most,
    };
    nodes.saturating_mul(NODE_BYTES) >= n.saturating_mul(d)
}

/// The pairs (value, row) of `rows` (ascending) for feature `f`, sorted by
/// value (the order of `f32::total_cmp`, missing values last); ties keep
/// ascending rows (a stable radix sort).
pub(crate) fn sorted_by_value(data: &TrainSet<'_>, f: usize, rows: &[u32]) -> Vec<(f32, u32)> {
    let mut keyed = match &data.x {
        Columns::Dense(x) => keyed_by_value(x.column(f), rows),
        Columns::Dense32(x) => keyed_by_value(x.column(f), rows),
        Columns::Sparse(x) => return sparse::orders::sorted_by_value(x, f, rows),
    };
    radsort::sort_by_key(&mut keyed, |e| e.0);
    keyed
}

/// The pairs (value as f32, row) of `rows` in `column`, one NaN (positive)
/// for every missing value.
fn keyed_by_value<T: DenseValue>(column: ArrayView1<'_, T>, rows: &[u32]) -> Vec<(f32, u32)> {
    rows.iter()
        .map(|&r| {
            let v = column[r as usize];
            (if v.is_missing() { f32::NAN } else { v.to_f32() }, r)
        })
        .collect()
}

/// See the module documentation.
#[derive(Debug, Default)]
pub(crate) struct Orders {
    /// Per feature, the samples sorted by that feature (ties by sample
    /// index); every node is one range, the same in all features.
    pub sorted: Vec<Vec<u32>>,
    /// The feature values in the same orders (read contiguously).
    pub values: Vec<Vec<f32>>,
    /// Buffers of a partition: the samples (and values) of the side that
    /// waits.
    pub buf: Vec<u32>,
    pub vbuf: Vec<f32>,
    /// Per sample, whether it goes left in the partition being made.
    pub goes_left: Vec<bool>,
    /// Children laid out right then left (see the module documentation).
    pub mirror: bool,
    /// Positions still held in the orders and buffers.
    pub kept: usize,
}

impl Orders {
    /// No order yet, for `d` features (see [`Orders::presort`]).
    pub(crate) fn empty(d: usize) -> Self {
        Self {
            sorted: vec![Vec::new(); d],
            values: vec![Vec::new(); d],
            ..Self::default()
        }
    }

    /// Sorts `rows` (ascending) by every feature, on all threads: positions
    /// `0..rows.len()` are then the root's; the buffers take that many.
    /// The features in `constant` (known constant in these rows: never
    /// searched) get no order, except feature 0, whose order gives every
    /// node's samples.
    pub(crate) fn presort(
        &mut self,
        data: &TrainSet<'_>,
        rows: &[u32],
        releasing: bool,
        constant: &[usize],
    ) {
        let m = rows.len();
        let mut unsorted = vec![false; data.d];
        for &f in constant {
            unsorted[f] = f != 0;
        }
        (self.sorted, self.values) = (0..data.d)
            .into_par_iter()
            .map(|f| {
                if unsorted[f] {
                    return (Vec::new(), Vec::new());
                }
                let keyed = sorted_by_value(data, f, rows);
                let mut order = reserved(m, releasing);
                let mut values = reserved(m, releasing);
                order.extend(keyed.iter().map(|e| e.1));
                values.extend(keyed.iter().map(|e| e.0));
                (order, values)
            })
            .unzip();
        self.vbuf = reserved(m, releasing);
        self.vbuf.resize(m, 0.0);
        self.buf = reserved(m, releasing);
        self.buf.resize(m, 0);
        self.kept = m;
    }

    /// The left and right children of `start..end`, split with
    /// `pos - start` samples going left.
    pub(crate) fn children_of(&self, start: usize, end: usize, pos: usize) -> [(usize, usize); 2] {
        if self.mirror {
            let cut = end - (pos - start);
            [(cut, end), (start, cut)]
        } else {
            [(start, pos), (pos, end)]
        }
    }

    /// Cuts the orders and buffers to positions `..end` once they hold a
    /// sixteenth more (only with the mirrored layout, where every node
    /// still to grow lies below `end`).
    pub(crate) fn release_above(&mut self, end: usize) {
        if !self.mirror || end + end / 16 >= self.kept {
            return;
        }
        for v in &mut self.sorted {
            v.truncate(end);
            v.shrink_to(end);
        }
        for v in &mut self.values {
            v.truncate(end);
            v.shrink_to(end);
        }
        self.buf.truncate(end);
        self.buf.shrink_to(end);
        self.vbuf.truncate(end);
        self.vbuf.shrink_to(end);
        self.kept = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_trees_that_may_grow_large_release() {
        // 100k rows × 20 features: 16 MB of orders.
        assert!(worth_releasing(100_000, 20, None));
        assert!(!worth_releasing(100_000, 20, Some(8)));
        assert!(worth_releasing(100_000, 20, Some(14)));
        assert!(!worth_releasing(100_000, 20, Some(12)));
        assert!(worth_releasing(10, 3, Some(usize::MAX)));
    }

    #[test]
    fn large_arrays_reserve_their_own_mapping() {
        assert_eq!(releasable::<u32>(10).capacity(), 10);
        assert_eq!(releasable::<u32>(1000).capacity(), 1000);
        let v = releasable::<u32>(1 << 16);
        assert!(v.capacity() * 4 > OWN_MAPPING);
        let v = releasable::<f32>(20 << 20);
        assert_eq!(v.capacity(), 20 << 20);
    }
}
