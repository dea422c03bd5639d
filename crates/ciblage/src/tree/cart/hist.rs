//! The histogram splitter: every feature is cut once into at most
//! `max_bins` bins (its distinct values when there are few, else quantiles
//! of a sample of up to 200,000 rows; missing values in a bin of their
//! own), and each node is searched on per-bin sums instead of sorted
//! samples. A node's histograms are built from its rows for the smaller
//! child only; the larger child's are the parent's minus the smaller's.
//!
//! Candidate splits, their order, the feature draws, the missing-value
//! passes and the thresholds (halfway between the largest value left and
//! the smallest value right) are those of the exact splitter, so when no
//! feature has more distinct values than bins the trees are the exact ones
//! (up to the rounding of regression sums). Histograms are built feature by
//! feature on all threads; each sum runs in row order, so results do not
//! depend on the number of threads.

use std::collections::HashMap;

use rayon::prelude::*;

mod categorical;

use crate::tree::cart::bins::{bin_features, FeatureBins, MISSING};
use crate::tree::cart::criterion::{self, Sums};
use crate::tree::cart::params::CartCriterion;
use crate::tree::cart::splitter::{NodeSplitter, NodeSummary, Split, TrainSet};

/// Rows × features from which a node's histograms are built on all threads.
const PARALLEL_CELLS: usize = 1 << 16;

/// Per-bin sums of one feature in one node, for the bins holding rows
/// only, ascending (the missing-value bin, numbered after the others,
/// last): bin number, rows, weight and criterion sums (`width` per bin).
#[derive(Clone, Default)]
struct FeatureHist {
    bin: Vec<u16>,
    count: Vec<u32>,
    w: Vec<f64>,
    stat: Vec<f64>,
}

impl FeatureHist {
    fn len(&self) -> usize {
        self.bin.len()
    }

    fn push(&mut self, bin: u16, count: u32, w: f64, stat: &[f64]) {
        self.bin.push(bin);
        self.count.push(count);
        self.w.push(w);
        self.stat.extend_from_slice(stat);
    }
}

/// The histograms of every feature in one node, back to back: feature
/// `f`'s entries are `start[f]..start[f + 1]`.
#[derive(Clone, Default)]
struct NodeHist {
    start: Vec<usize>,
    e: FeatureHist,
}

impl NodeHist {
    fn range(&self, f: usize) -> std::ops::Range<usize> {
        self.start[f]..self.start[f + 1]
    }

    /// `self − small`, where `small` holds a subset of the rows; bins left
    /// without rows are dropped.
    fn minus(&self, small: &Self, width: usize) -> Self {
        let mut out = Self {
            start: vec![0],
            e: FeatureHist::default(),
        };
        let mut stat = vec![0.0; width];
        let (a, b) = (&self.e, &small.e);
        for f in 0..self.start.len() - 1 {
            let mut j = small.start[f];
            let j_end = small.start[f + 1];
            for i in self.range(f) {
                let s = &a.stat[i * width..(i + 1) * width];
                if j < j_end && b.bin[j] == a.bin[i] {
                    let count = a.count[i] - b.count[j];
                    if count > 0 {
                        for (k, v) in stat.iter_mut().enumerate() {
                            *v = s[k] - b.stat[j * width + k];
                        }
                        out.e.push(a.bin[i], count, a.w[i] - b.w[j], &stat);
                    }
                    j += 1;
                } else {
                    out.e.push(a.bin[i], a.count[i], a.w[i], s);
                }
            }
            out.start.push(out.e.len());
        }
        out
    }
}

/// The best split found so far in a node.
struct Best {
    proxy: f64,
    feature: usize,
    threshold: f64,
    missing_left: bool,
    /// Last bin (of the feature) going left …
    bin: usize,
    /// … or, for a categorical feature, which bins go left, and the
    /// categories on each side.
    categorical: Option<(Vec<bool>, Vec<u32>, Vec<u32>)>,
}

/// Best splits searched on histograms.
pub(crate) struct HistSplitter<'a> {
    data: &'a TrainSet<'a>,
    criterion: CartCriterion,
    binned: Vec<u8>,
    bins: Vec<FeatureBins>,
    rows: Vec<u32>,
    buf: Vec<u32>,
    hists: HashMap<(usize, usize), NodeHist>,
    features: Vec<usize>,
    constant_features: Vec<usize>,
    rand: u32,
    min_samples_leaf: usize,
    min_samples_split: usize,
    min_weight_leaf: f64,
    max_features: usize,
    w_total: f64,
    width: usize,
}

