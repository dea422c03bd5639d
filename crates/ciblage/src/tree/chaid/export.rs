//! Readable forms of a fitted CHAID tree through the shared tree layer:
//! rules as [`Condition`]s (text and SQL), gains and segments tables, the
//! drawing (DOT).

use crate::error::{CiblageError, Result};
use crate::tree::chaid::data::{Encoder, MISSING};
use crate::tree::chaid::model::ChaidModel;
use crate::tree::drawing::{p_value_text, DrawEdge, DrawNode, Drawing, EdgeLabel};
use crate::tree::gains::{leaf_table, LeafOrder, LeafRow, LeafSource, Outcome};
use crate::tree::rules::{
    indented_text, rule_path, text_rules, Category, Condition, Missing, RuleTree, Test,
};
use crate::tree::sql::{sql_rules, sql_where};

/// One row of a gains table: the leaf row both tree kinds share.
pub type GainsRow = LeafRow;

impl RuleTree for ChaidModel {
    fn parents(&self) -> Vec<Option<usize>> {
        self.nodes.iter().map(|n| n.parent).collect()
    }

    /// `name in {labels}`: the categories of the branch leading to `node`
    /// (bins with their ranges, numeric ordinal categories with their
    /// values), missing values included when the branch holds them.
    fn branch(&self, parent: usize, node: usize) -> Condition {
        let split = self.nodes[parent].split.as_ref().expect("parent splits");
        let p = &self.predictors[split.predictor];
        let branch = &self.nodes[node].branch;
        let cats = branch
            .iter()
            .filter(|&&c| c != MISSING)
            .map(|&c| {
                let c = c as usize;
                let label = p.labels[c].clone();
                match &p.encoder {
                    Encoder::Labels(_) => Category::Label(label),
                    Encoder::Values(values) => Category::Number {
                        label,
                        value: values[c],
                    },
                    Encoder::Bins(edges) => Category::Bin {
                        label,
                        above: (c > 0).then(|| edges[c - 1]),
                        at_most: (c + 1 < edges.len()).then(|| edges[c]),
                    },
                }
            })
            .collect();
        Condition {
            column: p.name.clone(),
            test: Test::In(cats),
            missing: if branch.contains(&MISSING) {
                Missing::Included
            } else {
                Missing::Excluded
            },
        }
    }
}

impl LeafSource for ChaidModel {
    fn node_count(&self) -> usize {
        self.nodes.len()
    }
    fn is_leaf(&self, i: usize) -> bool {
        self.nodes[i].split.is_none()
    }
    fn size(&self, i: usize) -> f64 {
        self.nodes[i].n
    }
    fn weight(&self, i: usize) -> f64 {
        self.nodes[i].n
    }
    fn response(&self, i: usize, outcome: Outcome) -> f64 {
        let node = &self.nodes[i];
        match outcome {
            Outcome::Class(k) if node.n > 0.0 => node.counts[k] / node.n,
            Outcome::Class(_) => 0.0,
            Outcome::Value => self.mean(i),
        }
    }
    fn responses(&self, i: usize, outcome: Outcome) -> f64 {
        let node = &self.nodes[i];
        match outcome {
            Outcome::Class(k) => node.counts[k],
            Outcome::Value => node.counts[1],
        }
    }
}

impl ChaidModel {
    /// The conditions from the root to `node`, one per split.
    pub fn conditions(&self, node: usize) -> Vec<Condition> {
        rule_path(self, &RuleTree::parents(self), node)
    }

