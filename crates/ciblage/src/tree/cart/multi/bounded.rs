//! The best splitter's search of a node without scikit-learn's sorts: every
//! feature read from its presorted order, each candidate's proxy kept with
//! a bound on how far scikit-learn's may be from it (squared error, float
//! targets, integer weights).
//!
//! Where a feature's values repeat, scikit-learn's introsort leaves the
//! equal ones in an order of its own, and its running sums (added in that
//! order) differ from the presorted order's only by rounding. Both are
//! sums of the very same products `w·y`, so each is within
//! `γ·Σ|w·y|` of the exact sum; the proxy `Σ L²/w_L + Σ R²/w_R` then moves
//! by at most [`Contest`]'s bound. When the best candidate beats every
//! other by more than both their bounds, scikit-learn's search picks it
//! too (its proxies lie inside the bounds), and the node's split is known
//! without a single sort. Otherwise the node is searched again as
//! scikit-learn does ([`MultiSplitter::search_best`], the features in the
//! order drawn).
//!
//! The node's samples are then put in scikit-learn's order: the presorted
//! order of the last feature it sorts, exact when that feature's values
//! are distinct, else its own sorts from the last feature of distinct
//! values on, where they cost little (small nodes, or few such sorts).
//! Otherwise they keep the presorted order and the children are marked as
//! not in scikit-learn's order ([`MultiSplitter::taint`]): their own sums
//! are again within the bounds of scikit-learn's, every candidate is
//! bounded, and a candidate too close to call in such a node (where
//! scikit-learn's order can no longer be replayed) makes the fit start
//! again with scikit-learn's sorts throughout
//! ([`MultiSplitter::failed`]).

use crate::tree::cart::multi::stats::Outputs;
use crate::tree::cart::multi::{order, Candidate, MultiSplitter, Wide};
use crate::tree::cart::params::CartCriterion;
use crate::tree::cart::shared::data::{TrainSet, FEATURE_THRESHOLD};

