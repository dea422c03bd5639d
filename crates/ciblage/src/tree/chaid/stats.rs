//! Tests on contingency tables, in log p, and Bonferroni multipliers in log
//! space, so that nothing underflows or overflows at any sample size.

use statrs::distribution::{ChiSquared, ContinuousCDF, FisherSnedecor};
use statrs::function::beta::ln_beta;
use statrs::function::gamma::ln_gamma;

/// ln P(χ²_df > x): the upper regularized gamma Q(df/2, x/2) in log space.
/// Where Q is not tiny, statrs' distribution gives it; in the far tail the
/// Legendre continued fraction of Q is evaluated with its prefactor kept as
/// a logarithm (`−x/2 + a ln(x/2) − ln Γ(a)`), which never underflows.
pub(crate) fn ln_chi2_sf(x: f64, df: f64) -> f64 {
    if x.is_nan() || x <= 0.0 || df <= 0.0 {
        return 0.0;
    }
    let (a, z) = (df / 2.0, x / 2.0);
    if z < a + 1.0 || z < 30.0 {
        let p = ChiSquared::new(df).map_or(1.0, |d| d.sf(x));
        if p > 1e-300 {
            return p.ln();
        }
    }
    // Modified Lentz on Q(a, z) = e^{−z} z^a / Γ(a) · 1/(z + 1 − a − 1·(1 − a)/(z + 3 − a − …)).
    let tiny = 1e-300;
    let mut b = z + 1.0 - a;
    let mut c = 1.0 / tiny;
    let mut d = 1.0 / b;
    let mut h = d;
    for i in 1..10_000 {
        let an = -(i as f64) * (i as f64 - a);
        b += 2.0;
        d = an * d + b;
        if d.abs() < tiny {
            d = tiny;
        }
        c = b + an / c;
        if c.abs() < tiny {
            c = tiny;
        }
        d = 1.0 / d;
        let delta = d * c;
        h *= delta;
        if (delta - 1.0).abs() < 1e-15 {
            break;
        }
    }
    (-z + a * z.ln() - ln_gamma(a) + h.ln()).min(0.0)
}

/// Pearson χ² of a table (rows = groups, columns = classes), with empty
/// rows and columns dropped: (statistic, df, ln p). Fewer than two non-empty
/// rows or columns: (0, 0, ln 1).
pub(crate) fn pearson(rows: &[&[f64]]) -> (f64, f64, f64) {
    let Some(Margins {
        col_tot,
        row_tot,
        n,
        df,
    }) = margins(rows)
    else {
        return (0.0, 0.0, 0.0);
    };
    let mut x2 = 0.0;
    for (r, &rt) in rows.iter().zip(&row_tot) {
        if rt <= 0.0 {
            continue;
        }
        for (c, &ct) in col_tot.iter().enumerate() {
            if ct <= 0.0 {
                continue;
            }
            let m = rt * ct / n;
            x2 += (r[c] - m) * (r[c] - m) / m;
        }
    }
    (x2, df, ln_chi2_sf(x2, df))
}

/// A table's margins and degrees of freedom, empty rows and columns
/// dropped; `None` with fewer than two non-empty rows or columns.
struct Margins {
    col_tot: Vec<f64>,
    row_tot: Vec<f64>,
    n: f64,
    df: f64,
}

fn margins(rows: &[&[f64]]) -> Option<Margins> {
    let j = rows.first().map_or(0, |r| r.len());
    let col_tot: Vec<f64> = (0..j).map(|c| rows.iter().map(|r| r[c]).sum()).collect();
    let row_tot: Vec<f64> = rows.iter().map(|r| r.iter().sum()).collect();
    let n: f64 = row_tot.iter().sum();
    let live_rows = row_tot.iter().filter(|&&t| t > 0.0).count();
    let live_cols = col_tot.iter().filter(|&&t| t > 0.0).count();
    (live_rows >= 2 && live_cols >= 2).then(|| Margins {
        col_tot,
        row_tot,
        n,
        df: ((live_rows - 1) * (live_cols - 1)) as f64,
    })
}

/// Likelihood-ratio χ² (G²) of a table, empty rows and columns dropped as
/// in [`pearson`]: G² = 2 Σ o·ln(o / e) over the non-empty cells, with the
/// same degrees of freedom. (statistic, df, ln p).
pub(crate) fn likelihood_ratio(rows: &[&[f64]]) -> (f64, f64, f64) {
    let Some(Margins {
        col_tot,
        row_tot,
        n,
        df,
    }) = margins(rows)
    else {
        return (0.0, 0.0, 0.0);
    };
    let mut g2 = 0.0;
    for (r, &rt) in rows.iter().zip(&row_tot) {
        for (c, &ct) in col_tot.iter().enumerate() {
            if r[c] > 0.0 {
                g2 += r[c] * (r[c] * n / (rt * ct)).ln();
            }
        }
    }
    let g2 = (2.0 * g2).max(0.0);
    (g2, df, ln_chi2_sf(g2, df))
}

