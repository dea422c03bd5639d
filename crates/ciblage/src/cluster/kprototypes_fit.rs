//! The k-prototypes runs: input checks, initialisation, Huang's passes with
//! immediate updates, and the choice of the best run.

use ndarray::{Array2, ArrayView2};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::cluster::kprototypes::{KPrototypesInit, KPrototypesValidParams};
use crate::cluster::kprototypes_data::{Centers, Data, UNSEEN};
use crate::cluster::kprototypes_init::{init_centers, init_random};
use crate::cluster::kprototypes_model::KPrototypesModel;
use crate::error::{CiblageError, Result};

/// Rows per parallel task when assigning rows to prototypes.
const CHUNK: usize = 4096;
/// Draws of an initialisation method before random rows are used instead
/// (as `kmodes`).
const MAX_INIT_TRIES: usize = 20;
/// Draws before the fit gives up.
const RAISE_INIT_TRIES: usize = 100;
/// The cost of row `i` against prototype `c`.
fn cost(d: &Data, c: &Centers, i: usize, k: usize) -> f64 {
    let x = d.row_num(i);
    let m = &c.num[k * d.p..(k + 1) * d.p];
    let mut num = 0.0;
    for (a, b) in m.iter().zip(x) {
        num += (a - b) * (a - b);
    }
    let mut mismatches = 0u32;
    for (a, b) in c.cat[k * d.q..(k + 1) * d.q].iter().zip(d.row_cat(i)) {
        mismatches += u32::from(a != b);
    }
    num + d.gamma * f64::from(mismatches)
}

/// The nearest prototype of row `i` (the first among equal costs) and its cost.
fn nearest(d: &Data, c: &Centers, i: usize, k: usize) -> (usize, f64) {
    let mut best = (0, cost(d, c, i, 0));
    for kk in 1..k {
        let v = cost(d, c, i, kk);
        if v < best.1 {
            best = (kk, v);
        }
    }
    best
}

/// Labels of every row and the weighted cost, summed in fixed chunk order.
fn labels_cost(d: &Data, c: &Centers, k: usize) -> (Vec<u32>, f64) {
    let parts: Vec<(Vec<u32>, f64)> = (0..d.n.div_ceil(CHUNK))
        .into_par_iter()
        .map(|t| {
            let rows = t * CHUNK..((t + 1) * CHUNK).min(d.n);
            let mut labels = Vec::with_capacity(rows.len());
            let mut total = 0.0;
            for i in rows {
                let (l, v) = nearest(d, c, i, k);
                labels.push(l as u32);
                total += v * d.weights[i];
            }
            (labels, total)
        })
        .collect();
    let mut labels = Vec::with_capacity(d.n);
    let mut total = 0.0;
    for (l, v) in parts {
        labels.extend(l);
        total += v;
    }
    (labels, total)
}

/// One finished run.
struct Run {
    centers: Centers,
    labels: Vec<u32>,
    cost: f64,
    n_iter: usize,
}

/// Runs `n_init` fits in parallel and keeps the cheapest (the first among
/// equal costs).
pub(crate) fn fit_runs(d: &Data, params: &KPrototypesValidParams) -> Result<KPrototypesModel> {
    let mut master = ChaCha8Rng::seed_from_u64(params.seed);
    let seeds: Vec<u64> = (0..params.n_init).map(|_| master.random()).collect();
    // Progress: one unit per iteration a run may make (a run that stops
    // early counts the rest as done).
    params
        .interrupt
        .add_total((params.n_init as u64).saturating_mul(params.max_iter as u64));
    let runs: Vec<Run> = seeds
        .par_iter()
        .map(|&s| run(d, params, s))
        .collect::<Result<_>>()?;
    let mut best = 0;
    for (r, run) in runs.iter().enumerate() {
        if run.cost < runs[best].cost {
            best = r;
        }
    }
    let run = runs.into_iter().nth(best).unwrap_or_else(|| unreachable!());
    let k = params.n_clusters;
    let cat = Array2::from_shape_fn((k, d.q), |(c, j)| match run.centers.cat[c * d.q + j] {
        UNSEEN => UNSEEN,
        v => d.codes[j][v as usize],
    });
    let num = Array2::from_shape_vec((k, d.p), run.centers.num).unwrap_or_else(|_| unreachable!());
    Ok(KPrototypesModel::new(
        num, cat, d.gamma, run.labels, run.cost, run.n_iter,
    ))
}

