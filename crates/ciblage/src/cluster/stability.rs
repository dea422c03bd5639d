//! How stable the segments of a k-means are under resampling.
//!
//! k-means is fitted on all the rows, then on `n_resamples` bootstrap
//! resamples (rows drawn with replacement, as many as there are). Each
//! resample's labelling is compared with the full-data labelling of the
//! same rows:
//! - the adjusted Rand index (on the resampled rows, repeats included);
//! - per segment of the full fit, Hennig's clusterwise Jaccard: among the
//!   distinct rows of the resample, the best Jaccard index of the
//!   segment's rows with one cluster of the resample; its mean over the
//!   resamples where the segment has rows is the segment's stability.
//!
//! Segments whose stability is below `threshold` (default 0.6: Hennig
//! reads values below 0.6 as an unstable cluster, 0.75 and above as a
//! stable one) are flagged.
//!
//! Resample `b` draws its rows with the stream `b` of a ChaCha8 generator
//! seeded with `seed` and fits with the k-means seed plus `b + 1`; the
//! resamples run in parallel and are gathered in order, and k-means gives
//! the same fit for any number of threads: the result is the same for
//! any number of threads.
//!
//! ```
//! use ciblage::cluster::{KMeans, Stability};
//! use ciblage::ndarray::Array2;
//!
//! let x = Array2::from_shape_fn((40, 1), |(i, _)| (i % 2) as f64 * 10.0 + (i / 2) as f64 * 0.01);
//! let s = Stability::params()
//!     .kmeans(KMeans::params().n_clusters(2))
//!     .n_resamples(5)
//!     .score(x.view())?;
//! assert!(s.mean_ari > 0.99);
//! assert!(s.unstable.is_empty());
//! # Ok::<(), ciblage::CiblageError>(())
//! ```

use ndarray::{ArrayView2, Axis};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::cluster::kmeans::{KMeans, KMeansParams};
use crate::cluster::metrics::adjusted_rand_score;
use crate::error::{CiblageError, Result};
use crate::interrupt::Interrupt;

/// Entry point of the stability: [`Stability::params`].
#[derive(Debug, Clone, Copy)]
pub struct Stability;

impl Stability {
    /// The parameter builder: 20 resamples, threshold 0.6, seed 0, the
    /// k-means of [`KMeans::params`] with four initialisations.
    #[must_use]
    pub fn params() -> StabilityParams {
        StabilityParams {
            kmeans: KMeans::params().n_init(Some(4)),
            n_resamples: 20,
            threshold: 0.6,
            seed: 0,
            keep_resamples: false,
            interrupt: Interrupt::default(),
        }
    }
}

/// The parameters of [`Stability`] (a builder).
#[derive(Debug, Clone)]
pub struct StabilityParams {
    kmeans: KMeansParams,
    n_resamples: usize,
    threshold: f64,
    seed: u64,
    keep_resamples: bool,
    interrupt: Interrupt,
}

/// Validated parameters: [`StabilityValidParams::score`] runs them.
#[derive(Debug, Clone)]
pub struct StabilityValidParams(StabilityParams);

/// The rows of one resample and the labels its fit gave them.
#[derive(Debug, Clone, PartialEq)]
pub struct Resample {
    /// The rows drawn (with replacement), in drawing order.
    pub rows: Vec<usize>,
    /// The resample fit's label of each drawn row.
    pub labels: Vec<u32>,
}

/// The stability of a k-means segmentation.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterStability {
    /// The full-data labelling.
    pub labels: Vec<u32>,
    /// The adjusted Rand index of each resample against the full-data labels.
    pub ari: Vec<f64>,
    /// The mean of `ari`.
    pub mean_ari: f64,
    /// Per segment (label `0..k`), the mean best Jaccard index (NaN for a
    /// segment absent from every resample).
    pub segment_jaccard: Vec<f64>,
    /// The segments whose stability is below the threshold (or NaN).
    pub unstable: Vec<u32>,
    /// The threshold used.
    pub threshold: f64,
    /// The resamples, when kept ([`StabilityParams::keep_resamples`]).
    pub resamples: Option<Vec<Resample>>,
}

impl StabilityParams {
    /// The k-means fitted on the data and on each resample (its
    /// `n_clusters` sets the number of segments).
    #[must_use]
    pub fn kmeans(mut self, params: KMeansParams) -> Self {
        self.kmeans = params;
        self
    }

    /// The number of bootstrap resamples (at least 1).
    #[must_use]
    pub fn n_resamples(mut self, n: usize) -> Self {
        self.n_resamples = n;
        self
    }

    /// Segments of a stability below this (in [0, 1]) are flagged.
    #[must_use]
    pub fn threshold(mut self, t: f64) -> Self {
        self.threshold = t;
        self
    }

    /// Seed of the resampling.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Keeps each resample's rows and labels in the result.
    #[must_use]
    pub fn keep_resamples(mut self, keep: bool) -> Self {
        self.keep_resamples = keep;
        self
    }

    /// Token that stops the computation (checked inside every fit).
    #[must_use]
    pub fn interrupt(mut self, token: Interrupt) -> Self {
        self.interrupt = token;
        self
    }

