//! A fitted CART tree: arrays as scikit-learn's `tree_`, prediction,
//! importances and minimal cost-complexity pruning.

use serde::{Deserialize, Serialize};

use crate::tree::cart::params::CartCriterion;
use crate::tree::cart::values::NodeValues;

/// Version of the serialized tree format.
pub const CART_MODEL_VERSION: u32 = 1;

/// The categories sent left and those sent right by a categorical split
/// (codes, ascending).
pub type CategorySplit = (Vec<u32>, Vec<u32>);

/// Marker of "no child" / "no feature" in the node arrays (as scikit-learn).
pub const LEAF: i64 = -1;

/// A fitted CART tree, node arrays in depth-first preorder (root 0).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CartModel {
    pub(crate) version: u32,
    /// The criterion used.
    pub criterion: CartCriterion,
    /// Number of features.
    pub n_features: usize,
    /// Number of classes (0 for regression).
    pub n_classes: usize,
    /// Left child per node ([`LEAF`] for leaves).
    pub children_left: Vec<i64>,
    /// Right child per node.
    pub children_right: Vec<i64>,
    /// Split feature per node ([`LEAF`] … as −2 in scikit-learn).
    pub feature: Vec<i64>,
    /// Threshold per node: `x <= threshold` goes left (x read as f32).
    pub threshold: Vec<f64>,
    /// Per split node, whether rows missing the feature (NaN) go left:
    /// learned where the node's training rows had missing values, towards
    /// the larger child otherwise (as scikit-learn). Empty in models saved
    /// before missing values were supported: the larger child then.
    #[serde(default)]
    pub missing_go_to_left: Vec<bool>,
    /// Per node, for a categorical split, the categories going left and
    /// those going right; other categories (unseen in the node at fit)
    /// follow the missing values. `None` for threshold splits and leaves.
    #[serde(default)]
    pub categories: Vec<Option<Box<CategorySplit>>>,
    /// Per feature, the names of its categories (by code), used in rules;
    /// empty for numeric features or when unknown.
    #[serde(default)]
    pub category_names: Vec<Vec<String>>,
    /// Impurity per node.
    pub impurity: Vec<f64>,
    /// Training samples per node.
    pub n_node_samples: Vec<usize>,
    /// Training weight per node.
    pub weighted_n_node_samples: Vec<f64>,
    /// Class proportions (classification) or mean (regression) per node.
    pub value: NodeValues,
    /// The monotonic constraints of the fit, one per feature (1: rising,
    /// −1: falling, 0: free; a classifier's on the share of class 1);
    /// empty when none were given (and in models saved before they
    /// existed).
    #[serde(default)]
    pub monotonic_cst: Vec<i8>,
    /// Per output, its number of classes (1 for regression), when the tree
    /// predicts several outputs (a 2-D `y`); empty for one output. Node
    /// values then hold `n_outputs() × max(n_classes, 1)` numbers: each
    /// output's class shares (zeros past its own classes) or its mean.
    #[serde(default)]
    pub output_classes: Vec<usize>,
}

impl CartModel {
    /// A tree without nodes.
    pub(crate) fn empty(criterion: CartCriterion, n_features: usize, n_classes: usize) -> Self {
        Self {
            version: CART_MODEL_VERSION,
            criterion,
            n_features,
            n_classes,
            children_left: Vec::new(),
            children_right: Vec::new(),
            feature: Vec::new(),
            threshold: Vec::new(),
            missing_go_to_left: Vec::new(),
            categories: Vec::new(),
            category_names: Vec::new(),
            impurity: Vec::new(),
            n_node_samples: Vec::new(),
            weighted_n_node_samples: Vec::new(),
            value: NodeValues::new(n_classes.max(1)),
            monotonic_cst: Vec::new(),
            output_classes: Vec::new(),
        }
    }

    /// Number of outputs the tree predicts (1 unless fitted on a 2-D `y`
    /// of several columns).
    pub fn n_outputs(&self) -> usize {
        self.output_classes.len().max(1)
    }

    /// Refuses a tree of several outputs where `what` reads one output
    /// only (rules, SQL, gains, ...).
    ///
    /// # Errors
    /// [`crate::CiblageError::InvalidParameter`] naming `what`.
    pub fn check_single_output(&self, what: &'static str) -> crate::error::Result<()> {
        if self.n_outputs() > 1 {
            return Err(crate::error::CiblageError::param(
                what,
                format!(
                    "the tree predicts {} outputs: {what} reads trees of one output",
                    self.n_outputs()
                ),
            ));
        }
        Ok(())
    }

    /// Appends a node (a leaf until its children are attached) under
    /// `parent` and returns its id.
    pub(crate) fn push_node(
        &mut self,
        parent: i64,
        is_left: bool,
        impurity: f64,
        n: usize,
        w: f64,
        value: &[f64],
    ) -> i64 {
        let id = self.feature.len() as i64;
        if parent != LEAF {
            if is_left {
                self.children_left[parent as usize] = id;
            } else {
                self.children_right[parent as usize] = id;
            }
        }
        self.children_left.push(LEAF);
        self.children_right.push(LEAF);
        self.impurity.push(impurity);
        self.n_node_samples.push(n);
        self.weighted_n_node_samples.push(w);
        self.value.push(value);
        self.feature.push(LEAF);
        self.threshold.push(-2.0);
        self.missing_go_to_left.push(false);
        self.categories.push(None);
        id
    }