/// Running sums of a run: per cluster, rows, weight, weighted numeric sums
/// and weighted category counts.
struct Sums {
    rows: Vec<usize>,
    weight: Vec<f64>,
    num: Vec<f64>,
    /// Per cluster and feature, the counts of each level (offsets below).
    counts: Vec<f64>,
    /// Start of each feature's levels within a cluster's counts.
    offset: Vec<usize>,
    width: usize,
}

impl Sums {
    fn new(d: &Data, k: usize) -> Self {
        let mut offset = Vec::with_capacity(d.q);
        let mut width = 0;
        for c in &d.codes {
            offset.push(width);
            width += c.len();
        }
        Self {
            rows: vec![0; k],
            weight: vec![0.0; k],
            num: vec![0.0; k * d.p],
            counts: vec![0.0; k * width],
            offset,
            width,
        }
    }

    fn count(&self, c: usize, j: usize, level: u32) -> f64 {
        if level == UNSEEN {
            0.0
        } else {
            self.counts[c * self.width + self.offset[j] + level as usize]
        }
    }

    /// The most frequent level of feature `j` in cluster `c` (smallest code
    /// among equal counts).
    fn mode(&self, d: &Data, c: usize, j: usize) -> u32 {
        let start = c * self.width + self.offset[j];
        let counts = &self.counts[start..start + d.codes[j].len()];
        let mut best = 0;
        for (l, v) in counts.iter().enumerate() {
            if *v > counts[best] {
                best = l;
            }
        }
        best as u32
    }

    fn mean(&self, d: &Data, centers: &mut Centers, c: usize) {
        for j in 0..d.p {
            centers.num[c * d.p + j] = if self.weight[c] != 0.0 {
                self.num[c * d.p + j] / self.weight[c]
            } else {
                0.0
            };
        }
    }

    /// Moves row `i` from cluster `from` to `to`, updating the modes of both.
    fn move_row(&mut self, d: &Data, centers: &mut Centers, i: usize, to: usize, from: usize) {
        let w = d.weights[i];
        for (j, x) in d.row_num(i).iter().enumerate() {
            self.num[to * d.p + j] += x * w;
            self.num[from * d.p + j] -= x * w;
        }
        self.rows[to] += 1;
        self.rows[from] -= 1;
        self.weight[to] += w;
        self.weight[from] -= w;
        for (j, &level) in d.row_cat(i).iter().enumerate() {
            let base = self.offset[j] + level as usize;
            self.counts[to * self.width + base] += w;
            let mode_to = centers.cat[to * d.q + j];
            if self.count(to, j, mode_to) < self.counts[to * self.width + base] {
                centers.cat[to * d.q + j] = level;
            }
            self.counts[from * self.width + base] -= w;
            if centers.cat[from * d.q + j] == level {
                centers.cat[from * d.q + j] = self.mode(d, from, j);
            }
        }
        self.mean(d, centers, to);
        self.mean(d, centers, from);
    }
}

