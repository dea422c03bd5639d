//! Saving and reading a CHAID model: JSON through the shared envelope
//! ([`crate::tree::model_file`]), every field read and checked before the
//! model is used, so that a corrupt or hand-edited file cannot make
//! `predict` panic, loop or index out of range.

use crate::error::{CiblageError, Result};
use crate::tree::chaid::data::{Encoder, Predictor, PredictorKind, MISSING, UNSEEN};
use crate::tree::chaid::model::{ChaidModel, ChaidNode, ChaidSplit, CHAID_MODEL_VERSION};
use crate::tree::chaid::params::ChaidParams;
use crate::tree::model_file::{fault, read_model, write_model, Fields, ModelFile};

/// What error messages call a CHAID model file.
const WHAT: &str = "CHAID model";

impl ChaidModel {
    /// Serializes the model (JSON, with a format version).
    pub fn to_json(&self) -> String {
        write_model(self)
    }

    /// Reads a model written by [`ChaidModel::to_json`], checking every
    /// field (see [`ChaidModel::validate`]).
    ///
    /// # Errors
    /// [`CiblageError::InvalidModelFile`] naming the field at fault, for
    /// corrupt text, another version, or a model that cannot be used.
    pub fn from_json(text: &str) -> Result<Self> {
        read_model(text)
    }
}

impl ModelFile for ChaidModel {
    const FORMAT: &'static str = WHAT;
    const VERSION: u32 = CHAID_MODEL_VERSION;
    const BODY: &'static [&'static str] = &["params", "predictors", "classes", "nodes"];

    fn read_body(f: &Fields<'_>, _text_len: usize) -> Result<Self> {
        let params: ChaidParams = f.get("params")?;
        let predictors = f.objects("predictors", |_, p| {
            p.deny_unknown(&["name", "kind", "labels", "encoder"])?;
            Ok(Predictor {
                name: p.get("name")?,
                kind: p.get("kind")?,
                codes: Vec::new(),
                labels: p.list("labels", false)?,
                encoder: p.get("encoder")?,
            })
        })?;
        let classes: Vec<String> = f.list("classes", false)?;
        let nodes = f.objects("nodes", |_, n| read_node(&n))?;
        Ok(ChaidModel {
            version: CHAID_MODEL_VERSION,
            params,
            predictors,
            classes,
            nodes,
        })
    }

    fn validate(&self) -> Result<()> {
        ChaidModel::validate(self)
    }
}

/// Reads one node of the `nodes` list.
fn read_node(n: &Fields<'_>) -> Result<ChaidNode> {
    n.deny_unknown(&[
        "id", "parent", "depth", "branch", "n", "counts", "split", "children", "stop",
    ])?;
    Ok(ChaidNode {
        id: n.get("id")?,
        parent: n.get_or_default("parent")?,
        depth: n.get("depth")?,
        branch: n.list("branch", false)?,
        n: n.get("n")?,
        counts: n.list("counts", false)?,
        split: n.object("split", |s| {
            s.deny_unknown(&[
                "predictor",
                "groups",
                "statistic",
                "df",
                "ln_p",
                "ln_bonferroni",
                "ln_p_adjusted",
            ])?;
            Ok(ChaidSplit {
                predictor: s.get("predictor")?,
                groups: s.list("groups", false)?,
                statistic: s.shown_number("statistic")?,
                df: s.shown_number("df")?,
                ln_p: s.shown_number("ln_p")?,
                ln_bonferroni: s.shown_number("ln_bonferroni")?,
                ln_p_adjusted: s.shown_number("ln_p_adjusted")?,
            })
        })?,
        children: n.list("children", false)?,
        stop: n.get_or_default("stop")?,
    })
}

