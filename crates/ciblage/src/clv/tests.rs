//! The CDNOW reference data (`tests/data/clv`, from the `lifetimes`
//! package, MIT): the summary rebuilt from raw transactions and the fits
//! compared with the published figures.

use chrono::NaiveDate;

use crate::clv::{BgNbd, BgNbdModel, ClvSummary, Freq, Histories};
use crate::time::{day_from_date, MICROS_PER_DAY};
use crate::transactions::Transactions;

const SAMPLE: &str = include_str!("../../../../tests/data/clv/CDNOW_sample.txt");
const SUMMARY: &str =
    include_str!("../../../../tests/data/clv/cdnow_customers_summary_with_transactions.csv");

/// CDNOW_sample.txt as transactions: customer = the sample index.
pub(crate) fn cdnow_transactions() -> Transactions {
    let (mut ids, mut ts, mut amounts) = (Vec::new(), Vec::new(), Vec::new());
    for line in SAMPLE.lines().filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split_whitespace().collect();
        ids.push(f[1].parse::<i64>().unwrap());
        let d = NaiveDate::parse_from_str(f[2], "%Y%m%d").unwrap();
        ts.push(day_from_date(d) * MICROS_PER_DAY);
        amounts.push(f[4].parse::<f64>().unwrap());
    }
    Transactions::from_int_ids(&ids, ts, amounts).unwrap()
}

/// The published summary: (id, x, t_x, T, mean repeat spend).
pub(crate) fn cdnow_summary() -> Vec<(i64, f64, f64, f64, f64)> {
    SUMMARY
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<f64> = l.split(',').map(|v| v.trim().parse().unwrap()).collect();
            (f[0] as i64, f[1], f[2], f[3], f[4])
        })
        .collect()
}

pub(crate) fn cdnow_histories() -> Histories {
    let rows = cdnow_summary();
    Histories::new(
        rows.iter().map(|r| r.1).collect(),
        rows.iter().map(|r| r.2).collect(),
        rows.iter().map(|r| r.3).collect(),
    )
    .unwrap()
    .with_monetary_value(rows.iter().map(|r| r.4).collect())
    .unwrap()
}

#[test]
fn cdnow_calibration_summary_is_rebuilt_from_the_transactions() {
    let tx = cdnow_transactions();
    let s = ClvSummary::params()
        .freq(Freq::Days(7))
        .observation_end(NaiveDate::from_ymd_opt(1997, 9, 30).unwrap())
        .score(&tx)
        .unwrap();
    let expected = cdnow_summary();
    assert_eq!(s.len(), 2_357);
    let crate::CustomerIds::Int(ids) = s.ids() else {
        panic!("integer ids")
    };
    for (i, e) in expected.iter().enumerate() {
        assert_eq!(ids[i], e.0);
        assert_eq!(
            f64::from(s.frequency()[i]),
            e.1,
            "frequency of customer {}",
            e.0
        );
        // The published file is rounded to 2 decimals.
        assert!(
            (s.recency()[i] - e.2).abs() <= 0.005 + 1e-9,
            "recency of {}",
            e.0
        );
        assert!((s.t()[i] - e.3).abs() <= 0.005 + 1e-9, "T of {}", e.0);
        assert!(
            (s.monetary_value()[i] - e.4).abs() <= 0.005 + 1e-9,
            "monetary of {}",
            e.0
        );
    }
    // Rows after 1997-09-30 are counted, not lost.
    let after = tx
        .timestamps()
        .iter()
        .filter(|&&t| {
            t >= day_from_date(NaiveDate::from_ymd_opt(1997, 10, 1).unwrap()) * MICROS_PER_DAY
        })
        .count() as u64;
    assert!(after > 0);
    assert_eq!(s.report().rows_after_as_of, after);
    assert_eq!(s.report().rows, 6_919);
}

