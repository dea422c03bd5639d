//! The split search of small nodes, straight from their rows. When a node
//! of fewer than [`SMALL_ROWS`] rows is first met, its positions are
//! sorted by (bin, position) once per feature; each split below it then
//! partitions these sorted lists (stably, so they stay sorted), so no node
//! under it sorts again. A feature is searched by growing the left sums row
//! by row and taking a candidate at the end of each bin: the candidates,
//! their order and their thresholds are those of the histogram search (see
//! [`super::search`]), without building histograms.

use super::*;

/// Nodes with fewer rows are searched from their rows and keep no
/// histograms (at most 256: a position within one fits a byte).
pub(super) const SMALL_ROWS: usize = 256;

/// The sorted keys of the small node being worked in and of the nodes
/// under it: per feature, `bin code << 8 | row`, rows numbered in the
/// order they had in that node.
pub(super) struct SmallKeys {
    /// The positions of the node whose keys were sorted (its first is
    /// `usize::MAX` before any).
    root: (usize, usize),
    /// Feature `f`'s keys at `f * SMALL_ROWS..`, each node's keys at its
    /// positions' offsets from the root.
    keys: Vec<u16>,
    /// Weight and label per row number.
    w: [f64; SMALL_ROWS],
    label: [f64; SMALL_ROWS],
    /// Per row number, whether it goes left in the split being made.
    left: [bool; SMALL_ROWS],
    /// One feature's keys during a split.
    out: [u16; SMALL_ROWS],
}

impl Default for SmallKeys {
    fn default() -> Self {
        Self {
            root: (usize::MAX, 0),
            keys: Vec::new(),
            w: [0.0; SMALL_ROWS],
            label: [0.0; SMALL_ROWS],
            left: [false; SMALL_ROWS],
            out: [0; SMALL_ROWS],
        }
    }
}

impl SmallKeys {
    /// Keys of feature `f` in the node `start..end`.
    fn of(&self, f: usize, (start, end): (usize, usize)) -> &[u16] {
        let base = f * SMALL_ROWS - self.root.0;
        &self.keys[base + start..base + end]
    }
}

/// One pass over a feature's sorted keys.
struct RowPass<'k> {
    keys: &'k [u16],
    n_present: usize,
    has_missing: bool,
    missing_first: bool,
}

const fn code(key: u16) -> u8 {
    (key >> 8) as u8
}

/// Row number of a key.
fn row(key: u16) -> usize {
    usize::from(key as u8)
}

impl RowPass<'_> {
    /// Whether a candidate split follows the `j`-th present row: it ends
    /// a bin, and something is left for the right side.
    fn ends_candidate(&self, j: usize) -> bool {
        if j + 1 < self.n_present {
            code(self.keys[j + 1]) != code(self.keys[j])
        } else {
            self.has_missing && !self.missing_first
        }
    }
}

