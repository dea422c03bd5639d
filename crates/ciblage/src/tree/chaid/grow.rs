//! Growing a CHAID tree: node by node, depth first, every predictor's
//! table built and merged in parallel.

use rayon::prelude::*;

use crate::error::{CiblageError, Result};
use crate::tree::chaid::data::{Predictor, PredictorKind, MISSING};
use crate::tree::chaid::merge::{
    enforce_min_child, finish, merge_predictor, Candidate, MergeRules, NodeTable,
};
use crate::tree::chaid::model::{ChaidModel, ChaidNode, ChaidSplit, CHAID_MODEL_VERSION};
use crate::tree::chaid::package::{package_merge, PackageRule};
use crate::tree::chaid::params::{ChaidStatistic, ChaidValidParams, TieRule};
use crate::tree::chaid::tables::{
    cell_tables, fast_children, node_table, CellColumn, ChosenSplit, PendingNode, PredictorTable,
    TargetRef,
};
use crate::tree::inputs::{check_class_codes, check_sample_weight, check_training_shape};
use crate::tree::task::TreeTask;

impl<T: TreeTask> ChaidValidParams<T> {
    /// `model`, unless the growth was interrupted (it then stopped early).
    pub(crate) fn unless_interrupted(&self, model: ChaidModel) -> Result<ChaidModel> {
        self.params.interrupt.check()?;
        Ok(model)
    }

    pub(crate) fn grow(
        &self,
        predictors: Vec<Predictor>,
        target: TargetRef<'_>,
        classes: Vec<String>,
        weights: Option<&[f64]>,
    ) -> ChaidModel {
        let n = target.len();
        let p = &self.params;
        p.interrupt.add_total(n as u64);
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
        // Unweighted classes: every predictor's table cells coded once.
        let cells: Option<Vec<CellColumn>> = match (target, weights) {
            (TargetRef::Classes(y, classes), None) => predictors
                .par_iter()
                .map(|pr| CellColumn::new(pr, y, classes))
                .collect(),
            _ => None,
        };
        let mut nodes: Vec<ChaidNode> = Vec::new();
        // With cell columns the root's rows are implicit (every row, in
        // order); an empty list stands for them.
        let root_rows = if cells.is_some() {
            Vec::new()
        } else {
            (0..n as u32).collect()
        };
        let mut stack = vec![PendingNode {
            rows: root_rows,
            parent: None,
            depth: 0,
            branch: Vec::new(),
            counts: None,
            tables: None,
        }];
        while let Some(pending) = stack.pop() {
            if p.interrupt.is_set() {
                // The caller gets `Interrupted`, not this partial tree.
                break;
            }
            let PendingNode {
                rows,
                parent,
                depth,
                branch,
                counts: known,
                tables: known_tables,
            } = pending;
            let id = nodes.len();
            // Rows of the node, `None` for every row.
            let sel = (id > 0 || cells.is_none()).then_some(rows.as_slice());
            let counts = match (known, node_target, weights) {
                (Some(c), _, _) => c,
                (None, TargetRef::Classes(y, _), None) => {
                    let mut c = vec![0u32; j];
                    match sel {
                        Some(rows) => rows.iter().for_each(|&r| c[y[r as usize] as usize] += 1),
                        None => y.iter().for_each(|&t| c[t as usize] += 1),
                    }
                    c.into_iter().map(f64::from).collect()
                }
                (None, _, _) => {
                    let mut c = vec![0.0; j];
                    for &r in &rows {
                        node_target.add(r as usize, w(r as usize), &mut c);
                    }
                    c
                }
            };
            let total: f64 = if continuous {
                counts[0]
            } else {
                counts.iter().sum()
            };
            if let Some(pid) = parent {
                nodes[pid].children.push(id);
            }
            // Progress: the rows of every leaf, once (the unweighted fast
            // path counts them in `total`).
            let leaf_rows = if cells.is_some() {
                total as u64
            } else {
                rows.len() as u64
            };
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
            } else if p.max_depth.is_some_and(|m| depth >= m) {
                Some("max_depth")
            } else if total < p.min_parent && !(p.root_always_split && id == 0) {
                Some("min_parent")
            } else {
                None
            };
            if let Some(s) = stop {
                node.stop = Some(s.into());
                nodes.push(node);
                p.interrupt.advance(leaf_rows);
                continue;
            }
            let tables: Vec<PredictorTable> = match (known_tables, &cells) {
                (Some(t), _) => t,
                (None, Some(cells)) => cell_tables(&predictors, cells, j, sel),
                (None, None) => predictors
                    .par_iter()
                    .map(|pr| node_table(pr, &rows, target, weights))
                    .collect(),
            };
            // Rows in the node (the unweighted fast path may not list them).
            let n_rows = if cells.is_some() {
                total
            } else {
                rows.len() as f64
            };
            if p.package_merging && n_rows < p.min_child {
                node.stop = Some("min_child".into());
                nodes.push(node);
                p.interrupt.advance(leaf_rows);
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
                p.interrupt.advance(leaf_rows);
                continue;
            };
            let cand = candidates[best].as_ref().expect("chosen");
            if cand.ln_p_adjusted > p.alpha_split.ln() || cand.groups.len() < 2 {
                node.stop = Some("not_significant".into());
                nodes.push(node);
                p.interrupt.advance(leaf_rows);
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
                p.interrupt.advance(leaf_rows);
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
            let children = match &cells {
                Some(cells) => {
                    let split = ChosenSplit {
                        predictor: best,
                        groups: &cand.groups,
                        group_of: &group_of,
                        depth,
                        parent: id,
                    };
                    // The children's own limit check reads a depth: no
                    // limit is the largest one.
                    let max_depth = p.max_depth.unwrap_or(usize::MAX);
                    fast_children(&predictors, cells, j, &tables, sel, &split, max_depth)
                }
                None => {
                    let mut parts: Vec<Vec<u32>> = vec![Vec::new(); cand.groups.len()];
                    for &r in &rows {
                        let c = pred.codes[r as usize];
                        let g = group_of[if c == MISSING { k } else { c as usize }];
                        if g != usize::MAX {
                            parts[g].push(r);
                        }
                    }
                    parts
                        .into_iter()
                        .zip(&cand.groups)
                        .map(|(rows, branch)| PendingNode {
                            rows,
                            parent: Some(id),
                            depth: depth + 1,
                            branch: branch.clone(),
                            counts: None,
                            tables: None,
                        })
                        .collect()
                }
            };
            // Children are pushed in reverse so that they get ids in group order.
            stack.extend(children.into_iter().rev());
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
            params: p.retask(),
            predictors,
            classes,
            nodes,
        }
    }
}

