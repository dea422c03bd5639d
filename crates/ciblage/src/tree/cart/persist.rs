//! Saving and reading a CART tree: JSON through the shared envelope
//! ([`crate::tree::model_file`]), every field read and checked before the
//! tree is used, so that a corrupt or hand-edited file cannot make
//! `predict` panic, loop or allocate without bound.

use crate::error::Result;
use crate::tree::cart::params::CartCriterion;
use crate::tree::cart::tree::{CartModel, CategorySplit, CART_MODEL_VERSION, LEAF};
use crate::tree::cart::values::NodeValues;
use crate::tree::model_file::{fault, read_model, size_bound, write_model, Fields, ModelFile};

/// What error messages call a CART model file.
const WHAT: &str = "CART model";

/// Largest category code a categorical split may hold (as at fit: 2^24 − 1).
const MAX_CATEGORY: u32 = (1 << 24) - 1;

impl CartModel {
    /// Serializes the tree (JSON, with a format version).
    pub fn to_json(&self) -> String {
        write_model(self)
    }

    /// Reads a tree written by [`CartModel::to_json`], checking every
    /// field (see [`CartModel::validate`]) before anything is allocated from
    /// the sizes it declares.
    ///
    /// # Errors
    /// [`crate::CiblageError::InvalidModelFile`] naming the field at fault,
    /// for corrupt text, another version, or a tree that cannot be used.
    pub fn from_json(text: &str) -> Result<Self> {
        read_model(text)
    }
}

impl ModelFile for CartModel {
    const FORMAT: &'static str = WHAT;
    const VERSION: u32 = CART_MODEL_VERSION;
    const BODY: &'static [&'static str] = &[
        "criterion",
        "n_features",
        "n_classes",
        "children_left",
        "children_right",
        "feature",
        "threshold",
        "missing_go_to_left",
        "categories",
        "category_names",
        "impurity",
        "n_node_samples",
        "weighted_n_node_samples",
        "value",
        "monotonic_cst",
        "output_classes",
    ];

    fn read_body(f: &Fields<'_>, text_len: usize) -> Result<Self> {
        let bound = size_bound(text_len);
        let n_features: u64 = f.get("n_features")?;
        if n_features == 0 || n_features > bound as u64 {
            return Err(f.fault(
                "n_features",
                format!(
                    "{n_features} is not between 1 and {bound} (the bound for a file of {text_len} bytes)"
                ),
            ));
        }
        let n_classes: u64 = f.get("n_classes")?;
        if n_classes > bound as u64 {
            return Err(f.fault(
                "n_classes",
                format!("{n_classes} is above {bound} (the bound for a file of {text_len} bytes)"),
            ));
        }
        let criterion: CartCriterion = f.get("criterion")?;
        if criterion.is_regression() != (n_classes == 0) {
            return Err(f.fault(
                "n_classes",
                format!("{n_classes} with criterion {criterion:?} (classification criteria need at least one class, regression ones none)"),
            ));
        }
        // Optional: one output when absent (files of one output).
        let output_classes: Vec<usize> = f.list("output_classes", true)?;
        if output_classes.len() == 1 || output_classes.len() > bound {
            return Err(f.fault(
                "output_classes",
                format!(
                    "{} outputs: a tree of several outputs lists 2 to {bound} of them (none for one output)",
                    output_classes.len()
                ),
            ));
        }
        // One number per class (the mean for regression) and per output in
        // every node value.
        let width = (n_classes as usize).max(1) * output_classes.len().max(1);
        let rows: Vec<Vec<f64>> = f.list("value", false)?;
        let mut value = NodeValues::new(width);
        for (i, row) in rows.iter().enumerate() {
            if row.len() != width {
                return Err(f.fault(
                    &format!("value[{i}]"),
                    format!("{} numbers where {width} were expected", row.len()),
                ));
            }
            value.push(row);
        }
        Ok(CartModel {
            version: CART_MODEL_VERSION,
            criterion,
            n_features: n_features as usize,
            n_classes: n_classes as usize,
            children_left: f.list("children_left", false)?,
            children_right: f.list("children_right", false)?,
            feature: f.list("feature", false)?,
            // A split of missing values from all present ones has threshold
            // +inf, which JSON writes as null.
            threshold: f
                .list::<Option<f64>>("threshold", false)?
                .into_iter()
                .map(|t| t.unwrap_or(f64::INFINITY))
                .collect(),
            missing_go_to_left: f.list("missing_go_to_left", true)?,
            categories: f.list::<Option<Box<CategorySplit>>>("categories", true)?,
            category_names: f.list("category_names", true)?,
            impurity: f.list("impurity", false)?,
            n_node_samples: f.list("n_node_samples", false)?,
            weighted_n_node_samples: f.list("weighted_n_node_samples", false)?,
            value,
            // Optional: files saved before constraints existed have none.
            monotonic_cst: f.list("monotonic_cst", true)?,
            output_classes,
        })
    }

    fn validate(&self) -> Result<()> {
        CartModel::validate(self)
    }
}

