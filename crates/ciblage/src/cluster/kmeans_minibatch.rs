//! The mini-batch mode (scikit-learn's `MiniBatchKMeans`, without the
//! random reassignment of small clusters): each step draws a batch of rows
//! with replacement and moves each centre to the weighted running mean of
//! the rows it received so far.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::cluster::kmeans_init::{initial_centers, InitKind};
use crate::cluster::kmeans_iter::{
    argmin, distances, inertia, labels_of, sq_dist, transpose, Data, Run, CHUNK,
};
use crate::cluster::kmeans_options::MiniBatch;
use crate::error::Result;
use crate::interrupt::Interrupt;

/// Rows of a batch per parallel task.
const BATCH_CHUNK: usize = 1024;

/// The rows of `data` listed in `rows`, as data of their own.
fn subset(data: &Data<'_>, rows: &[usize]) -> (Vec<f64>, Option<Vec<f64>>) {
    let mut x = Vec::with_capacity(rows.len() * data.d);
    for &i in rows {
        x.extend_from_slice(data.row(i));
    }
    let w = data.w.map(|w| rows.iter().map(|&i| w[i]).collect());
    (x, w)
}

/// Fits in mini-batch mode: `n_init` initialisations on a drawn subset,
/// the one of least inertia on it kept, then the mini-batch steps, then the
/// labels and inertia of every row. `(k, max_iter)`: clusters and most
/// passes over the data.
#[allow(clippy::too_many_arguments)]
pub(crate) fn fit_mini_batch(
    data: &Data<'_>,
    (k, max_iter): (usize, usize),
    m: &MiniBatch,
    kind: &InitKind,
    n_init: usize,
    tol: f64,
    rng: &mut ChaCha8Rng,
    interrupt: &Interrupt,
) -> Result<Run> {
    let (n, d) = (data.n, data.d);
    let batch = m.batch_size.min(n);
    let init_size = m
        .init_size
        .unwrap_or_else(|| (3 * batch).max(3 * k))
        .max(k)
        .min(n);
    let mut best: Option<(f64, Vec<f64>)> = None;
    for _ in 0..n_init {
        interrupt.check()?;
        let rows: Vec<usize> = (0..init_size).map(|_| rng.random_range(0..n)).collect();
        let (x, w) = subset(data, &rows);
        let sub = Data {
            x: &x,
            n: init_size,
            d,
            w: w.as_deref(),
        };
        let centers = initial_centers(&sub, k, kind, rng, interrupt)?;
        let (labels, _) = labels_of(&sub, &centers);
        let score = inertia(&sub, &centers, &labels);
        if best.as_ref().is_none_or(|b| score < b.0) {
            best = Some((score, centers));
        }
    }
    let mut centers = best.map(|b| b.1).unwrap_or_default();
    let mut counts = vec![0.0; k];
    let steps = (max_iter * n) / batch;
    let alpha = (batch as f64 * 2.0 / (n as f64 + 1.0)).min(1.0);
    let (mut ewa, mut ewa_min, mut no_improvement) = (f64::NAN, f64::INFINITY, 0usize);
    let mut done = 0;
    interrupt.add_total(steps as u64);
    for step in 0..steps {
        if step % 64 == 0 {
            interrupt.check()?;
        }
        done = step + 1;
        let rows: Vec<usize> = (0..batch).map(|_| rng.random_range(0..n)).collect();
        let centers_t = transpose(&centers, k, d);
        // Per task: labels' sums, weights and inertia, added in task order.
        let parts: Vec<(Vec<f64>, Vec<f64>, f64)> = rows
            .par_chunks(BATCH_CHUNK)
            .map(|chunk| {
                let mut buf = vec![0.0; k];
                let mut sums = vec![0.0; k * d];
                let mut ws = vec![0.0; k];
                let mut inert = 0.0;
                for &i in chunk {
                    let row = data.row(i);
                    distances(row, &centers_t, &mut buf);
                    let (j, dist) = argmin(&buf);
                    let w = data.weight(i);
                    let j = j as usize;
                    inert += w * dist;
                    ws[j] += w;
                    for (s, v) in sums[j * d..(j + 1) * d].iter_mut().zip(row) {
                        *s += w * v;
                    }
                }
                (sums, ws, inert)
            })
            .collect();
        let mut sums = vec![0.0; k * d];
        let mut ws = vec![0.0; k];
        let mut batch_inertia = 0.0;
        for (s, w, i) in parts {
            sums.iter_mut().zip(s).for_each(|(a, b)| *a += b);
            ws.iter_mut().zip(w).for_each(|(a, b)| *a += b);
            batch_inertia += i;
        }
        let mut moved = 0.0;
        for j in 0..k {
            if ws[j] > 0.0 {
                let total = counts[j] + ws[j];
                let old: Vec<f64> = centers[j * d..(j + 1) * d].to_vec();
                for (f, c) in centers[j * d..(j + 1) * d].iter_mut().enumerate() {
                    *c = (*c * counts[j] + sums[j * d + f]) / total;
                }
                counts[j] = total;
                moved += sq_dist(&old, &centers[j * d..(j + 1) * d]);
            }
        }
        interrupt.advance(1);
        // Convergence, as scikit-learn: the first step is ignored.
        let batch_inertia = batch_inertia / batch as f64;
        if step == 0 {
            ewa = batch_inertia;
            continue;
        }
        ewa = ewa * (1.0 - alpha) + batch_inertia * alpha;
        if tol > 0.0 && moved <= tol {
            break;
        }
        if ewa < ewa_min {
            no_improvement = 0;
            ewa_min = ewa;
        } else {
            no_improvement += 1;
        }
        if m.max_no_improvement
            .is_some_and(|limit| no_improvement >= limit)
        {
            break;
        }
    }
    let (labels, dists) = labels_of(data, &centers);
    let inertia: f64 = dists
        .par_chunks(CHUNK)
        .enumerate()
        .map(|(c, ch)| {
            ch.iter()
                .enumerate()
                .map(|(o, v)| v * data.weight(c * CHUNK + o))
                .sum::<f64>()
        })
        .collect::<Vec<f64>>()
        .into_iter()
        .sum();
    let n_iter = (done * batch).div_ceil(n).max(1);
    Ok(Run {
        centers,
        labels,
        inertia,
        n_iter,
    })
}
