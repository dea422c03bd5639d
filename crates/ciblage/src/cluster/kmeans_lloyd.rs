//! Lloyd's assignment pass: every row to its nearest centre, fused with the
//! sums of the next centres, in one read of the data.
//!
//! As scikit-learn's Lloyd, the squared distance of row `x` to centre `c`
//! is ranked as `‖c‖² − 2 x·c` (the row's own `‖x‖²` does not change which
//! centre is nearest), with `‖c‖²` and `−2 c` computed once per pass. Rows
//! go by groups of [`ROWS`], transposed feature by feature into a local
//! buffer, so that the distances of the group's rows to one centre are
//! summed side by side in vector registers (one lane per row): the sums of
//! the `k` centres are independent chains (their latencies overlap), the
//! nearest centre of every row is kept by per-lane selects (no branch, no
//! padding of `k`), and no lane is wasted whatever `k`. The code of the pass
//! is compiled three times: for the build's target (SSE2 on the baseline
//! x86-64), for AVX2 and for AVX-512 (groups of 16 rows), picked at run time
//! through `pulp`'s dispatch.
//!
//! The result does not depend on the width nor the instructions: each
//! distance is summed in its own lane over the features in order (a
//! multiply then an add, never a fused multiply-add, whose single rounding
//! would differ), and the centres are taken in order with a strict `<`, so
//! the nearest is the first of the least distances. Rows go by fixed
//! chunks of [`CHUNK`] rows, each chunk's sums and weights in its own slot
//! of a buffer kept across the passes (nothing is allocated per pass but
//! the `k × d` totals); the slots are added in chunk order, so the result
//! does not depend on the threads either.
//!
//! The last pass of a fit, which only labels the rows, adds up the inertia
//! of the new labels instead of the sums (the same arithmetic as
//! `kmeans_iter`'s `inertia`, in the same order), which
//! saves a read of the data.

use pulp::NullaryFnOnce;
use rayon::prelude::*;

use crate::cluster::kmeans_data::{sq_dist, Data, CHUNK};

/// Rows per group of the pass: the lanes of the distance sums (two AVX2
/// registers, four SSE2 ones); the tests run 2, 4, 8 and 16 for the same
/// bits.
const ROWS: usize = 8;

/// Rows per group with AVX-512: two 512-bit registers per distance sum,
/// as AVX2's two 256-bit ones (twice the rows for the same instructions).
#[cfg(target_arch = "x86_64")]
const ROWS_V4: usize = 16;

/// The instructions a pass is compiled for.
#[derive(Debug, Clone, Copy)]
enum Isa {
    /// The build's own target (SSE2 on the baseline x86-64).
    Base,
    /// AVX2 (and the rest of x86-64-v3), detected at run time.
    #[cfg(target_arch = "x86_64")]
    V3(pulp::x86::V3),
    /// AVX-512 (x86-64-v4), detected at run time.
    #[cfg(target_arch = "x86_64")]
    V4(pulp::x86::V4),
}

impl Isa {
    /// The widest instructions available here.
    fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        if let Some(simd) = pulp::x86::V4::try_new() {
            return Self::V4(simd);
        }
        #[cfg(target_arch = "x86_64")]
        if let Some(simd) = pulp::x86::V3::try_new() {
            return Self::V3(simd);
        }
        Self::Base
    }
}

/// What a pass adds up while it labels the rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tally {
    /// The weighted sums of the rows of every cluster (the next centres).
    Sums,
    /// The weighted squared distances of the rows to their centres (the
    /// inertia of the labels set by the pass).
    Inertia,
}

/// Buffers of Lloyd's passes for `k` centres of `d` features.
#[derive(Debug)]
pub(crate) struct Lloyd {
    k: usize,
    d: usize,
    /// Instructions of the pass.
    isa: Isa,
    /// Rows per group of the build's target (2, 4, 8 or 16; AVX2 takes 8,
    /// AVX-512 16).
    rows: usize,
    /// `−2 c` of every centre, `k × d`, row-major.
    m2c: Vec<f64>,
    /// `‖c‖²` of every centre.
    cnorm: Vec<f64>,
    /// Per chunk: `k × d` weighted sums of its rows by cluster, then `k`
    /// weights (with [`Tally::Inertia`], the chunk's inertia first).
    slots: Vec<f64>,
}

/// Sums of an assignment pass (`k × d`), weights per cluster, rows whose
/// label changed, inertia.
#[derive(Debug)]
pub(crate) struct Sums {
    /// Weighted sums of the rows of every cluster, `k × d` ([`Tally::Sums`],
    /// else zeros).
    pub sums: Vec<f64>,
    /// Weight of every cluster ([`Tally::Sums`], else zeros).
    pub weights: Vec<f64>,
    /// Rows whose label changed.
    pub changed: usize,
    /// Weighted sum of the squared distances of the rows to their centres
    /// ([`Tally::Inertia`], else 0).
    pub inertia: f64,
}

