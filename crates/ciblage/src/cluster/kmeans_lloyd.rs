//! Lloyd's assignment pass: every row to its nearest centre, fused with the
//! sums of the next centres, in one read of the data.
//!
//! As scikit-learn's Lloyd, the squared distance of row `x` to centre `c`
//! is ranked as `‖c‖² − 2 x·c` (the row's own `‖x‖²` does not change which
//! centre is nearest), with `‖c‖²` computed once per pass. The centres are
//! laid out by blocks of [`LANES`] (feature by feature inside a block), so
//! that the distances to a block of centres are summed side by side in
//! registers; `k` is padded to a whole number of blocks with centres at an
//! infinite distance. Rows go by fixed chunks of [`CHUNK`] rows, each
//! chunk's sums and weights in its own slot of a buffer kept across the
//! passes (nothing is allocated per pass); the slots are added in chunk
//! order, so the result does not depend on the threads.

use rayon::prelude::*;

use crate::cluster::kmeans_data::{Data, CHUNK};

/// Centres per block (summed side by side): the width of a vector
/// register (two `f64` in the baseline x86-64 build, four with AVX).
const LANES: usize = if cfg!(target_feature = "avx") { 4 } else { 2 };

/// Buffers of Lloyd's passes for `k` centres of `d` features.
#[derive(Debug)]
pub(crate) struct Lloyd {
    k: usize,
    d: usize,
    /// `−2 c` by blocks: entry `(b·d + f)·LANES + l` is `−2 c[b·LANES + l][f]`.
    m2c: Vec<f64>,
    /// `‖c‖²` of every padded centre (`+∞` for the padding).
    cnorm: Vec<f64>,
    /// Per chunk: `k × d` weighted sums of its rows by cluster, then `k`
    /// weights.
    slots: Vec<f64>,
}

/// Sums of an assignment pass (`k × d`), weights per cluster, rows whose
/// label changed.
#[derive(Debug)]
pub(crate) struct Sums {
    /// Weighted sums of the rows of every cluster, `k × d`.
    pub sums: Vec<f64>,
    /// Weight of every cluster.
    pub weights: Vec<f64>,
    /// Rows whose label changed.
    pub changed: usize,
}

impl Lloyd {
    /// Buffers for `k` centres on `data`.
    pub fn new(data: &Data<'_>, k: usize) -> Self {
        let d = data.d;
        let blocks = k.div_ceil(LANES);
        Self {
            k,
            d,
            m2c: vec![0.0; blocks * LANES * d],
            cnorm: vec![f64::INFINITY; blocks * LANES],
            slots: vec![0.0; data.n.div_ceil(CHUNK) * (k * d + k)],
        }
    }

    /// Loads the centres (`k × d`, row-major) for the next pass.
    fn load(&mut self, centers: &[f64]) {
        let d = self.d;
        for (j, c) in centers.chunks_exact(d).enumerate() {
            let (b, l) = (j / LANES, j % LANES);
            let mut norm = 0.0;
            for (f, &v) in c.iter().enumerate() {
                self.m2c[(b * d + f) * LANES + l] = -2.0 * v;
                norm += v * v;
            }
            self.cnorm[j] = norm;
        }
    }

    /// One pass: sets `labels` to the nearest of `centers` (the first of
    /// equal distances) and, when `sums` is set, returns the weighted sums
    /// of the rows of every cluster (else zeros).
    pub fn pass(
        &mut self,
        data: &Data<'_>,
        centers: &[f64],
        labels: &mut [u32],
        sums: bool,
    ) -> Sums {
        self.load(centers);
        let (k, d) = (self.k, self.d);
        let width = k * d + k;
        let (m2c, cnorm) = (&self.m2c[..], &self.cnorm[..]);
        let changed: usize = labels
            .par_chunks_mut(CHUNK)
            .zip(self.slots.par_chunks_mut(width))
            .enumerate()
            .map(|(c, (ls, slot))| {
                let lo = c * CHUNK;
                let rows = &data.x[lo * d..(lo + ls.len()) * d];
                let w = data.w.map(|w| &w[lo..lo + ls.len()]);
                slot.fill(0.0);
                let chunk = Chunk {
                    m2c,
                    cnorm,
                    k,
                    sums,
                };
                chunk.run(rows, w, d, ls, slot)
            })
            .sum();
        let mut out = Sums {
            sums: vec![0.0; k * d],
            weights: vec![0.0; k],
            changed,
        };
        if sums {
            for slot in self.slots.chunks_exact(width) {
                let (s, w) = slot.split_at(k * d);
                for (t, v) in out.sums.iter_mut().zip(s) {
                    *t += v;
                }
                for (t, v) in out.weights.iter_mut().zip(w) {
                    *t += v;
                }
            }
        }
        out
    }
}

