//! The `chaid` package's (5.5.1) merging and minimum-child rule, for the
//! `chaid_package` preset, weighted or not.
//!
//! The package merges one predictor's groups while the most similar pair's p
//! is at least `alpha_merge`, and checks `min_child` during the merge: a pair
//! is not considered if merging it would leave fewer than `min_child` cases
//! (weighted) to the other groups, and a grouping is refused while the last
//! pair table examined holds a group below `min_child`. With weights, a
//! pair's χ² keeps all classes and takes its expected counts from an
//! iterative proportional fit where empty cells weigh 10⁻⁶ (equal to the
//! plain Pearson χ² of the weighted table when no cell is empty). These
//! rules are reproduced as the package applies them, oddities included, so
//! that users migrating from it get the same trees.

use std::collections::HashMap;

use crate::tree::chaid::merge::{Candidate, Grouping, NodeTable};
use crate::tree::chaid::stats::{ln_chi2_sf, pearson, GroupingKind};

/// The package's χ² of a table: (statistic, df, p). Unweighted: Pearson.
/// Weighted: expected counts fitted to the margins from cell weights 1
/// (non-empty) and 10⁻⁶ (empty), until no expected count moves by more than
/// 10⁻⁵; empty columns stay (a column empty in every row gives NaN, as in
/// the package).
pub(crate) fn package_chi2(rows: &[Vec<f64>], weighted: bool) -> (f64, f64, f64) {
    if !weighted {
        let r: Vec<&[f64]> = rows.iter().map(Vec::as_slice).collect();
        let (x2, df, lp) = pearson(&r);
        return (x2, df, lp.exp());
    }
    let (i, j) = (rows.len(), rows.first().map_or(0, Vec::len));
    let w: Vec<Vec<f64>> = rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|&v| if v != 0.0 { 1.0 } else { 1e-6 })
                .collect()
        })
        .collect();
    let row_sum: Vec<f64> = rows.iter().map(|r| r.iter().sum()).collect();
    let col_sum: Vec<f64> = (0..j).map(|c| rows.iter().map(|r| r[c]).sum()).collect();
    let mut m = w.clone();
    let mut alpha = vec![1.0; i];
    for _ in 0..10_000 {
        for (a, (mr, &rs)) in alpha.iter_mut().zip(m.iter().zip(&row_sum)) {
            *a *= rs / mr.iter().sum::<f64>();
        }
        let beta: Vec<f64> = (0..j)
            .map(|c| col_sum[c] / (0..i).map(|r| alpha[r] * w[r][c]).sum::<f64>())
            .collect();
        let mut eps: f64 = 0.0;
        for r in 0..i {
            for c in 0..j {
                let next = w[r][c] * alpha[r] * beta[c];
                eps = eps.max((next - m[r][c]).abs());
                m[r][c] = next;
            }
        }
        // NaN (an empty column) stops the loop as in the package.
        if eps.is_nan() || eps <= 10e-6 {
            break;
        }
    }
    let chi: f64 = rows
        .iter()
        .zip(&m)
        .flat_map(|(o, e)| o.iter().zip(e).map(|(o, e)| (o - e) * (o - e) / e))
        .sum();
    let df = ((i - 1) * (j - 1)) as f64;
    let p = if df > 0.0 && !chi.is_nan() {
        ln_chi2_sf(chi, df).exp()
    } else {
        f64::NAN
    };
    (chi, df, p)
}

/// What the package's rule needs besides the table.
pub(crate) struct PackageRule {
    pub alpha_merge: f64,
    pub min_child: f64,
    /// The node's (weighted) case count.
    pub cases: f64,
    pub weighted: bool,
}

