//! Each field of the saved CART format mutated on its own
//! (out of range, negative, cyclic, truncated, huge, wrong type): the load
//! fails with an `InvalidModelFile` naming the field.

use serde_json::{json, Value};

use crate::error::CiblageError;
use crate::tree::cart::CartModel;
use crate::tree::fuzz_tests::cart_files;

/// The message of a refused load; panics when the load succeeds or fails
/// with another error.
pub(super) fn refused(result: Result<impl std::fmt::Debug, CiblageError>) -> String {
    match result {
        Err(e @ CiblageError::InvalidModelFile { .. }) => e.to_string(),
        other => panic!("expected InvalidModelFile, got {other:?}"),
    }
}

/// A mutation: its label, the change, and what the message must contain.
pub(super) type Case<'a> = (&'static str, Box<dyn Fn(&mut Value) + 'a>, String);

pub(super) fn set(v: &mut Value, pointer: &str, new: Value) {
    *v.pointer_mut(pointer)
        .unwrap_or_else(|| panic!("{pointer} exists")) = new;
}

/// The first split node of a CART tree and its left child.
fn first_split(v: &Value) -> (usize, usize) {
    let left = v["children_left"].as_array().unwrap();
    let i = left.iter().position(|c| c.as_i64() != Some(-1)).unwrap();
    (i, left[i].as_u64().unwrap() as usize)
}

