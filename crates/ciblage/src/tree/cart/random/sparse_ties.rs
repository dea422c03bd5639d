//! scikit-learn's order of the samples under a sparse `X`, for the near
//! ties of [`super::ties`].
//!
//! scikit-learn's sparse partitioner moves a node's samples otherwise than
//! its dense one. Reading a feature (`extract_nnz`: for its range, before
//! the threshold is drawn, even when the feature turns out constant, and
//! again for the node's final partition) walks the node's stored entries
//! by ascending sample and swaps the sample of each negative entry to the
//! next free position from the node's start, the sample of each positive
//! one to the next free position from its end; the implicit zeros stay
//! between, in whatever order those swaps leave them. A candidate's
//! partition then runs the two-cursor partition (the right-going sample
//! swapped with the last unread one) over the negative block only, when
//! the threshold is below 0, or the positive block only, when it is above;
//! a threshold of exactly 0 keeps the order of the reading. [`SparseOrder`]
//! replays those moves on [`super::ties::SkOrder`]'s order.

use super::{NodeFeatures, NodeSearch, RandomSplitter};

/// What scikit-learn's sparse partitioner keeps besides its order of the
/// samples: each sample's position in that order, the values read last
/// and where their blocks end.
pub(super) struct SparseOrder {
    /// Per sample id, its position in scikit-learn's order (its
    /// `index_to_samples`).
    position: Vec<u32>,
    /// The values of the feature read last, at the positions of the
    /// node's negative block (`start..end_negative`) and positive block
    /// (`start_positive..end`), relative to the node's start.
    values: Vec<f32>,
    /// The end of the negative block (absolute position).
    end_negative: usize,
    /// The start of the positive block (absolute position).
    start_positive: usize,
}

impl SparseOrder {
    /// The positions of `order` (scikit-learn's order, as it starts), of
    /// `n` samples in all.
    pub(super) fn new(order: &[u32], n: usize) -> Self {
        let mut position = vec![u32::MAX; n];
        for (q, &s) in order.iter().enumerate() {
            position[s as usize] = q as u32;
        }
        Self {
            position,
            values: Vec::new(),
            end_negative: 0,
            start_positive: 0,
        }
    }

    /// Swaps positions `a` and `b` of `order`, keeping the positions.
    #[inline]
    fn swap(&mut self, order: &mut [u32], a: usize, b: usize) {
        order.swap(a, b);
        self.position[order[a] as usize] = a as u32;
        self.position[order[b] as usize] = b as u32;
    }

    /// scikit-learn's `extract_nnz` of a feature in the node `start..end`
    /// of `order`: its stored entries there, the samples `samples` (in
    /// ascending order) and values `values`.
    pub(super) fn read(
        &mut self,
        order: &mut [u32],
        (start, end): (usize, usize),
        (samples, values): (impl Iterator<Item = u32>, &[f32]),
    ) {
        self.values.resize(end - start, 0.0);
        let (mut negative, mut positive) = (start, end);
        for (s, &v) in samples.zip(values) {
            let at = self.position[s as usize] as usize;
            if v > 0.0 {
                positive -= 1;
                self.values[positive - start] = v;
                self.swap(order, at, positive);
            } else if v < 0.0 {
                self.values[negative - start] = v;
                self.swap(order, at, negative);
                negative += 1;
            }
        }
        self.end_negative = negative;
        self.start_positive = positive;
    }

    /// scikit-learn's sparse `partition_samples` of the node at `start` of
    /// `order` (the feature read last) on `threshold`; returns the number
    /// of samples going left.
    pub(super) fn partition(&mut self, order: &mut [u32], start: usize, threshold: f64) -> usize {
        let end = start + self.values.len();
        let (mut p, mut partition_end) = if threshold < 0.0 {
            (start, self.end_negative)
        } else if threshold > 0.0 {
            (self.start_positive, end)
        } else {
            return self.start_positive - start;
        };
        while p < partition_end {
            if f64::from(self.values[p - start]) <= threshold {
                p += 1;
            } else {
                partition_end -= 1;
                self.values.swap(p - start, partition_end - start);
                self.swap(order, p, partition_end);
            }
        }
        partition_end - start
    }
}

