//! A subtree grown apart (see [`super::subtrees`]), held
//! compactly until it is put in its place: its nodes in preorder, the
//! children implied by the order (a split node's left child follows it, its
//! right child follows the left child's subtree), the split of split nodes
//! only, counts of samples in 16 bits.

use crate::tree::cart::tree::{CartModel, CategorySplit, LEAF};

/// See the module documentation.
#[derive(Debug, Default)]
pub(crate) struct Piece {
    /// Per node: samples (a piece holds fewer than 65,536), …
    n: Vec<u16>,
    /// … whether it is split (bit 0) and sends missing values left (bit 1),
    flags: Vec<u8>,
    impurity: Vec<f64>,
    w: Vec<f64>,
    /// `width` numbers per node.
    value: Vec<f64>,
    /// Per split node, in order: feature and threshold …
    feature: Vec<u32>,
    threshold: Vec<f64>,
    /// … and the categorical splits, by split number.
    categories: Vec<(usize, Box<CategorySplit>)>,
}

const SPLIT: u8 = 1;
const MISSING_LEFT: u8 = 2;

impl Piece {
    /// The nodes of `t` (a tree of fewer than 65,536 samples, in preorder).
    pub fn from_tree(t: &CartModel) -> Self {
        let mut p = Self {
            n: t.n_node_samples
                .iter()
                .map(|&n| u16::try_from(n).expect("a piece holds fewer than 65,536 samples"))
                .collect(),
            flags: Vec::with_capacity(t.node_count()),
            impurity: t.impurity.clone(),
            w: t.weighted_n_node_samples.clone(),
            value: t.value.as_flat().to_vec(),
            ..Self::default()
        };
        for i in 0..t.node_count() {
            let split = t.children_left[i] != LEAF;
            p.flags.push(
                u8::from(split)
                    | if t.missing_go_to_left[i] {
                        MISSING_LEFT
                    } else {
                        0
                    },
            );
            if split {
                if let Some(c) = &t.categories[i] {
                    p.categories.push((p.feature.len(), c.clone()));
                }
                p.feature
                    .push(u32::try_from(t.feature[i]).expect("features number fewer than 2^32"));
                p.threshold.push(t.threshold[i]);
            }
        }
        p
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.n.len()
    }

    /// Appends the nodes to `out`, the root under `parent` (on the left
    /// when `is_left`); returns the root's id there.
    pub fn append_to(self, out: &mut CartModel, parent: i64, is_left: bool) -> i64 {
        let base = out.node_count();
        let end = base + self.n.len();
        out.impurity.extend_from_slice(&self.impurity);
        out.weighted_n_node_samples.extend_from_slice(&self.w);
        out.n_node_samples
            .extend(self.n.iter().map(|&n| usize::from(n)));
        out.value.extend_flat(&self.value);
        out.children_left.resize(end, LEAF);
        out.children_right.resize(end, LEAF);
        out.feature.resize(end, LEAF);
        out.threshold.resize(end, -2.0);
        out.missing_go_to_left.resize(end, false);
        out.categories.resize_with(end, || None);
        if parent != LEAF {
            let children = if is_left {
                &mut out.children_left
            } else {
                &mut out.children_right
            };
            children[parent as usize] = base as i64;
        }
        // In preorder, a node follows its parent when it is the left child;
        // after a leaf comes the right child of the last split node still
        // waiting for one.
        let mut waiting: Vec<usize> = Vec::new();
        let mut categories = self.categories.into_iter().peekable();
        let mut k = 0;
        for (j, &flags) in self.flags.iter().enumerate() {
            let id = base + j;
            if j > 0 {
                if self.flags[j - 1] & SPLIT != 0 {
                    out.children_left[id - 1] = id as i64;
                } else {
                    let p = waiting.pop().expect("preorder: a split node waits");
                    out.children_right[p] = id as i64;
                }
            }
            if flags & SPLIT != 0 {
                out.feature[id] = i64::from(self.feature[k]);
                out.threshold[id] = self.threshold[k];
                out.missing_go_to_left[id] = flags & MISSING_LEFT != 0;
                if categories.peek().is_some_and(|c| c.0 == k) {
                    out.categories[id] = categories.next().map(|c| c.1);
                }
                k += 1;
                waiting.push(id);
            }
        }
        base as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::cart::{Cart, CartSplitter};
    use ndarray::Array2;

    #[test]
    fn a_piece_puts_back_the_tree_it_was_made_from() {
        // A tree with threshold and categorical splits, missing values sent
        // both ways, three classes.
        let n = 120;
        let x = Array2::from_shape_fn((n, 3), |(r, c)| match c {
            0 if r % 11 == 0 => f64::NAN,
            0 => ((r * 37) % 101) as f64,
            1 => (r % 5) as f64,
            _ => ((r * 13) % 17) as f64 / 3.0,
        });
        let y: Vec<u32> = (0..n).map(|r| ((r * 7 + r / 9) % 3) as u32).collect();
        let t = Cart::classifier()
            .categorical_features(vec![1])
            .splitter(CartSplitter::Exact)
            .check()
            .unwrap()
            .fit(x.view(), &y, 3, None)
            .unwrap();
        assert!(t.categories.iter().any(Option::is_some));
        assert!(t.missing_go_to_left.iter().any(|&m| m));
        let piece = Piece::from_tree(&t);
        assert_eq!(piece.node_count(), t.node_count());
        let mut back = t.without_nodes();
        assert_eq!(piece.append_to(&mut back, LEAF, false), 0);
        assert_eq!(back, t);
    }
}
