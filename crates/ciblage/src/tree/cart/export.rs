//! Readable forms of a CART tree through the shared tree layer: rules as
//! [`Condition`]s (text and SQL), leaf tables, the drawing (DOT); and the
//! indented text of scikit-learn's `export_text`.

use crate::error::{CiblageError, Result};
use crate::tree::cart::params::CartCriterion;
use crate::tree::cart::tree::{CartModel, LEAF};
use crate::tree::drawing::{DrawEdge, DrawNode, Drawing, EdgeLabel};
use crate::tree::gains::{leaf_table, LeafOrder, LeafRow, LeafSource, Outcome};
use crate::tree::rules::{
    indented_text, rule_path, text_rules, Category, Condition, Missing, RuleTree, Test,
};
use crate::tree::sql::{sql_rules, sql_where};

/// A CART tree with the names of its features, as the shared rule walk
/// reads it (see [`CartModel::named`]).
struct NamedCartTree<'a> {
    tree: &'a CartModel,
    names: &'a [String],
}

impl RuleTree for NamedCartTree<'_> {
    fn parents(&self) -> Vec<Option<usize>> {
        self.tree
            .parents()
            .into_iter()
            .map(|p| (p != usize::MAX).then_some(p))
            .collect()
    }

    fn branch(&self, parent: usize, node: usize) -> Condition {
        let left = self.tree.children_left[parent] == node as i64;
        self.tree.condition(parent, left, self.names)
    }
}

impl LeafSource for CartModel {
    fn node_count(&self) -> usize {
        CartModel::node_count(self)
    }
    fn is_leaf(&self, i: usize) -> bool {
        self.children_left[i] == LEAF
    }
    fn size(&self, i: usize) -> f64 {
        self.n_node_samples[i] as f64
    }
    fn weight(&self, i: usize) -> f64 {
        self.weighted_n_node_samples[i]
    }
    fn response(&self, i: usize, outcome: Outcome) -> f64 {
        match outcome {
            Outcome::Class(k) => self.value.node(i)[k],
            Outcome::Value => self.value.node(i)[0],
        }
    }
    fn responses(&self, i: usize, outcome: Outcome) -> f64 {
        self.weighted_n_node_samples[i] * self.response(i, outcome)
    }
}

impl CartModel {
    fn name(names: &[String], f: usize) -> String {
        names
            .get(f)
            .cloned()
            .unwrap_or_else(|| format!("feature_{f}"))
    }

    /// The tree with the names of its features (`feature_<i>` where none is
    /// given), as the shared rule walk ([`crate::tree::rule_path`]) reads it.
    pub fn named<'a>(&'a self, feature_names: &'a [String]) -> impl RuleTree + 'a {
        NamedCartTree {
            tree: self,
            names: feature_names,
        }
    }

    /// A category of feature `f` as rules show it: its name when known,
    /// else its code.
    fn category(&self, f: usize, code: u32) -> Category {
        match self
            .category_names
            .get(f)
            .and_then(|n| n.get(code as usize))
        {
            Some(name) => Category::Label(name.clone()),
            None => Category::Code(code),
        }
    }

    /// The condition of the child of split node `p` on side `left`:
    /// `name <= t` / `name > t`, or `name in {a, b}` for a categorical
    /// split, whose missing side also takes the other categories.
    fn condition(&self, p: usize, left: bool, names: &[String]) -> Condition {
        let f = self.feature[p] as usize;
        let column = Self::name(names, f);
        let missing_here = self.goes_left_if_missing(p) == left;
        match self.categories.get(p) {
            Some(Some(split)) => {
                let (l, r) = &**split;
                let side = if left { l } else { r };
                let missing = if missing_here {
                    Missing::WithOthers {
                        known: l.iter().chain(r).map(|&c| self.category(f, c)).collect(),
                    }
                } else {
                    Missing::Excluded
                };
                Condition {
                    column,
                    test: Test::In(side.iter().map(|&c| self.category(f, c)).collect()),
                    missing,
                }
            }
            _ => {
                let t = self.threshold[p];
                Condition {
                    column,
                    test: if left {
                        Test::AtMost(t)
                    } else {
                        Test::Above(t)
                    },
                    missing: if missing_here {
                        Missing::Included
                    } else {
                        Missing::Excluded
                    },
                }
            }
        }
    }