#[test]
fn every_cart_field_is_checked() {
    let base: Value = serde_json::from_str(&cart_files()[0]).unwrap();
    let n = base["feature"].as_array().unwrap().len();
    let (root, left) = first_split(&base);
    assert_eq!(root, 0);
    // The second split node (below the root), to make a cycle and a shared child.
    let second = (1..n)
        .find(|&i| base["children_left"][i].as_i64() != Some(-1))
        .unwrap();
    let cat = (0..n).find(|&i| !base["categories"][i].is_null()).unwrap();
    let cases: Vec<Case<'_>> = vec![
        (
            "version",
            Box::new(|v| set(v, "/version", json!(7))),
            "version: format version 7".into(),
        ),
        (
            "criterion",
            Box::new(|v| set(v, "/criterion", json!("magic"))),
            "criterion: unknown variant".into(),
        ),
        (
            "n_features huge",
            Box::new(|v| set(v, "/n_features", json!(1_000_000_000_000_000u64))),
            "n_features: 1000000000000000 is not between 1".into(),
        ),
        (
            "n_features negative",
            Box::new(|v| set(v, "/n_features", json!(-3))),
            "n_features: invalid value".into(),
        ),
        (
            "n_features zero",
            Box::new(|v| set(v, "/n_features", json!(0))),
            "n_features: 0 is not between".into(),
        ),
        (
            "n_features text",
            Box::new(|v| set(v, "/n_features", json!("3"))),
            "n_features: invalid type".into(),
        ),
        (
            "n_features small",
            Box::new(|v| set(v, "/n_features", json!(1))),
            "feature[".into(),
        ),
        (
            "n_classes",
            Box::new(|v| set(v, "/n_classes", json!(5))),
            "value[0]: 3 numbers where 5 were expected".into(),
        ),
        (
            "n_classes zero",
            Box::new(|v| set(v, "/n_classes", json!(0))),
            "n_classes".into(),
        ),
        (
            "child out of range",
            Box::new(|v| set(v, "/children_left/0", json!(n + 10))),
            format!(
                "children_left[0]: child index {} out of range ({n} nodes)",
                n + 10
            ),
        ),
        (
            "child negative",
            Box::new(|v| set(v, "/children_right/0", json!(-7))),
            "children_right[0]: child index -7 out of range".into(),
        ),
        (
            "child huge",
            Box::new(|v| set(v, "/children_right/0", json!(u64::MAX))),
            "children_right[0]: invalid value".into(),
        ),
        (
            "own child",
            Box::new(move |v| set(v, &format!("/children_left/{second}"), json!(second))),
            format!("children_left[{second}]: child index {second} does not come after"),
        ),
        (
            "cycle",
            Box::new(move |v| set(v, &format!("/children_right/{second}"), json!(0))),
            format!("children_right[{second}]: child index 0 does not come after"),
        ),
        (
            "shared child",
            Box::new(move |v| set(v, "/children_right/0", json!(left))),
            format!("children_right[0]: node {left} is the child of two nodes"),
        ),
        (
            "one child",
            Box::new(|v| set(v, "/children_right/0", json!(-1))),
            "children_left[0]: a node has two children or none".into(),
        ),
        (
            "feature out of range",
            Box::new(|v| set(v, "/feature/0", json!(99))),
            "feature[0]: feature index 99 out of range (3 features)".into(),
        ),
        (
            "feature negative",
            Box::new(|v| set(v, "/feature/0", json!(-1))),
            "feature[0]: feature index -1 out of range".into(),
        ),
        (
            "threshold object",
            Box::new(|v| set(v, "/threshold/0", json!({"a": 1}))),
            "threshold[0]: invalid type: map".into(),
        ),
        (
            "threshold text",
            Box::new(|v| set(v, "/threshold", json!("x"))),
            "threshold: expected an array".into(),
        ),
        (
            "impurity truncated",
            Box::new(|v| {
                v["impurity"].as_array_mut().unwrap().pop();
            }),
            format!("impurity: {} entries for {n} nodes", n - 1),
        ),
        (
            "impurity missing",
            Box::new(|v| {
                v.as_object_mut().unwrap().remove("impurity");
            }),
            "impurity: missing field".into(),
        ),
        (
            "samples negative",
            Box::new(|v| set(v, "/n_node_samples/2", json!(-4))),
            "n_node_samples[2]: invalid value".into(),
        ),
        (
            "weight negative",
            Box::new(|v| set(v, "/weighted_n_node_samples/1", json!(-4.0))),
            "weighted_n_node_samples[1]: negative weight -4".into(),
        ),
        (
            "root weight zero",
            Box::new(|v| set(v, "/weighted_n_node_samples/0", json!(0.0))),
            "weighted_n_node_samples[0]: the root's weight must be positive".into(),
        ),
        (
            "value short row",
            Box::new(|v| {
                v["value"][1].as_array_mut().unwrap().pop();
            }),
            "value[1]: 2 numbers where 3 were expected".into(),
        ),
        (
            "value truncated",
            Box::new(|v| {
                v["value"].as_array_mut().unwrap().pop();
            }),
            format!("value: {} entries for {n} nodes", n - 1),
        ),
        (
            "value wrong type",
            Box::new(|v| set(v, "/value/0/0", json!("x"))),
            "value[0]: invalid type".into(),
        ),
        (
            "missing side",
            Box::new(|v| set(v, "/missing_go_to_left/0", json!(2))),
            "missing_go_to_left[0]: invalid type".into(),
        ),
        (
            "missing side truncated",
            Box::new(|v| {
                v["missing_go_to_left"].as_array_mut().unwrap().pop();
            }),
            "missing_go_to_left:".into(),
        ),
        (
            "categories unsorted",
            Box::new(move |v| set(v, &format!("/categories/{cat}/0"), json!([2, 1]))),
            format!("categories[{cat}].left: codes must be strictly ascending"),
        ),
        (
            "categories both sides",
            Box::new(move |v| {
                let r = v["categories"][cat][1][0].clone();
                set(v, &format!("/categories/{cat}/0"), json!([r]));
            }),
            format!("categories[{cat}]: category"),
        ),
        (
            "categories huge",
            Box::new(move |v| {
                set(
                    v,
                    &format!("/categories/{cat}/1"),
                    json!([4_000_000_000u64]),
                )
            }),
            format!("categories[{cat}].right: category code 4000000000"),
        ),
        (
            "categories on a leaf",
            Box::new(move |v| {
                let c = v["categories"][cat].clone();
                let leaf = v["children_left"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .position(|c| c.as_i64() == Some(-1))
                    .unwrap();
                set(v, &format!("/categories/{leaf}"), c);
            }),
            "a leaf has no categorical split".into(),
        ),
        (
            "category names",
            Box::new(|v| set(v, "/category_names", json!([["a"]]))),
            "category_names: 1 lists for 3 features".into(),
        ),
        (
            "no node",
            Box::new(|v| {
                for k in [
                    "children_left",
                    "children_right",
                    "feature",
                    "threshold",
                    "missing_go_to_left",
                    "categories",
                    "impurity",
                    "n_node_samples",
                    "weighted_n_node_samples",
                    "value",
                ] {
                    set(v, &format!("/{k}"), json!([]));
                }
            }),
            "the tree has no node".into(),
        ),
        (
            "unknown key",
            Box::new(|v| {
                v.as_object_mut().unwrap().insert("colour".into(), json!(1));
            }),
            "colour: unknown field".into(),
        ),
    ];
    for (label, mutate, expected) in cases {
        let mut v = base.clone();
        mutate(&mut v);
        let msg = refused(CartModel::from_json(&v.to_string()));
        assert!(msg.starts_with("CART model: "), "{label}: {msg}");
        assert!(
            msg.contains(&expected),
            "{label}: {msg:?} lacks {expected:?}"
        );
    }
    let text = cart_files()[0].clone();
    assert!(refused(CartModel::from_json(&text[..text.len() / 2])).contains("not readable as JSON"));
    assert!(refused(CartModel::from_json("[1, 2]")).contains("expected a JSON object"));
    // The file as written loads back unchanged.
    for text in cart_files() {
        let t = CartModel::from_json(&text).unwrap();
        assert_eq!(t.to_json(), text);
    }
}

#[test]
fn a_threshold_of_infinity_reads_back() {
    // Rows missing the feature (class 1) split from all present ones
    // (class 0): the threshold is +inf, written as null in JSON.
    let x =
        ndarray::Array2::from_shape_fn((40, 1), |(r, _)| if r < 20 { f64::NAN } else { r as f64 });
    let y: Vec<u32> = (0..40).map(|r| u32::from(r < 20)).collect();
    let t = crate::tree::cart::Cart::classifier()
        .check()
        .unwrap()
        .fit(x.view(), &y, 2, None)
        .unwrap();
    assert_eq!(t.threshold[0], f64::INFINITY);
    let back = CartModel::from_json(&t.to_json()).unwrap();
    assert_eq!(back, t);
    assert_eq!(back.apply(x.view()).unwrap(), t.apply(x.view()).unwrap());
}
