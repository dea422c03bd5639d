//! The sorted keys of a small node (see [`super::small`]): per feature,
//! its rows sorted by bin, one key a row.

/// Nodes with fewer rows are searched from their rows and keep no
/// histograms (at most 256: a row within one is numbered by a byte).
pub(super) const SMALL_ROWS: usize = 256;

/// Keys per list and buffer: one per row, and one slot that takes the
/// writes of a branch-free split that fall past the right side.
pub(super) const LIST: usize = SMALL_ROWS + 1;

/// The sorted keys of the small node being worked in and of the nodes
/// under it: per feature, `bin code << 8 | row`, rows numbered in the
/// order they had in that node; then one more list, the rows in order (as
/// keys of code 0). Two buffers: a split leaves the left child's keys in
/// its node's buffer and writes the right child's into the other one, so no
/// key is copied back.
pub(super) struct SmallKeys {
    /// The positions of the node whose keys were sorted (its first is
    /// `usize::MAX` before any).
    pub(super) root: (usize, usize),
    /// Lists per buffer (features + 1).
    pub(super) lists: usize,
    /// List `f` of buffer `b` at `(b * lists + f) * LIST..`; a node's keys
    /// at its positions' offsets from the root.
    pub(super) keys: Vec<u16>,
    /// Per offset from the root, the buffer of the node starting there.
    pub(super) side: [u8; SMALL_ROWS],
    /// Weight and label per row number.
    pub(super) w: [f64; SMALL_ROWS],
    pub(super) label: [f64; SMALL_ROWS],
    /// Per row number, whether it goes left in the split being made.
    pub(super) left: [bool; SMALL_ROWS],
}

impl Default for SmallKeys {
    fn default() -> Self {
        Self {
            root: (usize::MAX, 0),
            lists: 0,
            keys: Vec::new(),
            side: [0; SMALL_ROWS],
            w: [0.0; SMALL_ROWS],
            label: [0.0; SMALL_ROWS],
            left: [false; SMALL_ROWS],
        }
    }
}

impl SmallKeys {
    /// First index of list `f` of buffer `b`.
    pub(super) fn base(&self, b: u8, f: usize) -> usize {
        (usize::from(b) * self.lists + f) * LIST
    }

    /// Keys of list `f` (a feature, or the row order after the features)
    /// in the node `start..end`.
    pub(super) fn of(&self, f: usize, (start, end): (usize, usize)) -> &[u16] {
        let offset = start - self.root.0;
        let base = self.base(self.side[offset], f) + offset;
        &self.keys[base..base + end - start]
    }

    /// Whether the node `start..end` lies under the last node sorted.
    pub(super) fn covers(&self, (start, end): (usize, usize)) -> bool {
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
