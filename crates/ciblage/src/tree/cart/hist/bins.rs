//! Binning for the histogram splitter: each feature cut once into at most
//! `max_bins` bins (its distinct values when it has no more, else sample
//! quantiles), rows coded by bin.

use ndarray::ArrayView2;
use rayon::prelude::*;

use crate::tree::cart::shared::data::{Columns, TrainSet, FEATURE_THRESHOLD};
use crate::tree::cart::sparse::DenseValue;

mod sparse;

/// Rows sampled to place quantile bin bounds.
const BIN_SAMPLE: usize = 200_000;
/// Bin code of a missing value.
pub(super) const MISSING: u8 = u8::MAX;
/// Rows coded together when features are cut from a sample.
const BLOCK_ROWS: usize = 4096;

/// The bins of one feature: bin `k` holds the values in
/// (`upper[k − 1]`, `upper[k]`], the last one everything above; `lo`/`hi`
/// are the smallest and largest training values in each bin.
pub(crate) struct FeatureBins {
    pub(super) lo: Vec<f32>,
    pub(super) hi: Vec<f32>,
}

impl FeatureBins {
    pub(super) fn len(&self) -> usize {
        self.lo.len()
    }
}

/// How one feature is cut.
enum FeatureCut {
    /// Every row was sorted: the column's codes and the bins.
    Coded(Vec<u8>, FeatureBins),
    /// Cut from a sample: the bins' bounds and the number of bins, and
    /// the bins' smallest and largest values when the sample holds every
    /// row.
    Bounds(Box<BinBounds>, usize, Option<FeatureBins>),
}

/// Upper bounds of a feature's bins, padded to 256 entries with +∞: a
/// value's bin is the number of bounds below it, found by a branch-free
/// binary search (eight steps; the searches of a row's features overlap).
struct BinBounds {
    upper: [f32; 256],
}

impl BinBounds {
    fn new(upper: &[f32]) -> Self {
        let mut padded = [f32::INFINITY; 256];
        padded[..upper.len().min(255)].copy_from_slice(&upper[..upper.len().min(255)]);
        Self { upper: padded }
    }

    /// Number of bounds below `v` (at most 255).
    #[inline]
    fn bin_of(&self, v: f32) -> usize {
        let mut below = 0;
        for step in [128, 64, 32, 16, 8, 4, 2, 1] {
            // The bounds ascend: if the last of the next `step` is below
            // v, all of them are.
            below += step * usize::from(self.upper[below + step - 1] < v);
        }
        below
    }
}

/// Bytes per row of bin codes for `d` features: `d` rounded up to a
/// multiple of 8 (rows are then copied in whole words).
pub(super) const fn row_stride(d: usize) -> usize {
    d.div_ceil(8) * 8
}

/// Bins every feature of `data` (in parallel): the bin codes, row-major
/// (`codes[row * row_stride(d) + feature]`), and each feature's bins.
pub(crate) fn bin_features(data: &TrainSet<'_>, max_bins: usize) -> (Vec<u8>, Vec<FeatureBins>) {
    match data.x {
        Columns::Dense(x) => bin_dense(data, x, max_bins),
        Columns::Dense32(x) => bin_dense(data, x, max_bins),
        // Sparse columns are never categorical (refused at fit).
        Columns::Sparse(x) => sparse::bin_features(&x, max_bins),
    }
}

