//! The many-history paths (predictions once per distinct history or part
//! of one, fits started from a subsample) against the plain per-history
//! evaluation.

use proptest::prelude::*;

use crate::clv::histories::per_distinct;
use crate::clv::{BgNbdModel, Histories, ParetoNbdModel};

/// Histories from `(x, t_x share, T)` triples, times in whole or half days
/// so that they repeat.
fn histories(rows: &[(u32, f64, u32)]) -> Histories {
    let (mut x, mut tx, mut t) = (Vec::new(), Vec::new(), Vec::new());
    for &(xi, share, ti) in rows {
        let tt = f64::from(ti) / 2.0;
        x.push(f64::from(xi));
        t.push(tt);
        tx.push(if xi == 0 {
            0.0
        } else {
            (share * tt * 2.0).floor() / 2.0
        });
    }
    Histories::new(x, tx, t).unwrap()
}

fn rows() -> impl Strategy<Value = Vec<(u32, f64, u32)>> {
    prop::collection::vec((0u32..40, 0.0f64..=1.0, 0u32..80), 1..300)
}

#[test]
fn per_distinct_computes_each_key_once_and_keeps_row_order() {
    let keys: Vec<u32> = (0..200_000u32).map(|i| (i * 7919) % 1000).collect();
    let calls = std::sync::atomic::AtomicUsize::new(0);
    let out = per_distinct(
        keys.len(),
        |i| keys[i],
        |k| {
            calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            f64::from(k) * 2.0
        },
    );
    assert_eq!(calls.into_inner(), 1000);
    assert!(out
        .iter()
        .zip(&keys)
        .all(|(v, &k)| *v == f64::from(k) * 2.0));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn pareto_predictions_equal_the_per_history_evaluation(
        rows in rows(),
        p in (0.05f64..5.0, 0.1f64..60.0, 0.05f64..5.0, 0.1f64..60.0),
        horizon in 0.0f64..50.0,
    ) {
        let h = histories(&rows);
        let m = ParetoNbdModel::from_params(p.0, p.1, p.2, p.3).unwrap();
        let alive = m.p_alive(&h);
        let expected = m.expected_purchases(horizon, &h);
        for i in 0..h.len() {
            let (x, tx, t) = (h.frequency()[i], h.recency()[i], h.t()[i]);
            prop_assert_eq!(alive[i].to_bits(), m.p_alive_one(x, tx, t).to_bits());
            prop_assert_eq!(
                expected[i].to_bits(),
                m.expected_purchases_one(horizon, x, tx, t).to_bits()
            );
        }
    }

    #[test]
    fn bg_nbd_predictions_equal_the_per_history_evaluation(
        rows in rows(),
        p in (0.05f64..5.0, 0.1f64..60.0, 0.05f64..5.0, 0.1f64..5.0),
        horizon in 0.0f64..50.0,
    ) {
        let h = histories(&rows);
        let m = BgNbdModel::from_params(p.0, p.1, p.2, p.3).unwrap();
        let expected = m.expected_purchases(horizon, &h);
        for (i, e) in expected.iter().enumerate() {
            let (x, tx, t) = (h.frequency()[i], h.recency()[i], h.t()[i]);
            prop_assert_eq!(
                e.to_bits(),
                m.expected_purchases_one(horizon, x, tx, t).to_bits()
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The likelihood staged per `(x, time)` pair equals the sum of the
    /// per-history likelihood (patterns and raw rows, any time scale).
    #[test]
    fn staged_likelihood_equals_the_per_history_sum(
        rows in rows(),
        p in (0.05f64..5.0, 0.01f64..3.0, 0.05f64..5.0, 0.01f64..3.0),
        scale in 0.01f64..1.0,
    ) {
        use crate::clv::likelihood::{total, PatternLikelihood};
        use crate::clv::pareto_likelihood::ParetoLikelihood;
        let h = histories(&rows);
        let p = [p.0, p.1, p.2, p.3];
        let staged = ParetoLikelihood::default();
        for data in [h.clone(), h.patterns().into_histories()] {
            let (v, g) = staged.total(&data, p, scale);
            // Twice: the second evaluation uses the index built by the first.
            let (v2, g2) = staged.total(&data, p, scale);
            let (w, gw) = total(&crate::clv::pareto_nbd::ll_one, &data, p, scale);
            prop_assert_eq!(v.to_bits(), v2.to_bits());
            prop_assert_eq!(g, g2);
            prop_assert!((v - w).abs() <= 1e-9 * w.abs().max(1.0), "{} {}", v, w);
            for k in 0..4 {
                prop_assert!((g[k] - gw[k]).abs() <= 1e-9 * gw[k].abs().max(1.0), "{:?} {:?}", g, gw);
            }
        }
    }
}

/// Purchases at gamma-distributed Poisson rates and no dropout at all
/// (`n` customers, whole days, observed 30 to 365 days).
fn no_dropout_histories(n: usize) -> Histories {
    use rand::{RngExt, SeedableRng};
    use rand_distr::{Distribution, Exp, Gamma};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    let rate = Gamma::<f64>::new(0.5, 1.0 / 20.0).unwrap();
    let (mut x, mut tx, mut t) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..n {
        let end = f64::from(rng.random_range(30..=365u32));
        let gap = Exp::new(rate.sample(&mut rng).max(1e-12)).unwrap();
        let (mut now, mut k, mut last) = (0.0, 0.0, 0.0);
        loop {
            now += gap.sample(&mut rng);
            if now > end {
                break;
            }
            k += 1.0;
            last = f64::floor(now);
        }
        x.push(k);
        tx.push(last);
        t.push(end);
    }
    Histories::new(x, tx, t).unwrap()
}

/// Without dropout the unpenalised optimum lies at `s / beta -> 0`, where
/// the dead-between term is computed by quadrature: the fit stops there
/// after few evaluations (it used to spend minutes in line searches along
/// the flat direction, each quadrature at its panel limit) and says why.
#[test]
fn a_fit_to_data_without_dropout_stops_at_the_boundary_and_says_so() {
    use crate::clv::ParetoNbd;
    use crate::interrupt::Interrupt;
    let h = no_dropout_histories(300);
    let token = Interrupt::with_progress(|_, _| {});
    let m = ParetoNbd::params()
        .interrupt(token.clone())
        .fit(&h)
        .unwrap();
    let report = m.report().unwrap();
    // One progress unit per evaluation of the objective.
    let (evaluations, _) = token.progress().unwrap();
    assert!(evaluations < 400, "{evaluations} evaluations");
    assert!(
        report.convergence.iterations < 200,
        "{:?}",
        report.convergence
    );
    assert!(
        report.convergence.reason.contains("no-dropout boundary"),
        "{:?}",
        report.convergence
    );
    // At the boundary every customer is alive.
    assert!(m.p_alive(&h).iter().all(|&p| p > 1.0 - 1e-6));
}
