//! What the growth shares with the splitters: the training data, a node's
//! summary, a split, and scikit-learn's rules for thresholds.

use crate::tree::cart::shared::criterion::{ClassSums, Sums};
pub(crate) use crate::tree::cart::sparse::Columns;

/// Distance under which two f32 feature values count as equal (no split
/// between them; the histogram splitter puts them in one bin).
pub(crate) const FEATURE_THRESHOLD: f32 = 1e-7;

/// The training data, read once.
pub(crate) struct TrainSet<'a> {
    /// The features (dense, or CSC), read as f32 (see
    /// [`TrainSet::column_f32`]).
    pub x: Columns<'a>,
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
        self.x.column_f32(f)
    }
}

/// A node's weight, impurity, value (class proportions or mean) and sums.
pub(crate) struct NodeSummary {
    pub w: f64,
    pub impurity: f64,
    pub value: ClassSums,
    pub sums: Sums,
}

/// A node's best split, as a splitter found it.
pub(crate) struct Split {
    pub feature: usize,
    pub threshold: f64,
    /// `pos - start` samples go left (see the splitters' `children`).
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
    /// The middle of the children's values (their first class's share,
    /// or their mean): the bound between them under a monotonic
    /// constraint.
    pub middle: f64,
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
