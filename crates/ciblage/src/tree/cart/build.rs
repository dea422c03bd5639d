//! The exact best-split CART builder, depth first, following scikit-learn's
//! rules: features read as f32, thresholds halfway between consecutive
//! distinct values, ties of values within 1e-7 skipped, the best split kept by
//! strict improvement of the criterion's proxy, features visited in the order
//! of scikit-learn's xorshift generator.

use rayon::prelude::*;

use crate::prefetch::{prefetch, LOOKAHEAD};
use crate::tree::cart::criterion::{self, ClassSums, Sums};
use crate::tree::cart::params::CartCriterion;
use crate::tree::cart::partition::reserved;
use crate::tree::cart::splitter::{NodeSplitter, NodeSummary, Split, TrainSet};

/// Distance under which two f32 values count as equal.
pub(super) const FEATURE_THRESHOLD: f32 = 1e-7;

/// The order in which a split search reads a node's samples for the
/// current feature: its sorted list, with the samples missing the feature
/// (NaN, kept last in the list) read last, or first when the search sends
/// them left (scikit-learn's two passes).
#[derive(Clone, Copy)]
pub(super) struct Layout {
    pub(super) start: usize,
    pub(super) end_nm: usize,
    pub(super) n_missing: usize,
    pub(super) missing_first: bool,
}

impl Layout {
    /// Index in the sorted list of the sample read at position `q`.
    #[inline]
    pub(super) fn at(&self, q: usize) -> usize {
        if !self.missing_first {
            q
        } else if q < self.start + self.n_missing {
            self.end_nm + (q - self.start)
        } else {
            q - self.n_missing
        }
    }
}

/// The best split found so far in a node.
pub(super) struct Best {
    pub(super) proxy: f64,
    pub(super) feature: usize,
    pub(super) threshold: f64,
    pub(super) missing_left: bool,
    /// Categorical split: the categories going left and right.
    pub(super) categories: Option<(Vec<u32>, Vec<u32>)>,
}

impl NodeSplitter for Splitter<'_> {
    fn samples(&self) -> usize {
        Splitter::samples(self)
    }

    fn summarise(&self, start: usize, end: usize) -> NodeSummary {
        Splitter::summarise(self, start, end)
    }

    fn node_split(
        &mut self,
        start: usize,
        end: usize,
        (impurity, children_may_split): (f64, bool),
        node: &NodeSummary,
        n_constant: &mut usize,
    ) -> Option<Split> {
        self.children_split = children_may_split;
        Splitter::node_split(self, start, end, impurity, node, n_constant)
    }

    fn children(&self, start: usize, end: usize, split: &Split) -> [(usize, usize); 2] {
        self.children_of(start, end, split.pos)
    }

    fn release_above(&mut self, end: usize) {
        Splitter::release_above(self, end);
    }
}

pub(crate) struct Splitter<'a> {
    pub data: &'a TrainSet<'a>,
    pub criterion: CartCriterion,
    /// Per feature, the samples sorted by that feature (ties by sample
    /// index); every node is one range, the same in all features.
    pub(super) sorted: Vec<Vec<u32>>,
    /// The feature values in the same orders (read contiguously).
    pub(super) sorted_values: Vec<Vec<f32>>,
    pub(super) vbuf: Vec<f32>,
    /// The feature whose order `update` and `children_impurity` read.
    pub(super) cur: usize,
    pub(super) goes_left: Vec<bool>,
    pub(super) buf: Vec<u32>,
    pub(super) features: Vec<usize>,
    pub(super) constant_features: Vec<usize>,
    pub(super) rand: u32,
    pub min_samples_leaf: usize,
    pub min_weight_leaf: f64,
    /// Features to search at each node, at most the number of features.
    pub(super) max_features: usize,
    pub w_total: f64,
    /// Every weight is 1 (no weight is read then).
    pub(super) unit_weights: bool,
    /// Whether the children of the node being split may be split in turn.
    pub(super) children_split: bool,
    /// Samples taking part (those of non-zero weight).
    pub(super) n_samples: usize,
    /// Children laid out right then left (see `partition_marked`).
    pub(super) mirror: bool,
    /// Positions still held in the sorted orders and buffers.
    pub(super) kept: usize,
    /// Growth from the top without presorting (see [`super::top`]).
    pub(super) top: Option<super::top::TopRows>,
    /// Ranks and buffers of the absolute-error search.
    pub(super) absolute: super::absolute::AbsoluteScratch,
}

