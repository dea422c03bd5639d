//! Concentration of value: Lorenz curve and Gini coefficient.

use rayon::slice::ParallelSliceMut;
use serde::{Deserialize, Serialize};

use crate::error::{CiblageError, Result};
use crate::value::check_values;

/// One point of a Lorenz curve: the poorest `customers` share of customers
/// hold `value` share of the value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LorenzPoint {
    /// Cumulative share of customers, from 0 to 1.
    pub customers: f64,
    /// Cumulative share of value they hold, from 0 to 1.
    pub value: f64,
}

/// How concentrated value is among customers.
///
/// Values are sorted ascending; negative values count as zero (a customer
/// who returned more than he bought holds no share of value) and their number
/// is reported in [`Concentration::clipped`]. Shares between customers are
/// linear interpolations of the Lorenz curve, so "the top 20 %" of 7
/// customers is 1.4 customers' worth of value.
///
/// ```
/// use ciblage::value::Concentration;
/// // Values 1, 2, 3, 4 (total 10): Lorenz 0, .1, .3, .6, 1.
/// let c = Concentration::of(&[4.0, 1.0, 3.0, 2.0])?;
/// // Gini = 2 Σ i·x_(i) / (n Σ x) − (n + 1)/n = 2·30/40 − 5/4 = 0.25.
/// assert!((c.gini() - 0.25).abs() < 1e-12);
/// // The top 25 % (the customer with 4) make 40 % of the value.
/// assert!((c.top_share(0.25).unwrap() - 0.4).abs() < 1e-12);
/// # Ok::<(), ciblage::CiblageError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Concentration {
    /// Cumulative value after each customer, ascending order; `cum[0] = 0`,
    /// in units of `1 / scale`.
    cum: Vec<f64>,
    /// A power of two by which values were multiplied (1 unless all are
    /// below 2^-900, where sums of subnormal floats lose their digits).
    scale: f64,
    clipped: u64,
    all_equal: bool,
}

impl Concentration {
    /// Computes the concentration of `values` (one per customer).
    ///
    /// # Errors
    /// [`CiblageError::EmptyInput`] or [`CiblageError::NonFinite`] on `value`.
    pub fn of(values: &[f64]) -> Result<Self> {
        check_values(values, "value")?;
        // Non-negative finite floats sort as their bit patterns (+0.0 for
        // anything not positive, so no −0.0).
        let mut bits: Vec<u64> = values
            .iter()
            .map(|&v| if v > 0.0 { v.to_bits() } else { 0 })
            .collect();
        let clipped = values.iter().filter(|v| **v < 0.0).count() as u64;
        bits.par_sort_unstable();
        let all_equal = bits.first() == bits.last();
        // Shares are ratios of sums: values all below 2^-900 (subnormal
        // ones among them) are summed after an exact power-of-two scaling,
        // so that 3 values of 5e-324 give shares 1/3, 2/3, 1.
        let largest = bits.last().map_or(0.0, |&b| f64::from_bits(b));
        let scale = if largest < 2f64.powi(-900) {
            2f64.powi(900)
        } else {
            1.0
        };
        let mut cum = Vec::with_capacity(bits.len() + 1);
        let mut acc = 0.0;
        cum.push(0.0);
        cum.extend(bits.iter().map(|&b| {
            acc += f64::from_bits(b) * scale;
            acc
        }));
        // The cumulative sums only grow: the last is finite iff all are.
        CiblageError::check_sum("value", || "sum of values".into(), acc)?;
        Ok(Self {
            cum,
            scale,
            clipped,
            all_equal,
        })
    }

    /// Number of customers.
    pub fn customers(&self) -> usize {
        self.cum.len() - 1
    }

    /// Total (non-negative) value.
    pub fn total(&self) -> f64 {
        self.scaled_total() / self.scale
    }

    /// Total in the units of `cum`.
    fn scaled_total(&self) -> f64 {
        *self.cum.last().expect("at least one customer")
    }

    /// Customers whose negative value was counted as zero.
    pub fn clipped(&self) -> u64 {
        self.clipped
    }

    /// Gini coefficient in [0, 1 − 1/n]: 0 when every customer has the same
    /// value (or all have none), approaching 1 when one customer holds all.
    pub fn gini(&self) -> f64 {
        let n = self.customers() as f64;
        let total = self.scaled_total();
        if total <= 0.0 || self.all_equal {
            return 0.0;
        }
        // 1 − 2·(area under the Lorenz curve) = Σ (2i − n − 1)·x_(i) / (n Σx)
        // over ascending x, i = 1..n (equal values: exactly 0, above).
        let weighted = |scale: f64| -> f64 {
            self.cum
                .windows(2)
                .enumerate()
                .map(|(i, w)| (2.0 * (i as f64 + 1.0) - n - 1.0) * ((w[1] - w[0]) * scale))
                .sum()
        };
        let (w, denominator) = (weighted(1.0), n * total);
        let g = if w.is_finite() && denominator.is_finite() {
            w / denominator
        } else {
            // Values near 1.8e308: the same sum over values divided by the
            // total (each term then at most n in size).
            weighted(1.0 / total) / n
        };
        g.clamp(0.0, 1.0)
    }