    /// The conditions from the root to node `id`.
    pub fn conditions(&self, id: usize, feature_names: &[String]) -> Vec<Condition> {
        let named = self.named(feature_names);
        rule_path(&named, &named.parents(), id)
    }

    /// The path to node `id` as readable conditions (`name <= t`,
    /// `name > t`, `name in {a, b}`), root first.
    pub fn rule(&self, id: usize, feature_names: &[String]) -> Vec<String> {
        self.conditions(id, feature_names)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    /// The path to node `id` as a SQL `WHERE` condition on the feature
    /// columns (`"name" <= t AND "name" > t …`; `TRUE` for the root).
    /// Thresholds are printed in full so that the condition selects exactly
    /// the rows the tree routes there (values compared as stored).
    pub fn sql_rule(&self, id: usize, feature_names: &[String]) -> String {
        sql_where(&self.conditions(id, feature_names))
    }

    /// The rule of every node as text, conditions joined by ` and ` (empty
    /// for the root).
    pub fn rules(&self, feature_names: &[String]) -> Vec<String> {
        text_rules(&self.named(feature_names))
    }

    /// The SQL `WHERE` condition of every node (`TRUE` for the root).
    pub fn sql_rules(&self, feature_names: &[String]) -> Vec<String> {
        sql_rules(&self.named(feature_names))
    }

    /// The leaf table for `outcome` (a class, or the node value for a
    /// regression tree), rules named by `feature_names`: sizes are training
    /// rows, responses weighted.
    ///
    /// # Errors
    /// [`CiblageError::InvalidParameter`] (`target`) for a class out of
    /// range or a class of a regression tree.
    pub fn leaf_table(
        &self,
        feature_names: &[String],
        outcome: Outcome,
        order: LeafOrder,
    ) -> Result<Vec<LeafRow>> {
        match outcome {
            Outcome::Class(k) if k >= self.n_classes => {
                return Err(CiblageError::param(
                    "target",
                    format!("class {k} is not below {}", self.n_classes),
                ))
            }
            Outcome::Value if self.n_classes > 0 => {
                return Err(CiblageError::param(
                    "target",
                    "a classification tree's leaf tables are per class",
                ))
            }
            _ => {}
        }
        Ok(leaf_table(self, &self.rules(feature_names), outcome, order))
    }

    /// The name of the value a regression tree's leaves hold: `median`
    /// under the absolute error criterion, else `mean`.
    pub fn value_name(&self) -> &'static str {
        if self.criterion == CartCriterion::AbsoluteError {
            "median"
        } else {
            "mean"
        }
    }

    /// The tree as indented text, in the layout of scikit-learn's
    /// `export_text`: `|--- name <= t` / `|--- name >  t` lines, leaves as
    /// `class: label` (classification) or `value: [v]` (regression).
    ///
    /// # Panics
    /// If `decimals` is above 65,535 (the formatter's limit).
    pub fn to_text(
        &self,
        feature_names: &[String],
        class_names: &[String],
        decimals: usize,
    ) -> String {
        let branches = |i: usize| {
            if self.children_left[i] == LEAF {
                return Vec::new();
            }
            let name = Self::name(feature_names, self.feature[i] as usize);
            let (left, right) = match self.categories.get(i) {
                Some(Some(_)) => (
                    self.condition(i, true, feature_names).to_string(),
                    self.condition(i, false, feature_names).to_string(),
                ),
                _ => {
                    let t = self.threshold[i];
                    (
                        format!("{name} <= {t:.decimals$}"),
                        format!("{name} >  {t:.decimals$}"),
                    )
                }
            };
            vec![
                (self.children_left[i] as usize, left),
                (self.children_right[i] as usize, right),
            ]
        };
        let leaf = |i: usize| match self.class_name(i, class_names) {
            Some(name) => format!("class: {name}"),
            None => format!("value: [{:.*}]", decimals, self.value.node(i)[0]),
        };
        indented_text(branches, leaf)
    }

