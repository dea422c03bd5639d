//! Tests of the MBG/NBD model: the CDNOW fit of lifetimes, the staged
//! likelihood against the per-history one, the predictions per distinct
//! history against the per-customer formulas.

use super::*;
use crate::clv::Histories;

fn cdnow() -> Histories {
    let text = include_str!("../../../../tests/data/clv/cdnow_customers_summary.csv");
    let (mut f, mut r, mut t) = (vec![], vec![], vec![]);
    for line in text.lines().skip(1) {
        let v: Vec<f64> = line.split(',').map(|s| s.trim().parse().unwrap()).collect();
        f.push(v[1]);
        r.push(v[2]);
        t.push(v[3]);
    }
    Histories::new(f, r, t).unwrap()
}

#[test]
fn gradient_matches_finite_differences() {
    let p = [0.5, 6.0, 0.9, 1.6];
    for (x, tx, t) in [(0.0, 0.0, 30.0), (3.0, 20.0, 38.0), (12.0, 1.0, 2.0)] {
        let (_, g) = ll_one(p, x, tx, t);
        for k in 0..4 {
            let h = 1e-6 * p[k];
            let (mut up, mut down) = (p, p);
            up[k] += h;
            down[k] -= h;
            let fd = (ll_one(up, x, tx, t).0 - ll_one(down, x, tx, t).0) / (2.0 * h);
            assert!(
                (fd - g[k]).abs() < 1e-6 * (1.0 + fd.abs()),
                "{k}: {fd} vs {}",
                g[k]
            );
        }
    }
}

#[test]
fn cdnow_matches_lifetimes() {
    let h = cdnow();
    let m = MbgNbd::params().fit(&h).unwrap();
    let expected = [0.524838, 6.182988, 0.891356, 1.614];
    for (got, want) in m.params().iter().zip(expected) {
        assert!((got / want - 1.0).abs() < 2e-4, "{got} vs {want}");
    }
    let at = MbgNbdModel::from_params(0.524838, 6.182988, 0.891356, 1.614).unwrap();
    let ll = m.report().unwrap().log_likelihood;
    assert!(ll >= at.log_likelihood(&h) - 1e-6, "{ll}");
    assert!((ll - at.log_likelihood(&h)).abs() < 0.01);
}

#[test]
fn probabilities_of_n_purchases_sum_to_one() {
    let m = MbgNbdModel::from_params(0.52, 6.2, 0.89, 1.6).unwrap();
    let s: f64 = (0..400).map(|n| m.prob_n_purchases(n, 39.0)).sum();
    assert!((s - 1.0).abs() < 1e-9, "{s}");
    // E[X(t)] from the distribution equals the closed form.
    let mean: f64 = (0..400)
        .map(|n| f64::from(n) * m.prob_n_purchases(n, 39.0))
        .sum();
    assert!((mean / m.expected_purchases_new(39.0) - 1.0).abs() < 1e-6);
    // a = 1 is the limit of its neighbours.
    let one = MbgNbdModel::from_params(0.52, 6.2, 1.0, 1.6).unwrap();
    let near = MbgNbdModel::from_params(0.52, 6.2, 1.0 + 1e-4, 1.6).unwrap();
    let (u, v) = (
        one.expected_purchases_new(10.0),
        near.expected_purchases_new(10.0),
    );
    assert!((u / v - 1.0).abs() < 1e-3, "{u} {v}");
}

#[test]
fn json_round_trip() {
    let m = MbgNbdModel::from_params(0.52, 6.2, 0.89, 1.6).unwrap();
    assert_eq!(MbgNbdModel::from_json(&m.to_json()).unwrap(), m);
    let bg = crate::clv::BgNbdModel::from_params(0.52, 6.2, 0.89, 1.6).unwrap();
    assert!(MbgNbdModel::from_json(&bg.to_json()).is_err());
}

