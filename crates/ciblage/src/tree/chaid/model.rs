//! Growing a CHAID tree and using it: prediction, rules, gains.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{CiblageError, Result};
use crate::tree::chaid::data::{Predictor, PredictorKind, MISSING, UNSEEN};
use crate::tree::chaid::merge::{
    enforce_min_child, finish, merge_predictor, Candidate, MergeRules, NodeTable,
};
use crate::tree::chaid::package::{package_merge, PackageRule};
use crate::tree::chaid::params::{ChaidParams, ChaidStatistic, ChaidValidParams, TieRule};

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
    version: u32,
    params: ChaidParams,
    predictors: Vec<Predictor>,
    classes: Vec<String>,
    nodes: Vec<ChaidNode>,
}

impl ChaidValidParams {
    /// Grows a tree predicting `target` (class codes into `classes`) from
    /// `predictors`, with optional frequency `weights`.
    ///
    /// # Errors
    /// Empty input, columns of different lengths, a class code out of range,
    /// negative or non-finite weights.
    pub fn fit(
        &self,
        predictors: Vec<Predictor>,
        target: &[u32],
        classes: Vec<String>,
        weights: Option<&[f64]>,
    ) -> Result<ChaidModel> {
        check_inputs(&predictors, target.len(), weights)?;
        check_classes(target, &classes)?;
        let j = classes.len();
        Ok(self.grow(predictors, TargetRef::Classes(target, j), classes, weights))
    }

    /// Grows a classification tree with SPSS case weights: `frequency`
    /// weights (optional) count cases, `case` weights (one per row, > 0)
    /// enter the χ² tests through expected counts fitted by iterative
    /// proportional fitting (see the docs of `statistic`); node counts and
    /// predictions are frequency counts.
    ///
    /// # Errors
    /// As [`ChaidValidParams::fit`]; case weights of the wrong length, not
    /// finite or not positive; the `chaid` package preset (which has no case
    /// weights).
    pub fn fit_case_weighted(
        &self,
        predictors: Vec<Predictor>,
        target: &[u32],
        classes: Vec<String>,
        frequency: Option<&[f64]>,
        case: &[f64],
    ) -> Result<ChaidModel> {
        check_inputs(&predictors, target.len(), frequency)?;
        if case.len() != target.len() {
            return Err(CiblageError::LengthMismatch {
                argument: "case_weight".into(),
                expected: target.len(),
                got: case.len(),
            });
        }
        if let Some(row) = case.iter().position(|x| !(x.is_finite() && *x > 0.0)) {
            return Err(CiblageError::param(
                "case_weight",
                format!(
                    "must be positive and finite, got {} at row {row}",
                    case[row]
                ),
            ));
        }
        if self.params.package_merging {
            return Err(CiblageError::param(
                "case_weight",
                "the chaid package preset has no case weights",
            ));
        }
        check_classes(target, &classes)?;
        let j = classes.len();
        Ok(self.grow(
            predictors,
            TargetRef::CaseWeighted(target, j, case),
            classes,
            frequency,
        ))
    }

    /// Grows a tree predicting a continuous `target` (ANOVA F tests; leaves
    /// predict the weighted mean), e.g. monetary value.
    ///
    /// # Errors
    /// Empty input, columns of different lengths, non-finite targets or weights.
    pub fn fit_regressor(
        &self,
        predictors: Vec<Predictor>,
        target: &[f64],
        weights: Option<&[f64]>,
    ) -> Result<ChaidModel> {
        check_inputs(&predictors, target.len(), weights)?;
        if let Some(row) = target.iter().position(|v| !v.is_finite()) {
            return Err(CiblageError::NonFinite {
                argument: "y".into(),
                row,
                value: target[row],
            });
        }
        Ok(self.grow(predictors, TargetRef::Values(target), Vec::new(), weights))
    }