impl Lloyd {
    /// Buffers for `k` centres on `data`, for the widest instructions here.
    pub fn new(data: &Data<'_>, k: usize) -> Self {
        Self::with(data, k, Isa::detect(), ROWS)
    }

    /// Buffers for `k` centres on `data`, `rows` rows per group.
    fn with(data: &Data<'_>, k: usize, isa: Isa, rows: usize) -> Self {
        let d = data.d;
        Self {
            k,
            d,
            isa,
            rows,
            m2c: vec![0.0; k * d],
            cnorm: vec![0.0; k],
            slots: vec![0.0; data.n.div_ceil(CHUNK) * (k * d + k)],
        }
    }

    /// Loads the centres (`k × d`, row-major) for the next pass.
    fn load(&mut self, centers: &[f64]) {
        for (m, &c) in self.m2c.iter_mut().zip(centers) {
            *m = -2.0 * c;
        }
        for (n, c) in self.cnorm.iter_mut().zip(centers.chunks_exact(self.d)) {
            let mut norm = 0.0;
            for &v in c {
                norm += v * v;
            }
            *n = norm;
        }
    }

    /// One pass: sets `labels` to the nearest of `centers` (the first of
    /// equal distances) and returns what `tally` asks for: the weighted
    /// sums of the rows of every cluster, or the inertia of the labels.
    pub fn pass(
        &mut self,
        data: &Data<'_>,
        centers: &[f64],
        labels: &mut [u32],
        tally: Tally,
    ) -> Sums {
        self.load(centers);
        let (k, d) = (self.k, self.d);
        let width = k * d + k;
        let (isa, rows) = (self.isa, self.rows);
        let chunk = Chunk {
            m2c: &self.m2c,
            cnorm: &self.cnorm,
            centers,
            k,
            d,
            tally,
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
                part.dispatch(isa, rows)
            })
            .sum();
        let mut out = Sums {
            sums: vec![0.0; k * d],
            weights: vec![0.0; k],
            changed,
            inertia: 0.0,
        };
        if tally == Tally::Inertia {
            // The chunks' inertias in chunk order, as `inertia`'s sum.
            out.inertia = self.slots.chunks_exact(width).map(|s| s[0]).sum();
        } else {
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
    /// The centres themselves (`k × d`), for the inertia.
    centers: &'a [f64],
    k: usize,
    d: usize,
    tally: Tally,
}

/// One chunk of rows of a pass, with its labels and its slot of sums.
struct Part<'a, 'c> {
    chunk: &'a Chunk<'a>,
    rows: &'c [f64],
    w: Option<&'c [f64]>,
    ls: &'c mut [u32],
    slot: &'c mut [f64],
}

/// [`Part`] run by groups of `R` rows, as a body for `pulp`'s dispatch
/// (called inlined, so compiled for the dispatched instructions).
struct Group<'a, 'c, const R: usize>(Part<'a, 'c>);

impl<const R: usize> NullaryFnOnce for Group<'_, '_, R> {
    type Output = usize;

    #[inline(always)]
    fn call(self) -> usize {
        self.0.run::<R>()
    }
}

impl Part<'_, '_> {
    /// Assigns the chunk's rows with the instructions and group of the
    /// pass; returns the labels changed.
    fn dispatch(self, isa: Isa, rows: usize) -> usize {
        match (isa, rows) {
            (_, 2) => self.run::<2>(),
            (_, 4) => self.run::<4>(),
            (Isa::Base, 16) => self.run::<16>(),
            #[cfg(target_arch = "x86_64")]
            (Isa::V3(simd), _) => simd.vectorize(Group::<ROWS>(self)),
            #[cfg(target_arch = "x86_64")]
            (Isa::V4(simd), _) => simd.vectorize(Group::<ROWS_V4>(self)),
            _ => self.run::<ROWS>(),
        }
    }

    /// Assigns the rows by groups of `R`, adding them to the slot; returns
    /// the labels changed. Up to 16 features, the width is a
    /// constant of the code ([`Part::rows`] is inlined for each), so that
    /// the loops over the features are unrolled.
    #[inline(always)]
    fn run<const R: usize>(self) -> usize {
        macro_rules! fixed {
            ($($n:literal)*) => {
                match self.chunk.d {
                    $($n => self.rows::<R>($n),)*
                    d => self.rows::<R>(d),
                }
            };
        }
        fixed!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16)
    }

