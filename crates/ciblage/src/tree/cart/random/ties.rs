//! Near ties between candidates, settled in scikit-learn's arithmetic.
//!
//! Two drawn features often cut a small node into the same two sets (in
//! either orientation): their proxies are then equal in exact arithmetic,
//! and which one wins depends on how the sums round. scikit-learn sums in
//! the order its samples lie at that moment, and that order moves: each
//! candidate partitions the node's samples in place (two cursors, the
//! right-going sample swapped with the last unread one), and the node's
//! sums (`init`) and a candidate's (`update`: the smaller side one sample
//! after the other, the left forward, or the totals minus the right side
//! from the last position back) follow it. The passes of
//! [`super::targets`] sum in lanes, in the node order of this splitter.
//! So, on dense input where sums can round (regression; weighted
//! classification), [`SkOrder`] keeps scikit-learn's order of the samples
//! alongside (moved by every candidate as there), and a candidate that
//! becomes the best or comes within a near tie of it gets its proxy in
//! scikit-learn's order and arithmetic; near ties compare those.

use super::sk_arithmetic::sk_proxy_of;
use super::targets::{goes_left, threshold_f32};
use super::{Candidate, NodeSearch, RandomSplitter};
use crate::tree::cart::shared::criterion::Sums;
use crate::tree::cart::shared::data::TrainSet;

/// Relative gap under which two proxies are a near tie (sums rounded in
/// other orders differ by a few units in the last place; distinct splits
/// by far more).
const NEAR: f64 = 1e-9;

/// Whether proxies `a` and `b` are a near tie (`scale`: the size of
/// their terms, where those can cancel; see `RandomSplitter::tie_scale`).
pub(super) fn near_tie(a: f64, b: f64, scale: f64) -> bool {
    (a - b).abs() <= NEAR * a.abs().max(b.abs()).max(scale)
}

/// scikit-learn's order of the samples (each node's contiguous, the same
/// sets as the splitter's), and each sample's position in the splitter's.
pub(super) struct SkOrder {
    /// Sample ids in scikit-learn's order.
    pub sk: Vec<u32>,
    /// Per sample id, its position in the splitter's `samples`.
    pos_of: Vec<u32>,
    /// The feature drawn last in the node being split.
    pub last: usize,
    /// The node's sums (`init`: in its order as the node starts).
    node: Sums,
}

impl SkOrder {
    /// The order of `samples` (of `n` samples in all), as both splitters
    /// start.
    pub(super) fn new(samples: &[u32], n: usize) -> Self {
        let mut pos_of = vec![u32::MAX; n];
        for (q, &s) in samples.iter().enumerate() {
            pos_of[s as usize] = q as u32;
        }
        Self {
            sk: samples.to_vec(),
            pos_of,
            last: usize::MAX,
            node: Sums::zero(1),
        }
    }

    /// scikit-learn's `partition_samples` of the node at `start` (its
    /// samples' values `vals`, in the splitter's order) on `t`; returns the
    /// number going left.
    pub(super) fn partition(&mut self, start: usize, vals: &[f32], t: (f32, bool)) -> usize {
        let sk = &mut self.sk[start..start + vals.len()];
        let (mut a, mut b) = (0, sk.len());
        while a < b {
            let v = vals[self.pos_of[sk[a] as usize] as usize - start];
            if goes_left(v, t) {
                a += 1;
            } else {
                b -= 1;
                sk.swap(a, b);
            }
        }
        a
    }

    /// Records the splitter's new positions of its samples `samples` at
    /// `start` (after its partition).
    pub(super) fn moved(&mut self, start: usize, samples: &[u32]) {
        for (q, &s) in samples.iter().enumerate() {
            self.pos_of[s as usize] = (start + q) as u32;
        }
    }

    /// Sums the node `start..end` in its order as it starts (scikit-learn's
    /// `init`), for its candidates' [`SkOrder::sums`].
    pub(super) fn start_node(&mut self, data: &TrainSet<'_>, (start, end): (usize, usize)) {
        let width = if data.n_classes == 0 {
            1
        } else {
            data.n_classes
        };
        let mut s = Sums::zero(width);
        for &i in &self.sk[start..end] {
            s.w_node += add(data, &mut s.total, i as usize, 1.0);
        }
        self.node = s;
    }

    /// The node `start..end`'s sums with `n_left` samples left, in
    /// scikit-learn's order and arithmetic (`reset`, `update`), its totals
    /// those of [`SkOrder::start_node`].
    pub(super) fn sums(
        &self,
        data: &TrainSet<'_>,
        (start, end): (usize, usize),
        n_left: usize,
    ) -> Sums {
        let mut s = self.node.clone();
        let node = &self.sk[start..end];
        if n_left <= node.len() - n_left {
            s.left.iter_mut().for_each(|l| *l = 0.0);
            s.w_left = 0.0;
            for &i in &node[..n_left] {
                s.w_left += add(data, &mut s.left, i as usize, 1.0);
            }
        } else {
            s.left.clone_from(&s.total);
            s.w_left = s.w_node;
            for &i in node[n_left..].iter().rev() {
                s.w_left -= add(data, &mut s.left, i as usize, -1.0);
            }
        }
        s
    }
}