    fn grow(
        &self,
        predictors: Vec<Predictor>,
        target: TargetRef<'_>,
        classes: Vec<String>,
        weights: Option<&[f64]>,
    ) -> ChaidModel {
        let n = target.len();
        let p = &self.params;
        let rules = MergeRules {
            ln_alpha_merge: p.alpha_merge.ln(),
            exhaustive: p.exhaustive,
            bonferroni: p.bonferroni,
            merge_to_one: p.merge_to_one,
            single_class_pairs_merge: p.single_class_pairs_merge,
            ln_alpha_split_merged: p.split_merged.map(f64::ln),
        };
        let node_target = target.frequencies();
        let j = node_target.width();
        let case_classes = match target {
            TargetRef::CaseWeighted(_, k, _) => Some(k),
            _ => None,
        };
        let continuous = matches!(target, TargetRef::Values(_));
        let likelihood_ratio = p.statistic == ChaidStatistic::LikelihoodRatio;
        let w = |i: usize| weights.map_or(1.0, |w| w[i]);
        let mut nodes: Vec<ChaidNode> = Vec::new();
        let mut stack: Vec<PendingNode> = vec![((0..n as u32).collect(), None, 0, Vec::new())];
        while let Some((rows, parent, depth, branch)) = stack.pop() {
            let id = nodes.len();
            let mut counts = vec![0.0; j];
            for &r in &rows {
                node_target.add(r as usize, w(r as usize), &mut counts);
            }
            let total: f64 = if continuous {
                counts[0]
            } else {
                counts.iter().sum()
            };
            if let Some(pid) = parent {
                nodes[pid].children.push(id);
            }
            let mut node = ChaidNode {
                id,
                parent,
                depth,
                branch,
                n: total,
                counts,
                split: None,
                children: Vec::new(),
                stop: None,
            };
            let pure = if continuous {
                let c = &node.counts;
                c[2] - c[1] * c[1] / c[0] <= 1e-12 * c[2].abs()
            } else {
                node.counts.iter().filter(|&&c| c > 0.0).count() < 2
            };
            let stop = if pure {
                Some("pure")
            } else if depth >= p.max_depth {
                Some("max_depth")
            } else if total < p.min_parent && !(p.root_always_split && id == 0) {
                Some("min_parent")
            } else {
                None
            };
            if let Some(s) = stop {
                node.stop = Some(s.into());
                nodes.push(node);
                continue;
            }
            let tables: Vec<Vec<(u32, Vec<f64>)>> = predictors
                .par_iter()
                .map(|pr| node_table(pr, &rows, target, weights))
                .collect();
            if p.package_merging && (rows.len() as f64) < p.min_child {
                node.stop = Some("min_child".into());
                nodes.push(node);
                continue;
            }
            let package_rule = PackageRule {
                alpha_merge: p.alpha_merge,
                min_child: p.min_child,
                cases: total,
                weighted: weights.is_some(),
            };
            let candidates: Vec<Option<Candidate>> = predictors
                .par_iter()
                .zip(&tables)
                .map(|(pr, cats)| {
                    let table = NodeTable {
                        cats,
                        ordered: pr.kind != PredictorKind::Nominal,
                        single_class_pairs_merge: rules.single_class_pairs_merge,
                        continuous,
                        likelihood_ratio,
                        case_classes,
                    };
                    if p.package_merging && !continuous {
                        package_merge(&table, &package_rule)
                    } else {
                        merge_predictor(&table, &rules)
                    }
                })
                .collect();
            let Some(best) = choose(&candidates, p.tie_rule) else {
                node.stop = Some("no_predictor".into());
                nodes.push(node);
                continue;
            };
            let cand = candidates[best].as_ref().expect("chosen");
            if cand.ln_p_adjusted > p.alpha_split.ln() || cand.groups.len() < 2 {
                node.stop = Some("not_significant".into());
                nodes.push(node);
                continue;
            }
            let table = NodeTable {
                cats: &tables[best],
                ordered: predictors[best].kind != PredictorKind::Nominal,
                single_class_pairs_merge: rules.single_class_pairs_merge,
                continuous,
                likelihood_ratio,
                case_classes,
            };
            // The package applied its min_child rule while merging.
            let groups = if p.package_merging && !continuous {
                cand.groups.clone()
            } else {
                enforce_min_child(&table, cand.groups.clone(), p.min_child)
            };
            if groups.len() < 2 {
                node.stop = Some("min_child".into());
                nodes.push(node);
                continue;
            }
            let cand = if groups == cand.groups {
                cand.clone()
            } else {
                finish(&table, groups, cand.kind, cand.categories, &rules)
            };
            let pred = &predictors[best];
            // Group of each code (missing last), then one pass over the rows.
            let k = pred.labels.len();
            let mut group_of = vec![usize::MAX; k + 1];
            for (g, members) in cand.groups.iter().enumerate() {
                for &c in members {
                    group_of[if c == MISSING { k } else { c as usize }] = g;
                }
            }
            let mut parts: Vec<Vec<u32>> = vec![Vec::new(); cand.groups.len()];
            for &r in &rows {
                let c = pred.codes[r as usize];
                let g = group_of[if c == MISSING { k } else { c as usize }];
                if g != usize::MAX {
                    parts[g].push(r);
                }
            }
            // Children are pushed in reverse so that they get ids in group order.
            for (g, part) in parts.into_iter().enumerate().rev() {
                stack.push((part, Some(id), depth + 1, cand.groups[g].clone()));
            }
            node.split = Some(ChaidSplit {
                predictor: best,
                groups: cand.groups,
                statistic: cand.statistic,
                df: cand.df,
                ln_p: cand.ln_p,
                ln_bonferroni: cand.ln_bonferroni,
                ln_p_adjusted: cand.ln_p_adjusted,
            });
            nodes.push(node);
        }
        // Depth-first ids: children were pushed in reverse, so ids follow
        // group order; re-sort children lists by id.
        for node in &mut nodes {
            node.children.sort_unstable();
        }
        ChaidModel {
            version: CHAID_MODEL_VERSION,
            params: p.clone(),
            predictors,
            classes,
            nodes,
        }
    }
}