/// χ² of a case-weighted table (SPSS): each row holds the frequency counts
/// n_ij of the `j` classes, then the sums of case weight × frequency. The
/// expected counts are m_ij = α_i β_j / w̄_ij, with w̄_ij the mean case weight
/// of the cell (the overall mean for an empty cell), fitted to the margins
/// of n by iterative proportional fitting (at most 100 rounds, until no
/// expected count moves by 10⁻³ or more). Empty rows and columns are
/// dropped; Pearson's X² or, with `lr`, G² = 2 Σ n ln(n/m). (statistic, df,
/// ln p).
pub(crate) fn case_weighted(rows: &[&[f64]], j: usize, lr: bool) -> (f64, f64, f64) {
    let col_tot: Vec<f64> = (0..j).map(|c| rows.iter().map(|r| r[c]).sum()).collect();
    let cols: Vec<usize> = (0..j).filter(|&c| col_tot[c] > 0.0).collect();
    let live: Vec<&[f64]> = rows
        .iter()
        .copied()
        .filter(|r| r[..j].iter().sum::<f64>() > 0.0)
        .collect();
    if live.len() < 2 || cols.len() < 2 {
        return (0.0, 0.0, 0.0);
    }
    let n_tot: f64 = live.iter().map(|r| r[..j].iter().sum::<f64>()).sum();
    let wf_tot: f64 = live.iter().map(|r| r[j..].iter().sum::<f64>()).sum();
    let overall = wf_tot / n_tot;
    // g = 1 / w̄ per live cell.
    let g: Vec<Vec<f64>> = live
        .iter()
        .map(|r| {
            cols.iter()
                .map(|&c| {
                    if r[c] > 0.0 {
                        r[c] / r[j + c]
                    } else {
                        1.0 / overall
                    }
                })
                .collect()
        })
        .collect();
    let row_n: Vec<f64> = live
        .iter()
        .map(|r| cols.iter().map(|&c| r[c]).sum())
        .collect();
    let col_n: Vec<f64> = cols.iter().map(|&c| col_tot[c]).collect();
    let (ni, nj) = (live.len(), cols.len());
    let mut alpha = vec![1.0; ni];
    let mut beta = vec![1.0; nj];
    let mut m: Vec<Vec<f64>> = g.clone();
    for _ in 0..100 {
        for i in 0..ni {
            alpha[i] = row_n[i] / (0..nj).map(|c| g[i][c] * beta[c]).sum::<f64>();
        }
        for c in 0..nj {
            beta[c] = col_n[c] / (0..ni).map(|i| g[i][c] * alpha[i]).sum::<f64>();
        }
        let mut change: f64 = 0.0;
        for i in 0..ni {
            for c in 0..nj {
                let next = g[i][c] * alpha[i] * beta[c];
                change = change.max((next - m[i][c]).abs());
                m[i][c] = next;
            }
        }
        if change < 1e-3 {
            break;
        }
    }
    let mut stat = 0.0;
    for (r, mr) in live.iter().zip(&m) {
        for (k, &c) in cols.iter().enumerate() {
            let (o, e) = (r[c], mr[k]);
            stat += if lr {
                if o > 0.0 {
                    2.0 * o * (o / e).ln()
                } else {
                    0.0
                }
            } else {
                (o - e) * (o - e) / e
            };
        }
    }
    let stat = stat.max(0.0);
    let df = ((ni - 1) * (nj - 1)) as f64;
    (stat, df, ln_chi2_sf(stat, df))
}

/// ln P(F(d1, d2) > f). In the far tail, where the survival function
/// underflows, the leading term of the incomplete beta function
/// I_x(d2/2, d1/2), x = d2/(d2 + d1·f), is used in log space.
pub(crate) fn ln_f_sf(f: f64, d1: f64, d2: f64) -> f64 {
    if f.is_nan() || f <= 0.0 || d1 <= 0.0 || d2 <= 0.0 {
        return 0.0;
    }
    if f.is_infinite() {
        return f64::NEG_INFINITY;
    }
    let p = FisherSnedecor::new(d1, d2).map_or(1.0, |d| d.sf(f));
    if p > 1e-300 {
        return p.ln();
    }
    let (a, b) = (d2 / 2.0, d1 / 2.0);
    let x = d2 / (d2 + d1 * f);
    (a * x.ln() + b * (-x).ln_1p() - a.ln() - ln_beta(a, b)).min(0.0)
}

