//! Turning one criterion's values into classes `1..=k`.
//!
//! Classes ascend with the value (class 1 holds the smallest values); the
//! recency score reverses them afterwards. Every method returns the cut
//! points it used, so that results can be explained and reproduced.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::order_stats::order_statistics;
use crate::error::{CiblageError, Result};

/// How a criterion's values are cut into classes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "method", content = "cuts")]
pub enum Binning {
    /// Value quantiles (linear interpolation, R type 7 / numpy "linear") at
    /// `1/k, 2/k, …`; class `i` holds `q(i-1) < x <= q(i)` (right-closed, as
    /// `pandas.qcut`). Equal values always share a class; when cut points
    /// coincide a class stays empty rather than splitting ties. The default.
    Quantile,
    /// R `rfm` 0.3.0 exactly: type-7 quantiles **plus one**, classes
    /// `[lower, upper)`. Identical to [`Binning::Quantile`] on integer data
    /// when quantiles fall on integers; it reproduces R's published numbers.
    RfmCompat,
    /// Equal-count classes over ranks: values sorted ascending, ties ordered
    /// by customer id, rank `r` of `n` goes to class `ceil(k (r-1) / (n-1))`
    /// (at least 1), which is `pandas.qcut(x.rank(method="first"), k)` with a
    /// deterministic tie rule. Equal values may get different classes.
    EqualCount,
    /// Fixed cut points `t1 < t2 < …` given by the user (k = cuts + 1 classes);
    /// class `i` holds `t(i-1) <= x < t(i)`: a value equal to a cut point
    /// goes to the upper class (R `rfm` custom thresholds).
    Fixed(Vec<f64>),
}

impl FromStr for Binning {
    type Err = CiblageError;

    /// Parses a method name (the `method` option); `fixed` needs cut points
    /// and is built with [`Binning::Fixed`] instead.
    fn from_str(name: &str) -> Result<Self> {
        match name {
            "quantile" => Ok(Self::Quantile),
            "rfm_compat" => Ok(Self::RfmCompat),
            "equal_count" => Ok(Self::EqualCount),
            other => Err(CiblageError::param(
                "method",
                format!("expected \"quantile\", \"rfm_compat\" or \"equal_count\", got {other:?}"),
            )),
        }
    }
}

impl Binning {
    /// Number of classes this binning produces given the default `bins`.
    pub fn classes(&self, bins: u8) -> u8 {
        match self {
            Self::Fixed(cuts) => (cuts.len() + 1) as u8,
            _ => bins,
        }
    }

    /// A short name for reports: `quantile`, `rfm_compat`, `equal_count`, `fixed`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Quantile => "quantile",
            Self::RfmCompat => "rfm_compat",
            Self::EqualCount => "equal_count",
            Self::Fixed(_) => "fixed",
        }
    }

    pub(crate) fn check(&self, name: &'static str) -> Result<()> {
        if let Self::Fixed(cuts) = self {
            if cuts.is_empty() || cuts.len() > 8 {
                return Err(CiblageError::param(
                    name,
                    format!(
                        "needs 1 to 8 cut points (2 to 9 classes), got {}",
                        cuts.len()
                    ),
                ));
            }
            if let Some(bad) = cuts.iter().find(|c| !c.is_finite()) {
                return Err(CiblageError::param(
                    name,
                    format!("cut points must be finite, got {bad}"),
                ));
            }
            if cuts.windows(2).any(|w| w[0] >= w[1]) {
                return Err(CiblageError::param(
                    name,
                    format!("cut points must be strictly increasing, got {cuts:?}"),
                ));
            }
        }
        Ok(())
    }
}

/// The classes of one criterion and the cut points that produced them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Classes {
    /// Class per value, `1..=k`.
    pub classes: Vec<u8>,
    /// Lower bound of each class (`k` values, the first is the minimum).
    pub lower: Vec<f64>,
    /// Upper bound of each class (`k` values).
    pub upper: Vec<f64>,
}

