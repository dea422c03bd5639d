//! CHAID tree growing on the workloads of `benches/python/bench_chaid.py`.
//!
//! `cargo bench -p ciblage-benches --bench chaid`: 1M rows × 10 nominal
//! predictors (3 to 12 levels), binary target, depth 3; and 1M rows with one
//! 100-level predictor. The `chaid` package's rules (its preset). Timed from
//! integer columns: coding the categories included.

// criterion_group!/criterion_main! generate undocumented public items.
#![allow(missing_docs)]

use ciblage::tree::chaid::{
    Chaid, ChaidPreset, ChaidWeights, Predictor, PredictorColumn, PredictorKind,
};
use criterion::{criterion_group, criterion_main, Criterion};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

const ROWS: usize = 1_000_000;

/// Nominal columns with `levels[i]` levels and a binary target whose odds
/// depend on a few of them.
fn workload(levels: &[u32], odds: impl Fn(&[u32]) -> f64) -> (Vec<Vec<i64>>, Vec<u32>) {
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let mut cols: Vec<Vec<i64>> = levels.iter().map(|_| Vec::with_capacity(ROWS)).collect();
    let mut y = Vec::with_capacity(ROWS);
    let mut row = vec![0u32; levels.len()];
    for _ in 0..ROWS {
        for (c, &k) in levels.iter().enumerate() {
            row[c] = rng.random_range(0..k);
            cols[c].push(i64::from(row[c]));
        }
        let p = 1.0 / (1.0 + (-odds(&row)).exp());
        y.push(u32::from(rng.random::<f64>() < p));
    }
    (cols, y)
}

/// Integer columns coded as the Python binding codes them (timed).
fn predictors(cols: &[Vec<i64>]) -> Vec<Predictor> {
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
    Predictor::build_all(columns, None, 10).expect("valid columns")
}

fn bench_chaid(c: &mut Criterion) {
    let classes = vec!["0".to_owned(), "1".to_owned()];
    let wide_levels = [3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
    let (wide, wide_y) = workload(&wide_levels, |r| {
        0.6 * f64::from(u8::from(r[0] == 1)) - 0.4 * f64::from(u8::from(r[3] >= 4))
            + 0.3 * f64::from(u8::from(r[7] % 3 == 0))
            - 0.2 * f64::from(u8::from(r[9] < 3))
    });
    let (many, many_y) = workload(&[100], |r| (f64::from(r[0] % 7) - 3.0) / 6.0);
    let wide_params = Chaid::classifier()
        .preset(ChaidPreset::ChaidPackage)
        .max_depth(Some(3))
        .check()
        .expect("valid");
    let many_params = Chaid::classifier()
        .preset(ChaidPreset::ChaidPackage)
        .max_depth(Some(1))
        .check()
        .expect("valid");
    let mut group = c.benchmark_group("chaid_1M_rows");
    group.sample_size(10);
    group.bench_function("10_nominal_predictors_depth_3", |b| {
        b.iter(|| {
            let model = wide_params
                .fit(
                    predictors(&wide),
                    &wide_y,
                    classes.clone(),
                    ChaidWeights::default(),
                )
                .expect("fit");
            model.nodes().len()
        })
    });
    group.bench_function("one_100_level_predictor", |b| {
        b.iter(|| {
            let model = many_params
                .fit(
                    predictors(&many),
                    &many_y,
                    classes.clone(),
                    ChaidWeights::default(),
                )
                .expect("fit");
            model.nodes().len()
        })
    });
    group.finish();
}

criterion_group!(benches, bench_chaid);
criterion_main!(benches);
