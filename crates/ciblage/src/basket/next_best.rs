//! Next-best product per customer, from association rules.
//!
//! A rule `antecedent → consequent` applies to a customer whose purchase
//! history holds every item of its antecedent (a rule with an empty
//! antecedent applies to everyone). Each consequent item the customer has
//! not bought yet is a candidate, scored by the rule:
//!
//! - [`NextBestRank::LiftConfidence`]: lift × confidence;
//! - [`NextBestRank::ExpectedMargin`]: confidence × the product's margin.
//!
//! A product proposed by several rules keeps its best rule: the highest
//! score, then the highest confidence, then the highest lift, then the
//! first rule in the table. Each customer gets at most `k` products, by
//! score (highest first), ties broken by the smaller product code. Customers
//! are processed in parallel in fixed chunks; the result does not depend on
//! the thread count nor on the order of the lines.
//!
//! ```
//! use ciblage::basket::{CandidateRule, NextBest, PurchaseHistory};
//!
//! let rules = vec![
//!     CandidateRule { antecedent: vec![1], consequent: vec![2], confidence: 0.5, lift: 2.0 },
//!     CandidateRule { antecedent: vec![1, 3], consequent: vec![4], confidence: 0.9, lift: 3.0 },
//! ];
//! // Customer 0 bought 1 and 3; customer 1 bought 1 and 2.
//! let history = PurchaseHistory::new(&[0, 0, 1, 1], &[1, 3, 1, 2]);
//! let table = NextBest::params().k(2).score(&history, &rules)?;
//! let got: Vec<(u32, u32)> = table.rows.iter().map(|r| (r.customer, r.product)).collect();
//! assert_eq!(got, [(0, 4), (0, 2)]); // 2.7 then 1.0; customer 1 has 2 already
//! assert_eq!(table.customers_without_candidates, 1);
//! # Ok::<(), ciblage::CiblageError>(())
//! ```

use std::cmp::Ordering;
use std::str::FromStr;

use rayon::prelude::*;

use crate::error::{CiblageError, Result};
use crate::interrupt::Interrupt;

/// Customers per task (and between two looks at the interrupt token).
const CUSTOMERS_PER_TASK: usize = 2048;

/// An association rule as the recommender reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct CandidateRule {
    /// Product codes the customer must have bought (all of them).
    pub antecedent: Vec<u32>,
    /// Product codes proposed.
    pub consequent: Vec<u32>,
    /// Confidence of the rule, in [0, 1].
    pub confidence: f64,
    /// Lift of the rule, at least 0.
    pub lift: f64,
}

/// How candidates are ranked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NextBestRank {
    /// Lift × confidence.
    #[default]
    LiftConfidence,
    /// Confidence × the product's margin.
    ExpectedMargin,
}

impl FromStr for NextBestRank {
    type Err = CiblageError;

    /// Parses the `rank` option: `"lift_confidence"` or `"expected_margin"`.
    fn from_str(name: &str) -> Result<Self> {
        match name {
            "lift_confidence" => Ok(Self::LiftConfidence),
            "expected_margin" => Ok(Self::ExpectedMargin),
            other => Err(CiblageError::param(
                "rank",
                format!("expected one of \"lift_confidence\", \"expected_margin\", got {other:?}"),
            )),
        }
    }
}

/// Purchase history as order lines: one (customer, product) per line;
/// repeated pairs count once.
#[derive(Debug, Clone, Copy)]
pub struct PurchaseHistory<'a> {
    /// Customer codes `0..customers`.
    pub customer: &'a [u32],
    /// Product codes.
    pub product: &'a [u32],
}

impl<'a> PurchaseHistory<'a> {
    /// The history of these lines.
    pub fn new(customer: &'a [u32], product: &'a [u32]) -> Self {
        Self { customer, product }
    }
}

/// Entry point of the next-best product: [`NextBest::params`].
#[derive(Debug, Clone, Copy)]
pub struct NextBest;

impl NextBest {
    /// The parameter builder: 3 products per customer, by lift × confidence.
    #[must_use]
    pub fn params() -> NextBestParams {
        NextBestParams {
            k: 3,
            rank: NextBestRank::LiftConfidence,
            margins: None,
            interrupt: Interrupt::default(),
        }
    }
}

/// The parameters of the next-best product (a builder; see [`NextBest`]).
#[derive(Debug, Clone, PartialEq)]
pub struct NextBestParams {
    k: usize,
    rank: NextBestRank,
    margins: Option<Vec<f64>>,
    interrupt: Interrupt,
}

/// Validated parameters: [`NextBestValidParams::score`] recommends.
#[derive(Debug, Clone, PartialEq)]
pub struct NextBestValidParams(NextBestParams);

impl NextBestParams {
    /// The most products per customer (at least 1).
    #[must_use]
    pub fn k(mut self, k: usize) -> Self {
        self.k = k;
        self
    }

    /// How candidates are ranked.
    #[must_use]
    pub fn rank(mut self, rank: NextBestRank) -> Self {
        self.rank = rank;
        self
    }