    /// The name of node `i`'s predicted class (the largest share, ties to
    /// the first; its index where no name is given); `None` for a
    /// regression tree.
    fn class_name(&self, i: usize, class_names: &[String]) -> Option<String> {
        if self.n_classes == 0 {
            return None;
        }
        let v = self.value.node(i);
        let k = (0..v.len()).fold(0, |b, k| if v[k] > v[b] { k } else { b });
        Some(class_names.get(k).cloned().unwrap_or_else(|| k.to_string()))
    }

    /// The nodes each row passes through, appended to `indices` (a row of
    /// scikit-learn's `decision_path`).
    ///
    /// # Panics
    /// If `row` holds fewer than `n_features` values.
    pub fn decision_path_row(&self, row: &[f64], indices: &mut Vec<usize>) {
        let mut i = 0usize;
        loop {
            indices.push(i);
            if self.children_left[i] == LEAF {
                break;
            }
            i = self.child(i, row);
        }
    }

    /// The drawing of the tree: per node its split (or nothing for a
    /// leaf), impurity, samples and class or value; edges labelled
    /// True/False from the root as scikit-learn's `export_graphviz`.
    pub fn drawing(&self, feature_names: &[String], class_names: &[String]) -> Drawing {
        let parents = self.named(feature_names).parents();
        let mut depth = vec![0usize; self.node_count()];
        let mut nodes = Vec::with_capacity(self.node_count());
        for i in 0..self.node_count() {
            if let Some(p) = parents[i] {
                depth[i] = depth[p] + 1;
            }
            let mut lines = Vec::new();
            if self.children_left[i] != LEAF {
                match self.categories.get(i) {
                    Some(Some(_)) => lines.push(self.condition(i, true, feature_names).to_string()),
                    _ => {
                        let name = Self::name(feature_names, self.feature[i] as usize);
                        lines.push(format!("{name} <= {:.3}", self.threshold[i]));
                    }
                }
            }
            lines.push(format!("impurity = {:.3}", self.impurity[i]));
            lines.push(format!("samples = {}", self.n_node_samples[i]));
            lines.push(match self.class_name(i, class_names) {
                Some(name) => format!("class = {name}"),
                None => format!("value = {:.3}", self.value.node(i)[0]),
            });
            nodes.push(DrawNode {
                id: i,
                parent: parents[i],
                depth: depth[i],
                size: self.n_node_samples[i] as f64,
                counts: (0..self.n_classes)
                    .map(|k| self.responses(i, Outcome::Class(k)))
                    .collect(),
                lines,
            });
        }
        let mut edges = Vec::new();
        for i in 0..self.node_count() {
            for (c, side) in [
                (self.children_left[i], "True"),
                (self.children_right[i], "False"),
            ] {
                if c != LEAF {
                    edges.push(DrawEdge {
                        from: i,
                        to: c as usize,
                        label: (i == 0).then(|| EdgeLabel::Head(side.into())),
                    });
                }
            }
        }
        Drawing {
            name: "Tree".into(),
            nodes,
            edges,
        }
    }

