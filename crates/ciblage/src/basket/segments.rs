//! Per-segment rule mining: the baskets of every customer segment built in
//! one scan of the order lines, then each segment mined on its own.

use std::collections::HashMap;

use rayon::prelude::*;

use super::fpgrowth::{FpGrowthParams, FpGrowthValidParams};
use super::itemsets::FrequentItemsets;
use super::lines::OrderLines;
use super::rules::{AssociationRulesParams, AssociationRulesValidParams, Rules};
use crate::error::{CiblageError, Result};
use crate::interrupt::Interrupt;

/// The baskets of each customer segment, built in one scan of the order
/// lines: line `i` (order `orders[i]`, product `products[i]`, customer
/// `customers[i]`) goes to the segment `segments[customers[i]]` of its
/// customer. Each segment's baskets are those of its lines grouped by
/// order: exactly the baskets of [`OrderLines::from_codes`] on the lines
/// of that segment alone (an order whose lines belong to customers of two
/// segments gives a basket in each). Lines of customers without a segment
/// (`None`) are left out and counted.
///
/// ```
/// use ciblage::basket::SegmentBaskets;
/// // Orders 0 and 1 of customer 0 (segment 1), order 2 of customer 1
/// // (segment 0), order 3 of customer 2 (no segment).
/// let b = SegmentBaskets::from_codes(
///     &[0, 0, 1, 2, 2, 3],
///     &[5, 6, 5, 5, 7, 5],
///     &[0, 0, 0, 1, 1, 2],
///     &[Some(1), Some(0), None],
/// )?;
/// assert_eq!(b.n_segments(), 2);
/// assert_eq!(b.segment(1).len(), 2);
/// assert_eq!(b.segment(1).basket(0), &[5, 6]);
/// assert_eq!(b.segment(0).basket(0), &[5, 7]);
/// assert_eq!(b.lines_without_segment(), 1);
/// # Ok::<(), ciblage::CiblageError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentBaskets {
    segments: Vec<OrderLines>,
    lines_without_segment: u64,
}

impl SegmentBaskets {
    /// Groups order lines into the baskets of each segment (segment codes
    /// `0..=max` of `segments`, a segment code per customer code).
    ///
    /// # Errors
    /// [`CiblageError::LengthMismatch`] (`product`, `customer`) when the
    /// columns differ in length, [`CiblageError::ValueOutOfRange`]
    /// (`customer`) for a customer code outside the labelling.
    pub fn from_codes(
        orders: &[u32],
        products: &[u32],
        customers: &[u32],
        segments: &[Option<u32>],
    ) -> Result<Self> {
        for (argument, len) in [("product", products.len()), ("customer", customers.len())] {
            if len != orders.len() {
                return Err(CiblageError::LengthMismatch {
                    argument: argument.into(),
                    expected: orders.len(),
                    got: len,
                });
            }
        }
        let n_seg = segments
            .iter()
            .flatten()
            .max()
            .map_or(0, |&s| s as usize + 1);
        let n_orders = orders.iter().max().map_or(0, |&m| m as usize + 1);
        // Each (order, segment) pair gets a dense code within its segment:
        // `local[o]` for the segment `owner[o]` of the first line of order
        // `o`, a map for the rare orders spread over several segments.
        let mut owner = vec![u32::MAX; n_orders];
        let mut local = vec![0u32; n_orders];
        let mut spread: HashMap<(u32, u32), u32> = HashMap::new();
        let mut next = vec![0u32; n_seg];
        let mut seg_orders: Vec<Vec<u32>> = vec![Vec::new(); n_seg];
        let mut seg_products: Vec<Vec<u32>> = vec![Vec::new(); n_seg];
        let mut without = 0u64;
        for (row, ((&o, &p), &c)) in orders.iter().zip(products).zip(customers).enumerate() {
            let Some(&label) = segments.get(c as usize) else {
                return Err(CiblageError::ValueOutOfRange {
                    argument: "customer".into(),
                    row,
                    value: f64::from(c),
                    range: "customer codes index the segment labelling",
                });
            };
            let Some(s) = label else {
                without += 1;
                continue;
            };
            let oi = o as usize;
            let code = if owner[oi] == s {
                local[oi]
            } else if owner[oi] == u32::MAX {
                owner[oi] = s;
                local[oi] = next[s as usize];
                next[s as usize] += 1;
                local[oi]
            } else {
                *spread.entry((o, s)).or_insert_with(|| {
                    next[s as usize] += 1;
                    next[s as usize] - 1
                })
            };
            seg_orders[s as usize].push(code);
            seg_products[s as usize].push(p);
        }
        drop((owner, local, spread));
        let segments = seg_orders
            .into_par_iter()
            .zip(seg_products)
            .map(|(o, p)| OrderLines::from_codes(&o, &p))
            .collect::<Result<_>>()?;
        Ok(Self {
            segments,
            lines_without_segment: without,
        })
    }

    /// The number of segment codes (one more than the largest).
    pub fn n_segments(&self) -> usize {
        self.segments.len()
    }

    /// Segment `s`'s baskets (empty when no line of the segment).
    ///
    /// # Panics
    /// When `s >= self.n_segments()`.
    pub fn segment(&self, s: usize) -> &OrderLines {
        &self.segments[s]
    }

    /// Lines of customers without a segment, left out.
    pub fn lines_without_segment(&self) -> u64 {
        self.lines_without_segment
    }
}

