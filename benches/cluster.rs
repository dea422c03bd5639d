//! k-means on 200,000 rows × 8 features, k = 10: Lloyd, Hamerly's bounds
//! (`Elkan`) and the mini-batch mode, from the same k-means++ seed.
//!
//! `cargo bench -p ciblage-benches --bench cluster`. The data are
//! synthetic (seeded): ten Gaussian blobs of unit spread around centres
//! drawn uniformly in [-10, 10]^8. `benches/python/bench_cluster.py`
//! compares with scikit-learn at 1M and 10M rows.

// criterion_group!/criterion_main! generate undocumented public items.
#![allow(missing_docs)]

use ciblage::cluster::{KMeans, KMeansAlgorithm, MiniBatch};
use criterion::{criterion_group, criterion_main, Criterion};
use ndarray::Array2;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

const ROWS: usize = 200_000;
const FEATURES: usize = 8;
const K: usize = 10;

fn data() -> Array2<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let centres: Vec<f64> = (0..K * FEATURES)
        .map(|_| rng.random_range(-10.0..10.0))
        .collect();
    let mut x = Array2::zeros((ROWS, FEATURES));
    for (i, mut row) in x.rows_mut().into_iter().enumerate() {
        let c = i % K;
        for (j, v) in row.iter_mut().enumerate() {
            let noise: f64 = StandardNormal.sample(&mut rng);
            *v = centres[c * FEATURES + j] + noise;
        }
    }
    x
}

fn bench_kmeans(c: &mut Criterion) {
    let x = data();
    let mut group = c.benchmark_group("kmeans_200k_x8_k10");
    group.sample_size(10);
    for (name, algo) in [
        ("lloyd", KMeansAlgorithm::Lloyd),
        ("elkan", KMeansAlgorithm::Elkan),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                KMeans::params()
                    .n_clusters(K)
                    .algorithm(algo)
                    .seed(1)
                    .fit(x.view(), None)
                    .expect("fit")
            })
        });
    }
    group.bench_function("mini_batch_1024", |b| {
        b.iter(|| {
            KMeans::params()
                .n_clusters(K)
                .mini_batch(Some(MiniBatch::default()))
                .seed(1)
                .fit(x.view(), None)
                .expect("fit")
        })
    });
    group.finish();
}

criterion_group!(benches, bench_kmeans);
criterion_main!(benches);