#[cfg(test)]
thread_local! {
    /// Tests: the nodes the bounded search decided, those it searched
    /// again as scikit-learn does, and the fits started again for a
    /// candidate or for an impurity too close to call.
    pub(crate) static COUNTS: std::cell::Cell<[usize; 4]> = const { std::cell::Cell::new([0; 4]) };
    /// Tests: scikit-learn's sorts never run to keep the children in its
    /// order (every split whose last sorted feature repeats a value marks
    /// them).
    pub(crate) static NO_REPLAY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether scikit-learn's order is replayed where it costs little (always,
/// outside tests).
fn replaying() -> bool {
    #[cfg(test)]
    return !NO_REPLAY.with(std::cell::Cell::get);
    #[cfg(not(test))]
    true
}

/// Tests: adds one to the count `i` of [`COUNTS`].
pub(super) fn count(_i: usize) {
    #[cfg(test)]
    COUNTS.with(|c| {
        let mut v = c.get();
        v[_i] += 1;
        c.set(v);
    });
}

/// Nodes of at most this many samples are left in scikit-learn's order
/// (its sorts run once the split is known), whatever the sorts cost.
const REPLAY_SAMPLES: usize = 4096;

/// Larger nodes are left in scikit-learn's order when at most this many of
/// its sorts (those after the last feature of distinct values) give it.
const REPLAY_SORTS: usize = 2;

/// Unit roundoff of f64 (2^−53).
const UNIT: f64 = f64::EPSILON / 2.0;

/// Largest integer below which every integer is an f64 (2^53).
const EXACT_LIMIT: f64 = 9_007_199_254_740_992.0;

/// Higham's `γ_m = m·u / (1 − m·u)`: the relative bound of a sum of `m`
/// terms added one by one.
fn gamma(m: usize) -> f64 {
    let mu = m as f64 * UNIT;
    mu / (1.0 - mu)
}

/// Whether the bounded search may run: squared error of float targets
/// (integer targets have exact sums, searched in any order already), no
/// missing value, integer weights of total below 2^53 (so that every
/// weight sum is exact).
pub(crate) fn bounded_search(
    data: &TrainSet<'_>,
    outputs: &Outputs,
    criterion: CartCriterion,
    has_missing: &[bool],
) -> bool {
    let integral = |v: f64| v.is_finite() && v >= 0.0 && v == v.trunc();
    criterion == CartCriterion::SquaredError
        && matches!(outputs, Outputs::Values { .. })
        && !has_missing.iter().any(|&m| m)
        && data.weights.iter().all(|&w| integral(w))
        && data.weights.iter().sum::<f64>() < EXACT_LIMIT
}

/// Whether sorted `values` repeat one.
pub(crate) fn has_ties(values: &[f32]) -> bool {
    // Runs of 64 neighbours compared without an early exit (a vectorised
    // loop), the search stopping at the first run holding a tie.
    let n = values.len().saturating_sub(1);
    values[..n]
        .chunks(64)
        .zip(values[1.min(values.len())..].chunks(64))
        .any(|(a, b)| a.iter().zip(b).fold(false, |tie, (x, y)| tie | (x == y)))
}

/// The candidates of a node met so far, for the check that the best is
/// scikit-learn's too.
pub(crate) struct Contest {
    /// The bound's coefficient of `1/w_L + 1/w_R` for the feature being
    /// scanned (0: its proxies are scikit-learn's to the bit).
    pub c: f64,
    /// The node's coefficient (see [`Contest::node`]).
    node_c: f64,
    /// The bound's relative part (the proxy's own rounding, twice).
    rel: f64,
    /// The largest proxy of the exact candidates.
    exact_max: f64,
    /// The largest upper bound (proxy + bound) of the bounded candidates,
    /// with its (feature, position), and the second largest.
    top: (f64, (usize, usize)),
    second: f64,
}

impl Contest {
    /// The contest of the node `rows` of sums of several outputs `k` over
    /// integer `weights`: per output `A = Σ w·|y|`, each side's sum within
    /// `δ = 8·γ(2n + 4)·A` of the exact one in either order (a chain of at
    /// most `2n` additions from zero or from the node's sum, the right
    /// side the node's sum less the left), so scikit-learn's and ours
    /// within `Δ = 2δ`; `L²` moves by at most `Δ·(2A + Δ)`, divided by the
    /// side's weight. The coefficient is doubled for margin.
    pub(crate) fn node(outputs: &Outputs, rows: &[u32], weights: &[f64]) -> Self {
        let Outputs::Values { y, k } = outputs else {
            unreachable!("values")
        };
        let k = *k;
        let mut abs = Wide::from_elem(0.0, k);
        for &r in rows {
            let i = r as usize;
            let w = weights[i];
            for (a, v) in abs.iter_mut().zip(&y[i * k..(i + 1) * k]) {
                *a += w * v.abs();
            }
        }
        let g = 8.0 * gamma(2 * rows.len() + 4);
        let node_c = 2.0
            * abs
                .iter()
                // The sum of |w·y| itself rounded: a relative 2^−40 more.
                .map(|&a| a * (1.0 + 1e-12))
                .map(|a| {
                    let d = 2.0 * g * a;
                    d * (2.0 * a + d)
                })
                .sum::<f64>();
        Self {
            c: node_c,
            node_c,
            rel: 4.0 * gamma(k + 4),
            exact_max: f64::NEG_INFINITY,
            top: (f64::NEG_INFINITY, (usize::MAX, usize::MAX)),
            second: f64::NEG_INFINITY,
        }
    }

    /// Sets the feature scanned next: `exact` when its proxies are
    /// scikit-learn's to the bit.
    pub(crate) fn feature(&mut self, exact: bool) {
        self.c = if exact { 0.0 } else { self.node_c };
    }

    /// A proxy below which a candidate of the feature being scanned
    /// changes nothing the contest keeps: the largest exact proxy for an
    /// exact feature; for a bounded one the second largest upper bound
    /// less `2c` (integer weights: each child weighs at least 1, so
    /// `(w_L + w_R)/(w_L·w_R) ≤ 2`, and the relative part of the bound,
    /// below 1e−14 for up to 4 outputs, is inside the screen's margin of 1e−12, see
    /// [`super::scan_values::surely_below`]).
    #[inline]
    pub(crate) fn floor(&self) -> f64 {
        if self.c == 0.0 {
            self.exact_max
        } else {
            self.second - 2.0 * self.c
        }
    }

    /// Records the candidate `id` (feature, position) of proxy `proxy`,
    /// children weights `(w_left, w_right)`; returns its bound.
    #[inline]
    pub(crate) fn record(
        &mut self,
        proxy: f64,
        (w_left, w_right): (f64, f64),
        id: (usize, usize),
    ) -> f64 {
        if self.c == 0.0 {
            if proxy > self.exact_max {
                self.exact_max = proxy;
            }
            return 0.0;
        }
        let bound = self.c * ((w_left + w_right) / (w_left * w_right)) + self.rel * proxy.abs();
        let upper = proxy + bound;
        if upper > self.top.0 {
            self.second = self.top.0;
            self.top = (upper, id);
        } else if upper > self.second {
            self.second = upper;
        }
        bound
    }

    /// Whether `best` is surely scikit-learn's choice too: an exact best
    /// above every bounded candidate's upper bound (exact candidates tie
    /// as in scikit-learn), or a bounded best whose lower bound is above
    /// every other candidate's upper bound.
    pub(super) fn certain(&self, best: &Candidate) -> bool {
        if best.bound == 0.0 {
            return self.top.0 < best.proxy;
        }
        let other = if self.top.1 == (best.feature, best.at) {
            self.second
        } else {
            self.top.0
        };
        best.proxy - best.bound > other.max(self.exact_max)
    }
}

/// The lists of the bounded search of a node, kept from node to node
/// (no allocation per node).
#[derive(Default)]
pub(super) struct BoundedLists {
    /// The features drawn, in their order.
    drawn: Vec<usize>,
    /// The features scikit-learn sorts (their values not all equal), in
    /// its order, and whether their values repeat (`None`: not known, the
    /// node out of its order).
    sorted: Vec<(usize, Option<bool>)>,
}

/// What the bounded search of a node found.
pub(super) enum Bounded {
    /// The split (`None`: a leaf), the presorted feature whose order the
    /// node's samples take, and whether that order is not scikit-learn's.
    Decided(Option<Candidate>, Option<usize>, bool),
    /// Too close to call in a node in scikit-learn's order: search these
    /// features (in this order) as scikit-learn does.
    Replay(Vec<usize>),
}

impl MultiSplitter<'_> {
    /// The bounded search of the node `start..end` (see the module
    /// documentation); `draw` runs the feature draw with the search of one
    /// feature.
    pub(super) fn search_bounded(
        &mut self,
        node: (usize, usize),
        sums: (&[f64], f64),
        draw: impl FnOnce(&mut dyn FnMut(usize) -> bool),
    ) -> Bounded {
        let mut lists = std::mem::take(&mut self.bounded_lists);
        lists.drawn.clear();
        lists.sorted.clear();
        let found = self.search_bounded_with(node, sums, draw, &mut lists);
        self.bounded_lists = lists;
        found
    }

    /// [`MultiSplitter::search_bounded`], the features drawn and sorted
    /// listed in `lists` (empty on entry).
    fn search_bounded_with(
        &mut self,
        (start, end): (usize, usize),
        (total, w_node): (&[f64], f64),
        draw: impl FnOnce(&mut dyn FnMut(usize) -> bool),
        lists: &mut BoundedLists,
    ) -> Bounded {
        let tainted = self.taint[start];
        let mut contest =
            Contest::node(self.outputs, &self.samples[start..end], &self.data.weights);
        let mut best = Candidate::none();
        let BoundedLists { drawn, sorted } = lists;
        draw(&mut |feature| {
            drawn.push(feature);
            let p = self.presorted.as_ref().expect("presorted orders");
            let (order, vals) = p.feature(feature, (start, end));
            let (lo, hi) = (vals[0], vals[vals.len() - 1]);
            if lo == hi {
                // Every value equal: scikit-learn's sort changes nothing.
                return false;
            }
            // Ties matter for the bound only in a node in scikit-learn's
            // order (in another, every candidate is bounded).
            let ties = (!tainted).then(|| has_ties(vals));
            sorted.push((feature, ties));
            if hi <= lo + FEATURE_THRESHOLD {
                return false;
            }
            contest.feature(ties == Some(false));
            self.scan(
                feature,
                (order, vals),
                (0, false),
                (total, w_node),
                &mut best,
                Some(&mut contest),
            );
            true
        });
        if best.feature == usize::MAX {
            return Bounded::Decided(None, None, false);
        }
        if !contest.certain(&best) {
            if tainted {
                count(2);
                self.failed = true;
                return Bounded::Decided(None, None, false);
            }
            count(1);
            return Bounded::Replay(drawn.clone());
        }
        count(0);
        self.node_bound = (contest.node_c, end - start);
        let (f, ties) = *sorted.last().expect("a feature searched");
        let ties = ties.unwrap_or_else(|| {
            let p = self.presorted.as_ref().expect("presorted orders");
            has_ties(p.feature(f, (start, end)).1)
        });
        if ties && !tainted {
            // scikit-learn's order after its sorts: the presorted order of
            // the last feature of distinct values, then its sort of each
            // feature after it; run where that costs little, so that the
            // children stay in its order.
            let from = sorted.iter().rposition(|&(_, t)| t == Some(false));
            let after = sorted.len() - from.map_or(0, |j| j + 1);
            if replaying() && (end - start <= REPLAY_SAMPLES || after <= REPLAY_SORTS) {
                self.take_order(from.map(|j| sorted[j].0), (start, end));
                let mut xf = std::mem::take(&mut self.values);
                for &(feature, _) in &sorted[from.map_or(0, |j| j + 1)..] {
                    self.read_column(feature, (start, end), &mut xf);
                    order::sort(&mut xf, &mut self.samples[start..end], &mut self.pairs);
                }
                self.values = xf;
                return Bounded::Decided(Some(best), None, false);
            }
        }
        Bounded::Decided(Some(best), Some(f), ties)
    }
}