/// Frequent itemsets and association rules of every customer segment
/// ([`SegmentBaskets`]), each segment mined on its own baskets (supports
/// are shares of the segment's baskets), the segments in parallel: the
/// result of mining each segment's lines separately.
///
/// ```
/// use ciblage::basket::{AssociationRules, FpGrowth, SegmentBaskets, SegmentRules};
/// // Customer 0 (segment 0) buys {0, 1} twice; customer 1 (segment 1)
/// // buys {0} and {1}.
/// let b = SegmentBaskets::from_codes(
///     &[0, 0, 1, 1, 2, 3],
///     &[0, 1, 0, 1, 0, 1],
///     &[0, 0, 0, 0, 1, 1],
///     &[Some(0), Some(1)],
/// )?;
/// let found = SegmentRules::params()
///     .itemsets(FpGrowth::params().min_support(0.5))
///     .rules(Some(AssociationRules::params().min_threshold(0.5)))
///     .score(&b)?;
/// let rules = found.rules(0).unwrap();
/// assert_eq!(rules.len(), 2); // {0} -> {1} and {1} -> {0}
/// assert_eq!(found.itemsets(1).unwrap().len(), 2); // {0}, {1}: no pair
/// assert!(found.rules(1).unwrap().is_empty());
/// # Ok::<(), ciblage::CiblageError>(())
/// ```
pub struct SegmentRules;

impl SegmentRules {
    /// Parameters with their defaults: those of
    /// [`super::FpGrowth::params`], and no rules (itemsets only).
    pub fn params() -> SegmentRulesParams {
        SegmentRulesParams::default()
    }
}

/// Builder of [`SegmentRules`]; [`SegmentRulesParams::check`] validates it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SegmentRulesParams {
    itemsets: FpGrowthParams,
    rules: Option<AssociationRulesParams>,
    interrupt: Interrupt,
}

impl SegmentRulesParams {
    /// The mining of each segment's itemsets (default
    /// [`super::FpGrowth::params`]).
    #[must_use]
    pub fn itemsets(mut self, params: FpGrowthParams) -> Self {
        self.itemsets = params;
        self
    }

    /// The rules derived from each segment's itemsets (default None:
    /// itemsets only).
    #[must_use]
    pub fn rules(mut self, params: Option<AssociationRulesParams>) -> Self {
        self.rules = params;
        self
    }

    /// The token that stops the mining (given to both steps, and checked
    /// before each segment).
    #[must_use]
    pub fn interrupt(mut self, token: Interrupt) -> Self {
        self.interrupt = token;
        self
    }

    /// Validates both steps' parameters.
    ///
    /// # Errors
    /// As [`FpGrowthParams::check`] and [`AssociationRulesParams::check`].
    pub fn check(self) -> Result<SegmentRulesValidParams> {
        let itemsets = self.itemsets.interrupt(self.interrupt.clone()).check()?;
        let rules = self
            .rules
            .map(|r| r.interrupt(self.interrupt.clone()).check())
            .transpose()?;
        Ok(SegmentRulesValidParams {
            itemsets,
            rules,
            interrupt: self.interrupt,
        })
    }

    /// Shortcut for `self.check()?.score(baskets)`.
    ///
    /// # Errors
    /// As [`SegmentRulesParams::check`] and [`SegmentRulesValidParams::score`].
    pub fn score(self, baskets: &SegmentBaskets) -> Result<SegmentedRules> {
        self.check()?.score(baskets)
    }
}

/// Validated [`SegmentRulesParams`].
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentRulesValidParams {
    itemsets: FpGrowthValidParams,
    rules: Option<AssociationRulesValidParams>,
    interrupt: Interrupt,
}

impl SegmentRulesValidParams {
    /// Every segment's itemsets (and rules, when asked), the segments in
    /// parallel; a segment without any basket has none.
    ///
    /// # Errors
    /// [`CiblageError::EmptyInput`] (`lines`) when no segment has a
    /// basket; the errors of [`FpGrowthValidParams::score`] and
    /// [`AssociationRulesValidParams::score`].
    pub fn score(&self, baskets: &SegmentBaskets) -> Result<SegmentedRules> {
        if baskets.segments.iter().all(OrderLines::is_empty) {
            return Err(CiblageError::EmptyInput {
                argument: "lines".into(),
            });
        }
        let found: Vec<Option<(FrequentItemsets, Option<Rules>)>> = baskets
            .segments
            .par_iter()
            .map(|lines| {
                self.interrupt.check()?;
                if lines.is_empty() {
                    return Ok(None);
                }
                let sets = self.itemsets.score(lines)?;
                let rules = self.rules.as_ref().map(|r| r.score(&sets)).transpose()?;
                Ok(Some((sets, rules)))
            })
            .collect::<Result<_>>()?;
        Ok(SegmentedRules { found })
    }
}

/// Frequent itemsets and rules by segment code (see [`SegmentRules`]).
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentedRules {
    found: Vec<Option<(FrequentItemsets, Option<Rules>)>>,
}

impl SegmentedRules {
    /// The number of segment codes.
    pub fn n_segments(&self) -> usize {
        self.found.len()
    }

    /// Segment `s`'s itemsets (None for a segment without basket).
    pub fn itemsets(&self, s: usize) -> Option<&FrequentItemsets> {
        self.found.get(s)?.as_ref().map(|f| &f.0)
    }

    /// Segment `s`'s rules (None for a segment without basket, or when no
    /// rules were asked for).
    pub fn rules(&self, s: usize) -> Option<&Rules> {
        self.found.get(s)?.as_ref()?.1.as_ref()
    }
}

#[cfg(test)]
#[path = "segments_tests.rs"]
mod tests;
