//! The log-likelihood with covariates: patterns compressed on
//! `(x, t_x, T, z)`, each customer's base parameters scaled by its
//! covariates, the gradient in `θ = (ln r, ln alpha0, ln s|a0, ln beta0|b0,
//! gamma_trans, gamma_life)` by the chain rule through the base model's
//! analytic gradient.

use hashbrown::HashMap;
use ndarray::ArrayView2;
use rayon::prelude::*;

use crate::clv::covariates::CovariateKind;
use crate::clv::histories::Histories;
use crate::clv::{bgnbd, pareto_nbd};

/// Distinct `(x, t_x, T, z_trans, z_life)` rows with summed weights.
#[derive(Debug, Clone)]
pub(crate) struct CovPatterns {
    pub(crate) x: Vec<f64>,
    pub(crate) t_x: Vec<f64>,
    pub(crate) t: Vec<f64>,
    pub(crate) weight: Vec<f64>,
    /// Row-major, `len × kt`.
    pub(crate) zt: Vec<f64>,
    /// Row-major, `len × kl`.
    pub(crate) zl: Vec<f64>,
    pub(crate) kt: usize,
    pub(crate) kl: usize,
}

impl CovPatterns {
    /// Compresses `h` with its covariate rows (customers with different
    /// covariates stay apart), in a fixed order (by the bits of the key).
    pub(crate) fn new(h: &Histories, zt: ArrayView2<'_, f64>, zl: ArrayView2<'_, f64>) -> Self {
        let (kt, kl) = (zt.ncols(), zl.ncols());
        let mut map: HashMap<Vec<u64>, f64, foldhash::fast::FixedState> = HashMap::default();
        for i in 0..h.len() {
            let mut key = Vec::with_capacity(3 + kt + kl);
            key.extend([h.frequency[i], h.recency[i], h.t[i]].map(f64::to_bits));
            // -0.0 and 0.0 are the same covariate value.
            key.extend(zt.row(i).iter().map(|v| (v + 0.0).to_bits()));
            key.extend(zl.row(i).iter().map(|v| (v + 0.0).to_bits()));
            *map.entry(key).or_insert(0.0) += h.weight(i);
        }
        let mut rows: Vec<(Vec<u64>, f64)> = map.into_iter().collect();
        rows.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let col = |j: usize| rows.iter().map(|r| f64::from_bits(r.0[j])).collect();
        let mut zt_out = Vec::with_capacity(rows.len() * kt);
        let mut zl_out = Vec::with_capacity(rows.len() * kl);
        for (key, _) in &rows {
            zt_out.extend(key[3..3 + kt].iter().map(|b| f64::from_bits(*b)));
            zl_out.extend(key[3 + kt..].iter().map(|b| f64::from_bits(*b)));
        }
        Self {
            x: col(0),
            t_x: col(1),
            t: col(2),
            weight: rows.iter().map(|r| r.1).collect(),
            zt: zt_out,
            zl: zl_out,
            kt,
            kl,
        }
    }
    /// Number of patterns.
    pub(crate) fn len(&self) -> usize {
        self.x.len()
    }
    /// Covariates of pattern `i` on the purchase process.
    pub(crate) fn zt_row(&self, i: usize) -> &[f64] {
        &self.zt[i * self.kt..(i + 1) * self.kt]
    }
    /// Covariates of pattern `i` on the dropout process.
    pub(crate) fn zl_row(&self, i: usize) -> &[f64] {
        &self.zl[i * self.kl..(i + 1) * self.kl]
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// A customer's base parameters from the population ones, the
/// coefficients and its covariate rows.
pub(crate) fn customer_params(
    kind: CovariateKind,
    base: [f64; 4],
    gt: &[f64],
    gl: &[f64],
    zt: &[f64],
    zl: &[f64],
) -> [f64; 4] {
    let [r, alpha, c, d] = base;
    let et = (-dot(gt, zt)).exp();
    match kind {
        CovariateKind::ParetoNbd => [r, alpha * et, c, d * (-dot(gl, zl)).exp()],
        CovariateKind::BgNbd => {
            let el = dot(gl, zl).exp();
            [r, alpha * et, c * el, d * el]
        }
    }
}

/// The base model's log-likelihood of one history and its gradient.
pub(crate) fn ll_base(
    kind: CovariateKind,
    p: [f64; 4],
    x: f64,
    t_x: f64,
    t: f64,
) -> (f64, [f64; 4]) {
    match kind {
        CovariateKind::BgNbd => bgnbd::ll_one(p, x, t_x, t),
        CovariateKind::ParetoNbd => pareto_nbd::ll_one(p, x, t_x, t),
    }
}

/// Patterns per parallel task (fixed: the sum does not depend on the
/// number of threads).
const CHUNK: usize = 512;

/// Total weighted log-likelihood of `pats` at `theta` (times multiplied by
/// `scale`) and its gradient in `theta`.
pub(crate) fn total(
    kind: CovariateKind,
    pats: &CovPatterns,
    theta: &[f64],
    scale: f64,
) -> (f64, Vec<f64>) {
    let (kt, kl) = (pats.kt, pats.kl);
    let n_theta = 4 + kt + kl;
    let base: [f64; 4] = std::array::from_fn(|k| theta[k].exp());
    let (gt, gl) = (&theta[4..4 + kt], &theta[4 + kt..]);
    let n = pats.len();
    let parts: Vec<(f64, Vec<f64>)> = (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| {
            let mut v = 0.0;
            let mut g = vec![0.0; n_theta];
            for i in c * CHUNK..((c + 1) * CHUNK).min(n) {
                let (zt, zl) = (pats.zt_row(i), pats.zl_row(i));
                let p = customer_params(kind, base, gt, gl, zt, zl);
                let (l, d) = ll_base(kind, p, pats.x[i], pats.t_x[i] * scale, pats.t[i] * scale);
                let w = pats.weight[i];
                v += w * l;
                // d/d ln(parameter) of the customer's parameters.
                let e: [f64; 4] = std::array::from_fn(|k| w * d[k] * p[k]);
                for (gk, ek) in g.iter_mut().zip(e) {
                    *gk += ek;
                }
                for (k, z) in zt.iter().enumerate() {
                    g[4 + k] -= e[1] * z;
                }
                let life = match kind {
                    CovariateKind::ParetoNbd => -e[3],
                    CovariateKind::BgNbd => e[2] + e[3],
                };
                for (k, z) in zl.iter().enumerate() {
                    g[4 + kt + k] += life * z;
                }
            }
            (v, g)
        })
        .collect();
    let mut value = 0.0;
    let mut grad = vec![0.0; n_theta];
    for (v, g) in parts {
        value += v;
        for (a, b) in grad.iter_mut().zip(g) {
            *a += b;
        }
    }
    (value, grad)
}
