//! Association rules from frequent itemsets.

use std::str::FromStr;

use rayon::prelude::*;

use super::itemsets::{FrequentItemsets, ItemsetKind};
use super::pvalue::{chi_squared, correct, fisher_greater, Correction, PValueTest};
use super::rules_measures::{Measures, Metric};
use crate::error::{CiblageError, Result};
use crate::interrupt::Interrupt;

/// Which rules an itemset gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Consequents {
    /// Every split of an itemset into two non-empty sides, as mlxtend
    /// (default).
    #[default]
    All,
    /// One item as consequent, the rest as antecedent, as R's arules and
    /// Spark MLlib.
    Single,
}

impl FromStr for Consequents {
    type Err = CiblageError;

    /// Parses `"all"` or `"single"`.
    fn from_str(name: &str) -> Result<Self> {
        match name {
            "all" => Ok(Self::All),
            "single" => Ok(Self::Single),
            other => Err(CiblageError::param(
                "consequents",
                format!("expected \"all\" or \"single\", got {other:?}"),
            )),
        }
    }
}

/// Association rules A → C from frequent itemsets, with every measure
/// of [`Measures`], kept when a metric reaches a threshold (mlxtend's
/// `association_rules(df, metric=, min_threshold=)`).
///
/// ```
/// use ciblage::basket::{AssociationRules, FpGrowth, Metric, OrderLines};
/// // Baskets {0, 1}, {0, 1}, {0}, {1, 2}.
/// let lines = OrderLines::from_codes(&[0, 0, 1, 1, 2, 3, 3], &[0, 1, 0, 1, 0, 1, 2])?;
/// let sets = FpGrowth::params().min_count(2).score(&lines)?;
/// let rules = AssociationRules::params().metric(Metric::Confidence).min_threshold(0.6).score(&sets)?;
/// // {0} -> {1}: confidence 2/3; {1} -> {0}: 2/3 as well.
/// assert_eq!(rules.len(), 2);
/// assert_eq!(rules.antecedent(0), &[0]);
/// assert!((rules.measures(0).confidence - 2.0 / 3.0).abs() < 1e-12);
/// # Ok::<(), ciblage::CiblageError>(())
/// ```
pub struct AssociationRules;

impl AssociationRules {
    /// Parameters with their defaults: confidence at least 0.8, every
    /// split, no p-value.
    pub fn params() -> AssociationRulesParams {
        AssociationRulesParams::default()
    }
}

/// Builder of [`AssociationRules`]; [`AssociationRulesParams::check`]
/// validates it.
#[derive(Debug, Clone, PartialEq)]
pub struct AssociationRulesParams {
    metric: Metric,
    min_threshold: f64,
    consequents: Consequents,
    p_value: Option<PValueTest>,
    correction: Correction,
    interrupt: Interrupt,
}

impl Default for AssociationRulesParams {
    fn default() -> Self {
        Self {
            metric: Metric::Confidence,
            min_threshold: 0.8,
            consequents: Consequents::All,
            p_value: None,
            correction: Correction::None,
            interrupt: Interrupt::default(),
        }
    }
}

impl AssociationRulesParams {
    /// The measure compared with [`Self::min_threshold`] (default
    /// confidence).
    #[must_use]
    pub fn metric(mut self, metric: Metric) -> Self {
        self.metric = metric;
        self
    }

    /// The least value of the metric a rule needs (default 0.8; any
    /// number but NaN).
    #[must_use]
    pub fn min_threshold(mut self, threshold: f64) -> Self {
        self.min_threshold = threshold;
        self
    }

    /// Which rules an itemset gives (default every split).
    #[must_use]
    pub fn consequents(mut self, consequents: Consequents) -> Self {
        self.consequents = consequents;
        self
    }

    /// The test giving each rule a p-value (default none).
    #[must_use]
    pub fn p_value(mut self, test: Option<PValueTest>) -> Self {
        self.p_value = test;
        self
    }

    /// The correction of the p-values for multiple testing (default
    /// none), over every rule the itemsets give before the threshold.
    #[must_use]
    pub fn correction(mut self, correction: Correction) -> Self {
        self.correction = correction;
        self
    }

    /// The token that stops the derivation (checked per itemset chunk).
    #[must_use]
    pub fn interrupt(mut self, token: Interrupt) -> Self {
        self.interrupt = token;
        self
    }