/// Classifies `values` into `k` classes. `tie_order[i]` ranks value `i`'s
/// customer among all customers (used by [`Binning::EqualCount`] only).
pub(crate) fn classify(values: &[f64], binning: &Binning, k: u8, tie_order: &[u32]) -> Classes {
    let n = values.len();
    let (min, max) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    match binning {
        Binning::Quantile => {
            let cuts = quantiles(values, k, Interpolation::Numpy);
            // Cuts ascend: the class is one plus the cuts below the value,
            // counted without branches (a binary search over a few cuts
            // mispredicts on every value).
            let classes = values
                .iter()
                .map(|&x| 1 + cuts.iter().map(|&q| u8::from(q < x)).sum::<u8>())
                .collect();
            let mut lower = vec![min];
            lower.extend_from_slice(&cuts);
            let mut upper = cuts;
            upper.push(max);
            Classes {
                classes,
                lower,
                upper,
            }
        }
        Binning::RfmCompat => {
            let cuts: Vec<f64> = quantiles(values, k, Interpolation::R)
                .into_iter()
                .map(|q| q + 1.0)
                .collect();
            by_lower_bounds(values, cuts, min, max + 1.0)
        }
        Binning::Fixed(cuts) => by_lower_bounds(values, cuts.clone(), min, max),
        Binning::EqualCount => {
            let mut order: Vec<u32> = (0..n as u32).collect();
            order.sort_unstable_by(|&a, &b| {
                values[a as usize]
                    .total_cmp(&values[b as usize])
                    .then(tie_order[a as usize].cmp(&tie_order[b as usize]))
            });
            let mut classes = vec![0u8; n];
            let (mut lower, mut upper) = (vec![f64::NAN; k as usize], vec![f64::NAN; k as usize]);
            for (rank0, &i) in order.iter().enumerate() {
                let class = equal_count_class(rank0 as u64, n as u64, u64::from(k));
                classes[i as usize] = class;
                let v = values[i as usize];
                let slot = usize::from(class - 1);
                if lower[slot].is_nan() {
                    lower[slot] = v;
                }
                upper[slot] = v;
            }
            Classes {
                classes,
                lower,
                upper,
            }
        }
    }
}

/// Class `1..=k` of the value of 0-based rank `rank0` among `n` (see
/// [`Binning::EqualCount`]).
fn equal_count_class(rank0: u64, n: u64, k: u64) -> u8 {
    if n <= 1 {
        return 1;
    }
    (k * rank0).div_ceil(n - 1).max(1) as u8
}

/// Classes by lower bounds `lo(i) <= x < lo(i+1)`.
fn by_lower_bounds(values: &[f64], cuts: Vec<f64>, min: f64, top: f64) -> Classes {
    // Cuts ascend: one plus the cuts at or below the value, counted
    // without branches.
    let classes = values
        .iter()
        .map(|&x| 1 + cuts.iter().map(|&c| u8::from(c <= x)).sum::<u8>())
        .collect();
    let mut lower = vec![min];
    lower.extend_from_slice(&cuts);
    let mut upper = cuts;
    upper.push(top);
    Classes {
        classes,
        lower,
        upper,
    }
}

/// How to interpolate between two order statistics `a <= b` at fraction `h`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Interpolation {
    /// R's `quantile(type = 7)`: `(1 - h) a + h b`, and exactly `a` when `a == b`.
    R,
    /// numpy's "linear" (used by pandas): `a + (b - a) h`, computed from `b`
    /// when `h >= 0.5`.
    Numpy,
}

impl Interpolation {
    fn apply(self, a: f64, b: f64, h: f64) -> f64 {
        match self {
            Self::R => {
                if h == 0.0 || a == b {
                    a
                } else {
                    (1.0 - h) * a + h * b
                }
            }
            Self::Numpy => {
                let d = b - a;
                if !d.is_finite() {
                    // a and b of opposite signs near ±1.8e308: their
                    // difference overflows, the weighted mean does not.
                    return (1.0 - h) * a + h * b;
                }
                if h >= 0.5 {
                    b - d * (1.0 - h)
                } else {
                    a + d * h
                }
            }
        }
    }
}