/// Every class code must be below the number of classes.
pub(crate) fn check_classes(target: &[u32], classes: &[String]) -> Result<()> {
    check_class_codes(target, classes.len())
}

/// The shared tree input check, with every predictor one row per case.
pub(crate) fn check_inputs(
    predictors: &[Predictor],
    n: usize,
    weights: Option<&[f64]>,
) -> Result<()> {
    let rows = predictors.first().map_or(n, |p| p.codes.len());
    check_training_shape(rows, predictors.len(), n)?;
    for p in predictors {
        if p.codes.len() != n {
            return Err(CiblageError::LengthMismatch {
                argument: format!("X column {:?}", p.name),
                expected: n,
                got: p.codes.len(),
            });
        }
        check_category_count(p)?;
    }
    check_sample_weight(weights, n)
}

/// Most categories of a nominal predictor: merging tests every pair of
/// groups at each step (about k³/6 tests for k categories, with a table of
/// k² pairs); 20,000 categories took minutes and gigabytes.
pub const MAX_NOMINAL_CATEGORIES: usize = 1_000;

/// Most categories of an ordinal or binned predictor: merging tests every
/// adjacent pair at each step (about k²/2 tests).
pub const MAX_ORDINAL_CATEGORIES: usize = 5_000;

/// Refuses a predictor with more categories than its kind's limit.
fn check_category_count(p: &Predictor) -> Result<()> {
    let (limit, kind) = match p.kind {
        PredictorKind::Nominal => (MAX_NOMINAL_CATEGORIES, "nominal"),
        PredictorKind::Ordinal => (MAX_ORDINAL_CATEGORIES, "ordinal"),
        PredictorKind::Continuous => (MAX_ORDINAL_CATEGORIES, "binned"),
    };
    if p.labels.len() <= limit {
        return Ok(());
    }
    Err(CiblageError::TooManyCategories {
        argument: format!("X column {:?}", p.name),
        found: p.labels.len(),
        limit,
        kind,
    })
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
