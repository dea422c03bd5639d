//! Value tiers, Gini and the monthly retention/cohort analysis.
//!
//! `cargo bench -p ciblage-benches --bench value_churn`; 10M rows / 1M
//! customers (synthetic, seed 42), integer ids.

// criterion_group!/criterion_main! generate undocumented public items.
#![allow(missing_docs)]

use ciblage::churn::{Period, Retention};
use ciblage::value::{Concentration, CustomerTotals, ValueTiers};
use ciblage::{ActivityAccumulator, Rfm, SyntheticTransactions};
use criterion::{criterion_group, criterion_main, Criterion};

fn bench_value_churn(c: &mut Criterion) {
    let data = SyntheticTransactions::params()
        .customers(1_000_000)
        .transactions(10_000_000)
        .generate()
        .expect("synthetic data");
    let tx = data.to_transactions().expect("transactions");
    let params = Rfm::params().check().expect("valid defaults");
    let mut acc = ActivityAccumulator::new(params.activity_options(tx.zone()), false);
    acc.push(
        tx.codes(),
        tx.timestamps(),
        tx.amounts(),
        None,
        tx.customers().len(),
    )
    .expect("valid rows");
    let revenue = acc.finish().revenue;
    let mut group = c.benchmark_group("value_churn_10Mrows_1Mcustomers");
    group.sample_size(10);
    group.bench_function("customer_totals", |b| {
        b.iter(|| {
            CustomerTotals::params()
                .score_codes(tx.codes(), tx.customers().len(), tx.amounts(), None)
                .expect("totals")
                .len()
        })
    });
    let tiers = ValueTiers::params().check().expect("valid defaults");
    group.bench_function("tiers_5_15_80", |b| {
        b.iter(|| tiers.score(&revenue).expect("tiers").summary().len())
    });
    group.bench_function("gini", |b| {
        b.iter(|| Concentration::of(&revenue).expect("concentration").gini())
    });
    let retention = Retention::params()
        .period(Period::Month)
        .check()
        .expect("valid params");
    group.bench_function("retention_monthly_cohorts", |b| {
        b.iter(|| retention.score(&tx).expect("retention").cohorts().len())
    });
    group.finish();
}

criterion_group!(benches, bench_value_churn);
criterion_main!(benches);