impl<'a> HistSplitter<'a> {
    pub fn new(
        data: &'a TrainSet<'a>,
        criterion: CartCriterion,
        seed: u32,
        (min_samples_split, min_samples_leaf, min_weight_leaf): (usize, usize, f64),
        max_features: usize,
        max_bins: usize,
    ) -> Self {
        let (binned, bins) = bin_features(data, max_bins);
        let rows: Vec<u32> = (0..data.n as u32)
            .filter(|&i| data.weights[i as usize] != 0.0)
            .collect();
        let width = if criterion.is_regression() {
            1
        } else {
            data.n_classes
        };
        Self {
            data,
            criterion,
            binned,
            bins,
            buf: vec![0; rows.len()],
            rows,
            hists: HashMap::new(),
            features: (0..data.d).collect(),
            constant_features: vec![0; data.d],
            rand: seed,
            min_samples_leaf,
            min_samples_split,
            min_weight_leaf,
            max_features,
            w_total: data.weights.iter().sum(),
            width,
        }
    }

    /// Criterion contribution of one row: its class or its target.
    #[inline]
    fn add_stat(&self, stat: &mut [f64], row: usize, w: f64) {
        match (self.data.classes, self.data.targets) {
            (Some(c), _) => stat[c[row] as usize] += w,
            (_, Some(t)) => stat[0] += w * t[row],
            _ => unreachable!("a target is set"),
        }
    }

    /// Histograms of every feature over `rows` (in parallel over features
    /// when the node is large).
    fn build(&self, rows: &[u32]) -> NodeHist {
        let mut out = NodeHist {
            start: vec![0],
            e: FeatureHist::default(),
        };
        if rows.len() * self.data.d >= PARALLEL_CELLS {
            let per: Vec<FeatureHist> = (0..self.data.d)
                .into_par_iter()
                .map(|f| {
                    let mut h = FeatureHist::default();
                    self.build_feature(&mut h, f, rows);
                    h
                })
                .collect();
            for h in per {
                out.e.bin.extend_from_slice(&h.bin);
                out.e.count.extend_from_slice(&h.count);
                out.e.w.extend_from_slice(&h.w);
                out.e.stat.extend_from_slice(&h.stat);
                out.start.push(out.e.len());
            }
        } else {
            for f in 0..self.data.d {
                self.build_feature(&mut out.e, f, rows);
                out.start.push(out.e.len());
            }
        }
        out
    }

    /// One feature's histogram: dense counting on large nodes, sorting the
    /// rows by bin on small ones.
    fn build_feature(&self, out: &mut FeatureHist, f: usize, rows: &[u32]) {
        let n = self.data.n;
        let nb = self.bins[f].len();
        let k = self.width;
        let col = &self.binned[f * n..(f + 1) * n];
        let bin_of = |r: u32| match col[r as usize] {
            MISSING => nb,
            b => usize::from(b),
        };
        if rows.len() * 4 > nb {
            let mut count = vec![0u32; nb + 1];
            let mut w = vec![0.0; nb + 1];
            let mut stat = vec![0.0; (nb + 1) * k];
            for &r in rows {
                let b = bin_of(r);
                let wr = self.data.weights[r as usize];
                count[b] += 1;
                w[b] += wr;
                self.add_stat(&mut stat[b * k..(b + 1) * k], r as usize, wr);
            }
            for b in (0..=nb).filter(|&b| count[b] > 0) {
                out.push(b as u16, count[b], w[b], &stat[b * k..(b + 1) * k]);
            }
        } else {
            // Stable sort by bin: each bin's sums run in row order.
            let mut keyed: Vec<(usize, u32)> = rows.iter().map(|&r| (bin_of(r), r)).collect();
            keyed.sort_by_key(|e| e.0);
            let mut stat = vec![0.0; k];
            let mut i = 0;
            while i < keyed.len() {
                let b = keyed[i].0;
                stat.iter_mut().for_each(|v| *v = 0.0);
                let (mut c, mut w) = (0u32, 0.0);
                while i < keyed.len() && keyed[i].0 == b {
                    let r = keyed[i].1 as usize;
                    let wr = self.data.weights[r];
                    c += 1;
                    w += wr;
                    self.add_stat(&mut stat, r, wr);
                    i += 1;
                }
                out.push(b as u16, c, w, &stat);
            }
        }
    }

