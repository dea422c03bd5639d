//! Lloyd's assignment pass: every row to its nearest centre, fused with the
//! sums of the next centres, in one read of the data.
//!
//! As scikit-learn's Lloyd, the squared distance of row `x` to centre `c`
//! is ranked as `‖c‖² − 2 x·c` (the row's own `‖x‖²` does not change which
//! centre is nearest), with `‖c‖²` computed once per pass. The centres are
//! laid out by blocks of `L` lanes (feature by feature inside a block), so
//! that the distances to a block of centres are summed side by side in a
//! vector register; `k` is padded to a whole number of blocks with centres
//! at an infinite distance. Four lanes compiled for AVX2 (dispatched at
//! run time) were measured no faster than the baseline's two on 8
//! features, k = 5 and 10: the pass is not bound by its multiplies.
//!
//! The result does not depend on the width: each distance is summed lane
//! by lane over the features in order (a multiply then an add, never a
//! fused multiply-add, whose single rounding would differ), and the
//! nearest centre is the first of the least distances whatever the lane.
//! Rows go by fixed chunks of [`CHUNK`] rows, each chunk's sums and weights
//! in its own slot of a buffer kept across the passes (nothing is
//! allocated per pass but the `k × d` totals); the slots are added in chunk
//! order, so the result does not depend on the threads either.

use rayon::prelude::*;

use crate::cluster::kmeans_data::{Data, CHUNK};

/// Centres per block in the pass: the width of a vector register (two
/// `f64` in the baseline x86-64 build, four with AVX); the tests run 2, 4
/// and 8 for the same bits.
const LANES: usize = if cfg!(target_feature = "avx") { 4 } else { 2 };