    /// The margin of each product (by code), for [`NextBestRank::ExpectedMargin`].
    #[must_use]
    pub fn margins(mut self, margins: Vec<f64>) -> Self {
        self.margins = Some(margins);
        self
    }

    /// The token that stops the computation (checked per chunk of customers).
    #[must_use]
    pub fn interrupt(mut self, token: Interrupt) -> Self {
        self.interrupt = token;
        self
    }

    /// Checks every parameter.
    ///
    /// # Errors
    /// [`CiblageError::InvalidParameter`]: `k` of 0, ranking by expected
    /// margin without margins, a non-finite margin.
    pub fn check(self) -> Result<NextBestValidParams> {
        if self.k == 0 {
            return Err(CiblageError::param("k", "expected at least 1, got 0"));
        }
        if self.rank == NextBestRank::ExpectedMargin && self.margins.is_none() {
            return Err(CiblageError::param(
                "margins",
                "ranking by expected margin needs the margin of each product",
            ));
        }
        if let Some((i, m)) = self
            .margins
            .as_ref()
            .and_then(|v| v.iter().enumerate().find(|(_, m)| !m.is_finite()))
        {
            return Err(CiblageError::param(
                "margins",
                format!("non-finite margin {m} for product code {i}"),
            ));
        }
        Ok(NextBestValidParams(self))
    }

    /// Shortcut for `self.check()?.score(history, rules)`.
    ///
    /// # Errors
    /// As [`NextBestParams::check`] and [`NextBestValidParams::score`].
    pub fn score(
        self,
        history: &PurchaseHistory<'_>,
        rules: &[CandidateRule],
    ) -> Result<NextBestTable> {
        self.check()?.score(history, rules)
    }
}

/// One product proposed to one customer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Recommendation {
    /// The customer code.
    pub customer: u32,
    /// 1 for the best product of the customer.
    pub rank: u32,
    /// The product code.
    pub product: u32,
    /// The ranking score.
    pub score: f64,
    /// The confidence of the rule behind it.
    pub confidence: f64,
    /// The lift of the rule behind it.
    pub lift: f64,
    /// The index of the rule behind it in the rules given.
    pub rule: u32,
}

/// The products proposed, customer by customer (ascending code), best first.
#[derive(Debug, Clone, PartialEq)]
pub struct NextBestTable {
    /// At most `k` rows per customer.
    pub rows: Vec<Recommendation>,
    /// Customers with a purchase history.
    pub customers: u64,
    /// Of them, those to whom no rule proposes anything.
    pub customers_without_candidates: u64,
}

/// A rule checked and its antecedent sorted.
struct Rule {
    antecedent: Vec<u32>,
    consequent: Vec<u32>,
    confidence: f64,
    lift: f64,
}

fn check_rules(rules: &[CandidateRule], margins: Option<&[f64]>) -> Result<Vec<Rule>> {
    let bad = |argument: &str, row: usize, value: f64, range: &'static str| {
        CiblageError::ValueOutOfRange {
            argument: argument.into(),
            row,
            value,
            range,
        }
    };
    rules
        .iter()
        .enumerate()
        .map(|(i, r)| {
            if !(r.confidence.is_finite() && (0.0..=1.0).contains(&r.confidence)) {
                return Err(bad(
                    "confidence",
                    i,
                    r.confidence,
                    "a confidence is in [0, 1]",
                ));
            }
            if !(r.lift.is_finite() && r.lift >= 0.0) {
                return Err(bad("lift", i, r.lift, "a lift is finite and at least 0"));
            }
            if let (Some(m), Some(&c)) = (
                margins,
                r.consequent
                    .iter()
                    .find(|&&c| c as usize >= margins.map_or(0, <[f64]>::len)),
            ) {
                return Err(CiblageError::param(
                    "margins",
                    format!(
                        "no margin for product code {c} (rule {i}); {} margins given",
                        m.len()
                    ),
                ));
            }
            let mut antecedent = r.antecedent.clone();
            antecedent.sort_unstable();
            antecedent.dedup();
            let mut consequent = r.consequent.clone();
            consequent.sort_unstable();
            consequent.dedup();
            Ok(Rule {
                antecedent,
                consequent,
                confidence: r.confidence,
                lift: r.lift,
            })
        })
        .collect()
}

/// A candidate of one customer.
#[derive(Clone, Copy)]
struct Candidate {
    product: u32,
    score: f64,
    rule: u32,
    confidence: f64,
    lift: f64,
}

/// Better first: score, confidence, lift (highest first), then rule index.
fn better(a: &Candidate, b: &Candidate) -> Ordering {
    b.score
        .total_cmp(&a.score)
        .then(b.confidence.total_cmp(&a.confidence))
        .then(b.lift.total_cmp(&a.lift))
        .then(a.rule.cmp(&b.rule))
}