impl RandomSplitter<'_> {
    /// Reads sparse feature `f` in the node as scikit-learn does for its
    /// range (nothing without the order or on dense features).
    pub(super) fn sk_read(&mut self, f: usize, node: &NodeSearch<'_>) {
        let (Some(order), Some(sparse), NodeFeatures::Sparse(rows)) =
            (self.order.as_mut(), self.sparse_order.as_mut(), &self.x)
        else {
            return;
        };
        let (at, values) = rows.entries(f);
        // The node's samples ascend: so do its entries.
        let node_samples = &self.samples[node.start..node.end];
        let samples = at.iter().map(|&p| node_samples[p as usize]);
        sparse.read(&mut order.sk, (node.start, node.end), (samples, values));
    }

    /// Partitions scikit-learn's order of the node by the candidate of
    /// threshold `threshold` on the sparse feature read last; returns its
    /// number of samples going left, `None` without the order or on dense
    /// features.
    pub(super) fn sk_sparse_partition(
        &mut self,
        threshold: f64,
        node: &NodeSearch<'_>,
    ) -> Option<usize> {
        let (order, sparse) = (self.order.as_mut()?, self.sparse_order.as_mut()?);
        Some(sparse.partition(&mut order.sk, node.start, threshold))
    }

    /// scikit-learn's final partition of a sparse node (when the feature
    /// drawn last is not the best's): the best feature read again, its
    /// candidate's partition.
    pub(super) fn sk_sparse_final(
        &mut self,
        feature: usize,
        threshold: f64,
        node: &NodeSearch<'_>,
    ) {
        let last = self.order.as_ref().map(|o| o.last);
        if self.sparse_order.is_some() && last.is_some_and(|l| l != feature) {
            self.sk_read(feature, node);
            self.sk_sparse_partition(threshold, node);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_and_partitioning_move_the_samples_as_scikit_learns_sparse_partitioner() {
        // Node of samples 0..6 at positions 0..6; stored entries of the
        // feature: sample 1 → 2.0, 2 → -1.0, 4 → 3.0, 5 → -2.0 (0 and 3
        // implicit zeros). By hand, as `extract_nnz_index_to_samples`:
        // 1 (+) swapped with position 5: 0 5 2 3 4 1, values[5] = 2;
        // 2 (−) swapped with position 0: 2 5 0 3 4 1, values[0] = -1;
        // 4 (+) swapped with position 4: unchanged, values[4] = 3;
        // 5 (−) at position 1, swapped with itself, values[1] = -2.
        let mut order = vec![0, 1, 2, 3, 4, 5];
        let mut sparse = SparseOrder::new(&order, 6);
        sparse.read(
            &mut order,
            (0, 6),
            ([1u32, 2, 4, 5].into_iter(), &[2.0, -1.0, 3.0, -2.0]),
        );
        assert_eq!(order, [2, 5, 0, 3, 4, 1]);
        assert_eq!((sparse.end_negative, sparse.start_positive), (2, 4));
        // Threshold 2.5 partitions the positive block 4..6 (values 3, 2):
        // position 4 (3.0) goes right, swapped with position 5; 2.0 left.
        let n_left = sparse.partition(&mut order, 0, 2.5);
        assert_eq!((n_left, &order[..]), (5, &[2, 5, 0, 3, 1, 4][..]));
        // Threshold 0 keeps the reading's order: negatives and zeros left.
        assert_eq!(sparse.partition(&mut order, 0, 0.0), 4);
        // Threshold -1.5 partitions the negative block 0..2 (values -1,
        // -2): position 0 (-1.0) goes right, swapped with position 1.
        let n_left = sparse.partition(&mut order, 0, -1.5);
        assert_eq!((n_left, &order[..]), (1, &[5, 2, 0, 3, 1, 4][..]));
        for (q, &s) in order.iter().enumerate() {
            assert_eq!(sparse.position[s as usize] as usize, q);
        }
    }
}