impl CartModel {
    /// Checks that the tree can be used: every array of one length per
    /// node (at least one node), children forming one tree from the root
    /// 0 (each child after its parent, no node shared), split features
    /// below `n_features`, categorical splits sorted and disjoint, weights
    /// and node values finite, and the criterion matching `n_classes`.
    ///
    /// # Errors
    /// [`crate::CiblageError::InvalidModelFile`] naming the field at fault.
    pub fn validate(&self) -> Result<()> {
        let n = self.feature.len();
        if n == 0 {
            return Err(fault(WHAT, "feature", "the tree has no node"));
        }
        if self.n_features == 0 {
            return Err(fault(WHAT, "n_features", "must be at least 1"));
        }
        let classification = !self.criterion.is_regression();
        if classification != (self.n_classes > 0) {
            return Err(fault(
                WHAT,
                "n_classes",
                format!(
                    "{} with criterion {:?} (classification criteria need at least one class, regression ones none)",
                    self.n_classes, self.criterion
                ),
            ));
        }
        self.validate_outputs()?;
        let width = self.n_classes.max(1) * self.n_outputs();
        if self.value.width() != width {
            return Err(fault(
                WHAT,
                "value",
                format!("{} numbers per node, expected {width}", self.value.width()),
            ));
        }
        let lengths = [
            ("children_left", self.children_left.len(), false),
            ("children_right", self.children_right.len(), false),
            ("threshold", self.threshold.len(), false),
            ("missing_go_to_left", self.missing_go_to_left.len(), true),
            ("categories", self.categories.len(), true),
            ("impurity", self.impurity.len(), false),
            ("n_node_samples", self.n_node_samples.len(), false),
            (
                "weighted_n_node_samples",
                self.weighted_n_node_samples.len(),
                false,
            ),
            ("value", self.value.len(), false),
        ];
        for (name, len, may_be_empty) in lengths {
            if len != n && !(may_be_empty && len == 0) {
                return Err(fault(
                    WHAT,
                    name,
                    format!("{len} entries for {n} nodes (the length of feature)"),
                ));
            }
        }
        if !self.category_names.is_empty() && self.category_names.len() != self.n_features {
            return Err(fault(
                WHAT,
                "category_names",
                format!(
                    "{} lists for {} features",
                    self.category_names.len(),
                    self.n_features
                ),
            ));
        }
        self.validate_monotonic()?;
        let mut has_parent = vec![false; n];
        for i in 0..n {
            self.validate_node(i, &mut has_parent)?;
        }
        if self.weighted_n_node_samples[0] <= 0.0 {
            return Err(fault(
                WHAT,
                "weighted_n_node_samples[0]",
                format!(
                    "the root's weight must be positive, got {}",
                    self.weighted_n_node_samples[0]
                ),
            ));
        }
        Ok(())
    }

    /// Checks the outputs: none listed (one output), or at least two, each
    /// of 1 to `n_classes` classes (the largest exactly `n_classes`) for
    /// classification, of 1 "class" each for regression; no monotonic
    /// constraints with several.
    fn validate_outputs(&self) -> Result<()> {
        let classes = &self.output_classes;
        if classes.is_empty() {
            return Ok(());
        }
        if classes.len() == 1 {
            return Err(fault(
                WHAT,
                "output_classes",
                "one output listed: a tree of one output lists none",
            ));
        }
        let (lo, hi) = if self.criterion.is_regression() {
            (1, 1)
        } else {
            (1, self.n_classes)
        };
        if let Some((o, c)) = classes
            .iter()
            .enumerate()
            .find(|(_, c)| !(lo..=hi).contains(*c))
        {
            return Err(fault(
                WHAT,
                &format!("output_classes[{o}]"),
                format!("{c} classes, expected {lo} to {hi}"),
            ));
        }
        if !self.criterion.is_regression() && classes.iter().max() != Some(&self.n_classes) {
            return Err(fault(
                WHAT,
                "output_classes",
                format!("no output has n_classes ({}) classes", self.n_classes),
            ));
        }
        if !self.monotonic_cst.is_empty() {
            return Err(fault(
                WHAT,
                "monotonic_cst",
                "constraints with several outputs",
            ));
        }
        Ok(())
    }

