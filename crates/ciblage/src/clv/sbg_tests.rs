use super::*;
use crate::churn::{Period, Retention};
use crate::SyntheticTransactions;

const REGULAR: [f64; 8] = [1000.0, 631.0, 468.0, 382.0, 326.0, 289.0, 262.0, 241.0];
const HIGH_END: [f64; 8] = [1000.0, 869.0, 743.0, 653.0, 593.0, 551.0, 517.0, 491.0];

#[test]
fn paper_fits() {
    // Fader & Hardie (2007), table 1 / section 4.
    for (data, alpha, beta, ll) in [
        (REGULAR, 0.7041, 1.1820, -1680.27),
        (HIGH_END, 0.6681, 3.8061, -1611.16),
    ] {
        let s = SurvivalCounts::from_survivors(&[data.to_vec()]).unwrap();
        let m = ShiftedBetaGeo::params().fit(&s).unwrap();
        let [a, b] = m.params();
        assert!(
            (a - alpha).abs() < 1e-3 && (b - beta).abs() < 1e-3,
            "{a} {b}"
        );
        let r = m.report().unwrap();
        assert!((r.log_likelihood - ll).abs() < 0.01, "{}", r.log_likelihood);
        assert!(r.standard_errors.iter().all(Option::is_some));
    }
}

#[test]
fn projections_match_the_paper() {
    let m = ShiftedBetaGeoModel::from_params(0.7041, 1.1820).unwrap();
    for (t, want) in [
        (8, 220.1),
        (9, 204.4),
        (10, 191.2),
        (11, 179.9),
        (12, 170.0),
    ] {
        assert!((1000.0 * m.survival(t) - want).abs() < 0.15, "{t}");
    }
    // r_1 = β/(α+β) = 1.182/1.8861.
    assert!((m.retention_rate(1) - 0.6267).abs() < 1e-4);
    // S(t) = Π r_k and P(T = t) = S(t-1) - S(t).
    let mut s = 1.0;
    for t in 1..20 {
        s *= m.retention_rate(t);
        assert!((m.survival(t) - s).abs() < 1e-12);
        assert!((m.churn_probability(t) - (m.survival(t - 1) - m.survival(t))).abs() < 1e-12);
    }
}

#[test]
fn gradient_matches_finite_differences() {
    let s = SurvivalCounts::from_survivors(&[REGULAR.to_vec(), vec![500.0, 300.0, 250.0]]).unwrap();
    let p = [0.8, 1.5];
    let (_, g) = log_likelihood(&s, p);
    for k in 0..2 {
        let h = 1e-6;
        let (mut up, mut down) = (p, p);
        up[k] += h;
        down[k] -= h;
        let fd = (log_likelihood(&s, up).0 - log_likelihood(&s, down).0) / (2.0 * h);
        assert!(
            (fd - g[k]).abs() < 1e-5 * (1.0 + fd.abs()),
            "{k} {fd} {}",
            g[k]
        );
    }
}

#[test]
fn expected_lifetime_and_derl() {
    let m = ShiftedBetaGeoModel::from_params(2.5, 3.0).unwrap();
    // E[T] = Σ_{t ≥ 0} S(t).
    let sum: f64 = (0..200_000).map(|t| m.survival(t)).sum();
    assert!((m.expected_lifetime() - sum).abs() < 1e-3, "{sum}");
    // DERL by its definition: Σ_{k ≥ 1} S(n+k)/S(n) / (1+d)^(k-1).
    let (d, n) = (0.1, 3u32);
    let direct: f64 = (1..2000)
        .map(|k| m.survival(n + k) / m.survival(n) / 1.1f64.powi(k as i32 - 1))
        .sum();
    assert!((m.derl(d, n).unwrap() - direct).abs() < 1e-9);
    assert!(m.derl(0.0, 1).is_err());
    assert!(m.derl(1e-300, 1).is_err());
    // A small rate still converges: alpha > 1 bounds it by E[T − n | T > n].
    assert!(m.derl(1e-5, 0).unwrap() < m.expected_lifetime());
    assert_eq!(
        ShiftedBetaGeoModel::from_params(0.7, 1.2)
            .unwrap()
            .expected_lifetime(),
        f64::INFINITY
    );
}

#[test]
fn lifetimes_equal_survivor_tables() {
    // 3 churn at 1, 2 at 2, 1 still a customer after 3 periods.
    let a = SurvivalCounts::from_lifetimes(
        &[1.0, 1.0, 1.0, 2.0, 2.0, 3.0],
        &[false, false, false, false, false, true],
    )
    .unwrap();
    let b = SurvivalCounts::from_survivors(&[vec![6.0, 3.0, 1.0]]).unwrap();
    assert_eq!(a, b);
    assert!(SurvivalCounts::from_lifetimes(&[0.0], &[false]).is_err());
    assert!(SurvivalCounts::from_lifetimes(&[1.5], &[false]).is_err());
    assert!(SurvivalCounts::from_survivors(&[vec![10.0, 11.0]]).is_err());
    assert!(SurvivalCounts::from_survivors(&[vec![0.0, 0.0]]).is_err());
    assert!(SurvivalCounts::from_survivors(&[vec![]]).is_err());
}