    /// Appends a node standing for a subtree grown elsewhere (see
    /// [`CartModel::append_tree`]) and returns its id.
    pub(crate) fn push_placeholder(&mut self, parent: i64, is_left: bool) -> i64 {
        let zeros = vec![0.0; self.value.width()];
        self.push_node(parent, is_left, f64::NAN, 0, 0.0, &zeros)
    }

    /// The same tree without nodes.
    pub(crate) fn without_nodes(&self) -> Self {
        Self {
            category_names: self.category_names.clone(),
            monotonic_cst: self.monotonic_cst.clone(),
            output_classes: self.output_classes.clone(),
            value: NodeValues::new(self.value.width()),
            ..Self::empty(self.criterion, self.n_features, self.n_classes)
        }
    }

    /// Room for `n` more nodes.
    pub(crate) fn reserve(&mut self, n: usize) {
        self.children_left.reserve(n);
        self.children_right.reserve(n);
        self.feature.reserve(n);
        self.threshold.reserve(n);
        self.missing_go_to_left.reserve(n);
        self.categories.reserve(n);
        self.impurity.reserve(n);
        self.n_node_samples.reserve(n);
        self.weighted_n_node_samples.reserve(n);
        self.value.reserve(n);
    }

    /// Appends node `i` of `other` (its split, not its children) under
    /// `parent` and returns its id here.
    pub(crate) fn copy_node(&mut self, parent: i64, is_left: bool, other: &Self, i: usize) -> i64 {
        let id = self.push_node(
            parent,
            is_left,
            other.impurity[i],
            other.n_node_samples[i],
            other.weighted_n_node_samples[i],
            other.value.node(i),
        );
        let j = id as usize;
        self.feature[j] = other.feature[i];
        self.threshold[j] = other.threshold[i];
        self.missing_go_to_left[j] = other.missing_go_to_left[i];
        self.categories[j].clone_from(&other.categories[i]);
        id
    }

    /// Parent of every node (`usize::MAX` for the root).
    pub(crate) fn parents(&self) -> Vec<usize> {
        let mut parent = vec![usize::MAX; self.node_count()];
        for i in 0..self.node_count() {
            for c in [self.children_left[i], self.children_right[i]] {
                if c != LEAF {
                    parent[c as usize] = i;
                }
            }
        }
        parent
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.feature.len()
    }

    /// Number of leaves.
    pub fn n_leaves(&self) -> usize {
        self.children_left.iter().filter(|&&c| c == LEAF).count()
    }

    /// Depth of the tree (a lone root: 0).
    pub fn max_depth(&self) -> usize {
        let mut depth = vec![0usize; self.node_count()];
        let mut best = 0;
        for i in 0..self.node_count() {
            for c in [self.children_left[i], self.children_right[i]] {
                if c != LEAF {
                    depth[c as usize] = depth[i] + 1;
                    best = best.max(depth[i] + 1);
                }
            }
        }
        best
    }

    /// Leaf reached by one row (features read as f32, `x <= threshold` left).
    ///
    /// # Panics
    /// If `row` holds fewer than `n_features` values ([`CartModel::apply`]
    /// checks its matrix).
    pub fn apply_row(&self, row: &[f64]) -> usize {
        let mut i = 0usize;
        while self.children_left[i] != LEAF {
            i = self.child(i, row);
        }
        i
    }

    /// The child of split node `i` that `row` goes to: x ≤ threshold left
    /// (x read as f32, as at fit), NaN where the node sends missing values.
    ///
    /// # Panics
    /// If `row` holds fewer than `n_features` values or `i` is not a node.
    pub fn child(&self, i: usize, row: &[f64]) -> usize {
        let x = row[self.feature[i] as usize];
        let left = match self.categories.get(i) {
            Some(Some(split)) => {
                let (l, r) = &**split;
                let code =
                    (x >= 0.0 && x.fract() == 0.0 && x < 4_294_967_296.0).then_some(x as u32);
                match code {
                    Some(c) if l.binary_search(&c).is_ok() => true,
                    Some(c) if r.binary_search(&c).is_ok() => false,
                    // Missing, or a category not seen in the node at fit.
                    _ => self.goes_left_if_missing(i),
                }
            }
            _ if x.is_nan() => self.goes_left_if_missing(i),
            _ => f64::from(x as f32) <= self.threshold[i],
        };
        (if left {
            self.children_left[i]
        } else {
            self.children_right[i]
        }) as usize
    }

    /// Whether rows missing the feature of split node `i` go left.
    pub fn goes_left_if_missing(&self, i: usize) -> bool {
        match self.missing_go_to_left.get(i) {
            Some(&m) => m,
            None => {
                let (l, r) = (self.children_left[i], self.children_right[i]);
                self.n_node_samples[l as usize] > self.n_node_samples[r as usize]
            }
        }
    }

