//! p-values of rules (Fisher's exact test, χ²) and their corrections for
//! multiple testing.
//!
//! A rule A → C among `n` baskets is the 2×2 table of baskets with and
//! without A against with and without C; `n_ac` baskets hold both.

use std::str::FromStr;

use statrs::distribution::{ChiSquared, ContinuousCDF, Discrete, Hypergeometric};

use crate::error::{CiblageError, Result};

/// The test giving each rule its p-value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PValueTest {
    /// Fisher's exact test, one-sided (positive association): the
    /// probability, given the margins, of at least `n_ac` baskets holding
    /// both sides (the hypergeometric upper tail, summed in log space).
    Fisher,
    /// Pearson's χ² test of independence (1 degree of freedom, no
    /// continuity correction; two-sided).
    ChiSquared,
}

impl FromStr for PValueTest {
    type Err = CiblageError;

    /// Parses `"fisher"` or `"chi2"`.
    fn from_str(name: &str) -> Result<Self> {
        match name {
            "fisher" => Ok(Self::Fisher),
            "chi2" => Ok(Self::ChiSquared),
            other => Err(CiblageError::param(
                "p_value",
                format!("expected \"fisher\" or \"chi2\", got {other:?}"),
            )),
        }
    }
}

/// A correction of p-values for multiple testing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Correction {
    /// The p-values as they are.
    #[default]
    None,
    /// Bonferroni: `min(1, m p)` (family-wise error rate).
    Bonferroni,
    /// Holm's step-down (family-wise error rate, uniformly more powerful
    /// than Bonferroni).
    Holm,
    /// Benjamini–Hochberg step-up (false discovery rate).
    BenjaminiHochberg,
}

impl FromStr for Correction {
    type Err = CiblageError;

    /// Parses `"none"`, `"bonferroni"`, `"holm"` or `"bh"` (also
    /// `"fdr_bh"`, statsmodels' name).
    fn from_str(name: &str) -> Result<Self> {
        match name {
            "none" => Ok(Self::None),
            "bonferroni" => Ok(Self::Bonferroni),
            "holm" => Ok(Self::Holm),
            "bh" | "fdr_bh" => Ok(Self::BenjaminiHochberg),
            other => Err(CiblageError::param(
                "correction",
                format!("expected \"none\", \"bonferroni\", \"holm\" or \"bh\", got {other:?}"),
            )),
        }
    }
}

/// Terms of a tail below `e^-TAIL_CUT` times the largest one are dropped
/// (past the mode the terms fall at least geometrically).
const TAIL_CUT: f64 = 40.0;

/// `ln(e^a + e^b)`.
fn ln_add(a: f64, b: f64) -> f64 {
    let (hi, lo) = if a >= b { (a, b) } else { (b, a) };
    if lo == f64::NEG_INFINITY {
        hi
    } else {
        hi + (lo - hi).exp().ln_1p()
    }
}

/// `ln Σ pmf(k)` over `ks`, walking away from the mode, stopped once the
/// terms are negligible.
fn ln_tail(h: &Hypergeometric, ks: impl Iterator<Item = u64>) -> f64 {
    let mut total = f64::NEG_INFINITY;
    for k in ks {
        let term = h.ln_pmf(k);
        total = ln_add(total, term);
        if term < total - TAIL_CUT {
            break;
        }
    }
    total
}

/// The one-sided Fisher p-value `P(X >= n_ac)`, X hypergeometric with
/// `n_a` of `n` baskets holding A and `n_c` drawn (the baskets with C).
pub(super) fn fisher_greater(n: u64, n_a: u64, n_c: u64, n_ac: u64) -> f64 {
    let lo = (n_a + n_c).saturating_sub(n);
    let hi = n_a.min(n_c);
    if n_ac <= lo {
        return 1.0;
    }
    let h = match Hypergeometric::new(n, n_a, n_c) {
        Ok(h) => h,
        Err(_) => return f64::NAN,
    };
    let mode = ((n_c + 1) as f64 * (n_a + 1) as f64 / (n + 2) as f64).floor() as u64;
    if n_ac > mode {
        // The upper tail, its terms falling from n_ac on.
        ln_tail(&h, n_ac..=hi).exp().min(1.0)
    } else {
        // One minus the lower tail P(X <= n_ac - 1), its terms falling
        // from n_ac - 1 down.
        let lower = ln_tail(&h, (lo..n_ac).rev()).exp();
        (1.0 - lower).clamp(0.0, 1.0)
    }
}

