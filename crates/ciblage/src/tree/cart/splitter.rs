//! What the tree builders share with the splitters: the training data, a
//! node's summary, a split, and the splitter interface.

use crate::tree::cart::criterion::{ClassSums, Sums};

/// The training data, read once.
pub(crate) struct TrainSet<'a> {
    /// The features, read as f32 (see [`TrainSet::column_f32`]).
    pub x: ndarray::ArrayView2<'a, f64>,
    pub n: usize,
    pub d: usize,
    /// Class codes (classification) …
    pub classes: Option<&'a [u32]>,
    pub n_classes: usize,
    /// … or targets (regression).
    pub targets: Option<&'a [f64]>,
    pub weights: Vec<f64>,
    /// Per feature, whether it holds category codes (split by subsets).
    pub categorical: Vec<bool>,
    /// The fit's token: node searches stop between features once it is set.
    pub interrupt: crate::interrupt::Interrupt,
}

impl<'a> TrainSet<'a> {
    /// The same data, borrowed for a shorter time (a view of the features
    /// ties the set to one lifetime).
    pub fn reborrow<'b>(self) -> TrainSet<'b>
    where
        'a: 'b,
    {
        TrainSet {
            x: self.x.reborrow(),
            n: self.n,
            d: self.d,
            classes: self.classes,
            n_classes: self.n_classes,
            targets: self.targets,
            weights: self.weights,
            categorical: self.categorical,
            interrupt: self.interrupt,
        }
    }

    /// Feature `f` as f32 (one NaN, positive, for every missing value, so
    /// that missing values sort last).
    pub fn column_f32(&self, f: usize) -> Vec<f32> {
        self.x
            .column(f)
            .iter()
            .map(|v| if v.is_nan() { f32::NAN } else { *v as f32 })
            .collect()
    }
}

/// A node's weight, impurity, value (class proportions or mean) and sums.
pub(crate) struct NodeSummary {
    pub w: f64,
    pub impurity: f64,
    pub value: ClassSums,
    pub sums: Sums,
}

/// What a tree builder asks of a splitter.
pub(crate) trait NodeSplitter {
    /// Number of samples taking part (those of non-zero weight).
    fn samples(&self) -> usize;
    /// Weight, impurity, value and sums of the node `start..end`.
    fn summarise(&self, start: usize, end: usize) -> NodeSummary;
    /// The best split of the node `start..end`, whose samples it partitions
    /// (left child first); `n_constant` is the number of features known
    /// constant in the parent, updated in place; `children_may_split` is
    /// false when the depth limit makes both children leaves.
    fn node_split(
        &mut self,
        start: usize,
        end: usize,
        impurity_and_children_may_split: (f64, bool),
        node: &NodeSummary,
        n_constant: &mut usize,
    ) -> Option<Split>;
    /// The node `start..end` will not be split: drop what was kept for it.
    fn forget(&mut self, _start: usize, _end: usize) {}
    /// The ranges of the left and right children of `start..end` once
    /// `split` has partitioned it (by default left first, then right).
    fn children(&self, start: usize, end: usize, split: &Split) -> [(usize, usize); 2] {
        [(start, split.pos), (split.pos, end)]
    }
    /// Every node still to grow lies below position `end`: what is held
    /// for the positions above may be freed.
    fn release_above(&mut self, _end: usize) {}
}

pub(crate) struct Split {
    pub feature: usize,
    pub threshold: f64,
    /// `pos - start` samples go left (see [`NodeSplitter::children`]).
    pub pos: usize,
    /// Where samples missing the feature go (learned when the node had
    /// some; otherwise towards the larger child).
    pub missing_left: bool,
    /// Categorical split: the categories going left and right (the others,
    /// unseen in the node, follow the missing values).
    pub categories: Option<(Vec<u32>, Vec<u32>)>,
    pub impurity_left: f64,
    pub impurity_right: f64,
    pub improvement: f64,
}

/// Threshold between the largest value `a` on the left and the smallest `b`
/// on the right: halfway in f64 (scikit-learn's rule), or `a` itself when
/// the midpoint rounds to `b` or overflows.
pub(crate) fn threshold_between(a: f32, b: f32) -> f64 {
    let t = f64::from(a) / 2.0 + f64::from(b) / 2.0;
    if t == f64::from(b) || t.is_infinite() {
        f64::from(a)
    } else {
        t
    }
}
