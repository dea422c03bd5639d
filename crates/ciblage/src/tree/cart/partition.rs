//! The exact splitter's partition of a split node: every feature's sorted
//! order split into the samples going left then the others, each side in
//! its former order.

use crate::tree::cart::build::Splitter;

impl Splitter<'_> {
    /// Splits the range of every feature (but `in_order`, whose flagged
    /// samples already come first) into the `n_left` samples flagged in
    /// `goes_left` then the others, keeping each feature's order; clears
    /// the flags.
    pub(super) fn partition_marked(
        &mut self,
        (start, end): (usize, usize),
        n_left: usize,
        in_order: Option<usize>,
    ) {
        // Children that will not be split are only summarised, from the
        // first feature's order.
        let features = if self.children_split { self.data.d } else { 1 };
        for f in (0..features).filter(|&f| Some(f) != in_order) {
            // Left samples move forward in place (never past one not yet
            // read), right ones wait in the buffers, then follow.
            let (order, values) = (&mut self.sorted[f], &mut self.sorted_values[f]);
            // Branch-free: each sample is written to both places, and only
            // its side's cursor moves on.
            let (mut l, mut r) = (start, 0);
            for k in start..end {
                let (smp, v) = (order[k], values[k]);
                let left = usize::from(self.goes_left[smp as usize]);
                order[l] = smp;
                values[l] = v;
                self.buf[r] = smp;
                self.vbuf[r] = v;
                l += left;
                r += 1 - left;
            }
            debug_assert_eq!(l, start + n_left);
            order[l..end].copy_from_slice(&self.buf[..r]);
            values[l..end].copy_from_slice(&self.vbuf[..r]);
        }
        for k in start..start + n_left {
            self.goes_left[self.sorted[0][k] as usize] = false;
        }
    }

    /// Splits every feature's range into the samples of positions
    /// `start..pos` of `feature`'s order, plus those of `end_nm..end_nm +
    /// moved` (missing the feature, going left), then the others.
    pub(super) fn partition(
        &mut self,
        feature: usize,
        start: usize,
        pos: usize,
        (end_nm, moved): (usize, usize),
        end: usize,
    ) {
        for k in (start..pos).chain(end_nm..end_nm + moved) {
            self.goes_left[self.sorted[feature][k] as usize] = true;
        }
        // Without moved samples the split feature is already in order.
        let in_order = (moved == 0).then_some(feature);
        self.partition_marked((start, end), pos - start + moved, in_order);
    }
}
