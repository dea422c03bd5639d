//! The histogram splitter: every feature is cut once into at most
//! `max_bins` bins (its distinct values when there are few, else quantiles
//! of a sample of up to 200,000 rows; missing values in a bin of their
//! own), and each node of [`SMALL_ROWS`] rows or more is searched
//! on per-bin sums instead of sorted samples. A node's histograms are built
//! from its rows for the smaller child only; the larger child's are the
//! parent's minus the smaller's. Smaller nodes are searched from their rows,
//! sorted by bin once where such a node is first met (see [`small`]).
//!
//! Candidate splits, their order, the feature draws, the missing-value
//! passes and the thresholds (halfway between the largest value left and
//! the smallest value right) are those of the exact splitter, so when no
//! feature has more distinct values than bins the trees are the exact ones
//! (up to the rounding of regression sums). Histograms are built feature by
//! feature on all threads; each sum runs in row order, so results do not
//! depend on the number of threads.
//!
//! Its parts: the binning ([`bins`]), the rows in node order ([`rows`]),
//! the histograms' building ([`build`]), the search on bins ([`search`])
//! or, in small nodes, on rows ([`small`], [`row_search`]), and
//! categorical features ([`categorical`]). It depends on the shared pieces
//! and implements the growth's splitter interfaces: the subtrees of its
//! small nodes grow apart (see `growth::subtrees`).

use rayon::prelude::*;

mod bins;
mod build;
mod categorical;
mod hists;
mod keys;
mod row_search;
mod rows;
mod search;
mod small;

use crate::tree::cart::growth::subtrees::SubtreeSplitter;
use crate::tree::cart::growth::{NodeSplitter, NodeToSplit};
use crate::tree::cart::params::CartCriterion;
use crate::tree::cart::shared::criterion::{self, ClassSums, Sums};
use crate::tree::cart::shared::data::{threshold_between, NodeSummary, Split, TrainSet};
use crate::tree::cart::shared::draw::FeatureDraw;
use crate::tree::cart::shared::limits::{LeafLimits, Limits};
use crate::tree::cart::shared::monotonic;
pub(crate) use bins::bin_features;
use bins::{FeatureBins, MISSING};
use hists::{FeatureHist, HistScratch, HistStore, NodeHist};
use keys::{SmallKeys, SMALL_ROWS};
pub(crate) use rows::NodeRows;

/// Rows × features from which a node's histograms are built on all threads.
const PARALLEL_CELLS: usize = 1 << 16;

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
    bins: &'a [FeatureBins],
    rows: NodeRows,
    /// Histograms kept for nodes waiting to be split, and buffers.
    hists: HistStore,
    /// Sorted keys of the small nodes.
    small: SmallKeys,
    draw: FeatureDraw,
    leaf: LeafLimits,
    w_total: f64,
    /// Whether every row weighs 1.
    unit_weights: bool,
    /// Whether the tree grows depth first (each node's subtree done before
    /// the next node): then the rows under a small node are read through
    /// its keys and not moved.
    depth_first: bool,
    width: usize,
    /// Running sums of the split search.
    sums: Sums,
    /// The monotonic constraints of the fit, if any.
    pub(crate) monotonic: Option<monotonic::Monotonic>,
}

impl<'a> HistSplitter<'a> {
    /// A splitter over `data`, whose rows (of non-zero weight) and bins
    /// are given.
    pub fn new(
        data: &'a TrainSet<'a>,
        (rows, bins): (NodeRows, &'a [FeatureBins]),
        criterion: CartCriterion,
        (leaf, draw): (LeafLimits, FeatureDraw),
        depth_first: bool,
    ) -> Self {
        let w_total = rows.w.iter().sum();
        let unit_weights = rows.w.iter().all(|&w| w == 1.0);
        let width = if criterion.is_regression() {
            1
        } else {
            data.n_classes
        };
        Self {
            data,
            criterion,
            bins,
            rows,
            hists: HistStore::default(),
            small: SmallKeys::default(),
            draw,
            leaf,
            w_total,
            unit_weights,
            depth_first,
            width,
            sums: Sums::zero(width),
            monotonic: None,
        }
    }

    /// Adds a row's criterion contribution, weighted `w`, to `stat`: its
    /// class's weight or its weighted target.
    #[inline]
    fn add_label(&self, stat: &mut [f64], label: f64, w: f64) {
        if self.criterion.is_regression() {
            stat[0] += w * label;
        } else {
            stat[label as usize] += w;
        }
    }

    /// Σ w·y·ln(y/ȳ) over the rows of the node `range`, ȳ = `sum / w`.
    fn poisson_loss(&self, range: (usize, usize), sum: f64, w: f64) -> f64 {
        let mut pairs = Vec::with_capacity(range.1 - range.0);
        self.for_each_row(range, |wi, y| pairs.push((wi, y)));
        criterion::poisson_loss(pairs.into_iter(), sum, w)
    }
}

impl SubtreeSplitter for HistSplitter<'_> {
    const SMALL: usize = SMALL_ROWS;