/// The χ² p-value of the 2×2 table (1 for a table with an empty margin).
pub(super) fn chi_squared(n: u64, n_a: u64, n_c: u64, n_ac: u64) -> f64 {
    let (nf, a, c, ac) = (n as f64, n_a as f64, n_c as f64, n_ac as f64);
    let den = a * (nf - a) * c * (nf - c);
    if den == 0.0 {
        return 1.0;
    }
    // n (ad − bc)² / (row and column margins), with ad − bc = n n_ac − n_a n_c.
    let diff = nf * ac - a * c;
    let stat = nf * (diff / a) * (diff / (nf - a)) / c / (nf - c);
    match ChiSquared::new(1.0) {
        Ok(chi) => chi.sf(stat),
        Err(_) => f64::NAN,
    }
}

/// `p` corrected for testing them all. NaN entries (pairs that could not
/// be tested) stay NaN and do not count in the family size; ties are
/// ordered by position, so the result depends on nothing else.
pub(super) fn correct(p: &[f64], correction: Correction) -> Vec<f64> {
    let order = ascending(p);
    let m = order.len() as f64;
    let mut out = p.to_vec();
    match correction {
        Correction::None => {}
        Correction::Bonferroni => {
            for &i in &order {
                out[i] = (p[i] * m).min(1.0);
            }
        }
        Correction::Holm => {
            let mut running: f64 = 0.0;
            for (rank, &i) in order.iter().enumerate() {
                running = running.max(((m - rank as f64) * p[i]).min(1.0));
                out[i] = running;
            }
        }
        Correction::BenjaminiHochberg => {
            let mut running: f64 = 1.0;
            for (rank, &i) in order.iter().enumerate().rev() {
                running = running.min((p[i] * m / (rank + 1) as f64).min(1.0));
                out[i] = running;
            }
        }
    }
    out
}

