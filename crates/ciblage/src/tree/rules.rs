//! Rules of both tree kinds as one condition type: the path from the root
//! to a node walked once, each branch a [`Condition`] on one column, shown
//! as text by [`Condition`]'s `Display` and as SQL by
//! [`Condition::to_sql`] (see [`crate::tree::sql`]).
//!
//! CART's thresholds are [`Test::AtMost`] / [`Test::Above`], its
//! categorical splits [`Test::In`] whose missing side also takes the
//! categories unseen at fit ([`Missing::WithOthers`]); CHAID's merged
//! categories are [`Test::In`] (bins of continuous predictors as
//! [`Category::Bin`]) with the floating missing category as
//! [`Missing::Included`].
//!
//! ```
//! use ciblage::tree::{Category, Condition, Missing, Test};
//! let c = Condition {
//!     column: "region".into(),
//!     test: Test::In(vec![Category::Label("north".into())]),
//!     missing: Missing::Included,
//! };
//! assert_eq!(c.to_string(), "region in {north, <missing>}");
//! assert_eq!(c.to_sql(), "(\"region\" IN ('north') OR \"region\" IS NULL)");
//! ```

pub use crate::tree::condition::{Category, Condition, Missing, Test};
use crate::tree::merge::merge_conditions;

/// The branches of a tree, as the rule walk needs them.
pub trait RuleTree {
    /// Parent of every node (`None` for the root), indexed by node id.
    fn parents(&self) -> Vec<Option<usize>>;
    /// The condition leading from split node `parent` to its child `node`.
    fn branch(&self, parent: usize, node: usize) -> Condition;
}

/// The conditions from the root to `node`, root first, given every
/// node's parent (from [`RuleTree::parents`], computed once for many
/// rules); those of one column merged where one condition says the same
/// ([`merge_conditions`]: `x <= 96.5 and x <= 30.5` is `x <= 30.5`).
///
/// # Panics
/// If `node` or a parent is not a node of `tree`.
pub fn rule_path<T: RuleTree + ?Sized>(
    tree: &T,
    parents: &[Option<usize>],
    node: usize,
) -> Vec<Condition> {
    let mut parts = Vec::new();
    let mut id = node;
    while let Some(p) = parents[id] {
        parts.push(tree.branch(p, id));
        id = p;
    }
    parts.reverse();
    merge_conditions(parts)
}

/// The rule of every node as text, conditions joined by ` and ` (empty
/// for the root).
pub fn text_rules<T: RuleTree + ?Sized>(tree: &T) -> Vec<String> {
    let parents = tree.parents();
    (0..parents.len())
        .map(|i| join_text(&rule_path(tree, &parents, i)))
        .collect()
}

/// Conditions as one text rule, joined by ` and `.
pub fn join_text(conditions: &[Condition]) -> String {
    conditions
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" and ")
}

/// A tree as indented text, in the layout of scikit-learn's
/// `export_text`: from the root, each branch of a node as a `|--- text`
/// line followed by the child's subtree one level deeper (`|   `), a leaf
/// as one `|--- text` line. `branches` gives a node's children with the
/// text of each branch (none for a leaf), `leaf` a leaf's text.
pub fn indented_text(
    branches: impl Fn(usize) -> Vec<(usize, String)>,
    leaf: impl Fn(usize) -> String,
) -> String {
    enum Item {
        Node(usize, usize),
        Line(String),
    }
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
        let children = branches(i);
        if children.is_empty() {
            out.push_str(&format!("{indent}|--- {}\n", leaf(i)));
        }
        for (child, text) in children.into_iter().rev() {
            stack.push(Item::Node(child, depth + 1));
            stack.push(Item::Line(format!("{indent}|--- {text}\n")));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(test: Test, missing: Missing) -> Condition {
        Condition {
            column: "x".into(),
            test,
            missing,
        }
    }

    #[test]
    fn text_of_each_condition_kind() {
        assert_eq!(
            cond(Test::AtMost(1.5), Missing::Included).to_string(),
            "x <= 1.5"
        );
        assert_eq!(
            cond(Test::Above(2.0), Missing::Excluded).to_string(),
            "x > 2"
        );
        let cats = vec![Category::Label("a".into()), Category::Code(7)];
        assert_eq!(
            cond(Test::In(cats.clone()), Missing::Excluded).to_string(),
            "x in {a, 7}"
        );
        assert_eq!(
            cond(Test::In(cats.clone()), Missing::Included).to_string(),
            "x in {a, 7, <missing>}"
        );
        let known = cats.clone();
        assert_eq!(
            cond(Test::In(cats), Missing::WithOthers { known }).to_string(),
            "x in {a, 7} or missing or other"
        );
        assert_eq!(
            cond(Test::In(Vec::new()), Missing::Included).to_string(),
            "x in {<missing>}"
        );
    }

    /// A root with two children, the second split again.
    struct Chain;
    impl RuleTree for Chain {
        fn parents(&self) -> Vec<Option<usize>> {
            vec![None, Some(0), Some(0), Some(2), Some(2)]
        }
        fn branch(&self, parent: usize, node: usize) -> Condition {
            let t = parent as f64;
            let test = if node % 2 == 1 {
                Test::AtMost(t)
            } else {
                Test::Above(t)
            };
            cond(test, Missing::Excluded)
        }
    }

    #[test]
    fn indented_text_nests_each_branch() {
        let kids = |i: usize| match i {
            0 => vec![(1, "a".to_owned()), (2, "b".to_owned())],
            2 => vec![(3, "c".to_owned())],
            _ => Vec::new(),
        };
        assert_eq!(
            indented_text(kids, |i| format!("leaf {i}")),
            "|--- a\n|   |--- leaf 1\n|--- b\n|   |--- c\n|   |   |--- leaf 3\n"
        );
    }

    #[test]
    fn the_walk_goes_root_first() {
        assert_eq!(
            text_rules(&Chain),
            // Node 4's `x > 0 and x > 2` is merged into its tighter bound.
            ["", "x <= 0", "x > 0", "x > 0 and x <= 2", "x > 2"]
        );
    }
}