/// A node waiting to be grown: its rows, parent, depth and branch codes.
type PendingNode = (Vec<u32>, Option<usize>, usize, Vec<u32>);

/// The node's table of one predictor: present codes ascending, missing last.
fn node_table(
    p: &Predictor,
    rows: &[u32],
    target: TargetRef<'_>,
    weights: Option<&[f64]>,
) -> Vec<(u32, Vec<f64>)> {
    let k = p.labels.len();
    let j = target.width();
    let mut dense = vec![0.0; (k + 1) * j];
    let mut seen = vec![false; k + 1];
    let slot_of = |r: u32| match p.codes[r as usize] {
        MISSING => k,
        c => c as usize,
    };
    match (target, weights) {
        // The common case without weights: one increment per row.
        (TargetRef::Classes(classes, _), None) => {
            for &r in rows {
                let slot = slot_of(r);
                dense[slot * j + classes[r as usize] as usize] += 1.0;
                seen[slot] = true;
            }
        }
        _ => {
            let w = |i: usize| weights.map_or(1.0, |w| w[i]);
            for &r in rows {
                let slot = slot_of(r);
                target.add(
                    r as usize,
                    w(r as usize),
                    &mut dense[slot * j..(slot + 1) * j],
                );
                seen[slot] = true;
            }
        }
    }
    (0..=k)
        .filter(|&s| seen[s])
        .map(|s| {
            (
                if s == k { MISSING } else { s as u32 },
                dense[s * j..(s + 1) * j].to_vec(),
            )
        })
        .collect()
}