/// One-way ANOVA F of groups given as (Σw, Σwy, Σwy²): (F, df1, ln p).
/// Groups without weight are dropped; fewer than two groups, or no residual
/// degrees of freedom: (0, 0, ln 1). No within-group variance: p = 0 if the
/// means differ, 1 otherwise.
pub(crate) fn anova(rows: &[&[f64]]) -> (f64, f64, f64) {
    let live: Vec<&[f64]> = rows.iter().copied().filter(|r| r[0] > 0.0).collect();
    let g = live.len();
    let n: f64 = live.iter().map(|r| r[0]).sum();
    if g < 2 || n - g as f64 <= 0.0 {
        return (0.0, 0.0, 0.0);
    }
    let mean = live.iter().map(|r| r[1]).sum::<f64>() / n;
    let ssb: f64 = live
        .iter()
        .map(|r| r[0] * (r[1] / r[0] - mean).powi(2))
        .sum();
    let ssw: f64 = live
        .iter()
        .map(|r| (r[2] - r[1] * r[1] / r[0]).max(0.0))
        .sum();
    let (df1, df2) = ((g - 1) as f64, n - g as f64);
    if ssw <= 1e-12 * (ssb + ssw) {
        return if ssb > 0.0 {
            (f64::INFINITY, df1, f64::NEG_INFINITY)
        } else {
            (0.0, df1, 0.0)
        };
    }
    let f = (ssb / df1) / (ssw / df2);
    (f, df1, ln_f_sf(f, df1, df2))
}

/// ln C(n, k).
fn ln_choose(n: usize, k: usize) -> f64 {
    if k > n {
        return f64::NEG_INFINITY;
    }
    ln_gamma(n as f64 + 1.0) - ln_gamma(k as f64 + 1.0) - ln_gamma((n - k) as f64 + 1.0)
}

/// ln S(n, k), Stirling numbers of the second kind, by the recurrence
/// S(n, k) = k·S(n−1, k) + S(n−1, k−1) in log space.
pub(crate) fn ln_stirling2(n: usize, k: usize) -> f64 {
    if k == 0 || k > n {
        return if n == 0 && k == 0 {
            0.0
        } else {
            f64::NEG_INFINITY
        };
    }
    // row[j] = ln S(m, j) for the current m.
    let mut row = vec![f64::NEG_INFINITY; k + 1];
    row[0] = 0.0; // S(0, 0) = 1
    for m in 1..=n {
        for j in (1..=k.min(m)).rev() {
            let a = (j as f64).ln() + row[j];
            let b = row[j - 1];
            row[j] = log_add(a, b);
        }
        row[0] = f64::NEG_INFINITY;
    }
    row[k]
}

fn log_add(a: f64, b: f64) -> f64 {
    if a == f64::NEG_INFINITY {
        return b;
    }
    if b == f64::NEG_INFINITY {
        return a;
    }
    let m = a.max(b);
    m + ((a - m).exp() + (b - m).exp()).ln()
}

/// How a predictor's categories may be grouped, for the Bonferroni multiplier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GroupingKind {
    Nominal,
    Ordinal,
    /// Ordinal with a floating missing category.
    Floating,
}

/// ln B for `i` categories reduced to `r` groups (Kass 1980, as SPSS).
pub(crate) fn ln_bonferroni(kind: GroupingKind, i: usize, r: usize) -> f64 {
    if r >= i || r == 0 {
        return 0.0;
    }
    match kind {
        GroupingKind::Ordinal => ln_choose(i - 1, r - 1),
        GroupingKind::Nominal => ln_stirling2(i, r),
        GroupingKind::Floating => {
            if r < 2 || i < 2 {
                return 0.0;
            }
            let a = ln_choose(i - 2, r - 2);
            let b = (r as f64).ln() + ln_choose(i - 2, r - 1);
            log_add(a, b)
        }
    }
    .max(0.0)
}

