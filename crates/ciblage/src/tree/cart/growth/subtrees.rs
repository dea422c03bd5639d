//! Depth-first growth with the subtrees of small nodes grown apart: the
//! subtrees under nodes of fewer than [`SubtreeSplitter::SMALL`] samples
//! depend on nothing but their own samples. The tree above them is grown
//! first, on the calling thread, and each of these subtrees is grown as a
//! task of its own, on any thread, with its own feature draws (a generator
//! seeded from the seed and the subtree's place), held compactly (see
//! [`Piece`]), then put in its place. The tree is the same for any number
//! of threads. A tree whose root is such a node grows in place, drawing
//! features as the exact splitter does.

use std::sync::Mutex;

use crate::tree::cart::growth::depth_first;
use crate::tree::cart::growth::piece::Piece;
use crate::tree::cart::growth::{NodeSplitter, Pending};
use crate::tree::cart::shared::limits::Limits;
use crate::tree::cart::tree::{CartModel, LEAF};

/// A splitter whose small nodes' subtrees can grow apart.
pub(crate) trait SubtreeSplitter: NodeSplitter + Send {
    /// Nodes of fewer samples have their subtrees grown apart.
    const SMALL: usize;
    /// A splitter for the subtree of the node `start..end` alone (its
    /// samples numbered from 0), drawing features from the generator
    /// state `seed`.
    fn subtree(&self, start: usize, end: usize, seed: u32) -> Self;
}

/// Grows a tree depth first, the subtrees of small nodes as tasks of their
/// own (see the module documentation).
pub(crate) fn grow<S: SubtreeSplitter>(mut sp: S, t: &mut CartModel, lim: &Limits, seed: u32) {
    let n = sp.samples();
    let grown: Mutex<Vec<(i64, Piece)>> = Mutex::new(Vec::new());
    let empty = t.clone();
    rayon::scope(|scope| {
        let grown = &grown;
        let empty = &empty;
        depth_first::grow(&mut sp, t, lim, Pending::root(n), |sp, t, node| {
            // A small root is the whole tree: grown here, it draws as the
            // exact splitter does. Otherwise the first small nodes met
            // are children of large ones, whose rows are in node order.
            if n < S::SMALL || node.end - node.start >= S::SMALL {
                return false;
            }
            let mut sub = sp.subtree(node.start, node.end, subtree_seed(seed, node.start));
            let id = t.push_placeholder(node.parent, node.is_left);
            let local = Pending {
                start: 0,
                end: node.end - node.start,
                parent: LEAF,
                ..*node
            };
            scope.spawn(move |_| {
                let mut part = empty.clone();
                // A binary tree over m samples has at most 2m - 1 nodes:
                // room for all, no growth of its arrays on the way.
                part.reserve(2 * local.end - 1);
                depth_first::grow(&mut sub, &mut part, lim, local, |_, _, _| false);
                let piece = Piece::from_tree(&part);
                drop(part);
                grown
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push((id, piece));
            });
            true
        });
    });
    // The rows and histograms are freed before the tree is put together.
    drop(sp);
    let mut grown = grown
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if !grown.is_empty() {
        grown.sort_unstable_by_key(|g| g.0);
        *t = splice(t, grown);
    }
}

/// The tree `top` with each placeholder replaced by its subtree (given by
/// placeholder id, ascending), in preorder.
fn splice(top: &CartModel, pieces: Vec<(i64, Piece)>) -> CartModel {
    let parents = top.parents();
    let mut out = top.without_nodes();
    let total: usize =
        top.node_count() + pieces.iter().map(|p| p.1.node_count() - 1).sum::<usize>();
    out.reserve(total);
    let mut new_id = vec![0i64; top.node_count()];
    let mut pieces = pieces.into_iter().peekable();
    for i in 0..top.node_count() {
        let (parent, is_left) = match parents[i] {
            usize::MAX => (LEAF, false),
            p => (new_id[p], top.children_left[p] == i as i64),
        };
        new_id[i] = if pieces.peek().is_some_and(|p| p.0 == i as i64) {
            let (_, piece) = pieces.next().expect("peeked");
            piece.append_to(&mut out, parent, is_left)
        } else {
            out.copy_node(parent, is_left, top, i)
        };
    }
    out
}

