//! Fuzzing the model and segment-table loaders: valid saved files are
//! mutated at random (numbers replaced by random, huge or negative ones,
//! array elements dropped or duplicated, keys deleted, two numbers swapped,
//! the text truncated) and fed to the loaders. A load either fails with a
//! typed error or gives a model that predicts, applies and exports without
//! panicking and in bounded time.

use std::sync::mpsc;
use std::time::Duration;

use ndarray::Array2;
use proptest::prelude::*;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

use crate::error::CiblageError;
use crate::rfm::SegmentTable;
use crate::testing::fuzz_cases;
use crate::tree::cart::{Cart, CartModel};
use crate::tree::chaid::{Chaid, ChaidModel, ChaidWeights, Predictor, MISSING, UNSEEN};

/// A small matrix: 3 numeric-or-code columns with missing values.
fn matrix() -> Array2<f64> {
    Array2::from_shape_fn((60, 3), |(r, c)| match c {
        0 if r % 13 == 0 => f64::NAN,
        0 => ((r * 37) % 29) as f64,
        1 => (r % 4) as f64,
        _ => ((r * 7) % 11) as f64 - 3.0,
    })
}

/// Saved CART trees: a classifier with a categorical column, a regressor.
pub(super) fn cart_files() -> Vec<String> {
    let x = matrix();
    let y: Vec<u32> = (0..60).map(|r| ((r * 5 + r / 7) % 3) as u32).collect();
    let yv: Vec<f64> = (0..60).map(|r| ((r * 13) % 17) as f64).collect();
    let clf = Cart::classifier()
        .max_depth(Some(4))
        .categorical_features(vec![1])
        .check()
        .unwrap()
        .fit(x.view(), &y, 3, None)
        .unwrap();
    let reg = Cart::regressor()
        .max_depth(Some(3))
        .check()
        .unwrap()
        .fit(x.view(), &yv, None)
        .unwrap();
    // Best-first growth, missing values split from present ones (an
    // infinite threshold, null in JSON).
    let xm = Array2::from_shape_fn((40, 2), |(r, c)| match c {
        0 if r < 20 => f64::NAN,
        0 => r as f64,
        _ => (r % 7) as f64,
    });
    let ym: Vec<u32> = (0..40).map(|r| u32::from(r < 20 || r % 7 == 0)).collect();
    let best = Cart::classifier()
        .max_leaf_nodes(Some(5))
        .check()
        .unwrap()
        .fit(xm.view(), &ym, 2, None)
        .unwrap();
    assert!(best.threshold.contains(&f64::INFINITY));
    vec![clf.to_json(), reg.to_json(), best.to_json()]
}

/// Saved CHAID models: nominal, ordinal and continuous predictors, a
/// classification and a regression tree.
pub(super) fn chaid_files() -> Vec<String> {
    let n = 300;
    let a: Vec<Option<String>> = (0..n)
        .map(|r| (r % 17 != 0).then(|| ["a", "b", "c", "d"][r % 4].to_owned()))
        .collect();
    let b: Vec<f64> = (0..n).map(|r| ((r * 7) % 23) as f64).collect();
    let c: Vec<f64> = (0..n).map(|r| ((r * 3) % 5) as f64).collect();
    let y: Vec<u32> = (0..n).map(|r| u32::from(r % 4 < 2 || r % 23 < 5)).collect();
    let yv: Vec<f64> = (0..n)
        .map(|r| (r % 4) as f64 * 10.0 + (r % 3) as f64)
        .collect();
    let preds = || {
        vec![
            Predictor::nominal("a", &a),
            Predictor::continuous("b", &b, None, 5).unwrap(),
            Predictor::ordinal("c", &c).unwrap(),
        ]
    };
    macro_rules! params {
        ($base:expr) => {
            $base
                .min_parent(20.0)
                .min_child(5.0)
                .alpha_merge(0.2)
                .alpha_split(0.5)
                .check()
                .unwrap()
        };
    }
    let clf = params!(Chaid::classifier())
        .fit(
            preds(),
            &y,
            vec!["no".into(), "yes".into()],
            ChaidWeights::default(),
        )
        .unwrap();
    let reg = params!(Chaid::regressor())
        .fit(preds(), &yv, ChaidWeights::default())
        .unwrap();
    assert!(clf.nodes().len() > 2 && reg.nodes().len() > 2);
    vec![clf.to_json(), reg.to_json()]
}

fn segment_files() -> Vec<(String, bool)> {
    let t = SegmentTable::classic();
    vec![(t.to_json(), true), (t.to_toml(), false)]
}

