//! The exact splitter's partition of a split node: every feature's sorted
//! order split into the samples going one way then the others, each side
//! in its former order (right then left with the mirrored layout, see
//! [`super::orders`]).

use crate::tree::cart::exact::ExactSplitter;

/// Moves the samples of `order` whose flag in `goes_left` equals `first`
/// to the front, the others after them, each side in its former order
/// (`values` moved alongside; `buf`, `vbuf` hold at least as many items);
/// returns how many went to the front.
pub(crate) fn partition_stable(
    (order, values): (&mut [u32], &mut [f32]),
    (buf, vbuf): (&mut [u32], &mut [f32]),
    goes_left: &[bool],
    first: bool,
) -> usize {
    // Front samples move forward in place (never past one not yet read),
    // the others wait in the buffers, then follow. Branch-free: each
    // sample is written to both places, and only its side's cursor moves
    // on.
    let (mut l, mut r) = (0, 0);
    for k in 0..order.len() {
        let (smp, v) = (order[k], values[k]);
        let front = usize::from(goes_left[smp as usize] == first);
        order[l] = smp;
        values[l] = v;
        buf[r] = smp;
        vbuf[r] = v;
        l += front;
        r += 1 - front;
    }
    order[l..].copy_from_slice(&buf[..r]);
    values[l..].copy_from_slice(&vbuf[..r]);
    l
}

impl ExactSplitter<'_> {
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
        // Grown depth first (mirrored), no node below this one searches the
        // features known constant here: their orders are left as they are
        // (feature 0's, which gives the nodes' samples, is always kept).
        let skipping = self.orders.mirror && features > 1;
        if skipping {
            for &f in self.draw.constants(self.n_constant) {
                self.skip[f] = f != 0;
            }
        }
        // Samples whose flag equals `first` keep their place in front.
        let first = !self.orders.mirror;
        for f in 0..features {
            if self.skip[f] {
                continue;
            }
            let orders = &mut self.orders;
            let (order, values) = (&mut orders.sorted[f], &mut orders.values[f]);
            // Growing from the top, only the feature shown has an order.
            if order.is_empty() {
                continue;
            }
            if Some(f) == in_order {
                if orders.mirror {
                    order[start..end].rotate_left(n_left);
                    values[start..end].rotate_left(n_left);
                }
                continue;
            }
            partition_stable(
                (&mut order[start..end], &mut values[start..end]),
                (&mut orders.buf, &mut orders.vbuf),
                &orders.goes_left,
                first,
            );
        }
        if skipping {
            for &f in self.draw.constants(self.n_constant) {
                self.skip[f] = false;
            }
        }
        if let Some(top) = &mut self.top {
            top.partition(&mut self.orders, (start, end));
        }
        let [(left_start, left_end), _] = self.orders.children_of(start, end, start + n_left);
        for k in left_start..left_end {
            let smp = self.node_samples(k, k + 1)[0];
            self.orders.goes_left[smp as usize] = false;
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
            self.orders.goes_left[self.orders.sorted[feature][k] as usize] = true;
        }
        // Without moved samples the split feature is already in order.
        let in_order = (moved == 0).then_some(feature);
        self.partition_marked((start, end), pos - start + moved, in_order);
    }
}

#[cfg(test)]
mod tests {
    use crate::tree::cart::exact::ExactSplitter;
    use crate::tree::cart::growth::{NodeSplitter, NodeToSplit};
    use crate::tree::cart::params::CartCriterion;
    use crate::tree::cart::shared::data::TrainSet;
    use crate::tree::cart::shared::draw::FeatureDraw;
    use crate::tree::cart::shared::limits::LeafLimits;