/// The target of a fit: class codes (with the class count) or values.
#[derive(Clone, Copy)]
enum TargetRef<'a> {
    Classes(&'a [u32], usize),
    /// Classes with case weights: category tables hold the frequency counts
    /// then the sums of case weight × frequency per class.
    CaseWeighted(&'a [u32], usize, &'a [f64]),
    Values(&'a [f64]),
}

impl TargetRef<'_> {
    fn len(&self) -> usize {
        match self {
            Self::Classes(c, _) | Self::CaseWeighted(c, _, _) => c.len(),
            Self::Values(v) => v.len(),
        }
    }

    /// Entries per category table: class counts (then case-weighted sums),
    /// or (Σw, Σwy, Σwy²).
    fn width(&self) -> usize {
        match self {
            Self::Classes(_, j) => *j,
            Self::CaseWeighted(_, j, _) => 2 * j,
            Self::Values(_) => 3,
        }
    }

    /// The target as nodes count it: case weights left out.
    fn frequencies(self) -> Self {
        match self {
            Self::CaseWeighted(c, j, _) => Self::Classes(c, j),
            other => other,
        }
    }

    fn add(&self, row: usize, w: f64, out: &mut [f64]) {
        match self {
            Self::Classes(c, _) => out[c[row] as usize] += w,
            Self::CaseWeighted(c, j, case) => {
                out[c[row] as usize] += w;
                out[j + c[row] as usize] += w * case[row];
            }
            Self::Values(v) => {
                let y = v[row];
                out[0] += w;
                out[1] += w * y;
                out[2] += w * y * y;
            }
        }
    }
}

/// Every class code must be below the number of classes.
fn check_classes(target: &[u32], classes: &[String]) -> Result<()> {
    match target.iter().position(|&c| c as usize >= classes.len()) {
        None => Ok(()),
        Some(row) => Err(CiblageError::param(
            "y",
            format!(
                "class code {} at row {row} is not below {}",
                target[row],
                classes.len()
            ),
        )),
    }
}

fn check_inputs(predictors: &[Predictor], n: usize, weights: Option<&[f64]>) -> Result<()> {
    if n == 0 {
        return Err(CiblageError::EmptyInput {
            argument: "y".into(),
        });
    }
    if predictors.is_empty() {
        return Err(CiblageError::EmptyInput {
            argument: "X".into(),
        });
    }
    for p in predictors {
        if p.codes.len() != n {
            return Err(CiblageError::LengthMismatch {
                argument: p.name.clone(),
                expected: n,
                got: p.codes.len(),
            });
        }
    }
    if let Some(w) = weights {
        if w.len() != n {
            return Err(CiblageError::LengthMismatch {
                argument: "sample_weight".into(),
                expected: n,
                got: w.len(),
            });
        }
        if let Some(row) = w.iter().position(|x| !(x.is_finite() && *x >= 0.0)) {
            return Err(CiblageError::NonFinite {
                argument: "sample_weight".into(),
                row,
                value: w[row],
            });
        }
    }
    Ok(())
}

/// Index of the best candidate under the tie rule.
fn choose(candidates: &[Option<Candidate>], rule: TieRule) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (i, c) in candidates.iter().enumerate() {
        let Some(c) = c else { continue };
        let Some(b) = best else {
            best = Some(i);
            continue;
        };
        let bc = candidates[b].as_ref().expect("set");
        let better = match rule {
            TieRule::LogP { tolerance } => {
                let (x, y) = (c.ln_p_adjusted, bc.ln_p_adjusted);
                let tie = (x - y).abs() <= tolerance * x.abs().max(y.abs());
                if tie {
                    c.statistic > bc.statistic
                } else {
                    x < y
                }
            }
            TieRule::ChaidPackage => {
                let (x, y) = (c.ln_p.exp(), bc.ln_p.exp());
                if x == y {
                    c.statistic > bc.statistic
                } else {
                    x < y
                }
            }
        };
        if better {
            best = Some(i);
        }
    }
    best
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

    /// The path to `leaf` as readable conditions, one per split.
    pub fn rule(&self, leaf: usize) -> Vec<String> {
        let mut parts = Vec::new();
        let mut id = leaf;
        while let Some(parent) = self.nodes[id].parent {
            let (name, labels) = self.branch_labels(id, parent);
            parts.push(format!("{name} in {{{}}}", labels.join(", ")));
            id = parent;
        }
        parts.reverse();
        parts
    }

    /// The split predictor's name at `parent` and the labels of the
    /// categories leading to its child `id` (`<missing>` for missing).
    fn branch_labels(&self, id: usize, parent: usize) -> (&str, Vec<String>) {
        let split = self.nodes[parent].split.as_ref().expect("parent splits");
        let p = &self.predictors[split.predictor];
        let labels = self.nodes[id]
            .branch
            .iter()
            .map(|&c| {
                if c == MISSING {
                    "<missing>".to_owned()
                } else {
                    p.labels[c as usize].clone()
                }
            })
            .collect();
        (&p.name, labels)
    }

    /// Serializes the model (JSON, with a format version).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("models serialize")
    }

    /// Reads a model written by [`ChaidModel::to_json`].
    ///
    /// # Errors
    /// [`CiblageError::InvalidModelFile`] for corrupt text or another version.
    pub fn from_json(text: &str) -> Result<Self> {
        let m: Self = serde_json::from_str(text).map_err(|e| CiblageError::InvalidModelFile {
            what: "CHAID model",
            reason: e.to_string(),
        })?;
        if m.version != CHAID_MODEL_VERSION {
            return Err(CiblageError::InvalidModelFile {
                what: "CHAID model",
                reason: format!(
                    "format version {} (this build reads {CHAID_MODEL_VERSION})",
                    m.version
                ),
            });
        }
        Ok(m)
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

/// One row of a gains table: a leaf, ranked by its response rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GainsRow {
    /// Leaf id.
    pub node: usize,
    /// Weighted cases in the leaf.
    pub n: f64,
    /// Share of all cases.
    pub share: f64,
    /// Cases of the target class.
    pub responses: f64,
    /// Responses / n.
    pub response_rate: f64,
    /// Share of all responses found in the leaf.
    pub gain: f64,
    /// Response rate over the overall rate × 100 (lift).
    pub index: f64,
    /// Share of cases in this leaf and the better ones.
    pub cumulative_share: f64,
    /// Share of responses in this leaf and the better ones.
    pub cumulative_gain: f64,
    /// Cumulative response rate over the overall rate × 100.
    pub cumulative_index: f64,
}