/// The pairs (value, row) of `rows` (ascending) for feature `f`, sorted by
/// value (the order of `f32::total_cmp`, missing values last); ties keep
/// ascending rows (a stable radix sort).
pub(super) fn sorted_by_value(data: &TrainSet<'_>, f: usize, rows: &[u32]) -> Vec<(f32, u32)> {
    let column = data.x.column(f);
    let mut keyed: Vec<(f32, u32)> = rows
        .iter()
        .map(|&r| {
            let v = column[r as usize];
            (if v.is_nan() { f32::NAN } else { v as f32 }, r)
        })
        .collect();
    radsort::sort_by_key(&mut keyed, |e| e.0);
    keyed
}

impl<'a> Splitter<'a> {
    pub fn new(
        data: &'a TrainSet<'a>,
        criterion: CartCriterion,
        seed: u32,
        min_samples_leaf: usize,
        min_weight_leaf: f64,
        max_features: usize,
        releasing: bool,
    ) -> Self {
        let rows: Vec<u32> = (0..data.n as u32)
            .filter(|&i| data.weights[i as usize] != 0.0)
            .collect();
        let mut sp = Self::unsorted(data, criterion, seed, (min_samples_leaf, min_weight_leaf));
        sp.max_features = max_features;
        sp.presort(&rows, releasing);
        sp.goes_left = vec![false; data.n];
        sp
    }

    /// A splitter of no sample yet (see [`Splitter::presort`] and
    /// `top`): no order, no buffer.
    pub(super) fn unsorted(
        data: &'a TrainSet<'a>,
        criterion: CartCriterion,
        seed: u32,
        (min_samples_leaf, min_weight_leaf): (usize, f64),
    ) -> Self {
        Self {
            data,
            criterion,
            sorted: vec![Vec::new(); data.d],
            sorted_values: vec![Vec::new(); data.d],
            vbuf: Vec::new(),
            cur: 0,
            goes_left: Vec::new(),
            buf: Vec::new(),
            features: (0..data.d).collect(),
            constant_features: vec![0; data.d],
            rand: seed,
            min_samples_leaf,
            min_weight_leaf,
            max_features: data.d,
            w_total: data.weights.iter().sum(),
            unit_weights: data.weights.iter().all(|&w| w == 1.0),
            children_split: true,
            n_samples: 0,
            mirror: false,
            kept: 0,
            top: None,
            absolute: Default::default(),
        }
    }

    /// Sorts `rows` (ascending) by every feature, on all threads: positions
    /// `0..rows.len()` are then the root's; the buffers take that many.
    pub(super) fn presort(&mut self, rows: &[u32], releasing: bool) {
        let data = self.data;
        let m = rows.len();
        (self.sorted, self.sorted_values) = (0..data.d)
            .into_par_iter()
            .map(|f| {
                let keyed = sorted_by_value(data, f, rows);
                let mut order = reserved(m, releasing);
                let mut values = reserved(m, releasing);
                order.extend(keyed.iter().map(|e| e.1));
                values.extend(keyed.iter().map(|e| e.0));
                (order, values)
            })
            .unzip();
        self.n_samples = m;
        self.vbuf = reserved(m, releasing);
        self.vbuf.resize(m, 0.0);
        self.buf = reserved(m, releasing);
        self.buf.resize(m, 0);
        self.kept = m;
    }

    /// Number of samples taking part: those of non-zero weight.
    pub fn samples(&self) -> usize {
        self.n_samples
    }

    fn rand_int(&mut self, low: usize, high: usize) -> usize {
        criterion::rand_int(&mut self.rand, low, high)
    }

    fn width(&self) -> usize {
        if self.criterion.is_regression() {
            1
        } else {
            self.data.n_classes
        }
    }

    pub(super) fn add(&self, sums: &mut [f64], sq: &mut f64, sample: u32, sign: f64) {
        let w = self.data.weights[sample as usize] * sign;
        match (self.data.classes, self.data.targets) {
            (Some(c), _) => sums[c[sample as usize] as usize] += w,
            (_, Some(t)) => {
                let y = t[sample as usize];
                sums[0] += w * y;
                *sq += w * y * y;
            }
            _ => unreachable!("a target is set"),
        }
    }

