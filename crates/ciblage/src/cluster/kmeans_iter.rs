//! The k-means iterations (Lloyd, and Hamerly's bounds for `Elkan`) over
//! fixed chunks of rows: partial sums are made per chunk in parallel and
//! added in chunk order, so the result does not depend on the threads.

use rayon::prelude::*;

use crate::cluster::kmeans_lloyd::{Lloyd, Tally};
use crate::cluster::kmeans_options::KMeansAlgorithm;
use crate::error::Result;
use crate::interrupt::Interrupt;

pub(crate) use crate::cluster::kmeans_data::{sq_dist, Data, CHUNK};

/// The outcome of one initialisation.
#[derive(Debug, Clone)]
pub(crate) struct Run {
    /// `k × d` centres, row-major.
    pub centers: Vec<f64>,
    /// Cluster of every row.
    pub labels: Vec<u32>,
    /// Weighted sum of squared distances to the assigned centres.
    pub inertia: f64,
    /// Iterations run.
    pub n_iter: usize,
}

/// The centres transposed (`d × k`, feature by feature), so that the
/// distances of a row to every centre are summed side by side.
pub(crate) fn transpose(centers: &[f64], k: usize, d: usize) -> Vec<f64> {
    let mut t = vec![0.0; k * d];
    for j in 0..k {
        for f in 0..d {
            t[f * k + j] = centers[j * d + f];
        }
    }
    t
}

/// Squared distances of `row` to every centre (`centers_t` from
/// [`transpose`]) into `out` (`k` values). Each distance is summed over the
/// features in order, as [`sq_dist`]; the centres are independent sums, so
/// they run side by side.
#[inline]
pub(crate) fn distances(row: &[f64], centers_t: &[f64], out: &mut [f64]) {
    let k = out.len();
    out.fill(0.0);
    for (f, &x) in row.iter().enumerate() {
        for (acc, &c) in out.iter_mut().zip(&centers_t[f * k..(f + 1) * k]) {
            let t = x - c;
            *acc += t * t;
        }
    }
}

/// The nearest centre (the first of equal distances) and its squared
/// distance, from the distances to every centre.
#[inline]
pub(crate) fn argmin(dists: &[f64]) -> (u32, f64) {
    let mut best = (0u32, f64::INFINITY);
    for (j, &dist) in dists.iter().enumerate() {
        if dist < best.1 {
            best = (j as u32, dist);
        }
    }
    best
}

/// scikit-learn's tolerance: `tol` times the mean of the (unweighted)
/// column variances.
pub(crate) fn tolerance(data: &Data<'_>, tol: f64) -> f64 {
    if tol == 0.0 {
        return 0.0;
    }
    let d = data.d;
    let sums = chunked(data, |lo, hi| {
        let mut s = vec![0.0; d];
        for i in lo..hi {
            for (a, v) in s.iter_mut().zip(data.row(i)) {
                *a += v;
            }
        }
        s
    });
    let mean: Vec<f64> = add_up(sums, d).iter().map(|s| s / data.n as f64).collect();
    let devs = chunked(data, |lo, hi| {
        let mut s = vec![0.0; d];
        for i in lo..hi {
            for ((a, v), m) in s.iter_mut().zip(data.row(i)).zip(&mean) {
                *a += (v - m) * (v - m);
            }
        }
        s
    });
    let var_sum: f64 = add_up(devs, d).iter().map(|s| s / data.n as f64).sum();
    var_sum / d as f64 * tol
}

/// `work(lo, hi)` on every chunk of rows, the results in chunk order.
pub(crate) fn chunked<T: Send>(data: &Data<'_>, work: impl Fn(usize, usize) -> T + Sync) -> Vec<T> {
    let n = data.n;
    (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| work(c * CHUNK, ((c + 1) * CHUNK).min(n)))
        .collect()
}

