//! The sparse exact splitter's search of one feature in a node: its
//! entries in sorted order with the zero block at its place (after the
//! negative values and -0.0, before the positive ones), one candidate between each
//! pair of consecutive distinct values (as the dense splitter: values
//! within 1e-7 are not split apart), the left sums running forward, the
//! zero block's sums being the node's totals minus the entries' (no zero
//! is read), the best candidate kept by strict improvement (the first of
//! equal ones).

use crate::tree::cart::params::CartCriterion;
use crate::tree::cart::shared::criterion::{self, ClassSums, Sums};
use crate::tree::cart::shared::data::{threshold_between, FEATURE_THRESHOLD};
use crate::tree::cart::sparse::exact::entries::Span;
use crate::tree::cart::sparse::exact::SparseSplitter;

/// The best split found so far in a node.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Found {
    pub proxy: f64,
    pub feature: usize,
    /// The split feature's entries in the node.
    pub span: Span,
    pub threshold: f64,
    /// Where samples missing the feature go at prediction (none did in
    /// training): towards the larger child, as the dense splitter.
    pub missing_left: bool,
}

/// How a search adds a row to running sums of type `S`, adds sums to
/// sums, and judges a candidate: its proxy from the left sums and the
/// children's weights, or `None` when it cannot beat the best proxy so far.
struct Judge<S, A, B, P> {
    add: A,
    add_sums: B,
    proxy: P,
    _sums: std::marker::PhantomData<S>,
}