    /// The Lorenz curve at share of customers `p` (poorest first), linearly
    /// interpolated between customers.
    ///
    /// # Errors
    /// [`CiblageError::InvalidParameter`] (`share`) unless `p` is in [0, 1].
    pub fn lorenz_at(&self, p: f64) -> Result<f64> {
        check_share(p)?;
        Ok(self.lorenz_unchecked(p))
    }

    fn lorenz_unchecked(&self, p: f64) -> f64 {
        let total = self.scaled_total();
        if total <= 0.0 {
            return p;
        }
        let x = p * self.customers() as f64;
        let i = (x.floor() as usize).min(self.customers() - 1);
        let frac = x - i as f64;
        (self.cum[i] + frac * (self.cum[i + 1] - self.cum[i])) / total
    }

    /// Share of value made by the top `share` of customers ("20 % of
    /// customers make y % of value"): `1 − L(1 − share)`.
    ///
    /// # Errors
    /// [`CiblageError::InvalidParameter`] (`share`) unless `share` is in [0, 1].
    pub fn top_share(&self, share: f64) -> Result<f64> {
        check_share(share)?;
        Ok(1.0 - self.lorenz_unchecked(1.0 - share))
    }

    /// Smallest share of customers (the best ones) that make at least
    /// `value_share` of the value, interpolated between customers.
    ///
    /// # Errors
    /// [`CiblageError::InvalidParameter`] (`share`) unless in [0, 1].
    pub fn customers_for_value(&self, value_share: f64) -> Result<f64> {
        check_share(value_share)?;
        let total = self.scaled_total();
        let n = self.customers();
        if total <= 0.0 {
            return Ok(value_share);
        }
        // Walk from the top: value held by the best k customers.
        let target = value_share * total;
        let mut lo = 0usize;
        let mut hi = n;
        // Smallest k with top(k) >= target, top(k) = total − cum[n − k].
        while lo < hi {
            let mid = (lo + hi) / 2;
            if total - self.cum[n - mid] >= target {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        if lo == 0 {
            return Ok(0.0);
        }
        let below = total - self.cum[n - lo + 1];
        let step = self.cum[n - lo + 1] - self.cum[n - lo];
        let frac = if step > 0.0 {
            (target - below) / step
        } else {
            1.0
        };
        Ok((lo as f64 - 1.0 + frac) / n as f64)
    }

    /// `points` evenly spaced points of the Lorenz curve, from (0, 0) to
    /// (1, 1).
    ///
    /// # Errors
    /// [`CiblageError::InvalidParameter`] (`points`) unless `points` is from 2
    /// to [`Self::MAX_LORENZ_POINTS`].
    pub fn lorenz(&self, points: usize) -> Result<Vec<LorenzPoint>> {
        if !(2..=Self::MAX_LORENZ_POINTS).contains(&points) {
            return Err(CiblageError::param(
                "points",
                format!(
                    "expected an integer from 2 to {}, got {points}",
                    Self::MAX_LORENZ_POINTS
                ),
            ));
        }
        Ok((0..points)
            .map(|j| {
                let p = j as f64 / (points - 1) as f64;
                LorenzPoint {
                    customers: p,
                    value: self.lorenz_unchecked(p),
                }
            })
            .collect())
    }

    /// The most points [`Self::lorenz`] draws (a curve finer than ten
    /// million points cannot be seen, and would cost 160 MB).
    pub const MAX_LORENZ_POINTS: usize = 10_000_000;
}

fn check_share(p: f64) -> Result<()> {
    if (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        Err(CiblageError::param(
            "share",
            format!("expected a share in [0, 1], got {p}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hand_computed_pareto_case() {
        // 10 customers: one holds 80, nine hold 20/9 each (total 100).
        let mut v = vec![20.0 / 9.0; 9];
        v.push(80.0);
        let c = Concentration::of(&v).unwrap();
        // Top 10 % = the one customer = 80 %.
        assert!((c.top_share(0.1).unwrap() - 0.8).abs() < 1e-12);
        // Gini: area = Σ (cum_{i−1} + cum_i)/(2·100·10); cum_i = 20i/9 for
        // i ≤ 9 → Σ_{i=1..9} (2i − 1)·20/9 = 81·20/9 = 180, plus (20 + 100)
        // for the last: 300 / 2000 = 0.15 → G = 1 − 0.3 = 0.7.
        assert!((c.gini() - 0.7).abs() < 1e-12);
        // 80 % of value is made by the top customer (10 %); 90 % needs 10
        // more from customers holding 20/9 each, 4.5 of them: (1 + 4.5)/10.
        assert!((c.customers_for_value(0.8).unwrap() - 0.1).abs() < 1e-12);
        assert!((c.customers_for_value(0.9).unwrap() - 0.55).abs() < 1e-12);
        let pts = c.lorenz(11).unwrap();
        assert_eq!(pts.len(), 11);
        assert!((pts[9].value - 0.2).abs() < 1e-12);
        assert_eq!(pts[10].value, 1.0);
    }

    #[test]
    fn equal_zero_negative_and_single() {
        assert_eq!(Concentration::of(&[3.0; 5]).unwrap().gini(), 0.0);
        assert_eq!(Concentration::of(&[0.0; 5]).unwrap().gini(), 0.0);
        assert_eq!(Concentration::of(&[9.0]).unwrap().gini(), 0.0);
        let c = Concentration::of(&[-5.0, 0.0, 10.0]).unwrap();
        assert_eq!(c.clipped(), 1);
        // Clipped to 0, 0, 10: G = 1 − 1/3·(0 + 0 + 1) … area = (0+0 + 0+0 +
        // 0+10)/(2·10·3) = 1/6, G = 2/3 = 1 − 1/n, the maximum.
        assert!((c.gini() - 2.0 / 3.0).abs() < 1e-12);
        assert!(c.lorenz_at(1.5).is_err());
        assert!(Concentration::of(&[]).is_err());
    }

    #[test]
    fn huge_values_keep_exact_shares_and_overflowing_sums_are_refused() {
        // Values 1, 2, 3, 4 scaled by 1e307: total 1e308, still finite;
        // the Gini (0.25, as in the doc example) does not depend on scale.
        let c = Concentration::of(&[4e307, 1e307, 3e307, 2e307]).unwrap();
        assert!((c.gini() - 0.25).abs() < 1e-12, "{}", c.gini());
        assert!((c.top_share(0.25).unwrap() - 0.4).abs() < 1e-12);
        let e = Concentration::of(&[1e308, 1e308]).unwrap_err();
        assert!(
            matches!(&e, CiblageError::SumOverflow { argument, .. } if argument == "value"),
            "{e}"
        );
    }

    #[test]
    fn subnormal_values_give_the_shares_of_their_ratios() {
        // Three equal values of 5e-324 (the smallest float): Lorenz 0,
        // 1/3, 2/3, 1 like any three equal values; halves interpolate.
        let c = Concentration::of(&[5e-324; 3]).unwrap();
        assert_eq!(c.gini(), 0.0);
        assert!((c.top_share(0.5).unwrap() - 0.5).abs() < 1e-12);
        assert!((c.customers_for_value(0.5).unwrap() - 0.5).abs() < 1e-12);
        assert!((c.lorenz_at(0.5).unwrap() - 0.5).abs() < 1e-12);
        assert_eq!(c.total(), 1.5e-323);
        // 1, 2, 3, 4 times 1e-310 (subnormal): the shares of 1, 2, 3, 4.
        let tiny = Concentration::of(&[4e-310, 1e-310, 3e-310, 2e-310]).unwrap();
        let plain = Concentration::of(&[4.0, 1.0, 3.0, 2.0]).unwrap();
        assert!((tiny.gini() - plain.gini()).abs() < 1e-9);
        for p in [0.1, 0.25, 0.5, 0.9] {
            let (a, b) = (tiny.top_share(p).unwrap(), plain.top_share(p).unwrap());
            assert!((a - b).abs() < 1e-9, "{p}: {a} against {b}");
        }
    }

    proptest! {
        #[test]
        fn gini_in_unit_interval_and_lorenz_monotone(
            values in proptest::collection::vec(-10.0..1e3f64, 1..200),
        ) {
            let c = Concentration::of(&values).unwrap();
            let g = c.gini();
            prop_assert!((0.0..=1.0).contains(&g));
            let pts = c.lorenz(21).unwrap();
            prop_assert!(pts.windows(2).all(|w| w[1].value >= w[0].value - 1e-12));
            prop_assert!(pts.iter().all(|p| p.value <= p.customers + 1e-9));
            for x in [0.1, 0.25, 0.5] {
                let y = c.top_share(x).unwrap();
                prop_assert!(y + 1e-9 >= x || c.total() == 0.0);
                // The inverse gives back x's value share.
                let back = c.customers_for_value(y).unwrap();
                prop_assert!(c.top_share(back).unwrap() + 1e-9 >= y);
            }
        }
    }

    #[test]
    fn out_of_domain_parameters_are_refused_not_clamped() {
        let c = Concentration::of(&[1.0, 2.0, 3.0]).unwrap();
        for p in [0, 1, Concentration::MAX_LORENZ_POINTS + 1] {
            let e = c.lorenz(p).unwrap_err().to_string();
            assert!(e.starts_with("invalid parameter points:"), "{e}");
        }
        for share in [-0.1, 1.5, f64::NAN] {
            let e = c.top_share(share).unwrap_err().to_string();
            assert!(e.starts_with("invalid parameter share:"), "{e}");
        }
    }
}