impl HistSplitter<'_> {
    /// Makes the keys of the node `start..end` (fewer than [`SMALL_ROWS`]
    /// rows) ready: already there when the node lies under the last node
    /// sorted (every split under it splits the keys), else sorted now.
    pub(super) fn small_keys_for(&mut self, (start, end): (usize, usize)) {
        let s = &mut self.small;
        if s.root.0 <= start && end <= s.root.1 {
            return;
        }
        let (d, m) = (self.data.d, end - start);
        s.root = (start, end);
        s.keys.resize(d * SMALL_ROWS, 0);
        s.w[..m].copy_from_slice(&self.rows.w[start..end]);
        s.label[..m].copy_from_slice(&self.rows.label[start..end]);
        for f in 0..d {
            let keys = &mut s.keys[f * SMALL_ROWS..f * SMALL_ROWS + m];
            for (i, k) in keys.iter_mut().enumerate() {
                *k = (u16::from(self.rows.code(start + i, f)) << 8) | i as u16;
            }
            keys.sort_unstable();
        }
    }

    /// The split of the node `start..end` on `feature` by `goes_left` (of
    /// a bin code), applied to every feature's keys: the left rows' keys
    /// first, each side in its order.
    pub(super) fn split_small_keys(
        &mut self,
        (start, end): (usize, usize),
        feature: usize,
        goes_left: impl Fn(u8) -> bool,
    ) {
        let (d, m) = (self.data.d, end - start);
        let s = &mut self.small;
        let offset = start - s.root.0;
        let mut n_left = 0;
        for &k in &s.keys[feature * SMALL_ROWS + offset..][..m] {
            let left = goes_left(code(k));
            s.left[row(k)] = left;
            n_left += usize::from(left);
        }
        for f in 0..d {
            let keys = &mut s.keys[f * SMALL_ROWS + offset..][..m];
            let (mut l, mut r) = (0, n_left);
            for &k in keys.iter() {
                let to = if s.left[row(k)] { &mut l } else { &mut r };
                s.out[*to] = k;
                *to += 1;
            }
            keys.copy_from_slice(&s.out[..m]);
        }
    }

    /// Searches feature `f` of the node `start..end` (fewer than
    /// [`SMALL_ROWS`] rows, keys ready) from its rows; updates `best`.
    /// Returns false when the feature is constant in the node.
    pub(super) fn search_rows(
        &self,
        f: usize,
        (start, end): (usize, usize),
        node: &NodeSummary,
        (s, best): (&mut Sums, &mut Option<Best>),
        scratch: &mut HistScratch,
    ) -> bool {
        let m = end - start;
        if self.data.categorical[f] {
            let mut h = NodeHist::default();
            h.clear();
            self.build_features(&mut h, f..f + 1, (start, end), scratch);
            return self.search_categorical(f, (&h.e, h.range(0)), node, m, best);
        }
        let keys = self.small.of(f, (start, end));
        let n_missing = keys
            .iter()
            .rev()
            .take_while(|&&k| code(k) == MISSING)
            .count();
        let n_present = m - n_missing;
        let has_missing = n_missing > 0;
        if n_present == 0 || (!has_missing && code(keys[0]) == code(keys[n_present - 1])) {
            return false;
        }
        let (lo, hi) = (&self.bins[f].lo, &self.bins[f].hi);
        for missing_first in [false, true].into_iter().take(1 + usize::from(has_missing)) {
            let pass = RowPass {
                keys,
                n_present,
                has_missing,
                missing_first,
            };
            let current = best.as_ref().map(|b| b.proxy);
            let found = if self.criterion == CartCriterion::SquaredError {
                self.scan_rows_squared(&pass, &node.sums, current)
            } else {
                self.scan_rows(&pass, (&node.sums, s), current)
            };
            let Some((j, proxy, n_left)) = found else {
                continue;
            };
            let b = usize::from(code(keys[j]));
            let threshold = if j + 1 == n_present {
                // The missing rows alone on the right.
                f64::INFINITY
            } else {
                threshold_between(hi[b], lo[usize::from(code(keys[j + 1]))])
            };
            *best = Some(Best {
                proxy,
                feature: f,
                threshold,
                missing_left: if has_missing {
                    missing_first
                } else {
                    n_left > m - n_left
                },
                bin: b,
                categorical: None,
            });
        }
        true
    }

    /// One pass of the row search, any criterion: the candidate (key
    /// index, proxy, rows left) that beats `current` and every candidate
    /// before it, if any (the first of equal ones is kept).
    fn scan_rows(
        &self,
        p: &RowPass<'_>,
        (node, s): (&Sums, &mut Sums),
        mut current: Option<f64>,
    ) -> Option<(usize, f64, usize)> {
        s.reset_from(node);
        let n_node = p.keys.len();
        let (ws, labels) = (&self.small.w, &self.small.label);
        let regression = self.criterion.is_regression();
        let take = |s: &mut Sums, j: usize| {
            let i = row(p.keys[j]);
            let w = ws[i];
            s.w_left += w;
            if regression {
                s.left[0] += w * labels[i];
            } else {
                s.left[labels[i] as usize] += w;
            }
        };
        let n_missing_left = if p.missing_first {
            (p.n_present..n_node).for_each(|j| take(s, j));
            n_node - p.n_present
        } else {
            0
        };
        let limits = (self.min_samples_leaf, self.min_weight_leaf);
        let mut found = None;
        for j in 0..p.n_present {
            take(s, j);
            if !p.ends_candidate(j) {
                continue;
            }
            let n_left = j + 1 + n_missing_left;
            let Some(proxy) =
                criterion::limited_proxy(self.criterion, s, (n_left, n_node - n_left), limits)
            else {
                continue;
            };
            if current.is_none_or(|c| proxy > c) {
                current = Some(proxy);
                found = Some((j, proxy, n_left));
            }
        }
        found
    }

    /// [`Self::scan_rows`] for the squared error, on scalars (the proxy of
    /// [`criterion::proxy`]).
    fn scan_rows_squared(
        &self,
        p: &RowPass<'_>,
        node: &Sums,
        mut current: Option<f64>,
    ) -> Option<(usize, f64, usize)> {
        let n_node = p.keys.len();
        let (total, w_node) = (node.total[0], node.w_node);
        let (mut left, mut w_left) = (node.left[0], node.w_left);
        let (ws, labels) = (&self.small.w, &self.small.label);
        let mut take = |j: usize| {
            let i = row(p.keys[j]);
            let w = ws[i];
            w_left += w;
            left += w * labels[i];
            (left, w_left)
        };
        let n_missing_left = if p.missing_first {
            (p.n_present..n_node).for_each(|j| {
                take(j);
            });
            n_node - p.n_present
        } else {
            0
        };
        let (min_leaf, min_weight) = (self.min_samples_leaf, self.min_weight_leaf);
        let mut found = None;
        let mut best = current.unwrap_or(f64::NEG_INFINITY);
        for j in 0..p.n_present {
            let (left, w_left) = take(j);
            if !p.ends_candidate(j) {
                continue;
            }
            let n_left = j + 1 + n_missing_left;
            let n_right = n_node - n_left;
            let w_right = w_node - w_left;
            if n_left < min_leaf
                || n_right < min_leaf
                || w_left < min_weight
                || w_right < min_weight
            {
                continue;
            }
            let right = total - left;
            let proxy = left * left / w_left + right * right / w_right;
            if proxy > best || (current.is_none() && found.is_none()) {
                best = proxy;
                current = Some(proxy);
                found = Some((j, proxy, n_left));
            }
        }
        found
    }
}
