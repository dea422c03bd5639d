//! A node's summary (weight, impurity, value, sums) from its samples, for
//! the random splitter: the exact splitter's rules, read from a list of
//! samples.

use crate::tree::cart::exact::median_error_of;
use crate::tree::cart::params::CartCriterion;
use crate::tree::cart::shared::criterion::{self, ClassSums, Sums};
use crate::tree::cart::shared::data::{NodeSummary, TrainSet};

/// Weight, impurity, value (class shares, mean, or median under the
/// absolute error) and sums of the node holding `rows`.
pub(super) fn summarise(data: &TrainSet<'_>, c: CartCriterion, rows: &[u32]) -> NodeSummary {
    let width = if c.is_regression() { 1 } else { data.n_classes };
    let mut total = ClassSums::from_elem(0.0, width);
    let (mut sq, mut w) = (0.0, 0.0);
    for &s in rows {
        let ws = data.weights[s as usize];
        match (data.classes, data.targets) {
            (Some(k), _) => total[k[s as usize] as usize] += ws,
            (_, Some(t)) => {
                let y = t[s as usize];
                total[0] += ws * y;
                sq += ws * y * y;
            }
            _ => unreachable!("a target is set"),
        }
        w += ws;
    }
    let mut value: ClassSums = total.iter().map(|v| v / w).collect();
    match c {
        CartCriterion::Poisson => {
            let t = data.targets.expect("regression");
            let pairs = rows
                .iter()
                .map(|&s| (data.weights[s as usize], t[s as usize]));
            sq = criterion::poisson_loss(pairs, total[0], w);
        }
        CartCriterion::AbsoluteError => {
            (value[0], sq) = median_error_of(data, rows.iter().copied());
        }
        _ => {}
    }
    NodeSummary {
        w,
        impurity: criterion::impurity(c, &total, sq, w),
        value,
        sums: Sums {
            left: ClassSums::from_elem(0.0, total.len()),
            total,
            sq_total: sq,
            w_node: w,
            w_left: 0.0,
            pos: 0,
        },
    }
}