/// One predictor's grouping under the package's rules, `None` when it
/// merges down to one group or no pair may merge.
pub(crate) fn package_merge(t: &NodeTable<'_>, rule: &PackageRule) -> Option<Candidate> {
    let mut g = Grouping::new(t, t.cats.iter().map(|c| vec![c.0]).collect());
    // Per pair: its table's row sums, whether it shows one class, χ² and p.
    let mut tested: HashMap<(usize, usize), PairTest> = HashMap::new();
    while g.len() >= 2 {
        let mut choice: Option<(usize, usize)> = None;
        let (mut highest, mut best_chi): (Option<f64>, f64) = (None, f64::NAN);
        let mut last: Option<PairTest> = None;
        for (i, j) in t.pairs(&g.groups) {
            let key = g.pair_key(i, j);
            let pt = *tested
                .entry(key)
                .or_insert_with(|| PairTest::of(g.table(i), g.table(j), rule.weighted));
            last = Some(pt);
            if g.len() > 2 && rule.cases - (pt.sizes.0 + pt.sizes.1) < rule.min_child {
                continue;
            }
            if pt.one_class {
                // One class in the pair: merged first, as identical.
                choice = Some((i, j));
                break;
            }
            let better = match highest {
                None => true,
                Some(h) => pt.p > h || (pt.p == h && pt.chi > best_chi),
            };
            if choice.is_none() || better {
                choice = Some((i, j));
                highest = Some(pt.p);
                best_chi = pt.chi;
            }
        }
        let sufficient = highest.is_none_or(|h| h == 0.0 || h < rule.alpha_merge);
        let small_group =
            last.is_some_and(|pt| pt.sizes.0 < rule.min_child || pt.sizes.1 < rule.min_child);
        if sufficient && !small_group {
            let rows: Vec<Vec<f64>> = (0..g.len()).map(|i| g.table(i).to_vec()).collect();
            let (statistic, df, p) = package_chi2(&rows, rule.weighted);
            return Some(Candidate {
                statistic,
                df,
                ln_p: p.ln(),
                ln_bonferroni: 0.0,
                ln_p_adjusted: p.ln().min(0.0),
                kind: if t.ordered {
                    GroupingKind::Ordinal
                } else {
                    GroupingKind::Nominal
                },
                categories: t.cats.len(),
                groups: g.groups,
            });
        }
        g.merge(choice?);
    }
    None
}

/// What the package's merge needs of one pair of groups.
#[derive(Clone, Copy)]
struct PairTest {
    /// Cases of each group (weighted).
    sizes: (f64, f64),
    /// Unweighted, the pair shows a single class.
    one_class: bool,
    chi: f64,
    p: f64,
}

impl PairTest {
    fn of(a: &[f64], b: &[f64], weighted: bool) -> Self {
        let (mut a, mut b) = (a.to_vec(), b.to_vec());
        if !weighted {
            let keep: Vec<bool> = a
                .iter()
                .zip(&b)
                .map(|(x, y)| *x != 0.0 || *y != 0.0)
                .collect();
            let mut k = keep.iter();
            a.retain(|_| *k.next().expect("same width"));
            let mut k = keep.iter();
            b.retain(|_| *k.next().expect("same width"));
        }
        let sizes = (a.iter().sum(), b.iter().sum());
        let one_class = a.len() == 1;
        let (chi, _, p) = if one_class {
            (f64::NAN, 0.0, 1.0)
        } else {
            package_chi2(&[a, b], weighted)
        };
        Self {
            sizes,
            one_class,
            chi,
            p,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_chi2_without_empty_cells_is_pearson() {
        // chaid.md C2: the weighted table [[3.2,1.4,1.2],[1.1,2.4,0.2]]
        // gives χ² 1.61787, p 0.4453, df 2.
        let (chi, df, p) = package_chi2(&[vec![3.2, 1.4, 1.2], vec![1.1, 2.4, 0.2]], true);
        assert!((chi - 1.61787).abs() < 1e-4, "{chi}");
        assert_eq!(df, 2.0);
        assert!((p - 0.4453).abs() < 1e-4, "{p}");
    }

    #[test]
    fn weighted_chi2_with_an_empty_cell_by_hand() {
        // [[5, 0], [2, 3]]: the empty cell weighs 1e-6. The fit converges to
        // m ≈ [[5, ~0], [2, 3]] (the margins force it), so χ² ≈ 0: the
        // structural zero carries no evidence, unlike plain Pearson:
        // expected [[3.5, 1.5], [3.5, 1.5]], χ² = 2·(1.5²/3.5 + 1.5²/1.5)
        // = 4.285714.
        let (chi, _, _) = package_chi2(&[vec![5.0, 0.0], vec![2.0, 3.0]], true);
        assert!(chi < 1e-3, "{chi}");
        let plain = package_chi2(&[vec![5.0, 0.0], vec![2.0, 3.0]], false).0;
        assert!((plain - 4.285714).abs() < 1e-6, "{plain}");
    }
}
