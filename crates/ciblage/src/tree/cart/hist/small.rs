//! Small nodes, searched straight from their rows. When a node of fewer
//! than [`SMALL_ROWS`] rows is first met, its positions are sorted by
//! (bin, position) once per feature; each split below it then splits these
//! sorted lists (stably, so they stay sorted), so no node under it sorts
//! again. One more list holds the node's rows in their order: when the tree
//! grows depth first, the nodes under a small node read their rows through
//! it and the rows themselves stay where they are.

use super::keys::{code, row, LIST, SMALL_ROWS};
use super::*;

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
        s.lists = d + 1;
        s.side[0] = 0;
        s.keys.resize(2 * s.lists * LIST, 0);
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
            let keys = &mut s.keys[f * LIST..f * LIST + m];
            for (i, p) in (start..end).enumerate() {
                let c = self.rows.code(p, f);
                let at = &mut first[usize::from(c)];
                keys[usize::from(*at)] = (u16::from(c) << 8) | i as u16;
                *at += 1;
            }
        }
        for (i, k) in s.keys[d * LIST..d * LIST + m].iter_mut().enumerate() {
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
        let here = s.side[offset];
        let mut n_left = 0;
        let split_keys = s.base(here, feature) + offset;
        for &k in &s.keys[split_keys..split_keys + m] {
            let left = goes_left(code(k));
            s.left[row(k)] = left;
            n_left += usize::from(left);
        }
        let n_right = m - n_left;
        let lists = if features { 0..=d } else { d..=d };
        for f in lists {
            let from = s.base(here, f) + offset;
            let to = s.base(1 - here, f) + offset + n_left;
            let spare = s.base(1 - here, f) + SMALL_ROWS;
            // Branch-free: each key is written to both places and only its
            // side's cursor moves on. Left keys move forward in place
            // (never past one not yet read); right keys go to the other
            // buffer (a write past its last one goes to the spare slot).
            let (mut l, mut r) = (0, 0);
            for j in 0..m {
                let k = s.keys[from + j];
                let left = usize::from(s.left[row(k)]);
                s.keys[from + l] = k;
                let at = if r < n_right { to + r } else { spare };
                s.keys[at] = k;
                l += left;
                r += 1 - left;
            }
            debug_assert_eq!(l, n_left);
        }
        if n_right > 0 {
            s.side[offset + n_left] = 1 - here;
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