    /// Checks the monotonic constraints: none, or one of −1, 0, 1 per
    /// feature, and a classifier's on two classes at most.
    fn validate_monotonic(&self) -> Result<()> {
        let cst = &self.monotonic_cst;
        if cst.is_empty() {
            return Ok(());
        }
        if cst.len() != self.n_features {
            return Err(fault(
                WHAT,
                "monotonic_cst",
                format!("{} constraints for {} features", cst.len(), self.n_features),
            ));
        }
        if let Some((f, c)) = cst.iter().enumerate().find(|(_, c)| !(-1..=1).contains(*c)) {
            return Err(fault(
                WHAT,
                &format!("monotonic_cst[{f}]"),
                format!("{c} is not -1, 0 or 1"),
            ));
        }
        if self.n_classes > 2 {
            return Err(fault(
                WHAT,
                "monotonic_cst",
                format!("constraints with {} classes (at most 2)", self.n_classes),
            ));
        }
        Ok(())
    }

    /// Checks node `i` and marks its children.
    fn validate_node(&self, i: usize, has_parent: &mut [bool]) -> Result<()> {
        let n = has_parent.len();
        let (l, r) = (self.children_left[i], self.children_right[i]);
        if (l == LEAF) != (r == LEAF) {
            return Err(fault(
                WHAT,
                &format!("children_left[{i}]"),
                format!("a node has two children or none; children_left {l}, children_right {r}"),
            ));
        }
        for (name, c) in [("children_left", l), ("children_right", r)] {
            if c == LEAF {
                continue;
            }
            let field = format!("{name}[{i}]");
            if c < 0 || c as u64 >= n as u64 {
                return Err(fault(
                    WHAT,
                    &field,
                    format!("child index {c} out of range ({n} nodes)"),
                ));
            }
            let c = c as usize;
            if c <= i {
                return Err(fault(
                    WHAT,
                    &field,
                    format!("child index {c} does not come after its parent {i} (a cycle or a node out of order)"),
                ));
            }
            if std::mem::replace(&mut has_parent[c], true) {
                return Err(fault(
                    WHAT,
                    &field,
                    format!("node {c} is the child of two nodes"),
                ));
            }
        }
        if i > 0 && !has_parent[i] {
            // Children come after their parents: every parent of `i` has
            // been seen already.
            return Err(fault(
                WHAT,
                &format!("children_left[..{i}]"),
                format!("node {i} is reached from no node (it is not part of the tree)"),
            ));
        }
        let split = l != LEAF;
        let feature = self.feature[i];
        if split {
            if feature < 0 || feature as u64 >= self.n_features as u64 {
                return Err(fault(
                    WHAT,
                    &format!("feature[{i}]"),
                    format!(
                        "feature index {feature} out of range ({} features)",
                        self.n_features
                    ),
                ));
            }
        } else if feature != LEAF && feature != -2 {
            return Err(fault(
                WHAT,
                &format!("feature[{i}]"),
                format!("a leaf has feature -1 (or -2), got {feature}"),
            ));
        }
        match self.categories.get(i) {
            Some(Some(split_codes)) => {
                if !split {
                    return Err(fault(
                        WHAT,
                        &format!("categories[{i}]"),
                        "a leaf has no categorical split",
                    ));
                }
                let (left, right) = &**split_codes;
                for (side, codes) in [("left", left), ("right", right)] {
                    if let Some(w) = codes.windows(2).find(|w| w[0] >= w[1]) {
                        return Err(fault(
                            WHAT,
                            &format!("categories[{i}].{side}"),
                            format!(
                                "codes must be strictly ascending, got {} then {}",
                                w[0], w[1]
                            ),
                        ));
                    }
                    if let Some(c) = codes.iter().find(|&&c| c > MAX_CATEGORY) {
                        return Err(fault(
                            WHAT,
                            &format!("categories[{i}].{side}"),
                            format!("category code {c} is above {MAX_CATEGORY}"),
                        ));
                    }
                }
                if let Some(c) = left.iter().find(|c| right.binary_search(c).is_ok()) {
                    return Err(fault(
                        WHAT,
                        &format!("categories[{i}]"),
                        format!("category {c} is sent both left and right"),
                    ));
                }
            }
            _ => {
                if split && self.threshold[i].is_nan() {
                    return Err(fault(
                        WHAT,
                        &format!("threshold[{i}]"),
                        "a split node needs a threshold, got NaN",
                    ));
                }
            }
        }
        let finite = |name: &str, v: f64| {
            if v.is_finite() {
                Ok(())
            } else {
                Err(fault(
                    WHAT,
                    &format!("{name}[{i}]"),
                    format!("non-finite value {v}"),
                ))
            }
        };
        finite("impurity", self.impurity[i])?;
        let w = self.weighted_n_node_samples[i];
        finite("weighted_n_node_samples", w)?;
        if w < 0.0 {
            return Err(fault(
                WHAT,
                &format!("weighted_n_node_samples[{i}]"),
                format!("negative weight {w}"),
            ));
        }
        if let Some(v) = self.value.node(i).iter().find(|v| !v.is_finite()) {
            return Err(fault(
                WHAT,
                &format!("value[{i}]"),
                format!("non-finite value {v}"),
            ));
        }
        Ok(())
    }
}
