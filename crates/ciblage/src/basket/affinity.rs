//! Affinity by segment: which products (or categories) each customer
//! segment buys more than the rest of the base.
//!
//! For every (segment, product) pair, from order lines and a customer →
//! segment labelling:
//!
//! - **penetration**: the segment's customers who bought the product at
//!   least once / the segment's customers (every labelled customer counts,
//!   those without any line too); the **base** penetration is the same
//!   over every labelled customer;
//! - **lift** = penetration in the segment / penetration in the base
//!   (NaN when no labelled customer bought the product);
//! - **revenue** and **margin** (amount − cost) of the product in the
//!   segment, and their **shares** of the segment's revenue and margin
//!   (NaN when that total is 0), beside the product's shares of the base;
//! - **p-value** of Fisher's exact test, one-sided: the segment holds more
//!   buyers than customers drawn at random from the base would (segment vs
//!   rest of the base); or, with [`PValueTest::ChiSquared`], Pearson's χ²
//!   test of the same 2×2 table (no continuity correction, two-sided, as
//!   scipy's `chi2_contingency(correction=False)`); with an optional multiple-testing
//!   [`Correction`] over every pair tested (a pair is tested when both the
//!   segment and the rest of the base have customers).
//!
//! Lines of customers without a segment are left out and counted in the
//! [`AffinityReport`]. Every line counts as a purchase for penetration;
//! amounts and costs are summed as they are (returns included).
//!
//! The result does not depend on the order of the lines, on the customer
//! codes or on the number of threads: each product is aggregated by one
//! task, its lines sorted first, and each segment's sums are taken over
//! the customers' subtotals in ascending order of value.
//!
//! ```
//! use ciblage::basket::{AffinityLines, SegmentAffinity};
//!
//! // Customers 0, 1 in segment 0; 2, 3 in segment 1. Product 1 is bought
//! // by both customers of segment 0 and nobody else.
//! let lines = AffinityLines::new(&[0, 1, 2, 3, 0], &[1, 1, 0, 0, 0], &[5.0, 7.0, 2.0, 2.0, 1.0]);
//! let segments = [Some(0), Some(0), Some(1), Some(1)];
//! let table = SegmentAffinity::params().score(&lines, &segments)?;
//! let cell = table.cell(0, 1);
//! assert_eq!((cell.buyers, cell.penetration, cell.lift), (2, 1.0, 2.0));
//! assert_eq!(cell.revenue, 12.0);
//! // P(X ≥ 2) for X ~ Hypergeometric(4 customers, 2 buyers, 2 drawn) = 1/6.
//! assert!((cell.p_value - 1.0 / 6.0).abs() < 1e-12);
//! # Ok::<(), ciblage::CiblageError>(())
//! ```

use std::cmp::Ordering;

use rayon::prelude::*;

use super::affinity_lines::AffinityLines;
use super::pvalue::{chi_squared, correct, fisher_greater};
use super::{Correction, PValueTest};
use crate::error::{CiblageError, Result};
use crate::interrupt::Interrupt;

/// Products aggregated between two looks at the interrupt token.
const PRODUCTS_PER_CHECK: usize = 256;

/// Entry point of affinity by segment: [`SegmentAffinity::params`].
#[derive(Debug, Clone, Copy)]
pub struct SegmentAffinity;

impl SegmentAffinity {
    /// The parameter builder: Fisher's exact test, no multiple-testing
    /// correction.
    #[must_use]
    pub fn params() -> SegmentAffinityParams {
        SegmentAffinityParams {
            test: PValueTest::Fisher,
            correction: Correction::None,
            interrupt: Interrupt::default(),
        }
    }
}

/// The parameters of affinity by segment (a builder; see [`SegmentAffinity`]).
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentAffinityParams {
    test: PValueTest,
    correction: Correction,
    interrupt: Interrupt,
}

/// Validated parameters: [`SegmentAffinityValidParams::score`] computes the table.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentAffinityValidParams(SegmentAffinityParams);

impl SegmentAffinityParams {
    /// The test of each (segment, product) pair: Fisher's exact test
    /// (default, one-sided) or Pearson's χ² (two-sided).
    #[must_use]
    pub fn test(mut self, test: PValueTest) -> Self {
        self.test = test;
        self
    }

    /// The multiple-testing correction of the p-values.
    #[must_use]
    pub fn correction(mut self, correction: Correction) -> Self {
        self.correction = correction;
        self
    }

