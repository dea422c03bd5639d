//! Measures of a clustering, to choose the number of clusters and compare
//! two clusterings: silhouette, Calinski–Harabasz, Davies–Bouldin and the
//! adjusted Rand index, with scikit-learn's definitions and special cases.
//!
//! Labels are any `u32` values (one per row); the measures need from 2 to
//! `rows − 1` distinct labels, as scikit-learn's. Distances are Euclidean.
//! Rows are processed in parallel in fixed chunks merged in order, so the
//! results do not depend on the number of threads.
//!
//! ```
//! use ciblage::cluster::{calinski_harabasz_score, Silhouette};
//! use ciblage::ndarray::array;
//!
//! let x = array![[0.0, 0.0], [0.0, 1.0], [5.0, 5.0], [5.0, 6.0]];
//! let labels = [0, 0, 1, 1];
//! let s = Silhouette::params().score(x.view(), &labels)?;
//! assert!(s.score > 0.8 && s.rows_used == 4 && !s.sampled);
//! assert!(calinski_harabasz_score(x.view(), &labels)? > 10.0);
//! # Ok::<(), ciblage::CiblageError>(())
//! ```

use ndarray::ArrayView2;
use rand::seq::index::sample;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::error::{CiblageError, Result};
use crate::interrupt::Interrupt;

/// Rows per parallel task.
const CHUNK: usize = 1024;

/// Labels recoded to `0..k` in ascending order of value.
fn recode(labels: &[u32], argument: &str) -> Result<(Vec<usize>, usize)> {
    if labels.is_empty() {
        return Err(CiblageError::EmptyInput {
            argument: argument.into(),
        });
    }
    let mut values = labels.to_vec();
    values.sort_unstable();
    values.dedup();
    let codes = labels
        .iter()
        .map(|l| values.binary_search(l).unwrap_or(0))
        .collect();
    Ok((codes, values.len()))
}

/// Checks `x` and `labels` and recodes the labels (2 to rows − 1 of them).
fn checked(x: ArrayView2<'_, f64>, labels: &[u32]) -> Result<(Vec<usize>, usize)> {
    if x.nrows() != labels.len() {
        return Err(CiblageError::LengthMismatch {
            argument: "labels".into(),
            expected: x.nrows(),
            got: labels.len(),
        });
    }
    let (codes, k) = recode(labels, "labels")?;
    if let Some((row, v)) = x
        .rows()
        .into_iter()
        .enumerate()
        .find_map(|(i, r)| r.iter().find(|v| !v.is_finite()).map(|v| (i, *v)))
    {
        return Err(CiblageError::NonFinite {
            argument: "X".into(),
            row,
            value: v,
        });
    }
    let n = labels.len();
    if k < 2 || k > n - 1 {
        return Err(CiblageError::InvalidParameter {
            name: "labels",
            reason: format!(
                "{k} distinct labels for {n} rows: expected from 2 to {} (rows − 1)",
                n.max(2) - 1
            ),
        });
    }
    Ok((codes, k))
}

/// Per-cluster row counts and feature means, summed by chunk in order.
fn means(x: ArrayView2<'_, f64>, codes: &[usize], k: usize) -> (Vec<usize>, Vec<f64>) {
    let d = x.ncols();
    let parts: Vec<(Vec<usize>, Vec<f64>)> = (0..x.nrows().div_ceil(CHUNK))
        .into_par_iter()
        .map(|t| {
            let mut count = vec![0usize; k];
            let mut sum = vec![0.0; k * d];
            for i in t * CHUNK..((t + 1) * CHUNK).min(x.nrows()) {
                count[codes[i]] += 1;
                for (j, v) in x.row(i).iter().enumerate() {
                    sum[codes[i] * d + j] += v;
                }
            }
            (count, sum)
        })
        .collect();
    let mut count = vec![0usize; k];
    let mut sum = vec![0.0; k * d];
    for (c, s) in parts {
        count.iter_mut().zip(c).for_each(|(a, b)| *a += b);
        sum.iter_mut().zip(s).for_each(|(a, b)| *a += b);
    }
    for c in 0..k {
        for j in 0..d {
            sum[c * d + j] /= count[c] as f64;
        }
    }
    (count, sum)
}