    /// Adds entry `i` of `h` to the left sums.
    fn take_bin(&self, s: &mut Sums, n_left: &mut usize, h: &FeatureHist, i: usize) {
        let k = self.width;
        *n_left += h.count[i] as usize;
        s.w_left += h.w[i];
        for (l, v) in s.left.iter_mut().zip(&h.stat[i * k..(i + 1) * k]) {
            *l += v;
        }
    }

    /// Searches one feature's histogram; updates `best`. Returns false when
    /// the feature is constant in the node.
    fn search(
        &self,
        f: usize,
        (h, range): (&FeatureHist, std::ops::Range<usize>),
        node: &NodeSummary,
        n_node: usize,
        best: &mut Option<Best>,
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
        let (lo, hi) = (&self.bins[f].lo, &self.bins[f].hi);
        for missing_first in [false, true].into_iter().take(1 + usize::from(has_missing)) {
            let mut s = node.sums.clone();
            let mut n_left = 0;
            if missing_first {
                self.take_bin(&mut s, &mut n_left, h, first + n_present);
            }
            for i in 0..n_present {
                self.take_bin(&mut s, &mut n_left, h, first + i);
                let last = i + 1 == n_present;
                if last && (missing_first || !has_missing) {
                    break;
                }
                let n_right = n_node - n_left;
                let limits = (self.min_samples_leaf, self.min_weight_leaf);
                let Some(proxy) =
                    criterion::limited_proxy(self.criterion, &s, (n_left, n_right), limits)
                else {
                    continue;
                };
                if best.as_ref().is_none_or(|x| proxy > x.proxy) {
                    let b = usize::from(h.bin[first + i]);
                    let threshold = if last {
                        // The missing rows alone on the right.
                        f64::INFINITY
                    } else {
                        let c = usize::from(h.bin[first + i + 1]);
                        let (a, b) = (hi[b], lo[c]);
                        let t = f64::from(a) / 2.0 + f64::from(b) / 2.0;
                        if t == f64::from(b) || t.is_infinite() {
                            f64::from(a)
                        } else {
                            t
                        }
                    };
                    *best = Some(Best {
                        proxy,
                        feature: f,
                        threshold,
                        missing_left: if has_missing {
                            missing_first
                        } else {
                            n_left > n_right
                        },
                        bin: b,
                        categorical: None,
                    });
                }
            }
        }
        true
    }
}

