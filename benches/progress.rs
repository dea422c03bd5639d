//! The cost of progress reporting: the same long calls timed without a
//! token, with a plain cancellation token, and with a token that reports
//! its progress to a sink, side by side in one group per call.
//!
//! `cargo bench -p ciblage-benches --bench progress`: CART fits (exact and
//! histogram splitters, 100,000 rows × 20 features, depth 8, one thread),
//! a CHAID fit (1M rows × 10 nominal predictors, depth 3), RFM aggregation
//! and scoring of 4M rows / 400k customers, monthly retention of the same
//! rows, and a BG/NBD fit of 100k customers. The sink is what the Python
//! binding's is, less the call into Python: it stores the last `(done,
//! total)`; the token calls it at most about ten times a second, so the
//! three timings of a group should agree within the noise.
//!
//! Under `cargo test` (a debug build) each call runs once on a tenth of the
//! data, to check that the benches work.

// criterion_group!/criterion_main! generate undocumented public items.
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use ciblage::churn::{Period, Retention};
use ciblage::clv::{BgNbd, Histories};
use ciblage::tree::cart::{Cart, CartSplitter};
use ciblage::tree::chaid::{
    Chaid, ChaidPreset, ChaidWeights, Predictor, PredictorColumn, PredictorKind,
};
use ciblage::{ActivityAccumulator, Interrupt, Rfm, SyntheticTransactions, Transactions};
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion};
use ndarray::Array2;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta, Distribution, Exp, Gamma, StandardNormal};

/// Divides the sizes in a debug build (the `cargo test` run).
const SCALE: usize = if cfg!(debug_assertions) { 10 } else { 1 };