/// The `k - 1` inner type-7 quantiles of `values` at probabilities `i/k`,
/// without sorting the whole slice (order statistics by selection).
pub(crate) fn quantiles(values: &[f64], k: u8, how: Interpolation) -> Vec<f64> {
    let n = values.len();
    if n == 0 {
        return vec![f64::NAN; usize::from(k.saturating_sub(1))];
    }
    let step = 1.0 / f64::from(k);
    let positions: Vec<(usize, f64)> = (1..k)
        .map(|i| {
            let h = (n - 1) as f64 * (f64::from(i) * step);
            let lo = h.floor();
            (lo as usize, h - lo)
        })
        .collect();
    let mut ranks: Vec<usize> = positions
        .iter()
        .flat_map(|&(lo, _)| [lo, (lo + 1).min(n - 1)])
        .collect();
    ranks.sort_unstable();
    ranks.dedup();
    let stats = order_statistics(values, &ranks);
    let at = |r: usize| stats[ranks.binary_search(&r).expect("rank selected above")];
    positions
        .iter()
        .map(|&(lo, h)| how.apply(at(lo), at((lo + 1).min(n - 1)), h))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolation_between_opposite_huge_values_stays_finite() {
        // b − a = 2e308 overflows; the weighted mean is 0.5·(−1e308) + 0.5·1e308 = 0.
        let q = Interpolation::Numpy.apply(-1e308, 1e308, 0.5);
        assert_eq!(q, 0.0);
        let q = Interpolation::Numpy.apply(-1e308, 1e308, 0.25);
        assert!((q - -0.5e308).abs() <= 1e293, "{q}");
    }
    use proptest::prelude::*;

    /// mtcars$mpg (R datasets, Motor Trend 1974), 32 cars.
    const MTCARS_MPG: [f64; 32] = [
        21.0, 21.0, 22.8, 21.4, 18.7, 18.1, 14.3, 24.4, 22.8, 19.2, 17.8, 16.4, 17.3, 15.2, 10.4,
        10.4, 14.7, 32.4, 30.4, 33.9, 21.5, 15.5, 15.2, 13.3, 19.2, 27.3, 26.0, 30.4, 15.8, 19.7,
        15.0, 21.4,
    ];

    #[test]
    fn r_rfm_bins_of_mtcars_mpg() {
        // R rfm's test suite: bins(mtcars, "mpg", 5) = 16.20 18.92 22.00 25.08,
        // the type-7 quintiles plus one. By hand on the sorted 32 values:
        // h = 31 * 0.2 = 6.2 -> x[6] = x[7] = 15.2, + 1 = 16.2;
        // h = 12.4 -> 17.8 + 0.4 * (18.1 - 17.8) = 17.92, + 1 = 18.92.
        let c = classify(&MTCARS_MPG, &Binning::RfmCompat, 5, &[0; 32]);
        let expected = [16.20, 18.92, 22.00, 25.08];
        for (got, want) in c.lower[1..].iter().zip(expected) {
            assert!((got - want).abs() < 1e-9, "{:?}", c.lower);
        }
        assert_eq!(c.lower[0], 10.4);
        assert!((c.upper[4] - 34.9).abs() < 1e-12);
    }

    #[test]
    fn quantile_classes_share_ties_and_leave_classes_empty() {
        // Values 1,1,1,1,2,3: quintile positions h = 5*0.2.. = 1, 2, 3, 4 ->
        // cuts 1, 1, 1, 2. Class of 1 = 1 (1 <= q1); 2 -> 4; 3 -> 5.
        let values = [1.0, 1.0, 1.0, 1.0, 2.0, 3.0];
        let c = classify(&values, &Binning::Quantile, 5, &[0; 6]);
        assert_eq!(c.classes, [1, 1, 1, 1, 4, 5]);
        // h = 5 * 0.6000000000000001 leaves a rounding crumb on the third cut.
        let expected = [1.0, 1.0, 1.0, 2.0, 3.0];
        assert!(c
            .upper
            .iter()
            .zip(expected)
            .all(|(a, b)| (a - b).abs() < 1e-12));
    }

    #[test]
    fn rfm_compat_adds_one_to_cut_points() {
        // Values 1..=10, quintiles (R type 7): h = 9*0.2 = 1.8 -> 2.8, 4.6, 6.4, 8.2;
        // plus one: 3.8, 5.6, 7.4, 9.2. Classes [lower, upper): 1..3 -> 1,
        // 4..5 -> 2, 6..7 -> 3, 8..9 -> 4, 10 -> 5.
        let values: Vec<f64> = (1..=10).map(f64::from).collect();
        let c = classify(&values, &Binning::RfmCompat, 5, &[0; 10]);
        assert_eq!(c.classes, [1, 1, 1, 2, 2, 3, 3, 4, 4, 5]);
        assert!((c.lower[1] - 3.8).abs() < 1e-12);
        assert_eq!(c.upper[4], 11.0);
        // Plain quantiles put 3 in class 2 (2.8 < 3 <= 4.6).
        let q = classify(&values, &Binning::Quantile, 5, &[0; 10]);
        assert_eq!(q.classes, [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    }

    #[test]
    fn fixed_cut_points_send_equal_values_up() {
        let values = [0.0, 4.0, 4.5, 8.0, 9.0];
        let c = classify(&values, &Binning::Fixed(vec![4.0, 8.0]), 3, &[0; 5]);
        assert_eq!(c.classes, [1, 2, 2, 3, 3]);
    }

    #[test]
    fn equal_count_breaks_ties_by_customer_order() {
        // Five equal values, ranks 0..4 of n = 5, k = 5:
        // ceil(5*r/4) = 1 (r=0 -> max 1), 2, 3, 4, 5.
        let values = [7.0; 5];
        let c = classify(&values, &Binning::EqualCount, 5, &[4, 3, 2, 1, 0]);
        assert_eq!(c.classes, [5, 4, 3, 2, 1]);
    }

    #[test]
    fn equal_count_matches_pandas_qcut_of_ranks() {
        // pandas: qcut(Series(range(1, 11)), 4) edges 1, 3.25, 5.5, 7.75, 10
        // -> ranks 1-3 class 1, 4-5 class 2, 6-7 class 3, 8-10 class 4.
        let got: Vec<u8> = (0..10).map(|r| equal_count_class(r, 10, 4)).collect();
        assert_eq!(got, [1, 1, 1, 2, 2, 3, 3, 4, 4, 4]);
    }

    #[test]
    fn fixed_cut_points_are_validated() {
        assert!(Binning::Fixed(vec![]).check("recency_cuts").is_err());
        assert!(Binning::Fixed(vec![2.0, 1.0])
            .check("recency_cuts")
            .is_err());
        let err = Binning::Fixed(vec![f64::NAN])
            .check("recency_cuts")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid parameter recency_cuts: cut points must be finite, got NaN"
        );
    }

    proptest! {
        #[test]
        fn quantiles_equal_a_full_sort_for_small_integers(values in proptest::collection::vec(-50i32..50, 1..300), k in 2u8..10) {
            let values: Vec<f64> = values.into_iter().map(f64::from).collect();
            let mut sorted = values.clone();
            sorted.sort_by(f64::total_cmp);
            let n = sorted.len();
            let got = quantiles(&values, k, Interpolation::Numpy);
            for (i, q) in got.iter().enumerate() {
                let h = (n - 1) as f64 * ((i + 1) as f64 * (1.0 / f64::from(k)));
                let lo = h.floor() as usize;
                let hi = (lo + 1).min(n - 1);
                prop_assert_eq!(*q, Interpolation::Numpy.apply(sorted[lo], sorted[hi], h - lo as f64));
            }
        }

        #[test]
        fn quantiles_equal_a_full_sort(values in proptest::collection::vec(-1e6f64..1e6, 1..300), k in 2u8..10) {
            let mut sorted = values.clone();
            sorted.sort_by(f64::total_cmp);
            let n = sorted.len();
            let got = quantiles(&values, k, Interpolation::R);
            for (i, q) in got.iter().enumerate() {
                let h = (n - 1) as f64 * ((i + 1) as f64 * (1.0 / f64::from(k)));
                let lo = h.floor() as usize;
                let hi = (lo + 1).min(n - 1);
                let want = Interpolation::R.apply(sorted[lo], sorted[hi], h - lo as f64);
                prop_assert_eq!(*q, want);
            }
        }

        #[test]
        fn classes_in_range_and_monotone(values in proptest::collection::vec(-100.0f64..100.0, 1..200), k in 2u8..10, m in 0usize..3) {
            let binning = [Binning::Quantile, Binning::RfmCompat, Binning::EqualCount][m].clone();
            let order: Vec<u32> = (0..values.len() as u32).collect();
            let c = classify(&values, &binning, k, &order);
            prop_assert!(c.classes.iter().all(|&x| (1..=k).contains(&x)));
            for i in 0..values.len() {
                for j in 0..values.len() {
                    if values[i] < values[j] {
                        prop_assert!(c.classes[i] <= c.classes[j]);
                    }
                }
            }
        }
    }
}