    /// The samples of the node `start..end` (in some order).
    pub(super) fn node_samples(&self, start: usize, end: usize) -> &[u32] {
        match &self.top {
            Some(top) => &top.rows[start..end],
            None => &self.sorted[0][start..end],
        }
    }

    fn node_sums(&self, start: usize, end: usize) -> Sums {
        let mut total = ClassSums::from_elem(0.0, self.width());
        let mut sq = 0.0;
        let mut w = 0.0;
        for &s in self.node_samples(start, end) {
            self.add(&mut total, &mut sq, s, 1.0);
            w += self.data.weights[s as usize];
        }
        Sums {
            left: ClassSums::from_elem(0.0, total.len()),
            total,
            sq_total: sq,
            w_node: w,
            w_left: 0.0,
            pos: start,
        }
    }

    /// Weighted samples, impurity and value of a node, from one pass over
    /// its samples.
    pub fn summarise(&self, start: usize, end: usize) -> NodeSummary {
        let mut sums = self.node_sums(start, end);
        let mut value: ClassSums = sums.total.iter().map(|v| v / sums.w_node).collect();
        match self.criterion {
            CartCriterion::Poisson => {
                sums.sq_total =
                    self.poisson_loss(self.node_samples(start, end), sums.total[0], sums.w_node);
            }
            CartCriterion::AbsoluteError => {
                let rows = self.node_samples(start, end).iter().copied();
                let (median, error) = self.absolute_error_of(rows);
                (value[0], sums.sq_total) = (median, error);
            }
            _ => {}
        }
        NodeSummary {
            w: sums.w_node,
            impurity: self.impurity_of(&sums.total, sums.sq_total, sums.w_node),
            value,
            sums,
        }
    }

    fn impurity_of(&self, sums: &[f64], sq: f64, w: f64) -> f64 {
        criterion::impurity(self.criterion, sums, sq, w)
    }

