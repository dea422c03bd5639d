//! Each field of the saved CHAID format mutated on its own: the load
//! fails with an `InvalidModelFile` naming the field.

use serde_json::{json, Value};

use crate::tree::chaid::ChaidModel;
use crate::tree::fuzz_tests::chaid_files;
use crate::tree::load_tests::{refused, set, Case};

#[test]
fn every_chaid_field_is_checked() {
    let base: Value = serde_json::from_str(&chaid_files()[0]).unwrap();
    let n = base["nodes"].as_array().unwrap().len();
    let kids: Vec<u64> = base["nodes"][0]["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().unwrap())
        .collect();
    let (c0, c1) = (kids[0] as usize, kids[1] as usize);
    let cases: Vec<Case<'_>> = vec![
        (
            "version",
            Box::new(|v| set(v, "/version", json!(0))),
            "version: format version 0".into(),
        ),
        (
            "params",
            Box::new(|v| set(v, "/params/alpha_merge", json!(2.0))),
            "params.alpha_merge: expected a probability".into(),
        ),
        (
            "params type",
            Box::new(|v| set(v, "/params/max_depth", json!(-1))),
            "params: invalid value".into(),
        ),
        (
            "no predictor",
            Box::new(|v| set(v, "/predictors", json!([]))),
            "predictors: the model has no predictor".into(),
        ),
        (
            "predictor kind",
            Box::new(|v| set(v, "/predictors/0/kind", json!("fuzzy"))),
            "predictors[0].kind: unknown variant".into(),
        ),
        (
            "labels short",
            Box::new(|v| {
                v["predictors"][0]["labels"].as_array_mut().unwrap().pop();
            }),
            "predictors[0].encoder:".into(),
        ),
        (
            "labels unlike the encoder's",
            Box::new(|v| set(v, "/predictors/0/labels/1", json!("renamed"))),
            "predictors[0].encoder: label 1 is".into(),
        ),
        (
            "empty bins",
            Box::new(|v| {
                set(v, "/predictors/1/encoder", json!({"bins": []}));
            }),
            "predictors[1].encoder: 0 entries for".into(),
        ),
        (
            "bins unsorted",
            Box::new(|v| {
                let e = v["predictors"][1]["encoder"]["bins"]
                    .as_array_mut()
                    .unwrap();
                e.swap(0, 1);
            }),
            "predictors[1].encoder: values must be strictly ascending".into(),
        ),
        (
            "bins for a nominal",
            Box::new(|v| set(v, "/predictors/0/kind", json!("continuous"))),
            "predictors[0].encoder:".into(),
        ),
        (
            "classes",
            Box::new(|v| {
                v["classes"].as_array_mut().unwrap().pop();
            }),
            "nodes[0].counts: 2 numbers, expected 1".into(),
        ),
        (
            "no node",
            Box::new(|v| set(v, "/nodes", json!([]))),
            "nodes: the model has no node".into(),
        ),
        (
            "child out of range",
            Box::new(move |v| set(v, "/nodes/0/children/0", json!(n + 5))),
            format!(
                "nodes[0].children[0]: child index {} out of range ({n} nodes)",
                n + 5
            ),
        ),
        (
            "child negative",
            Box::new(|v| set(v, "/nodes/0/children/0", json!(-1))),
            "nodes[0].children[0]: invalid value".into(),
        ),
        (
            "own child",
            Box::new(|v| set(v, "/nodes/0/children/0", json!(0))),
            "nodes[0].children[0]: node 0 names parent None".into(),
        ),
        (
            "child twice",
            Box::new(move |v| {
                set(v, "/nodes/0/children/0", json!(c1));
            }),
            format!("nodes[{c1}].branch"),
        ),
        (
            "shared child",
            Box::new(move |v| {
                set(v, "/nodes/0/children/1", json!(c0));
            }),
            format!("nodes[{c0}].branch"),
        ),
        (
            "children truncated",
            Box::new(|v| {
                v["nodes"][0]["children"].as_array_mut().unwrap().pop();
            }),
            "nodes[0].split.groups:".into(),
        ),
        (
            "id",
            Box::new(|v| set(v, "/nodes/1/id", json!(5))),
            "nodes[1].id: 5 where the position is 1".into(),
        ),
        (
            "parent",
            Box::new(move |v| set(v, &format!("/nodes/{c0}/parent"), json!(c1))),
            "nodes[0].children[0]".into(),
        ),
        (
            "depth",
            Box::new(move |v| set(v, &format!("/nodes/{c0}/depth"), json!(7))),
            format!("nodes[{c0}].depth: 7 under a parent of depth 0"),
        ),
        (
            "branch",
            Box::new(move |v| set(v, &format!("/nodes/{c0}/branch"), json!([]))),
            format!("nodes[{c0}].branch"),
        ),
        (
            "n negative",
            Box::new(|v| set(v, "/nodes/0/n", json!(-1.0))),
            "nodes[0].n: expected a finite count".into(),
        ),
        (
            "n null",
            Box::new(|v| set(v, "/nodes/0/n", Value::Null)),
            "nodes[0].n: invalid type: null".into(),
        ),
        (
            "counts negative",
            Box::new(|v| set(v, "/nodes/0/counts/1", json!(-2.0))),
            "nodes[0].counts[1]: expected a finite count".into(),
        ),
        (
            "split predictor",
            Box::new(|v| set(v, "/nodes/0/split/predictor", json!(9))),
            "nodes[0].split.predictor: predictor index 9 out of range (3 predictors)".into(),
        ),
        (
            "split predictor huge",
            Box::new(|v| set(v, "/nodes/0/split/predictor", json!(1e300))),
            "nodes[0].split.predictor: invalid type".into(),
        ),
        (
            "group code",
            Box::new(|v| set(v, "/nodes/0/split/groups/0/0", json!(1000))),
            "nodes[0].split.groups[0]: category code 1000 out of range".into(),
        ),
        (
            "group twice",
            Box::new(|v| {
                let g = v["nodes"][0]["split"]["groups"][0].clone();
                set(v, "/nodes/0/split/groups/1", g);
            }),
            "nodes[0].split.groups".into(),
        ),
        (
            "split gone",
            Box::new(|v| set(v, "/nodes/0/split", Value::Null)),
            "nodes[0].children: a node without a split has no children".into(),
        ),
        (
            "split wrong type",
            Box::new(|v| set(v, "/nodes/0/split", json!(3))),
            "nodes[0].split: expected an object or null".into(),
        ),
        (
            "unknown node key",
            Box::new(|v| {
                v["nodes"][0]
                    .as_object_mut()
                    .unwrap()
                    .insert("colour".into(), json!(3));
            }),
            "nodes[0].colour: unknown field".into(),
        ),
        (
            "node missing key",
            Box::new(|v| {
                v["nodes"][2].as_object_mut().unwrap().remove("counts");
            }),
            "nodes[2].counts: missing field".into(),
        ),
    ];
    for (label, mutate, expected) in cases {
        let mut v = base.clone();
        mutate(&mut v);
        let msg = refused(ChaidModel::from_json(&v.to_string()));
        assert!(msg.starts_with("CHAID model: "), "{label}: {msg}");
        assert!(
            msg.contains(&expected),
            "{label}: {msg:?} lacks {expected:?}"
        );
    }
    for text in chaid_files() {
        let m = ChaidModel::from_json(&text).unwrap();
        assert_eq!(m.to_json(), text);
    }
}

#[test]
fn shown_chaid_statistics_may_be_null() {
    // JSON writes a NaN or infinite statistic as null: it reads as NaN.
    let mut v: Value = serde_json::from_str(&chaid_files()[1]).unwrap();
    set(&mut v, "/nodes/0/split/statistic", Value::Null);
    let m = ChaidModel::from_json(&v.to_string()).unwrap();
    assert!(m.nodes()[0].split.as_ref().unwrap().statistic.is_nan());
}