    /// The token that stops the computation (checked every few hundred products).
    #[must_use]
    pub fn interrupt(mut self, token: Interrupt) -> Self {
        self.interrupt = token;
        self
    }

    /// Checks every parameter (all values are valid: this only seals them).
    ///
    /// # Errors
    /// None today; the signature is that of every builder.
    pub fn check(self) -> Result<SegmentAffinityValidParams> {
        Ok(SegmentAffinityValidParams(self))
    }

    /// Shortcut for `self.check()?.score(lines, segments)`.
    ///
    /// # Errors
    /// As [`SegmentAffinityValidParams::score`].
    pub fn score(
        self,
        lines: &AffinityLines<'_>,
        segments: &[Option<u32>],
    ) -> Result<AffinityTable> {
        self.check()?.score(lines, segments)
    }
}

/// One segment's totals.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SegmentTotals {
    /// Customers labelled with the segment.
    pub customers: u64,
    /// Of them, those with at least one line.
    pub buyers: u64,
    /// Sum of their amounts.
    pub revenue: f64,
    /// Sum of their margins (0 without costs).
    pub margin: f64,
}

/// One product's totals over the base (every labelled customer).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ProductTotals {
    /// Labelled customers who bought it.
    pub buyers: u64,
    /// Its revenue.
    pub revenue: f64,
    /// Its margin (0 without costs).
    pub margin: f64,
}

/// One (segment, product) pair.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct AffinityCell {
    /// Customers of the segment who bought the product.
    pub buyers: u64,
    /// `buyers` / customers of the segment (NaN for an empty segment).
    pub penetration: f64,
    /// Penetration in the segment / penetration in the base.
    pub lift: f64,
    /// The product's revenue in the segment.
    pub revenue: f64,
    /// The product's margin in the segment.
    pub margin: f64,
    /// `revenue` / the segment's revenue (NaN when that is 0).
    pub revenue_share: f64,
    /// `margin` / the segment's margin (NaN when that is 0).
    pub margin_share: f64,
    /// The table's test (one-sided Fisher's exact test by default),
    /// segment vs rest of the base (NaN when the segment or the rest of
    /// the base has no customer).
    pub p_value: f64,
    /// The p-value after the table's correction.
    pub p_adjusted: f64,
}

/// What the lines held and what was left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AffinityReport {
    /// Lines read.
    pub lines_read: u64,
    /// Lines of customers without a segment, left out.
    pub lines_without_segment: u64,
    /// Customers with lines but without a segment.
    pub customers_without_segment: u64,
    /// Labelled customers without any line (they count in their segment's
    /// size, as customers who bought nothing).
    pub customers_without_lines: u64,
}

/// Affinity of every segment for every product (see the [`basket`](crate::basket) module).
#[derive(Debug, Clone, PartialEq)]
pub struct AffinityTable {
    /// Totals per segment code.
    pub segments: Vec<SegmentTotals>,
    /// Totals per product code.
    pub products: Vec<ProductTotals>,
    /// Cells product-major: `cells[product * segments + segment]`.
    pub cells: Vec<AffinityCell>,
    /// Whether margins were computed (costs given).
    pub has_margin: bool,
    /// The test giving `p_value`.
    pub test: PValueTest,
    /// The correction applied to `p_adjusted`.
    pub correction: Correction,
    /// What was read and left out.
    pub report: AffinityReport,
}

impl AffinityTable {
    /// The cell of `segment` and `product` (panics out of range).
    pub fn cell(&self, segment: usize, product: usize) -> &AffinityCell {
        &self.cells[product * self.segments.len() + segment]
    }

    /// Labelled customers in all.
    pub fn customers(&self) -> u64 {
        self.segments.iter().map(|s| s.customers).sum()
    }

    /// Revenue of the base (every labelled customer).
    pub fn revenue(&self) -> f64 {
        self.segments.iter().map(|s| s.revenue).sum()
    }

    /// Margin of the base.
    pub fn margin(&self) -> f64 {
        self.segments.iter().map(|s| s.margin).sum()
    }

    /// Share of the base's customers who bought `product`.
    pub fn base_penetration(&self, product: usize) -> f64 {
        self.products[product].buyers as f64 / self.customers() as f64
    }

    /// The product's margin / its revenue (NaN when the revenue is 0).
    pub fn margin_rate(&self, product: usize) -> f64 {
        ratio(
            self.products[product].margin,
            self.products[product].revenue,
        )
    }
}

