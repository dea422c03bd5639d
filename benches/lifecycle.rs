//! Lifecycle rules on 1M customers: the default rules plus 18 more (30 in
//! all), with a contact history of 2M contacts.
//!
//! `cargo bench -p ciblage-benches --bench lifecycle`

// criterion_group!/criterion_main! generate undocumented public items.
#![allow(missing_docs)]

use ciblage_lifecycle::{ContactHistory, CustomerStates, Field, Lifecycle, RuleSet, DEFAULT_RULES};
use criterion::{criterion_group, criterion_main, Criterion};

const N: usize = 1_000_000;
const TODAY: i64 = 20_000;

/// A deterministic pseudo-random stream (SplitMix64).
fn stream(seed: u64) -> impl FnMut() -> f64 {
    let mut s = seed;
    move || {
        s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) as f64 / u64::MAX as f64
    }
}

fn states() -> CustomerStates {
    let mut r = stream(42);
    let mut col = |scale: f64| (0..N).map(|_| (r() * scale).floor()).collect::<Vec<f64>>();
    let tiers: Vec<&str> = col(20.0)
        .into_iter()
        .map(|x| match x as u32 {
            0 => "Best",
            1..=3 => "Standard",
            _ => "Small",
        })
        .collect();
    CustomerStates::new(N)
        .with(Field::Frequency, col(40.0))
        .and_then(|s| s.with(Field::RecencyDays, col(1000.0)))
        .and_then(|s| s.with(Field::TenureDays, col(2000.0)))
        .and_then(|s| s.with(Field::Monetary, col(5000.0)))
        .and_then(|s| s.with(Field::Complaints, col(1.05)))
        .and_then(|s| s.with(Field::Satisfaction, col(6.0)))
        .and_then(|s| s.with(Field::ContractEndDays, col(400.0)))
        .and_then(|s| {
            s.with(
                Field::SpendChange,
                col(2.0).into_iter().map(|x| x - 1.0).collect(),
            )
        })
        .and_then(|s| s.with_tiers(&tiers))
        .expect("valid columns")
}

fn rules() -> RuleSet {
    let mut text = DEFAULT_RULES.to_owned();
    for k in 0..18 {
        text.push_str(&format!(
            "\n[[rule]]\nname = \"extra_{k}\"\npriority = {}\nwhen = [{{ field = \"monetary\", op = \">\", value = {} }}, {{ field = \"recency_days\", op = \"<\", value = {} }}]\naction = \"offer {k}\"\ncost = 1.0\n",
            k % 7,
            250 * k,
            100 + 40 * k
        ));
    }
    RuleSet::from_toml(&text).expect("valid rules")
}

fn bench_lifecycle(c: &mut Criterion) {
    let states = states();
    let rules = rules();
    assert_eq!(rules.rule_names().len(), 30);
    let mut r = stream(7);
    let customers: Vec<u32> = (0..2 * N).map(|_| (r() * N as f64) as u32).collect();
    let days: Vec<i64> = (0..2 * N).map(|_| TODAY - (r() * 90.0) as i64).collect();
    // Day numbers as dates.
    let date = |d: i64| {
        chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()
            + chrono::TimeDelta::try_days(d).unwrap()
    };
    let history =
        ContactHistory::new(customers, days.into_iter().map(date).collect()).expect("history");
    let today = date(TODAY);
    let mut group = c.benchmark_group("lifecycle");
    group.sample_size(10);
    group.bench_function("1M_customers_30_rules_2M_contacts", |b| {
        b.iter(|| {
            Lifecycle::params()
                .rules(rules.clone())
                .score(&states, &history, today)
                .expect("decisions")
                .len()
        })
    });
    group.finish();
}

criterion_group!(benches, bench_lifecycle);
criterion_main!(benches);