    /// Features nonzero in one block of rows only (block = row % 4, also
    /// feature 0): below a split on the block, the other blocks' features
    /// are constant, so depth-first growth neither partitions nor presorts
    /// them; growing from the top, the subtrees it hands over do not sort
    /// the features known constant at their root either. Both must give
    /// the tree of the whole presort (every feature sorted at the root),
    /// node for node; tests/test_cart_sparse.py checks scikit-learn's.
    #[test]
    fn orders_of_constant_features_left_alone_give_the_same_tree() {
        use crate::tree::cart::{Cart, CartSplitter};
        let (n, d) = (2000usize, 24usize);
        let hash = |i: usize, j: usize| (i * 2_654_435_761 + j * 40_503 + 12_345) % 1_000_003;
        let x = ndarray::Array2::from_shape_fn((n, d), |(i, j)| match j {
            0 => (i % 4) as f64,
            _ if i % 4 == j % 4 && hash(i, j) % 3 != 0 => 1.0 + (hash(i, j) % 50) as f64,
            _ => 0.0,
        });
        let y: Vec<u32> = (0..n)
            .map(|i| {
                let b = i % 4;
                u32::from((x[[i, 4 + b]] > 25.0) ^ (x[[i, 8 + b]] > 10.0) ^ (hash(i, 99) % 5 == 0))
            })
            .collect();
        let fit = |whole: bool| {
            let params = Cart::classifier()
                .min_samples_leaf(3)
                .splitter(CartSplitter::Exact)
                .check()
                .unwrap();
            let params = if whole {
                params.with_whole_presort()
            } else {
                params
            };
            params.fit(x.view(), &y, 2, None).unwrap()
        };
        let top = fit(false);
        let whole = fit(true);
        // Deep enough to split below the blocks.
        assert!(top.node_count() > 100, "{} nodes", top.node_count());
        assert_eq!(top.children_left, whole.children_left);
        assert_eq!(top.children_right, whole.children_right);
        assert_eq!(top.feature, whole.feature);
        assert_eq!(top.threshold, whole.threshold);
        assert_eq!(top.n_node_samples, whole.n_node_samples);
        assert_eq!(top.value, whole.value);
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
            x: x.view().into(),
            n,
            d: 2,
            classes: None,
            n_classes: 0,
            targets: Some(&y),
            weights: vec![1.0; n],
            categorical: vec![false, false],
            interrupt: Default::default(),
        };
        let leaf = LeafLimits {
            min_samples: 1,
            min_weight: 0.0,
        };
        let draw = FeatureDraw::new(2, 2, 1);
        let mut sp = ExactSplitter::presorted(
            &data,
            CartCriterion::SquaredError,
            (leaf, draw),
            (true, true),
        );
        let root = sp.summarise(0, n);
        let node = NodeToSplit {
            start: 0,
            end: n,
            depth: 0,
            impurity: root.impurity,
            summary: &root,
            bounds: crate::tree::cart::shared::monotonic::UNBOUNDED,
        };
        let split = sp.node_split(&node, &mut 0, None).unwrap();
        assert_eq!((split.feature, split.threshold), (0, 19.5));
        let [left, right] = sp.children(0, n, split.pos);
        // 20 samples go left: the top 20 positions.
        assert_eq!((left, right), ((44, 64), (0, 44)));
        for f in 0..2 {
            let (order, values) = (&sp.orders.sorted[f], &sp.orders.values[f]);
            for (a, b) in [left, right] {
                // Each child holds its own samples, still sorted by value.
                assert!(values[a..b].windows(2).all(|w| w[0] <= w[1]));
                let goes_left = a == left.0;
                assert!(order[a..b].iter().all(|&s| (s < 20) == goes_left));
            }
        }
        assert!(sp.orders.goes_left.iter().all(|&g| !g));
        // Growing the left child first, the right child is what remains.
        sp.release_above(right.1);
        assert_eq!(sp.orders.kept, 44);
        assert!(sp.orders.sorted.iter().all(|v| v.len() == 44));
        assert!(sp.orders.buf.len() == 44 && sp.orders.vbuf.len() == 44);
        // Less than a sixteenth less: kept as is.
        sp.release_above(42);
        assert_eq!(sp.orders.kept, 44);
    }
}