/// Element-wise sum of equal-length vectors, in their order.
pub(crate) fn add_up(parts: Vec<Vec<f64>>, len: usize) -> Vec<f64> {
    let mut total = vec![0.0; len];
    for p in parts {
        for (t, v) in total.iter_mut().zip(p) {
            *t += v;
        }
    }
    total
}

/// Weighted inertia of `labels` against `centers`.
pub(crate) fn inertia(data: &Data<'_>, centers: &[f64], labels: &[u32]) -> f64 {
    let d = data.d;
    chunked(data, |lo, hi| {
        (lo..hi)
            .map(|i| {
                let c = &centers[labels[i] as usize * d..(labels[i] as usize + 1) * d];
                data.weight(i) * sq_dist(data.row(i), c)
            })
            .sum::<f64>()
    })
    .into_iter()
    .sum()
}

/// Per-chunk output of an assignment pass: weighted sums of the rows per
/// cluster (`k × d`), weights per cluster, rows whose label changed.
struct Partial {
    sums: Vec<f64>,
    weights: Vec<f64>,
    changed: usize,
}

/// Hamerly's bounds: per row an upper bound of the distance to its centre
/// and a lower bound of the distance to every other centre.
struct Bounds {
    upper: Vec<f64>,
    lower: Vec<f64>,
    /// Moves of the centres at the last update (applied to the bounds at
    /// the start of the next pass).
    shift: Vec<f64>,
    /// Half the distance of each centre to its nearest other centre.
    half_gap: Vec<f64>,
}

/// One bounded assignment pass (Hamerly's): labels of every row against
/// `centers`, computing only the distances the bounds do not rule out,
/// with the sums of the next centres when `sums` is set.
fn assign(
    data: &Data<'_>,
    centers: &[f64],
    k: usize,
    labels: &mut [u32],
    b: &mut Bounds,
    sums: bool,
) -> Partial {
    let d = data.d;
    let width = if sums { k * d } else { 0 };
    let centers_t = transpose(centers, k, d);
    let parts: Vec<Partial> = {
        let (max1, arg1, max2) = top_two(&b.shift);
        let shift = &b.shift;
        let half_gap = &b.half_gap;
        labels
            .par_chunks_mut(CHUNK)
            .zip(b.upper.par_chunks_mut(CHUNK))
            .zip(b.lower.par_chunks_mut(CHUNK))
            .enumerate()
            .map(|(c, ((ls, us), lows))| {
                let mut p = Partial {
                    sums: vec![0.0; width],
                    weights: vec![0.0; k],
                    changed: 0,
                };
                let mut buf = vec![0.0; k];
                for (o, ((l, u), low)) in ls.iter_mut().zip(us).zip(lows).enumerate() {
                    let i = c * CHUNK + o;
                    let row = data.row(i);
                    let mut j = *l;
                    if j == u32::MAX {
                        let (a, du, dl) = two_nearest(row, &centers_t, &mut buf);
                        (j, *u, *low) = (a, du, dl);
                    } else {
                        let a = j as usize;
                        *u += shift[a];
                        *low -= if a == arg1 { max2 } else { max1 };
                        let m = half_gap[a].max(*low);
                        if *u > m {
                            *u = sq_dist(row, &centers[a * d..(a + 1) * d]).sqrt();
                            if *u > m {
                                let (a, du, dl) = two_nearest(row, &centers_t, &mut buf);
                                (j, *u, *low) = (a, du, dl);
                            }
                        }
                    }
                    p.record(sums, l, j, row, data.weight(i), d);
                }
                p
            })
            .collect()
    };
    let mut total = Partial {
        sums: vec![0.0; width],
        weights: vec![0.0; k],
        changed: 0,
    };
    for p in parts {
        total.changed += p.changed;
        for (t, v) in total.sums.iter_mut().zip(p.sums) {
            *t += v;
        }
        for (t, v) in total.weights.iter_mut().zip(p.weights) {
            *t += v;
        }
    }
    total
}

