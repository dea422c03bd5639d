//! The exact splitter's search over one feature of a node: the candidates
//! (splits between consecutive distinct values), the running left sums and
//! the kept best (strict improvement: the first of equal ones), on plain
//! slices when no sample of the node misses the feature, and in the two
//! passes of scikit-learn (missing samples right, then left) when some do.

use crate::prefetch::LOOKAHEAD;
use crate::tree::cart::exact::candidate::{Best, Layout};
use crate::tree::cart::exact::ExactSplitter;
use crate::tree::cart::params::CartCriterion;
use crate::tree::cart::shared::criterion::{self, Sums};
use crate::tree::cart::shared::data::{threshold_between, FEATURE_THRESHOLD};
use crate::tree::cart::shared::monotonic::{Bounds, Monotonic};

impl ExactSplitter<'_> {
    /// Searches `feature` in the node `start..end` (its order and values
    /// shown), updating `best`; false when the feature is constant there.
    pub(super) fn search_feature(
        &mut self,
        feature: usize,
        (start, end): (usize, usize),
        (base, scratch): (&Sums, &mut Sums),
        best: &mut Option<Best>,
    ) -> bool {
        if self.data.categorical[feature] {
            return self.search_categorical(feature, (start, end), base, best);
        }
        // The node's samples, already sorted by this feature, those
        // missing it (NaN) last.
        self.cur = feature;
        let vals = &self.orders.values[feature];
        let n_missing = vals[start..end]
            .iter()
            .rev()
            .take_while(|v| v.is_nan())
            .count();
        let end_nm = end - n_missing;
        // Constant: all missing, or one value and nothing missing (equal
        // values beside missing ones still split them apart).
        if end_nm == start
            || (vals[end_nm - 1] <= vals[start] + FEATURE_THRESHOLD && n_missing == 0)
        {
            return false;
        }
        if self.criterion == CartCriterion::AbsoluteError {
            self.scan_absolute(feature, (start, end_nm, end), base.w_node, None, best);
        } else if n_missing == 0 {
            self.scan_present(feature, (start, end), (base, scratch), best);
        } else {
            self.scan_missing(feature, (start, end_nm, end), base, best);
        }
        true
    }

    /// Searches `feature` in the node `start..end` (no sample missing it):
    /// every split between distinct values, left sums updated forward, or
    /// backward from the end when that reads fewer samples; updates `best`.
    pub(super) fn scan_present(
        &self,
        feature: usize,
        (start, end): (usize, usize),
        (base, sums): (&Sums, &mut Sums),
        best: &mut Option<Best>,
    ) {
        match (self.criterion, self.data.targets, self.data.classes) {
            (CartCriterion::SquaredError, Some(targets), _) => {
                return self.scan_present_squared(feature, (start, end), base, targets, best);
            }
            (CartCriterion::Gini, _, Some(classes)) if self.data.n_classes == 2 => {
                return self.scan_present_gini2(feature, (start, end), base, classes, best);
            }
            _ => {}
        }
        let order = &self.orders.sorted[feature];
        let vals = &self.orders.values[feature];
        let (classes, targets) = (self.data.classes, self.data.targets);
        let weights = &self.data.weights;
        let unit = self.unit_weights;
        sums.reset_from(base);
        sums.pos = start;
        // The left sums as `Splitter::update` keeps them, inlined here on
        // plain slices (no layout of missing samples): the search's
        // innermost loop, about a fifth faster so.
        let add = |sums: &mut Sums, q: usize, sign: f64| {
            let smp = order[q] as usize;
            let w = if unit { sign } else { sign * weights[smp] };
            match (classes, targets) {
                (Some(c), _) => sums.left[c[smp] as usize] += w,
                (_, Some(t)) => sums.left[0] += w * t[smp],
                _ => unreachable!("a target is set"),
            }
            sums.w_left += w;
        };
        let mut p = start;
        loop {
            p += 1;
            while p < end && vals[p] <= vals[p - 1] + FEATURE_THRESHOLD {
                p += 1;
            }
            if p >= end {
                break;
            }
            let (n_left, n_right) = (p - start, end - p);
            if n_left < self.leaf.min_samples || n_right < self.leaf.min_samples {
                continue;
            }
            if p - sums.pos <= end - p {
                for q in sums.pos..p {
                    if let Some(&ahead) = order.get(q + LOOKAHEAD) {
                        self.prefetch_sample(ahead as usize);
                    }
                    add(sums, q, 1.0);
                }
            } else {
                criterion::copy_sums(&mut sums.left, &sums.total);
                sums.w_left = sums.w_node;
                for q in (p..end).rev() {
                    add(sums, q, -1.0);
                }
            }
            sums.pos = p;
            if sums.w_left < self.leaf.min_weight
                || sums.w_node - sums.w_left < self.leaf.min_weight
            {
                continue;
            }
            if let Some(proxy) = self.proxy_if_better(sums, best.as_ref()) {
                let threshold = threshold_between(vals[p - 1], vals[p]);
                *best = Some(Best {
                    proxy,
                    feature,
                    threshold,
                    missing_left: n_left > n_right,
                    categories: None,
                });
            }
        }
    }

    /// [`ExactSplitter::scan_present`] for squared error: the left sum of
    /// `w·y` in a scalar; candidates screened with products first.
    fn scan_present_squared(
        &self,
        feature: usize,
        range: (usize, usize),
        base: &Sums,
        targets: &[f64],
        best: &mut Option<Best>,
    ) {
        self.scan_present_scalar(
            feature,
            range,
            ([base.total[0]], [base.left[0]], base.w_node, base.w_left),
            |left: &mut [f64; 1], smp, w| left[0] += w * targets[smp],
            |left, total, w, best| criterion::squared_proxy(left[0], total[0], w, best),
            best,
        );
    }

    /// [`ExactSplitter::scan_present`] for Gini with two classes: the left
    /// weight of each class in a scalar.
    fn scan_present_gini2(
        &self,
        feature: usize,
        range: (usize, usize),
        base: &Sums,
        classes: &[u32],
        best: &mut Option<Best>,
    ) {
        self.scan_present_scalar(
            feature,
            range,
            (
                [base.total[0], base.total[1]],
                [base.left[0], base.left[1]],
                base.w_node,
                base.w_left,
            ),
            |left: &mut [f64; 2], smp, w| left[usize::from(classes[smp] != 0)] += w,
            |left, total, (w_left, w_right), _| {
                Some(criterion::gini2_proxy(*left, *total, w_left, w_right))
            },
            best,
        );
    }

    /// [`ExactSplitter::scan_present`] with the left sums in `K` scalars: `add`
    /// adds a sample's weight `w` (signed) to them, `proxy` gives a
    /// candidate's proxy from (left, total, (w_left, w_right), best proxy
    /// so far), or `None` when it cannot beat it. The same candidates, sums
    /// (same operations in the same order) and kept best as the general
    /// search.
    fn scan_present_scalar<const K: usize>(
        &self,
        feature: usize,
        (start, end): (usize, usize),
        (total, mut left, w_node, mut w_left): ([f64; K], [f64; K], f64, f64),
        add: impl Fn(&mut [f64; K], usize, f64),
        proxy_of: impl Fn(&[f64; K], &[f64; K], (f64, f64), Option<f64>) -> Option<f64>,
        best: &mut Option<Best>,
    ) {
        let order = &self.orders.sorted[feature][..end];
        let vals = &self.orders.values[feature][..end];
        let weights = &self.data.weights;
        let unit = self.unit_weights;
        let take = |left: &mut [f64; K], w_left: &mut f64, q: usize, sign: f64| {
            let smp = order[q] as usize;
            let w = if unit { sign } else { sign * weights[smp] };
            add(left, smp, w);
            *w_left += w;
        };
        let mut pos = start;
        let mut p = start;
        loop {
            p += 1;
            while p < end && vals[p] <= vals[p - 1] + FEATURE_THRESHOLD {
                p += 1;
            }
            if p >= end {
                break;
            }
            let (n_left, n_right) = (p - start, end - p);
            if n_left < self.leaf.min_samples || n_right < self.leaf.min_samples {
                continue;
            }
            if p - pos <= end - p {
                for q in pos..p {
                    if let Some(&ahead) = order.get(q + LOOKAHEAD) {
                        self.prefetch_sample(ahead as usize);
                    }
                    take(&mut left, &mut w_left, q, 1.0);
                }
            } else {
                left = total;
                w_left = w_node;
                for q in (p..end).rev() {
                    take(&mut left, &mut w_left, q, -1.0);
                }
            }
            pos = p;
            let w_right = w_node - w_left;
            if w_left < self.leaf.min_weight || w_right < self.leaf.min_weight {
                continue;
            }
            let current = best.as_ref().map(|b| b.proxy);
            let Some(proxy) = proxy_of(&left, &total, (w_left, w_right), current) else {
                continue;
            };
            if current.is_none_or(|c| proxy > c) {
                *best = Some(Best {
                    proxy,
                    feature,
                    threshold: threshold_between(vals[p - 1], vals[p]),
                    missing_left: n_left > n_right,
                    categories: None,
                });
            }
        }
    }

    /// Moves the samples read at positions `pos..new_pos` to the left
    /// child: forward from `pos`, or backward from `end` after putting every
    /// sample left, whichever reads fewer samples (scikit-learn's order).
    pub(super) fn update(&self, s: &mut Sums, lay: &Layout, end: usize, new_pos: usize) {
        let order = &self.orders.sorted[self.cur];
        let weights = &self.data.weights;
        let (range, sign) = if new_pos - s.pos <= end - new_pos {
            (s.pos..new_pos, 1.0)
        } else {
            criterion::copy_sums(&mut s.left, &s.total);
            s.w_left = s.w_node;
            (new_pos..end, -1.0)
        };
        let forward = sign > 0.0;
        let mut step = |q: usize| {
            if forward {
                // The samples read next are at random rows: ask for their
                // weight and target ahead.
                if let Some(&ahead) = order.get(lay.at(q + LOOKAHEAD)) {
                    self.prefetch_sample(ahead as usize);
                }
            }
            let smp = order[lay.at(q)] as usize;
            let w = if self.unit_weights {
                sign
            } else {
                sign * weights[smp]
            };
            match (self.data.classes, self.data.targets) {
                (Some(c), _) => s.left[c[smp] as usize] += w,
                (_, Some(t)) => s.left[0] += w * t[smp],
                _ => unreachable!("a target is set"),
            }
            s.w_left += w;
        };
        if forward {
            range.for_each(&mut step);
        } else {
            range.rev().for_each(&mut step);
        }
        s.pos = new_pos;
    }

    /// Searches `feature` in the node `start..end` whose samples missing it
    /// sit at `end_nm..end` (some do): pass 1 reads the missing samples last
    /// (they go right; the last candidate sends exactly them right), pass 2
    /// reads them first (they go left); updates `best`.
    pub(super) fn scan_missing(
        &self,
        feature: usize,
        (start, end_nm, end): (usize, usize, usize),
        base: &Sums,
        best: &mut Option<Best>,
    ) {
        let n_missing = end - end_nm;
        // Pass 1 reads the missing samples last (they go right; the last
        // candidate sends exactly them right), pass 2 reads them first
        // (they go left).
        for missing_first in [false, true] {
            let lay = Layout {
                start,
                end_nm,
                n_missing,
                missing_first,
            };
            let mut sums = base.clone();
            sums.pos = start;
            for (p, threshold) in self.layout_candidates(feature, lay, end) {
                self.update(&mut sums, &lay, end, p);
                if sums.w_left < self.leaf.min_weight
                    || sums.w_node - sums.w_left < self.leaf.min_weight
                {
                    continue;
                }
                if let Some(proxy) = self.proxy_if_better(&sums, best.as_ref()) {
                    *best = Some(Best {
                        proxy,
                        feature,
                        threshold,
                        missing_left: missing_first,
                        categories: None,
                    });
                }
            }
        }
    }

    /// The candidate splits of `feature` read in the layout `lay` of the
    /// node ending at `end` (scikit-learn's order): each position `p`
    /// (the samples read before it go left) between distinct values, or
    /// before the missing samples read last, leaving at least
    /// `min_samples_leaf` samples on each side, with its threshold
    /// (infinite when the missing samples alone go right).
    pub(super) fn layout_candidates(
        &self,
        feature: usize,
        lay: Layout,
        end: usize,
    ) -> impl Iterator<Item = (usize, f64)> + '_ {
        let (start, end_nm, n_missing) = (lay.start, lay.end_nm, lay.n_missing);
        let (values, min_leaf) = (&self.orders.values[feature][..], self.leaf.min_samples);
        let value = move |q: usize| values[lay.at(q)];
        let stop = if lay.missing_first { end } else { end_nm };
        let mut p = start;
        std::iter::from_fn(move || {
            while p < end {
                if !lay.missing_first && p == end_nm {
                    return None;
                }
                if lay.missing_first && p == start {
                    p = start + n_missing;
                }
                p += 1;
                while p < stop && value(p) <= value(p - 1) + FEATURE_THRESHOLD {
                    p += 1;
                }
                if p == end || p - start < min_leaf || end - p < min_leaf {
                    continue;
                }
                let threshold = if p == end_nm && !lay.missing_first {
                    f64::INFINITY
                } else {
                    threshold_between(value(p - 1), value(p))
                };
                return Some((p, threshold));
            }
            None
        })
    }

    /// The candidate's proxy when it beats `best` (strictly); squared-error
    /// candidates that cannot are screened out with products first (see
    /// `criterion::may_beat_squared`), without the proxy's divisions: the
    /// candidate kept is the same.
    #[inline]
    pub(super) fn proxy_if_better(&self, s: &Sums, best: Option<&Best>) -> Option<f64> {
        if let (CartCriterion::SquaredError, Some(b)) = (self.criterion, best) {
            let right = s.total[0] - s.left[0];
            let w_right = s.w_node - s.w_left;
            if !criterion::may_beat_squared(s.left[0], s.w_left, right, w_right, b.proxy) {
                return None;
            }
        }
        let proxy = criterion::proxy(self.criterion, s);
        best.is_none_or(|b| proxy > b.proxy).then_some(proxy)
    }

    /// Searches `feature` (numeric, its order shown) in the node
    /// `start..end` whose samples missing it sit at `end_nm..end`, by the
    /// absolute error; the candidates and kept best of
    /// [`ExactSplitter::scan_present`] and [`ExactSplitter::scan_missing`].
    /// Under a monotonic constraint (`sign`, the node's `bounds`) the
    /// children's medians are computed too, and a candidate whose medians
    /// break the order or the bounds is skipped.
    pub(super) fn scan_absolute(
        &mut self,
        feature: usize,
        (start, end_nm, end): (usize, usize, usize),
        w_node: f64,
        constraint: Option<(i8, Bounds)>,
        best: &mut Option<Best>,
    ) {
        let mut s = std::mem::take(&mut self.absolute);
        let n_missing = end - end_nm;
        let passes: &[bool] = if n_missing == 0 {
            &[false]
        } else {
            &[false, true]
        };
        for &missing_first in passes {
            let lay = Layout {
                start,
                end_nm,
                n_missing,
                missing_first,
            };
            let order = &self.orders.sorted[feature];
            if constraint.is_some() {
                s.passes_with_medians(self.data, order, self.unit_weights, (&lay, end));
            } else {
                s.passes(self.data, order, self.unit_weights, (&lay, end));
            }
            for (p, threshold) in self.layout_candidates(feature, lay, end) {
                let k = p - start;
                if let Some((sign, bounds)) = constraint {
                    if !Monotonic::admits(sign, bounds, s.prefix_median[k - 1], s.suffix_median[k])
                    {
                        continue;
                    }
                }
                let w_left = s.prefix_w[k - 1];
                let w_right = w_node - w_left;
                if w_left < self.leaf.min_weight || w_right < self.leaf.min_weight {
                    continue;
                }
                // scikit-learn's proxy: −w_R·impurity_R − w_L·impurity_L.
                let proxy =
                    -w_right * (s.suffix[k] / w_right) - w_left * (s.prefix[k - 1] / w_left);
                if best.as_ref().is_none_or(|b| proxy > b.proxy) {
                    *best = Some(Best {
                        proxy,
                        feature,
                        threshold,
                        // Without missing samples, scikit-learn's flag.
                        missing_left: if n_missing == 0 {
                            k > end - p
                        } else {
                            missing_first
                        },
                        categories: None,
                    });
                }
            }
        }
        self.absolute = s;
    }
}