    /// The tree in Graphviz DOT (see [`CartModel::drawing`]).
    pub fn to_dot(&self, feature_names: &[String], class_names: &[String]) -> String {
        self.drawing(feature_names, class_names).to_dot()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A categorical stump by hand: 41 rows, 21 of class 1; categories
    /// {1, 3} left (20 rows, 3 of class 1), {0, 2} and the missing values
    /// right (21 rows, 18 of class 1).
    fn stump() -> CartModel {
        let mut t = CartModel::empty(CartCriterion::Gini, 1, 2);
        t.push_node(LEAF, false, 0.5, 41, 41.0, &[20.0 / 41.0, 21.0 / 41.0]);
        t.push_node(0, true, 0.3, 20, 20.0, &[17.0 / 20.0, 3.0 / 20.0]);
        t.push_node(0, false, 0.2, 21, 21.0, &[3.0 / 21.0, 18.0 / 21.0]);
        t.feature[0] = 0;
        t.categories[0] = Some(Box::new((vec![1, 3], vec![0, 2])));
        t.category_names = vec![vec!["a".into(), "b".into(), "c".into(), "d".into()]];
        t.validate().unwrap();
        t
    }

    #[test]
    fn categorical_branches_are_shared_conditions() {
        let t = stump();
        let names = ["region".to_string()];
        let label = |s: &str| Category::Label(s.into());
        assert_eq!(
            t.conditions(1, &names),
            [Condition {
                column: "region".into(),
                test: Test::In(vec![label("b"), label("d")]),
                missing: Missing::Excluded,
            }]
        );
        // The right side takes the missing values and the unseen categories.
        let right = &t.conditions(2, &names)[0];
        assert_eq!(
            right.missing,
            Missing::WithOthers {
                known: vec![label("b"), label("d"), label("a"), label("c")]
            }
        );
        assert_eq!(right.to_string(), "region in {a, c} or missing or other");
        assert_eq!(
            t.sql_rule(2, &names),
            "(\"region\" IN ('a', 'c') OR \"region\" IS NULL OR \"region\" NOT IN ('b', 'd', 'a', 'c'))"
        );
        assert_eq!(t.sql_rule(0, &names), "TRUE");
        assert_eq!(
            text_rules(&t.named(&names)),
            [
                "",
                "region in {b, d}",
                "region in {a, c} or missing or other"
            ]
        );
    }

    #[test]
    fn leaf_tables_by_hand() {
        let t = stump();
        let root = 21.0 / 41.0;
        let seg = t
            .leaf_table(&[], Outcome::Class(1), LeafOrder::Node)
            .unwrap();
        assert_eq!([seg[0].node, seg[1].node], [1, 2]);
        assert_eq!([seg[0].size, seg[1].size], [20.0, 21.0]);
        assert_eq!(seg[0].rule, "feature_0 in {b, d}");
        assert!((seg[0].share - 20.0 / 41.0).abs() < 1e-15);
        assert!((seg[0].response - 0.15).abs() < 1e-15);
        assert!((seg[0].lift - 0.15 / root).abs() < 1e-12);
        let gains = t
            .leaf_table(&[], Outcome::Class(1), LeafOrder::Response)
            .unwrap();
        assert_eq!(gains[0].node, 2);
        assert!((gains[0].gain - 18.0 / 21.0).abs() < 1e-12);
        assert!((gains[0].index - 100.0 * (18.0 / 21.0) / root).abs() < 1e-9);
        assert!((gains[1].cumulative_gain - 1.0).abs() < 1e-12);
        assert!((gains[1].cumulative_index - 100.0).abs() < 1e-9);
        assert!(t
            .leaf_table(&[], Outcome::Class(2), LeafOrder::Node)
            .is_err());
        assert!(t.leaf_table(&[], Outcome::Value, LeafOrder::Node).is_err());
        assert_eq!(t.value_name(), "mean");
    }

    #[test]
    fn the_drawing_labels_the_root_edges() {
        let t = stump();
        let d = t.drawing(&[], &["no".into(), "yes".into()]);
        assert_eq!(d.nodes[2].depth, 1);
        assert_eq!(d.nodes[2].parent, Some(0));
        // 21 rows of weight 1, 3/21 and 18/21 of them by class.
        let counts = &d.nodes[2].counts;
        assert!((counts[0] - 3.0).abs() < 1e-12 && (counts[1] - 18.0).abs() < 1e-12);
        assert_eq!(d.nodes[1].lines.last().unwrap(), "class = no");
        assert_eq!(
            d.edges[1],
            DrawEdge {
                from: 0,
                to: 2,
                label: Some(EdgeLabel::Head("False".into()))
            }
        );
        assert!(t.to_dot(&[], &[]).starts_with("digraph Tree {"));
    }
}