impl ChaidModel {
    /// The gains table for class `target`: leaves by decreasing response
    /// rate (ties: lower id first), with shares, gains, index (lift) and
    /// their cumulative values.
    ///
    /// # Errors
    /// [`CiblageError::InvalidParameter`] (`target`) for a class out of range.
    pub fn gains(&self, target: usize) -> Result<Vec<GainsRow>> {
        if self.is_regression() || target >= self.classes.len() {
            return Err(CiblageError::param(
                "target",
                format!("class {target} is not below {}", self.classes.len()),
            ));
        }
        let root = &self.nodes[0];
        let (total, responses) = (root.n, root.counts[target]);
        let overall = responses / total;
        let mut leaves: Vec<&ChaidNode> = self.nodes.iter().filter(|n| n.split.is_none()).collect();
        let rate = |n: &ChaidNode| {
            if n.n > 0.0 {
                n.counts[target] / n.n
            } else {
                0.0
            }
        };
        leaves.sort_by(|a, b| rate(b).total_cmp(&rate(a)).then(a.id.cmp(&b.id)));
        let (mut cum_n, mut cum_r) = (0.0, 0.0);
        Ok(leaves
            .into_iter()
            .map(|leaf| {
                cum_n += leaf.n;
                cum_r += leaf.counts[target];
                let r = rate(leaf);
                GainsRow {
                    node: leaf.id,
                    n: leaf.n,
                    share: leaf.n / total,
                    responses: leaf.counts[target],
                    response_rate: r,
                    gain: if responses > 0.0 {
                        leaf.counts[target] / responses
                    } else {
                        0.0
                    },
                    index: if overall > 0.0 {
                        100.0 * r / overall
                    } else {
                        0.0
                    },
                    cumulative_share: cum_n / total,
                    cumulative_gain: if responses > 0.0 {
                        cum_r / responses
                    } else {
                        0.0
                    },
                    cumulative_index: if overall > 0.0 {
                        100.0 * (cum_r / cum_n) / overall
                    } else {
                        0.0
                    },
                }
            })
            .collect())
    }
}

