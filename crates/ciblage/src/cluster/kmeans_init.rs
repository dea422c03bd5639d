//! Initial centres: k-means++ (scikit-learn's greedy variant), random rows,
//! or given centres.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::cluster::kmeans_iter::{chunked, sq_dist, Data, CHUNK};
use crate::error::Result;
use crate::interrupt::Interrupt;

/// The initialisation of a run.
#[derive(Debug, Clone)]
pub(crate) enum InitKind {
    /// k-means++.
    PlusPlus,
    /// Distinct random rows.
    Random,
    /// Given centres, `k × d` row-major.
    Given(Vec<f64>),
}

/// The `k × d` first centres of one run.
pub(crate) fn initial_centers(
    data: &Data<'_>,
    k: usize,
    kind: &InitKind,
    rng: &mut ChaCha8Rng,
    interrupt: &Interrupt,
) -> Result<Vec<f64>> {
    match kind {
        InitKind::Given(c) => Ok(c.clone()),
        InitKind::Random => Ok(random_rows(data, k, rng)),
        InitKind::PlusPlus => plus_plus(data, k, rng, interrupt),
    }
}

/// `k` distinct rows drawn uniformly (a partial Fisher-Yates shuffle of
/// the row indices, touched lazily).
fn random_rows(data: &Data<'_>, k: usize, rng: &mut ChaCha8Rng) -> Vec<f64> {
    let mut swapped = std::collections::HashMap::<usize, usize>::new();
    let mut centers = Vec::with_capacity(k * data.d);
    for i in 0..k {
        let j = rng.random_range(i..data.n);
        let pick = *swapped.get(&j).unwrap_or(&j);
        let here = *swapped.get(&i).unwrap_or(&i);
        swapped.insert(j, here);
        centers.extend_from_slice(data.row(pick));
    }
    centers
}

/// The row at which the running sum of `values` (chunk sums `totals`)
/// first exceeds `target` (the last row if none does).
fn search(values: &[f64], totals: &[f64], target: f64) -> usize {
    let mut acc = 0.0;
    for (c, &t) in totals.iter().enumerate() {
        if acc + t > target {
            let lo = c * CHUNK;
            for (o, &v) in values[lo..(lo + CHUNK).min(values.len())]
                .iter()
                .enumerate()
            {
                acc += v;
                if acc > target {
                    return lo + o;
                }
            }
            return (lo + CHUNK).min(values.len()) - 1;
        }
        acc += t;
    }
    values.len() - 1
}

/// Weighted sums of `values` per chunk.
fn chunk_sums(values: &[f64]) -> Vec<f64> {
    values.par_chunks(CHUNK).map(|c| c.iter().sum()).collect()
}

/// k-means++: the first centre drawn with probability proportional to the
/// weights, each next one the best (least potential) of `2 + ln k`
/// candidates drawn with probability proportional to weight × squared
/// distance to the nearest centre so far.
fn plus_plus(
    data: &Data<'_>,
    k: usize,
    rng: &mut ChaCha8Rng,
    interrupt: &Interrupt,
) -> Result<Vec<f64>> {
    let d = data.d;
    let trials = 2 + (k as f64).ln() as usize;
    let weights: Vec<f64> = match data.w {
        Some(w) => w.to_vec(),
        None => Vec::new(),
    };
    let w_totals = if weights.is_empty() {
        (0..data.n.div_ceil(CHUNK))
            .map(|c| ((c + 1) * CHUNK).min(data.n) as f64 - (c * CHUNK) as f64)
            .collect()
    } else {
        chunk_sums(&weights)
    };
    let w_total: f64 = w_totals.iter().sum();
    let first = {
        let target = rng.random::<f64>() * w_total;
        if weights.is_empty() {
            ((target.floor()) as usize).min(data.n - 1)
        } else {
            search(&weights, &w_totals, target)
        }
    };
    let mut centers = Vec::with_capacity(k * d);
    centers.extend_from_slice(data.row(first));
    // Weighted squared distance of every row to its nearest centre so far.
    let mut closest: Vec<f64> = chunked(data, |lo, hi| {
        (lo..hi)
            .map(|i| data.weight(i) * sq_dist(data.row(i), data.row(first)))
            .collect::<Vec<f64>>()
    })
    .concat();
    let mut totals = chunk_sums(&closest);
    let mut pot: f64 = totals.iter().sum();
    for _ in 1..k {
        interrupt.check()?;
        let candidates: Vec<usize> = (0..trials)
            .map(|_| {
                let target = rng.random::<f64>() * pot;
                search(&closest, &totals, target)
            })
            .collect();
        // Per candidate: the weighted distances if it were added, and
        // their per-chunk sums.
        let mut best: Option<(f64, usize, Vec<f64>, Vec<f64>)> = None;
        for &cand in &candidates {
            let c = data.row(cand);
            let next: Vec<f64> = closest
                .par_chunks(CHUNK)
                .enumerate()
                .flat_map_iter(|(ci, chunk)| {
                    chunk.iter().enumerate().map(move |(o, &old)| {
                        let i = ci * CHUNK + o;
                        old.min(data.weight(i) * sq_dist(data.row(i), c))
                    })
                })
                .collect();
            let next_totals = chunk_sums(&next);
            let p: f64 = next_totals.iter().sum();
            if best.as_ref().is_none_or(|b| p < b.0) {
                best = Some((p, cand, next, next_totals));
            }
        }
        if let Some((p, cand, next, next_totals)) = best {
            pot = p;
            closest = next;
            totals = next_totals;
            centers.extend_from_slice(data.row(cand));
        }
    }
    Ok(centers)
}