    /// [`Part::run`] for rows of `d` features.
    #[inline(always)]
    fn rows<const R: usize>(self, d: usize) -> usize {
        let c = self.chunk;
        // The transposed group of more than 16 features (else on the stack).
        let mut wide = vec![[0.0; R]; if d > 16 { d } else { 0 }];
        let mut changed = 0;
        let mut groups = self.rows.chunks_exact(R * d);
        let mut labels = self.ls.chunks_exact_mut(R);
        let mut i = 0;
        for (g, ls) in (&mut groups).zip(&mut labels) {
            let near = c.nearest::<R>(g, d, &mut wide).map(|j| j as u32);
            for ((l, &j), row) in ls.iter_mut().zip(&near).zip(g.chunks_exact(d)) {
                changed += c.take(l, j, row, self.w.map(|w| w[i]), self.slot);
                i += 1;
            }
        }
        let (g, ls) = (groups.remainder(), labels.into_remainder());
        if !ls.is_empty() {
            // The last rows, padded with zeros to a whole group.
            let mut pad = vec![0.0; R * d];
            pad[..g.len()].copy_from_slice(g);
            let near = c.nearest::<R>(&pad, d, &mut wide).map(|j| j as u32);
            for ((l, &j), row) in ls.iter_mut().zip(&near).zip(g.chunks_exact(d)) {
                changed += c.take(l, j, row, self.w.map(|w| w[i]), self.slot);
                i += 1;
            }
        }
        changed
    }
}

impl Chunk<'_> {
    /// The nearest centre to every row of `rows` (`R` rows of `d`
    /// features), as `f64`: the first of the least distances. The group is
    /// transposed into a local array up to 16 features (kept in registers
    /// when `d` is a constant), else into `wide` (`d` entries).
    #[inline(always)]
    fn nearest<const R: usize>(&self, rows: &[f64], d: usize, wide: &mut [[f64; R]]) -> [f64; R] {
        if d <= 16 {
            self.nearest_in(rows, d, &mut [[0.0; R]; 16])
        } else {
            self.nearest_in(rows, d, wide)
        }
    }

    /// [`Chunk::nearest`] with the transposed group in `xt` (at least `d`
    /// entries). Loops by index: with `d` and `R` constants, the compiler
    /// keeps the whole group in registers (the same loops over iterators
    /// were measured a third slower).
    #[inline(always)]
    #[allow(clippy::needless_range_loop)]
    fn nearest_in<const R: usize>(&self, rows: &[f64], d: usize, xt: &mut [[f64; R]]) -> [f64; R] {
        for r in 0..R {
            for f in 0..d {
                xt[f][r] = rows[r * d + f];
            }
        }
        let mut best = [f64::INFINITY; R];
        let mut near = [0.0; R];
        for (j, (m, &cn)) in self.m2c.chunks_exact(d).zip(self.cnorm).enumerate() {
            let mut a = [cn; R];
            for f in 0..d {
                let mf = m[f];
                for r in 0..R {
                    a[r] += xt[f][r] * mf;
                }
            }
            // Selects, not branches: which centre is nearest is not
            // predictable.
            let j = j as f64;
            for r in 0..R {
                let nearer = a[r] < best[r];
                best[r] = if nearer { a[r] } else { best[r] };
                near[r] = if nearer { j } else { near[r] };
            }
        }
        near
    }

    /// Sets label `l` to centre `j` and adds `row` (weight `w`, `None`: 1)
    /// to the centre's sums in `slot`, or its weighted squared distance to
    /// the centre to the chunk's inertia (`slot[0]`); returns 1 if the label
    /// changed.
    #[inline(always)]
    fn take(&self, l: &mut u32, j: u32, row: &[f64], w: Option<f64>, slot: &mut [f64]) -> usize {
        let changed = usize::from(*l != j);
        *l = j;
        let j = j as usize;
        if self.tally == Tally::Inertia {
            // As `inertia`: the weight (1 without weights) times the
            // squared distance, added in row order.
            let d = row.len();
            slot[0] += w.unwrap_or(1.0) * sq_dist(row, &self.centers[j * d..(j + 1) * d]);
        } else {
            let d = row.len();
            add_row(&mut slot[j * d..(j + 1) * d], row, w);
            slot[self.k * d + j] += w.unwrap_or(1.0);
        }
        changed
    }
}

/// `sums += w × row` element by element (`None`: `sums += row`, the
/// multiply by 1 left out), four elements at a time as fixed-size arrays,
/// so that each four are one vector load, add and store: the same
/// additions as one by one, which the compiler left as scalar adds and
/// stores.
#[inline(always)]
#[allow(clippy::needless_range_loop)]
fn add_row(sums: &mut [f64], row: &[f64], w: Option<f64>) {
    let mut s4 = sums.chunks_exact_mut(4);
    let mut r4 = row.chunks_exact(4);
    for (s, r) in (&mut s4).zip(&mut r4) {
        let (Ok(s), Ok(r)) = (<&mut [f64; 4]>::try_from(s), <&[f64; 4]>::try_from(r)) else {
            continue;
        };
        match w {
            Some(w) => {
                for t in 0..4 {
                    s[t] += w * r[t];
                }
            }
            None => {
                for t in 0..4 {
                    s[t] += r[t];
                }
            }
        }
    }
    let tail = s4.into_remainder().iter_mut().zip(r4.remainder());
    match w {
        Some(w) => tail.for_each(|(s, v)| *s += w * v),
        None => tail.for_each(|(s, v)| *s += v),
    }
}

#[cfg(test)]
#[path = "kmeans_lloyd_tests.rs"]
mod tests;