    /// Checks every parameter.
    ///
    /// # Errors
    /// [`CiblageError::InvalidParameter`] naming `n_resamples`,
    /// `threshold` or a k-means parameter.
    pub fn check(self) -> Result<StabilityValidParams> {
        if self.n_resamples == 0 {
            return Err(CiblageError::param(
                "n_resamples",
                "expected at least 1 resample, got 0",
            ));
        }
        if !(0.0..=1.0).contains(&self.threshold) {
            return Err(CiblageError::param(
                "threshold",
                format!("expected a number from 0 to 1, got {}", self.threshold),
            ));
        }
        self.kmeans.clone().check()?;
        Ok(StabilityValidParams(self))
    }

    /// Shortcut for `self.check()?.score(x)`.
    ///
    /// # Errors
    /// As [`StabilityParams::check`] and [`StabilityValidParams::score`].
    pub fn score(self, x: ArrayView2<'_, f64>) -> Result<ClusterStability> {
        self.check()?.score(x)
    }
}

/// One resample's adjusted Rand index, best Jaccard per segment, rows and labels.
type Run = (f64, Vec<Option<f64>>, Resample);

/// Per segment of `full` (`0..k`), the best Jaccard index with a cluster
/// of `part`, over the distinct rows of the resample (`None`: no row).
fn best_jaccard(full: &[u32], rows: &[usize], part: &[u32], k: usize) -> Vec<Option<f64>> {
    let mut seen = vec![false; full.len()];
    let kp = part.iter().max().map_or(0, |&m| m as usize + 1);
    let mut table = vec![0usize; k * kp];
    let (mut a, mut b) = (vec![0usize; k], vec![0usize; kp]);
    for (&i, &m) in rows.iter().zip(part) {
        if std::mem::replace(&mut seen[i], true) {
            continue;
        }
        let c = full[i] as usize;
        table[c * kp + m as usize] += 1;
        a[c] += 1;
        b[m as usize] += 1;
    }
    (0..k)
        .map(|c| {
            (a[c] > 0).then(|| {
                (0..kp)
                    .map(|j| {
                        let both = table[c * kp + j];
                        both as f64 / (a[c] + b[j] - both) as f64
                    })
                    .fold(0.0, f64::max)
            })
        })
        .collect()
}

impl StabilityValidParams {
    /// Fits k-means on `x` and on every resample and compares them.
    ///
    /// # Errors
    /// The errors of the k-means fit (fewer rows than clusters,
    /// non-finite values...), [`CiblageError::Interrupted`].
    pub fn score(&self, x: ArrayView2<'_, f64>) -> Result<ClusterStability> {
        let p = &self.0;
        let n = x.nrows();
        p.interrupt.add_total(p.n_resamples as u64 + 1);
        let full = p
            .kmeans
            .clone()
            .interrupt(p.interrupt.clone())
            .fit(x, None)?;
        p.interrupt.advance(1);
        let k = full.n_clusters();
        let labels = full.labels().to_vec();
        let base_seed = p.kmeans.seed;
        let runs: Vec<Result<Run>> = (0..p.n_resamples)
            .into_par_iter()
            .map(|b| {
                p.interrupt.check()?;
                let mut rng = ChaCha8Rng::seed_from_u64(p.seed);
                rng.set_stream(b as u64);
                let rows: Vec<usize> = (0..n).map(|_| rng.random_range(0..n)).collect();
                let xb = x.select(Axis(0), &rows);
                let fit = p
                    .kmeans
                    .clone()
                    .seed(base_seed.wrapping_add(b as u64 + 1))
                    .interrupt(p.interrupt.clone())
                    .fit(xb.view(), None)?;
                let drawn: Vec<u32> = rows.iter().map(|&i| labels[i]).collect();
                let ari = adjusted_rand_score(&drawn, fit.labels())?;
                let jac = best_jaccard(&labels, &rows, fit.labels(), k);
                p.interrupt.advance(1);
                Ok((
                    ari,
                    jac,
                    Resample {
                        rows,
                        labels: fit.labels().to_vec(),
                    },
                ))
            })
            .collect();
        let mut ari = Vec::with_capacity(p.n_resamples);
        let mut sums = vec![(0.0, 0usize); k];
        let mut resamples = Vec::new();
        for run in runs {
            let (a, jac, r) = run?;
            ari.push(a);
            for (s, j) in sums.iter_mut().zip(jac) {
                if let Some(j) = j {
                    s.0 += j;
                    s.1 += 1;
                }
            }
            if p.keep_resamples {
                resamples.push(r);
            }
        }
        let segment_jaccard: Vec<f64> = sums
            .iter()
            .map(|&(s, c)| if c > 0 { s / c as f64 } else { f64::NAN })
            .collect();
        let unstable = segment_jaccard
            .iter()
            .enumerate()
            .filter(|(_, j)| j.is_nan() || **j < p.threshold)
            .map(|(c, _)| c as u32)
            .collect();
        Ok(ClusterStability {
            mean_ari: ari.iter().sum::<f64>() / ari.len() as f64,
            labels,
            ari,
            segment_jaccard,
            unstable,
            threshold: p.threshold,
            resamples: p.keep_resamples.then_some(resamples),
        })
    }
}

#[cfg(test)]
#[path = "stability_tests.rs"]
mod tests;