    /// Moves the samples read at positions `pos..new_pos` to the left
    /// child: forward from `pos`, or backward from `end` after putting every
    /// sample left, whichever reads fewer samples (scikit-learn's order).
    pub(super) fn update(&self, s: &mut Sums, lay: &Layout, end: usize, new_pos: usize) {
        let order = &self.sorted[self.cur];
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

    /// Asks for the weight and label of `sample` ahead of their use.
    #[inline(always)]
    pub(super) fn prefetch_sample(&self, sample: usize) {
        if !self.unit_weights {
            if let Some(w) = self.data.weights.get(sample) {
                prefetch(w);
            }
        }
        match (self.data.classes, self.data.targets) {
            (Some(c), _) => c.get(sample).map(prefetch),
            (_, Some(t)) => t.get(sample).map(prefetch),
            _ => None,
        };
    }

    /// Σ w·y·ln(y/ȳ) of `samples`, ȳ = `sum / w` (Poisson).
    pub(super) fn poisson_loss(&self, samples: &[u32], sum: f64, w: f64) -> f64 {
        let t = self.data.targets.expect("regression");
        criterion::poisson_loss(
            samples
                .iter()
                .map(|&s| (self.data.weights[s as usize], t[s as usize])),
            sum,
            w,
        )
    }

    /// Σ w·y² of the samples read at positions `start..pos` (regression).
    fn sq_left(&self, lay: &Layout, pos: usize) -> f64 {
        let targets = self.data.targets.expect("regression");
        (lay.start..pos)
            .map(|q| {
                let smp = self.sorted[self.cur][lay.at(q)] as usize;
                self.data.weights[smp] * targets[smp] * targets[smp]
            })
            .sum()
    }

    pub(super) fn proxy(&self, s: &Sums) -> f64 {
        criterion::proxy(self.criterion, s)
    }

    fn children_impurity(&self, s: &Sums, sq_left: f64) -> (f64, f64) {
        criterion::children_impurity(self.criterion, s, sq_left)
    }

    /// The best split of the node `start..end` (summarised in `node`, whose
    /// `impurity` is the parent's view of it); `n_constant` is the number of
    /// features known constant in the parent, updated in place.
    pub fn node_split(
        &mut self,
        start: usize,
        end: usize,
        impurity: f64,
        node: &NodeSummary,
        n_constant: &mut usize,
    ) -> Option<Split> {
        let d = self.data.d;
        let mut f_i = d;
        let mut n_visited = 0usize;
        let mut n_found_constants = 0usize;
        let mut n_drawn_constants = 0usize;
        let n_known_constants = *n_constant;
        let mut n_total_constants = n_known_constants;
        let mut best: Option<Best> = None;
        let base = node.sums.clone();
        let mut scratch = Sums::zero(base.total.len());
        if self.criterion == CartCriterion::AbsoluteError {
            self.rank_node(start, end);
        }
        while f_i > n_total_constants
            && (n_visited < self.max_features || n_visited <= n_found_constants + n_drawn_constants)
        {
            if self.data.interrupt.is_set() {
                // The fit returns `Interrupted`: this node's split is moot.
                break;
            }
            n_visited += 1;
            let mut f_j = self.rand_int(n_drawn_constants, f_i - n_found_constants);
            if f_j < n_known_constants {
                self.features.swap(n_drawn_constants, f_j);
                n_drawn_constants += 1;
                continue;
            }
            f_j += n_found_constants;
            let feature = self.features[f_j];
            self.show(feature, start, end);
            let varies =
                self.search_feature(feature, (start, end), (&base, &mut scratch), &mut best);
            self.hide(feature);
            if !varies {
                self.features.swap(f_j, n_total_constants);
                n_found_constants += 1;
                n_total_constants += 1;
                continue;
            }
            f_i -= 1;
            self.features.swap(f_i, f_j);
        }
        // Known constants keep their order for siblings and children; newly
        // found ones are recorded.
        self.features[..n_known_constants]
            .copy_from_slice(&self.constant_features[..n_known_constants]);
        let (lo, hi) = (n_known_constants, n_known_constants + n_found_constants);
        self.constant_features[lo..hi].copy_from_slice(&self.features[lo..hi]);
        *n_constant = n_total_constants;
        let Best {
            feature,
            threshold,
            missing_left,
            categories,
            ..
        } = best?;
        self.show(feature, start, end);
        if let Some(cats) = categories {
            let split =
                self.finish_categorical((feature, cats, missing_left), start, end, impurity, base);
            self.hide(feature);
            return Some(split);
        }
        // Rows with x <= threshold go left (a prefix of the feature's
        // order), and the missing ones (last) when they go left.
        self.cur = feature;
        let values = &self.sorted_values[feature][start..end];
        let n_missing = values.iter().rev().take_while(|v| v.is_nan()).count();
        let end_nm = end - n_missing;
        let below = values
            .iter()
            .take_while(|&&v| f64::from(v) <= threshold)
            .count();
        let moved = if missing_left { n_missing } else { 0 };
        let pos = start + below + moved;
        let lay = Layout {
            start,
            end_nm,
            n_missing,
            missing_first: missing_left,
        };
        let mut sums = base;
        sums.pos = start;
        self.update(&mut sums, &lay, end, pos);
        let (impurity_left, impurity_right) = match self.criterion {
            CartCriterion::Poisson => {
                let order = &self.sorted[feature];
                let left: Vec<u32> = (start..pos).map(|q| order[lay.at(q)]).collect();
                let right: Vec<u32> = (pos..end).map(|q| order[lay.at(q)]).collect();
                let sum_right = sums.total[0] - sums.left[0];
                let w_right = sums.w_node - sums.w_left;
                criterion::poisson_children(
                    &sums,
                    self.poisson_loss(&left, sums.left[0], sums.w_left),
                    self.poisson_loss(&right, sum_right, w_right),
                )
            }
            CartCriterion::AbsoluteError => {
                let order = &self.sorted[feature];
                let (_, left) = self.absolute_error_of((start..pos).map(|q| order[lay.at(q)]));
                let (_, right) = self.absolute_error_of((pos..end).map(|q| order[lay.at(q)]));
                (left / sums.w_left, right / (sums.w_node - sums.w_left))
            }
            CartCriterion::SquaredError => {
                let sq_left = self.sq_left(&lay, pos);
                self.children_impurity(&sums, sq_left)
            }
            _ => self.children_impurity(&sums, 0.0),
        };
        let w_right = sums.w_node - sums.w_left;
        let improvement = (sums.w_node / self.w_total)
            * (impurity
                - w_right / sums.w_node * impurity_right
                - sums.w_left / sums.w_node * impurity_left);
        self.partition(feature, start, start + below, (end_nm, moved), end);
        self.hide(feature);
        Some(Split {
            feature,
            threshold,
            pos,
            missing_left,
            categories: None,
            impurity_left,
            impurity_right,
            improvement,
        })
    }
}
