//! Every long computation returns [`CiblageError::Interrupted`] when its
//! token is set, before it starts or while it runs, and computes the same
//! thing as without a token when the token is not set.

use std::time::{Duration, Instant};

use ndarray::Array2;

use crate::churn::{ChurnFlags, Retention};
use crate::tree::cart::{Cart, CartCriterion, CartSplitter};
use crate::tree::chaid::{Chaid, ChaidWeights, Predictor, PredictorKind};
use crate::value::{CustomerTotals, ValueTiers};
use crate::{
    ActivityAccumulator, ActivityOptions, CiblageError, Interrupt, Rfm, SyntheticTransactions,
    Transactions,
};

fn set() -> Interrupt {
    let t = Interrupt::new();
    t.set();
    t
}

/// `n` rows of 3 features and a target that keeps trees growing deep.
fn regression_data(n: usize) -> (Array2<f64>, Vec<f64>) {
    let x = Array2::from_shape_fn((n, 3), |(r, c)| {
        ((r * 7919 + c * 104_729) % 1_000_003) as f64 / 1000.0
    });
    let y = (0..n).map(|r| ((r * 31) % 97) as f64).collect();
    (x, y)
}

fn transactions() -> Transactions {
    SyntheticTransactions::params()
        .customers(500)
        .transactions(5_000)
        .generate()
        .unwrap()
        .to_transactions()
        .unwrap()
}

#[test]
fn cart_fits_of_every_growth_stop() {
    let (x, y) = regression_data(2_000);
    let codes: Vec<u32> = y.iter().map(|v| (*v as u32) % 3).collect();
    let exact = Cart::regressor();
    let variants = [
        exact.clone(),
        exact
            .clone()
            .splitter(CartSplitter::Histogram { max_bins: 64 }),
        exact.clone().max_leaf_nodes(Some(50)),
        exact
            .clone()
            .splitter(CartSplitter::Histogram { max_bins: 64 })
            .max_leaf_nodes(Some(50)),
        exact.clone().criterion(CartCriterion::AbsoluteError),
    ];
    for params in variants {
        let fit = |token: Interrupt| {
            params
                .clone()
                .interrupt(token)
                .check()
                .unwrap()
                .fit(x.view(), &y, None)
        };
        assert_eq!(fit(set()), Err(CiblageError::Interrupted), "{params:?}");
        // A token not set changes nothing.
        assert_eq!(
            fit(Interrupt::new()).unwrap(),
            fit(Interrupt::default()).unwrap()
        );
    }
    let classifier = Cart::classifier().interrupt(set()).check().unwrap();
    assert_eq!(
        classifier.fit(x.view(), &codes, 3, None),
        Err(CiblageError::Interrupted)
    );
}

#[test]
fn a_cart_fit_stops_soon_after_its_token_is_set() {
    // Large enough to grow for seconds (unlimited depth, distinct targets).
    let n = 300_000;
    let x = Array2::from_shape_fn((n, 4), |(r, c)| {
        ((r * (c + 3) * 2_654_435_761) % 1_000_003) as f64
    });
    let y: Vec<f64> = (0..n)
        .map(|r| ((r * 48_271) % 2_147_483_647) as f64)
        .collect();
    let token = Interrupt::new();
    let params = Cart::regressor().interrupt(token.clone()).check().unwrap();
    let setter = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        token.set();
        Instant::now()
    });
    let result = params.fit(x.view(), &y, None);
    let returned = Instant::now();
    let set_at = setter.join().unwrap();
    assert_eq!(result, Err(CiblageError::Interrupted));
    // Generous for unoptimised builds on a busy machine.
    let delay = returned.saturating_duration_since(set_at);
    assert!(delay < Duration::from_secs(2), "{delay:?}");
}

#[test]
fn chaid_fits_stop() {
    let n = 600;
    let a: Vec<i64> = (0..n).map(|i| (i % 5) as i64).collect();
    let b: Vec<i64> = (0..n).map(|i| (i * 7 % 4) as i64).collect();
    let y: Vec<u32> = (0..n).map(|i| u32::from(i % 5 < 2)).collect();
    let predictors = || {
        vec![
            Predictor::from_ints("a", PredictorKind::Nominal, &a).unwrap(),
            Predictor::from_ints("b", PredictorKind::Ordinal, &b).unwrap(),
        ]
    };
    let classes = vec!["no".to_string(), "yes".to_string()];
    let fit = |token: Interrupt| {
        Chaid::classifier()
            .min_parent(10.0)
            .min_child(5.0)
            .interrupt(token)
            .check()
            .unwrap()
            .fit(predictors(), &y, classes.clone(), ChaidWeights::default())
    };
    assert_eq!(fit(set()).err(), Some(CiblageError::Interrupted));
    let values: Vec<f64> = y.iter().map(|&v| f64::from(v)).collect();
    let regressor = Chaid::regressor().interrupt(set()).check().unwrap();
    assert_eq!(
        regressor
            .fit(predictors(), &values, ChaidWeights::default())
            .err(),
        Some(CiblageError::Interrupted)
    );
    let plain = fit(Interrupt::default()).unwrap();
    assert_eq!(
        fit(Interrupt::new()).unwrap().nodes().len(),
        plain.nodes().len()
    );
}

#[test]
fn rfm_and_its_accumulator_stop() {
    let tx = transactions();
    let fit = |token: Interrupt| Rfm::params().interrupt(token).check().unwrap().score(&tx);
    assert_eq!(fit(set()).err(), Some(CiblageError::Interrupted));
    assert_eq!(
        fit(Interrupt::new()).unwrap().r_scores(),
        fit(Interrupt::default()).unwrap().r_scores()
    );
    let view = tx.view();
    let mut acc = ActivityAccumulator::new(ActivityOptions::default(), false).interrupt(set());
    let pushed = acc.push(
        view.codes(),
        view.timestamps(),
        view.amounts(),
        None,
        view.customers(),
    );
    assert_eq!(pushed, Err(CiblageError::Interrupted));
}

