//! The Pareto/NBD log-likelihood summed over many patterns. Its cost is
//! the hypergeometric terms at `t_x` and at `T`, which depend on the
//! frequency and one time value only: they are computed once per distinct
//! `(x, time)` pair per evaluation (in parallel), then every pattern
//! combines the terms of its two pairs in a few flops. The pairs of a set
//! of histories are indexed once per fit.

use std::sync::{Arc, Mutex};

use hashbrown::HashMap;
use rayon::prelude::*;

use crate::clv::histories::Histories;
use crate::clv::likelihood::{PatternLikelihood, StagedLikelihood};
use crate::clv::model::sum_chunks;
use crate::clv::pareto_nbd::{branch, join, ll_one, Stages, Term};
use crate::clv::pareto_special::{ln_dead_between, series_is_cheap};

/// The distinct `(x, time)` pairs of some histories and, per history, the
/// positions of its `(x, t_x)` and `(x, T)` pairs; `key` (address and
/// length of the `T` column) tells which histories, and every lookup is
/// checked against the row's values all the same.
struct PairIndex {
    key: (usize, usize),
    pairs: Vec<[f64; 2]>,
    index: Vec<[u32; 2]>,
}

impl PairIndex {
    fn of(h: &Histories) -> Self {
        let mut map: HashMap<[u64; 2], u32, foldhash::fast::FixedState> = HashMap::default();
        let mut pairs = Vec::new();
        let mut position = |x: f64, u: f64| {
            *map.entry([x.to_bits(), u.to_bits()]).or_insert_with(|| {
                pairs.push([x, u]);
                // At most two pairs per history.
                (pairs.len() - 1) as u32
            })
        };
        let index = (0..h.len())
            .map(|i| {
                let x = h.frequency[i];
                [position(x, h.recency[i]), position(x, h.t[i])]
            })
            .collect();
        Self {
            key: (h.t.as_ptr() as usize, h.len()),
            pairs,
            index,
        }
    }
}

/// Indices kept (the fit's subsample and patterns, and one more).
const PAIR_INDICES: usize = 3;

/// The Pareto/NBD [`PatternLikelihood`] (see the module documentation).
#[derive(Default)]
pub(crate) struct ParetoLikelihood {
    indices: Mutex<Vec<Arc<PairIndex>>>,
}

impl ParetoLikelihood {
    /// The pair index of `h`, built the first time `h` is met.
    fn index_of(&self, h: &Histories) -> Arc<PairIndex> {
        let key = (h.t.as_ptr() as usize, h.len());
        let found = self
            .indices
            .lock()
            .ok()
            .and_then(|list| list.iter().find(|i| i.key == key).map(Arc::clone));
        found.unwrap_or_else(|| {
            let index = Arc::new(PairIndex::of(h));
            if let Ok(mut list) = self.indices.lock() {
                if list.len() == PAIR_INDICES {
                    list.remove(0);
                }
                list.push(Arc::clone(&index));
            }
            index
        })
    }
}

/// What one `(x, u)` pair contributes at one evaluation: `ln(alpha + u)`,
/// `ln(beta + u)`, their inverse arguments, whether the series of the
/// likelihood is cheap with its argument at `u`, and the hypergeometric
/// term there (`None` where it is not cheap or does not settle).
#[derive(Clone, Copy)]
struct PairTerms {
    ln_a: f64,
    ln_b: f64,
    inv_a: f64,
    inv_b: f64,
    cheap: bool,
    series: Option<Term>,
}

fn pair_terms(p: [f64; 4], x: f64, u: f64) -> PairTerms {
    let [r, alpha, s, beta] = p;
    let z = if alpha >= beta {
        (alpha - beta) / (alpha + u)
    } else {
        (beta - alpha) / (beta + u)
    };
    let cheap = series_is_cheap((s + 1.0).min(r + x), z);
    PairTerms {
        ln_a: (alpha + u).ln(),
        ln_b: (beta + u).ln(),
        inv_a: 1.0 / (alpha + u),
        inv_b: 1.0 / (beta + u),
        cheap,
        series: if cheap { branch(p, x, u) } else { None },
    }
}

