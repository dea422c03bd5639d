//! A node's summary (weight, impurity, value, sums) from its sums and
//! samples, for the random splitter: the exact splitter's rules.

use crate::tree::cart::exact::median_error_of;
use crate::tree::cart::params::CartCriterion;
use crate::tree::cart::shared::criterion::{self, ClassSums, Sums};
use crate::tree::cart::shared::data::{NodeSummary, TrainSet};

/// Weight, impurity, value (class shares, mean, or median under the
/// absolute error) and sums of the node holding `rows`, whose per class
/// weights (or Σ w·y), Σ w·y² and weight are `(total, sq, w)` (summed in
/// the rows' order).
pub(super) fn summarise(
    data: &TrainSet<'_>,
    c: CartCriterion,
    rows: &[u32],
    (total, mut sq, w): (ClassSums, f64, f64),
) -> NodeSummary {
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
