//! Building a node's histograms from its rows, read in node order (see
//! [`NodeRows`]): dense counting, each position once per group of features.
//! Each bin's sums run in row order whatever the number of threads.

use super::*;

/// Slots per feature in the dense buffers: one per bin code, the missing
/// code (255) last.
const SLOTS: usize = 256;

/// Bytes of dense per-bin sums filled in one pass over a node's rows.
const DENSE_BYTES: usize = 24 << 10;

impl HistSplitter<'_> {
    /// Histograms of every feature over the positions `range` into `out`,
    /// whose buffers are reused (features in groups on all threads when
    /// the node is large).
    pub(super) fn build_into(
        &self,
        range: (usize, usize),
        out: &mut NodeHist,
        scratch: &mut HistScratch,
    ) {
        out.clear();
        let d = self.data.d;
        let threads = rayon::current_num_threads().clamp(1, d.max(1));
        if (range.1 - range.0) * d >= PARALLEL_CELLS && threads > 1 {
            let group = d.div_ceil(threads);
            let per: Vec<NodeHist> = (0..d)
                .step_by(group)
                .collect::<Vec<_>>()
                .into_par_iter()
                .map(|f0| {
                    let mut h = NodeHist::default();
                    h.clear();
                    let features = f0..(f0 + group).min(d);
                    self.build_features(&mut h, features, range, &mut HistScratch::default());
                    h
                })
                .collect();
            for h in per {
                let offset = out.e.len();
                out.e.bin.extend_from_slice(&h.e.bin);
                out.e.count.extend_from_slice(&h.e.count);
                out.e.w.extend_from_slice(&h.e.w);
                out.e.stat.extend_from_slice(&h.e.stat);
                out.start.extend(h.start[1..].iter().map(|s| s + offset));
            }
        } else {
            self.build_features(out, 0..d, range, scratch);
        }
    }

    /// Appends the histograms of `features` (consecutive) over the
    /// positions `range` (a node of at least [`SMALL_ROWS`] rows: smaller
    /// ones are searched from their rows) to `out`, with their ends in
    /// `out.start`: features in groups whose dense sums fit a core's
    /// first-level cache, each row's codes read once per group.
    fn build_features(
        &self,
        out: &mut NodeHist,
        features: std::ops::Range<usize>,
        range: (usize, usize),
        scratch: &mut HistScratch,
    ) {
        let per_slot = 4 + 8 * (self.width + usize::from(!self.unit_weights));
        let group = (DENSE_BYTES / (SLOTS * per_slot)).max(1);
        let mut f0 = features.start;
        while f0 < features.end {
            let f1 = (f0 + group).min(features.end);
            self.build_dense(out, f0..f1, range, scratch);
            f0 = f1;
        }
    }

    /// Dense counting: every row adds into its bin's slot of every feature.
    fn build_dense(
        &self,
        out: &mut NodeHist,
        features: std::ops::Range<usize>,
        (start, end): (usize, usize),
        scratch: &mut HistScratch,
    ) {
        let (k, g) = (self.width, features.len());
        let HistScratch { count, w, stat, .. } = scratch;
        if count.len() < g * SLOTS {
            count.resize(g * SLOTS, 0);
            w.resize(g * SLOTS, 0.0);
        }
        if stat.len() < g * SLOTS * k {
            stat.resize(g * SLOTS * k, 0.0);
        }
        let regression = self.criterion.is_regression();
        // Unit weights: a bin's weight is its count (the same sum of ones),
        // one running sum less per row and feature.
        let unit = self.unit_weights;
        for p in start..end {
            let codes = self.rows.codes_of(p, &features);
            let (wp, label) = (self.rows.w[p], self.rows.label[p]);
            match (regression, unit) {
                (true, true) => {
                    for (j, &code) in codes.iter().enumerate() {
                        let slot = j * SLOTS + usize::from(code);
                        count[slot] += 1;
                        stat[slot] += label;
                    }
                }
                (true, false) => {
                    let wy = wp * label;
                    for (j, &code) in codes.iter().enumerate() {
                        let slot = j * SLOTS + usize::from(code);
                        count[slot] += 1;
                        w[slot] += wp;
                        stat[slot] += wy;
                    }
                }
                (false, _) => {
                    let class = label as usize;
                    for (j, &code) in codes.iter().enumerate() {
                        let slot = j * SLOTS + usize::from(code);
                        count[slot] += 1;
                        if !unit {
                            w[slot] += wp;
                        }
                        stat[slot * k + class] += wp;
                    }
                }
            }
        }
        for (j, f) in features.enumerate() {
            let nb = self.bins[f].len();
            // Bins in order, the missing values' slot last (as bin `nb`).
            for (code, bin) in (0..nb).map(|b| (b, b)).chain([(usize::from(MISSING), nb)]) {
                let slot = j * SLOTS + code;
                if count[slot] > 0 {
                    let s = &mut stat[slot * k..(slot + 1) * k];
                    let w_bin = if unit {
                        f64::from(count[slot])
                    } else {
                        w[slot]
                    };
                    out.e.push(bin as u16, count[slot], w_bin, s);
                    (count[slot], w[slot]) = (0, 0.0);
                    s.iter_mut().for_each(|v| *v = 0.0);
                }
            }
            out.start.push(out.e.len());
        }
    }
}