#[test]
fn unidentified_data_is_refused() {
    for data in [vec![10.0, 10.0, 10.0], vec![10.0, 0.0], vec![10.0, 6.0]] {
        let s = SurvivalCounts::from_survivors(&[data]).unwrap();
        let e = ShiftedBetaGeo::params().fit(&s).unwrap_err();
        assert!(matches!(e, CiblageError::FitFailed { .. }), "{e}");
    }
}

#[test]
fn retention_cohorts_become_lifetimes() {
    let tx = SyntheticTransactions::params()
        .customers(400)
        .transactions(4_000)
        .generate()
        .unwrap()
        .to_transactions()
        .unwrap();
    let r = Retention::params()
        .period(Period::Month)
        .churn_after(2)
        .score(&tx)
        .unwrap();
    let by = SurvivalCounts::by_cohort(&r);
    assert_eq!(by.len(), r.cohorts().len());
    for ((label, s), c) in by.iter().zip(r.cohorts()) {
        assert_eq!(label, &c.label);
        // The same churned / censored totals as the cohort row.
        assert_eq!(s.events().iter().sum::<f64>(), c.churned as f64);
        assert_eq!(s.censored().iter().sum::<f64>(), c.censored as f64);
        // Kaplan–Meier of the lifetimes gives the cohort's survival curve.
        let m = c.rolling.len();
        let mut at_risk: f64 = s.total();
        let mut km = 1.0;
        for j in 0..m {
            let (e, cz) = (
                s.events().get(j).copied().unwrap_or(0.0),
                s.censored().get(j).copied().unwrap_or(0.0),
            );
            if at_risk > 0.0 {
                km *= 1.0 - e / at_risk;
                assert!((km - c.survival[j]).abs() < 1e-12, "{label} {j}");
            }
            at_risk -= e + cz;
        }
    }
    let pooled = SurvivalCounts::from_retention(&r);
    let sizes: u64 = r.cohorts().iter().map(|c| c.size).sum();
    assert_eq!(pooled.total(), sizes as f64);
    let m = ShiftedBetaGeo::params().fit(&r).unwrap();
    assert!(m.params().iter().all(|p| p.is_finite() && *p > 0.0));
    let fits = ShiftedBetaGeo::params().check().unwrap().fit_cohorts(&r);
    assert_eq!(fits.len(), r.cohorts().len());
}

#[test]
fn json_round_trip() {
    let s = SurvivalCounts::from_survivors(&[REGULAR.to_vec()]).unwrap();
    let m = ShiftedBetaGeo::params().fit(&s).unwrap();
    assert_eq!(ShiftedBetaGeoModel::from_json(&m.to_json()).unwrap(), m);
    assert!(ShiftedBetaGeoModel::from_json("{}").is_err());
}

mod properties {
    use proptest::prelude::*;

    use super::super::*;

    proptest! {
        #[test]
        fn gradient_matches_finite_differences(
            a in 0.05f64..20.0, b in 0.05f64..20.0,
            counts in proptest::collection::vec(0.0f64..100.0, 1..12), first in 1.0f64..1000.0,
        ) {
            // A non-increasing survivor table from the drops.
            let mut s = vec![first + counts.iter().sum::<f64>()];
            for c in &counts {
                let last = s[s.len() - 1];
                s.push(last - c);
            }
            let data = SurvivalCounts::from_survivors(&[s]).unwrap();
            let p = [a, b];
            let (_, g) = log_likelihood(&data, p);
            // Five-point central differences (truncation O(h^4)) with a step
            // large enough that the rounding of the log-likelihood (a sum of
            // log-gamma differences weighted by hundreds of customers) stays
            // below the tolerance.
            for k in 0..2 {
                let h = 1e-3 * p[k];
                let at = |step: f64| {
                    let mut q = p;
                    q[k] += step;
                    log_likelihood(&data, q).0
                };
                let n = (-at(2.0 * h) + 8.0 * at(h) - 8.0 * at(-h) + at(-2.0 * h)) / (12.0 * h);
                prop_assert!((g[k] - n).abs() <= 1e-5 * (1.0 + n.abs()), "k {} {} {}", k, g[k], n);
            }
            let m = ShiftedBetaGeoModel::from_params(a, b).unwrap();
            prop_assert!(m.retention_rate(2) >= m.retention_rate(1));
            prop_assert!(m.survival(3) <= m.survival(2));
        }
    }
}

#[test]
fn a_homogeneous_base_is_explained() {
    // Exactly geometric: half of the survivors leave every period.
    let s =
        SurvivalCounts::from_survivors(&[vec![1024.0, 512.0, 256.0, 128.0, 64.0, 32.0, 16.0, 8.0]])
            .unwrap();
    match ShiftedBetaGeo::params().fit(&s) {
        Err(CiblageError::FitFailed { reason, .. }) => {
            assert!(reason.contains("same rate (0.5000"), "{reason}")
        }
        Ok(m) => {
            // An optimiser may stop far out on the ridge: then retention is flat.
            assert!(
                (m.retention_rate(1) - 0.5).abs() < 1e-3
                    && (m.retention_rate(7) - 0.5).abs() < 1e-3
            );
        }
        Err(e) => panic!("{e}"),
    }
    let m = ShiftedBetaGeo::params().penalizer(0.01).fit(&s).unwrap();
    assert!(m.params().iter().all(|p| p.is_finite()));
}