    /// The path to `node` as readable conditions (`name in {a, b}`), one
    /// per split.
    pub fn rule(&self, node: usize) -> Vec<String> {
        self.conditions(node)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    /// The path to `node` as a SQL `WHERE` condition. Labels become `IN`
    /// lists, bins of continuous predictors become ranges (`> a AND <= b`),
    /// and a group holding the missing category adds `IS NULL`. Rows the tree
    /// routes by its rule for unseen levels match no leaf's condition.
    pub fn sql_rule(&self, node: usize) -> String {
        sql_where(&self.conditions(node))
    }

    /// The rule of every node as text, conditions joined by ` and ` (empty
    /// for the root).
    pub fn rules(&self) -> Vec<String> {
        text_rules(self)
    }

    /// The SQL `WHERE` condition of every node (`TRUE` for the root).
    pub fn sql_rules(&self) -> Vec<String> {
        sql_rules(self)
    }

    /// The leaf table for `outcome` (a class, or the mean of a continuous
    /// target), in the order asked for.
    ///
    /// # Errors
    /// [`CiblageError::InvalidParameter`] (`target`) for a class out of
    /// range or a class of a regression tree, or a mean of a
    /// classification tree.
    pub fn leaf_table(&self, outcome: Outcome, order: LeafOrder) -> Result<Vec<LeafRow>> {
        match outcome {
            Outcome::Class(k) if self.is_regression() || k >= self.classes.len() => {
                return Err(CiblageError::param(
                    "target",
                    format!("class {k} is not below {}", self.classes.len()),
                ))
            }
            Outcome::Value if !self.is_regression() => {
                return Err(CiblageError::param(
                    "target",
                    "a classification tree's leaf tables are per class",
                ))
            }
            _ => {}
        }
        Ok(leaf_table(self, &self.rules(), outcome, order))
    }

    /// The gains table for class `target`: leaves by decreasing response
    /// rate (ties: lower id first), with shares, gains, index (lift) and
    /// their cumulative values.
    ///
    /// # Errors
    /// [`CiblageError::InvalidParameter`] (`target`) for a class out of range.
    pub fn gains(&self, target: usize) -> Result<Vec<GainsRow>> {
        self.leaf_table(Outcome::Class(target), LeafOrder::Response)
    }

    /// The drawing of the tree: per node its id, n, class shares or mean,
    /// and split predictor with its adjusted p; edges labelled with the
    /// categories of each branch.
    pub fn drawing(&self) -> Drawing {
        let mut nodes = Vec::with_capacity(self.nodes.len());
        let mut edges = Vec::new();
        for node in &self.nodes {
            let mut lines = vec![format!("node {}", node.id), format!("n = {}", node.n)];
            if self.is_regression() {
                lines.push(format!("mean = {:.4}", self.mean(node.id)));
            } else {
                for (c, k) in self.classes.iter().zip(&node.counts) {
                    lines.push(format!(
                        "{c}: {:.1}%",
                        100.0 * k / node.n.max(f64::MIN_POSITIVE)
                    ));
                }
            }
            if let Some(s) = &node.split {
                lines.push(format!(
                    "{} (adj. {})",
                    self.predictors[s.predictor].name,
                    p_value_text(s.ln_p_adjusted)
                ));
            }
            nodes.push(DrawNode {
                id: node.id,
                parent: node.parent,
                depth: node.depth,
                size: node.n,
                counts: if self.is_regression() {
                    Vec::new()
                } else {
                    node.counts.clone()
                },
                lines,
            });
            if let Some(parent) = node.parent {
                edges.push(DrawEdge {
                    from: parent,
                    to: node.id,
                    label: Some(EdgeLabel::Middle(self.branch_text(parent, node.id))),
                });
            }
        }
        Drawing {
            name: "CHAID".into(),
            nodes,
            edges,
        }
    }

    /// The categories of the branch from `parent` to `node`, as labels
    /// (`<missing>` for missing values).
    fn branch_text(&self, parent: usize, node: usize) -> String {
        let c = self.branch(parent, node);
        let mut labels: Vec<String> = match &c.test {
            Test::In(cats) => cats.iter().map(Category::label).collect(),
            _ => Vec::new(),
        };
        if c.missing == Missing::Included {
            labels.push("<missing>".into());
        }
        labels.join(", ")
    }

    /// The tree as indented text, in the layout of scikit-learn's
    /// `export_text`: one `|--- name in {a, b}` line per branch, each leaf's
    /// class (named by `class_names`, else by the model's classes) or mean
    /// (`value: [v]`, `decimals` digits).
    ///
    /// # Panics
    /// If `decimals` is above 65,535 (the formatter's limit).
    pub fn to_text(&self, class_names: &[String], decimals: usize) -> String {
        let branches = |i: usize| {
            self.nodes[i]
                .children
                .iter()
                .map(|&c| (c, self.branch(i, c).to_string()))
                .collect()
        };
        let leaf = |i: usize| {
            if self.is_regression() {
                let mean = self.mean(i);
                if mean.is_nan() {
                    "value: [nan]".to_owned()
                } else {
                    format!("value: [{mean:.decimals$}]")
                }
            } else {
                let k = self.class_of(i);
                let name = class_names.get(k).unwrap_or(&self.classes[k]);
                format!("class: {name}")
            }
        };
        indented_text(branches, leaf)
    }

    /// The tree in Graphviz DOT (see [`ChaidModel::drawing`]).
    pub fn to_dot(&self) -> String {
        self.drawing().to_dot()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::fuzz_tests::chaid_files;

    fn models() -> (ChaidModel, ChaidModel) {
        let files = chaid_files();
        (
            ChaidModel::from_json(&files[0]).unwrap(),
            ChaidModel::from_json(&files[1]).unwrap(),
        )
    }

    #[test]
    fn each_branch_is_one_condition_of_its_predictor() {
        let (clf, reg) = models();
        let mut kinds = [false; 3];
        for m in [&clf, &reg] {
            for node in &m.nodes[1..] {
                let parent = node.parent.unwrap();
                let p = &m.predictors[m.nodes[parent].split.as_ref().unwrap().predictor];
                // The path holds one condition per split, those on one
                // predictor merged.
                let rule = m.conditions(node.id);
                assert!(rule.len() <= node.depth);
                let c = &m.branch(parent, node.id);
                assert_eq!(c.column, p.name);
                let codes: Vec<usize> = node
                    .branch
                    .iter()
                    .filter(|&&c| c != MISSING)
                    .map(|&c| c as usize)
                    .collect();
                let Test::In(cats) = &c.test else {
                    panic!("CHAID branches list categories")
                };
                assert_eq!(cats.len(), codes.len());
                for (cat, &code) in cats.iter().zip(&codes) {
                    assert_eq!(cat.label(), p.labels[code]);
                    match (&p.encoder, cat) {
                        (Encoder::Labels(_), Category::Label(_)) => kinds[0] = true,
                        (Encoder::Values(v), Category::Number { value, .. }) => {
                            assert_eq!(*value, v[code]);
                            kinds[1] = true;
                        }
                        (Encoder::Bins(e), Category::Bin { above, at_most, .. }) => {
                            assert_eq!(*above, code.checked_sub(1).map(|k| e[k]));
                            assert_eq!(
                                *at_most,
                                e.get(code).filter(|_| code + 1 < e.len()).copied()
                            );
                            kinds[2] = true;
                        }
                        other => panic!("{other:?}"),
                    }
                }
                assert_eq!(
                    c.missing == Missing::Included,
                    node.branch.contains(&MISSING)
                );
                let parents = RuleTree::parents(m);
                let mut raw = vec![c.clone()];
                let mut id = parent;
                while let Some(up) = parents[id] {
                    raw.push(m.branch(up, id));
                    id = up;
                }
                raw.reverse();
                if raw.iter().filter(|r| r.column == c.column).count() == 1 {
                    assert_eq!(rule.len(), node.depth);
                    assert_eq!(m.rule(node.id).last().unwrap(), &c.to_string());
                    assert!(m.sql_rule(node.id).ends_with(&c.to_sql()));
                }
                assert_eq!(rule, crate::tree::merge_conditions(raw));
            }
        }
        // The saved models split on a nominal and a binned predictor (the
        // numeric ordinal one is rendered in the SQL tests).
        assert!(kinds[0] && kinds[2], "labels and bins seen");
    }

    #[test]
    fn leaf_tables_from_the_node_counts() {
        let (clf, reg) = models();
        let root = &clf.nodes[0];
        for k in 0..2 {
            let seg = clf.leaf_table(Outcome::Class(k), LeafOrder::Node).unwrap();
            let leaves: Vec<_> = clf.nodes.iter().filter(|n| n.split.is_none()).collect();
            assert_eq!(seg.len(), leaves.len());
            for (row, leaf) in seg.iter().zip(&leaves) {
                assert_eq!(row.node, leaf.id);
                assert_eq!(row.size, leaf.n);
                assert_eq!(row.share, leaf.n / root.n);
                let rate = leaf.counts[k] / leaf.n;
                assert_eq!(row.response, rate);
                assert_eq!(row.lift, rate / (root.counts[k] / root.n));
                assert_eq!(row.rule, clf.rule(leaf.id).join(" and "));
            }
            let gains = clf.gains(k).unwrap();
            assert!(gains.windows(2).all(|w| w[0].response >= w[1].response));
            let last = gains.last().unwrap();
            assert!((last.cumulative_share - 1.0).abs() < 1e-12);
            assert!((last.cumulative_gain - 1.0).abs() < 1e-12);
            assert!((last.cumulative_index - 100.0).abs() < 1e-9);
        }
        assert!(clf.gains(2).is_err() && reg.gains(0).is_err());
        let seg = reg.leaf_table(Outcome::Value, LeafOrder::Node).unwrap();
        let mean = |n: &crate::tree::chaid::ChaidNode| n.counts[1] / n.counts[0];
        for row in &seg {
            let leaf = &reg.nodes[row.node];
            assert_eq!(row.response, mean(leaf));
            assert_eq!(row.lift, mean(leaf) / mean(&reg.nodes[0]));
        }
    }

    #[test]
    fn the_drawing_follows_the_nodes() {
        let (clf, _) = models();
        let d = clf.drawing();
        assert_eq!(d.nodes.len(), clf.nodes.len());
        assert_eq!(d.edges.len(), clf.nodes.len() - 1);
        for (dn, n) in d.nodes.iter().zip(&clf.nodes) {
            assert_eq!((dn.parent, dn.depth, dn.size), (n.parent, n.depth, n.n));
            assert_eq!(dn.counts, n.counts);
        }
        let e = &d.edges[0];
        assert_eq!(
            e.label,
            Some(EdgeLabel::Middle(clf.branch_text(e.from, e.to)))
        );
        assert!(clf.to_dot().starts_with("digraph CHAID {"));
    }
}