/// `a / b`, NaN when `b` is 0.
pub(crate) fn ratio(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        f64::NAN
    } else {
        a / b
    }
}

/// A line gathered for its product's task.
#[derive(Clone, Copy)]
struct Entry {
    segment: u32,
    customer: u32,
    amount: f64,
    cost: f64,
}

fn entry_order(a: &Entry, b: &Entry) -> Ordering {
    (a.segment, a.customer)
        .cmp(&(b.segment, b.customer))
        .then(a.amount.total_cmp(&b.amount))
        .then(a.cost.total_cmp(&b.cost))
}

impl SegmentAffinityValidParams {
    /// The affinity table of `lines` for the labelling `segments`
    /// (`segments[c]`: the segment code of customer `c`, `None` for a
    /// customer without a segment; segment codes `0..=max`).
    ///
    /// # Errors
    /// [`CiblageError::EmptyInput`] (no line, or no labelled customer),
    /// [`CiblageError::LengthMismatch`], [`CiblageError::ValueOutOfRange`]
    /// (a customer code outside the labelling), [`CiblageError::NonFinite`]
    /// (amount or cost), [`CiblageError::SumOverflow`],
    /// [`CiblageError::Interrupted`].
    pub fn score(
        &self,
        lines: &AffinityLines<'_>,
        segments: &[Option<u32>],
    ) -> Result<AffinityTable> {
        let p = &self.0;
        lines.check(segments.len())?;
        let n_seg = segments
            .iter()
            .flatten()
            .max()
            .map_or(0, |&s| s as usize + 1);
        if n_seg == 0 {
            return Err(CiblageError::EmptyInput {
                argument: "segments".into(),
            });
        }
        let n_prod = lines.product.iter().max().map_or(0, |&m| m as usize + 1);
        let mut seg_totals = vec![SegmentTotals::default(); n_seg];
        for s in segments.iter().flatten() {
            seg_totals[*s as usize].customers += 1;
        }
        // Per product, the lines of labelled customers (a counting sort).
        let mut report = AffinityReport {
            lines_read: lines.customer.len() as u64,
            ..AffinityReport::default()
        };
        let mut seen = vec![false; segments.len()];
        let mut start = vec![0usize; n_prod + 1];
        for (&c, &prod) in lines.customer.iter().zip(lines.product) {
            if !seen[c as usize] {
                seen[c as usize] = true;
                match segments[c as usize] {
                    Some(s) => seg_totals[s as usize].buyers += 1,
                    None => report.customers_without_segment += 1,
                }
            }
            if segments[c as usize].is_some() {
                start[prod as usize + 1] += 1;
            } else {
                report.lines_without_segment += 1;
            }
        }
        report.customers_without_lines = segments
            .iter()
            .zip(&seen)
            .filter(|(s, seen)| s.is_some() && !**seen)
            .count() as u64;
        for i in 0..n_prod {
            start[i + 1] += start[i];
        }
        let mut order = vec![0u32; start[n_prod]];
        let mut next = start.clone();
        for (row, (&c, &prod)) in lines.customer.iter().zip(lines.product).enumerate() {
            if segments[c as usize].is_some() {
                order[next[prod as usize]] = row as u32;
                next[prod as usize] += 1;
            }
        }
        drop(next);
        p.interrupt.add_total(n_prod as u64);
        let mut cells = vec![AffinityCell::default(); n_prod * n_seg];
        let mut products = vec![ProductTotals::default(); n_prod];
        let task = |scratch: &mut (Vec<Entry>, Vec<(f64, f64)>),
                    chunk: usize,
                    cells: &mut [AffinityCell],
                    totals: &mut [ProductTotals]|
         -> Result<()> {
            p.interrupt.check()?;
            let first = chunk * PRODUCTS_PER_CHECK;
            for (i, (cells, total)) in cells.chunks_mut(n_seg).zip(totals.iter_mut()).enumerate() {
                let prod = first + i;
                aggregate(
                    lines,
                    segments,
                    &order[start[prod]..start[prod + 1]],
                    scratch,
                    cells,
                    total,
                );
            }
            p.interrupt.advance(totals.len() as u64);
            Ok(())
        };
        cells
            .par_chunks_mut(n_seg * PRODUCTS_PER_CHECK)
            .zip(products.par_chunks_mut(PRODUCTS_PER_CHECK))
            .enumerate()
            .try_for_each_init(
                || (Vec::new(), Vec::new()),
                |scratch, (chunk, (cells, totals))| task(scratch, chunk, cells, totals),
            )?;
        // Segment totals over products, in product order.
        for (prod, total) in products.iter().enumerate() {
            for (s, seg) in seg_totals.iter_mut().enumerate() {
                let cell = &cells[prod * n_seg + s];
                seg.revenue += cell.revenue;
                seg.margin += cell.margin;
            }
            CiblageError::check_sum(
                "amount",
                || format!("revenue of product {prod}"),
                total.revenue,
            )?;
            CiblageError::check_sum("cost", || format!("margin of product {prod}"), total.margin)?;
        }
        for (s, seg) in seg_totals.iter().enumerate() {
            CiblageError::check_sum("amount", || format!("revenue of segment {s}"), seg.revenue)?;
            CiblageError::check_sum("cost", || format!("margin of segment {s}"), seg.margin)?;
        }
        let base: u64 = seg_totals.iter().map(|s| s.customers).sum();
        for (prod, total) in products.iter().enumerate() {
            let base_pen = total.buyers as f64 / base as f64;
            for (s, seg) in seg_totals.iter().enumerate() {
                let cell = &mut cells[prod * n_seg + s];
                cell.penetration = ratio(cell.buyers as f64, seg.customers as f64);
                cell.lift = ratio(cell.penetration, base_pen);
                cell.revenue_share = ratio(cell.revenue, seg.revenue);
                cell.margin_share = ratio(cell.margin, seg.margin);
                cell.p_value = if seg.customers == 0 || seg.customers == base {
                    f64::NAN
                } else {
                    match p.test {
                        PValueTest::Fisher => {
                            fisher_greater(base, seg.customers, total.buyers, cell.buyers)
                        }
                        PValueTest::ChiSquared => {
                            chi_squared(base, seg.customers, total.buyers, cell.buyers)
                        }
                    }
                };
            }
        }
        let p_values: Vec<f64> = cells.iter().map(|c| c.p_value).collect();
        for (cell, adjusted) in cells.iter_mut().zip(correct(&p_values, p.correction)) {
            cell.p_adjusted = adjusted;
        }
        Ok(AffinityTable {
            segments: seg_totals,
            products,
            cells,
            has_margin: lines.cost.is_some(),
            test: p.test,
            correction: p.correction,
            report,
        })
    }
}