/// Adds `sign` times sample `i`'s weight (classification, to its class)
/// or weight times target (regression) to `s`; returns its weight.
#[inline]
fn add(data: &TrainSet<'_>, s: &mut [f64], i: usize, sign: f64) -> f64 {
    let w = data.weights[i];
    match (data.classes, data.targets) {
        (Some(c), _) => s[c[i] as usize] += sign * w,
        (_, Some(y)) => s[0] += sign * (w * y[i]),
        _ => unreachable!("a target is set"),
    }
    w
}

impl RandomSplitter<'_> {
    /// Moves scikit-learn's order as the candidate `cand` on feature `f`
    /// does there (every candidate drawn non-constant); returns its number
    /// of samples going left, `None` without the order.
    pub(super) fn sk_partition(
        &mut self,
        f: usize,
        cand: (f64, bool),
        node: &NodeSearch<'_>,
    ) -> Option<usize> {
        let order = self.order.as_mut()?;
        let vals = self.x.dense(f, (node.start, node.end))?;
        Some(order.partition(node.start, vals, (threshold_f32(cand.0), cand.1)))
    }

    /// The proxy, in scikit-learn's order and arithmetic, of the candidate
    /// that just partitioned it with `n_left` samples left.
    fn sk_proxy(&self, node: &NodeSearch<'_>, n_left: usize) -> Option<f64> {
        let order = self.order.as_ref()?;
        let sums = order.sums(self.data, (node.start, node.end), n_left);
        Some(sk_proxy_of(self.criterion, &sums))
    }

    /// Whether the candidate of proxy `proxy` (which partitioned
    /// scikit-learn's order with `n_left` left, when kept) beats `best`:
    /// strictly greater, near ties compared in scikit-learn's order and
    /// arithmetic. Returns the candidate's proxy in that arithmetic when
    /// it wins (for later near ties).
    pub(super) fn beats(
        &self,
        proxy: f64,
        n_left: Option<usize>,
        node: &NodeSearch<'_>,
        best: Option<&Candidate>,
    ) -> Option<Option<f64>> {
        let sk = || n_left.and_then(|n| self.sk_proxy(node, n));
        match best {
            None => Some(sk()),
            Some(b) => match (near_tie(proxy, b.proxy, self.tie_scale(node)), b.sk_proxy) {
                (true, Some(theirs)) => {
                    let mine = sk()?;
                    (mine > theirs).then_some(Some(mine))
                }
                _ => (proxy > b.proxy).then(sk),
            },
        }
    }

    /// scikit-learn's final partition of the node (when the feature drawn
    /// last is not the best's): its order as the best candidate cuts it.
    pub(super) fn sk_final(&mut self, best: &Candidate, node: &NodeSearch<'_>) {
        let last = self.order.as_ref().map(|o| o.last);
        if last.is_some_and(|l| l != best.feature) {
            self.sk_partition(best.feature, (best.threshold, best.missing_left), node);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_order_moves_as_scikit_learns_partition_moves_it() {
        // Values 5, 1, 7, 2, 9 of samples 0..5, threshold 4 (by hand, as
        // `partition_samples`): 0 (5) right, swapped with the last: 4,1,2,3,0;
        // 4 (9) right, swapped with the one before: 3,1,2,4,0; 3 (2) and
        // 1 (1) left; 2 (7) right, swapped with itself; two go left.
        let mut order = SkOrder::new(&[0, 1, 2, 3, 4], 5);
        let n_left = order.partition(0, &[5.0, 1.0, 7.0, 2.0, 9.0], (4.0, false));
        assert_eq!(n_left, 2);
        assert_eq!(order.sk, [3, 1, 2, 4, 0]);
        // Once the splitter moved its samples (stably: 1, 3, 0, 2, 4), the
        // values are read at their new positions.
        order.moved(0, &[1, 3, 0, 2, 4]);
        let n_left = order.partition(0, &[1.0, 2.0, 5.0, 7.0, 9.0], (f32::INFINITY, false));
        assert_eq!((n_left, &order.sk[..]), (5, &[3, 1, 2, 4, 0][..]));
        // Missing values go the side asked.
        let mut order = SkOrder::new(&[0, 1, 2], 3);
        let n_left = order.partition(0, &[f32::NAN, 3.0, 1.0], (2.0, true));
        assert_eq!((n_left, &order.sk[..]), (2, &[0, 2, 1][..]));
    }

    #[test]
    fn near_ties_are_within_rounding_only() {
        assert!(near_tie(433_215.020_424_251_04, 433_215.020_424_251_1, 0.0));
        assert!(!near_tie(433_215.02, 433_215.03, 0.0));
        assert!(near_tie(0.0, 0.0, 0.0));
        // Two pure children: proxies of rounding noise, near 0.
        assert!(near_tie(-1.2e-16, 3.1e-16, 6.5));
        assert!(!near_tie(-1.2e-16, 3.1e-16, 0.0));
    }
}
