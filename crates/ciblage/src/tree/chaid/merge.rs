//! Merging a predictor's categories in one node (Kass 1980; Biggs et al.
//! 1991 for Exhaustive CHAID), from the node's contingency table only.

use crate::tree::chaid::data::MISSING;
use crate::tree::chaid::stats::{
    anova, case_weighted, likelihood_ratio, ln_bonferroni, ln_bonferroni_exhaustive, pearson,
    GroupingKind,
};

/// What the merge needs to know.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct MergeRules {
    pub ln_alpha_merge: f64,
    pub exhaustive: bool,
    pub bonferroni: bool,
    /// Merge down to one group (the `chaid` package's rule) instead of two.
    pub merge_to_one: bool,
    /// Pairs whose table shows one class only may merge (p = 1).
    pub single_class_pairs_merge: bool,
    /// ln of SPSS's alpha for splitting merged groups back (`None`: off).
    pub ln_alpha_split_merged: Option<f64>,
}

/// The best grouping of one predictor in one node.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Candidate {
    pub groups: Vec<Vec<u32>>,
    pub statistic: f64,
    pub df: f64,
    pub ln_p: f64,
    pub ln_bonferroni: f64,
    pub ln_p_adjusted: f64,
    pub kind: GroupingKind,
    pub categories: usize,
}

/// The node's table for one predictor: present categories (codes ascending,
/// [`MISSING`] last) with their class counts.
pub(crate) struct NodeTable<'a> {
    pub cats: &'a [(u32, Vec<f64>)],
    pub ordered: bool,
    pub single_class_pairs_merge: bool,
    /// Continuous target: each category holds (Σw, Σwy, Σwy²) and tests are
    /// ANOVA F instead of χ².
    pub continuous: bool,
    /// Likelihood-ratio χ² instead of Pearson's (categorical targets).
    pub likelihood_ratio: bool,
    /// With case weights, the number of classes J: each category holds J
    /// frequency counts then J sums of case weight × frequency.
    pub case_classes: Option<usize>,
}

impl NodeTable<'_> {
    pub(crate) fn counts(&self, group: &[u32]) -> Vec<f64> {
        let j = self.cats.first().map_or(0, |c| c.1.len());
        let mut out = vec![0.0; j];
        for code in group {
            // Codes are ascending (missing last).
            if let Ok(i) = self.cats.binary_search_by_key(code, |c| c.0) {
                for (o, x) in out.iter_mut().zip(&self.cats[i].1) {
                    *o += x;
                }
            }
        }
        out
    }

    /// (statistic, df, ln p) of the table made of `groups`.
    pub fn test(&self, groups: &[Vec<u32>]) -> (f64, f64, f64) {
        let tables: Vec<Vec<f64>> = groups.iter().map(|g| self.counts(g)).collect();
        let rows: Vec<&[f64]> = tables.iter().map(Vec::as_slice).collect();
        self.chi2(&rows)
    }

    fn size(&self, group: &[u32]) -> f64 {
        let c = self.counts(group);
        if self.continuous {
            c[0]
        } else {
            self.frequencies(&c).iter().sum()
        }
    }

    /// The frequency counts of a category or group's entries.
    fn frequencies<'v>(&self, entries: &'v [f64]) -> &'v [f64] {
        &entries[..self.case_classes.unwrap_or(entries.len())]
    }

    /// Pairs that may merge: nominal all, ordinal adjacent (a group made of
    /// the floating missing category alone pairs with any).
    pub(crate) fn pairs(&self, groups: &[Vec<u32>]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for i in 0..groups.len() {
            for j in i + 1..groups.len() {
                let floating = groups[i] == [MISSING] || groups[j] == [MISSING];
                if !self.ordered || j == i + 1 || floating {
                    out.push((i, j));
                }
            }
        }
        out
    }

    /// ln p of two groups; a table with a single class is p = 1 or, when
    /// such pairs may not merge, −∞.
    fn pair_ln_p(&self, ca: &[f64], cb: &[f64]) -> f64 {
        if self.continuous {
            return anova(&[ca, cb]).2;
        }
        let classes = self
            .frequencies(ca)
            .iter()
            .zip(self.frequencies(cb))
            .filter(|(x, y)| **x + **y > 0.0)
            .count();
        if classes < 2 && !self.single_class_pairs_merge {
            return f64::NEG_INFINITY;
        }
        self.chi2(&[ca, cb]).2
    }

    /// The test of a table: ANOVA F, likelihood-ratio or Pearson χ².
    fn chi2(&self, rows: &[&[f64]]) -> (f64, f64, f64) {
        if self.continuous {
            anova(rows)
        } else if let Some(j) = self.case_classes {
            case_weighted(rows, j, self.likelihood_ratio)
        } else if self.likelihood_ratio {
            likelihood_ratio(rows)
        } else {
            pearson(rows)
        }
    }
}

fn merge(groups: &mut Vec<Vec<u32>>, (i, j): (usize, usize)) {
    let g = groups.remove(j);
    groups[i].extend(g);
    groups[i].sort_unstable();
}

