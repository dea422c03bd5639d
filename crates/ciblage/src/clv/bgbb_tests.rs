use super::*;
use crate::clv::BgBbHistories;

fn donations() -> BgBbHistories {
    let text = include_str!("../../../../tests/data/clv/donations.csv");
    let (mut f, mut r, mut n, mut w) = (vec![], vec![], vec![], vec![]);
    for line in text.lines().skip(1) {
        let v: Vec<f64> = line.split(',').map(|s| s.trim().parse().unwrap()).collect();
        f.push(v[0]);
        r.push(v[1]);
        n.push(v[2]);
        w.push(v[3]);
    }
    BgBbHistories::new(f, r, n)
        .unwrap()
        .with_weights(w)
        .unwrap()
}

#[test]
fn donations_match_the_paper() {
    let h = donations();
    let m = BgBb::params().fit(&h).unwrap();
    let want = [1.203522, 0.749716, 0.656718, 2.783442];
    for (got, want) in m.params().iter().zip(want) {
        assert!((got / want - 1.0).abs() < 2e-4, "{got} vs {want}");
    }
    let r = m.report().unwrap();
    assert!(
        (r.log_likelihood + 33_225.6).abs() < 0.1,
        "{}",
        r.log_likelihood
    );
    assert_eq!(r.customers, 11_104.0);
}

#[test]
fn gradient_matches_finite_differences() {
    let p = [1.2, 0.75, 0.66, 2.8];
    for (x, tx, n) in [
        (0.0, 0.0, 6.0),
        (2.0, 4.0, 6.0),
        (6.0, 6.0, 6.0),
        (1.0, 1.0, 10.0),
    ] {
        let (_, g) = ll_one(p, x, tx, n);
        for k in 0..4 {
            let h = 1e-6;
            let (mut up, mut down) = (p, p);
            up[k] += h;
            down[k] -= h;
            let fd = (ll_one(up, x, tx, n).0 - ll_one(down, x, tx, n).0) / (2.0 * h);
            assert!(
                (fd - g[k]).abs() < 1e-5 * (1.0 + fd.abs()),
                "{k}: {fd} {}",
                g[k]
            );
        }
    }
}

#[test]
fn likelihoods_of_all_histories_sum_to_one() {
    // Over every possible (x, t_x) after n opportunities the probabilities
    // sum to 1 (the histories with the same (x, t_x) are exchangeable:
    // multiply by the count of the arrangements, C(t_x − 1, x − 1)).
    let p = [1.2, 0.75, 0.66, 2.8];
    let n = 5u32;
    let mut total = 0.0;
    let choose = |a: u32, b: u32| -> f64 {
        (0..b)
            .map(|i| f64::from(a - i) / f64::from(i + 1))
            .product()
    };
    total += ll_one(p, 0.0, 0.0, f64::from(n)).0.exp();
    for tx in 1..=n {
        for x in 1..=tx {
            let ways = choose(tx - 1, x - 1);
            total += ways * ll_one(p, f64::from(x), f64::from(tx), f64::from(n)).0.exp();
        }
    }
    assert!((total - 1.0).abs() < 1e-12, "{total}");
}

#[test]
fn predictions_are_consistent() {
    let m = BgBbModel::from_params(1.2, 0.75, 0.66, 2.8).unwrap();
    // A new customer's expectation is the conditional one at (0, 0, 0).
    for h in [1u32, 5, 20] {
        let a = m.expected_purchases_new(h);
        let b = m.expected_purchases_one(h, 0.0, 0.0, 0.0);
        assert!((a - b).abs() < 1e-12, "{a} {b}");
    }
    // Closed form (FHS 2010, eq. 8): α/(α+β) δ/(γ−1) [1 − Γ(γ+δ)Γ(1+δ+n)/(Γ(γ+δ+n)Γ(1+δ))].
    use crate::clv::special::ln_gamma;
    let (a, b, g, d, n) = (1.2, 0.75, 0.66, 2.8, 7.0);
    let closed = a / (a + b) * d / (g - 1.0)
        * (1.0
            - (ln_gamma(g + d) + ln_gamma(1.0 + d + n) - ln_gamma(g + d + n) - ln_gamma(1.0 + d))
                .exp());
    assert!((m.expected_purchases_new(7) - closed).abs() < 1e-10);
    // DERT is the discounted sum of the per-opportunity expectations.
    let (x, tx, nn) = (3.0, 5.0, 6.0);
    let direct: f64 = (1..400u32)
        .map(|k| {
            (m.expected_purchases_one(k, x, tx, nn) - m.expected_purchases_one(k - 1, x, tx, nn))
                / 1.1f64.powi(k as i32)
        })
        .sum();
    assert!(
        (m.dert_one(0.1, x, tx, nn).unwrap() - direct).abs() < 1e-8,
        "{direct}"
    );
    let p = m.p_alive_one(6.0, 6.0, 6.0);
    assert!(p > m.p_alive_one(1.0, 1.0, 6.0) && p <= 1.0);
    assert!(m.dert(0.0, &donations()).is_err());
    assert!(m.dert_one(1e-300, x, tx, nn).is_err());
}