impl NodeSplitter for HistSplitter<'_> {
    fn samples(&self) -> usize {
        self.rows.len()
    }

    fn summarise(&self, start: usize, end: usize) -> NodeSummary {
        let mut total = vec![0.0; self.width];
        let (mut sq, mut w) = (0.0, 0.0);
        for &r in &self.rows[start..end] {
            let wr = self.data.weights[r as usize];
            self.add_stat(&mut total, r as usize, wr);
            if let Some(t) = self.data.targets {
                sq += wr * t[r as usize] * t[r as usize];
            }
            w += wr;
        }
        if self.criterion == CartCriterion::Poisson {
            let t = self.data.targets.expect("regression");
            sq = criterion::poisson_loss(
                self.rows[start..end]
                    .iter()
                    .map(|&r| (self.data.weights[r as usize], t[r as usize])),
                total[0],
                w,
            );
        }
        NodeSummary {
            w,
            impurity: criterion::impurity(self.criterion, &total, sq, w),
            value: total.iter().map(|v| v / w).collect(),
            sums: Sums {
                left: vec![0.0; total.len()],
                total,
                sq_total: sq,
                w_node: w,
                w_left: 0.0,
                pos: start,
            },
        }
    }

    fn forget(&mut self, start: usize, end: usize) {
        self.hists.remove(&(start, end));
    }

    fn node_split(
        &mut self,
        start: usize,
        end: usize,
        (impurity, children_may_split): (f64, bool),
        node: &NodeSummary,
        n_constant: &mut usize,
    ) -> Option<Split> {
        let hist = match self.hists.remove(&(start, end)) {
            Some(h) => h,
            None => self.build(&self.rows[start..end]),
        };
        let d = self.data.d;
        let n_node = end - start;
        let (mut f_i, mut n_visited, mut n_found, mut n_drawn) = (d, 0usize, 0usize, 0usize);
        let n_known = *n_constant;
        let mut n_total = n_known;
        let mut best: Option<Best> = None;
        while f_i > n_total && (n_visited < self.max_features || n_visited <= n_found + n_drawn) {
            n_visited += 1;
            let mut f_j = criterion::rand_int(&mut self.rand, n_drawn, f_i - n_found);
            if f_j < n_known {
                self.features.swap(n_drawn, f_j);
                n_drawn += 1;
                continue;
            }
            f_j += n_found;
            let feature = self.features[f_j];
            if !self.search(
                feature,
                (&hist.e, hist.range(feature)),
                node,
                n_node,
                &mut best,
            ) {
                self.features.swap(f_j, n_total);
                n_found += 1;
                n_total += 1;
                continue;
            }
            f_i -= 1;
            self.features.swap(f_i, f_j);
        }
        self.features[..n_known].copy_from_slice(&self.constant_features[..n_known]);
        let found: Vec<usize> = self.features[n_known..n_known + n_found].to_vec();
        self.constant_features[n_known..n_known + n_found].copy_from_slice(&found);
        *n_constant = n_total;
        let b = best?;
        // Partition the node's rows, keeping their order on each side.
        let n = self.data.n;
        let col = &self.binned[b.feature * n..(b.feature + 1) * n];
        let goes_left = |r: u32| match (col[r as usize], &b.categorical) {
            (MISSING, _) => b.missing_left,
            (c, Some((left_bins, _, _))) => left_bins[usize::from(c)],
            (c, None) => usize::from(c) <= b.bin,
        };
        let (mut l, mut r) = (start, end);
        for k in start..end {
            let row = self.rows[k];
            if goes_left(row) {
                self.buf[l] = row;
                l += 1;
            } else {
                r -= 1;
                self.buf[r] = row;
            }
        }
        self.buf[l..end].reverse();
        self.rows[start..end].copy_from_slice(&self.buf[start..end]);
        let pos = l;
        // Children sums and impurities.
        let mut s = node.sums.clone();
        let mut n_left = 0;
        let h = &hist.e;
        let nb = self.bins[b.feature].len();
        for i in hist.range(b.feature) {
            let bin = usize::from(h.bin[i]);
            let left = match &b.categorical {
                _ if bin == nb => b.missing_left,
                Some((left_bins, _, _)) => left_bins[bin],
                None => bin <= b.bin,
            };
            if left {
                self.take_bin(&mut s, &mut n_left, h, i);
            }
        }
        let sq_left = match self.data.targets {
            Some(t) => self.rows[start..pos]
                .iter()
                .map(|&r| self.data.weights[r as usize] * t[r as usize] * t[r as usize])
                .sum(),
            None => 0.0,
        };
        let w_right = s.w_node - s.w_left;
        let (impurity_left, impurity_right) = if self.criterion == CartCriterion::Poisson {
            let t = self.data.targets.expect("regression");
            let loss = |rows: &[u32], sum: f64, w: f64| {
                criterion::poisson_loss(
                    rows.iter()
                        .map(|&r| (self.data.weights[r as usize], t[r as usize])),
                    sum,
                    w,
                )
            };
            criterion::poisson_children(
                &s,
                loss(&self.rows[start..pos], s.left[0], s.w_left),
                loss(&self.rows[pos..end], s.total[0] - s.left[0], w_right),
            )
        } else {
            criterion::children_impurity(self.criterion, &s, sq_left)
        };
        let improvement = (s.w_node / self.w_total)
            * (impurity
                - w_right / s.w_node * impurity_right
                - s.w_left / s.w_node * impurity_left);
        // Histograms for the children that may be split: the smaller
        // child's from its rows, the larger's by subtraction.
        let w_left = s.w_left;
        let may_split = |n: usize, w: f64, imp: f64| {
            children_may_split
                && n >= self.min_samples_split
                && n >= 2 * self.min_samples_leaf
                && w >= 2.0 * self.min_weight_leaf
                && imp > f64::EPSILON
        };
        let left_splits = may_split(pos - start, w_left, impurity_left);
        let right_splits = may_split(end - pos, w_right, impurity_right);
        let ((small, small_splits), (large, large_splits)) = if pos - start <= end - pos {
            (((start, pos), left_splits), ((pos, end), right_splits))
        } else {
            (((pos, end), right_splits), ((start, pos), left_splits))
        };
        if small_splits || large_splits {
            let small_hist = self.build(&self.rows[small.0..small.1]);
            if large_splits {
                self.hists
                    .insert(large, hist.minus(&small_hist, self.width));
            }
            if small_splits {
                self.hists.insert(small, small_hist);
            }
        }
        Some(Split {
            feature: b.feature,
            threshold: b.threshold,
            pos,
            missing_left: b.missing_left,
            categories: b.categorical.map(|(_, l, r)| (l, r)),
            impurity_left,
            impurity_right,
            improvement,
        })
    }
}