    /// Normalized total impurity decrease per feature (scikit-learn's
    /// `feature_importances_`).
    pub fn feature_importances(&self) -> Vec<f64> {
        let mut imp = vec![0.0; self.n_features];
        let w = &self.weighted_n_node_samples;
        for i in 0..self.node_count() {
            let (l, r) = (self.children_left[i], self.children_right[i]);
            if l != LEAF {
                let (l, r) = (l as usize, r as usize);
                imp[self.feature[i] as usize] +=
                    w[i] * self.impurity[i] - w[l] * self.impurity[l] - w[r] * self.impurity[r];
            }
        }
        for v in &mut imp {
            *v /= w[0];
        }
        let total: f64 = imp.iter().sum();
        if total > 0.0 {
            for v in &mut imp {
                *v /= total;
            }
        }
        imp
    }

    /// Minimal cost-complexity pruning path: effective alphas (increasing,
    /// starting at 0) and the total leaf impurity of each pruned tree. The
    /// weakest link is pruned one branch per step (ties: the lowest node id).
    pub fn cost_complexity_pruning_path(&self) -> (Vec<f64>, Vec<f64>) {
        let mut steps = Vec::new();
        self.prune_steps(f64::INFINITY, &mut steps);
        steps.into_iter().unzip()
    }

    /// The subtree pruned at `ccp_alpha` (branches whose effective alpha is
    /// at most `ccp_alpha` become leaves), renumbered in preorder.
    pub fn pruned(&self, ccp_alpha: f64) -> CartModel {
        let leaf = self.prune_steps(ccp_alpha, &mut Vec::new());
        let mut out = self.without_nodes();
        let mut stack = vec![(0usize, LEAF, false)];
        while let Some((i, parent, is_left)) = stack.pop() {
            let id = out.push_node(
                parent,
                is_left,
                self.impurity[i],
                self.n_node_samples[i],
                self.weighted_n_node_samples[i],
                self.value.node(i),
            );
            if !(leaf[i] || self.children_left[i] == LEAF) {
                out.feature[id as usize] = self.feature[i];
                out.threshold[id as usize] = self.threshold[i];
                out.missing_go_to_left[id as usize] = self.goes_left_if_missing(i);
                out.categories[id as usize] = self.categories.get(i).cloned().flatten();
                stack.push((self.children_right[i] as usize, id, false));
                stack.push((self.children_left[i] as usize, id, true));
            }
        }
        out
    }

    /// Runs the weakest-link pruning while the effective alpha is at most
    /// `limit`; records (alpha, impurity) steps; returns the pruned flags.
    fn prune_steps(&self, limit: f64, steps: &mut Vec<(f64, f64)>) -> Vec<bool> {
        let n = self.node_count();
        let total_w = self.weighted_n_node_samples[0];
        let r_node: Vec<f64> = (0..n)
            .map(|i| self.weighted_n_node_samples[i] * self.impurity[i] / total_w)
            .collect();
        let parent = self.parents();
        let mut r_branch = vec![0.0; n];
        let mut n_leaves = vec![0usize; n];
        for i in 0..n {
            if self.children_left[i] == LEAF {
                r_branch[i] = r_node[i];
                n_leaves[i] = 1;
                let mut p = parent[i];
                while p != usize::MAX {
                    r_branch[p] += r_node[i];
                    n_leaves[p] += 1;
                    p = parent[p];
                }
            }
        }
        let mut is_leaf: Vec<bool> = (0..n).map(|i| self.children_left[i] == LEAF).collect();
        let mut in_tree = vec![true; n];
        steps.push((0.0, r_branch[0]));
        while !is_leaf[0] {
            let mut alpha = f64::MAX;
            let mut node = 0;
            for i in 0..n {
                if !in_tree[i] || is_leaf[i] {
                    continue;
                }
                let a = (r_node[i] - r_branch[i]) / (n_leaves[i] as f64 - 1.0);
                if a < alpha {
                    alpha = a;
                    node = i;
                }
            }
            if alpha > limit {
                break;
            }
            // Remove the subtree below `node`.
            let mut stack = vec![self.children_left[node], self.children_right[node]];
            while let Some(c) = stack.pop() {
                if c == LEAF {
                    continue;
                }
                in_tree[c as usize] = false;
                stack.push(self.children_left[c as usize]);
                stack.push(self.children_right[c as usize]);
            }
            is_leaf[node] = true;
            let removed = n_leaves[node] - 1;
            let diff = r_node[node] - r_branch[node];
            r_branch[node] = r_node[node];
            n_leaves[node] = 1;
            let mut p = parent[node];
            while p != usize::MAX {
                n_leaves[p] -= removed;
                r_branch[p] += diff;
                p = parent[p];
            }
            steps.push((alpha, r_branch[0]));
        }
        (0..n)
            .map(|i| is_leaf[i] && self.children_left[i] != LEAF)
            .collect()
    }
}