impl ChaidModel {
    /// Checks that the model can be used: valid parameters; predictors
    /// whose encoder matches their kind and labels (bin edges and ordinal
    /// values finite and ascending); nodes numbered by position, forming
    /// one tree from the root 0 (parents, depths and children agreeing, no
    /// node shared, none unreached); every split on an existing predictor
    /// with one group per child, groups disjoint and holding known codes,
    /// each child's branch its group; counts finite, one per class (three
    /// for a continuous target).
    ///
    /// # Errors
    /// [`CiblageError::InvalidModelFile`] naming the field at fault.
    pub fn validate(&self) -> Result<()> {
        if let Err(e) = self.params.clone().check() {
            return Err(match e {
                CiblageError::InvalidParameter { name, reason } => {
                    fault(WHAT, &format!("params.{name}"), reason)
                }
                other => fault(WHAT, "params", other),
            });
        }
        if self.predictors.is_empty() {
            return Err(fault(WHAT, "predictors", "the model has no predictor"));
        }
        for (k, p) in self.predictors.iter().enumerate() {
            validate_predictor(k, p)?;
        }
        let n = self.nodes.len();
        if n == 0 {
            return Err(fault(WHAT, "nodes", "the model has no node"));
        }
        let width = if self.is_regression() {
            3
        } else {
            self.classes.len()
        };
        for (i, node) in self.nodes.iter().enumerate() {
            self.validate_node(i, node, width)?;
        }
        let root = &self.nodes[0];
        if root.parent.is_some() || root.depth != 0 {
            return Err(fault(
                WHAT,
                "nodes[0]",
                "the root has no parent and depth 0",
            ));
        }
        if root.n.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
            return Err(fault(
                WHAT,
                "nodes[0].n",
                format!("the root's case count must be positive, got {}", root.n),
            ));
        }
        // One tree: every node reached once from the root.
        let mut seen = vec![false; n];
        seen[0] = true;
        let mut stack = vec![0usize];
        let mut reached = 1;
        while let Some(i) = stack.pop() {
            for (g, &c) in self.nodes[i].children.iter().enumerate() {
                if std::mem::replace(&mut seen[c], true) {
                    return Err(fault(
                        WHAT,
                        &format!("nodes[{i}].children[{g}]"),
                        format!("node {c} is reached twice (a cycle or a shared child)"),
                    ));
                }
                reached += 1;
                stack.push(c);
            }
        }
        if reached != n {
            let lost = seen.iter().position(|s| !s).unwrap_or(0);
            return Err(fault(
                WHAT,
                &format!("nodes[{lost}]"),
                "the node is not reached from the root",
            ));
        }
        Ok(())
    }

    /// Checks node `i` on its own and against its children.
    fn validate_node(&self, i: usize, node: &ChaidNode, width: usize) -> Result<()> {
        let at = |field: &str| format!("nodes[{i}].{field}");
        let n = self.nodes.len();
        if node.id != i {
            return Err(fault(
                WHAT,
                &at("id"),
                format!("{} where the position is {i}", node.id),
            ));
        }
        if !node.n.is_finite() || node.n < 0.0 {
            return Err(fault(
                WHAT,
                &at("n"),
                format!("expected a finite count >= 0, got {}", node.n),
            ));
        }
        if node.counts.len() != width {
            return Err(fault(
                WHAT,
                &at("counts"),
                format!("{} numbers, expected {width}", node.counts.len()),
            ));
        }
        if let Some((k, v)) = node
            .counts
            .iter()
            .enumerate()
            .find(|(k, v)| !v.is_finite() || (**v < 0.0 && !(self.is_regression() && *k == 1)))
        {
            return Err(fault(
                WHAT,
                &format!("nodes[{i}].counts[{k}]"),
                format!("expected a finite count >= 0, got {v}"),
            ));
        }
        if i > 0 && node.parent.is_none() {
            return Err(fault(WHAT, &at("parent"), "only the root has no parent"));
        }
        let Some(split) = &node.split else {
            if !node.children.is_empty() {
                return Err(fault(
                    WHAT,
                    &at("children"),
                    "a node without a split has no children",
                ));
            }
            return Ok(());
        };
        let k = split.predictor;
        let Some(p) = self.predictors.get(k) else {
            return Err(fault(
                WHAT,
                &at("split.predictor"),
                format!(
                    "predictor index {k} out of range ({} predictors)",
                    self.predictors.len()
                ),
            ));
        };
        if split.groups.len() < 2 || split.groups.len() != node.children.len() {
            return Err(fault(
                WHAT,
                &at("split.groups"),
                format!(
                    "{} groups for {} children (a split has one group per child, at least 2)",
                    split.groups.len(),
                    node.children.len()
                ),
            ));
        }
        let mut all: Vec<u32> = Vec::new();
        for (g, group) in split.groups.iter().enumerate() {
            if group.is_empty() {
                return Err(fault(
                    WHAT,
                    &format!("nodes[{i}].split.groups[{g}]"),
                    "a group holds at least one category",
                ));
            }
            if let Some(c) = group
                .iter()
                .find(|&&c| c != MISSING && c as usize >= p.labels.len())
            {
                return Err(fault(
                    WHAT,
                    &format!("nodes[{i}].split.groups[{g}]"),
                    format!(
                        "category code {c} out of range (predictor {:?} has {} categories)",
                        p.name,
                        p.labels.len()
                    ),
                ));
            }
            all.extend_from_slice(group);
        }
        all.sort_unstable();
        if let Some(w) = all.windows(2).find(|w| w[0] == w[1]) {
            return Err(fault(
                WHAT,
                &at("split.groups"),
                format!("category code {} is in two groups", w[0]),
            ));
        }
        for (g, &c) in node.children.iter().enumerate() {
            let field = format!("nodes[{i}].children[{g}]");
            if c >= n {
                return Err(fault(
                    WHAT,
                    &field,
                    format!("child index {c} out of range ({n} nodes)"),
                ));
            }
            let child = &self.nodes[c];
            if child.parent != Some(i) {
                return Err(fault(
                    WHAT,
                    &field,
                    format!("node {c} names parent {:?}, not {i}", child.parent),
                ));
            }
            if child.depth != node.depth.saturating_add(1) || c == i {
                return Err(fault(
                    WHAT,
                    &format!("nodes[{c}].depth"),
                    format!("{} under a parent of depth {}", child.depth, node.depth),
                ));
            }
            if child.branch != split.groups[g] {
                return Err(fault(
                    WHAT,
                    &format!("nodes[{c}].branch"),
                    format!(
                        "{:?} differs from group {g} of its parent's split",
                        child.branch
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// Checks predictor `k`: encoder of its kind, one label per category.
fn validate_predictor(k: usize, p: &Predictor) -> Result<()> {
    let at = |field: &str| format!("predictors[{k}].{field}");
    let n_labels = p.labels.len();
    if n_labels >= UNSEEN as usize {
        return Err(fault(WHAT, &at("labels"), format!("{n_labels} labels")));
    }
    let (size, ordered_numbers) = match &p.encoder {
        Encoder::Labels(l) => (l.len(), None),
        Encoder::Values(v) => (v.len(), Some(v)),
        Encoder::Bins(e) => (e.len(), Some(e)),
    };
    if (p.kind == PredictorKind::Continuous) != matches!(p.encoder, Encoder::Bins(_)) {
        return Err(fault(
            WHAT,
            &at("encoder"),
            format!(
                "a {:?} predictor is encoded by bins if and only if it is continuous",
                p.kind
            ),
        ));
    }
    if size != n_labels {
        return Err(fault(
            WHAT,
            &at("encoder"),
            format!("{size} entries for {n_labels} labels"),
        ));
    }
    // Rules show the labels and route by the encoder's: they are one list.
    if let Encoder::Labels(l) = &p.encoder {
        if let Some(c) = (0..n_labels).find(|&c| l[c] != p.labels[c]) {
            return Err(fault(
                WHAT,
                &at("encoder"),
                format!(
                    "label {c} is {:?} where the predictor's labels say {:?}",
                    l[c], p.labels[c]
                ),
            ));
        }
    }
    if let Some(values) = ordered_numbers {
        // No edge (a column missing on every row) goes with no label: no
        // split can hold its codes.
        if let Some(v) = values.iter().find(|v| !v.is_finite()) {
            return Err(fault(WHAT, &at("encoder"), format!("non-finite value {v}")));
        }
        if let Some(w) = values.windows(2).find(|w| w[0] >= w[1]) {
            return Err(fault(
                WHAT,
                &at("encoder"),
                format!(
                    "values must be strictly ascending, got {} then {}",
                    w[0], w[1]
                ),
            ));
        }
    }
    Ok(())
}
