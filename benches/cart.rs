//! CART fitting on 100,000 rows × 20 features, depth 8, one thread; and
//! the histogram splitter's fully grown trees on the same data.
//!
//! `cargo bench -p ciblage-benches --bench cart` (`-- fully_grown` for the
//! fully grown trees alone): the exact splitter (trees
//! identical to scikit-learn's), the histogram splitter (255 bins) and the
//! random splitter (scikit-learn's `splitter="random"`, every feature drawn
//! at each node), for a classifier and a regressor. The data are synthetic (seeded): 20 standard
//! normal features, of which 10 enter a linear score; the class is a
//! logistic draw on that score, the regression target the score plus noise.
//! `benches/python/bench_cart.py` compares with scikit-learn.
//!
//! The sparse case: 10,000 rows of one-hot columns (eight categorical
//! columns of 5 to 1,000 categories, 1,885 columns, one 1 per categorical
//! column and row) as a CSC matrix, the class a noisy threshold on a sum of
//! per-category effects, grown in full by the exact splitter (its sparse
//! splitter: the stored entries of each node only).

// criterion_group!/criterion_main! generate undocumented public items.
#![allow(missing_docs)]

use ciblage::tree::cart::{Cart, CartParams, CartSplitter, CscView};
use ciblage::tree::TreeTask;
use criterion::{criterion_group, criterion_main, Criterion};
use ndarray::Array2;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

const ROWS: usize = 100_000;
const FEATURES: usize = 20;

fn data() -> (Array2<f64>, Vec<u32>, Vec<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let x = Array2::from_shape_fn((ROWS, FEATURES), |_| StandardNormal.sample(&mut rng));
    let weights: Vec<f64> = (0..FEATURES)
        .map(|j| if j < 10 { 1.0 - 0.15 * j as f64 } else { 0.0 })
        .collect();
    let score: Vec<f64> = x
        .rows()
        .into_iter()
        .map(|r| r.iter().zip(&weights).map(|(v, w)| v * w).sum())
        .collect();
    let classes = score
        .iter()
        .map(|s| u32::from(rng.random::<f64>() < 1.0 / (1.0 + (-s).exp())))
        .collect();
    let noise = rand_distr::Normal::new(0.0, 0.5).expect("valid normal");
    let values = score.iter().map(|s| s + noise.sample(&mut rng)).collect();
    (x, classes, values)
}

const ONEHOT_ROWS: usize = 10_000;
const ONEHOT_CARDS: [usize; 8] = [5, 10, 20, 50, 100, 200, 500, 1000];

/// The one-hot CSC arrays (indptr, row indices, values), the number of
/// columns and the classes of the sparse case.
fn onehot() -> (Vec<i32>, Vec<i32>, Vec<f64>, usize, Vec<u32>) {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let d: usize = ONEHOT_CARDS.iter().sum();
    let effects: Vec<f64> = (0..d).map(|_| StandardNormal.sample(&mut rng)).collect();
    let mut rows_of: Vec<Vec<i32>> = vec![Vec::new(); d];
    let mut score = vec![0.0; ONEHOT_ROWS];
    for (r, s) in score.iter_mut().enumerate() {
        let mut offset = 0;
        for &card in &ONEHOT_CARDS {
            let col = offset + rng.random_range(0..card);
            rows_of[col].push(r as i32);
            let noise: f64 = StandardNormal.sample(&mut rng);
            *s += effects[col] + noise / 16.0;
            offset += card;
        }
    }
    let mut sorted = score.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[ONEHOT_ROWS / 2];
    let classes = score.iter().map(|&s| u32::from(s > median)).collect();
    let mut indptr = vec![0i32];
    let mut indices = Vec::new();
    for rows in rows_of {
        indices.extend(rows);
        indptr.push(indices.len() as i32);
    }
    let values = vec![1.0; indices.len()];
    (indptr, indices, values, d, classes)
}

fn one_thread<T: TreeTask>(p: CartParams<T>, splitter: CartSplitter) -> CartParams<T> {
    p.max_depth(Some(8)).n_threads(Some(1)).splitter(splitter)
}

fn bench_cart(c: &mut Criterion) {
    let (x, classes, values) = data();
    let hist = CartSplitter::Histogram { max_bins: 255 };
    let mut group = c.benchmark_group("cart_100k_rows_20_features_depth_8_one_thread");
    group.sample_size(10);
    for (name, splitter) in [
        ("exact", CartSplitter::Exact),
        ("hist", hist),
        ("random", CartSplitter::Random),
    ] {
        let clf = one_thread(Cart::classifier(), splitter)
            .check()
            .expect("valid");
        group.bench_function(format!("classifier_{name}"), |b| {
            b.iter(|| {
                let tree = clf.fit(x.view(), &classes, 2, None).expect("fit");
                tree.node_count()
            })
        });
        let reg = one_thread(Cart::regressor(), splitter)
            .check()
            .expect("valid");
        group.bench_function(format!("regressor_{name}"), |b| {
            b.iter(|| {
                let tree = reg.fit(x.view(), &values, None).expect("fit");
                tree.node_count()
            })
        });
    }
    group.finish();
    // Fully grown trees: most nodes hold a few rows (the histogram
    // splitter's search from sorted rows, its subtrees grown apart).
    let mut group = c.benchmark_group("cart_100k_rows_20_features_fully_grown_one_thread");
    group.sample_size(10);
    let clf = Cart::classifier()
        .n_threads(Some(1))
        .splitter(hist)
        .check()
        .expect("valid");
    group.bench_function("classifier_hist", |b| {
        b.iter(|| {
            let tree = clf.fit(x.view(), &classes, 2, None).expect("fit");
            tree.node_count()
        })
    });
    let reg = Cart::regressor()
        .n_threads(Some(1))
        .splitter(hist)
        .check()
        .expect("valid");
    group.bench_function("regressor_hist", |b| {
        b.iter(|| {
            let tree = reg.fit(x.view(), &values, None).expect("fit");
            tree.node_count()
        })
    });
    group.finish();
    let (indptr, indices, values, d, classes) = onehot();
    let x = CscView::new(ONEHOT_ROWS, d, &indptr[..], &indices[..], &values).expect("CSC");
    let clf = Cart::classifier()
        .n_threads(Some(1))
        .check()
        .expect("valid");
    let mut group = c.benchmark_group("cart_sparse_onehot_10k_rows_1885_columns_one_thread");
    group.sample_size(10);
    group.bench_function("classifier_exact", |b| {
        b.iter(|| {
            let tree = clf.fit(x, &classes, 2, None).expect("fit");
            tree.node_count()
        })
    });
    group.finish();
}

criterion_group!(benches, bench_cart);
criterion_main!(benches);
