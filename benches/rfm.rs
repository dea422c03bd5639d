//! RFM end to end from transaction columns: factorise ids, aggregate, score.
//!
//! `cargo bench -p ciblage-benches --bench rfm`; sizes 1M rows / 100k
//! customers and 10M rows / 1M customers, integer and string ids; then
//! the per-customer accumulation alone with 1 % and 10 % of the rows as
//! customers (`cargo bench -p ciblage-benches --bench rfm -- accumulate`);
//! then coding 10M string ids of three lengths.

// criterion_group!/criterion_main! generate undocumented public items.
#![allow(missing_docs)]

use ciblage::{
    ActivityAccumulator, CustomerIds, CustomerIndex, IdKind, Rfm, SyntheticTransactions,
};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

/// Factorise + aggregate + score, as the Python binding does from Arrow columns.
fn rfm_from_columns(ids: &CustomerIds, ts: &[i64], amounts: &[f64]) -> usize {
    let params = Rfm::params().check().expect("valid defaults");
    let mut index = CustomerIndex::new();
    let mut codes = Vec::with_capacity(ts.len());
    match ids {
        CustomerIds::Int(v) => index.encode_i64_all(&[v], &mut codes).expect("int ids"),
        CustomerIds::Str(s) => index
            .encode_str_indexed(s.len(), |i| s.get(i), &mut codes)
            .expect("string ids"),
    }
    let mut acc = ActivityAccumulator::new(params.activity_options(ciblage::Zone::Utc), false);
    acc.push(&codes, ts, amounts, None, index.len())
        .expect("valid rows");
    let scores = params
        .score_activity(&acc.finish(), &index)
        .expect("scores");
    scores.len()
}

fn bench_rfm(c: &mut Criterion) {
    let mut group = c.benchmark_group("rfm");
    group.sample_size(10);
    for (rows, customers) in [(1_000_000, 100_000), (10_000_000, 1_000_000)] {
        for kind in [IdKind::Int, IdKind::Str] {
            let data = SyntheticTransactions::params()
                .customers(customers)
                .transactions(rows)
                .ids(kind)
                .generate()
                .expect("synthetic data");
            let label = format!("{rows}rows_{customers}customers_{kind:?}ids");
            group.bench_with_input(BenchmarkId::new("end_to_end", label), &data, |b, d| {
                b.iter(|| rfm_from_columns(&d.ids, &d.timestamps, &d.amounts));
            });
        }
    }
    group.finish();
}

/// The per-customer accumulation alone (codes already dense), with few
/// customers (1 % of the rows) and more (10 %): the cells where the rows
/// per customer are many.
fn bench_accumulate(c: &mut Criterion) {
    let mut group = c.benchmark_group("accumulate");
    group.sample_size(10);
    let params = Rfm::params().check().expect("valid defaults");
    for (rows, customers) in [
        (1_000_000, 10_000),
        (1_000_000, 100_000),
        (5_000_000, 50_000),
        (5_000_000, 500_000),
    ] {
        let data = SyntheticTransactions::params()
            .customers(customers)
            .transactions(rows)
            .generate()
            .expect("synthetic data");
        let tx = data.to_transactions().expect("transactions");
        let label = format!("{rows}rows_{customers}customers");
        group.bench_with_input(BenchmarkId::new("activity", &label), &tx, |b, tx| {
            b.iter(|| {
                let mut acc = ActivityAccumulator::new(params.activity_options(tx.zone()), false);
                acc.push(
                    tx.codes(),
                    tx.timestamps(),
                    tx.amounts(),
                    None,
                    tx.customers().len(),
                )
                .expect("valid rows");
                acc.finish().len()
            });
        });
        group.bench_with_input(BenchmarkId::new("end_to_end_int", &label), &data, |b, d| {
            b.iter(|| rfm_from_columns(&d.ids, &d.timestamps, &d.amounts));
        });
    }
    group.finish();
}

/// Writes the id of customer `v`.
type IdFormat = fn(u64) -> String;

/// 10M string ids of 1M customers, at random, in three formats: short
/// (9 bytes, whole in a narrow key), medium (13 bytes, a wide key) and
/// UUID-like (36 bytes, hashed and checked on the ids).
fn bench_string_ids(c: &mut Criterion) {
    let mut group = c.benchmark_group("string_ids");
    group.sample_size(10);
    let (rows, customers) = (10_000_000usize, 1_000_000u64);
    let formats: [(&str, IdFormat); 3] = [
        ("9_bytes", |v| format!("C{v:08}")),
        ("13_bytes", |v| format!("CUST-{v:08}")),
        ("36_bytes", |v| {
            format!(
                "{:08x}-7a3c-4b1e-9f00-{v:012}",
                v.wrapping_mul(2_654_435_761) as u32
            )
        }),
    ];
    for (name, format) in formats {
        // xorshift: a fixed sequence of customers.
        let mut x: u64 = 88_172_645_463_325_252;
        let mut ids = ciblage::StringIds::new();
        for _ in 0..rows {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            ids.push(&format(x % customers));
        }
        group.bench_with_input(BenchmarkId::new("encode", name), &ids, |b, ids| {
            b.iter(|| {
                let mut index = CustomerIndex::new();
                let mut codes = Vec::with_capacity(ids.len());
                index
                    .encode_str_indexed(ids.len(), |i| ids.get(i), &mut codes)
                    .expect("string ids");
                index.len()
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench_rfm, bench_accumulate, bench_string_ids);
criterion_main!(benches);