#[test]
fn holdout_columns_count_the_purchases_after_the_calibration_end() {
    let tx = cdnow_transactions();
    let end = NaiveDate::from_ymd_opt(1998, 6, 30).unwrap();
    let cal = NaiveDate::from_ymd_opt(1997, 9, 30).unwrap();
    let s = ClvSummary::params()
        .freq(Freq::Days(7))
        .observation_end(end)
        .calibration_end(cal)
        .score(&tx)
        .unwrap();
    let h = s.holdout().unwrap();
    // 273 days between the two ends.
    assert!((h.duration - 273.0 / 7.0).abs() < 1e-12);
    // Customer 1 (sample index 1) bought on 1997-08-02 (calibration) and,
    // per the raw file, on distinct later days: count them independently.
    let days_after: std::collections::BTreeSet<&str> = SAMPLE
        .lines()
        .filter(|l| l.split_whitespace().nth(1) == Some("0001"))
        .map(|l| l.split_whitespace().nth(2).unwrap())
        .filter(|d| *d > "19970930")
        .collect();
    assert_eq!(h.frequency[0] as usize, days_after.len());
    assert_eq!(s.frequency()[0], 2);
}

#[test]
fn weeks_group_purchases_by_monday_to_sunday_week() {
    let day = MICROS_PER_DAY;
    // 1970-01-05 was a Monday (day 4): days 4 and 10 share a week, 11 starts the next.
    let tx = Transactions::from_int_ids(
        &[1, 1, 1],
        vec![4 * day, 10 * day, 11 * day],
        vec![1.0, 2.0, 4.0],
    )
    .unwrap();
    let s = ClvSummary::params().freq(Freq::Week).score(&tx).unwrap();
    assert_eq!(s.frequency(), [1]);
    assert_eq!(s.recency(), [1.0]);
    assert_eq!(s.monetary_value(), [4.0]);
    assert_eq!("7D".parse::<Freq>().unwrap(), Freq::Days(7));
    assert!("0D".parse::<Freq>().is_err() && "week".parse::<Freq>().is_err());
}

#[test]
fn bg_nbd_reproduces_the_published_cdnow_fit() {
    let h = cdnow_histories();
    let m = BgNbd::params().fit(&h).unwrap();
    let [r, alpha, a, b] = m.params();
    // lifetimes 0.11.3: r 0.242593, alpha 4.413532, a 0.792886, b 2.425752.
    assert!((r - 0.242593).abs() < 5e-6, "r {r}");
    assert!((alpha - 4.413532).abs() < 5e-5, "alpha {alpha}");
    assert!((a - 0.792886).abs() < 5e-5, "a {a}");
    assert!((b - 2.425752).abs() < 5e-4, "b {b}");
    let report = m.report().unwrap();
    // Published −9582.4; lifetimes' optimum −9582.43 (to 0.01).
    assert!(
        (report.log_likelihood - (-9582.43)).abs() < 0.01,
        "{}",
        report.log_likelihood
    );
    // Standard errors of lifetimes: 0.0126, 0.378, 0.186, 0.705.
    let se: Vec<f64> = report.standard_errors.iter().map(|s| s.unwrap()).collect();
    for (got, want) in se.iter().zip([0.0126, 0.378, 0.186, 0.705]) {
        assert!((got / want - 1.0).abs() < 0.02, "se {got} vs {want}");
    }
    // Predictions of lifetimes for customer 1 (x=2, t_x=30.43, T=38.86).
    assert!((m.p_alive_one(2.0, 30.43, 38.86) - 0.7266091).abs() < 1e-5);
    assert!((m.expected_purchases_one(39.0, 2.0, 30.43, 38.86) - 1.2259104).abs() < 1e-5);
    assert!((m.expected_purchases_new(39.0) - 1.1950162).abs() < 1e-5);
    let week: f64 = m.expected_purchases(1.0, &h).iter().sum();
    assert!((week - 52.147070).abs() < 1e-3, "{week}");
    let mean_alive = m.p_alive(&h).iter().sum::<f64>() / h.len() as f64;
    assert!((mean_alive - 0.8134393).abs() < 1e-5);
    // Saved and read back whole.
    let back = BgNbdModel::from_json(&m.to_json()).unwrap();
    assert_eq!(back, m);
}