/// The centres of a pass, as seen by one chunk.
struct Chunk<'a> {
    m2c: &'a [f64],
    cnorm: &'a [f64],
    k: usize,
    sums: bool,
}

impl Chunk<'_> {
    /// Assigns the rows of a chunk (fixed-width code for up to 16
    /// features), adding them to `slot`; returns the labels changed.
    fn run(
        &self,
        rows: &[f64],
        w: Option<&[f64]>,
        d: usize,
        ls: &mut [u32],
        slot: &mut [f64],
    ) -> usize {
        macro_rules! fixed {
            ($($n:literal)*) => {
                match d {
                    $($n => self.rows::<$n>(rows, w, ls, slot),)*
                    _ => self.rows_any(rows, w, d, ls, slot),
                }
            };
        }
        fixed!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16)
    }

    /// [`Chunk::run`] for `D` features.
    #[inline(always)]
    fn rows<const D: usize>(
        &self,
        rows: &[f64],
        w: Option<&[f64]>,
        ls: &mut [u32],
        slot: &mut [f64],
    ) -> usize {
        let mut changed = 0;
        for (i, (row, l)) in rows.chunks_exact(D).zip(ls.iter_mut()).enumerate() {
            let mut r = [0.0; D];
            r.copy_from_slice(row);
            let mut best = Best::new();
            for (b, (m, cn)) in self
                .m2c
                .chunks_exact(D * LANES)
                .zip(self.cnorm.chunks_exact(LANES))
                .enumerate()
            {
                let mut a = [0.0; LANES];
                a.copy_from_slice(cn);
                for (f, &x) in r.iter().enumerate() {
                    for (acc, &c) in a.iter_mut().zip(&m[f * LANES..(f + 1) * LANES]) {
                        *acc += x * c;
                    }
                }
                best.update(&a, b);
            }
            let j = best.nearest(self.k);
            changed += self.record(l, j, &r, w.map_or(1.0, |w| w[i]), D, slot);
        }
        changed
    }

    /// [`Chunk::run`] for any number of features.
    fn rows_any(
        &self,
        rows: &[f64],
        w: Option<&[f64]>,
        d: usize,
        ls: &mut [u32],
        slot: &mut [f64],
    ) -> usize {
        let mut changed = 0;
        for (i, (row, l)) in rows.chunks_exact(d).zip(ls.iter_mut()).enumerate() {
            let mut best = Best::new();
            for (b, (m, cn)) in self
                .m2c
                .chunks_exact(d * LANES)
                .zip(self.cnorm.chunks_exact(LANES))
                .enumerate()
            {
                let mut a = [0.0; LANES];
                a.copy_from_slice(cn);
                for (f, &x) in row.iter().enumerate() {
                    for (acc, &c) in a.iter_mut().zip(&m[f * LANES..(f + 1) * LANES]) {
                        *acc += x * c;
                    }
                }
                best.update(&a, b);
            }
            let j = best.nearest(self.k);
            changed += self.record(l, j, row, w.map_or(1.0, |w| w[i]), d, slot);
        }
        changed
    }

    /// Sets a row's label to `j` (1 if it changed) and adds the row to
    /// cluster `j`'s sums.
    #[inline(always)]
    fn record(
        &self,
        l: &mut u32,
        j: usize,
        row: &[f64],
        w: f64,
        d: usize,
        slot: &mut [f64],
    ) -> usize {
        let changed = usize::from(*l != j as u32);
        *l = j as u32;
        if self.sums {
            let k = self.k;
            for (s, v) in slot[j * d..(j + 1) * d].iter_mut().zip(row) {
                *s += w * v;
            }
            slot[k * d + j] += w;
        }
        changed
    }
}

/// The nearest centre seen so far in each lane: per lane the least
/// distance and its block (selects, not branches: which centre is nearest
/// is not predictable).
struct Best {
    dist: [f64; LANES],
    block: [usize; LANES],
}

impl Best {
    #[inline(always)]
    fn new() -> Self {
        Self {
            dist: [f64::INFINITY; LANES],
            block: [0; LANES],
        }
    }