/// [`bin_features`] of the dense matrix `x` (of `data`).
fn bin_dense<T: DenseValue>(
    data: &TrainSet<'_>,
    x: ArrayView2<'_, T>,
    max_bins: usize,
) -> (Vec<u8>, Vec<FeatureBins>) {
    let (n, d) = (data.n, data.d);
    let step = n.div_ceil(BIN_SAMPLE).max(1);
    // Numeric features are cut from a sample (every row up to
    // `BIN_SAMPLE` rows): the sampled rows read once, row by row.
    let sampled_feature = |f: usize| !data.categorical[f];
    let mut samples: Vec<Vec<f32>> = (0..d)
        .map(|f| {
            let cap = if sampled_feature(f) {
                n.div_ceil(step)
            } else {
                0
            };
            Vec::with_capacity(cap)
        })
        .collect();
    if (0..d).any(sampled_feature) {
        for row in x.outer_iter().step_by(step) {
            for (f, sample) in samples.iter_mut().enumerate() {
                let v = row[f];
                if sampled_feature(f) && !v.is_missing() {
                    sample.push(v.to_f32());
                }
            }
        }
    }
    let cuts: Vec<FeatureCut> = samples
        .into_par_iter()
        .enumerate()
        .map(|(f, mut sample)| {
            if sampled_feature(f) {
                radsort::sort(&mut sample);
                let upper = bounds(&sample, max_bins);
                let k = upper.len().max(1);
                let whole = (step == 1).then(|| sorted_ranges(&sample, &upper, k));
                FeatureCut::Bounds(Box::new(BinBounds::new(&upper)), k, whole)
            } else {
                // Categorical features: one bin per category of the whole
                // column (their number was checked against max_bins at fit).
                let (codes, bins) = code_categories(&data.column_f32(f));
                FeatureCut::Coded(codes, bins)
            }
        })
        .collect();
    let stride = row_stride(d);
    let mut binned = vec![0u8; n * stride];
    // Features cut from a sample: rows coded block by block, every feature
    // of a row side by side, each block keeping its smallest and largest
    // value per bin (merged by min and max: the same for any split).
    let sampled: Vec<(usize, &BinBounds, usize)> = cuts
        .iter()
        .enumerate()
        .filter_map(|(f, c)| match c {
            FeatureCut::Bounds(u, k, _) => Some((f, &**u, *k)),
            FeatureCut::Coded(..) => None,
        })
        .collect();
    // The bins' smallest and largest values are tracked while coding only
    // when the sample left rows out.
    let track = step > 1;
    let mut ranges = vec![(f32::INFINITY, f32::NEG_INFINITY); if track { d * 256 } else { 0 }];
    if !sampled.is_empty() {
        ranges = binned
            .par_chunks_mut(stride * BLOCK_ROWS)
            .enumerate()
            .fold(
                || vec![(f32::INFINITY, f32::NEG_INFINITY); if track { d * 256 } else { 0 }],
                |mut acc, (block, out): (usize, &mut [u8])| {
                    let first = block * BLOCK_ROWS;
                    let rows = x.slice(ndarray::s![first..first + out.len() / stride, ..]);
                    for (codes, row) in out.chunks_exact_mut(stride).zip(rows.outer_iter()) {
                        for &(f, upper, k) in &sampled {
                            let v = row[f];
                            if v.is_missing() {
                                codes[f] = MISSING;
                                continue;
                            }
                            let v = v.to_f32();
                            let b = upper.bin_of(v).min(k - 1);
                            codes[f] = b as u8;
                            if !track {
                                continue;
                            }
                            // Rarely true once a block is under way: a
                            // predicted branch, no store.
                            let r = &mut acc[f * 256 + b];
                            if v < r.0 {
                                r.0 = v;
                            }
                            if v > r.1 {
                                r.1 = v;
                            }
                        }
                    }
                    acc
                },
            )
            .reduce_with(|mut a, b| {
                for (x, y) in a.iter_mut().zip(&b) {
                    x.0 = x.0.min(y.0);
                    x.1 = x.1.max(y.1);
                }
                a
            })
            .unwrap_or(ranges);
    }
    let mut bins = Vec::with_capacity(d);
    for (f, cut) in cuts.into_iter().enumerate() {
        match cut {
            FeatureCut::Coded(column, b) => {
                for (code, c) in binned.iter_mut().skip(f).step_by(stride).zip(column) {
                    *code = c;
                }
                bins.push(b);
            }
            FeatureCut::Bounds(_, _, Some(b)) => bins.push(b),
            FeatureCut::Bounds(_, k, None) => {
                let r = &ranges[f * 256..f * 256 + k];
                bins.push(FeatureBins {
                    lo: r.iter().map(|r| r.0).collect(),
                    hi: r.iter().map(|r| r.1).collect(),
                });
            }
        }
    }
    (binned, bins)
}

/// Upper bounds of the bins of sorted values: the distinct values (runs
/// each within the tie distance of the next are one value) when there are
/// at most `max_bins` of them, else `max_bins` quantiles.
fn bounds(sorted: &[f32], max_bins: usize) -> Vec<f32> {
    let mut distinct: Vec<f32> = Vec::new();
    for v in sorted.iter().copied() {
        match distinct.last_mut() {
            Some(last) if v <= *last + FEATURE_THRESHOLD => *last = v,
            _ => distinct.push(v),
        }
    }
    if distinct.len() <= max_bins {
        return distinct;
    }
    let mut u: Vec<f32> = (1..=max_bins)
        .map(|k| sorted[k * sorted.len() / max_bins - 1])
        .collect();
    u.dedup();
    u
}

/// The smallest and largest of the sorted values in each of the `k` bins
/// under `upper` (bin `b` holds the values above `upper[b − 1]` up to
/// `upper[b]`, the last one everything above), as coding every value finds
/// them.
fn sorted_ranges(sorted: &[f32], upper: &[f32], k: usize) -> FeatureBins {
    let mut lo = vec![f32::INFINITY; k];
    let mut hi = vec![f32::NEG_INFINITY; k];
    let mut start = 0;
    for b in 0..k {
        // The values of bin b: up to upper[b] (the last bin: all the rest).
        let end = if b + 1 < k {
            start + sorted[start..].partition_point(|&v| v <= upper[b])
        } else {
            sorted.len()
        };
        if end > start {
            (lo[b], hi[b]) = (sorted[start], sorted[end - 1]);
        }
        start = end;
    }
    FeatureBins { lo, hi }
}

