//! The histograms of the histogram splitter: per node, per feature, the
//! sums of the bins holding rows; those kept for nodes waiting to be split
//! (the larger child's made by subtraction), and the buffers reused from
//! node to node.

use foldhash::fast::FixedState;
use hashbrown::HashMap;

/// Per-bin sums of one feature in one node, for the bins holding rows
/// only, ascending (the missing-value bin, numbered after the others,
/// last): bin number, rows, weight and criterion sums (`width` per bin).
#[derive(Clone, Default)]
pub(super) struct FeatureHist {
    pub(super) bin: Vec<u16>,
    pub(super) count: Vec<u32>,
    pub(super) w: Vec<f64>,
    pub(super) stat: Vec<f64>,
}

impl FeatureHist {
    pub(super) fn len(&self) -> usize {
        self.bin.len()
    }

    pub(super) fn push(&mut self, bin: u16, count: u32, w: f64, stat: &[f64]) {
        self.bin.push(bin);
        self.count.push(count);
        self.w.push(w);
        self.stat.extend_from_slice(stat);
    }
}

/// The histograms of every feature in one node, back to back: feature
/// `f`'s entries are `start[f]..start[f + 1]`.
#[derive(Clone, Default)]
pub(super) struct NodeHist {
    pub(super) start: Vec<usize>,
    pub(super) e: FeatureHist,
}

/// Buffers reused from node to node: dense per-bin sums (zero between
/// uses).
#[derive(Default)]
pub(super) struct HistScratch {
    pub(super) count: Vec<u32>,
    pub(super) w: Vec<f64>,
    pub(super) stat: Vec<f64>,
}

impl NodeHist {
    pub(super) fn clear(&mut self) {
        self.start.clear();
        self.start.push(0);
        self.e.bin.clear();
        self.e.count.clear();
        self.e.w.clear();
        self.e.stat.clear();
    }

    pub(super) fn range(&self, f: usize) -> std::ops::Range<usize> {
        self.start[f]..self.start[f + 1]
    }

    /// Becomes `self − small`, where `small` holds a subset of the rows;
    /// bins left without rows are dropped (entries move down in place).
    pub(super) fn subtract(&mut self, small: &Self, width: usize) {
        let (a, b) = (&mut self.e, &small.e);
        let mut to = 0;
        let mut from = 0;
        for f in 0..self.start.len() - 1 {
            let mut j = small.start[f];
            let j_end = small.start[f + 1];
            let end = self.start[f + 1];
            self.start[f] = to;
            while from < end {
                let (mut count, mut w) = (a.count[from], a.w[from]);
                let matched = j < j_end && b.bin[j] == a.bin[from];
                if matched {
                    count -= b.count[j];
                    w -= b.w[j];
                }
                if count > 0 {
                    a.bin[to] = a.bin[from];
                    a.count[to] = count;
                    a.w[to] = w;
                    for k in 0..width {
                        let v = a.stat[from * width + k];
                        a.stat[to * width + k] = if matched {
                            v - b.stat[j * width + k]
                        } else {
                            v
                        };
                    }
                    to += 1;
                }
                j += usize::from(matched);
                from += 1;
            }
        }
        *self
            .start
            .last_mut()
            .expect("one end per feature and one start") = to;
        a.bin.truncate(to);
        a.count.truncate(to);
        a.w.truncate(to);
        a.stat.truncate(to * width);
    }
}

/// The histograms kept for nodes waiting to be split, by their range, and
/// the buffers reused from node to node.
#[derive(Default)]
pub(super) struct HistStore {
    kept: HashMap<(usize, usize), NodeHist, FixedState>,
    /// Histogram buffers no longer in use.
    spare: Vec<NodeHist>,
    /// Dense per-bin sums of a histogram's building.
    pub(super) scratch: HistScratch,
}

impl HistStore {
    /// The histograms kept for the node `range`, taken out.
    pub(super) fn take(&mut self, range: (usize, usize)) -> Option<NodeHist> {
        self.kept.remove(&range)
    }

    /// A histogram buffer (reused when one is spare).
    pub(super) fn buffer(&mut self) -> NodeHist {
        self.spare.pop().unwrap_or_default()
    }

    /// Keeps `h` for the node `range`.
    pub(super) fn keep(&mut self, range: (usize, usize), h: NodeHist) {
        self.kept.insert(range, h);
    }

    /// `h` is no longer used: its buffers become spare.
    pub(super) fn give_back(&mut self, h: NodeHist) {
        self.spare.push(h);
    }

    /// The node `range` will not be split: what was kept for it is spare.
    pub(super) fn forget(&mut self, range: (usize, usize)) {
        if let Some(h) = self.kept.remove(&range) {
            self.spare.push(h);
        }
    }
}