#[test]
fn bg_nbd_penalty_matches_lifetimes() {
    // lifetimes 0.11.3, penalizer_coef 0.001 (times scaled so max T = 1):
    // r 0.242776, alpha 4.405278, a 0.498446, b 1.323244.
    let m = BgNbd::params()
        .penalizer(0.001)
        .fit(&cdnow_histories())
        .unwrap();
    let [r, alpha, a, b] = m.params();
    assert!((r - 0.242776).abs() < 1e-5, "r {r}");
    assert!((alpha - 4.405278).abs() < 1e-4, "alpha {alpha}");
    assert!((a - 0.498446).abs() < 1e-4, "a {a}");
    assert!((b - 1.323244).abs() < 1e-4, "b {b}");
}

#[test]
fn gamma_gamma_reproduces_the_published_cdnow_fit_and_clv() {
    use crate::clv::{Freq, GammaGamma, GammaGammaModel};
    let h = cdnow_histories();
    let gg = GammaGamma::params().fit(&h).unwrap();
    let [p, q, v] = gg.params();
    // lifetimes 0.11.3 on the 946 repeat buyers: p 6.248802, q 3.744588, v 15.447748.
    assert!((p - 6.248802).abs() < 1e-4, "p {p}");
    assert!((q - 3.744588).abs() < 1e-4, "q {q}");
    assert!((v - 15.447748).abs() < 1e-3, "v {v}");
    assert_eq!(gg.report().unwrap().customers, 946.0);
    let spend = gg.expected_average_spend(&h).unwrap();
    // lifetimes: customer 1 24.658616, customer 2 18.911480, one-time 35.171002.
    assert!((spend[0] - 24.658616).abs() < 1e-4);
    assert!((spend[1] - 18.911480).abs() < 1e-4);
    let one_time = h.frequency().iter().position(|&x| x == 0.0).unwrap();
    assert!((spend[one_time] - 35.171002).abs() < 1e-4);
    // CDNOW's frequency and spend are weakly correlated: no warning.
    assert!(gg.correlation().unwrap().abs() < 0.3 && gg.warning().is_none());
    let bg = BgNbd::params().fit(&h).unwrap();
    let clv = gg
        .clv(&bg, &h, 12, 0.01, Freq::Week.units_per_month())
        .unwrap();
    // lifetimes (time=12, discount_rate=0.01, freq="W"): 36.278496, 4.637466, one-time 8.344093, sum 71,509.90.
    assert!((clv[0] - 36.278496).abs() < 1e-3, "{}", clv[0]);
    assert!((clv[1] - 4.637466).abs() < 1e-3, "{}", clv[1]);
    assert!((clv[one_time] - 8.344093).abs() < 1e-3);
    assert!((clv.iter().sum::<f64>() - 71_509.90).abs() < 0.5);
    assert_eq!(
        GammaGammaModel::from_json(&gg.to_json()).unwrap().params(),
        gg.params()
    );
}

#[test]
fn gamma_gamma_warns_when_spend_follows_frequency() {
    use crate::clv::GammaGamma;
    let x: Vec<f64> = (1..=40).map(|i| f64::from(i % 8 + 1)).collect();
    let m: Vec<f64> = x
        .iter()
        .enumerate()
        .map(|(i, x)| 10.0 * x + (i % 3) as f64)
        .collect();
    let h = Histories::new(x.clone(), x.clone(), vec![50.0; 40])
        .unwrap()
        .with_monetary_value(m)
        .unwrap();
    let gg = GammaGamma::params().penalizer(0.01).fit(&h).unwrap();
    assert!(gg.correlation().unwrap() > 0.9);
    assert!(
        gg.warning().unwrap().contains("correlated"),
        "{:?}",
        gg.warning()
    );
    let bad = Histories::new(vec![1.0], vec![1.0], vec![2.0])
        .unwrap()
        .with_monetary_value(vec![-5.0])
        .unwrap();
    let e = GammaGamma::params().fit(&bad).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("monetary_value: value -5e0 at row 0"),
        "{e}"
    );
}