/// One run from the random stream `seed`.
fn run(d: &Data, params: &KPrototypesValidParams, seed: u64) -> Result<Run> {
    let k = params.n_clusters;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut tries = 0;
    let (mut centers, mut member) = loop {
        tries += 1;
        params.interrupt.check()?;
        let centers = if tries > MAX_INIT_TRIES {
            init_random(d, k, &mut rng)
        } else {
            init_centers(d, &params.init, k, &mut rng)
        };
        let (labels, _) = labels_cost(d, &centers, k);
        let mut rows = vec![0usize; k];
        for &l in &labels {
            rows[l as usize] += 1;
        }
        if let Some(empty) = rows.iter().position(|&r| r == 0) {
            if matches!(params.init, KPrototypesInit::Given { .. }) {
                return Err(CiblageError::InvalidParameter {
                    name: "init",
                    reason: format!("the given prototype {empty} is the nearest of no row"),
                });
            }
            if tries >= RAISE_INIT_TRIES {
                return Err(CiblageError::FitFailed {
                    model: "k-prototypes",
                    reason: format!(
                        "every one of {tries} initialisations left a cluster empty: give the initial prototypes"
                    ),
                });
            }
            continue;
        }
        break (centers, labels);
    };
    let mut sums = Sums::new(d, k);
    for (i, &m) in member.iter().enumerate() {
        let (c, w) = (m as usize, d.weights[i]);
        sums.rows[c] += 1;
        sums.weight[c] += w;
        for (j, x) in d.row_num(i).iter().enumerate() {
            sums.num[c * d.p + j] += x * w;
        }
        for (j, &level) in d.row_cat(i).iter().enumerate() {
            sums.counts[c * sums.width + sums.offset[j] + level as usize] += w;
        }
    }
    for c in 0..k {
        sums.mean(d, &mut centers, c);
        for j in 0..d.q {
            centers.cat[c * d.q + j] = sums.mode(d, c, j);
        }
    }
    let (mut labels, mut cost) = labels_cost(d, &centers, k);
    let mut n_iter = 0;
    while n_iter < params.max_iter {
        params.interrupt.check()?;
        n_iter += 1;
        let mut moves = 0usize;
        for i in 0..d.n {
            if i % CHUNK == 0 {
                params.interrupt.check()?;
            }
            let (to, _) = nearest(d, &centers, i, k);
            let from = member[i] as usize;
            if to == from {
                continue;
            }
            moves += 1;
            sums.move_row(d, &mut centers, i, to, from);
            member[i] = to as u32;
            if sums.rows[from] == 0 {
                // A random row of the largest cluster (the first of equal size).
                let largest =
                    (0..k).fold(0, |b, c| if sums.rows[c] > sums.rows[b] { c } else { b });
                let pick = rng.random_range(0..sums.rows[largest]);
                let r = (0..d.n)
                    .filter(|&r| member[r] as usize == largest)
                    .nth(pick)
                    .unwrap_or_else(|| unreachable!());
                sums.move_row(d, &mut centers, r, from, largest);
                member[r] = from as u32;
            }
        }
        let (new_labels, new_cost) = labels_cost(d, &centers, k);
        labels = new_labels;
        let converged = moves == 0 || new_cost >= cost;
        cost = new_cost;
        params.interrupt.advance(1);
        if converged {
            break;
        }
    }
    params.interrupt.advance((params.max_iter - n_iter) as u64);
    Ok(Run {
        centers,
        labels,
        cost,
        n_iter,
    })
}

impl KPrototypesValidParams {
    /// Clusters the rows: `numeric` (rows × numeric features, finite) and
    /// `categorical` (rows × categorical features, category codes) describe
    /// the same rows; `weights` (one per row, finite, >= 0) weigh the means,
    /// the mode counts and the cost.
    ///
    /// # Errors
    /// [`CiblageError::EmptyInput`] without rows,
    /// [`CiblageError::LengthMismatch`] for inputs of different lengths,
    /// [`CiblageError::NonFinite`]/[`CiblageError::ValueOutOfRange`] for a
    /// bad value, [`CiblageError::InvalidParameter`] when there is no
    /// categorical or no numeric feature (use k-modes or k-means), for more
    /// clusters than distinct rows of positive weight, or given prototypes
    /// of the wrong width; [`CiblageError::Interrupted`].
    pub fn fit(
        &self,
        numeric: ArrayView2<'_, f64>,
        categorical: ArrayView2<'_, u32>,
        weights: Option<&[f64]>,
    ) -> Result<KPrototypesModel> {
        if categorical.ncols() == 0 {
            return Err(CiblageError::InvalidParameter {
                name: "categorical",
                reason: "no categorical feature: use k-means".into(),
            });
        }
        if numeric.ncols() == 0 {
            return Err(CiblageError::InvalidParameter {
                name: "categorical",
                reason: "every feature is categorical: use k-modes".into(),
            });
        }
        self.fit_any(numeric, categorical, weights)
    }

    /// The fit with any number of numeric features (none: k-modes).
    pub(crate) fn fit_any(
        &self,
        numeric: ArrayView2<'_, f64>,
        categorical: ArrayView2<'_, u32>,
        weights: Option<&[f64]>,
    ) -> Result<KPrototypesModel> {
        let data = Data::new(numeric, categorical, weights, self)?;
        fit_runs(&data, self)
    }
}
