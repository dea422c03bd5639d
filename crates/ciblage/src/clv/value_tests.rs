use super::*;
use crate::clv::GammaGamma;
use crate::SyntheticTransactions;

fn transactions() -> Transactions {
    SyntheticTransactions::params()
        .customers(300)
        .transactions(3_000)
        .generate()
        .unwrap()
        .to_transactions()
        .unwrap()
}

#[test]
fn monthly_value_table_matches_the_models_fitted_apart() {
    let tx = transactions();
    let weekly = || {
        ClvSummary::params()
            .freq(Freq::Week)
            .negative_amounts(crate::NegativeAmounts::Exclude)
    };
    let summary = weekly().score(&tx).unwrap();
    let values = CustomerValue::params()
        .summary(weekly())
        .score(&tx)
        .unwrap();
    assert_eq!(values.spend_left_out(), 0);
    assert_eq!(values.len(), summary.len());
    assert_eq!(values.ids().unwrap(), summary.ids());
    let h = summary.histories();
    let bg = BgNbd::params().fit(&h).unwrap();
    let gg = GammaGamma::params().fit(&h).unwrap();
    assert_eq!(
        values.purchase_model(),
        &FittedPurchaseModel::BgNbd(bg.clone())
    );
    assert_eq!(values.spend_model(), &gg);
    let clv = gg
        .clv(&bg, &h, 12, 0.01, Freq::Week.units_per_month())
        .unwrap();
    let spend = gg.expected_average_spend(&h).unwrap();
    for i in 0..h.len() {
        let (x, tx, t) = (h.frequency()[i], h.recency()[i], h.t()[i]);
        assert!((values.clv()[i] - clv[i]).abs() <= 1e-12 * clv[i].abs().max(1.0));
        assert_eq!(values.p_alive()[i], bg.p_alive_one(x, tx, t));
        let n = bg.expected_purchases_one(12.0 * 4.345, x, tx, t);
        assert_eq!(values.expected_purchases()[i], n);
        assert!(
            (values.expected_spend()[i] - n * spend[i]).abs() <= 1e-12 * (n * spend[i]).max(1.0)
        );
        assert_eq!(values.monetary_value()[i], summary.monetary_value()[i]);
    }
}

#[test]
fn continuous_discounting_is_dert_times_spend() {
    let tx = transactions();
    let values = CustomerValue::params()
        .model(PurchaseModelKind::ParetoNbd)
        .penalizer(0.01)
        .discounting(Discounting::Continuous)
        .discount_rate(0.02)
        .horizon(24)
        .score(&tx)
        .unwrap();
    let FittedPurchaseModel::ParetoNbd(pn) = values.purchase_model() else {
        panic!("not Pareto/NBD")
    };
    let delta = 0.02_f64.ln_1p() / 4.345;
    for i in 0..values.len() {
        let (x, tx, t) = (values.frequency()[i], values.recency()[i], values.t()[i]);
        let m = values.monetary_value()[i];
        let spend = if x > 0.0 && m <= 0.0 {
            m // left out of the spend fit: its own mean
        } else {
            values.spend_model().expected_average_spend_one(x, m)
        };
        let want = spend * pn.dert_one(delta, Some(24.0 * 4.345), x, tx, t);
        assert!((values.clv()[i] - want).abs() <= 1e-12 * want.max(1.0));
        // Discounting lowers the value below the undiscounted spend.
        assert!(values.clv()[i].abs() <= values.expected_spend()[i].abs() * (1.0 + 1e-12));
    }
    // Monthly and continuous discounting of the same months are close.
    let monthly = CustomerValue::params()
        .model(PurchaseModelKind::ParetoNbd)
        .penalizer(0.01)
        .discount_rate(0.02)
        .horizon(24)
        .score(&tx)
        .unwrap();
    assert!(values.spend_left_out() > 0); // the synthetic data has net returns
    let (a, b): (f64, f64) = (monthly.clv().iter().sum(), values.clv().iter().sum());
    assert!((a - b).abs() < 0.02 * a, "{a} {b}");
}

#[test]
fn parameters_are_checked_and_named() {
    let name = |p: CustomerValueParams| match p.check() {
        Err(CiblageError::InvalidParameter { name, .. }) => name,
        other => panic!("{other:?}"),
    };
    assert_eq!(name(CustomerValue::params().horizon(0)), "horizon");
    assert_eq!(
        name(CustomerValue::params().discount_rate(-0.1)),
        "discount_rate"
    );
    assert_eq!(
        name(CustomerValue::params().discount_rate(f64::NAN)),
        "discount_rate"
    );
    assert_eq!(name(CustomerValue::params().penalizer(-1.0)), "penalizer");
    assert_eq!(
        name(CustomerValue::params().spend_penalizer(f64::INFINITY)),
        "spend_penalizer"
    );
    assert_eq!(
        name(CustomerValue::params().max_iterations(0)),
        "max_iterations"
    );
    assert_eq!(
        name(CustomerValue::params().summary(ClvSummary::params().freq(Freq::Days(0)))),
        "freq"
    );
    assert!(matches!(
        "x".parse::<Discounting>(),
        Err(CiblageError::InvalidParameter {
            name: "discounting",
            ..
        })
    ));
    assert!(matches!(
        "bg".parse::<PurchaseModelKind>(),
        Err(CiblageError::InvalidParameter { name: "model", .. })
    ));
    assert_eq!(
        "continuous".parse::<Discounting>().unwrap(),
        Discounting::Continuous
    );
    assert_eq!(
        "paretonbd".parse::<PurchaseModelKind>().unwrap(),
        PurchaseModelKind::ParetoNbd
    );
}

#[test]
fn value_tiers_take_clv_as_their_value() {
    let values = CustomerValue::params().score(&transactions()).unwrap();
    let tiers = crate::value::ValueTiers::params()
        .score(values.clv())
        .unwrap();
    assert_eq!(tiers.rank().len(), values.len());
    // The best-ranked customer has the highest CLV.
    let best = values.clv().iter().cloned().fold(f64::MIN, f64::max);
    let top = (0..values.len()).find(|&i| tiers.rank()[i] == 1).unwrap();
    assert_eq!(values.clv()[top], best);
}

#[test]
fn mbgnbd_is_a_value_table_model() {
    let tx = transactions();
    assert_eq!(
        "mbgnbd".parse::<PurchaseModelKind>().unwrap(),
        PurchaseModelKind::MbgNbd
    );
    let values = CustomerValue::params()
        .model(PurchaseModelKind::MbgNbd)
        .penalizer(0.01)
        .score(&tx)
        .unwrap();
    let FittedPurchaseModel::MbgNbd(m) = values.purchase_model() else {
        panic!("not MBG/NBD")
    };
    for i in 0..values.len() {
        let (x, tx, t) = (values.frequency()[i], values.recency()[i], values.t()[i]);
        assert_eq!(values.p_alive()[i], m.p_alive_one(x, tx, t));
        // Under MBG/NBD a customer without a repeat purchase may have left.
        assert!(values.p_alive()[i] <= 1.0);
    }
    assert!(values.p_alive().iter().any(|&p| p < 1.0));
}