/// Groups being merged, with each group's table and the ln p of every pair
/// already tested: a merge only tests the pairs of the new group, so merging
/// I categories tests O(I²) pairs instead of O(I³).
pub(crate) struct Grouping {
    pub groups: Vec<Vec<u32>>,
    tables: Vec<Vec<f64>>,
    /// A number per group, new at each merge; pair results are kept by them.
    ids: Vec<usize>,
    next_id: usize,
    pair_ln_p: std::collections::HashMap<(usize, usize), f64>,
}

impl Grouping {
    pub fn new(t: &NodeTable<'_>, groups: Vec<Vec<u32>>) -> Self {
        let tables = groups.iter().map(|g| t.counts(g)).collect();
        let ids: Vec<usize> = (0..groups.len()).collect();
        Self {
            next_id: ids.len(),
            groups,
            tables,
            ids,
            pair_ln_p: std::collections::HashMap::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.groups.len()
    }

    /// The table of group `i`.
    pub fn table(&self, i: usize) -> &[f64] {
        &self.tables[i]
    }

    /// A key of the pair `(i, j)` that stays valid until either merges.
    pub fn pair_key(&self, i: usize, j: usize) -> (usize, usize) {
        (self.ids[i], self.ids[j])
    }

    /// The most similar allowable pair (max ln p; ties: first in order).
    pub fn most_similar(&mut self, t: &NodeTable<'_>) -> Option<((usize, usize), f64)> {
        let mut best: Option<((usize, usize), f64)> = None;
        for (i, j) in t.pairs(&self.groups) {
            let key = (self.ids[i], self.ids[j]);
            let lp = match self.pair_ln_p.get(&key) {
                Some(&lp) => lp,
                None => {
                    let lp = t.pair_ln_p(&self.tables[i], &self.tables[j]);
                    self.pair_ln_p.insert(key, lp);
                    lp
                }
            };
            if best.is_none_or(|(_, b)| lp > b) {
                best = Some(((i, j), lp));
            }
        }
        best
    }

    /// Splits group `i` into `a` (kept at `i`) and `b` (inserted after it).
    pub fn split(&mut self, t: &NodeTable<'_>, i: usize, a: Vec<u32>, b: Vec<u32>) {
        self.tables[i] = t.counts(&a);
        self.tables.insert(i + 1, t.counts(&b));
        self.groups[i] = a;
        self.groups.insert(i + 1, b);
        self.ids[i] = self.next_id;
        self.ids.insert(i + 1, self.next_id + 1);
        self.next_id += 2;
    }

    /// Merges group `j` into group `i` (`i < j`).
    pub fn merge(&mut self, (i, j): (usize, usize)) {
        merge(&mut self.groups, (i, j));
        let tj = self.tables.remove(j);
        for (a, b) in self.tables[i].iter_mut().zip(&tj) {
            *a += b;
        }
        self.ids.remove(j);
        self.ids[i] = self.next_id;
        self.next_id += 1;
    }
}

/// Merges the categories of one predictor; `None` when fewer than two
/// categories are present.
pub(crate) fn merge_predictor(t: &NodeTable<'_>, rules: &MergeRules) -> Option<Candidate> {
    let present = t.cats.len();
    if present < 2 {
        return None;
    }
    let has_missing = t.cats.iter().any(|c| c.0 == MISSING);
    let floating = t.ordered && has_missing;
    let start: Vec<Vec<u32>> = t
        .cats
        .iter()
        .filter(|c| !(floating && c.0 == MISSING))
        .map(|c| vec![c.0])
        .collect();
    let floor = if rules.merge_to_one { 1 } else { 2 };
    let mut groups = if rules.exhaustive {
        exhaustive(t, start)
    } else {
        let mut g = Grouping::new(t, start);
        // Resplits are capped so that merging and splitting cannot cycle.
        let mut resplits_left = 10 * g.len();
        while g.len() > floor {
            match g.most_similar(t) {
                Some((pair, lp)) if lp > rules.ln_alpha_merge => {
                    g.merge(pair);
                    if let (Some(ln_alpha), true) = (rules.ln_alpha_split_merged, resplits_left > 0)
                    {
                        if let Some((a, b)) = best_resplit(t, &g.groups[pair.0], ln_alpha) {
                            resplits_left -= 1;
                            g.split(t, pair.0, a, b);
                        }
                    }
                }
                _ => break,
            }
        }
        g.groups
    };
    if floating && !groups.is_empty() {
        // Join the missing category to its most similar group, or keep it
        // apart, whichever gives the smaller p (ties: joined).
        let mut best_g = 0;
        let mut best_lp = f64::NEG_INFINITY;
        for (k, g) in groups.iter().enumerate() {
            let (_, _, lp) = t.test(&[g.clone(), vec![MISSING]]);
            if lp > best_lp {
                best_lp = lp;
                best_g = k;
            }
        }
        let mut joined = groups.clone();
        joined[best_g].push(MISSING);
        let mut apart = groups.clone();
        apart.push(vec![MISSING]);
        groups = if t.test(&joined).2 <= t.test(&apart).2 {
            joined
        } else {
            apart
        };
    }
    let kind = if floating {
        GroupingKind::Floating
    } else if t.ordered {
        GroupingKind::Ordinal
    } else {
        GroupingKind::Nominal
    };
    Some(finish(t, groups, kind, present, rules))
}

/// Statistic, p and Bonferroni of a grouping.
pub(crate) fn finish(
    t: &NodeTable<'_>,
    groups: Vec<Vec<u32>>,
    kind: GroupingKind,
    present: usize,
    rules: &MergeRules,
) -> Candidate {
    let (statistic, df, ln_p) = t.test(&groups);
    let ln_b = match (rules.bonferroni, rules.exhaustive) {
        (false, _) => 0.0,
        (true, false) => ln_bonferroni(kind, present, groups.len()),
        (true, true) => ln_bonferroni_exhaustive(kind, present),
    };
    Candidate {
        statistic,
        df,
        ln_p,
        ln_bonferroni: ln_b,
        ln_p_adjusted: (ln_p + ln_b).min(0.0),
        kind,
        categories: present,
        groups,
    }
}

/// Most categories of a nominal group whose bipartitions are all tried when
/// resplitting it (2^(m−1) − 1 of them).
const RESPLIT_MAX_NOMINAL: usize = 12;

/// SPSS's resplit of a merged group of at least three categories: its most
/// significant binary split (ordinal: the m − 1 cut points in code order;
/// nominal: every bipartition, for up to [`RESPLIT_MAX_NOMINAL`]
/// categories), tested on the group's cases only; returned when its ln p is
/// at most `ln_alpha`.
fn best_resplit(t: &NodeTable<'_>, group: &[u32], ln_alpha: f64) -> Option<(Vec<u32>, Vec<u32>)> {
    let m = group.len();
    if m < 3 || (!t.ordered && m > RESPLIT_MAX_NOMINAL) {
        return None;
    }
    let parts: Vec<(Vec<u32>, Vec<u32>)> = if t.ordered {
        (1..m)
            .map(|k| (group[..k].to_vec(), group[k..].to_vec()))
            .collect()
    } else {
        // Masks with the last category on the right: each bipartition once.
        (1..(1u32 << (m - 1)))
            .map(|mask| {
                let (mut a, mut b) = (Vec::new(), Vec::new());
                for (k, &c) in group.iter().enumerate() {
                    if k + 1 < m && mask & (1 << k) != 0 {
                        a.push(c);
                    } else {
                        b.push(c);
                    }
                }
                (a, b)
            })
            .collect()
    };
    let mut best: Option<(f64, usize)> = None;
    for (k, (a, b)) in parts.iter().enumerate() {
        let lp = t.test(&[a.clone(), b.clone()]).2;
        if best.is_none_or(|(x, _)| lp < x) {
            best = Some((lp, k));
        }
    }
    let (lp, k) = best?;
    (lp <= ln_alpha).then(|| parts[k].clone())
}

/// Exhaustive CHAID: merge the most similar pair down to two groups and keep
/// the grouping with the smallest p seen (the start included).
fn exhaustive(t: &NodeTable<'_>, start: Vec<Vec<u32>>) -> Vec<Vec<u32>> {
    let mut g = Grouping::new(t, start);
    let mut best = g.groups.clone();
    let mut best_lp = t.test(&g.groups).2;
    while g.len() > 2 {
        let Some((pair, _)) = g.most_similar(t) else {
            break;
        };
        g.merge(pair);
        let lp = t.test(&g.groups).2;
        if lp < best_lp {
            best_lp = lp;
            best = g.groups.clone();
        }
    }
    best
}

/// Merges groups smaller than `min_child` into their most similar allowable
/// neighbour, smallest first, until none is left or one group remains.
pub(crate) fn enforce_min_child(
    t: &NodeTable<'_>,
    mut groups: Vec<Vec<u32>>,
    min_child: f64,
) -> Vec<Vec<u32>> {
    while groups.len() > 1 {
        let sizes: Vec<f64> = groups.iter().map(|g| t.size(g)).collect();
        let Some((small, _)) = sizes
            .iter()
            .enumerate()
            .filter(|(_, &s)| s < min_child)
            .min_by(|a, b| a.1.total_cmp(b.1))
        else {
            break;
        };
        let mut best: Option<(usize, f64)> = None;
        for (i, j) in t.pairs(&groups) {
            let other = if i == small {
                j
            } else if j == small {
                i
            } else {
                continue;
            };
            let lp = t.test(&[groups[small].clone(), groups[other].clone()]).2;
            if best.is_none_or(|(_, b)| lp > b) {
                best = Some((other, lp));
            }
        }
        let Some((other, _)) = best else {
            break;
        };
        merge(&mut groups, (small.min(other), small.max(other)));
    }
    groups
}