    /// Validates every parameter.
    ///
    /// # Errors
    /// [`CiblageError::InvalidParameter`] naming `min_threshold` (NaN) or
    /// `correction` (a correction without a p-value test).
    pub fn check(self) -> Result<AssociationRulesValidParams> {
        if self.min_threshold.is_nan() {
            return Err(CiblageError::param(
                "min_threshold",
                "must be a number, got NaN",
            ));
        }
        if self.p_value.is_none() && self.correction != Correction::None {
            return Err(CiblageError::param(
                "correction",
                "corrects p-values: set p_value (\"fisher\" or \"chi2\") too",
            ));
        }
        Ok(AssociationRulesValidParams(self))
    }

    /// Shortcut for `self.check()?.score(itemsets)`.
    ///
    /// # Errors
    /// As [`AssociationRulesParams::check`] and
    /// [`AssociationRulesValidParams::score`].
    pub fn score(self, itemsets: &FrequentItemsets) -> Result<Rules> {
        self.check()?.score(itemsets)
    }
}

/// Validated [`AssociationRulesParams`].
#[derive(Debug, Clone, PartialEq)]
pub struct AssociationRulesValidParams(AssociationRulesParams);

/// One candidate rule: the two sides (flat), its counts.
struct Candidate {
    antecedent: Vec<u32>,
    consequent: Vec<u32>,
    n_a: u64,
    n_c: u64,
    n_ac: u64,
}

/// The largest itemset split every way (2^24 rules from one itemset).
const MAX_SPLIT_LEN: usize = 24;

/// Itemsets per interrupt check.
const CHUNK: usize = 4096;

impl AssociationRulesValidParams {
    /// The rules of `itemsets`, in itemset order, then by antecedent
    /// (largest first, then in lexicographic order of the item positions).
    ///
    /// # Errors
    /// [`CiblageError::InvalidParameter`] (`itemsets`) when the itemsets
    /// are closed or maximal only (a rule needs the support of its
    /// sides), [`CiblageError::Interrupted`] when the token is set.
    pub fn score(&self, itemsets: &FrequentItemsets) -> Result<Rules> {
        let p = &self.0;
        if itemsets.kind() != ItemsetKind::All {
            return Err(CiblageError::param(
                "itemsets",
                "rules need every frequent itemset (the supports of both sides): mine with closed and maximal off",
            ));
        }
        let index = itemsets.index();
        let count_of = |set: &[u32]| index.get(set).map(|&i| itemsets.count(i));
        let starts: Vec<usize> = (0..itemsets.len()).step_by(CHUNK).collect();
        let chunks: Vec<Vec<Candidate>> = starts
            .par_iter()
            .map(|&start| {
                p.interrupt.check()?;
                let mut out = Vec::new();
                for i in start..(start + CHUNK).min(itemsets.len()) {
                    let set = itemsets.itemset(i);
                    if set.len() < 2 {
                        continue;
                    }
                    if p.consequents == Consequents::All && set.len() > MAX_SPLIT_LEN {
                        return Err(CiblageError::param(
                            "consequents",
                            format!(
                                "an itemset of {} items gives 2^{} rules with consequents \"all\": set max_len or use \"single\"",
                                set.len(),
                                set.len()
                            ),
                        ));
                    }
                    for (antecedent, consequent) in splits(set, p.consequents) {
                        // Subsets of a frequent itemset are frequent and mined.
                        let (Some(n_a), Some(n_c)) = (count_of(&antecedent), count_of(&consequent)) else {
                            return Err(CiblageError::param(
                                "itemsets",
                                "a subset of a frequent itemset is missing: pass the itemsets as mined",
                            ));
                        };
                        out.push(Candidate {
                            antecedent,
                            consequent,
                            n_a,
                            n_c,
                            n_ac: itemsets.count(i),
                        });
                    }
                }
                Ok(out)
            })
            .collect::<Result<_>>()?;
        let candidates: Vec<Candidate> = chunks.into_iter().flatten().collect();
        let n = itemsets.n_baskets() as u64;
        let raw_p: Option<Vec<f64>> = p.p_value.map(|test| {
            candidates
                .par_iter()
                .map(|c| match test {
                    PValueTest::Fisher => fisher_greater(n, c.n_a, c.n_c, c.n_ac),
                    PValueTest::ChiSquared => chi_squared(n, c.n_a, c.n_c, c.n_ac),
                })
                .collect()
        });
        let adjusted = raw_p.as_ref().map(|raw| correct(raw, p.correction));
        p.interrupt.check()?;
        let nf = n as f64;
        let mut rules = Rules {
            n_baskets: itemsets.n_baskets(),
            ..Rules::default()
        };
        for (k, c) in candidates.into_iter().enumerate() {
            let m =
                Measures::from_supports(c.n_a as f64 / nf, c.n_c as f64 / nf, c.n_ac as f64 / nf);
            // No measure is NaN: both sides of a rule have a positive support.
            if p.metric.of(&m) < p.min_threshold {
                continue;
            }
            rules.antecedents.extend_from_slice(&c.antecedent);
            rules.antecedent_ends.push(rules.antecedents.len());
            rules.consequents.extend_from_slice(&c.consequent);
            rules.consequent_ends.push(rules.consequents.len());
            rules.counts.push([c.n_a, c.n_c, c.n_ac]);
            rules.measures.push(m);
            if let (Some(raw), Some(adj)) = (&raw_p, &adjusted) {
                rules.p_values.push(raw[k]);
                rules.p_values_adjusted.push(adj[k]);
            }
        }
        rules.has_p_values = raw_p.is_some();
        Ok(rules)
    }
}