#[test]
fn staged_likelihood_is_the_per_history_sum() {
    // The fits sum the staged terms over the distinct patterns; the same
    // total, value and gradient, as the per-history formula over customers.
    let h = cdnow();
    let p = [0.52, 6.2, 0.89, 1.6];
    let (v, g) = Staged::new(Stages).total(&h.patterns().into_histories(), p, 1.0);
    let (mut v1, mut g1) = (0.0, [0.0; 4]);
    for i in 0..h.len() {
        let (vi, gi) = ll_one(p, h.frequency[i], h.recency[i], h.t[i]);
        v1 += vi;
        for k in 0..4 {
            g1[k] += gi[k];
        }
    }
    assert!((v - v1).abs() < 1e-9 * v1.abs(), "{v} {v1}");
    for k in 0..4 {
        assert!((g[k] - g1[k]).abs() < 1e-9 * (1.0 + g1[k].abs()), "{k}");
    }
}

#[test]
fn predictions_per_distinct_history_are_the_per_customer_ones() {
    let h = cdnow();
    let m = MbgNbdModel::from_params(0.524838, 6.182988, 0.891356, 1.614).unwrap();
    let all = m.expected_purchases(10.0, &h);
    let alive = m.p_alive(&h);
    for i in 0..h.len() {
        let (x, tx, t) = (h.frequency[i], h.recency[i], h.t[i]);
        assert_eq!(all[i], m.expected_purchases_one(10.0, x, tx, t), "row {i}");
        assert_eq!(alive[i], m.p_alive_one(x, tx, t), "row {i}");
    }
    assert!(m.expected_purchases(0.0, &h).iter().all(|&v| v == 0.0));
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn gradient_matches_finite_differences(
            r in 0.05f64..5.0, alpha in 0.1f64..50.0, a in 0.05f64..5.0, b in 0.05f64..10.0,
            x in 0u32..50, tx_share in 0.0f64..1.0, t in 0.5f64..200.0,
        ) {
            let x = f64::from(x);
            let t_x = if x == 0.0 { 0.0 } else { (tx_share * t).max(1e-3) };
            let p = [r, alpha, a, b];
            let (_, g) = ll_one(p, x, t_x, t);
            for k in 0..4 {
                let h = 1e-6 * p[k].max(1e-3);
                let (mut up, mut down) = (p, p);
                up[k] += h;
                down[k] -= h;
                let n = (ll_one(up, x, t_x, t).0 - ll_one(down, x, t_x, t).0) / (2.0 * h);
                prop_assert!((g[k] - n).abs() <= 1e-5 * (1.0 + n.abs()), "k {} {} {}", k, g[k], n);
            }
        }

        #[test]
        fn staged_terms_are_the_per_history_likelihood(
            r in 0.05f64..5.0, alpha in 0.1f64..50.0, a in 0.05f64..5.0, b in 0.05f64..10.0,
            x in 0u32..200, tx_share in 0.0f64..1.0, t in 0.0f64..500.0,
        ) {
            let x = f64::from(x);
            let t_x = if x == 0.0 { 0.0 } else { tx_share * t };
            let p = [r, alpha, a, b];
            let sh = Stages.shared(p);
            let (ptx, pt) = (Stages.per_time(&sh, t_x), Stages.per_time(&sh, t));
            let (v, g) = Stages.one(&sh, &mut Stages.per_x(&sh, x), x, ptx, pt);
            let (v1, g1) = ll_one(p, x, t_x, t);
            prop_assert!((v - v1).abs() <= 1e-12 * (1.0 + v1.abs()), "{} {}", v, v1);
            for k in 0..4 {
                prop_assert!((g[k] - g1[k]).abs() <= 1e-12 * (1.0 + g1[k].abs()), "k {} {} {}", k, g[k], g1[k]);
            }
        }

        #[test]
        fn predictions_are_probabilities_and_grow(
            r in 0.05f64..5.0, alpha in 0.1f64..50.0, a in 0.05f64..5.0, b in 0.05f64..10.0,
            x in 0u32..50, tx_share in 0.0f64..1.0, t in 0.5f64..200.0, h in 0.1f64..100.0,
        ) {
            let m = MbgNbdModel::from_params(r, alpha, a, b).unwrap();
            let x = f64::from(x);
            let t_x = if x == 0.0 { 0.0 } else { tx_share * t };
            let p = m.p_alive_one(x, t_x, t);
            prop_assert!((0.0..=1.0).contains(&p));
            let (e1, e2) = (m.expected_purchases_one(h, x, t_x, t), m.expected_purchases_one(2.0 * h, x, t_x, t));
            prop_assert!(e1 >= 0.0 && e2 >= e1 * (1.0 - 1e-9), "{} {}", e1, e2);
        }
    }
}
