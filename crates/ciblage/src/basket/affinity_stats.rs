//! The significance of a segment's penetration: Fisher's exact test,
//! one-sided (the segment buys more than the rest of the base), computed
//! in log space, and the multiple-testing corrections of a family of tests.

use std::str::FromStr;

use statrs::function::gamma::ln_gamma;

use crate::error::{CiblageError, Result};

/// A relative term below which a tail sum stops (far below `f64` epsilon).
const NEGLIGIBLE: f64 = 1e-18;

/// `ln C(n, k)`.
fn ln_choose(n: u64, k: u64) -> f64 {
    ln_gamma(n as f64 + 1.0) - ln_gamma(k as f64 + 1.0) - ln_gamma((n - k) as f64 + 1.0)
}

/// `ln P(X = k)` for `X ~ Hypergeometric(population, successes, draws)`.
fn ln_pmf(k: u64, population: u64, successes: u64, draws: u64) -> f64 {
    ln_choose(successes, k) + ln_choose(population - successes, draws - k)
        - ln_choose(population, draws)
}

/// One-sided Fisher's exact test of over-representation: `P(X ≥ hits)`
/// for `X ~ Hypergeometric(population, successes, draws)`, i.e. the chance
/// that `draws` customers taken at random from a base of `population`
/// customers, `successes` of whom bought the product, hold at least `hits`
/// buyers. Summed term by term from the pmf at `hits` (in log space) with
/// the ratio of consecutive terms, on the tail that does not hold the mode
/// (its complement otherwise), until the terms no longer change the sum.
///
/// The caller guarantees `successes ≤ population`, `draws ≤ population`
/// and `hits ≤ min(successes, draws)`.
pub(crate) fn fisher_greater(hits: u64, draws: u64, successes: u64, population: u64) -> f64 {
    let lo = (draws + successes).saturating_sub(population);
    let hi = successes.min(draws);
    if hits <= lo {
        return 1.0;
    }
    if hits > hi {
        return 0.0;
    }
    let (n, k, d) = (population as f64, successes as f64, draws as f64);
    let mode = ((d + 1.0) * (k + 1.0) / (n + 2.0)).floor() as u64;
    let failures = population - successes;
    if hits > mode {
        // Upper tail from `hits`: t(x+1)/t(x) = (K−x)(d−x) / ((x+1)(N−K−d+x+1)).
        let (mut term, mut sum) = (1.0_f64, 1.0_f64);
        let mut x = hits;
        while x < hi {
            let xf = x as f64;
            term *= (k - xf) * (d - xf) / ((xf + 1.0) * ((failures + x + 1 - draws) as f64));
            sum += term;
            x += 1;
            if term < sum * NEGLIGIBLE {
                break;
            }
        }
        (ln_pmf(hits, population, successes, draws) + sum.ln())
            .exp()
            .min(1.0)
    } else {
        // 1 − P(X ≤ hits − 1), lower tail summed downwards:
        // t(x−1)/t(x) = x(N−K−d+x) / ((K−x+1)(d−x+1)).
        let top = hits - 1;
        let (mut term, mut sum) = (1.0_f64, 1.0_f64);
        let mut x = top;
        while x > lo {
            let xf = x as f64;
            term *= xf * ((failures + x - draws) as f64) / ((k - xf + 1.0) * (d - xf + 1.0));
            sum += term;
            x -= 1;
            if term < sum * NEGLIGIBLE {
                break;
            }
        }
        let below = (ln_pmf(top, population, successes, draws) + sum.ln()).exp();
        (1.0 - below).clamp(0.0, 1.0)
    }
}

/// A multiple-testing correction of p-values (for affinity, the family is
/// every (segment, product) pair tested). The same enum as the association
/// rules' correction: a merged module keeps a single definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Correction {
    /// No correction: adjusted p-values are the p-values.
    #[default]
    None,
    /// Bonferroni: `min(1, m·p)` (controls the family-wise error rate).
    Bonferroni,
    /// Holm's step-down: controls the family-wise error rate, more
    /// powerful than Bonferroni.
    Holm,
    /// Benjamini–Hochberg step-up: controls the false discovery rate.
    BenjaminiHochberg,
}

impl FromStr for Correction {
    type Err = CiblageError;