/// Codes of a categorical column, one bin per category (ascending), from
/// its sorted (value, row) pairs: the rows are binned by walking the order.
fn code_categories(col: &[f32]) -> (Vec<u8>, FeatureBins) {
    let mut pairs: Vec<(f32, u32)> = col
        .iter()
        .enumerate()
        .filter(|(_, v)| !v.is_nan())
        .map(|(i, &v)| (v, i as u32))
        .collect();
    // Radix sort: the order of `f32::total_cmp`.
    radsort::sort_by_key(&mut pairs, |p| p.0);
    let sorted: Vec<f32> = pairs.iter().map(|p| p.0).collect();
    let upper = bounds(&sorted, usize::MAX);
    let k = upper.len().max(1);
    let mut lo = vec![f32::INFINITY; k];
    let mut hi = vec![f32::NEG_INFINITY; k];
    // Bin b holds the values above upper[b - 1] up to upper[b].
    let mut codes = vec![MISSING; col.len()];
    let mut b = 0;
    for &(v, row) in &pairs {
        while b + 1 < k && upper[b] < v {
            b += 1;
        }
        lo[b] = lo[b].min(v);
        hi[b] = hi[b].max(v);
        codes[row as usize] = b as u8;
    }
    (codes, FeatureBins { lo, hi })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Over `BIN_SAMPLE` rows (bounds from a sample, bins' ranges tracked
    /// while coding) and under it (ranges from the sorted values): codes
    /// follow the values' order, missing values get their code, each bin's
    /// `lo`/`hi` are the smallest and largest values coded into it, and a
    /// categorical feature keeps one bin per category.
    #[test]
    fn sampled_bins_code_rows_in_value_order() {
        for n in [BIN_SAMPLE + 5_000, 30_011] {
            bins_code_rows_in_value_order(n);
        }
    }

    fn bins_code_rows_in_value_order(n: usize) {
        let x = ndarray::Array2::from_shape_fn((n, 3), |(r, c)| match c {
            0 => ((r * 7_919) % 100_003) as f64 / 13.0,
            1 if r % 11 == 0 => f64::NAN,
            1 => ((r * 104_729) % 1_009) as f64 - 500.0,
            _ => (r % 7) as f64,
        });
        let data = TrainSet {
            x: x.view().into(),
            n,
            d: 3,
            classes: None,
            n_classes: 0,
            targets: None,
            weights: vec![1.0; n],
            categorical: vec![false, false, true],
            interrupt: Default::default(),
        };
        let (codes, bins) = bin_features(&data, 64);
        assert_eq!(bins[2].len(), 7);
        for f in 0..3 {
            let nb = bins[f].len();
            assert!(nb <= 64 || f == 2);
            let mut lo = vec![f32::INFINITY; nb];
            let mut hi = vec![f32::NEG_INFINITY; nb];
            let mut by_value: Vec<(f32, u8)> = Vec::new();
            for r in 0..n {
                let (v, c) = (x[[r, f]], codes[r * row_stride(3) + f]);
                if v.is_nan() {
                    assert_eq!(c, MISSING);
                    continue;
                }
                let (v, b) = (v as f32, usize::from(c));
                assert!(b < nb, "feature {f} row {r}: code {b} of {nb} bins");
                lo[b] = lo[b].min(v);
                hi[b] = hi[b].max(v);
                by_value.push((v, c));
            }
            by_value.sort_by(|a, b| a.0.total_cmp(&b.0));
            assert!(by_value.windows(2).all(|p| p[0].1 <= p[1].1), "feature {f}");
            assert_eq!(lo, bins[f].lo, "feature {f}");
            assert_eq!(hi, bins[f].hi, "feature {f}");
        }
    }

    #[test]
    fn bounds_counted_below_a_value() {
        let cases: [&[f32]; 3] = [
            &[-1.5, 0.0, 0.5, 2.0, 7.0],
            &[0.5; 0],
            &std::array::from_fn::<f32, 255, _>(|i| i as f32),
        ];
        for bounds in cases {
            let b = BinBounds::new(bounds);
            for v in [
                -3.0f32,
                -1.5,
                -1.0,
                0.0,
                0.25,
                0.5,
                1.0,
                2.0,
                6.9,
                7.0,
                15.0,
                15.5,
                16.0,
                100.5,
                254.0,
                254.5,
                1e9,
                f32::INFINITY,
            ] {
                let expected = bounds.iter().filter(|&&u| u < v).count();
                assert_eq!(b.bin_of(v), expected, "value {v}, {} bounds", bounds.len());
            }
        }
    }
}