/// The rules of one itemset as (antecedent, consequent) pairs: for every
/// split, antecedents from the largest to the smallest, each size in
/// lexicographic order of positions (mlxtend's order); for single
/// consequents, the itemset less one item, from the last item to the
/// first.
fn splits(set: &[u32], consequents: Consequents) -> Vec<(Vec<u32>, Vec<u32>)> {
    let len = set.len();
    let side = |mask: u64, inside: bool| -> Vec<u32> {
        (0..len)
            .filter(|&k| (mask & (1 << k) != 0) == inside)
            .map(|k| set[k])
            .collect()
    };
    match consequents {
        Consequents::Single => (0..len)
            .rev()
            .map(|k| {
                let mut antecedent = set.to_vec();
                let consequent = vec![antecedent.remove(k)];
                (antecedent, consequent)
            })
            .collect(),
        Consequents::All => {
            let full: u64 = (1u64 << len) - 1;
            let mut masks: Vec<u64> = (1..full).collect();
            masks.sort_by_key(|m| {
                (
                    std::cmp::Reverse(m.count_ones()),
                    std::cmp::Reverse(m.reverse_bits()),
                )
            });
            masks
                .into_iter()
                .map(|m| (side(m, true), side(m, false)))
                .collect()
        }
    }
}

/// Association rules with their counts, measures and (when asked)
/// p-values.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Rules {
    antecedents: Vec<u32>,
    antecedent_ends: Vec<usize>,
    consequents: Vec<u32>,
    consequent_ends: Vec<usize>,
    /// Baskets holding the antecedent, the consequent, both.
    counts: Vec<[u64; 3]>,
    measures: Vec<Measures>,
    p_values: Vec<f64>,
    p_values_adjusted: Vec<f64>,
    has_p_values: bool,
    n_baskets: usize,
}

fn slice_at<'a>(items: &'a [u32], ends: &[usize], i: usize) -> &'a [u32] {
    let start = if i == 0 { 0 } else { ends[i - 1] };
    &items[start..ends[i]]
}

impl Rules {
    /// The number of rules.
    pub fn len(&self) -> usize {
        self.measures.len()
    }

    /// Whether there is no rule.
    pub fn is_empty(&self) -> bool {
        self.measures.is_empty()
    }

    /// Rule `i`'s antecedent (product codes, ascending).
    pub fn antecedent(&self, i: usize) -> &[u32] {
        slice_at(&self.antecedents, &self.antecedent_ends, i)
    }

    /// Rule `i`'s consequent (product codes, ascending).
    pub fn consequent(&self, i: usize) -> &[u32] {
        slice_at(&self.consequents, &self.consequent_ends, i)
    }

    /// Rule `i`'s measures.
    pub fn measures(&self, i: usize) -> &Measures {
        &self.measures[i]
    }

    /// Baskets holding rule `i`'s antecedent, consequent, and both.
    pub fn counts(&self, i: usize) -> [u64; 3] {
        self.counts[i]
    }

    /// Every rule's value of `metric`.
    pub fn column(&self, metric: Metric) -> Vec<f64> {
        self.measures.iter().map(|m| metric.of(m)).collect()
    }

    /// The p-values, when a test was asked for.
    pub fn p_values(&self) -> Option<&[f64]> {
        self.has_p_values.then_some(self.p_values.as_slice())
    }

    /// The corrected p-values, when a test was asked for (equal to the
    /// p-values without a correction).
    pub fn p_values_adjusted(&self) -> Option<&[f64]> {
        self.has_p_values
            .then_some(self.p_values_adjusted.as_slice())
    }

    /// The number of baskets mined.
    pub fn n_baskets(&self) -> usize {
        self.n_baskets
    }

    /// Both sides of every rule, flat, with the end of each in them:
    /// `(antecedents, antecedent_ends, consequents, consequent_ends)`.
    pub fn flat(&self) -> (&[u32], &[usize], &[u32], &[usize]) {
        (
            &self.antecedents,
            &self.antecedent_ends,
            &self.consequents,
            &self.consequent_ends,
        )
    }
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
