//! The split search of the histogram splitter: one feature's bins read in
//! order, the left sums grown bin by bin, the best candidate kept (the
//! first of equal ones), with the missing-value passes of the exact
//! splitter.

use super::*;
use crate::tree::cart::shared::monotonic::{Bounds, Monotonic};

/// What one pass of a split search over a feature's bins needs to know.
struct ScanPass {
    /// Position of the feature's first bin in the histogram.
    first: usize,
    /// Bins holding present values (the missing-value bin follows them).
    n_present: usize,
    has_missing: bool,
    /// Whether the missing rows go left (read first).
    missing_first: bool,
    n_node: usize,
    /// A monotonic constraint on the feature (sign, node's bounds).
    constraint: Option<(i8, Bounds)>,
}

impl HistSplitter<'_> {
    /// Adds entry `i` of `h` to the left sums.
    pub(super) fn take_bin(&self, s: &mut Sums, n_left: &mut usize, h: &FeatureHist, i: usize) {
        let k = self.width;
        *n_left += h.count[i] as usize;
        s.w_left += h.w[i];
        for (l, v) in s.left.iter_mut().zip(&h.stat[i * k..(i + 1) * k]) {
            *l += v;
        }
    }

    /// One pass over a feature's bins: the candidate (bin position, proxy,
    /// rows left) that beats `current` and every candidate before it, if
    /// any (the first of equal ones is kept).
    fn scan(
        &self,
        h: &FeatureHist,
        p: &ScanPass,
        (node, s): (&Sums, &mut Sums),
        mut current: Option<f64>,
    ) -> Option<(usize, f64, usize)> {
        s.reset_from(node);
        let mut n_left = 0;
        if p.missing_first {
            self.take_bin(s, &mut n_left, h, p.first + p.n_present);
        }
        let mut found = None;
        for i in 0..p.n_present {
            self.take_bin(s, &mut n_left, h, p.first + i);
            if i + 1 == p.n_present && (p.missing_first || !p.has_missing) {
                break;
            }
            if p.constraint.is_some_and(|c| !admitted(c, s)) {
                continue;
            }
            self.offer(s, (i, n_left, p.n_node - n_left), &mut current, &mut found);
        }
        found
    }

    /// Offers the candidate after entry `at` of a scan (`n_left` rows left,
    /// `n_right` right) with the left sums `s`: kept in `found` when the
    /// children keep the leaf limits and its proxy beats `current` (the
    /// first of equal ones is kept).
    #[inline]
    pub(super) fn offer(
        &self,
        s: &Sums,
        (at, n_left, n_right): (usize, usize, usize),
        current: &mut Option<f64>,
        found: &mut Option<(usize, f64, usize)>,
    ) {
        let Some(proxy) = criterion::limited_proxy(self.criterion, s, (n_left, n_right), self.leaf)
        else {
            return;
        };
        if current.is_none_or(|c| proxy > c) {
            *current = Some(proxy);
            *found = Some((at, proxy, n_left));
        }
    }

    /// [`Self::scan`] for the squared error, on scalars: the proxy
    /// `L²/w_L + R²/w_R` of scikit-learn, in the same operations as
    /// [`criterion::proxy`], candidates screened with products first.
    fn scan_squared(
        &self,
        h: &FeatureHist,
        p: &ScanPass,
        node: &Sums,
        current: Option<f64>,
    ) -> Option<(usize, f64, usize)> {
        self.scan_scalar(
            h,
            p,
            ([node.total[0]], [node.left[0]], node.w_node, node.w_left),
            |left, total, w, best| criterion::squared_proxy(left[0], total[0], w, best),
            current,
        )
    }

    /// [`Self::scan`] for Gini with two classes, on scalars (the proxy of
    /// [`criterion::gini2_proxy`], term for term that of `criterion::proxy`).
    fn scan_gini2(
        &self,
        h: &FeatureHist,
        p: &ScanPass,
        node: &Sums,
        current: Option<f64>,
    ) -> Option<(usize, f64, usize)> {
        self.scan_scalar(
            h,
            p,
            (
                [node.total[0], node.total[1]],
                [node.left[0], node.left[1]],
                node.w_node,
                node.w_left,
            ),
            |left, total, (w_left, w_right), _| {
                Some(criterion::gini2_proxy(*left, *total, w_left, w_right))
            },
            current,
        )
    }

    /// [`Self::scan`] with the left sums of a `K`-wide histogram in
    /// scalars; `proxy_of` gives a candidate's proxy from (left, total,
    /// (w_left, w_right), best proxy so far), or `None` when it cannot beat
    /// it. The same candidates, sums and kept candidate as the general scan.
    fn scan_scalar<const K: usize>(
        &self,
        h: &FeatureHist,
        p: &ScanPass,
        (total, mut left, w_node, mut w_left): ([f64; K], [f64; K], f64, f64),
        proxy_of: impl Fn(&[f64; K], &[f64; K], (f64, f64), Option<f64>) -> Option<f64>,
        mut current: Option<f64>,
    ) -> Option<(usize, f64, usize)> {
        let mut n_left = 0usize;
        let take = |j: usize, left: &mut [f64; K], w_left: &mut f64, n_left: &mut usize| {
            *n_left += h.count[j] as usize;
            *w_left += h.w[j];
            for (l, v) in left.iter_mut().zip(&h.stat[j * K..(j + 1) * K]) {
                *l += v;
            }
        };
        if p.missing_first {
            take(p.first + p.n_present, &mut left, &mut w_left, &mut n_left);
        }
        let (min_leaf, min_weight) = (self.leaf.min_samples, self.leaf.min_weight);
        let mut found = None;
        for i in 0..p.n_present {
            take(p.first + i, &mut left, &mut w_left, &mut n_left);
            if i + 1 == p.n_present && (p.missing_first || !p.has_missing) {
                break;
            }
            let n_right = p.n_node - n_left;
            let w_right = w_node - w_left;
            if n_left < min_leaf
                || n_right < min_leaf
                || w_left < min_weight
                || w_right < min_weight
            {
                continue;
            }
            let Some(proxy) = proxy_of(&left, &total, (w_left, w_right), current) else {
                continue;
            };
            if current.is_none_or(|c| proxy > c) {
                current = Some(proxy);
                found = Some((i, proxy, n_left));
            }
        }
        found
    }

    /// The threshold split of feature `f` after bin `bin`, the next bin
    /// with rows being `next` (none: only the missing rows follow, alone on
    /// the right); its threshold halfway between the training values on
    /// either side.
    pub(super) fn cut_after(
        &self,
        f: usize,
        proxy: f64,
        (bin, next): (usize, Option<usize>),
        missing_left: bool,
    ) -> Best {
        let threshold = match next {
            None => f64::INFINITY,
            Some(c) => threshold_between(self.bins[f].hi[bin], self.bins[f].lo[c]),
        };
        Best {
            proxy,
            feature: f,
            threshold,
            missing_left,
            bin,
            categorical: None,
        }
    }

    /// Searches one feature's histogram; updates `best`. Returns false when
    /// the feature is constant in the node.
    pub(super) fn search(
        &self,
        f: usize,
        (h, range): (&FeatureHist, std::ops::Range<usize>),
        node: &NodeSummary,
        (n_node, constraint): (usize, Option<(i8, Bounds)>),
        (s, best): (&mut Sums, &mut Option<Best>),
    ) -> bool {
        let nb = self.bins[f].len();
        if self.data.categorical[f] {
            return self.search_categorical(f, (h, range), node, n_node, best);
        }
        let first = range.start;
        let has_missing = !range.is_empty() && usize::from(h.bin[range.end - 1]) == nb;
        let n_present = range.len() - usize::from(has_missing);
        if n_present == 0 || (n_present == 1 && !has_missing) {
            return false;
        }
        for missing_first in [false, true].into_iter().take(1 + usize::from(has_missing)) {
            let pass = ScanPass {
                first,
                n_present,
                has_missing,
                missing_first,
                n_node,
                constraint,
            };
            let current = best.as_ref().map(|b| b.proxy);
            let found = match self.criterion {
                _ if constraint.is_some() => self.scan(h, &pass, (&node.sums, s), current),
                CartCriterion::SquaredError => self.scan_squared(h, &pass, &node.sums, current),
                CartCriterion::Gini if self.width == 2 => {
                    self.scan_gini2(h, &pass, &node.sums, current)
                }
                _ => self.scan(h, &pass, (&node.sums, s), current),
            };
            let Some((i, proxy, n_left)) = found else {
                continue;
            };
            let next = (i + 1 < n_present).then(|| usize::from(h.bin[first + i + 1]));
            *best = Some(self.cut_after(
                f,
                proxy,
                (usize::from(h.bin[first + i]), next),
                missing_side(has_missing, missing_first, (n_left, n_node)),
            ));
        }
        true
    }
}

/// Whether the candidate summed in `s` keeps the monotonic constraint
/// `(sign, bounds)` of its feature.
#[inline]
pub(super) fn admitted((sign, bounds): (i8, Bounds), s: &Sums) -> bool {
    let (left, right) = monotonic::side_values(s.first());
    Monotonic::admits(sign, bounds, left, right)
}

/// Where the missing values of a split feature go: the side they were read
/// on when the node had some, else towards the larger child (as
/// scikit-learn).
pub(super) fn missing_side(
    has_missing: bool,
    missing_first: bool,
    (n_left, n_node): (usize, usize),
) -> bool {
    if has_missing {
        missing_first
    } else {
        n_left > n_node - n_left
    }
}