impl SparseSplitter<'_> {
    /// Searches the feature of `span` (its entries in a node of `n_node`
    /// rows, node sums `base`), updating `best`; false when the feature is
    /// constant in the node.
    pub(super) fn search(
        &self,
        span: Span,
        n_node: usize,
        base: &Sums,
        best: &mut Option<Found>,
    ) -> bool {
        let vals = &self.entries.vals[span.range()];
        let len = vals.len();
        let zeros = n_node - len;
        let negatives = if vals[0] > 0.0 {
            0
        } else {
            vals.partition_point(|&v| v.is_sign_negative())
        };
        // The smallest and largest values, zeros included.
        let lo = if negatives == 0 && zeros > 0 {
            0.0
        } else {
            vals[0]
        };
        let hi = if negatives == len && zeros > 0 {
            0.0
        } else {
            vals[len - 1]
        };
        if hi <= lo + FEATURE_THRESHOLD {
            return false;
        }
        let layout = (negatives, zeros, n_node);
        match (self.criterion, self.data.classes, self.data.targets) {
            (CartCriterion::Gini, Some(classes), _) if self.data.n_classes == 2 => {
                let total = [base.total[0], base.total[1]];
                let judge = Judge {
                    add: |s: &mut [f64; 2], row: usize, w: f64| {
                        s[usize::from(classes[row] != 0)] += w;
                    },
                    add_sums: |s: &mut [f64; 2], o: &[f64; 2]| {
                        s[0] += o[0];
                        s[1] += o[1];
                    },
                    proxy: |left: &[f64; 2], (w_left, w_right): (f64, f64), _: Option<f64>| {
                        Some(criterion::gini2_proxy(*left, total, w_left, w_right))
                    },
                    _sums: std::marker::PhantomData,
                };
                self.scan(span, layout, (total, [0.0; 2], base.w_node), judge, best);
            }
            (CartCriterion::SquaredError, _, Some(targets)) => {
                let total = base.total[0];
                let judge = Judge {
                    add: |s: &mut [f64; 1], row: usize, w: f64| s[0] += w * targets[row],
                    add_sums: |s: &mut [f64; 1], o: &[f64; 1]| s[0] += o[0],
                    proxy: |left: &[f64; 1], ws: (f64, f64), best: Option<f64>| {
                        criterion::squared_proxy(left[0], total, ws, best)
                    },
                    _sums: std::marker::PhantomData,
                };
                self.scan(span, layout, ([total], [0.0], base.w_node), judge, best);
            }
            _ => {
                let mut scratch = base.clone();
                let criterion = self.criterion;
                let (classes, targets) = (self.data.classes, self.data.targets);
                let judge = Judge {
                    add: |s: &mut ClassSums, row: usize, w: f64| match (classes, targets) {
                        (Some(c), _) => s[c[row] as usize] += w,
                        (_, Some(t)) => s[0] += w * t[row],
                        _ => unreachable!("a target is set"),
                    },
                    add_sums: |s: &mut ClassSums, o: &ClassSums| {
                        for (a, b) in s.iter_mut().zip(o) {
                            *a += b;
                        }
                    },
                    proxy: move |left: &ClassSums, (w_left, _): (f64, f64), _: Option<f64>| {
                        criterion::copy_sums(&mut scratch.left, left);
                        scratch.w_left = w_left;
                        Some(criterion::proxy(criterion, &scratch))
                    },
                    _sums: std::marker::PhantomData,
                };
                let zero = ClassSums::from_elem(0.0, base.total.len());
                self.scan(
                    span,
                    layout,
                    (base.total.clone(), zero, base.w_node),
                    judge,
                    best,
                );
            }
        }
        true
    }

    /// The pass over the entries of `span` (`negatives` of them below 0,
    /// `zeros` implicit zeros, `n_node` rows in all) with running sums of
    /// type `S` (`total` of the node, `empty` sums, weight `w_node`),
    /// candidates judged by `judge`; updates `best`.
    fn scan<S: Clone, A, B, P>(
        &self,
        span: Span,
        (negatives, zeros, n_node): (usize, usize, usize),
        (total, empty, w_node): (S, S, f64),
        mut judge: Judge<S, A, B, P>,
        best: &mut Option<Found>,
    ) where
        A: Fn(&mut S, usize, f64),
        B: Fn(&mut S, &S),
        P: FnMut(&S, (f64, f64), Option<f64>) -> Option<f64>,
    {
        let rows = &self.entries.rows[span.range()];
        let vals = &self.entries.vals[span.range()];
        let len = rows.len();
        let weights = &self.data.weights;
        let unit = self.unit_weights;
        let weight = |row: usize| if unit { 1.0 } else { weights[row] };
        // The zero block's sums: the node's minus every entry's (from the
        // last, as a search from the end takes them off the node's).
        let (mut zero, mut w_zero) = (total, w_node);
        if zeros > 0 {
            for &r in rows.iter().rev() {
                let w = weight(r as usize);
                (judge.add)(&mut zero, r as usize, -w);
                w_zero -= w;
            }
        }
        let (min_samples, min_weight) = (self.leaf.min_samples, self.leaf.min_weight);
        let last = vals[len - 1];
        let mut left = empty;
        let (mut w_left, mut n_left) = (0.0, 0usize);
        let mut zeros_done = zeros == 0;
        let mut prev = f32::NAN;
        let mut k = 0;
        loop {
            let at_zeros = !zeros_done && k == negatives;
            let v = if at_zeros {
                0.0
            } else if k < len {
                vals[k]
            } else {
                break;
            };
            // A candidate between `prev` and `v` (NaN at the first item:
            // no candidate), the items read so far going left.
            if v > prev + FEATURE_THRESHOLD {
                let n_right = n_node - n_left;
                let w_right = w_node - w_left;
                if n_left >= min_samples
                    && n_right >= min_samples
                    && w_left >= min_weight
                    && w_right >= min_weight
                {
                    let current = best.as_ref().map(|b| b.proxy);
                    if let Some(proxy) = (judge.proxy)(&left, (w_left, w_right), current) {
                        if current.is_none_or(|c| proxy > c) {
                            *best = Some(Found {
                                proxy,
                                feature: span.feature as usize,
                                span,
                                threshold: threshold_between(prev, v),
                                missing_left: n_left > n_right,
                            });
                        }
                    }
                }
            }
            // Past the zeros, the rest equal to the last value: no other
            // candidate.
            if zeros_done && !at_zeros && v == last {
                break;
            }
            prev = v;
            if at_zeros {
                (judge.add_sums)(&mut left, &zero);
                w_left += w_zero;
                n_left += zeros;
                zeros_done = true;
            } else {
                let r = rows[k] as usize;
                let w = weight(r);
                (judge.add)(&mut left, r, w);
                w_left += w;
                n_left += 1;
                k += 1;
            }
        }
    }
}