impl MultiSplitter<'_> {
    /// Whether scikit-learn's choices on the impurities of a split just
    /// found may differ from ours, its sums not added in our order (the
    /// node's, `node_tainted`, or its children's, `child_tainted`): a
    /// child's impurity within its bound of `f64::EPSILON` (a leaf or not),
    /// or the improvement within its bound of the least one taken.
    /// `impurities`: the node's and its children's; `weights`: the node's
    /// and its children's; `sq_node`: the node's Σ w·y²; `may_split`:
    /// whether each child may be split but for its impurity.
    pub(super) fn impurities_uncertain(
        &self,
        (node_tainted, child_tainted): (bool, bool),
        (left_may_split, right_may_split): (bool, bool),
        (imp, il, ir): (f64, f64, f64),
        (w_node, w_left, w_right): (f64, f64, f64),
        (sq_node, improvement, min_decrease): (f64, f64, f64),
    ) -> bool {
        let (node_c, n) = self.node_bound;
        let k = self.outputs.width() as f64;
        let (g, gk) = (gamma(2 * n + 4), gamma(self.outputs.width() + 4));
        // Each side's Σ w·y² within 2γ·sq of scikit-learn's (positive
        // terms), each (t/w)² within Δ(2A + Δ)/w² (see `Contest::node`),
        // Σ (t/w)² at most sq/w, and the impurity's own rounding; twice.
        let bound =
            |w: f64| 2.0 * (2.0 * g * sq_node / w + node_c / (w * w) + 8.0 * gk * sq_node / w) / k;
        let near = |v: f64, target: f64, b: f64| (v - target).abs() <= b;
        if child_tainted
            && ((left_may_split && near(il, f64::EPSILON, bound(w_left)))
                || (right_may_split && near(ir, f64::EPSILON, bound(w_right))))
        {
            return true;
        }
        let share = w_node / self.w_total;
        let mut b = 8.0 * UNIT * share * (imp.abs() + il.abs() + ir.abs());
        if node_tainted {
            b += share * bound(w_node);
        }
        if child_tainted {
            b += share * (w_left / w_node * bound(w_left) + w_right / w_node * bound(w_right));
        }
        near(improvement + f64::EPSILON, min_decrease, b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_cover_sums_in_any_order() {
        // 3000 targets of 17 significant bits at scales 1e-3..1e5, summed
        // forward, backward and in a shuffled order: the squared-error
        // proxy of each split position computed from any two orders differ
        // by less than the bound (hand bound: Δ·(2A+Δ)·(1/w_L+1/w_R)).
        let n = 3000usize;
        let y: Vec<f64> = (0..n)
            .map(|i| {
                let h = (i * 2_654_435_761 + 12_345) % 1_000_003;
                (h as f64 / 7.0)
                    * 10f64.powi((i % 9) as i32 - 3)
                    * if i % 2 == 0 { 1.0 } else { -1.0 }
            })
            .collect();
        let out = Outputs::Values { y: y.clone(), k: 1 };
        let rows: Vec<u32> = (0..n as u32).collect();
        let w = vec![1.0; n];
        let mut contest = Contest::node(&out, &rows, &w);
        let shuffled: Vec<usize> = (0..n).map(|i| (i * 7919) % n).collect();
        let total_a: f64 = y.iter().sum();
        let total_b: f64 = shuffled.iter().map(|&i| y[i]).sum();
        let (mut la, mut lb) = (0.0, 0.0);
        let mut set_b: Vec<f64> = Vec::new();
        for p in 1..n {
            la += y[p - 1];
            set_b.push(y[p - 1]);
            // The same set, added in reverse order of magnitude position.
            if p % 97 != 0 {
                continue;
            }
            lb = set_b.iter().rev().sum();
            let (wl, wr) = (p as f64, (n - p) as f64);
            let pa = la * la / wl + (total_a - la).powi(2) / wr;
            let pb = lb * lb / wl + (total_b - lb).powi(2) / wr;
            contest.feature(false);
            let bound = contest.record(pa, (wl, wr), (0, p));
            assert!((pa - pb).abs() <= bound, "{p}: {pa} {pb} {bound}");
            assert!(bound > 0.0);
        }
        assert!(lb != 0.0);
        // An exact candidate has no bound.
        contest.feature(true);
        assert_eq!(contest.record(1.0, (1.0, 1.0), (1, 1)), 0.0);
    }
}