impl Partial {
    /// Sets a row's label to `j`, counting a change and adding the row.
    #[inline]
    fn record(&mut self, sums: bool, l: &mut u32, j: u32, row: &[f64], w: f64, d: usize) {
        if *l != j {
            self.changed += 1;
            *l = j;
        }
        if sums {
            let j = j as usize;
            self.weights[j] += w;
            for (s, v) in self.sums[j * d..(j + 1) * d].iter_mut().zip(row) {
                *s += w * v;
            }
        }
    }
}

/// The nearest centre, its distance and the distance to the second nearest.
fn two_nearest(row: &[f64], centers_t: &[f64], buf: &mut [f64]) -> (u32, f64, f64) {
    distances(row, centers_t, buf);
    let (mut a, mut d1, mut d2) = (0u32, f64::INFINITY, f64::INFINITY);
    for (j, &dist) in buf.iter().enumerate() {
        if dist < d1 {
            d2 = d1;
            d1 = dist;
            a = j as u32;
        } else if dist < d2 {
            d2 = dist;
        }
    }
    (a, d1.sqrt(), d2.sqrt())
}

/// The largest value, its index and the second largest.
fn top_two(v: &[f64]) -> (f64, usize, f64) {
    let (mut m1, mut a, mut m2) = (0.0f64, usize::MAX, 0.0f64);
    for (j, &x) in v.iter().enumerate() {
        if x > m1 {
            m2 = m1;
            m1 = x;
            a = j;
        } else if x > m2 {
            m2 = x;
        }
    }
    (m1, a, m2)
}

/// Half the distance of every centre to its nearest other centre.
fn half_gaps(centers: &[f64], k: usize, d: usize) -> Vec<f64> {
    (0..k)
        .map(|a| {
            (0..k)
                .filter(|&b| b != a)
                .map(|b| sq_dist(&centers[a * d..(a + 1) * d], &centers[b * d..(b + 1) * d]))
                .fold(f64::INFINITY, f64::min)
                .sqrt()
                / 2.0
        })
        .collect()
}

/// The new centres from the sums of an assignment pass: empty clusters
/// take the rows farthest from their centres (scikit-learn's rule), then
/// each sum is divided by its weight.
fn new_centers(data: &Data<'_>, old: &[f64], labels: &[u32], mut part: Partial) -> Vec<f64> {
    let d = data.d;
    let empty: Vec<usize> = (0..part.weights.len())
        .filter(|&j| part.weights[j] == 0.0)
        .collect();
    if !empty.is_empty() {
        let dist: Vec<f64> = chunked(data, |lo, hi| {
            (lo..hi)
                .map(|i| {
                    let a = labels[i] as usize;
                    sq_dist(data.row(i), &old[a * d..(a + 1) * d])
                })
                .collect::<Vec<f64>>()
        })
        .concat();
        let mut order: Vec<usize> = (0..data.n).collect();
        order.sort_by(|&a, &b| dist[b].total_cmp(&dist[a]).then(a.cmp(&b)));
        for (&new, &far) in empty.iter().zip(&order) {
            let w = data.weight(far);
            let from = labels[far] as usize;
            for (f, x) in data.row(far).iter().enumerate() {
                part.sums[from * d + f] -= x * w;
                part.sums[new * d + f] = x * w;
            }
            part.weights[new] = w;
            part.weights[from] -= w;
        }
    }
    let mut centers = part.sums;
    for (j, &w) in part.weights.iter().enumerate() {
        if w > 0.0 {
            let alpha = 1.0 / w;
            for v in &mut centers[j * d..(j + 1) * d] {
                *v *= alpha;
            }
        } else if !empty.contains(&j) || w < 0.0 {
            centers[j * d..(j + 1) * d].copy_from_slice(&old[j * d..(j + 1) * d]);
        }
    }
    centers
}

/// How the rows are assigned: Lloyd's full passes or Hamerly's bounds.
enum Passes {
    Lloyd(Lloyd),
    Hamerly(Bounds),
}

