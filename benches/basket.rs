//! FP-growth frequent itemsets and association rules from order lines.
//!
//! `cargo bench -p ciblage-benches --bench basket`; 1M baskets over 1,000
//! products (synthetic, seed 42: sizes 1 to 8, Zipf-like popularity, pairs
//! of products bought together), support 0.001, from the order-line codes
//! (grouping into baskets included).

// criterion_group!/criterion_main! generate undocumented public items.
#![allow(missing_docs)]

use ciblage::basket::{AssociationRules, FpGrowth, OrderLines};
use criterion::{criterion_group, criterion_main, Criterion};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Order and product codes of `baskets` synthetic baskets.
fn order_lines(baskets: u32, products: u32) -> (Vec<u32>, Vec<u32>) {
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    // Popularity ~ 1 / (rank + 10): a cumulative table, sampled by search.
    let weights: Vec<f64> = (0..products).map(|p| 1.0 / (f64::from(p) + 10.0)).collect();
    let total: f64 = weights.iter().sum();
    let mut cumulative = Vec::with_capacity(weights.len());
    let mut acc = 0.0;
    for w in &weights {
        acc += w / total;
        cumulative.push(acc);
    }
    let (mut orders, mut items) = (Vec::new(), Vec::new());
    for o in 0..baskets {
        let size = rng.random_range(1..=8);
        for _ in 0..size {
            let u: f64 = rng.random();
            let p = cumulative
                .partition_point(|&c| c < u)
                .min(products as usize - 1) as u32;
            orders.push(o);
            items.push(p);
            // Every product's "partner" (p ^ 1) joins it a third of the time.
            if rng.random::<f64>() < 0.33 {
                orders.push(o);
                items.push(p ^ 1);
            }
        }
    }
    (orders, items)
}

fn bench_basket(c: &mut Criterion) {
    let (orders, products) = order_lines(1_000_000, 1_000);
    let mut group = c.benchmark_group("basket_1Mbaskets_1000products");
    group.sample_size(10);
    group.bench_function("order_lines", |b| {
        b.iter(|| {
            OrderLines::from_codes(&orders, &products)
                .expect("lines")
                .len()
        })
    });
    let lines = OrderLines::from_codes(&orders, &products).expect("lines");
    let fp = FpGrowth::params()
        .min_support(0.001)
        .check()
        .expect("valid params");
    group.bench_function("fpgrowth_support_0.001", |b| {
        b.iter(|| fp.score(&lines).expect("itemsets").len())
    });
    let sets = fp.score(&lines).expect("itemsets");
    let rules = AssociationRules::params()
        .min_threshold(0.1)
        .check()
        .expect("valid params");
    group.bench_function("rules_confidence_0.1", |b| {
        b.iter(|| rules.score(&sets).expect("rules").len())
    });
    group.finish();
}

criterion_group!(benches, bench_basket);
criterion_main!(benches);