    /// Parses the `correction` option: `"none"`, `"bonferroni"`, `"holm"`
    /// or `"bh"` (also `"fdr_bh"`, `"benjamini_hochberg"`).
    fn from_str(name: &str) -> Result<Self> {
        match name {
            "none" => Ok(Self::None),
            "bonferroni" => Ok(Self::Bonferroni),
            "holm" => Ok(Self::Holm),
            "bh" | "fdr_bh" | "benjamini_hochberg" => Ok(Self::BenjaminiHochberg),
            other => Err(CiblageError::param(
                "correction",
                format!(
                    "expected one of \"none\", \"bonferroni\", \"holm\", \"bh\", got {other:?}"
                ),
            )),
        }
    }
}

/// The adjusted p-values of `p` (NaN entries are not tested: they stay
/// NaN and do not count in the family size). Ties are ordered by
/// position, so the result does not depend on anything else.
pub(crate) fn adjust(correction: Correction, p: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..p.len()).filter(|&i| !p[i].is_nan()).collect();
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
            order.sort_by(|&a, &b| p[a].total_cmp(&p[b]).then(a.cmp(&b)));
            let mut running = 0.0_f64;
            for (j, &i) in order.iter().enumerate() {
                running = running.max(((m - j as f64) * p[i]).min(1.0));
                out[i] = running;
            }
        }
        Correction::BenjaminiHochberg => {
            order.sort_by(|&a, &b| p[a].total_cmp(&p[b]).then(a.cmp(&b)));
            let mut running = 1.0_f64;
            for (j, &i) in order.iter().enumerate().rev() {
                running = running.min((p[i] * m / (j as f64 + 1.0)).min(1.0));
                out[i] = running;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `P(X ≥ hits)` by direct summation of the pmf over the whole support.
    fn brute(hits: u64, draws: u64, successes: u64, population: u64) -> f64 {
        let lo = (draws + successes).saturating_sub(population);
        let hi = successes.min(draws);
        (hits.max(lo)..=hi)
            .map(|x| ln_pmf(x, population, successes, draws).exp())
            .sum::<f64>()
            .min(1.0)
    }

    #[test]
    fn fisher_matches_the_full_sum() {
        for &(n, k, d) in &[
            (20, 7, 5),
            (50, 25, 25),
            (100, 3, 60),
            (13, 13, 4),
            (40, 1, 1),
        ] {
            for hits in 0..=k.min(d) {
                let (got, want) = (fisher_greater(hits, d, k, n), brute(hits, d, k, n));
                assert!(
                    (got - want).abs() < 1e-12 * want.max(1e-300) + 1e-14,
                    "{n} {k} {d} {hits}: {got} vs {want}"
                );
            }
        }
    }

    #[test]
    fn fisher_known_values() {
        // 2×2 table [[3, 1], [1, 3]] (the tea-tasting lady): one-sided
        // p = (C(4,3)C(4,1) + C(4,4)C(4,0)) / C(8,4) = 17/70.
        assert!((fisher_greater(3, 4, 4, 8) - 17.0 / 70.0).abs() < 1e-14);
        // The 500 buyers of a base of a million all in a segment of 500:
        // P = 1/C(1e6, 500), below the smallest float: 0, not NaN.
        let tiny = fisher_greater(500, 500, 500, 1_000_000);
        assert!((0.0..1e-300).contains(&tiny));
        assert_eq!(fisher_greater(0, 10, 5, 100), 1.0);
    }

    #[test]
    fn corrections_follow_their_definitions() {
        let p = [0.01, 0.02, 0.03, 0.04, 0.5];
        let b = adjust(Correction::Bonferroni, &p);
        assert!((b[0] - 0.05).abs() < 1e-15 && b[4] == 1.0);
        // BH: m p / rank, then the running minimum from the largest:
        // 0.05, 0.05, 0.05, 0.05, 0.5.
        let bh = adjust(Correction::BenjaminiHochberg, &p);
        for (got, want) in bh.iter().zip([0.05, 0.05, 0.05, 0.05, 0.5]) {
            assert!((got - want).abs() < 1e-15, "{bh:?}");
        }
        assert_eq!(adjust(Correction::None, &p), p.to_vec());
        // NaN entries are not tested: m = 3 for Holm here.
        let holm = adjust(Correction::Holm, &[0.01, 0.04, f64::NAN, 0.03]);
        assert!((holm[0] - 0.03).abs() < 1e-15 && (holm[3] - 0.06).abs() < 1e-15);
        assert!((holm[1] - 0.06).abs() < 1e-15 && holm[2].is_nan());
        assert_eq!("holm".parse::<Correction>(), Ok(Correction::Holm));
        let e = "sidak".parse::<Correction>().unwrap_err().to_string();
        assert!(e.contains("correction") && e.contains("\"bh\""), "{e}");
    }
}