/// A named way of making a token.
type Token = (&'static str, fn() -> Interrupt);

/// The three tokens every group compares.
fn tokens() -> [Token; 3] {
    [
        ("no_token", Interrupt::default),
        ("cancel_token", Interrupt::new),
        ("progress_token", with_sink),
    ]
}

/// A token whose sink keeps the last report, as the binding's does before
/// handing it to Python.
fn with_sink() -> Interrupt {
    let last = Arc::new(AtomicU64::new(0));
    Interrupt::with_progress(move |done, total| {
        last.store(done ^ total.rotate_left(32), Ordering::Relaxed);
    })
}

type Group<'a> = BenchmarkGroup<'a, criterion::measurement::WallTime>;

/// Adds the three timings of `run(token)` to `group`.
fn side_by_side<R>(group: &mut Group<'_>, run: impl Fn(Interrupt) -> R) {
    for (name, token) in tokens() {
        group.bench_function(name, |b| b.iter(|| black_box(run(token()))));
    }
}

/// The CART workload of `benches/cart.rs`: a logistic class on 10 of 20
/// standard normal features.
fn cart_data() -> (Array2<f64>, Vec<u32>) {
    let (rows, features) = (100_000 / SCALE, 20);
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let x = Array2::from_shape_fn((rows, features), |_| StandardNormal.sample(&mut rng));
    let classes = x
        .rows()
        .into_iter()
        .map(|r| {
            let s: f64 = r
                .iter()
                .take(10)
                .enumerate()
                .map(|(j, v)| v * (1.0 - 0.15 * j as f64))
                .sum();
            u32::from(rng.random::<f64>() < 1.0 / (1.0 + (-s).exp()))
        })
        .collect();
    (x, classes)
}

fn bench_cart(c: &mut Criterion) {
    let (x, y) = cart_data();
    let hist = CartSplitter::Histogram { max_bins: 255 };
    for (name, splitter) in [("exact", CartSplitter::Exact), ("hist", hist)] {
        let mut group = c.benchmark_group(format!("progress_cart_{name}_100k_rows_depth_8"));
        group.sample_size(10);
        side_by_side(&mut group, |token| {
            Cart::classifier()
                .max_depth(Some(8))
                .n_threads(Some(1))
                .splitter(splitter)
                .interrupt(token)
                .fit(x.view(), &y, 2, None)
                .expect("fit")
                .node_count()
        });
        group.finish();
    }
}

/// 10 nominal columns of 3 to 12 levels and a binary target on 4 of them.
fn chaid_data() -> (Vec<Vec<i64>>, Vec<u32>) {
    let rows = 1_000_000 / SCALE;
    let levels = [3u32, 4, 5, 6, 7, 8, 9, 10, 11, 12];
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let mut cols: Vec<Vec<i64>> = levels.iter().map(|_| Vec::with_capacity(rows)).collect();
    let mut y = Vec::with_capacity(rows);
    let mut row = [0u32; 10];
    for _ in 0..rows {
        for (c, &k) in levels.iter().enumerate() {
            row[c] = rng.random_range(0..k);
            cols[c].push(i64::from(row[c]));
        }
        let odds = 0.6 * f64::from(u8::from(row[0] == 1)) - 0.4 * f64::from(u8::from(row[3] >= 4))
            + 0.3 * f64::from(u8::from(row[7] % 3 == 0))
            - 0.2 * f64::from(u8::from(row[9] < 3));
        y.push(u32::from(rng.random::<f64>() < 1.0 / (1.0 + (-odds).exp())));
    }
    (cols, y)
}

fn bench_chaid(c: &mut Criterion) {
    let (cols, y) = chaid_data();
    let classes = vec!["0".to_owned(), "1".to_owned()];
    let mut group = c.benchmark_group("progress_chaid_1M_rows_depth_3");
    group.sample_size(10);
    side_by_side(&mut group, |token| {
        let columns = cols
            .iter()
            .enumerate()
            .map(|(i, c)| {
                (
                    format!("x{i}"),
                    PredictorKind::Nominal,
                    PredictorColumn::Ints(c),
                )
            })
            .collect();
        let predictors = Predictor::build_all(columns, None, 10).expect("valid columns");
        Chaid::classifier()
            .preset(ChaidPreset::ChaidPackage)
            .max_depth(Some(3))
            .interrupt(token)
            .fit(predictors, &y, classes.clone(), ChaidWeights::default())
            .expect("fit")
            .nodes()
            .len()
    });
    group.finish();
}

fn transactions() -> Transactions {
    SyntheticTransactions::params()
        .customers(400_000 / SCALE)
        .transactions(4_000_000 / SCALE)
        .generate()
        .expect("synthetic data")
        .to_transactions()
        .expect("transactions")
}

fn bench_rfm_retention(c: &mut Criterion) {
    let tx = transactions();
    // RFM as the binding runs it: the accumulator and the scoring share
    // the token.
    let mut group = c.benchmark_group("progress_rfm_4M_rows_400k_customers");
    group.sample_size(10);
    side_by_side(&mut group, |token| {
        let params = Rfm::params()
            .interrupt(token.clone())
            .check()
            .expect("valid");
        let mut acc =
            ActivityAccumulator::new(params.activity_options(tx.zone()), false).interrupt(token);
        acc.push(
            tx.codes(),
            tx.timestamps(),
            tx.amounts(),
            None,
            tx.customers().len(),
        )
        .expect("valid rows");
        params
            .score_activity(&acc.finish(), tx.customers())
            .expect("scores")
            .len()
    });
    group.finish();
    let mut group = c.benchmark_group("progress_retention_4M_rows_monthly");
    group.sample_size(10);
    side_by_side(&mut group, |token| {
        Retention::params()
            .period(Period::Month)
            .interrupt(token)
            .score(&tx)
            .expect("retention")
            .cohorts()
            .len()
    });
    group.finish();
}

/// BG/NBD histories in days (as `benches/clv.rs`).
fn histories(n: usize) -> Histories {
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let rate = Gamma::<f64>::new(0.25, 1.0 / 30.0).expect("gamma");
    let dropout = Beta::<f64>::new(0.8, 2.4).expect("beta");
    let (mut freq, mut rec, mut age) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..n {
        let t_end = f64::from(rng.random_range(1..=730u32));
        let gap = Exp::new(rate.sample(&mut rng).max(1e-12)).expect("exp");
        let p: f64 = dropout.sample(&mut rng);
        let (mut t, mut x, mut t_x) = (0.0, 0.0, 0.0);
        loop {
            t += gap.sample(&mut rng);
            if t > t_end {
                break;
            }
            x += 1.0;
            t_x = f64::floor(t).max(t_x);
            if rng.random::<f64>() < p {
                break;
            }
        }
        freq.push(x);
        rec.push(if x == 0.0 { 0.0 } else { t_x });
        age.push(t_end);
    }
    Histories::new(freq, rec, age).expect("valid histories")
}

fn bench_bg_nbd(c: &mut Criterion) {
    let h = histories(100_000 / SCALE);
    let mut group = c.benchmark_group("progress_bg_nbd_fit_100k_customers");
    group.sample_size(10);
    side_by_side(&mut group, |token| {
        BgNbd::params()
            .interrupt(token)
            .fit(&h)
            .expect("fit")
            .params()
    });
    group.finish();
}

criterion_group!(
    benches,
    bench_cart,
    bench_chaid,
    bench_rfm_retention,
    bench_bg_nbd
);
criterion_main!(benches);