impl Passes {
    /// One assignment pass against `centers`, with the sums of the next
    /// centres.
    fn assign(&mut self, data: &Data<'_>, centers: &[f64], labels: &mut [u32]) -> Partial {
        let k = centers.len() / data.d;
        match self {
            Self::Lloyd(l) => {
                let s = l.pass(data, centers, labels, Tally::Sums);
                Partial {
                    sums: s.sums,
                    weights: s.weights,
                    changed: s.changed,
                }
            }
            Self::Hamerly(b) => {
                b.half_gap = half_gaps(centers, k, data.d);
                assign(data, centers, k, labels, b, true)
            }
        }
    }

    /// The last assignment, to the final `centers`, and the inertia of its
    /// labels (Lloyd's pass adds it up as it labels the rows: one read of
    /// the data instead of two).
    fn finish(&mut self, data: &Data<'_>, centers: &[f64], labels: &mut [u32]) -> f64 {
        let k = centers.len() / data.d;
        match self {
            Self::Lloyd(l) => l.pass(data, centers, labels, Tally::Inertia).inertia,
            Self::Hamerly(b) => {
                b.half_gap = half_gaps(centers, k, data.d);
                assign(data, centers, k, labels, b, false);
                inertia(data, centers, labels)
            }
        }
    }
}

/// One k-means run from `centers` (`k × d`): scikit-learn's loop (assign,
/// move the centres; stop when no label changes, or when the squared moves
/// add up to at most `tol`; a last assignment to the final centres if the
/// labels had not settled).
pub(crate) fn fit_once(
    data: &Data<'_>,
    mut centers: Vec<f64>,
    max_iter: usize,
    tol: f64,
    algorithm: KMeansAlgorithm,
    interrupt: &Interrupt,
) -> Result<Run> {
    let d = data.d;
    let k = centers.len() / d;
    let mut labels = vec![u32::MAX; data.n];
    let mut passes = match algorithm {
        KMeansAlgorithm::Elkan if k > 1 => Passes::Hamerly(Bounds {
            upper: vec![0.0; data.n],
            lower: vec![0.0; data.n],
            shift: vec![0.0; k],
            half_gap: vec![0.0; k],
        }),
        _ => Passes::Lloyd(Lloyd::new(data, k)),
    };
    interrupt.add_total(max_iter as u64);
    let mut strict = false;
    let mut n_iter = 0;
    for it in 0..max_iter {
        interrupt.check()?;
        n_iter = it + 1;
        let part = passes.assign(data, &centers, &mut labels);
        let changed = part.changed;
        let next = new_centers(data, &centers, &labels, part);
        let shift: Vec<f64> = (0..k)
            .map(|j| sq_dist(&centers[j * d..(j + 1) * d], &next[j * d..(j + 1) * d]).sqrt())
            .collect();
        centers = next;
        if let Passes::Hamerly(b) = &mut passes {
            b.shift.clone_from(&shift);
        }
        interrupt.advance(1);
        if changed == 0 {
            strict = true;
            break;
        }
        if shift.iter().map(|s| s * s).sum::<f64>() <= tol {
            break;
        }
    }
    let inertia = if strict {
        inertia(data, &centers, &labels)
    } else {
        passes.finish(data, &centers, &mut labels)
    };
    Ok(Run {
        centers,
        labels,
        inertia,
        n_iter,
    })
}

/// Labels and squared distances of every row against `centers`.
pub(crate) fn labels_of(data: &Data<'_>, centers: &[f64]) -> (Vec<u32>, Vec<f64>) {
    let d = data.d;
    let k = centers.len() / d;
    let centers_t = transpose(centers, k, d);
    let parts = chunked(data, |lo, hi| {
        let mut buf = vec![0.0; k];
        (lo..hi)
            .map(|i| {
                distances(data.row(i), &centers_t, &mut buf);
                argmin(&buf)
            })
            .collect::<Vec<_>>()
    });
    parts.into_iter().flatten().unzip()
}