/// One product's cells and totals from its lines (`rows`, all of labelled
/// customers): buyers per segment, then sums over each segment's customer
/// subtotals taken in ascending order of value.
fn aggregate(
    lines: &AffinityLines<'_>,
    segments: &[Option<u32>],
    rows: &[u32],
    (entries, subtotals): &mut (Vec<Entry>, Vec<(f64, f64)>),
    cells: &mut [AffinityCell],
    total: &mut ProductTotals,
) {
    entries.clear();
    entries.extend(rows.iter().map(|&r| {
        let r = r as usize;
        let customer = lines.customer[r];
        Entry {
            segment: segments[customer as usize].unwrap_or(0),
            customer,
            amount: lines.amount[r],
            cost: lines.cost.map_or(0.0, |c| c[r]),
        }
    }));
    entries.sort_unstable_by(entry_order);
    let with_cost = lines.cost.is_some();
    let mut i = 0;
    while i < entries.len() {
        let seg = entries[i].segment;
        subtotals.clear();
        while i < entries.len() && entries[i].segment == seg {
            let cust = entries[i].customer;
            let (mut revenue, mut margin) = (0.0, 0.0);
            while i < entries.len() && entries[i].segment == seg && entries[i].customer == cust {
                revenue += entries[i].amount;
                if with_cost {
                    margin += entries[i].amount - entries[i].cost;
                }
                i += 1;
            }
            subtotals.push((revenue, margin));
        }
        subtotals.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
        let cell = &mut cells[seg as usize];
        cell.buyers = subtotals.len() as u64;
        cell.revenue = subtotals.iter().map(|s| s.0).sum();
        cell.margin = subtotals.iter().map(|s| s.1).sum();
    }
    total.buyers = cells.iter().map(|c| c.buyers).sum();
    total.revenue = cells.iter().map(|c| c.revenue).sum();
    total.margin = cells.iter().map(|c| c.margin).sum();
}
