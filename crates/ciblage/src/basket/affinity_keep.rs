//! The "keep" report: products with a low or negative margin overall that
//! the most valuable segments love (high, significant lift) — products not
//! to delist on their own margin, since they hold valuable customers.
//!
//! Segments are ranked by a value per segment given by the caller, or by
//! their revenue per customer (highest first, the smallest code among
//! equals); the `top_segments` first are the most valuable. A product is
//! listed with a segment when its margin rate over the base (margin /
//! revenue) is at most `max_margin_rate` (a product without revenue is not
//! listed), its lift in the segment is at least `min_lift`, and its
//! adjusted p-value (the table's correction) is at most `alpha`. Rows come
//! in order of segment rank, then lift (highest first), then product code.
//!
//! ```
//! use ciblage::basket::{AffinityLines, Keep, SegmentAffinity};
//!
//! // Product 1 sells at a loss; segment 0 (the richest) buys it: 6 of its
//! // 6 customers, against none of the 6 others.
//! let mut customer = vec![];
//! let mut product = vec![];
//! let mut amount = vec![];
//! let mut cost = vec![];
//! for c in 0..12u32 {
//!     customer.push(c); product.push(0); amount.push(if c < 6 { 100.0 } else { 10.0 }); cost.push(5.0);
//!     if c < 6 { customer.push(c); product.push(1); amount.push(3.0); cost.push(4.0); }
//! }
//! let segments: Vec<Option<u32>> = (0..12).map(|c| Some(u32::from(c >= 6))).collect();
//! let lines = AffinityLines::new(&customer, &product, &amount).with_cost(&cost);
//! let table = SegmentAffinity::params().score(&lines, &segments)?;
//! let keep = Keep::params().top_segments(Some(1)).score(&table)?;
//! assert_eq!(keep.rows.len(), 1);
//! assert_eq!((keep.rows[0].product, keep.rows[0].segment, keep.rows[0].lift), (1, 0, 2.0));
//! # Ok::<(), ciblage::CiblageError>(())
//! ```

use super::affinity::{ratio, AffinityTable};
use crate::error::{CiblageError, Result};

/// Entry point of the keep report: [`Keep::params`].
#[derive(Debug, Clone, Copy)]
pub struct Keep;

impl Keep {
    /// The parameter builder: margin rate at most 0, lift at least 1.5,
    /// alpha 0.05, the 3 most valuable segments, ranked by revenue per
    /// customer.
    #[must_use]
    pub fn params() -> KeepParams {
        KeepParams {
            max_margin_rate: 0.0,
            min_lift: 1.5,
            alpha: 0.05,
            top_segments: Some(3),
            segment_value: None,
        }
    }
}

/// The parameters of the keep report (a builder; see [`Keep`]).
#[derive(Debug, Clone, PartialEq)]
pub struct KeepParams {
    max_margin_rate: f64,
    min_lift: f64,
    alpha: f64,
    top_segments: Option<usize>,
    segment_value: Option<Vec<f64>>,
}

/// Validated keep parameters: [`KeepValidParams::score`] builds the report.
#[derive(Debug, Clone, PartialEq)]
pub struct KeepValidParams(KeepParams);

impl KeepParams {
    /// Products whose margin / revenue over the base is at most this.
    #[must_use]
    pub fn max_margin_rate(mut self, rate: f64) -> Self {
        self.max_margin_rate = rate;
        self
    }

    /// The least lift in a valuable segment.
    #[must_use]
    pub fn min_lift(mut self, lift: f64) -> Self {
        self.min_lift = lift;
        self
    }

    /// The significance level of the adjusted p-value (in (0, 1]).
    #[must_use]
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }

    /// How many of the most valuable segments are looked at (`None`: all).
    #[must_use]
    pub fn top_segments(mut self, n: Option<usize>) -> Self {
        self.top_segments = n;
        self
    }

    /// The value of each segment (by code), instead of its revenue per customer.
    #[must_use]
    pub fn segment_value(mut self, values: Vec<f64>) -> Self {
        self.segment_value = Some(values);
        self
    }

    /// Checks every parameter.
    ///
    /// # Errors
    /// [`CiblageError::InvalidParameter`]: a non-finite `max_margin_rate`
    /// or `min_lift`, a negative `min_lift`, `alpha` outside (0, 1],
    /// `top_segments` of 0, a non-finite `segment_value`.
    pub fn check(self) -> Result<KeepValidParams> {
        if !self.max_margin_rate.is_finite() {
            return Err(CiblageError::param(
                "max_margin_rate",
                format!("expected a finite number, got {}", self.max_margin_rate),
            ));
        }
        if !(self.min_lift.is_finite() && self.min_lift >= 0.0) {
            return Err(CiblageError::param(
                "min_lift",
                format!("expected a finite number >= 0, got {}", self.min_lift),
            ));
        }
        if !(self.alpha > 0.0 && self.alpha <= 1.0) {
            return Err(CiblageError::param(
                "alpha",
                format!("expected a number > 0 and <= 1, got {}", self.alpha),
            ));
        }
        if self.top_segments == Some(0) {
            return Err(CiblageError::param(
                "top_segments",
                "expected at least 1 (or None: all), got 0",
            ));
        }
        if let Some(v) = self
            .segment_value
            .as_ref()
            .and_then(|v| v.iter().find(|x| !x.is_finite()))
        {
            return Err(CiblageError::param(
                "segment_value",
                format!("expected finite numbers, got {v}"),
            ));
        }
        Ok(KeepValidParams(self))
    }

    /// Shortcut for `self.check()?.score(table)`.
    ///
    /// # Errors
    /// As [`KeepParams::check`] and [`KeepValidParams::score`].
    pub fn score(self, table: &AffinityTable) -> Result<KeepReport> {
        self.check()?.score(table)
    }
}

