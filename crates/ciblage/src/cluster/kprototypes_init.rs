//! Initial prototypes of k-prototypes: Huang's and Cao's methods (as the
//! `kmodes` package), given prototypes, and random rows as the fallback.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

use crate::cluster::kprototypes::KPrototypesInit;
use crate::cluster::kprototypes_data::{column_std, Centers, Data, UNSEEN};

/// The initial prototypes of a method.
pub(crate) fn init_centers(
    d: &Data,
    init: &KPrototypesInit,
    k: usize,
    rng: &mut ChaCha8Rng,
) -> Centers {
    let cat = match init {
        KPrototypesInit::Huang => init_huang(d, k, rng),
        KPrototypesInit::Cao => init_cao(d, k),
        KPrototypesInit::Given {
            numeric,
            categorical,
        } => {
            let cat = (0..k * d.q)
                .map(|t| {
                    let j = t % d.q;
                    let v = categorical[(t / d.q, j)];
                    d.codes[j].binary_search(&v).map_or(UNSEEN, |c| c as u32)
                })
                .collect();
            return Centers {
                num: numeric.iter().copied().collect(),
                cat,
            };
        }
    };
    Centers {
        num: random_numeric(d, k, rng),
        cat,
    }
}

/// Numeric prototypes drawn from a normal law per feature (mean and
/// population standard deviation of the feature), as `kmodes`.
fn random_numeric(d: &Data, k: usize, rng: &mut ChaCha8Rng) -> Vec<f64> {
    let std = column_std(&d.num, d.n, d.p);
    let mean: Vec<f64> = (0..d.p)
        .map(|j| (0..d.n).map(|i| d.num[i * d.p + j]).sum::<f64>() / d.n as f64)
        .collect();
    let mut out = Vec::with_capacity(k * d.p);
    for _ in 0..k {
        for j in 0..d.p {
            let z: f64 = StandardNormal.sample(rng);
            out.push(mean[j] + z * std[j]);
        }
    }
    out
}

/// Huang's initialisation of the modes: each feature drawn by weighted
/// frequency, then each prototype replaced by its nearest row (the first
/// among equals) that is not already a prototype, if there is one.
fn init_huang(d: &Data, k: usize, rng: &mut ChaCha8Rng) -> Vec<u32> {
    let q = d.q;
    let mut centers = vec![0u32; k * q];
    for j in 0..q {
        let mut cum = vec![0.0; d.codes[j].len()];
        for i in 0..d.n {
            cum[d.cat[i * q + j] as usize] += d.weights[i];
        }
        for l in 1..cum.len() {
            cum[l] += cum[l - 1];
        }
        let total = cum.last().copied().unwrap_or(0.0);
        for c in 0..k {
            let u = rng.random::<f64>() * total;
            let level = cum.partition_point(|&s| s <= u).min(cum.len() - 1);
            centers[c * q + j] = level as u32;
        }
    }
    for c in 0..k {
        let target = centers[c * q..(c + 1) * q].to_vec();
        let mut best: Option<(u32, usize)> = None;
        let mut fallback: Option<(u32, usize)> = None;
        for i in 0..d.n {
            if d.weights[i] <= 0.0 {
                continue;
            }
            let row = d.row_cat(i);
            let dist: u32 = row
                .iter()
                .zip(&target)
                .map(|(a, b)| u32::from(a != b))
                .sum();
            if fallback.is_none_or(|(b, _)| dist < b) {
                fallback = Some((dist, i));
            }
            let taken = (0..k).any(|cc| &centers[cc * q..(cc + 1) * q] == row);
            if !taken && best.is_none_or(|(b, _)| dist < b) {
                best = Some((dist, i));
            }
        }
        if let Some((_, i)) = best.or(fallback) {
            let row = d.row_cat(i).to_vec();
            centers[c * q..(c + 1) * q].copy_from_slice(&row);
        }
    }
    centers
}

/// Cao's initialisation of the modes: the densest row first, then each
/// time the row maximising density × distance to its nearest chosen mode.
fn init_cao(d: &Data, k: usize) -> Vec<u32> {
    let q = d.q;
    let total: f64 = d.weights.iter().sum();
    let mut freq: Vec<Vec<f64>> = d.codes.iter().map(|c| vec![0.0; c.len()]).collect();
    for i in 0..d.n {
        for j in 0..q {
            freq[j][d.cat[i * q + j] as usize] += d.weights[i];
        }
    }
    let dens: Vec<f64> = (0..d.n)
        .into_par_iter()
        .map(|i| {
            if d.weights[i] <= 0.0 {
                return -1.0;
            }
            let mut s = 0.0;
            for j in 0..q {
                s += freq[j][d.cat[i * q + j] as usize] / total / q as f64;
            }
            s
        })
        .collect();
    let first = argmax(&dens);
    let mut centers = d.row_cat(first).to_vec();
    let mut score = vec![f64::INFINITY; d.n];
    for c in 1..k {
        let last = centers[(c - 1) * q..c * q].to_vec();
        score.par_iter_mut().enumerate().for_each(|(i, s)| {
            let dist: u32 = d
                .row_cat(i)
                .iter()
                .zip(&last)
                .map(|(a, b)| u32::from(a != b))
                .sum();
            *s = s.min(f64::from(dist) * dens[i]);
        });
        let pick = argmax(&score);
        centers.extend_from_slice(d.row_cat(pick));
    }
    centers
}

/// Index of the largest value (the first among equals).
fn argmax(v: &[f64]) -> usize {
    let mut best = 0;
    for (i, x) in v.iter().enumerate() {
        if *x > v[best] {
            best = i;
        }
    }
    best
}

/// Random rows (with replacement), numeric part drawn as for the methods:
/// the fallback when a method keeps leaving a cluster empty (as `kmodes`).
pub(crate) fn init_random(d: &Data, k: usize, rng: &mut ChaCha8Rng) -> Centers {
    let mut cat = Vec::with_capacity(k * d.q);
    for _ in 0..k {
        let i = rng.random_range(0..d.n);
        cat.extend_from_slice(d.row_cat(i));
    }
    Centers {
        num: random_numeric(d, k, rng),
        cat,
    }
}