/// The generator state of the subtree whose first position is `start`.
fn subtree_seed(seed: u32, start: usize) -> u32 {
    // Positions below 2^32 (rows are counted in u32 elsewhere); the golden
    // ratio spreads consecutive positions over the states.
    let s = seed.wrapping_add((start as u32).wrapping_add(1).wrapping_mul(0x9E37_79B9));
    if s == 0 {
        1
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use ndarray::Array2;
    use proptest::prelude::*;

    use crate::tree::cart::{Cart, CartModel, CartSplitter, LEAF};

    /// A pseudo-random number in [0, 1) from `k`, of 53 random bits (the
    /// finaliser of SplitMix64), so that two sums of different values
    /// practically never tie.
    fn spread(k: u64) -> f64 {
        let mut z = k.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) as f64 / 2f64.powi(64)
    }

    /// `y` with every two values at least `gap` apart (each value, in
    /// increasing order, raised to `gap` above the one before). Two samples
    /// whose targets differ by about 1e-8 make a node whose impurity is
    /// below the rounding of the variance formula: the growth whose sums
    /// were added in another order may then read it as pure and not split
    /// it, a difference of rounding, not of the subtrees' placement.
    fn at_least_apart(mut y: Vec<f64>, gap: f64) -> Vec<f64> {
        let mut order: Vec<usize> = (0..y.len()).collect();
        order.sort_by(|&a, &b| y[a].total_cmp(&y[b]));
        for k in 1..order.len() {
            let floor = y[order[k - 1]] + gap;
            if y[order[k]] < floor {
                y[order[k]] = floor;
            }
        }
        y
    }

    /// Every node's samples are those of its children together, and the
    /// nodes are numbered in preorder (a depth-first walk, left first,
    /// meets them in id order).
    fn assert_consistent(t: &CartModel) {
        let mut next = 0;
        let mut stack = vec![0usize];
        while let Some(i) = stack.pop() {
            assert_eq!(i, next, "node {i} met in preorder");
            next += 1;
            let (l, r) = (t.children_left[i], t.children_right[i]);
            if l == LEAF {
                assert_eq!(r, LEAF);
                continue;
            }
            let (l, r) = (l as usize, r as usize);
            assert_eq!(
                t.n_node_samples[i],
                t.n_node_samples[l] + t.n_node_samples[r]
            );
            stack.push(r);
            stack.push(l);
        }
        assert_eq!(next, t.node_count());
    }

    /// The nodes of the subtree of `i` in preorder, each child pair
    /// ordered by mean (then weight): samples, weight, mean and impurity.
    /// Trees that differ only by mirrored splits read the same.
    fn canonical(t: &CartModel, i: usize, out: &mut Vec<(usize, f64, f64, f64)>) {
        out.push((
            t.n_node_samples[i],
            t.weighted_n_node_samples[i],
            t.value.node(i)[0],
            t.impurity[i],
        ));
        if t.children_left[i] == LEAF {
            return;
        }
        let mut kids = [t.children_left[i] as usize, t.children_right[i] as usize];
        let key = |k: usize| (t.value.node(k)[0], t.weighted_n_node_samples[k]);
        if key(kids[1])
            .0
            .total_cmp(&key(kids[0]).0)
            .then(key(kids[1]).1.total_cmp(&key(kids[0]).1))
            .is_lt()
        {
            kids.swap(0, 1);
        }
        for k in kids {
            canonical(t, k, out);
        }
    }

    proptest! {
        /// Subtrees of small nodes grown apart (each drawing features from
        /// its own generator) and put back in place make the tree grown
        /// with one generator, up to which of several features making the
        /// same partition is named (and on which side each part goes): same
        /// nodes with the same samples, weights, impurities and means. Distinct
        /// continuous targets make a tie between different partitions
        /// (whose winner the draws would decide) practically impossible.
        #[test]
        fn subtrees_grown_apart_are_put_in_place(
            (n, d) in (300usize..1500, 1usize..6),
            salt in any::<u32>(),
            max_depth in prop::option::of(6usize..30),
            min_leaf in 1usize..4,
            weighted in any::<bool>(),
        ) {
            let salt = u64::from(salt);
            let x = Array2::from_shape_fn((n, d), |(r, c)| {
                spread(salt + (r * 7 + c) as u64 * 1_000_033)
            });
            let y: Vec<f64> = (0..n)
                .map(|r| x[[r, 0]] * 3.0 + spread(salt ^ (r as u64 * 998_244_353)))
                .collect();
            let y = at_least_apart(y, 1e-6);
            let w: Vec<f64> = (0..n).map(|r| 1.0 + (r % 3) as f64).collect();
            let params = Cart::regressor()
                .max_depth(max_depth)
                .min_samples_leaf(min_leaf)
                .splitter(CartSplitter::Histogram { max_bins: 255 })
                .seed(11)
                .check()
                .unwrap();
            let w = weighted.then_some(&w[..]);
            let apart = params.fit(x.view(), &y, w).unwrap();
            let one = params.clone().with_single_stream().fit(x.view(), &y, w).unwrap();
            assert_consistent(&apart);
            let (mut a, mut b) = (Vec::new(), Vec::new());
            canonical(&apart, 0, &mut a);
            canonical(&one, 0, &mut b);
            prop_assert_eq!(a.len(), b.len());
            for (p, q) in a.iter().zip(&b) {
                prop_assert_eq!((p.0, p.1, p.2), (q.0, q.1, q.2));
                // A mirrored split sums the other child first: its
                // impurities may round differently.
                prop_assert!((p.3 - q.3).abs() <= 1e-12 + 1e-9 * q.3.abs(), "{:?} {:?}", p, q);
            }
            if d == 1 {
                // One feature: no draw decides anything.
                prop_assert_eq!(&apart, &one);
            }
        }

        /// With one feature of few values, the histogram splitter grows the
        /// exact splitter's tree (classification and regression, missing
        /// values), small subtrees grown apart.
        #[test]
        fn one_feature_trees_are_the_exact_ones(
            rows in prop::collection::vec((0u8..40, 0u8..3, any::<bool>()), 260..900),
            depth in prop::option::of(2usize..20),
        ) {
            let x = Array2::from_shape_fn((rows.len(), 1), |(r, _)| {
                if rows[r].2 && rows[r].0 % 5 == 0 { f64::NAN } else { f64::from(rows[r].0) }
            });
            let classes: Vec<u32> = rows.iter().map(|r| u32::from(r.1)).collect();
            let targets: Vec<f64> = rows.iter().map(|r| f64::from(r.1) * 2.0 + f64::from(r.0 % 3)).collect();
            let classify = |s| Cart::classifier().max_depth(depth).splitter(s).check().unwrap()
                .fit(x.view(), &classes, 3, None).unwrap();
            prop_assert_eq!(
                classify(CartSplitter::Exact),
                classify(CartSplitter::Histogram { max_bins: 64 })
            );
            let regress = |s| Cart::regressor().max_depth(depth).splitter(s).check().unwrap()
                .fit(x.view(), &targets, None).unwrap();
            let (exact, hist) = (regress(CartSplitter::Exact), regress(CartSplitter::Histogram { max_bins: 64 }));
            prop_assert_eq!(&exact.children_left, &hist.children_left);
            prop_assert_eq!(&exact.threshold, &hist.threshold);
            prop_assert_eq!(&exact.missing_go_to_left, &hist.missing_go_to_left);
            prop_assert_eq!(&exact.n_node_samples, &hist.n_node_samples);
            prop_assert_eq!(&exact.impurity, &hist.impurity);
        }
    }

    #[test]
    fn a_small_root_grows_with_the_exact_draws() {
        // 40 rows: the root itself is a small node, the whole tree, grown
        // in place from the one generator.
        let x = Array2::from_shape_fn((40, 2), |(r, c)| {
            (((r * 7) % 11) + c * ((r * 3) % 5)) as f64
        });
        let y: Vec<u32> = (0..40).map(|r| u32::from((r * 7) % 11 > 4)).collect();
        let params = Cart::classifier()
            .splitter(CartSplitter::Histogram { max_bins: 255 })
            .check()
            .unwrap();
        let hist = params.fit(x.view(), &y, 2, None).unwrap();
        let exact = Cart::classifier()
            .check()
            .unwrap()
            .fit(x.view(), &y, 2, None)
            .unwrap();
        assert_consistent(&hist);
        assert!(hist.node_count() > 1);
        assert_eq!(hist, exact);
    }
}