/// Buffers of Lloyd's passes for `k` centres of `d` features.
#[derive(Debug)]
pub(crate) struct Lloyd {
    k: usize,
    d: usize,
    /// Centres per block (2, 4 or 8).
    lanes: usize,
    /// `−2 c` by blocks: entry `(b·d + f)·lanes + l` is `−2 c[b·lanes + l][f]`.
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
        Self::with(data, k, LANES)
    }

    /// Buffers for `k` centres on `data`, `lanes` centres per block.
    fn with(data: &Data<'_>, k: usize, lanes: usize) -> Self {
        let d = data.d;
        let blocks = k.div_ceil(lanes);
        Self {
            k,
            d,
            lanes,
            m2c: vec![0.0; blocks * lanes * d],
            cnorm: vec![f64::INFINITY; blocks * lanes],
            slots: vec![0.0; data.n.div_ceil(CHUNK) * (k * d + k)],
        }
    }

    /// Loads the centres (`k × d`, row-major) for the next pass.
    fn load(&mut self, centers: &[f64]) {
        let (d, lanes) = (self.d, self.lanes);
        for (j, c) in centers.chunks_exact(d).enumerate() {
            let (b, l) = (j / lanes, j % lanes);
            let mut norm = 0.0;
            for (f, &v) in c.iter().enumerate() {
                self.m2c[(b * d + f) * lanes + l] = -2.0 * v;
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
        let lanes = self.lanes;
        let chunk = Chunk {
            m2c: &self.m2c,
            cnorm: &self.cnorm,
            k,
            d,
            sums,
        };
        let changed: usize = labels
            .par_chunks_mut(CHUNK)
            .zip(self.slots.par_chunks_mut(width))
            .enumerate()
            .map(|(c, (ls, slot))| {
                let lo = c * CHUNK;
                slot.fill(0.0);
                let part = Part {
                    chunk: &chunk,
                    rows: &data.x[lo * d..(lo + ls.len()) * d],
                    w: data.w.map(|w| &w[lo..lo + ls.len()]),
                    ls,
                    slot,
                };
                part.dispatch(lanes)
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

/// The centres of a pass, as seen by every chunk.
struct Chunk<'a> {
    m2c: &'a [f64],
    cnorm: &'a [f64],
    k: usize,
    d: usize,
    sums: bool,
}

/// One chunk of rows of a pass, with its labels and its slot of sums.
struct Part<'a, 'c> {
    chunk: &'a Chunk<'a>,
    rows: &'c [f64],
    w: Option<&'c [f64]>,
    ls: &'c mut [u32],
    slot: &'c mut [f64],
}

impl Part<'_, '_> {
    /// Assigns the chunk's rows with `lanes` centres per block; returns
    /// the labels changed.
    fn dispatch(self, lanes: usize) -> usize {
        match lanes {
            4 => self.run::<4>(),
            8 => self.run::<8>(),
            _ => self.run::<2>(),
        }
    }

    /// Assigns the rows with `L` lanes, adding them to the slot; returns
    /// the labels changed. Up to 16 features, the width is a constant of
    /// the code ([`Part::rows`] is inlined for each), so that a row's
    /// features stay in registers.
    #[inline(always)]
    fn run<const L: usize>(self) -> usize {
        macro_rules! fixed {
            ($($n:literal)*) => {
                match self.chunk.d {
                    $($n => self.rows::<L>($n),)*
                    d => self.rows::<L>(d),
                }
            };
        }
        fixed!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16)
    }

    /// [`Part::run`] for rows of `d` features.
    #[inline(always)]
    fn rows<const L: usize>(self, d: usize) -> usize {
        let c = self.chunk;
        let mut changed = 0;
        for (i, (row, l)) in self
            .rows
            .chunks_exact(d)
            .zip(self.ls.iter_mut())
            .enumerate()
        {
            let j = c.nearest::<L>(row);
            changed += usize::from(*l != j as u32);
            *l = j as u32;
            if c.sums {
                let w = self.w.map_or(1.0, |w| w[i]);
                for (s, v) in self.slot[j * d..(j + 1) * d].iter_mut().zip(row) {
                    *s += w * v;
                }
                self.slot[c.k * d + j] += w;
            }
        }
        changed
    }
}

impl Chunk<'_> {
    /// The nearest centre to `row`, by blocks of `L` centres: the first of
    /// the least distances.
    #[inline(always)]
    fn nearest<const L: usize>(&self, row: &[f64]) -> usize {
        let d = row.len();
        let mut best = Best::<L>::new();
        for (b, (m, cn)) in self
            .m2c
            .chunks_exact(d * L)
            .zip(self.cnorm.chunks_exact(L))
            .enumerate()
        {
            let mut a = [0.0; L];
            a.copy_from_slice(cn);
            // Ranges of a constant length `L` (not `chunks_exact`, whose
            // length the compiler does not see): the lanes are one vector.
            for (f, &x) in row.iter().enumerate() {
                for (acc, &c) in a.iter_mut().zip(&m[f * L..(f + 1) * L]) {
                    *acc += x * c;
                }
            }
            best.update(&a, b);
        }
        best.nearest(self.k)
    }
}

/// The nearest centre seen so far in each lane: per lane the least
/// distance and its block (selects, not branches: which centre is nearest
/// is not predictable).
struct Best<const L: usize> {
    dist: [f64; L],
    block: [usize; L],
}

impl<const L: usize> Best<L> {
    #[inline(always)]
    fn new() -> Self {
        Self {
            dist: [f64::INFINITY; L],
            block: [0; L],
        }
    }

    /// Takes in the distances `a` to the centres of block `b` (blocks in
    /// increasing order, so a lane keeps its first least distance).
    #[inline(always)]
    fn update(&mut self, a: &[f64; L], b: usize) {
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
            let j = b * L + l;
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

    /// The labels and sums are the same bits whatever the width and the
    /// instructions: on a grid of small integers (exact distances, many
    /// ties) and on random values, for widths with and without a
    /// fixed-width path, k below, at and above a block.
    #[test]
    fn every_width_gives_the_same_bits() {
        let mut s = 987654321u64;
        let mut next = || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        for grid in [true, false] {
            for d in [1usize, 2, 8, 19] {
                for k in [1usize, 3, 4, 5, 10, 13] {
                    let n = CHUNK + 777;
                    let mut value = || {
                        let v = next() * 6.0 - 3.0;
                        if grid {
                            v.round()
                        } else {
                            v
                        }
                    };
                    let x: Vec<f64> = (0..n * d).map(|_| value()).collect();
                    let centers: Vec<f64> = (0..k * d).map(|_| value()).collect();
                    let w: Vec<f64> = (0..n).map(|i| 0.5 + (i % 4) as f64).collect();
                    let data = Data {
                        x: &x,
                        n,
                        d,
                        w: Some(&w),
                    };
                    let run = |lanes: usize| {
                        let mut labels = vec![u32::MAX; n];
                        let out =
                            Lloyd::with(&data, k, lanes).pass(&data, &centers, &mut labels, true);
                        (labels, out.sums, out.weights, out.changed)
                    };
                    let base = run(2);
                    for other in &[run(4), run(8)] {
                        assert!(base == *other, "grid={grid} d={d} k={k}");
                    }
                }
            }
        }
    }
}
