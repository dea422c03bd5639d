//! The running sums of a scan ([`Running`]): moved from the nearer end
//! as scikit-learn's `update` moves them, the proxy of the running split,
//! and the sums at the start of a scan.

use crate::prefetch::LOOKAHEAD;
use crate::tree::cart::multi::stats::Outputs;
use crate::tree::cart::multi::{MultiSplitter, Wide};

/// The running sums of a scan: the left child's, the right child's and
/// their weights.
pub(super) struct Running {
    pub(super) left: Wide,
    pub(super) right: Wide,
    pub(super) w_left: f64,
    pub(super) w_right: f64,
    pub(super) pos: usize,
    /// The Gini index kept incrementally ([`super::counts`]): per output the sum
    /// of the squared class weights of the left and right children
    /// (empty otherwise).
    pub(super) sq_left: Wide,
    pub(super) sq_right: Wide,
}

impl Running {
    /// The right child's sums: the node's `total` less the left's.
    pub(super) fn fill_right(&mut self, total: &[f64]) {
        for ((r, t), l) in self.right.iter_mut().zip(total).zip(&self.left) {
            *r = t - l;
        }
    }
}

impl MultiSplitter<'_> {
    /// Moves the running sums to position `new_pos` of `order` (the node's
    /// samples in the scanned order), from the nearer end as
    /// scikit-learn's `update` does; `total`, `w_node` are the node's.
    pub(super) fn update(
        &self,
        run: &mut Running,
        order: &[u32],
        new_pos: usize,
        (total, w_node): (&[f64], f64),
    ) {
        let w = &self.data.weights;
        let end = order.len();
        let forward = new_pos - run.pos <= end - new_pos;
        if self.counted {
            let (rows, sign) = if forward {
                (&order[run.pos..new_pos], 1.0)
            } else {
                // Reverse reset: everything left, then the tail taken back.
                run.left.copy_from_slice(total);
                run.w_left = w_node;
                self.outputs.squared_counts(total, &mut run.sq_left);
                run.sq_right.iter_mut().for_each(|v| *v = 0.0);
                (&order[new_pos..end], -1.0)
            };
            let ahead = if forward {
                order.get(run.pos + LOOKAHEAD..).unwrap_or_default()
            } else {
                &[]
            };
            self.outputs.move_rows_counted(
                (&mut run.left, total),
                (&mut run.sq_left, &mut run.sq_right),
                &mut run.w_left,
                (rows, ahead),
                w,
                sign,
            );
            // The right sums are read only for the chosen split
            // ([`Running::fill_right`]).
            run.w_right = w_node - run.w_left;
            run.pos = new_pos;
            return;
        }
        if forward {
            let ahead = order.get(run.pos + LOOKAHEAD..).unwrap_or_default();
            self.outputs.move_rows(
                &mut run.left,
                &mut run.w_left,
                (&order[run.pos..new_pos], ahead),
                w,
                1.0,
            );
        } else {
            // Reverse reset: everything left, then the tail taken back.
            run.left.copy_from_slice(total);
            run.w_left = w_node;
            let tail = &order[new_pos..end];
            self.outputs
                .move_rows(&mut run.left, &mut run.w_left, (tail, &[]), w, -1.0);
        }
        run.w_right = w_node - run.w_left;
        run.fill_right(total);
        run.pos = new_pos;
    }

    /// The proxy of the running split, `None` when a child is lighter
    /// than the leaves may be, or (Gini kept incrementally) when it is
    /// surely below `floor`, the best proxy so far.
    pub(super) fn proxy(&self, run: &Running, floor: f64) -> Option<f64> {
        if run.w_left < self.leaf.min_weight || run.w_right < self.leaf.min_weight {
            return None;
        }
        if let Some(m) = &self.medians {
            // −w_R·I_R − w_L·I_L, the impurities from the summed errors.
            let (el, er) = m.split_errors(run.pos);
            let il = el / (run.w_left * m.k());
            let ir = er / (run.w_right * m.k());
            return Some(-run.w_right * ir - run.w_left * il);
        }
        if self.counted {
            let (sq, w) = (
                (&run.sq_left[..], &run.sq_right[..]),
                (run.w_left, run.w_right),
            );
            if !Outputs::gini_may_exceed(sq, w, run.w_left + run.w_right, floor) {
                return None;
            }
            return Some(Outputs::gini_proxy_counted(
                (&run.sq_left, &run.sq_right),
                (run.w_left, run.w_right),
            ));
        }
        Some(self.outputs.proxy(
            self.criterion,
            (&run.left, &run.right),
            (run.w_left, run.w_right),
        ))
    }

    /// Sums at the start of a scan: nothing left.
    pub(super) fn running(&self, total: &[f64], w_node: f64) -> Running {
        let mut run = Running {
            left: Wide::from_elem(0.0, total.len()),
            right: Wide::from_slice(total),
            w_left: 0.0,
            w_right: w_node,
            pos: 0,
            sq_left: Wide::new(),
            sq_right: Wide::new(),
        };
        if let (true, Outputs::Classes { k, .. }) = (self.counted, self.outputs) {
            run.sq_left = Wide::from_elem(0.0, *k);
            run.sq_right = Wide::from_elem(0.0, *k);
            self.outputs.squared_counts(total, &mut run.sq_right);
        }
        run
    }
}
