//! The exact splitter's partition of a split node: every feature's sorted
//! order split into the samples going one way then the others, each side
//! in its former order.
//!
//! Grown depth first, the children are laid out right then left
//! (`mirror`): the left child, grown first, holds the top positions of its
//! parent, so the positions of finished subtrees always lie above the node
//! being grown, and the sorted orders can be cut down to what is left to
//! grow while the tree itself grows (see [`Splitter::release_above`]).

use crate::tree::cart::build::Splitter;

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

/// Bytes a fitted tree takes per node (see `CartTree`), near enough.
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

impl Splitter<'_> {
    /// The left and right children of `start..end`, split with
    /// `pos - start` samples going left.
    pub(super) fn children_of(&self, start: usize, end: usize, pos: usize) -> [(usize, usize); 2] {
        if self.mirror {
            let cut = end - (pos - start);
            [(cut, end), (start, cut)]
        } else {
            [(start, pos), (pos, end)]
        }
    }

    /// Cuts the sorted orders and buffers to positions `..end` once they
    /// hold a sixteenth more (only with the mirrored layout, where every node
    /// still to grow lies below `end`).
    pub(super) fn release_above(&mut self, end: usize) {
        if !self.mirror || end + end / 16 >= self.kept {
            return;
        }
        for v in &mut self.sorted {
            v.truncate(end);
            v.shrink_to(end);
        }
        for v in &mut self.sorted_values {
            v.truncate(end);
            v.shrink_to(end);
        }
        self.buf.truncate(end);
        self.buf.shrink_to(end);
        self.vbuf.truncate(end);
        self.vbuf.shrink_to(end);
        self.kept = end;
    }

    /// Splits the range of every feature into the `n_left` samples flagged
    /// in `goes_left` and the others (the flagged ones first, or last with
    /// the mirrored layout), keeping each feature's order; `in_order` is a
    /// feature whose flagged samples already come first. Clears the flags.
    pub(super) fn partition_marked(
        &mut self,
        (start, end): (usize, usize),
        n_left: usize,
        in_order: Option<usize>,
    ) {
        // Children that will not be split are only summarised, from the
        // first feature's order.
        let features = if self.children_split { self.data.d } else { 1 };
        // Samples whose flag equals `first` keep their place in front.
        let first = !self.mirror;
        for f in 0..features {
            let (order, values) = (&mut self.sorted[f], &mut self.sorted_values[f]);
            // Growing from the top, only the feature shown has an order.
            if order.is_empty() {
                continue;
            }
            if Some(f) == in_order {
                if self.mirror {
                    order[start..end].rotate_left(n_left);
                    values[start..end].rotate_left(n_left);
                }
                continue;
            }
            // Front samples move forward in place (never past one not yet
            // read), the others wait in the buffers, then follow.
            // Branch-free: each sample is written to both places, and only
            // its side's cursor moves on.
            let (mut l, mut r) = (start, 0);
            for k in start..end {
                let (smp, v) = (order[k], values[k]);
                let front = usize::from(self.goes_left[smp as usize] == first);
                order[l] = smp;
                values[l] = v;
                self.buf[r] = smp;
                self.vbuf[r] = v;
                l += front;
                r += 1 - front;
            }
            order[l..end].copy_from_slice(&self.buf[..r]);
            values[l..end].copy_from_slice(&self.vbuf[..r]);
        }
        self.partition_top_rows((start, end));
        let [(left_start, left_end), _] = self.children_of(start, end, start + n_left);
        for k in left_start..left_end {
            let smp = self.node_samples(k, k + 1)[0];
            self.goes_left[smp as usize] = false;
        }
    }

    /// Splits every feature's range into the samples of positions
    /// `start..pos` of `feature`'s order, plus those of `end_nm..end_nm +
    /// moved` (missing the feature, going left), and the others.
    pub(super) fn partition(
        &mut self,
        feature: usize,
        start: usize,
        pos: usize,
        (end_nm, moved): (usize, usize),
        end: usize,
    ) {
        for k in (start..pos).chain(end_nm..end_nm + moved) {
            self.goes_left[self.sorted[feature][k] as usize] = true;
        }
        // Without moved samples the split feature is already in order.
        let in_order = (moved == 0).then_some(feature);
        self.partition_marked((start, end), pos - start + moved, in_order);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::cart::params::CartCriterion;
    use crate::tree::cart::splitter::TrainSet;

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

    #[test]
    fn mirrored_children_put_the_left_child_on_top_and_free_what_is_above() {
        // Two features; y grows with feature 0, so the root splits on it.
        let n = 64;
        let x = ndarray::Array2::from_shape_fn((n, 2), |(i, f)| {
            if f == 0 {
                i as f64
            } else {
                ((i * 37) % n) as f64
            }
        });
        let y: Vec<f64> = (0..n).map(|i| if i < 20 { 1.0 } else { 5.0 }).collect();
        let data = TrainSet {
            x: x.view(),
            n,
            d: 2,
            classes: None,
            n_classes: 0,
            targets: Some(&y),
            weights: vec![1.0; n],
            categorical: vec![false, false],
            interrupt: Default::default(),
        };
        let mut sp = Splitter::new(&data, CartCriterion::SquaredError, 1, 1, 0.0, 2, true);
        sp.mirror = true;
        let root = sp.summarise(0, n);
        let mut n_constant = 0;
        let split = sp
            .node_split(0, n, root.impurity, &root, &mut n_constant)
            .unwrap();
        assert_eq!((split.feature, split.threshold), (0, 19.5));
        let [left, right] = sp.children_of(0, n, split.pos);
        // 20 samples go left: the top 20 positions.
        assert_eq!((left, right), ((44, 64), (0, 44)));
        for f in 0..2 {
            let (order, values) = (&sp.sorted[f], &sp.sorted_values[f]);
            for (a, b) in [left, right] {
                // Each child holds its own samples, still sorted by value.
                assert!(values[a..b].windows(2).all(|w| w[0] <= w[1]));
                let goes_left = a == left.0;
                assert!(order[a..b].iter().all(|&s| (s < 20) == goes_left));
            }
        }
        assert!(sp.goes_left.iter().all(|&g| !g));
        // Growing the left child first, the right child is what remains.
        sp.release_above(right.1);
        assert_eq!(sp.kept, 44);
        assert!(sp.sorted.iter().all(|v| v.len() == 44));
        assert!(sp.buf.len() == 44 && sp.vbuf.len() == 44);
        // Less than a sixteenth less: kept as is.
        sp.release_above(42);
        assert_eq!(sp.kept, 44);
    }
}