/// One product to keep for one valuable segment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KeepRow {
    /// The product code.
    pub product: u32,
    /// The segment code.
    pub segment: u32,
    /// The segment's rank by value (1: the most valuable).
    pub segment_rank: usize,
    /// The segment's value (given, or revenue per customer).
    pub segment_value: f64,
    /// The product's margin rate over the base.
    pub margin_rate: f64,
    /// The product's margin over the base.
    pub margin: f64,
    /// The product's revenue over the base.
    pub revenue: f64,
    /// Penetration in the segment.
    pub penetration: f64,
    /// Penetration in the base.
    pub base_penetration: f64,
    /// Lift in the segment.
    pub lift: f64,
    /// Adjusted p-value.
    pub p_adjusted: f64,
    /// The product's share of the segment's revenue.
    pub revenue_share: f64,
}

/// The keep report (see the [`basket`](crate::basket) module).
#[derive(Debug, Clone, PartialEq)]
pub struct KeepReport {
    /// Segment codes, most valuable first (every segment, ranked).
    pub ranking: Vec<u32>,
    /// The value of each segment, by code.
    pub values: Vec<f64>,
    /// The products to keep, with the segments that love them.
    pub rows: Vec<KeepRow>,
}

impl KeepValidParams {
    /// The keep report of `table`.
    ///
    /// # Errors
    /// [`CiblageError::InvalidParameter`]: a table without margins (no
    /// costs given), `segment_value` of another length than the segments.
    pub fn score(&self, table: &AffinityTable) -> Result<KeepReport> {
        let p = &self.0;
        if !table.has_margin {
            return Err(CiblageError::param(
                "max_margin_rate",
                "the keep report needs margins: score the affinity with costs",
            ));
        }
        let n_seg = table.segments.len();
        let values = match &p.segment_value {
            Some(v) if v.len() != n_seg => {
                return Err(CiblageError::param(
                    "segment_value",
                    format!("expected {n_seg} values (one per segment), got {}", v.len()),
                ))
            }
            Some(v) => v.clone(),
            None => table
                .segments
                .iter()
                .map(|s| ratio(s.revenue, s.customers as f64))
                .collect(),
        };
        let mut ranking: Vec<u32> = (0..n_seg as u32).collect();
        // Highest value first; empty segments (NaN) last; ties by code.
        ranking.sort_by(|&a, &b| {
            let (va, vb) = (values[a as usize], values[b as usize]);
            va.is_nan()
                .cmp(&vb.is_nan())
                .then(vb.total_cmp(&va))
                .then(a.cmp(&b))
        });
        let top = p.top_segments.unwrap_or(n_seg).min(n_seg);
        let mut rows = Vec::new();
        for (rank, &s) in ranking.iter().take(top).enumerate() {
            let first = rows.len();
            for (prod, total) in table.products.iter().enumerate() {
                let rate = table.margin_rate(prod);
                let cell = table.cell(s as usize, prod);
                // NaN comparisons are false: no revenue, no test, no lift.
                if rate <= p.max_margin_rate
                    && cell.lift >= p.min_lift
                    && cell.p_adjusted <= p.alpha
                {
                    rows.push(KeepRow {
                        product: prod as u32,
                        segment: s,
                        segment_rank: rank + 1,
                        segment_value: values[s as usize],
                        margin_rate: rate,
                        margin: total.margin,
                        revenue: total.revenue,
                        penetration: cell.penetration,
                        base_penetration: table.base_penetration(prod),
                        lift: cell.lift,
                        p_adjusted: cell.p_adjusted,
                        revenue_share: cell.revenue_share,
                    });
                }
            }
            rows[first..].sort_by(|a, b| b.lift.total_cmp(&a.lift).then(a.product.cmp(&b.product)));
        }
        Ok(KeepReport {
            ranking,
            values,
            rows,
        })
    }
}