/// The Calinski–Harabasz index (variance ratio): between-cluster over
/// within-cluster dispersion, each divided by its degrees of freedom; 1
/// when every cluster is a single point repeated (as scikit-learn).
///
/// # Errors
/// [`CiblageError::LengthMismatch`], [`CiblageError::EmptyInput`],
/// [`CiblageError::NonFinite`], or [`CiblageError::InvalidParameter`]
/// (`labels`) for fewer than 2 or more than rows − 1 distinct labels.
pub fn calinski_harabasz_score(x: ArrayView2<'_, f64>, labels: &[u32]) -> Result<f64> {
    let (codes, k) = checked(x, labels)?;
    let (n, d) = (x.nrows(), x.ncols());
    let (count, mean_k) = means(x, &codes, k);
    let mean: Vec<f64> = (0..d)
        .map(|j| {
            (0..k)
                .map(|c| mean_k[c * d + j] * count[c] as f64)
                .sum::<f64>()
                / n as f64
        })
        .collect();
    let extra: f64 = (0..k)
        .map(|c| {
            count[c] as f64
                * (0..d)
                    .map(|j| (mean_k[c * d + j] - mean[j]).powi(2))
                    .sum::<f64>()
        })
        .sum();
    let intra: f64 = chunked_sum(n, |i| {
        let c = codes[i];
        x.row(i)
            .iter()
            .enumerate()
            .map(|(j, v)| (v - mean_k[c * d + j]).powi(2))
            .sum()
    });
    Ok(if intra == 0.0 {
        1.0
    } else {
        extra * (n - k) as f64 / (intra * (k as f64 - 1.0))
    })
}