impl PatternLikelihood for ParetoLikelihood {
    fn total(&self, h: &Histories, p: [f64; 4], scale: f64) -> (f64, [f64; 4]) {
        let [r, _, s, _] = p;
        let index = self.index_of(h);
        let terms: Vec<PairTerms> = index
            .pairs
            .par_iter()
            .map(|&[x, u]| pair_terms(p, x, u * scale))
            .collect();
        let shared = Stages.shared(p);
        let ln_s = s.ln();
        sum_chunks(h.len(), |range| {
            let mut acc = (0.0, [0.0; 4]);
            // The terms of the last frequency met: base, its derivatives,
            // ln s - ln(r + s + x), 1 / (r + s + x).
            let mut cached: Option<(f64, Term, f64, f64)> = None;
            for i in range {
                let (x, t_x, t) = (h.frequency[i], h.recency[i], h.t[i]);
                let [a, b] = index.index[i].map(|k| k as usize);
                let (v, g) = if index.pairs[a] == [x, t_x] && index.pairs[b] == [x, t] {
                    let (base, ln_ratio, inv_rsx) = match cached {
                        Some((cx, base, l, inv)) if cx == x => (base, l, inv),
                        _ => {
                            let px = Stages.per_x(&shared, x);
                            let rsx = r + s + x;
                            let terms = ((px.base, px.d_base), ln_s - rsx.ln(), 1.0 / rsx);
                            cached = Some((x, terms.0, terms.1, terms.2));
                            terms
                        }
                    };
                    let (at_tx, at_t) = (terms[a], terms[b]);
                    let rx = r + x;
                    let l1 = -rx * at_t.ln_a - s * at_t.ln_b;
                    let d1 = [-at_t.ln_a, -rx * at_t.inv_a, -at_t.ln_b, -s * at_t.inv_b];
                    if t_x >= t {
                        alive_only(base, l1, d1)
                    } else if let (true, Some(u), Some(w)) =
                        (at_tx.cheap, at_tx.series, at_t.series)
                    {
                        match dead_between(u, w, ln_ratio, inv_rsx, 1.0 / s) {
                            Some(l2) => join_fast(base, (l1, d1), l2),
                            None => alive_only(base, l1, d1),
                        }
                    } else {
                        join(
                            base,
                            (l1, d1),
                            ln_dead_between(p, x, t_x * scale, t * scale),
                        )
                    }
                } else {
                    ll_one(p, x, t_x * scale, t * scale)
                };
                let w = h.weight(i);
                acc.0 += w * v;
                for (q, d) in acc.1.iter_mut().zip(g) {
                    *q += w * d;
                }
            }
            acc
        })
    }
}

/// The log-likelihood of a history that cannot have died unseen (`t_x =
/// T`): its frequency's terms and the alive term.
fn alive_only((base, db): Term, l1: f64, d1: [f64; 4]) -> Term {
    (base + l1, std::array::from_fn(|k| db[k] + d1[k]))
}

/// The dead-between term (as [`crate::clv::pareto_nbd::combine`]) from the hypergeometric terms at
/// `t_x` (`u`) and `T` (`w`), with `ln s - ln(r+s+x)`, `1 / (r+s+x)` and
/// `1 / s` given: one exponential and one logarithm. `None` when the two
/// terms cannot be told apart (nothing dies in between).
#[inline]
fn dead_between(
    (u1, g1): Term,
    (u2, g2): Term,
    ln_ratio: f64,
    inv_a: f64,
    inv_s: f64,
) -> Option<Term> {
    let delta = u2 - u1;
    if delta >= 0.0 {
        return None;
    }
    let e = delta.exp();
    // ln(1 - e^delta), accurate near 0 and far below it.
    let ln_1me = if delta > -std::f64::consts::LN_2 {
        (-delta.exp_m1()).ln()
    } else {
        (-e).ln_1p()
    };
    let inv_1me = 1.0 / (1.0 - e);
    let d: [f64; 4] = std::array::from_fn(|k| (g1[k] - e * g2[k]) * inv_1me);
    Some((
        ln_ratio + (u1 + ln_1me),
        [d[0] - inv_a, d[1], d[2] + inv_s - inv_a, d[3]],
    ))
}