impl NextBestValidParams {
    /// At most `k` products per customer of `history`, from `rules`.
    ///
    /// # Errors
    /// [`CiblageError::LengthMismatch`] (the history's columns),
    /// [`CiblageError::ValueOutOfRange`] (a confidence outside [0, 1], a
    /// negative or non-finite lift; the row is the rule's index),
    /// [`CiblageError::InvalidParameter`] (a proposed product without a
    /// margin), [`CiblageError::Interrupted`].
    pub fn score(
        &self,
        history: &PurchaseHistory<'_>,
        rules: &[CandidateRule],
    ) -> Result<NextBestTable> {
        let p = &self.0;
        if history.product.len() != history.customer.len() {
            return Err(CiblageError::LengthMismatch {
                argument: "product".into(),
                expected: history.customer.len(),
                got: history.product.len(),
            });
        }
        let margins = match p.rank {
            NextBestRank::ExpectedMargin => p.margins.as_deref(),
            NextBestRank::LiftConfidence => None,
        };
        let rules = check_rules(rules, margins)?;
        // Rules indexed by the smallest item of their antecedent.
        let n_items = rules
            .iter()
            .flat_map(|r| r.antecedent.first())
            .chain(history.product)
            .max()
            .map_or(0, |&m| m as usize + 1);
        let mut by_item: Vec<Vec<u32>> = vec![Vec::new(); n_items];
        let mut always = Vec::new();
        for (i, r) in rules.iter().enumerate() {
            match r.antecedent.first() {
                Some(&x) => by_item[x as usize].push(i as u32),
                None => always.push(i as u32),
            }
        }
        // Products of each customer (a counting sort).
        let n_cust = history.customer.iter().max().map_or(0, |&m| m as usize + 1);
        let mut start = vec![0usize; n_cust + 1];
        for &c in history.customer {
            start[c as usize + 1] += 1;
        }
        for i in 0..n_cust {
            start[i + 1] += start[i];
        }
        let mut bought = vec![0u32; history.customer.len()];
        let mut next = start.clone();
        for (&c, &prod) in history.customer.iter().zip(history.product) {
            bought[next[c as usize]] = prod;
            next[c as usize] += 1;
        }
        drop(next);
        let score_of = |rule: &Rule, product: u32| match margins {
            Some(m) => rule.confidence * m[product as usize],
            None => rule.lift * rule.confidence,
        };
        let tasks = n_cust.div_ceil(CUSTOMERS_PER_TASK);
        p.interrupt.add_total(tasks as u64);
        let chunks: Vec<(Vec<Recommendation>, u64, u64)> = (0..tasks)
            .into_par_iter()
            .map_init(
                || (Vec::<u32>::new(), Vec::<Candidate>::new()),
                |(items, cands), t| -> Result<_> {
                    p.interrupt.check()?;
                    let (mut rows, mut customers, mut empty) = (Vec::new(), 0u64, 0u64);
                    let end = ((t + 1) * CUSTOMERS_PER_TASK).min(n_cust);
                    for c in t * CUSTOMERS_PER_TASK..end {
                        if start[c] == start[c + 1] {
                            continue;
                        }
                        customers += 1;
                        items.clear();
                        items.extend_from_slice(&bought[start[c]..start[c + 1]]);
                        items.sort_unstable();
                        items.dedup();
                        cands.clear();
                        let matching = items
                            .iter()
                            .flat_map(|&x| by_item[x as usize].iter())
                            .chain(&always)
                            .copied();
                        for ri in matching {
                            let rule = &rules[ri as usize];
                            let holds = rule
                                .antecedent
                                .iter()
                                .all(|a| items.binary_search(a).is_ok());
                            if !holds {
                                continue;
                            }
                            for &product in &rule.consequent {
                                if items.binary_search(&product).is_err() {
                                    cands.push(Candidate {
                                        product,
                                        score: score_of(rule, product),
                                        rule: ri,
                                        confidence: rule.confidence,
                                        lift: rule.lift,
                                    });
                                }
                            }
                        }
                        if cands.is_empty() {
                            empty += 1;
                            continue;
                        }
                        // The best rule of each product, then the best products.
                        cands.sort_unstable_by(|a, b| a.product.cmp(&b.product).then(better(a, b)));
                        cands.dedup_by_key(|x| x.product);
                        cands.sort_unstable_by(|a, b| {
                            b.score.total_cmp(&a.score).then(a.product.cmp(&b.product))
                        });
                        for (rank, x) in cands.iter().take(p.k).enumerate() {
                            rows.push(Recommendation {
                                customer: c as u32,
                                rank: rank as u32 + 1,
                                product: x.product,
                                score: x.score,
                                confidence: x.confidence,
                                lift: x.lift,
                                rule: x.rule,
                            });
                        }
                    }
                    p.interrupt.advance(1);
                    Ok((rows, customers, empty))
                },
            )
            .collect::<Result<_>>()?;
        let mut table = NextBestTable {
            rows: Vec::with_capacity(chunks.iter().map(|c| c.0.len()).sum()),
            customers: 0,
            customers_without_candidates: 0,
        };
        for (rows, customers, empty) in chunks {
            table.rows.extend(rows);
            table.customers += customers;
            table.customers_without_candidates += empty;
        }
        Ok(table)
    }
}
