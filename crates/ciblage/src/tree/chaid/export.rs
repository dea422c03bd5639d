//! Reading a fitted CHAID tree: gains table, rules as text and SQL, DOT.

use serde::{Deserialize, Serialize};

use crate::error::{CiblageError, Result};
use crate::tree::chaid::data::MISSING;
use crate::tree::chaid::model::{ChaidModel, ChaidNode};

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
            let text = label
                .iter()
                .map(String::as_str)
                .map(crate::tree::dot_text)
                .collect::<Vec<_>>()
                .join("\\n");
            out.push_str(&format!("{} [label=\"{text}\"] ;\n", node.id));
        }
        for node in &self.nodes {
            let Some(parent) = node.parent else { continue };
            let (_, cats) = self.branch_labels(node.id, parent);
            let text = crate::tree::dot_text(&cats.join(", "));
            out.push_str(&format!("{parent} -> {} [label=\"{text}\"] ;\n", node.id));
        }
        out.push_str("}\n");
        out
    }
}