/// [`join`] for a finite dead-between term: `ln(e^l1 + e^l2)` and the
/// weights of the two terms from one exponential.
#[inline]
fn join_fast((base, db): Term, (l1, d1): Term, (l2, d2): Term) -> Term {
    let (hi, lo) = if l1 >= l2 { (l1, l2) } else { (l2, l1) };
    let e = (lo - hi).exp();
    let w_hi = 1.0 / (1.0 + e);
    let w_lo = e * w_hi;
    let (w1, w2) = if l1 >= l2 { (w_hi, w_lo) } else { (w_lo, w_hi) };
    (
        base + (hi + e.ln_1p()),
        std::array::from_fn(|k| db[k] + w1 * d1[k] + w2 * d2[k]),
    )
}

/// Below this probability that a new customer drops out within the longest
/// `T` observed, a fit is reported as the no-dropout boundary.
const NO_DROPOUT: f64 = 1e-6;

/// Above this `s` (dropout rates' coefficient of variation `1/sqrt(s)`
/// below 3%), a fit is reported as on the ridge of a common dropout rate.
const COMMON_DROPOUT_RATE: f64 = 1e3;

/// The status of a fit that ends on a boundary of the parameter space
/// (`None` elsewhere): no dropout, when the probability `1 - (beta / (beta +
/// T))^s` that a new customer drops out within the longest `T`, `max_t`, is
/// below [`NO_DROPOUT`]; one dropout rate for every customer, when `s`
/// (and with it `beta`) grows past [`COMMON_DROPOUT_RATE`].
pub(crate) fn boundary_status([_, _, s, beta]: [f64; 4], max_t: f64) -> Option<String> {
    let dropout = -(-s * (max_t / beta).ln_1p()).exp_m1();
    if dropout < NO_DROPOUT {
        Some(format!(
            "converged to the no-dropout boundary (s/beta -> 0): P(a new customer drops out within \
             the longest T) = {dropout:.1e}; the data show no sign of dropout, every customer is \
             alive and the model is the NBD (use a penalizer for an interior estimate)"
        ))
    } else if s > COMMON_DROPOUT_RATE {
        Some(format!(
            "stopped on the ridge towards one dropout rate for every customer (s, beta -> \
             infinity, s/beta = {:.3e} per unit of time): the data do not tell customers' dropout \
             rates apart (use a penalizer for a bounded estimate)",
            s / beta
        ))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundary_status_names_the_boundary() {
        // s 1e-7, beta 1e6, T 1: P(dropout) = 1 - (1 - 1e-6)^1e-7 ≈ 1e-13.
        let none = boundary_status([0.5, 0.1, 1e-7, 1e6], 1.0).unwrap();
        assert!(
            none.starts_with("converged to the no-dropout boundary"),
            "{none}"
        );
        // s 1379, beta 2.0e7: P(dropout within 365) ≈ 1 - e^(-1379 * 365 / 2e7) ≈ 0.025.
        let common = boundary_status([0.46, 16.9, 1379.0, 2.0e7], 365.0).unwrap();
        assert!(
            common.contains("one dropout rate for every customer"),
            "{common}"
        );
        // CDNOW's estimates (weeks, T up to 39): an interior optimum.
        assert_eq!(
            boundary_status([0.5533, 10.578, 0.6062, 11.667], 39.0),
            None
        );
    }
}
