//! Customer lifetime value: the purchase summary of 1M transactions, the
//! BG/NBD and Pareto/NBD fits at 10k, 100k and 1M customers (Pareto/NBD
//! also at 300k, and on 10k histories without dropout), the per-customer
//! predictions (P(alive), expected purchases) at 1M, and the pattern
//! compression and the MBG/NBD fit and predictions at 1M.
//!
//! `cargo bench -p ciblage-benches --bench clv`. The histories are
//! simulated from a BG/NBD process (seeded): T uniform over 1..730 days,
//! purchases at a gamma-distributed rate (r 0.25, alpha 30 days), dropout
//! after a purchase with a beta-distributed probability (a 0.8, b 2.4),
//! times in whole days as a daily summary gives them.
//! `benches/python/bench_clv.py` compares with lifetimes and pymc-marketing.

// criterion_group!/criterion_main! generate undocumented public items.
#![allow(missing_docs)]

use ciblage::clv::{BgNbd, ClvSummary, Freq, Histories, MbgNbd, ParetoNbd};
use ciblage::SyntheticTransactions;
use criterion::{criterion_group, criterion_main, Criterion};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta, Distribution, Exp, Gamma};

/// `n` BG/NBD histories in days (seed 42).
fn histories(n: usize) -> Histories {
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let rate = Gamma::<f64>::new(0.25, 1.0 / 30.0).expect("gamma");
    let dropout = Beta::<f64>::new(0.8, 2.4).expect("beta");
    let (mut freq, mut rec, mut age) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for _ in 0..n {
        let t_end = f64::from(rng.random_range(1..=730u32));
        let lambda: f64 = rate.sample(&mut rng).max(1e-12);
        let p: f64 = dropout.sample(&mut rng);
        let gap = Exp::new(lambda).expect("exp");
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

/// `n` histories in days without any dropout: purchases at gamma-distributed
/// Poisson rates (r 0.5, alpha 20 days) over 30 to 365 days (seed 3). The
/// unpenalised Pareto/NBD optimum lies at the no-dropout boundary.
fn no_dropout_histories(n: usize) -> Histories {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let rate = Gamma::<f64>::new(0.5, 1.0 / 20.0).expect("gamma");
    let (mut freq, mut rec, mut age) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..n {
        let end = f64::from(rng.random_range(30..=365u32));
        let gap = Exp::new(rate.sample(&mut rng).max(1e-12)).expect("exp");
        let (mut now, mut x, mut last) = (0.0, 0.0, 0.0);
        loop {
            now += gap.sample(&mut rng);
            if now > end {
                break;
            }
            x += 1.0;
            last = f64::floor(now);
        }
        freq.push(x);
        rec.push(last);
        age.push(end);
    }
    Histories::new(freq, rec, age).expect("valid histories")
}

fn bench_clv(c: &mut Criterion) {
    let tx = SyntheticTransactions::params()
        .customers(100_000)
        .transactions(1_000_000)
        .generate()
        .expect("synthetic data")
        .to_transactions()
        .expect("transactions");
    let mut group = c.benchmark_group("clv");
    group.sample_size(10);
    let summary = ClvSummary::params().freq(Freq::Day).check().expect("valid");
    group.bench_function("summary_1M_rows", |b| {
        b.iter(|| summary.score(&tx).expect("summary").len())
    });
    for n in [10_000, 100_000, 1_000_000] {
        let h = histories(n);
        group.bench_function(format!("bg_nbd_fit_{n}"), |b| {
            b.iter(|| BgNbd::params().fit(&h).expect("fit").params())
        });
        group.bench_function(format!("pareto_nbd_fit_{n}"), |b| {
            b.iter(|| ParetoNbd::params().fit(&h).expect("fit").params())
        });
    }
    let h = histories(300_000);
    group.bench_function("pareto_nbd_fit_300000", |b| {
        b.iter(|| ParetoNbd::params().fit(&h).expect("fit").params())
    });
    let h = no_dropout_histories(10_000);
    group.bench_function("pareto_nbd_fit_no_dropout_10000", |b| {
        b.iter(|| ParetoNbd::params().fit(&h).expect("fit").params())
    });
    let h = histories(1_000_000);
    let bg = BgNbd::params().fit(&h).expect("fit");
    let pareto = ParetoNbd::params().fit(&h).expect("fit");
    group.bench_function("bg_nbd_predict_1M", |b| {
        b.iter(|| (bg.p_alive(&h).len(), bg.expected_purchases(30.0, &h).len()))
    });
    group.bench_function("patterns_1M", |b| b.iter(|| h.patterns().len()));
    group.bench_function("mbg_nbd_fit_1M", |b| {
        b.iter(|| MbgNbd::params().fit(&h).expect("fit").params())
    });
    let mbg = MbgNbd::params().fit(&h).expect("fit");
    group.bench_function("mbg_nbd_predict_1M", |b| {
        b.iter(|| {
            (
                mbg.p_alive(&h).len(),
                mbg.expected_purchases(30.0, &h).len(),
            )
        })
    });
    group.bench_function("pareto_nbd_predict_1M", |b| {
        b.iter(|| {
            (
                pareto.p_alive(&h).len(),
                pareto.expected_purchases(30.0, &h).len(),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, bench_clv);
criterion_main!(benches);