/// ln B for Exhaustive CHAID (Biggs et al. 1991).
pub(crate) fn ln_bonferroni_exhaustive(kind: GroupingKind, i: usize) -> f64 {
    let i = i as f64;
    match kind {
        GroupingKind::Ordinal | GroupingKind::Floating => (i * (i - 1.0) / 2.0).max(1.0).ln(),
        GroupingKind::Nominal => (i * (i * i - 1.0) / 2.0).max(1.0).ln(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn pearson_2x2_without_yates() {
        // C1: x = 1,1,1,1,2,2,2 vs y = 1,1,1,2,2,2,2 → [[3,1],[0,3]]:
        // χ² = 3.9375, p = 0.0472209.
        let (x2, df, lp) = pearson(&[&[3.0, 1.0], &[0.0, 3.0]]);
        assert!((x2 - 3.9375).abs() < 1e-12);
        assert_eq!(df, 1.0);
        assert!((lp.exp() - 0.047_220_9).abs() < 1e-6);
    }

    #[test]
    fn likelihood_ratio_by_hand() {
        // Table (60, 60), (55, 5): n = 180, expected 76.667, 43.333,
        // 38.333, 21.667; G² = 2 Σ o ln(o/e) = 34.684090 (chaid.md C12 T1,
        // LR), df 1, p = 3.87788e-09.
        let (g2, df, lp) = likelihood_ratio(&[&[60.0, 60.0], &[55.0, 5.0]]);
        assert!((g2 - 34.684090).abs() < 1e-6, "{g2}");
        assert_eq!(df, 1.0);
        assert!((lp.exp() / 3.87788e-9 - 1.0).abs() < 1e-5, "{}", lp.exp());
        // Independence: G² = 0, p = 1.
        let (g2, _, lp) = likelihood_ratio(&[&[10.0, 20.0], &[5.0, 10.0]]);
        assert!(g2.abs() < 1e-12 && lp.abs() < 1e-12);
    }

    #[test]
    fn equal_case_weights_give_the_plain_statistics() {
        // Every case weighing 2.5: w̄ is constant, m = n_i·n_·j / n.
        let n = [[12.0, 3.0, 5.0], [4.0, 9.0, 7.0]];
        let rows: Vec<Vec<f64>> = n
            .iter()
            .map(|r| r.iter().copied().chain(r.iter().map(|v| 2.5 * v)).collect())
            .collect();
        let rows: Vec<&[f64]> = rows.iter().map(Vec::as_slice).collect();
        let plain: Vec<&[f64]> = n.iter().map(|r| r.as_slice()).collect();
        let (x2, df, lp) = case_weighted(&rows, 3, false);
        let (px2, pdf, plp) = pearson(&plain);
        assert!((x2 - px2).abs() < 1e-9 && df == pdf && (lp - plp).abs() < 1e-9);
        let (g2, _, _) = case_weighted(&rows, 3, true);
        assert!((g2 - likelihood_ratio(&plain).0).abs() < 1e-9);
    }

    #[test]
    fn case_weights_by_hand() {
        // 2×2, n = [[10, 10], [10, 10]]; case weights 1 everywhere except
        // 3 in cell (1, 1), so g = 1/w̄ = [[1, 1], [1, 1/3]]. m = g·α·β fixes
        // the cross ratio m00·m11 / (m01·m10) = 1/3; with all margins 20,
        // m = [[a, 20 − a], [20 − a, a]] and a² / (20 − a)² = 1/3, so
        // a = 20 / (1 + √3) = 7.3205. X² = 2·(10 − 7.3205)²/7.3205
        // + 2·(10 − 12.6795)²/12.6795 = 1.96152 + 1.13249 = 3.0940.
        let rows = [[10.0, 10.0, 10.0, 10.0], [10.0, 10.0, 10.0, 30.0]];
        let rows: Vec<&[f64]> = rows.iter().map(|r| r.as_slice()).collect();
        let (x2, df, _) = case_weighted(&rows, 2, false);
        assert_eq!(df, 1.0);
        assert!((x2 - 3.0940).abs() < 2e-3, "{x2}");
    }

    #[test]
    fn log_p_in_the_far_tail() {
        // χ²(1) survival at x = 2000: p = erfc(√1000) ≈ 1.2e-436, below f64;
        // ln p = ln erfc(√(x/2)) ≈ −x/2 − ½ ln(π x/2) = −1000 − ½ ln(1000 π).
        let lp = ln_chi2_sf(2000.0, 1.0);
        let asymptotic = -1000.0 - 0.5 * (1000.0 * std::f64::consts::PI).ln();
        assert!((lp - asymptotic).abs() < 1e-3, "{lp} vs {asymptotic}");
        // Continuity where both methods apply: df 10, x = 200.
        let p = ChiSquared::new(10.0).unwrap().sf(200.0);
        assert!((ln_chi2_sf(200.0, 10.0) - p.ln()).abs() < 1e-9);
    }

    #[test]
    fn anova_by_hand() {
        // Groups {1, 2, 3} and {4, 5, 6}: means 2 and 5, grand mean 3.5;
        // SSB = 3·1.5² + 3·1.5² = 13.5, SSW = 2 + 2 = 4, F = 13.5 / (4/4) = 13.5,
        // df (1, 4): p = 0.02131 (F distribution).
        let g = |v: &[f64]| {
            vec![
                v.len() as f64,
                v.iter().sum(),
                v.iter().map(|x| x * x).sum(),
            ]
        };
        let (a, b) = (g(&[1.0, 2.0, 3.0]), g(&[4.0, 5.0, 6.0]));
        let (f, df, lp) = anova(&[&a, &b]);
        assert!((f - 13.5).abs() < 1e-12 && df == 1.0);
        let p = FisherSnedecor::new(1.0, 4.0).unwrap().sf(13.5);
        assert!((lp - p.ln()).abs() < 1e-12 && (p - 0.021312).abs() < 1e-5);
        // Far tail: the log-space approximation continues the exact values.
        let exact = FisherSnedecor::new(3.0, 1000.0).unwrap().sf(100.0).ln();
        let (a, b) = (500.0, 1.5);
        let x: f64 = 1000.0 / (1000.0 + 300.0);
        let lead = a * x.ln() + b * (1.0 - x).ln() - a.ln() - ln_beta(a, b);
        assert!(
            (lead - exact).abs() < 0.05 * exact.abs(),
            "{lead} vs {exact}"
        );
        assert!(ln_f_sf(1e6, 3.0, 1000.0) < -1000.0);
    }

    #[test]
    fn bonferroni_check_values() {
        let e = |x: f64| x.exp().round();
        assert_eq!(e(ln_stirling2(4, 2)), 7.0);
        assert_eq!(e(ln_stirling2(5, 3)), 25.0);
        assert_eq!(e(ln_stirling2(10, 3)), 9330.0);
        assert_eq!(e(ln_bonferroni(GroupingKind::Ordinal, 4, 2)), 3.0);
        assert_eq!(e(ln_bonferroni(GroupingKind::Floating, 4, 2)), 5.0);
        assert_eq!(e(ln_bonferroni(GroupingKind::Ordinal, 5, 3)), 6.0);
        assert_eq!(e(ln_bonferroni(GroupingKind::Ordinal, 10, 6)), 126.0);
        assert_eq!(e(ln_bonferroni(GroupingKind::Ordinal, 9, 4)), 56.0);
        assert_eq!(e(ln_bonferroni(GroupingKind::Floating, 11, 5)), 714.0);
        assert_eq!(e(ln_bonferroni_exhaustive(GroupingKind::Ordinal, 8)), 28.0);
        assert_eq!(e(ln_bonferroni_exhaustive(GroupingKind::Nominal, 8)), 252.0);
        assert_eq!(e(ln_bonferroni_exhaustive(GroupingKind::Nominal, 2)), 3.0);
        // S(200, 100) ≈ 2.3e234 stays finite in log space: ln ≈ 539.9.
        let l = ln_stirling2(200, 100);
        assert!((l / std::f64::consts::LN_10 - 234.36).abs() < 0.05, "{l}");
    }

    fn brute_force_set_partitions(n: usize, k: usize) -> u64 {
        // Count assignments of n labelled items to exactly k unlabelled
        // non-empty blocks via restricted growth strings.
        fn go(i: usize, n: usize, k: usize, max: usize) -> u64 {
            if i == n {
                return u64::from(max == k);
            }
            (0..=max.min(k - 1))
                .map(|b| go(i + 1, n, k, max.max(b + 1)))
                .sum()
        }
        if k == 0 {
            return u64::from(n == 0);
        }
        go(0, n, k, 0)
    }

    proptest! {
        #[test]
        fn multipliers_are_at_least_one_and_match_brute_force(i in 2usize..9, r in 1usize..9) {
            prop_assume!(r <= i);
            for kind in [GroupingKind::Nominal, GroupingKind::Ordinal, GroupingKind::Floating] {
                prop_assert!(ln_bonferroni(kind, i, r) >= 0.0);
            }
            let s = ln_stirling2(i, r).exp().round() as u64;
            prop_assert_eq!(s, brute_force_set_partitions(i, r));
            // Ordinal: C(i−1, r−1) ways to cut i ordered categories into r runs.
            let runs = ln_bonferroni(GroupingKind::Ordinal, i, r).exp().round() as u64;
            let brute = (0u32..(1 << (i - 1))).filter(|m| m.count_ones() as usize == r - 1).count() as u64;
            prop_assert_eq!(if r == i { 1 } else { runs }, brute);
        }
    }
}