/// A SQL identifier, double-quoted.
fn sql_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A SQL string literal.
fn sql_text(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

impl ChaidModel {
    /// The path to `leaf` as a SQL `WHERE` condition. Labels become `IN`
    /// lists, bins of continuous predictors become ranges (`> a AND <= b`),
    /// and a group holding the missing category adds `IS NULL`. Rows the tree
    /// routes by its rule for unseen levels match no leaf's condition.
    pub fn sql_rule(&self, leaf: usize) -> String {
        let mut parts = Vec::new();
        let mut id = leaf;
        while let Some(parent) = self.nodes[id].parent {
            let split = self.nodes[parent].split.as_ref().expect("parent splits");
            let p = &self.predictors[split.predictor];
            let col = sql_ident(&p.name);
            let branch = &self.nodes[id].branch;
            let codes: Vec<u32> = branch.iter().copied().filter(|&c| c != MISSING).collect();
            let mut alternatives = Vec::new();
            match &p.encoder {
                super::data::Encoder::Bins(edges) => {
                    // Runs of consecutive bins → ranges.
                    let mut sorted = codes.clone();
                    sorted.sort_unstable();
                    let mut k = 0;
                    while k < sorted.len() {
                        let start = sorted[k];
                        while k + 1 < sorted.len() && sorted[k + 1] == sorted[k] + 1 {
                            k += 1;
                        }
                        let end = sorted[k];
                        let mut conds = Vec::new();
                        if start > 0 {
                            conds.push(format!("{col} > {}", edges[start as usize - 1]));
                        }
                        if (end as usize) + 1 < edges.len() {
                            conds.push(format!("{col} <= {}", edges[end as usize]));
                        }
                        alternatives.push(if conds.is_empty() {
                            format!("{col} IS NOT NULL")
                        } else {
                            conds.join(" AND ")
                        });
                        k += 1;
                    }
                }
                super::data::Encoder::Values(values) => {
                    if !codes.is_empty() {
                        let list: Vec<String> = codes
                            .iter()
                            .map(|&c| format!("{}", values[c as usize]))
                            .collect();
                        alternatives.push(format!("{col} IN ({})", list.join(", ")));
                    }
                }
                super::data::Encoder::Labels(labels) => {
                    if !codes.is_empty() {
                        let list: Vec<String> = codes
                            .iter()
                            .map(|&c| sql_text(&labels[c as usize]))
                            .collect();
                        alternatives.push(format!("{col} IN ({})", list.join(", ")));
                    }
                }
            }
            if branch.contains(&MISSING) {
                alternatives.push(format!("{col} IS NULL"));
            }
            parts.push(if alternatives.len() == 1 {
                alternatives.remove(0)
            } else {
                format!("({})", alternatives.join(" OR "))
            });
            id = parent;
        }
        parts.reverse();
        if parts.is_empty() {
            "TRUE".to_owned()
        } else {
            parts.join(" AND ")
        }
    }
}

impl ChaidModel {
    /// The tree in Graphviz DOT: one box per node (n, class shares or mean,
    /// split predictor with its adjusted p), edges labelled with the
    /// categories of each branch.
    pub fn to_dot(&self) -> String {
        let mut out = String::from("digraph CHAID {\nnode [shape=box, fontname=\"helvetica\"] ;\n");
        for node in &self.nodes {
            let mut label = vec![format!("node {}", node.id), format!("n = {}", node.n)];
            if self.is_regression() {
                label.push(format!("mean = {:.4}", self.mean(node.id)));
            } else {
                for (c, k) in self.classes.iter().zip(&node.counts) {
                    label.push(format!(
                        "{c}: {:.1}%",
                        100.0 * k / node.n.max(f64::MIN_POSITIVE)
                    ));
                }
            }
            if let Some(s) = &node.split {
                label.push(format!(
                    "{} (adj. p = {:.3e})",
                    self.predictors[s.predictor].name,
                    s.ln_p_adjusted.exp()
                ));
            }
            let text = label.join("\\n").replace('"', "\\\"");
            out.push_str(&format!("{} [label=\"{text}\"] ;\n", node.id));
        }
        for node in &self.nodes {
            let Some(parent) = node.parent else { continue };
            let (_, cats) = self.branch_labels(node.id, parent);
            let text = cats.join(", ").replace('"', "\\\"");
            out.push_str(&format!("{parent} -> {} [label=\"{text}\"] ;\n", node.id));
        }
        out.push_str("}\n");
        out
    }
}
