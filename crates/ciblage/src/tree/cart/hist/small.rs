//! Small nodes, searched straight from their rows. When a node of fewer
//! than [`SMALL_ROWS`] rows is first met, its positions are sorted by
//! (bin, position) once per feature; each split below it then splits these
//! sorted lists (stably, so they stay sorted), so no node under it sorts
//! again. One more list holds the node's rows in their order: when the tree
//! grows depth first, the nodes under a small node read their rows through
//! it and the rows themselves stay where they are.

use super::*;

/// Nodes with fewer rows are searched from their rows and keep no
/// histograms (at most 256: a row within one is numbered by a byte).
pub(super) const SMALL_ROWS: usize = 256;

/// The sorted keys of the small node being worked in and of the nodes
/// under it: per feature, `bin code << 8 | row`, rows numbered in the
/// order they had in that node.
pub(super) struct SmallKeys {
    /// The positions of the node whose keys were sorted (its first is
    /// `usize::MAX` before any).
    root: (usize, usize),
    /// Feature `f`'s keys at `f * SMALL_ROWS..`, then the rows in order
    /// (as keys of code 0); each node's keys at its positions' offsets from
    /// the root.
    keys: Vec<u16>,
    /// Weight and label per row number.
    pub(super) w: [f64; SMALL_ROWS],
    pub(super) label: [f64; SMALL_ROWS],
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
    /// Keys of list `f` (a feature, or the row order after the features)
    /// in the node `start..end`.
    pub(super) fn of(&self, f: usize, (start, end): (usize, usize)) -> &[u16] {
        let base = f * SMALL_ROWS - self.root.0;
        &self.keys[base + start..base + end]
    }

    /// Whether the node `start..end` lies under the last node sorted.
    fn covers(&self, (start, end): (usize, usize)) -> bool {
        self.root.0 <= start && end <= self.root.1
    }
}

/// The bin code of a key.
pub(super) const fn code(key: u16) -> u8 {
    (key >> 8) as u8
}

/// The row number of a key.
pub(super) fn row(key: u16) -> usize {
    usize::from(key as u8)
}

impl HistSplitter<'_> {
    /// Whether the rows of the node `start..end` are read through the
    /// small keys' row order (they have not been moved since its small
    /// ancestor was sorted).
    fn rows_by_keys(&self, range: (usize, usize)) -> bool {
        self.depth_first && self.small.covers(range)
    }

    /// Calls `f(weight, label)` for every row of the node `start..end`,
    /// in order.
    #[inline]
    pub(super) fn for_each_row(&self, (start, end): (usize, usize), mut f: impl FnMut(f64, f64)) {
        if self.rows_by_keys((start, end)) {
            let s = &self.small;
            for &k in s.of(self.data.d, (start, end)) {
                f(s.w[row(k)], s.label[row(k)]);
            }
        } else {
            for p in start..end {
                f(self.rows.w[p], self.rows.label[p]);
            }
        }
    }

    /// Makes the keys of the node `start..end` (fewer than [`SMALL_ROWS`]
    /// rows) ready: already there when the node lies under the last node
    /// sorted (every split under it splits the keys), else sorted now from
    /// the rows.
    pub(super) fn small_keys_for(&mut self, (start, end): (usize, usize)) {
        let s = &mut self.small;
        if s.covers((start, end)) {
            return;
        }
        let (d, m) = (self.data.d, end - start);
        s.root = (start, end);
        s.keys.resize((d + 1) * SMALL_ROWS, 0);
        s.w[..m].copy_from_slice(&self.rows.w[start..end]);
        s.label[..m].copy_from_slice(&self.rows.label[start..end]);
        // A counting sort per feature: rows in order within each bin.
        let mut first = [0u16; 257];
        for f in 0..d {
            first.fill(0);
            for p in start..end {
                first[usize::from(self.rows.code(p, f)) + 1] += 1;
            }
            for b in 1..257 {
                first[b] += first[b - 1];
            }
            let keys = &mut s.keys[f * SMALL_ROWS..f * SMALL_ROWS + m];
            for (i, p) in (start..end).enumerate() {
                let c = self.rows.code(p, f);
                let at = &mut first[usize::from(c)];
                keys[usize::from(*at)] = (u16::from(c) << 8) | i as u16;
                *at += 1;
            }
        }
        for (i, k) in s.keys[d * SMALL_ROWS..d * SMALL_ROWS + m]
            .iter_mut()
            .enumerate()
        {
            *k = i as u16;
        }
    }

    /// The split of the node `start..end` on `feature` by `goes_left` (of
    /// a bin code), applied to the row order and, when `features`, to
    /// every feature's keys: the left rows' keys first, each side in its
    /// order. Returns the number of rows going left.
    pub(super) fn split_small_keys(
        &mut self,
        (start, end): (usize, usize),
        feature: usize,
        goes_left: impl Fn(u8) -> bool,
        features: bool,
    ) -> usize {
        let (d, m) = (self.data.d, end - start);
        let s = &mut self.small;
        let offset = start - s.root.0;
        let mut n_left = 0;
        for &k in &s.keys[feature * SMALL_ROWS + offset..][..m] {
            let left = goes_left(code(k));
            s.left[row(k)] = left;
            n_left += usize::from(left);
        }
        let lists = if features { 0..=d } else { d..=d };
        for f in lists {
            let keys = &mut s.keys[f * SMALL_ROWS + offset..][..m];
            // Branch-free: left keys move forward in place (never past one
            // not yet read), right ones wait aside, then follow.
            let (mut l, mut r) = (0, 0);
            for j in 0..m {
                let k = keys[j];
                let left = usize::from(s.left[row(k)]);
                keys[l] = k;
                s.out[r & (SMALL_ROWS - 1)] = k;
                l += left;
                r += 1 - left;
            }
            debug_assert_eq!(l, n_left);
            keys[l..].copy_from_slice(&s.out[..r]);
        }
        n_left
    }

    /// The histogram of feature `f` in the node `start..end` (keys
    /// ready), from its keys: each bin's rows in order, as
    /// [`Self::build_into`] sums them.
    pub(super) fn small_hist(&self, f: usize, range: (usize, usize)) -> NodeHist {
        let mut h = NodeHist::default();
        h.clear();
        let keys = self.small.of(f, range);
        let nb = self.bins[f].len();
        let mut stat = ClassSums::from_elem(0.0, self.width);
        let mut j = 0;
        while j < keys.len() {
            let c = code(keys[j]);
            stat.iter_mut().for_each(|v| *v = 0.0);
            let (mut count, mut w) = (0u32, 0.0);
            while j < keys.len() && code(keys[j]) == c {
                let i = row(keys[j]);
                let wi = self.small.w[i];
                count += 1;
                w += wi;
                self.add_label(&mut stat, self.small.label[i], wi);
                j += 1;
            }
            let bin = if c == MISSING { nb } else { usize::from(c) };
            h.e.push(bin as u16, count, w, &stat);
        }
        h.start.push(h.e.len());
        h
    }
}