#[test]
fn pareto_nbd_reproduces_the_published_cdnow_fit() {
    use crate::clv::{ParetoNbd, ParetoNbdModel};
    let h = cdnow_histories();
    let m = ParetoNbd::params().fit(&h).unwrap();
    let [r, alpha, s, beta] = m.params();
    let ll = m.report().unwrap().log_likelihood;
    // Published (Fader-Hardie): r 0.55, alpha 10.58, s 0.61, beta 11.67, LL −9595.0;
    // lifetimes: r 0.5533, alpha 10.578, s 0.6062, beta 11.667.
    assert!((r - 0.5533).abs() < 5e-4, "r {r}");
    assert!((alpha - 10.578).abs() < 5e-3, "alpha {alpha}");
    assert!((s - 0.6062).abs() < 5e-4, "s {s}");
    assert!((beta - 11.667).abs() < 5e-3, "beta {beta}");
    assert!((ll - (-9595.0)).abs() < 0.05, "{ll}");
    assert_eq!(ParetoNbdModel::from_json(&m.to_json()).unwrap(), m);
}

#[test]
fn pareto_nbd_stays_finite_for_heavy_buyers_and_long_histories() {
    use crate::clv::ParetoNbdModel;
    let m = ParetoNbdModel::from_params(0.5533, 10.578, 0.6062, 11.667).unwrap();
    // Frequencies and T up to 10^4, one-time buyers, last purchase at T.
    for (x, t_x, t) in [
        (1e4, 9_000.0, 1e4),
        (1e4, 1e4, 1e4),
        (0.0, 0.0, 1e4),
        (3.0, 20.0, 20.0),
        (1.0, 1e-3, 1e4),
    ] {
        let h = Histories::new(vec![x], vec![t_x], vec![t]).unwrap();
        let ll = m.log_likelihood(&h);
        let p = m.p_alive_one(x, t_x, t);
        let e = m.expected_purchases_one(52.0, x, t_x, t);
        assert!(
            ll.is_finite() && (0.0..=1.0).contains(&p) && e.is_finite() && e >= 0.0,
            "{x} {t_x} {t}: {ll} {p} {e}"
        );
    }
    // Last purchase at T: alive for sure.
    assert_eq!(m.p_alive_one(3.0, 20.0, 20.0), 1.0);
}

#[test]
fn customers_first_seen_in_the_last_period_have_t_zero_and_fit() {
    use crate::clv::ParetoNbd;
    // Customers first seen on the end day have T = 0: valid, they carry no
    // information on the rates but must not stop the fit.
    let h = cdnow_histories();
    let mut f = h.frequency().to_vec();
    let mut r = h.recency().to_vec();
    let mut t = h.t().to_vec();
    f.push(0.0);
    r.push(0.0);
    t.push(0.0);
    let with_zero = Histories::new(f, r, t).unwrap();
    let m = BgNbd::params().fit(&with_zero).unwrap();
    assert_eq!(m.p_alive_one(0.0, 0.0, 0.0), 1.0);
    // A history with T = 0 has likelihood 1: the estimates do not move.
    let base = BgNbd::params().fit(&h).unwrap();
    for (a, b) in m.params().iter().zip(base.params()) {
        assert!((a / b - 1.0).abs() < 1e-6);
    }
    assert!(ParetoNbd::params().fit(&with_zero).is_ok());
    let all_zero = Histories::new(vec![0.0], vec![0.0], vec![0.0]).unwrap();
    let e = BgNbd::params().fit(&all_zero).unwrap_err();
    assert!(
        e.to_string().starts_with("T (every customer has T = 0"),
        "{e}"
    );
}

#[test]
fn synthetic_transactions_fit_bg_nbd() {
    use crate::SyntheticTransactions;
    let tx = SyntheticTransactions::params()
        .customers(300)
        .transactions(3_000)
        .generate()
        .unwrap()
        .to_transactions()
        .unwrap();
    let s = ClvSummary::params().freq(Freq::Week).score(&tx).unwrap();
    let bg = BgNbd::params().fit(&s).unwrap();
    assert!(bg.report().unwrap().convergence.gradient_norm < 1e-5);
}
