//! Leaf tables of both tree kinds: one row per leaf with its rule, size,
//! share, response (a class's share, or the mean) and how it compares with
//! the whole training set — CHAID's gains table ranks them, CART's and
//! CHAID's segments tables list them in node order.

use serde::{Deserialize, Serialize};

/// What a leaf table reports of each leaf.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The share of class `k` (its weight over the node's weight).
    Class(usize),
    /// The node's value: the mean target (the median for CART's absolute
    /// error criterion).
    Value,
}

/// What the leaf tables read of a fitted tree's nodes.
pub trait LeafSource {
    /// Number of nodes (ids `0..node_count`, root 0).
    fn node_count(&self) -> usize;
    /// Whether node `i` is a leaf.
    fn is_leaf(&self, i: usize) -> bool;
    /// Training cases in node `i`: rows (CART) or frequency-weighted cases
    /// (CHAID).
    fn size(&self, i: usize) -> f64;
    /// Training weight of node `i`.
    fn weight(&self, i: usize) -> f64;
    /// The response of node `i`: the share of a class, or the node's value.
    fn response(&self, i: usize, outcome: Outcome) -> f64;
    /// The weight of a class in node `i` (the response times the weight
    /// for [`Outcome::Value`]).
    fn responses(&self, i: usize, outcome: Outcome) -> f64;
}

/// One row of a leaf table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeafRow {
    /// Leaf id.
    pub node: usize,
    /// Its rule as text (conditions joined by ` and `; empty for a lone
    /// root).
    pub rule: String,
    /// Training cases in the leaf (see [`LeafSource::size`]).
    pub size: f64,
    /// Training weight in the leaf.
    pub weight: f64,
    /// Share of all training cases (`size` over the root's).
    pub share: f64,
    /// The weight of the outcome class in the leaf (the response times the
    /// weight for a value).
    pub responses: f64,
    /// The response: the class share, or the mean (median) target.
    pub response: f64,
    /// The response over the root's: the class lift, or the ratio to the
    /// overall mean; NaN where the root's is not positive (a class) or is
    /// zero (a value).
    pub lift: f64,
    /// Share of all responses found in the leaf (0 when there are none).
    pub gain: f64,
    /// The response over the overall one × 100, by weight (0 when the
    /// overall response is not positive).
    pub index: f64,
    /// Share of cases in this leaf and those before it in the table.
    pub cumulative_share: f64,
    /// Share of responses in this leaf and those before it.
    pub cumulative_gain: f64,
    /// The cumulative response over the overall one × 100.
    pub cumulative_index: f64,
}

/// How the rows of a leaf table are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeafOrder {
    /// By leaf id (segments tables).
    Node,
    /// By decreasing response, ties by leaf id (gains tables).
    Response,
}

/// The leaf table of `tree` for `outcome`, each leaf's rule from `rules`
/// (one per node). Cumulative columns follow the order asked for.
///
/// # Panics
/// If `rules` has fewer entries than the tree has nodes, or the tree has
/// no node.
pub fn leaf_table<T: LeafSource + ?Sized>(
    tree: &T,
    rules: &[String],
    outcome: Outcome,
    order: LeafOrder,
) -> Vec<LeafRow> {
    let (size0, weight0) = (tree.size(0), tree.weight(0));
    let root_response = tree.response(0, outcome);
    let total = tree.responses(0, outcome);
    let overall = total / weight0;
    let mut leaves: Vec<usize> = (0..tree.node_count())
        .filter(|&i| tree.is_leaf(i))
        .collect();
    if order == LeafOrder::Response {
        leaves.sort_by(|&a, &b| {
            let (ra, rb) = (tree.response(a, outcome), tree.response(b, outcome));
            rb.total_cmp(&ra).then(a.cmp(&b))
        });
    }
    let lift_defined = match outcome {
        Outcome::Class(_) => root_response > 0.0,
        Outcome::Value => root_response != 0.0,
    };
    let share_of = |part: f64, whole: f64| if whole > 0.0 { part / whole } else { 0.0 };
    let index_of = |rate: f64| {
        if overall > 0.0 {
            100.0 * rate / overall
        } else {
            0.0
        }
    };
    let (mut cum_size, mut cum_weight, mut cum_responses) = (0.0, 0.0, 0.0);
    leaves
        .into_iter()
        .map(|i| {
            let (size, weight) = (tree.size(i), tree.weight(i));
            let (response, responses) = (tree.response(i, outcome), tree.responses(i, outcome));
            cum_size += size;
            cum_weight += weight;
            cum_responses += responses;
            LeafRow {
                node: i,
                rule: rules[i].clone(),
                size,
                weight,
                share: size / size0,
                responses,
                response,
                lift: if lift_defined {
                    response / root_response
                } else {
                    f64::NAN
                },
                gain: share_of(responses, total),
                index: index_of(response),
                cumulative_share: cum_size / size0,
                cumulative_gain: share_of(cum_responses, total),
                cumulative_index: index_of(cum_responses / cum_weight),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A root of 10 cases (4 of class 1) split into leaves of 6 (1) and 4 (3).
    struct Stump;
    impl LeafSource for Stump {
        fn node_count(&self) -> usize {
            3
        }
        fn is_leaf(&self, i: usize) -> bool {
            i > 0
        }
        fn size(&self, i: usize) -> f64 {
            [10.0, 6.0, 4.0][i]
        }
        fn weight(&self, i: usize) -> f64 {
            self.size(i)
        }
        fn response(&self, i: usize, outcome: Outcome) -> f64 {
            self.responses(i, outcome) / self.weight(i)
        }
        fn responses(&self, i: usize, _: Outcome) -> f64 {
            [4.0, 1.0, 3.0][i]
        }
    }

    #[test]
    fn gains_rank_leaves_and_accumulate_by_hand() {
        let rules = vec![String::new(), "a".into(), "b".into()];
        let t = leaf_table(&Stump, &rules, Outcome::Class(1), LeafOrder::Response);
        assert_eq!([t[0].node, t[1].node], [2, 1]);
        assert_eq!(t[0].rule, "b");
        // Leaf 2: rate 3/4 against 4/10 overall: index 187.5, gain 3/4.
        assert_eq!(t[0].response, 0.75);
        assert!((t[0].index - 187.5).abs() < 1e-12);
        assert!((t[0].lift - 1.875).abs() < 1e-12);
        assert_eq!(t[0].gain, 0.75);
        assert_eq!(t[0].share, 0.4);
        // Both leaves: everything, index 100.
        assert_eq!(t[1].cumulative_share, 1.0);
        assert_eq!(t[1].cumulative_gain, 1.0);
        assert!((t[1].cumulative_index - 100.0).abs() < 1e-12);
        let seg = leaf_table(&Stump, &rules, Outcome::Class(1), LeafOrder::Node);
        assert_eq!([seg[0].node, seg[1].node], [1, 2]);
        assert_eq!(seg[0].cumulative_share, 0.6);
    }
}
