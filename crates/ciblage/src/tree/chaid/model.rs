//! A fitted CHAID tree and its use: nodes and prediction.

use serde::{Deserialize, Serialize};

use crate::tree::chaid::data::{Predictor, PredictorKind, MISSING, UNSEEN};
use crate::tree::chaid::params::ChaidParams;

/// Version of the serialized model format.
pub const CHAID_MODEL_VERSION: u32 = 1;

/// The split of a node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChaidSplit {
    /// Index of the predictor.
    pub predictor: usize,
    /// Category codes of each child, in child order ([`MISSING`] = missing).
    pub groups: Vec<Vec<u32>>,
    /// Pearson χ² of the final grouping.
    pub statistic: f64,
    /// Its degrees of freedom.
    pub df: f64,
    /// ln p (unadjusted).
    pub ln_p: f64,
    /// ln of the Bonferroni multiplier.
    pub ln_bonferroni: f64,
    /// ln p adjusted (≤ 0).
    pub ln_p_adjusted: f64,
}

/// One node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChaidNode {
    /// Node id (position; the root is 0).
    pub id: usize,
    /// Parent id.
    pub parent: Option<usize>,
    /// Depth (root 0).
    pub depth: usize,
    /// Category codes of the parent's split leading here.
    pub branch: Vec<u32>,
    /// Weighted cases.
    pub n: f64,
    /// Weighted cases per class; for a continuous target (Σw, Σwy, Σwy²).
    pub counts: Vec<f64>,
    /// The split, for inner nodes.
    pub split: Option<ChaidSplit>,
    /// Child ids.
    pub children: Vec<usize>,
    /// Why the node is a leaf (`pure`, `max_depth`, `min_parent`,
    /// `no_predictor`, `not_significant`, `min_child`).
    pub stop: Option<String>,
}

/// A fitted CHAID tree (categorical or continuous target).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChaidModel {
    pub(crate) version: u32,
    pub(crate) params: ChaidParams,
    pub(crate) predictors: Vec<Predictor>,
    pub(crate) classes: Vec<String>,
    pub(crate) nodes: Vec<ChaidNode>,
}

impl ChaidModel {
    /// The nodes, root first, depth-first.
    pub fn nodes(&self) -> &[ChaidNode] {
        &self.nodes
    }

    /// The predictors (names, kinds, labels).
    pub fn predictors(&self) -> &[Predictor] {
        &self.predictors
    }

    /// Class labels.
    pub fn classes(&self) -> &[String] {
        &self.classes
    }

    /// The parameters the tree was grown with.
    pub fn params(&self) -> &ChaidParams {
        &self.params
    }

    /// Leaf id of a row given as one code per predictor (see
    /// [`Predictor::encode_label`] / [`Predictor::encode_value`]). A code no
    /// group of a split holds (missing without a missing group, a level
    /// unseen in training or absent from the node) goes to the nearest group
    /// by code for ordered predictors, else to the largest child.
    ///
    /// # Panics
    /// If `codes` holds fewer codes than there are predictors.
    pub fn apply_codes(&self, codes: &[u32]) -> usize {
        let mut id = 0;
        while let Some(split) = &self.nodes[id].split {
            let c = codes[split.predictor];
            let node = &self.nodes[id];
            let g = split
                .groups
                .iter()
                .position(|g| g.contains(&c))
                .unwrap_or_else(|| {
                    let ordered = self.predictors[split.predictor].kind != PredictorKind::Nominal;
                    if ordered && c != MISSING && c != UNSEEN {
                        nearest_group(&split.groups, c)
                    } else {
                        largest_child(&self.nodes, &node.children)
                    }
                });
            id = node.children[g];
        }
        id
    }

    /// Class probabilities of a leaf.
    pub fn proba(&self, leaf: usize) -> Vec<f64> {
        let n = &self.nodes[leaf];
        n.counts
            .iter()
            .map(|c| if n.n > 0.0 { c / n.n } else { 0.0 })
            .collect()
    }

    /// True for a tree of a continuous target.
    pub fn is_regression(&self) -> bool {
        self.classes.is_empty()
    }

    /// Weighted mean of the target in a node (continuous targets; NaN for
    /// a classification tree).
    pub fn mean(&self, node: usize) -> f64 {
        let c = &self.nodes[node].counts;
        if self.is_regression() && c[0] > 0.0 {
            c[1] / c[0]
        } else {
            f64::NAN
        }
    }

    /// Predicted class of a leaf (largest count, ties to the first class).
    pub fn class_of(&self, leaf: usize) -> usize {
        let c = &self.nodes[leaf].counts;
        (0..c.len()).fold(0, |b, k| if c[k] > c[b] { k } else { b })
    }

    /// Leaf ids of the training rows (codes of the fitted predictors).
    pub fn apply_training(&self) -> Vec<usize> {
        let n = self.predictors.first().map_or(0, |p| p.codes.len());
        (0..n)
            .map(|r| {
                let codes: Vec<u32> = self.predictors.iter().map(|p| p.codes[r]).collect();
                self.apply_codes(&codes)
            })
            .collect()
    }
}

fn nearest_group(groups: &[Vec<u32>], c: u32) -> usize {
    let dist = |g: &Vec<u32>| {
        g.iter()
            .filter(|&&x| x != MISSING)
            .map(|&x| x.abs_diff(c))
            .min()
            .unwrap_or(u32::MAX)
    };
    (0..groups.len())
        .min_by_key(|&i| (dist(&groups[i]), i))
        .unwrap_or(0)
}

fn largest_child(nodes: &[ChaidNode], children: &[usize]) -> usize {
    (0..children.len()).fold(0, |b, k| {
        if nodes[children[k]].n > nodes[children[b]].n {
            k
        } else {
            b
        }
    })
}
