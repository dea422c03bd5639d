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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::cart::shared::data::{Columns, TrainSet};
    use crate::tree::cart::sparse::CscView;

    fn data_of(x: Columns<'_>, n: usize) -> TrainSet<'_> {
        TrainSet {
            x,
            n,
            d: 3,
            classes: None,
            n_classes: 0,
            targets: None,
            weights: Vec::new(),
            categorical: vec![false; 3],
            interrupt: Default::default(),
        }
    }

    /// Over `BIN_SAMPLE` rows (bounds from a sample, bins' ranges tracked
    /// while coding) and under it: the codes and bins of the dense matrix.
    #[test]
    fn sparse_bins_are_the_dense_bins() {
        for n in [BIN_SAMPLE + 3_001, 5_003] {
            let x = ndarray::Array2::from_shape_fn((n, 3), |(r, c)| {
                match ((r * 7_919) / 7 + c * 13) % 10 {
                    0 if c == 1 => f64::NAN,
                    1 => ((r * 104_729) % 1_009) as f64 - 500.0,
                    2 if c == 2 => -0.0,
                    3 => (r % 300) as f64 / 7.0,
                    _ => 0.0,
                }
            });
            let (mut indptr, mut indices, mut data) = (vec![0i64], Vec::new(), Vec::new());
            for f in 0..3 {
                for r in 0..n {
                    if x[[r, f]].to_bits() != 0 || r % 97 == 0 {
                        indices.push(r as i64);
                        data.push(x[[r, f]]);
                    }
                }
                indptr.push(indices.len() as i64);
            }
            let csc = CscView::new(n, 3, &indptr[..], &indices[..], &data).unwrap();
            let (dense_codes, dense_bins) =
                super::super::bin_features(&data_of(Columns::Dense(x.view()), n), 64);
            let (codes, bins) = super::super::bin_features(&data_of(Columns::Sparse(csc.0), n), 64);
            assert!(codes == dense_codes, "{n} rows: codes differ");
            for f in 0..3 {
                assert!(dense_bins[f].len() >= 2, "{n} rows, feature {f}");
                assert_eq!(bins[f].lo, dense_bins[f].lo, "{n} rows, feature {f}");
                assert_eq!(bins[f].hi, dense_bins[f].hi, "{n} rows, feature {f}");
            }
        }
    }
}
