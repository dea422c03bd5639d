//! Readable forms of a CART tree: text (as scikit-learn's `export_text`)
//! and SQL conditions per node.

use crate::tree::cart::tree::{CartTree, LEAF};

enum Item {
    Node(usize, usize),
    Line(String),
}

impl CartTree {
    fn name(names: &[String], f: usize) -> String {
        names
            .get(f)
            .cloned()
            .unwrap_or_else(|| format!("feature_{f}"))
    }

    /// The tree as indented text, in the layout of scikit-learn's
    /// `export_text`: `|--- name <= t` / `|--- name >  t` lines, leaves as
    /// `class: label` (classification) or `value: [v]` (regression).
    pub fn to_text(
        &self,
        feature_names: &[String],
        class_names: &[String],
        decimals: usize,
    ) -> String {
        let mut out = String::new();
        let mut stack = vec![Item::Node(0, 0)];
        while let Some(item) = stack.pop() {
            let (i, depth) = match item {
                Item::Line(s) => {
                    out.push_str(&s);
                    continue;
                }
                Item::Node(i, depth) => (i, depth),
            };
            let indent = "|   ".repeat(depth);
            if self.children_left[i] == LEAF {
                let v = &self.value[i];
                if self.n_classes > 0 {
                    let k = (0..v.len()).fold(0, |b, k| if v[k] > v[b] { k } else { b });
                    let name = class_names.get(k).cloned().unwrap_or_else(|| k.to_string());
                    out.push_str(&format!("{indent}|--- class: {name}\n"));
                } else {
                    out.push_str(&format!("{indent}|--- value: [{:.*}]\n", decimals, v[0]));
                }
                continue;
            }
            let name = Self::name(feature_names, self.feature[i] as usize);
            let t = self.threshold[i];
            out.push_str(&format!("{indent}|--- {name} <= {t:.decimals$}\n"));
            stack.push(Item::Node(self.children_right[i] as usize, depth + 1));
            stack.push(Item::Line(format!(
                "{indent}|--- {name} >  {t:.decimals$}\n"
            )));
            stack.push(Item::Node(self.children_left[i] as usize, depth + 1));
        }
        out
    }

    /// The path to node `id` as a SQL `WHERE` condition on the feature
    /// columns (`"name" <= t AND "name" > t …`; `TRUE` for the root).
    /// Thresholds are printed in full so that the condition selects exactly
    /// the rows the tree routes there (values compared as stored).
    pub fn sql_rule(&self, id: usize, feature_names: &[String]) -> String {
        let parent = self.parents();
        let mut parts = Vec::new();
        let mut node = id;
        while parent[node] != usize::MAX {
            let p = parent[node];
            let name = Self::name(feature_names, self.feature[p] as usize).replace('"', "\"\"");
            let op = if self.children_left[p] == node as i64 {
                "<="
            } else {
                ">"
            };
            parts.push(format!("\"{name}\" {op} {}", self.threshold[p]));
            node = p;
        }
        parts.reverse();
        if parts.is_empty() {
            "TRUE".into()
        } else {
            parts.join(" AND ")
        }
    }
}

impl CartTree {
    /// Nodes each row passes through, as a compressed sparse row indicator
    /// (`indptr`, `indices`), as scikit-learn's `decision_path`.
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

    /// The path of every node as readable conditions (`name <= t`,
    /// `name > t`), root to node.
    pub fn rule(&self, id: usize, feature_names: &[String]) -> Vec<String> {
        let parent = self.parents();
        let mut parts = Vec::new();
        let mut node = id;
        while parent[node] != usize::MAX {
            let p = parent[node];
            let name = Self::name(feature_names, self.feature[p] as usize);
            let op = if self.children_left[p] == node as i64 {
                "<="
            } else {
                ">"
            };
            parts.push(format!("{name} {op} {}", self.threshold[p]));
            node = p;
        }
        parts.reverse();
        parts
    }
}

impl CartTree {
    /// The tree in Graphviz DOT: one box per node (split or class/value,
    /// samples), edges labelled True/False from the root as scikit-learn's
    /// `export_graphviz`.
    pub fn to_dot(&self, feature_names: &[String], class_names: &[String]) -> String {
        let mut out = String::from("digraph Tree {\nnode [shape=box, fontname=\"helvetica\"] ;\n");
        for i in 0..self.node_count() {
            let mut label = Vec::new();
            if self.children_left[i] != LEAF {
                let name = Self::name(feature_names, self.feature[i] as usize);
                label.push(format!("{name} <= {:.3}", self.threshold[i]));
            }
            label.push(format!("impurity = {:.3}", self.impurity[i]));
            label.push(format!("samples = {}", self.n_node_samples[i]));
            let v = &self.value[i];
            if self.n_classes > 0 {
                let k = (0..v.len()).fold(0, |b, k| if v[k] > v[b] { k } else { b });
                let name = class_names.get(k).cloned().unwrap_or_else(|| k.to_string());
                label.push(format!("class = {name}"));
            } else {
                label.push(format!("value = {:.3}", v[0]));
            }
            let text = label.join("\\n").replace('"', "\\\"");
            out.push_str(&format!("{i} [label=\"{text}\"] ;\n"));
        }
        for i in 0..self.node_count() {
            for (c, side) in [
                (self.children_left[i], "True"),
                (self.children_right[i], "False"),
            ] {
                if c == LEAF {
                    continue;
                }
                if i == 0 {
                    out.push_str(&format!("{i} -> {c} [headlabel=\"{side}\"] ;\n"));
                } else {
                    out.push_str(&format!("{i} -> {c} ;\n"));
                }
            }
        }
        out.push_str("}\n");
        out
    }
}
