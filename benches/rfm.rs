//! RFM end to end from transaction columns: factorise ids, aggregate, score.
//!
//! `cargo bench -p ciblage-benches --bench rfm`; sizes 1M rows / 100k
//! customers and 10M rows / 1M customers, integer and string ids.

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
    let scores = params.score(&acc.finish(), &index).expect("scores");
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

criterion_group!(benches, bench_rfm);
criterion_main!(benches);