    /// A splitter for the subtree of the small node `start..end` alone
    /// (its rows copied, numbered from 0), drawing features from the
    /// generator state `seed`; the features known constant are those of
    /// this splitter.
    fn subtree(&self, start: usize, end: usize, seed: u32) -> Self {
        HistSplitter {
            data: self.data,
            criterion: self.criterion,
            bins: self.bins,
            rows: self.rows.subset(start, end),
            hists: HistStore::default(),
            small: SmallKeys::default(),
            draw: self.draw.fork(seed),
            leaf: self.leaf,
            w_total: self.w_total,
            unit_weights: self.unit_weights,
            depth_first: true,
            width: self.width,
            sums: Sums::zero(self.width),
            monotonic: self.monotonic.clone(),
        }
    }
}

impl NodeSplitter for HistSplitter<'_> {
    fn samples(&self) -> usize {
        self.rows.len()
    }

    fn summarise(&self, start: usize, end: usize) -> NodeSummary {
        let mut total = ClassSums::from_elem(0.0, self.width);
        let (mut sq, mut w) = (0.0, 0.0);
        let regression = self.criterion.is_regression();
        self.for_each_row((start, end), |wp, y| {
            self.add_label(&mut total, y, wp);
            if regression {
                sq += wp * y * y;
            }
            w += wp;
        });
        if self.criterion == CartCriterion::Poisson {
            sq = self.poisson_loss((start, end), total[0], w);
        }
        NodeSummary {
            w,
            impurity: criterion::impurity(self.criterion, &total, sq, w),
            value: total.iter().map(|v| v / w).collect(),
            sums: Sums {
                left: ClassSums::from_elem(0.0, total.len()),
                total,
                sq_total: sq,
                w_node: w,
                w_left: 0.0,
                pos: start,
            },
        }
    }

    fn forget(&mut self, start: usize, end: usize) {
        if end - start < SMALL_ROWS {
            return;
        }
        self.hists.forget((start, end));
    }

    fn node_split(
        &mut self,
        at: &NodeToSplit<'_>,
        lim: &Limits,
        n_constant: &mut usize,
    ) -> Option<Split> {
        let (start, end, impurity, node) = (at.start, at.end, at.impurity, at.summary);
        let n_node = end - start;
        // Small nodes are searched from their rows; the others from their
        // histograms (kept by the parent, or built now).
        let mut scratch = std::mem::take(&mut self.hists.scratch);
        let hist = if n_node < SMALL_ROWS {
            self.small_keys_for((start, end));
            None
        } else {
            Some(match self.hists.take((start, end)) {
                Some(h) => h,
                None => {
                    let mut h = self.hists.buffer();
                    self.build_into((start, end), &mut h, &mut scratch);
                    h
                }
            })
        };
        let mut sums = std::mem::replace(&mut self.sums, Sums::zero(0));
        let mut best: Option<Best> = None;
        // Tiny nodes (squared error): the best any split can do, when one
        // split alone does it (with the rounding of another order of sums
        // allowed for).
        let ceiling = if hist.is_none() {
            self.ceiling((start, end))
        } else {
            f64::INFINITY
        };
        let mut draw = std::mem::take(&mut self.draw);
        let monotonic = self.monotonic.take();
        let constraint = |f: usize| {
            let sign = monotonic.as_ref().map_or(0, |m| m.sign(f));
            (sign != 0).then_some((sign, at.bounds))
        };
        draw.draw(n_constant, &self.data.interrupt, |feature| match &hist {
            Some(h) => self.search(
                feature,
                (&h.e, h.range(feature)),
                node,
                (n_node, constraint(feature)),
                (&mut sums, &mut best),
            ),
            None if !self.data.categorical[feature]
                && best.as_ref().is_some_and(|b| b.proxy >= ceiling) =>
            {
                self.varies_in_rows(feature, (start, end))
            }
            None => self.search_rows(
                feature,
                (start, end),
                (node, constraint(feature)),
                (&mut sums, &mut best),
            ),
        });
        self.draw = draw;
        self.monotonic = monotonic;
        self.sums = sums;
        let Some(b) = best else {
            self.hists.scratch = scratch;
            if let Some(h) = hist {
                self.hists.give_back(h);
            }
            return None;
        };
        // Partition the node's rows, keeping their order on each side.
        let goes_left = |code: u8| match (code, &b.categorical) {
            (MISSING, _) => b.missing_left,
            (c, Some((left_bins, _, _))) => left_bins[usize::from(c)],
            (c, None) => usize::from(c) <= b.bin,
        };
        let pos = if hist.is_none() {
            let n_left = self.split_small_keys((start, end), b.feature, goes_left, n_node > 2);
            if !self.depth_first {
                self.rows.partition((start, end), b.feature, goes_left);
            }
            start + n_left
        } else {
            self.rows.partition((start, end), b.feature, goes_left)
        };
        // Children sums and impurities, from the left rows in order.
        let mut s = node.sums.clone();
        let mut sq_left = 0.0;
        let regression = self.criterion.is_regression();
        let (mut left, mut w_left) = (std::mem::take(&mut s.left), 0.0);
        self.for_each_row((start, pos), |w, y| {
            w_left += w;
            self.add_label(&mut left, y, w);
            if regression {
                sq_left += w * y * y;
            }
        });
        (s.left, s.w_left) = (left, w_left);
        let w_right = s.w_node - s.w_left;
        let (impurity_left, impurity_right) = if self.criterion == CartCriterion::Poisson {
            criterion::poisson_children(
                &s,
                self.poisson_loss((start, pos), s.left[0], s.w_left),
                self.poisson_loss((pos, end), s.total[0] - s.left[0], w_right),
            )
        } else {
            criterion::children_impurity(self.criterion, &s, sq_left)
        };
        let improvement =
            criterion::improvement(&s, self.w_total, impurity, (impurity_left, impurity_right));
        // Histograms for the children that may be split: the smaller
        // child's from its rows, the larger's by subtraction.
        let w_left = s.w_left;
        let may_split = |n: usize, w: f64, imp: f64| !lim.stops(at.depth + 1, n, w, imp);
        let left_splits = may_split(pos - start, w_left, impurity_left);
        let right_splits = may_split(end - pos, w_right, impurity_right);
        let ((small, small_splits), (large, large_splits)) = if pos - start <= end - pos {
            (((start, pos), left_splits), ((pos, end), right_splits))
        } else {
            (((pos, end), right_splits), ((start, pos), left_splits))
        };
        let keep_large = large_splits && large.1 - large.0 >= SMALL_ROWS;
        let keep_small = small_splits && small.1 - small.0 >= SMALL_ROWS;
        if let Some(mut hist) = hist {
            if keep_small || keep_large {
                let mut small_hist = self.hists.buffer();
                self.build_into(small, &mut small_hist, &mut scratch);
                if keep_large {
                    hist.subtract(&small_hist, self.width);
                    self.hists.keep(large, hist);
                } else {
                    self.hists.give_back(hist);
                }
                if keep_small {
                    self.hists.keep(small, small_hist);
                } else {
                    self.hists.give_back(small_hist);
                }
            } else {
                self.hists.give_back(hist);
            }
        }
        self.hists.scratch = scratch;
        Some(Split {
            feature: b.feature,
            threshold: b.threshold,
            pos,
            missing_left: b.missing_left,
            categories: b.categorical.map(|(_, l, r)| (l, r)),
            impurity_left,
            impurity_right,
            improvement,
            middle: monotonic::middle(s.first()),
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::tree::cart::{Cart, CartSplitter};
    use ndarray::Array2;
    use proptest::prelude::*;

    proptest! {
        /// Fully grown regression trees with six features (nodes searched
        /// on histograms, then from their sorted rows down to single rows),
        /// weighted or not, one feature with missing values or none: with
        /// no more distinct values than bins and whole targets and weights
        /// (sums exact in any order), the histogram splitter finds the
        /// exact splitter's tree (ties between features included: few
        /// distinct targets).
        #[test]
        fn fully_grown_trees_are_the_exact_ones(
            rows in prop::collection::vec(
                (prop::array::uniform6(0u8..40), -9i8..9, 1u8..4), 20..600),
            missing in prop::collection::vec(any::<bool>(), 600),
            (weighted, with_missing, min_leaf) in (any::<bool>(), any::<bool>(), 1usize..4),
        ) {
            let x = Array2::from_shape_fn((rows.len(), 6), |(r, c)| {
                if with_missing && c == 4 && missing[r] {
                    f64::NAN
                } else {
                    f64::from(rows[r].0[c])
                }
            });
            let y: Vec<f64> = rows.iter().map(|r| f64::from(r.1)).collect();
            let w: Vec<f64> = rows.iter().map(|r| f64::from(r.2)).collect();
            let fit = |s: CartSplitter| {
                Cart::regressor().min_samples_leaf(min_leaf).splitter(s).seed(11)
                    .check().unwrap().with_single_stream()
                    .fit(x.view(), &y, weighted.then_some(&w[..])).unwrap()
            };
            let exact = fit(CartSplitter::Exact);
            let hist = fit(CartSplitter::Histogram { max_bins: 64 });
            prop_assert_eq!(&exact.children_left, &hist.children_left);
            prop_assert_eq!(&exact.feature, &hist.feature);
            prop_assert_eq!(&exact.threshold, &hist.threshold);
            prop_assert_eq!(&exact.missing_go_to_left, &hist.missing_go_to_left);
            prop_assert_eq!(&exact.n_node_samples, &hist.n_node_samples);
            prop_assert_eq!(&exact.impurity, &hist.impurity);
        }
    }
}