/// A number chosen to break things.
fn nasty_number(rng: &mut ChaCha8Rng) -> Value {
    match rng.random_range(0..9) {
        0 => Value::from(-1),
        1 => Value::from(-rng.random_range(2..1000i64)),
        2 => Value::from(1_000_000_000_000_000u64),
        3 => Value::from(u64::MAX),
        4 => Value::from(rng.random_range(0..40u64)),
        5 => Value::from(i64::MIN),
        6 => serde_json::Number::from_f64(rng.random_range(-1e9..1e9))
            .map_or(Value::Null, Value::Number),
        7 => Value::from(0),
        _ => Value::from(4_294_967_295u64),
    }
}

/// Paths to every number (and every array, every object key) in `v`.
fn collect(v: &Value, path: &mut Vec<Step>, out: &mut Nodes) {
    match v {
        Value::Number(_) => out.numbers.push(path.clone()),
        Value::Array(items) => {
            out.arrays.push(path.clone());
            for (i, item) in items.iter().enumerate() {
                path.push(Step::Index(i));
                collect(item, path, out);
                path.pop();
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                out.keys.push((path.clone(), k.clone()));
                path.push(Step::Key(k.clone()));
                collect(item, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

#[derive(Default)]
struct Nodes {
    numbers: Vec<Vec<Step>>,
    arrays: Vec<Vec<Step>>,
    keys: Vec<(Vec<Step>, String)>,
}

fn at<'a>(v: &'a mut Value, path: &[Step]) -> &'a mut Value {
    path.iter().fold(v, |v, s| match s {
        Step::Key(k) => &mut v[k.as_str()],
        Step::Index(i) => &mut v[*i],
    })
}

/// One to three random mutations of a JSON document, or its truncation.
fn mutate_json(text: &str, rng: &mut ChaCha8Rng) -> String {
    if rng.random_range(0..8) == 0 {
        let cut = rng.random_range(0..text.len());
        return text[..cut].to_owned();
    }
    let mut v: Value = serde_json::from_str(text).unwrap();
    for _ in 0..rng.random_range(1..=3) {
        let mut n = Nodes::default();
        collect(&v, &mut Vec::new(), &mut n);
        match rng.random_range(0..6) {
            0 | 1 if !n.numbers.is_empty() => {
                let p = &n.numbers[rng.random_range(0..n.numbers.len())];
                *at(&mut v, p) = nasty_number(rng);
            }
            2 if n.numbers.len() >= 2 => {
                let i = rng.random_range(0..n.numbers.len());
                let j = rng.random_range(0..n.numbers.len());
                let a = at(&mut v, &n.numbers[i]).clone();
                let b = std::mem::replace(at(&mut v, &n.numbers[j]), a);
                *at(&mut v, &n.numbers[i]) = b;
            }
            3 | 4 if !n.arrays.is_empty() => {
                let p = &n.arrays[rng.random_range(0..n.arrays.len())];
                if let Value::Array(items) = at(&mut v, p) {
                    if !items.is_empty() {
                        let i = rng.random_range(0..items.len());
                        if rng.random_range(0..2) == 0 {
                            items.remove(i);
                        } else {
                            let dup = items[i].clone();
                            items.insert(i, dup);
                        }
                    }
                }
            }
            _ if !n.keys.is_empty() => {
                let (p, k) = &n.keys[rng.random_range(0..n.keys.len())];
                if let Value::Object(map) = at(&mut v, p) {
                    map.remove(k);
                }
            }
            _ => {}
        }
    }
    v.to_string()
}

/// Mutations of TOML text: a number replaced, a line dropped or
/// duplicated, or the text truncated.
fn mutate_toml(text: &str, rng: &mut ChaCha8Rng) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    match rng.random_range(0..4) {
        0 => {
            let cut = rng.random_range(0..text.len());
            return text[..cut].to_owned();
        }
        1 => {
            let i = rng.random_range(0..lines.len());
            lines.remove(i);
        }
        2 => {
            let i = rng.random_range(0..lines.len());
            let dup = lines[i].clone();
            lines.insert(i, dup);
        }
        _ => {
            let digits: Vec<(usize, usize)> = lines
                .iter()
                .enumerate()
                .flat_map(|(l, s)| {
                    s.char_indices()
                        .filter(|(_, c)| c.is_ascii_digit())
                        .map(move |(i, _)| (l, i))
                })
                .collect();
            if let Some(&(l, i)) = digits.get(rng.random_range(0..digits.len().max(1))) {
                let new = nasty_number(rng).to_string();
                lines[l].replace_range(i..=i, &new);
            }
        }
    }
    lines.join("\n")
}

/// Everything a user can do with a loaded CART tree.
fn use_cart(t: &CartModel) {
    let n_features = t.n_features.min(8);
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let x = Array2::from_shape_fn((20, t.n_features.min(8)), |(r, _)| match r % 5 {
        0 => f64::NAN,
        1 => rng.random_range(0..6) as f64,
        _ => rng.random_range(-50.0..50.0),
    });
    if n_features == t.n_features {
        let leaves = t.apply(x.view()).unwrap();
        assert!(leaves.iter().all(|&l| l < t.node_count()));
        let mut path = Vec::new();
        for row in x.rows() {
            t.decision_path_row(&row.to_vec(), &mut path);
        }
    }
    let names: Vec<String> = (0..t.n_features.min(4)).map(|i| format!("f{i}")).collect();
    let _ = t.to_text(&names, &["a".into()], 3);
    let _ = t.to_dot(&names, &[]);
    for i in 0..t.node_count() {
        let _ = t.rule(i, &names);
        let _ = t.sql_rule(i, &names);
    }
    let _ = t.feature_importances();
    let (alphas, _) = t.cost_complexity_pruning_path();
    for a in alphas.iter().take(4) {
        let p = t.pruned(*a);
        assert!(p.node_count() <= t.node_count());
    }
    let _ = (t.max_depth(), t.n_leaves());
    // What it writes reads back.
    assert_eq!(&CartModel::from_json(&t.to_json()).unwrap(), t);
}

/// Everything a user can do with a loaded CHAID model.
fn use_chaid(m: &ChaidModel) {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    for _ in 0..20 {
        let codes: Vec<u32> = m
            .predictors()
            .iter()
            .map(|p| match rng.random_range(0..5) {
                0 => MISSING,
                1 => UNSEEN,
                2 => p.encode_value(rng.random_range(-10.0..40.0)),
                3 => p.encode_label(Some("b")),
                _ => rng.random_range(0..p.labels.len().max(1) as u32 + 2),
            })
            .collect();
        let leaf = m.apply_codes(&codes);
        assert!(m.nodes()[leaf].split.is_none());
        let _ = (m.proba(leaf), m.mean(leaf), m.class_of(leaf));
    }
    for i in 0..m.nodes().len() {
        let _ = m.rule(i);
        let _ = m.sql_rule(i);
    }
    let _ = m.to_dot();
    let _ = m.apply_training();
    for k in 0..m.classes().len() {
        let _ = m.gains(k).unwrap();
    }
    assert_eq!(&ChaidModel::from_json(&m.to_json()).unwrap(), m);
}

/// Runs `work` on its own thread, failing if it takes more than a minute.
fn bounded(work: impl FnOnce() + Send + 'static) {
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::spawn(move || {
        work();
        let _ = tx.send(());
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(()) => handle.join().unwrap(),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            // The work panicked: report its panic.
            if let Err(p) = handle.join() {
                std::panic::resume_unwind(p);
            }
        }
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("a loaded model did not finish in a minute"),
    }
}

fn is_model_error(e: &CiblageError) -> bool {
    matches!(e, CiblageError::InvalidModelFile { .. })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(fuzz_cases()))]

    #[test]
    fn mutated_cart_files_load_or_fail_cleanly(seed in any::<u64>(), which in 0usize..3) {
        let text = mutate_json(&cart_files()[which], &mut ChaCha8Rng::seed_from_u64(seed));
        bounded(move || match CartModel::from_json(&text) {
            Ok(t) => use_cart(&t),
            Err(e) => assert!(is_model_error(&e), "{e:?}"),
        });
    }

    #[test]
    fn mutated_chaid_files_load_or_fail_cleanly(seed in any::<u64>(), which in 0usize..2) {
        let text = mutate_json(&chaid_files()[which], &mut ChaCha8Rng::seed_from_u64(seed));
        bounded(move || match ChaidModel::from_json(&text) {
            Ok(m) => use_chaid(&m),
            Err(e) => assert!(is_model_error(&e), "{e:?}"),
        });
    }

    #[test]
    fn mutated_segment_tables_load_or_fail_cleanly(seed in any::<u64>(), which in 0usize..2) {
        let (text, json) = segment_files().swap_remove(which);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let text = if json { mutate_json(&text, &mut rng) } else { mutate_toml(&text, &mut rng) };
        bounded(move || {
            let loaded = if json { SegmentTable::from_json(&text) } else { SegmentTable::from_toml(&text) };
            match loaded {
                Ok(t) => {
                    for r in 1..=9 {
                        for f in 1..=9 {
                            let _ = t.name_of(r, f, 10 - f);
                        }
                    }
                    let _ = t.coverage(5);
                    assert_eq!(SegmentTable::from_json(&t.to_json()).unwrap(), t);
                    assert_eq!(SegmentTable::from_toml(&t.to_toml()).unwrap(), t);
                }
                Err(e) => assert!(matches!(e, CiblageError::InvalidSegmentTable(_)), "{e:?}"),
            }
        });
    }
}