/// Indices of the non-NaN entries of `p` by ascending value (ties by
/// index).
fn ascending(p: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..p.len()).filter(|&i| !p[i].is_nan()).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]).then(a.cmp(&b)));
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs().max(1e-300)
    }

    #[test]
    fn fisher_by_hand() {
        // n = 10, A in 5, C in 4, both in 4: P(X >= 4) = P(X = 4)
        // = C(5,4) C(5,0) / C(10,4) = 5 / 210.
        assert!(close(fisher_greater(10, 5, 4, 4), 5.0 / 210.0, 1e-12));
        // Both in 3: P(X >= 3) = (C(5,3) C(5,1) + 5) / 210 = 55 / 210.
        assert!(close(fisher_greater(10, 5, 4, 3), 55.0 / 210.0, 1e-12));
        // Both in 1 (below the mode 2): 1 − P(X = 0) = 1 − C(5,4)/210.
        assert!(close(fisher_greater(10, 5, 4, 1), 1.0 - 5.0 / 210.0, 1e-12));
        assert_eq!(fisher_greater(10, 5, 4, 0), 1.0);
        // A large table is fast (the tail is cut once negligible), and a
        // vanishing tail is 0, never NaN: 1e6 baskets.
        let p = fisher_greater(1_000_000, 1_000, 1_000, 500);
        assert!((0.0..1e-300).contains(&p));
        // Expected 1 basket with both: P(X >= 1) = 1 − P(X = 0), close to
        // 1 − e^-1 (Poisson limit).
        let p = fisher_greater(1_000_000, 1_000, 1_000, 1);
        assert!(close(p, 1.0 - (-1.0f64).exp(), 1e-3), "{p}");
    }

    #[test]
    fn chi_squared_by_hand() {
        // Table [[4, 1], [0, 5]]: stat = 10 (20 − 0)² / (5·5·4·6) = 6.667,
        // p = erfc(sqrt(stat / 2)) = 0.009823 (1 degree of freedom).
        let p = chi_squared(10, 5, 4, 4);
        assert!(close(p, 0.009_823_274_507_519_235, 1e-9), "{p}");
        assert_eq!(chi_squared(10, 10, 4, 4), 1.0);
    }

    #[test]
    fn corrections_by_hand() {
        let p = [0.01, 0.04, 0.03, 0.5];
        assert_eq!(
            correct(&p, Correction::Bonferroni),
            vec![0.04, 0.16, 0.12, 1.0]
        );
        // Holm: sorted 0.01, 0.03, 0.04, 0.5 times 4, 3, 2, 1 = 0.04, 0.09,
        // 0.08 -> 0.09 (monotone), 0.5.
        let holm = correct(&p, Correction::Holm);
        for (a, b) in holm.iter().zip([0.04, 0.09, 0.09, 0.5]) {
            assert!(close(*a, b, 1e-12));
        }
        // BH: 0.01·4/1 = 0.04, 0.03·4/2 = 0.06, 0.04·4/3 = 0.0533, 0.5
        // -> running minimum from the top: 0.04, 0.0533, 0.0533, 0.5.
        let bh = correct(&p, Correction::BenjaminiHochberg);
        for (a, b) in bh.iter().zip([0.04, 0.16 / 3.0, 0.16 / 3.0, 0.5]) {
            assert!(close(*a, b, 1e-12));
        }
        assert!("fdr".parse::<Correction>().is_err());
        assert_eq!(
            "bh".parse::<Correction>(),
            Ok(Correction::BenjaminiHochberg)
        );
    }

    /// `P(X ≥ hits)` by direct summation of the pmf over the whole support.
    fn brute(hits: u64, draws: u64, successes: u64, population: u64) -> f64 {
        let lo = (draws + successes).saturating_sub(population);
        let hi = successes.min(draws);
        (hits.max(lo)..=hi)
            .map(|x| {
                Hypergeometric::new(population, successes, draws)
                    .unwrap()
                    .pmf(x)
            })
            .sum::<f64>()
            .min(1.0)
    }

    #[test]
    fn fisher_matches_the_full_sum_of_the_pmf() {
        for &(n, k, d) in &[
            (20, 7, 5),
            (50, 25, 25),
            (100, 3, 60),
            (13, 13, 4),
            (40, 1, 1),
        ] {
            for hits in 0..=k.min(d) {
                let (got, want) = (fisher_greater(n, d, k, hits), brute(hits, d, k, n));
                assert!(
                    (got - want).abs() < 1e-12 * want.max(1e-300) + 1e-14,
                    "{n} {k} {d} {hits}: {got} vs {want}"
                );
            }
        }
    }

    #[test]
    fn fisher_known_values_by_hand() {
        // 2×2 table [[3, 1], [1, 3]] (the tea-tasting lady): one-sided
        // p = (C(4,3)C(4,1) + C(4,4)C(4,0)) / C(8,4) = 17/70.
        assert!((fisher_greater(8, 4, 4, 3) - 17.0 / 70.0).abs() < 1e-14);
        // The 500 buyers of a base of a million all in a segment of 500:
        // P = 1/C(1e6, 500), below the smallest float: 0, not NaN.
        let tiny = fisher_greater(1_000_000, 500, 500, 500);
        assert!((0.0..1e-300).contains(&tiny));
        assert_eq!(fisher_greater(100, 10, 5, 0), 1.0);
    }

    #[test]
    fn corrections_follow_their_definitions_and_skip_nan() {
        let p = [0.01, 0.02, 0.03, 0.04, 0.5];
        let b = correct(&p, Correction::Bonferroni);
        assert!((b[0] - 0.05).abs() < 1e-15 && b[4] == 1.0);
        // BH: m p / rank, then the running minimum from the largest:
        // 0.05, 0.05, 0.05, 0.05, 0.5.
        let bh = correct(&p, Correction::BenjaminiHochberg);
        for (got, want) in bh.iter().zip([0.05, 0.05, 0.05, 0.05, 0.5]) {
            assert!((got - want).abs() < 1e-15, "{bh:?}");
        }
        assert_eq!(correct(&p, Correction::None), p.to_vec());
        // NaN entries are not tested: m = 3 for Holm here.
        let holm = correct(&[0.01, 0.04, f64::NAN, 0.03], Correction::Holm);
        assert!((holm[0] - 0.03).abs() < 1e-15 && (holm[3] - 0.06).abs() < 1e-15);
        assert!((holm[1] - 0.06).abs() < 1e-15 && holm[2].is_nan());
        assert_eq!("holm".parse::<Correction>(), Ok(Correction::Holm));
        let e = "sidak".parse::<Correction>().unwrap_err().to_string();
        assert!(e.contains("correction") && e.contains("\"bh\""), "{e}");
    }
}