#[test]
fn weights_equal_repeated_rows() {
    let w = BgBbHistories::new(vec![0.0, 2.0], vec![0.0, 3.0], vec![4.0, 4.0])
        .unwrap()
        .with_weights(vec![2.0, 3.0])
        .unwrap();
    let r = BgBbHistories::new(
        vec![0.0, 0.0, 2.0, 2.0, 2.0],
        vec![0.0, 0.0, 3.0, 3.0, 3.0],
        vec![4.0; 5],
    )
    .unwrap();
    let m = BgBbModel::from_params(1.0, 2.0, 0.5, 3.0).unwrap();
    assert!((m.log_likelihood(&w).unwrap() - m.log_likelihood(&r).unwrap()).abs() < 1e-12);
}

#[test]
fn bad_histories_are_named() {
    let e = BgBbHistories::new(vec![1.0], vec![2.0], vec![1.0]).unwrap_err();
    assert!(e.to_string().starts_with("recency:"), "{e}");
    let e = BgBbHistories::new(vec![1.5], vec![2.0], vec![3.0]).unwrap_err();
    assert!(e.to_string().starts_with("frequency:"), "{e}");
    let e = BgBbHistories::new(vec![0.0], vec![0.0], vec![f64::NAN]).unwrap_err();
    assert!(e.to_string().starts_with("opportunities:"), "{e}");
    assert!(BgBbHistories::new(vec![0.0], vec![0.0], vec![0.0, 1.0]).is_err());
    let only_zero = BgBbHistories::new(vec![0.0], vec![0.0], vec![0.0]).unwrap();
    assert!(BgBb::params().fit(&only_zero).is_err());
}

#[test]
fn json_round_trip() {
    let m = BgBbModel::from_params(1.2, 0.75, 0.66, 2.8).unwrap();
    assert_eq!(BgBbModel::from_json(&m.to_json()).unwrap(), m);
}

mod properties {
    use proptest::prelude::*;

    use super::super::*;

    proptest! {
        #[test]
        fn gradient_matches_finite_differences(
            a in 0.05f64..10.0, b in 0.05f64..10.0, g in 0.05f64..10.0, d in 0.05f64..10.0,
            n in 0u32..30, tx_share in 0.0f64..=1.0, x_share in 0.0f64..=1.0,
        ) {
            let tx = (f64::from(n) * tx_share).floor();
            let x = if tx == 0.0 { 0.0 } else { (tx * x_share).floor().max(1.0) };
            let p = [a, b, g, d];
            let (_, grad) = ll_one(p, x, tx, f64::from(n));
            for k in 0..4 {
                let h = 1e-6 * p[k].max(1e-3);
                let (mut up, mut down) = (p, p);
                up[k] += h;
                down[k] -= h;
                let num = (ll_one(up, x, tx, f64::from(n)).0 - ll_one(down, x, tx, f64::from(n)).0) / (2.0 * h);
                prop_assert!((grad[k] - num).abs() <= 1e-5 * (1.0 + num.abs()), "k {} {} {}", k, grad[k], num);
            }
            let m = BgBbModel::from_params(a, b, g, d).unwrap();
            let alive = m.p_alive_one(x, tx, f64::from(n));
            prop_assert!((0.0..=1.0).contains(&alive));
            prop_assert!(m.expected_purchases_one(4, x, tx, f64::from(n)) >= m.expected_purchases_one(2, x, tx, f64::from(n)));
        }
    }
}

#[test]
fn a_summary_in_whole_periods_is_an_input() {
    use crate::clv::{ClvSummary, Freq};
    let tx = crate::SyntheticTransactions::params()
        .customers(300)
        .transactions(3_000)
        .generate()
        .unwrap()
        .to_transactions()
        .unwrap();
    let weeks = ClvSummary::params().freq(Freq::Week).score(&tx).unwrap();
    let h = BgBbHistories::from_summary(&weeks).unwrap();
    assert_eq!(h.len(), weeks.len());
    assert_eq!(h.opportunities(), weeks.t());
    let m = BgBb::params().fit(&weeks).unwrap();
    assert_eq!(m.report().unwrap().customers, weeks.len() as f64);
    // Fractional weeks (days in units of 7) are not whole opportunities.
    let fractional = ClvSummary::params().freq(Freq::Days(7)).score(&tx).unwrap();
    let e = BgBb::params().fit(&fractional).unwrap_err();
    assert!(
        e.to_string().starts_with("recency:") || e.to_string().starts_with("opportunities:"),
        "{e}"
    );
}
