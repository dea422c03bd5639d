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

    /// A category of feature `f` as shown in rules: its name when known.
    fn category(&self, f: usize, code: u32) -> String {
        self.category_names
            .get(f)
            .and_then(|n| n.get(code as usize))
            .cloned()
            .unwrap_or_else(|| code.to_string())
    }

    /// The categories of a categorical split as `{a, b}`.
    fn category_set(&self, f: usize, codes: &[u32]) -> String {
        let names: Vec<String> = codes.iter().map(|&c| self.category(f, c)).collect();
        format!("{{{}}}", names.join(", "))
    }

    /// Readable condition for the child of split node `p` on side `left`:
    /// `name <= t` / `name > t` (present values), or `name in {a, b}` for a
    /// categorical split, whose missing side says `or missing or other`.
    /// SQL conditions ([`CartTree::sql_rule`]) route missing values too.
    fn condition(&self, p: usize, left: bool, names: &[String]) -> String {
        let f = self.feature[p] as usize;
        let name = Self::name(names, f);
        let missing = self.goes_left_if_missing(p) == left;
        match self.categories.get(p) {
            Some(Some(split)) => {
                let (l, r) = &**split;
                let set = self.category_set(f, if left { l } else { r });
                let extra = if missing { " or missing or other" } else { "" };
                format!("{name} in {set}{extra}")
            }
            _ => {
                let op = if left { "<=" } else { ">" };
                format!("{name} {op} {}", self.threshold[p])
            }
        }
    }

    /// SQL condition for the child of split node `p` on side `left`.
    fn sql_condition(&self, p: usize, left: bool, names: &[String]) -> String {
        let f = self.feature[p] as usize;
        let col = format!("\"{}\"", Self::name(names, f).replace('"', "\"\""));
        let missing = self.goes_left_if_missing(p) == left;
        let literal = |c: u32| match self.category_names.get(f).and_then(|n| n.get(c as usize)) {
            Some(n) => format!("'{}'", n.replace('\'', "''")),
            None => c.to_string(),
        };
        match self.categories.get(p) {
            Some(Some(split)) => {
                let (l, r) = &**split;
                let list = |codes: &[u32]| {
                    codes
                        .iter()
                        .map(|&c| literal(c))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                let side = if left { l } else { r };
                let base = if side.is_empty() {
                    "FALSE".to_string()
                } else {
                    format!("{col} IN ({})", list(side))
                };
                if missing {
                    let known: Vec<u32> = l.iter().chain(r).copied().collect();
                    format!(
                        "({base} OR {col} IS NULL OR {col} NOT IN ({}))",
                        list(&known)
                    )
                } else {
                    base
                }
            }
            _ => {
                let op = if left { "<=" } else { ">" };
                let base = format!("{col} {op} {}", self.threshold[p]);
                if missing {
                    format!("({base} OR {col} IS NULL)")
                } else {
                    base
                }
            }
        }
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
                let v = self.value.node(i);
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
            let (left, right) = match self.categories.get(i) {
                Some(Some(_)) => (
                    self.condition(i, true, feature_names),
                    self.condition(i, false, feature_names),
                ),
                _ => {
                    let t = self.threshold[i];
                    (
                        format!("{name} <= {t:.decimals$}"),
                        format!("{name} >  {t:.decimals$}"),
                    )
                }
            };
            out.push_str(&format!("{indent}|--- {left}\n"));
            stack.push(Item::Node(self.children_right[i] as usize, depth + 1));
            stack.push(Item::Line(format!("{indent}|--- {right}\n")));
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
            let left = self.children_left[p] == node as i64;
            parts.push(self.sql_condition(p, left, feature_names));
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
            let left = self.children_left[p] == node as i64;
            parts.push(self.condition(p, left, feature_names));
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
                match self.categories.get(i) {
                    Some(Some(_)) => label.push(self.condition(i, true, feature_names)),
                    _ => {
                        let name = Self::name(feature_names, self.feature[i] as usize);
                        label.push(format!("{name} <= {:.3}", self.threshold[i]));
                    }
                }
            }
            label.push(format!("impurity = {:.3}", self.impurity[i]));
            label.push(format!("samples = {}", self.n_node_samples[i]));
            let v = self.value.node(i);
            if self.n_classes > 0 {
                let k = (0..v.len()).fold(0, |b, k| if v[k] > v[b] { k } else { b });
                let name = class_names.get(k).cloned().unwrap_or_else(|| k.to_string());
                label.push(format!("class = {name}"));
            } else {
                label.push(format!("value = {:.3}", v[0]));
            }
            let text = label
                .iter()
                .map(String::as_str)
                .map(crate::tree::dot_text)
                .collect::<Vec<_>>()
                .join("\\n");
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
