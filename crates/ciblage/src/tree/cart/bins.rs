//! Binning for the histogram splitter: each feature cut once into at most
//! `max_bins` bins (its distinct values when it has no more, else sample
//! quantiles), rows coded by bin.

use rayon::prelude::*;

use crate::tree::cart::splitter::TrainSet;

/// Rows sampled to place quantile bin bounds.
const BIN_SAMPLE: usize = 200_000;
/// Distance under which two values share a bin (the exact splitter's tie).
const FEATURE_THRESHOLD: f32 = 1e-7;
/// Bin code of a missing value.
pub(super) const MISSING: u8 = u8::MAX;
/// The bins of one feature: bin `k` holds the values in
/// (`upper[k − 1]`, `upper[k]`], the last one everything above; `lo`/`hi`
/// are the smallest and largest training values in each bin.
pub(super) struct FeatureBins {
    pub(super) lo: Vec<f32>,
    pub(super) hi: Vec<f32>,
}

impl FeatureBins {
    pub(super) fn len(&self) -> usize {
        self.lo.len()
    }
}

/// Bins every feature of `data` (in parallel): the bin codes, row-major
/// (`codes[row * d + feature]`), and each feature's bins.
pub(super) fn bin_features(data: &TrainSet<'_>, max_bins: usize) -> (Vec<u8>, Vec<FeatureBins>) {
    let n = data.n;
    let per: Vec<(Vec<u8>, FeatureBins)> = (0..data.d)
        .into_par_iter()
        .map(|f| {
            let col = data.column_f32(f);
            // Categorical features: one bin per category of the whole column
            // (their number was checked against max_bins at fit).
            let stride = if data.categorical[f] {
                1
            } else {
                n.div_ceil(BIN_SAMPLE).max(1)
            };
            // With every row in the sample, sort (value, row) pairs: the
            // rows are then binned by walking the order, without searching.
            let mut pairs: Vec<(f32, u32)> = if stride == 1 {
                col.iter()
                    .enumerate()
                    .filter(|(_, v)| !v.is_nan())
                    .map(|(i, &v)| (v, i as u32))
                    .collect()
            } else {
                Vec::new()
            };
            let sample: Vec<f32> = if stride == 1 {
                // Radix sort: the order of `f32::total_cmp`.
                radsort::sort_by_key(&mut pairs, |p| p.0);
                pairs.iter().map(|p| p.0).collect()
            } else {
                let mut sample: Vec<f32> = col
                    .iter()
                    .step_by(stride)
                    .copied()
                    .filter(|v| !v.is_nan())
                    .collect();
                radsort::sort(&mut sample);
                sample
            };
            // Runs of values each within the tie distance of the next are one value.
            let mut distinct: Vec<f32> = Vec::new();
            for v in sample.iter().copied() {
                match distinct.last_mut() {
                    Some(last) if v <= *last + FEATURE_THRESHOLD => *last = v,
                    _ => distinct.push(v),
                }
            }
            let upper: Vec<f32> = if distinct.len() <= max_bins || data.categorical[f] {
                distinct
            } else {
                let mut u: Vec<f32> = (1..=max_bins)
                    .map(|k| sample[k * sample.len() / max_bins - 1])
                    .collect();
                u.dedup();
                u
            };
            let k = upper.len().max(1);
            let mut lo = vec![f32::INFINITY; k];
            let mut hi = vec![f32::NEG_INFINITY; k];
            let codes: Vec<u8> = if stride == 1 {
                // Bin b holds the values above upper[b - 1] up to upper[b].
                let mut codes = vec![MISSING; n];
                let mut b = 0;
                for &(v, row) in &pairs {
                    while b + 1 < k && upper[b] < v {
                        b += 1;
                    }
                    lo[b] = lo[b].min(v);
                    hi[b] = hi[b].max(v);
                    codes[row as usize] = b as u8;
                }
                codes
            } else {
                col.iter()
                    .map(|&v| {
                        if v.is_nan() {
                            return MISSING;
                        }
                        let b = upper.partition_point(|&u| u < v).min(k - 1);
                        lo[b] = lo[b].min(v);
                        hi[b] = hi[b].max(v);
                        b as u8
                    })
                    .collect()
            };
            (codes, FeatureBins { lo, hi })
        })
        .collect();
    // Row by row: a row's codes for every feature side by side.
    let d = data.d;
    let mut binned = vec![0u8; n * d];
    let (columns, bins): (Vec<Vec<u8>>, Vec<FeatureBins>) = per.into_iter().unzip();
    binned
        .par_chunks_mut(d.max(1) * 4096)
        .enumerate()
        .for_each(|(block, out)| {
            let first = block * 4096;
            for (i, row) in out.chunks_exact_mut(d).enumerate() {
                for (code, column) in row.iter_mut().zip(&columns) {
                    *code = column[first + i];
                }
            }
        });
    (binned, bins)
}
