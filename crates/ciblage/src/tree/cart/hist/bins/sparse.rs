//! Binning a sparse (CSC) matrix: each column's sample is its explicit
//! values with the sampled rows' zeros added as one block, so the bins are
//! those of the dense matrix; the zero bin is found once per column, every
//! row starts with it and only the explicit values are coded.

use rayon::prelude::*;

use super::{bounds, row_stride, sorted_ranges, BinBounds, FeatureBins, BIN_SAMPLE, MISSING};
use crate::tree::cart::sparse::Compressed;

/// How one sparse column is cut: the bounds, the number of bins, and the
/// bins' smallest and largest values when the sample holds every row.
struct Cut {
    upper: BinBounds,
    k: usize,
    whole: Option<FeatureBins>,
}

/// Sorted sample of column `f`: the values of the rows `0, step, 2·step,
/// …` (missing ones left out), zeros included.
fn sorted_sample(x: &Compressed<'_>, f: usize, step: usize) -> Vec<f32> {
    let n = x.n_minor;
    let sampled_rows = n.div_ceil(step);
    let mut values: Vec<f32> = Vec::new();
    let mut explicit = 0usize;
    x.for_each(f, |r, v| {
        if r % step == 0 {
            explicit += 1;
            if !v.is_nan() {
                values.push(v as f32);
            }
        }
    });
    // The implicit zeros are +0.0, as explicit values that are +0.0 in f32.
    let zeros = sampled_rows - explicit + values.iter().filter(|v| v.to_bits() == 0).count();
    values.retain(|v| v.to_bits() != 0);
    radsort::sort(&mut values);
    let negatives = values.partition_point(|v| v.is_sign_negative());
    let mut sample = Vec::with_capacity(values.len() + zeros);
    sample.extend_from_slice(&values[..negatives]);
    sample.resize(negatives + zeros, 0.0);
    sample.extend_from_slice(&values[negatives..]);
    sample
}

/// Bins every column of `x` (n rows × d columns, CSC), as
/// [`super::bin_features`] bins the dense matrix: the same codes and bins.
pub(crate) fn bin_features(x: &Compressed<'_>, max_bins: usize) -> (Vec<u8>, Vec<FeatureBins>) {
    let (n, d) = (x.n_minor, x.n_major);
    let step = n.div_ceil(BIN_SAMPLE).max(1);
    let cuts: Vec<Cut> = (0..d)
        .into_par_iter()
        .map(|f| {
            let sample = sorted_sample(x, f, step);
            let upper = bounds(&sample, max_bins);
            let k = upper.len().max(1);
            let whole = (step == 1).then(|| sorted_ranges(&sample, &upper, k));
            Cut {
                upper: BinBounds::new(&upper),
                k,
                whole,
            }
        })
        .collect();
    let code_of = |c: &Cut, v: f32| c.upper.bin_of(v).min(c.k - 1);
    // Every row starts with each column's zero code.
    let stride = row_stride(d);
    let mut template = vec![0u8; stride];
    for (f, c) in cuts.iter().enumerate() {
        template[f] = code_of(c, 0.0) as u8;
    }
    let mut binned = vec![0u8; n * stride];
    binned
        .par_chunks_mut(stride)
        .for_each(|row| row.copy_from_slice(&template));
    let mut bins = Vec::with_capacity(d);
    for (f, c) in cuts.into_iter().enumerate() {
        let track = c.whole.is_none();
        let mut lo = vec![f32::INFINITY; if track { c.k } else { 0 }];
        let mut hi = vec![f32::NEG_INFINITY; if track { c.k } else { 0 }];
        let mut seen = |b: usize, v: f32| {
            if track {
                lo[b] = lo[b].min(v);
                hi[b] = hi[b].max(v);
            }
        };
        let mut explicit = 0;
        x.for_each(f, |r, v| {
            explicit += 1;
            binned[r * stride + f] = if v.is_nan() {
                MISSING
            } else {
                let v = v as f32;
                let b = code_of(&c, v);
                seen(b, v);
                b as u8
            };
        });
        if explicit < n {
            seen(code_of(&c, 0.0), 0.0);
        }
        bins.push(match c.whole {
            Some(b) => b,
            None => FeatureBins { lo, hi },
        });
    }
    (binned, bins)
}