/// The sum of `f(i)` over `0..n`, in chunks summed in order.
fn chunked_sum(n: usize, f: impl Fn(usize) -> f64 + Sync) -> f64 {
    let parts: Vec<f64> = (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .map(|t| (t * CHUNK..((t + 1) * CHUNK).min(n)).map(&f).sum())
        .collect();
    parts.into_iter().sum()
}

/// The Davies–Bouldin index: the mean over clusters of the largest ratio
/// of summed within-cluster spreads to the distance between centroids
/// (lower is better); 0 when every spread or every centroid distance is
/// within 1e-8 of 0 (as scikit-learn).
///
/// # Errors
/// As [`calinski_harabasz_score`].
pub fn davies_bouldin_score(x: ArrayView2<'_, f64>, labels: &[u32]) -> Result<f64> {
    let (codes, k) = checked(x, labels)?;
    let (n, d) = (x.nrows(), x.ncols());
    let (count, mean_k) = means(x, &codes, k);
    let dist = |a: &[f64], b: &[f64]| -> f64 {
        a.iter()
            .zip(b)
            .map(|(u, v)| (u - v).powi(2))
            .sum::<f64>()
            .sqrt()
    };
    let parts: Vec<Vec<f64>> = (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .map(|t| {
            let mut s = vec![0.0; k];
            let end = ((t + 1) * CHUNK).min(n);
            for (i, &c) in codes.iter().enumerate().take(end).skip(t * CHUNK) {
                let centre = &mean_k[c * d..(c + 1) * d];
                s[c] += x
                    .row(i)
                    .iter()
                    .zip(centre)
                    .map(|(u, v)| (u - v).powi(2))
                    .sum::<f64>()
                    .sqrt();
            }
            s
        })
        .collect();
    let mut intra = vec![0.0; k];
    for p in parts {
        intra.iter_mut().zip(p).for_each(|(a, b)| *a += b);
    }
    for c in 0..k {
        intra[c] /= count[c] as f64;
    }
    let centre = |c: usize| &mean_k[c * d..(c + 1) * d];
    let between: Vec<f64> = (0..k * k)
        .map(|t| dist(centre(t / k), centre(t % k)))
        .collect();
    if intra.iter().all(|v| v.abs() <= 1e-8) || between.iter().all(|v| v.abs() <= 1e-8) {
        return Ok(0.0);
    }
    let mut total = 0.0;
    for a in 0..k {
        let mut worst = f64::NEG_INFINITY;
        for b in 0..k {
            let gap = between[a * k + b];
            let r = if gap == 0.0 {
                0.0
            } else {
                (intra[a] + intra[b]) / gap
            };
            worst = worst.max(r);
        }
        total += worst;
    }
    Ok(total / k as f64)
}

/// The adjusted Rand index of two clusterings of the same rows: 1 for
/// identical partitions, about 0 for independent ones (scikit-learn's
/// formula, from the pair confusion matrix in exact integers).
///
/// # Errors
/// [`CiblageError::LengthMismatch`] for labelings of different lengths,
/// [`CiblageError::EmptyInput`] for empty ones.
pub fn adjusted_rand_score(labels_true: &[u32], labels_pred: &[u32]) -> Result<f64> {
    if labels_true.len() != labels_pred.len() {
        return Err(CiblageError::LengthMismatch {
            argument: "labels_pred".into(),
            expected: labels_true.len(),
            got: labels_pred.len(),
        });
    }
    if labels_true.is_empty() {
        // scikit-learn: two empty labelings are identical.
        return Ok(1.0);
    }
    let (a, ka) = recode(labels_true, "labels_true")?;
    let (b, kb) = recode(labels_pred, "labels_pred")?;
    let mut cells: std::collections::HashMap<(usize, usize), i128> =
        std::collections::HashMap::new();
    let mut rows = vec![0i128; ka];
    let mut cols = vec![0i128; kb];
    for (&u, &v) in a.iter().zip(&b) {
        *cells.entry((u, v)).or_insert(0) += 1;
        rows[u] += 1;
        cols[v] += 1;
    }
    let n = a.len() as i128;
    let squares: i128 = cells.values().map(|c| c * c).sum();
    // contingency · n_k summed = Σ_cells n_ij · n_.j, and likewise by rows.
    let by_cols: i128 = cells.iter().map(|(&(_, v), c)| c * cols[v]).sum();
    let by_rows: i128 = cells.iter().map(|(&(u, _), c)| c * rows[u]).sum();
    let tp = squares - n;
    let fp = by_cols - squares;
    let fn_ = by_rows - squares;
    let tn = n * n - fp - fn_ - squares;
    if fn_ == 0 && fp == 0 {
        return Ok(1.0);
    }
    let num = 2.0 * ((tp * tn - fn_ * fp) as f64);
    let den = ((tp + fn_) * (fn_ + tn) + (tp + fp) * (fp + tn)) as f64;
    Ok(num / den)
}

/// Entry point of the silhouette: [`Silhouette::params`].
#[derive(Debug, Clone, Copy)]
pub struct Silhouette;

impl Silhouette {
    /// The parameter builder: exact up to 20,000 rows, else on a sample of
    /// 20,000 rows drawn with seed 0.
    #[must_use]
    pub fn params() -> SilhouetteParams {
        SilhouetteParams {
            sample_size: Some(20_000),
            seed: 0,
            interrupt: Interrupt::default(),
        }
    }
}

/// The parameters of the silhouette (a builder; see [`Silhouette`]).
#[derive(Debug, Clone)]
pub struct SilhouetteParams {
    sample_size: Option<usize>,
    seed: u64,
    interrupt: Interrupt,
}

/// Validated silhouette parameters: [`SilhouetteValidParams::score`] computes it.
#[derive(Debug, Clone)]
pub struct SilhouetteValidParams {
    sample_size: Option<usize>,
    seed: u64,
    interrupt: Interrupt,
}

/// A silhouette coefficient and the rows it was computed on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SilhouetteScore {
    /// The mean silhouette of the rows used, in [−1, 1].
    pub score: f64,
    /// The rows it was computed on (all of them, or the sample).
    pub rows_used: usize,
    /// Whether the rows used are a sample.
    pub sampled: bool,
}

impl SilhouetteParams {
    /// Largest number of rows computed exactly; larger inputs are scored on
    /// a sample of this size drawn without replacement (at least 2;
    /// `None`: always exact, in time quadratic in the rows).
    #[must_use]
    pub fn sample_size(mut self, n: Option<usize>) -> Self {
        self.sample_size = n;
        self
    }

    /// Seed of the sample (default 0).
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Token that stops the computation (checked per chunk of rows).
    #[must_use]
    pub fn interrupt(mut self, token: Interrupt) -> Self {
        self.interrupt = token;
        self
    }

    /// Checks every parameter.
    ///
    /// # Errors
    /// [`CiblageError::InvalidParameter`] (`sample_size` below 2).
    pub fn check(self) -> Result<SilhouetteValidParams> {
        if let Some(s) = self.sample_size {
            if s < 2 {
                return Err(CiblageError::InvalidParameter {
                    name: "sample_size",
                    reason: format!("expected at least 2 rows or None, got {s}"),
                });
            }
        }
        Ok(SilhouetteValidParams {
            sample_size: self.sample_size,
            seed: self.seed,
            interrupt: self.interrupt,
        })
    }

    /// Shortcut for `self.check()?.score(..)`.
    ///
    /// # Errors
    /// As [`SilhouetteParams::check`] and [`SilhouetteValidParams::score`].
    pub fn score(self, x: ArrayView2<'_, f64>, labels: &[u32]) -> Result<SilhouetteScore> {
        self.check()?.score(x, labels)
    }
}

impl SilhouetteValidParams {
    /// The mean silhouette coefficient of the rows of `x` (Euclidean
    /// distance) under `labels`: per row, `(b − a) / max(a, b)` with `a`
    /// the mean distance to the other rows of its cluster and `b` the
    /// smallest mean distance to another cluster's rows; 0 for a row alone
    /// in its cluster.
    ///
    /// # Errors
    /// As [`calinski_harabasz_score`] (on the sample, when one is drawn);
    /// [`CiblageError::Interrupted`].
    pub fn score(&self, x: ArrayView2<'_, f64>, labels: &[u32]) -> Result<SilhouetteScore> {
        checked(x, labels)?;
        let n = x.nrows();
        let rows: Vec<usize> = match self.sample_size {
            Some(s) if s < n => {
                let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
                let mut picked = sample(&mut rng, n, s).into_vec();
                picked.sort_unstable();
                picked
            }
            _ => (0..n).collect(),
        };
        let sampled = rows.len() < n;
        let sub_labels: Vec<u32> = rows.iter().map(|&i| labels[i]).collect();
        let sub = x.select(ndarray::Axis(0), &rows);
        let (codes, k) = checked(sub.view(), &sub_labels)?;
        let (m, d) = (rows.len(), x.ncols());
        let flat: Vec<f64> = sub.iter().copied().collect();
        let row = |i: usize| &flat[i * d..(i + 1) * d];
        let mut size = vec![0usize; k];
        for &c in &codes {
            size[c] += 1;
        }
        let parts: Vec<Result<f64>> = (0..m.div_ceil(CHUNK))
            .into_par_iter()
            .map(|t| {
                self.interrupt.check()?;
                let mut sums = vec![0.0; k];
                let mut total = 0.0;
                for i in t * CHUNK..((t + 1) * CHUNK).min(m) {
                    sums.iter_mut().for_each(|s| *s = 0.0);
                    let xi = row(i);
                    for j in 0..m {
                        let d2: f64 = xi.iter().zip(row(j)).map(|(a, b)| (a - b) * (a - b)).sum();
                        sums[codes[j]] += d2.sqrt();
                    }
                    let own = codes[i];
                    if size[own] == 1 {
                        continue;
                    }
                    let a = sums[own] / (size[own] - 1) as f64;
                    let b = (0..k)
                        .filter(|&c| c != own)
                        .map(|c| sums[c] / size[c] as f64)
                        .fold(f64::INFINITY, f64::min);
                    let top = a.max(b);
                    if top > 0.0 {
                        total += (b - a) / top;
                    }
                }
                Ok(total)
            })
            .collect();
        let mut total = 0.0;
        for p in parts {
            total += p?;
        }
        Ok(SilhouetteScore {
            score: total / m as f64,
            rows_used: m,
            sampled,
        })
    }
}

#[cfg(test)]
#[path = "metrics_tests.rs"]
mod tests;