    /// Takes in the distances `a` to the centres of block `b` (blocks in
    /// increasing order, so a lane keeps its first least distance).
    #[inline(always)]
    fn update(&mut self, a: &[f64; LANES], b: usize) {
        for ((v, i), &x) in self.dist.iter_mut().zip(&mut self.block).zip(a) {
            let nearer = x < *v;
            *v = if nearer { x } else { *v };
            *i = if nearer { b } else { *i };
        }
    }

    /// The nearest of the `k` centres: the least distance over the lanes,
    /// the smallest centre among equal distances.
    #[inline(always)]
    fn nearest(&self, k: usize) -> usize {
        let mut best = (0usize, f64::INFINITY);
        for (l, (&v, &b)) in self.dist.iter().zip(&self.block).enumerate() {
            let j = b * LANES + l;
            if j < k && (v < best.1 || (v == best.1 && j < best.0)) {
                best = (j, v);
            }
        }
        best.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Labels and sums against a direct computation, for widths with and
    /// without a fixed-width path, with weights, several chunks.
    #[test]
    fn pass_matches_direct_distances() {
        for d in [1usize, 3, 8, 17] {
            let n = CHUNK + 123;
            let k = 6;
            // Values of a small linear congruential sequence in [-5, 5).
            let mut s = 12345u64;
            let mut next = || {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (s >> 11) as f64 / (1u64 << 53) as f64 * 10.0 - 5.0
            };
            let x: Vec<f64> = (0..n * d).map(|_| next()).collect();
            let w: Vec<f64> = (0..n).map(|i| 1.0 + (i % 3) as f64).collect();
            let centers: Vec<f64> = (0..k * d).map(|_| next()).collect();
            let data = Data {
                x: &x,
                n,
                d,
                w: Some(&w),
            };
            let mut labels = vec![u32::MAX; n];
            let out = Lloyd::new(&data, k).pass(&data, &centers, &mut labels, true);
            assert_eq!(out.changed, n);
            let mut sums = vec![0.0; k * d];
            let mut weights = vec![0.0; k];
            for i in 0..n {
                let row = &x[i * d..(i + 1) * d];
                let dist = |j: usize| -> f64 {
                    row.iter()
                        .zip(&centers[j * d..(j + 1) * d])
                        .map(|(a, b)| (a - b) * (a - b))
                        .sum()
                };
                let j = labels[i] as usize;
                let dj = dist(j);
                for other in 0..k {
                    assert!(dj <= dist(other) + 1e-9, "d={d} row {i}");
                }
                weights[j] += w[i];
                for f in 0..d {
                    sums[j * d + f] += w[i] * row[f];
                }
            }
            for (a, b) in out.weights.iter().zip(&weights) {
                assert!((a - b).abs() < 1e-9);
            }
            for (a, b) in out.sums.iter().zip(&sums) {
                assert!((a - b).abs() < 1e-7 * (1.0 + b.abs()));
            }
            let again = Lloyd::new(&data, k).pass(&data, &centers, &mut labels, false);
            assert_eq!(again.changed, 0);
        }
    }

    /// Equal distances go to the first centre, whatever its lane or block;
    /// a single centre takes every row.
    #[test]
    fn ties_go_to_the_first_centre() {
        let x = [0.0, 0.0, 4.0, 0.0, 2.0, 0.0, 9.0, 9.0];
        let data = Data {
            x: &x,
            n: 4,
            d: 2,
            w: None,
        };
        // Centres 1 and 4 equal, 2 and 3 equal; row (2, 0) is as far from
        // centres 0 and 1 as from 4 (distance 2): centre 0.
        let centers = [0.0, 0.0, 4.0, 0.0, 9.0, 9.0, 9.0, 9.0, 4.0, 0.0];
        let mut labels = vec![u32::MAX; 4];
        let out = Lloyd::new(&data, 5).pass(&data, &centers, &mut labels, true);
        assert_eq!(labels, vec![0, 1, 0, 2]);
        assert_eq!(out.weights, vec![2.0, 1.0, 1.0, 0.0, 0.0]);
        assert_eq!(&out.sums[..4], &[2.0, 0.0, 4.0, 0.0]);
        let out = Lloyd::new(&data, 1).pass(&data, &centers[..2], &mut labels, true);
        assert_eq!(labels, vec![0; 4]);
        assert_eq!(out.sums, vec![15.0, 9.0]);
        assert_eq!(out.changed, 2);
    }
}