#[test]
fn churn_analyses_stop() {
    let tx = transactions();
    let retention = Retention::params().interrupt(set()).check().unwrap();
    assert_eq!(retention.score(&tx).err(), Some(CiblageError::Interrupted));
    let flags = ChurnFlags::params().interrupt(set()).score(tx.view());
    assert_eq!(flags.err(), Some(CiblageError::Interrupted));
    let free = ChurnFlags::params().interrupt(Interrupt::new()).score(&tx);
    assert_eq!(free.unwrap(), ChurnFlags::params().score(&tx).unwrap());
}

#[test]
fn value_tiers_and_totals_stop() {
    let values: Vec<f64> = (0..1_000).map(f64::from).collect();
    let tiers = ValueTiers::params().interrupt(set()).check().unwrap();
    assert_eq!(tiers.score(&values).err(), Some(CiblageError::Interrupted));
    let codes: Vec<u32> = (0..1_000).map(|i| i % 10).collect();
    let totals = CustomerTotals::params()
        .interrupt(set())
        .score_codes(&codes, 10, &values, None);
    assert_eq!(totals.err(), Some(CiblageError::Interrupted));
    let free = CustomerTotals::params()
        .interrupt(Interrupt::new())
        .score_codes(&codes, 10, &values, None);
    assert_eq!(
        free.unwrap(),
        CustomerTotals::params()
            .score_codes(&codes, 10, &values, None)
            .unwrap()
    );
}

#[test]
fn tokens_of_two_computations_are_apart() {
    // One computation interrupted, the other, at the same time on another
    // thread, not.
    let (x, y) = regression_data(5_000);
    let stopped = Cart::regressor().interrupt(set()).check().unwrap();
    let free = Cart::regressor()
        .interrupt(Interrupt::new())
        .check()
        .unwrap();
    let (a, b) = rayon::join(
        || stopped.fit(x.view(), &y, None),
        || free.fit(x.view(), &y, None),
    );
    assert_eq!(a, Err(CiblageError::Interrupted));
    assert!(b.is_ok());
}

/// Every call of a progress sink.
type SinkCalls = std::sync::Arc<std::sync::Mutex<Vec<(u64, u64)>>>;

/// A token with a progress sink: the counters and every call of the sink.
fn counting() -> (Interrupt, SinkCalls) {
    let calls = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = std::sync::Arc::clone(&calls);
    let token = Interrupt::with_progress(move |d, t| sink.lock().unwrap().push((d, t)));
    (token, calls)
}

#[test]
fn tree_fits_count_every_sample_once_and_compute_the_same() {
    let (x, y) = regression_data(3_000);
    let exact = Cart::regressor().max_depth(Some(12));
    let hist = exact
        .clone()
        .splitter(CartSplitter::Histogram { max_bins: 64 });
    let variants = [
        exact.clone(),
        hist.clone(),
        exact.clone().max_leaf_nodes(Some(50)),
        hist.max_leaf_nodes(Some(50)),
    ];
    for params in variants {
        let (token, calls) = counting();
        let with = params
            .clone()
            .interrupt(token.clone())
            .fit(x.view(), &y, None);
        let without = params.clone().fit(x.view(), &y, None);
        assert_eq!(with.unwrap(), without.unwrap(), "{params:?}");
        // Each of the 3,000 samples ends in exactly one leaf.
        assert_eq!(token.progress(), Some((3_000, 3_000)), "{params:?}");
        assert!(calls.lock().unwrap().iter().all(|&(d, t)| d <= t));
    }
    // Zero weights take no part: they are not counted.
    let weights: Vec<f64> = (0..3_000)
        .map(|i| f64::from(u8::from(i % 3 != 0)))
        .collect();
    let (token, _) = counting();
    Cart::regressor()
        .interrupt(token.clone())
        .fit(x.view(), &y, Some(&weights))
        .unwrap();
    assert_eq!(token.progress(), Some((2_000, 2_000)));

    let n = 600;
    let a: Vec<i64> = (0..n).map(|i| (i % 5) as i64).collect();
    let y: Vec<u32> = (0..n).map(|i| u32::from(i % 5 < 2)).collect();
    let fit = |token: Interrupt| {
        Chaid::classifier()
            .min_parent(10.0)
            .min_child(5.0)
            .interrupt(token)
            .fit(
                vec![Predictor::from_ints("a", PredictorKind::Nominal, &a).unwrap()],
                &y,
                vec!["no".to_string(), "yes".to_string()],
                ChaidWeights::default(),
            )
            .unwrap()
    };
    let (token, _) = counting();
    assert_eq!(
        fit(token.clone()).nodes().len(),
        fit(Interrupt::default()).nodes().len()
    );
    assert_eq!(token.progress(), Some((600, 600)));
}

#[test]
fn rfm_and_retention_report_their_passes() {
    let tx = transactions();
    let (token, _) = counting();
    let with = Rfm::params().interrupt(token.clone()).score(&tx).unwrap();
    assert_eq!(
        with.r_scores(),
        Rfm::params().score(&tx).unwrap().r_scores()
    );
    let (done, total) = token.progress().unwrap();
    assert!(total > 0 && done == total, "{done} of {total}");
    let (token, _) = counting();
    Retention::params()
        .interrupt(token.clone())
        .score(&tx)
        .unwrap();
    assert_eq!(token.progress(), Some((3, 3)));
}
