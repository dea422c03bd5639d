//! Conformance cases of the reference notes (chaid.md §c).

use super::*;

fn labels(v: &[u32]) -> Vec<Option<String>> {
    v.iter().map(|x| Some(x.to_string())).collect()
}

fn classes(k: usize) -> Vec<String> {
    (0..k).map(|c| c.to_string()).collect()
}

fn group_labels(m: &ChaidModel, node: usize) -> Vec<Vec<String>> {
    let s = m.nodes()[node].split.as_ref().unwrap();
    let p = &m.predictors()[s.predictor];
    s.groups
        .iter()
        .map(|g| {
            g.iter()
                .map(|&c| {
                    if c == MISSING {
                        "<missing>".into()
                    } else {
                        p.labels[c as usize].clone()
                    }
                })
                .collect()
        })
        .collect()
}

#[test]
fn c4_ordinal_predictors_package_rules() {
    // C4: split on age, groups [[0], [1, 2]], χ² = 7.30899, p = 0.025875, df 2.
    let orientation = [
        0., 0., 1., 1., 0., 0., 1., 1., 0., 0., 1., 2., 2., 2., 2., 2., 2., 2., 2., 1.,
    ];
    let age = [
        0., 1., 1., 0., 2., 2., 2., 2., 1., 1., 1., 0., 0., 0., 0., 0., 0., 0., 0., 0.,
    ];
    let y = [0, 0, 1, 1, 2, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    let m = Chaid::chaid_package_params()
        .min_child(1.0)
        .check()
        .unwrap()
        .fit(
            vec![
                Predictor::ordinal("orientation", &orientation).unwrap(),
                Predictor::ordinal("age", &age).unwrap(),
            ],
            &y,
            classes(3),
            None,
        )
        .unwrap();
    let s = m.nodes()[0].split.as_ref().unwrap();
    assert_eq!(m.predictors()[s.predictor].name, "age");
    assert_eq!(group_labels(&m, 0), [vec!["0"], vec!["1", "2"]]);
    assert!((s.statistic - 7.30899).abs() < 1e-4);
    assert_eq!(s.df, 2.0);
    assert!((s.ln_p.exp() - 0.025875).abs() < 1e-5);
}

#[test]
fn c5_min_child_forces_a_merge() {
    // col0 = 1 ×5, 2 ×3, 3 ×5, 1 ×2; target 1 ×5 then 2 ×10; min_child 5,
    // alpha 0.055: [[1], [2, 3]], χ² = 8.57143, p = 0.003415.
    let col: Vec<u32> = [vec![1; 5], vec![2; 3], vec![3; 5], vec![1; 2]].concat();
    let y: Vec<u32> = [vec![0; 5], vec![1; 10]].concat();
    let m = Chaid::chaid_package_params()
        .alpha_merge(0.055)
        .min_child(5.0)
        .min_parent(1.0)
        .check()
        .unwrap()
        .fit(
            vec![Predictor::nominal("c", &labels(&col))],
            &y,
            classes(2),
            None,
        )
        .unwrap();
    assert_eq!(group_labels(&m, 0), [vec!["1"], vec!["2", "3"]]);
    let s = m.nodes()[0].split.as_ref().unwrap();
    assert!((s.statistic - 8.57143).abs() < 1e-4);
    assert!((s.ln_p.exp() - 0.003415).abs() < 1e-5);
    // Related: 1 ×5, 2 ×5, 3 ×5, min_child 0 → three groups, χ² = 15, df 2, p = 5.53e-4.
    let col: Vec<u32> = [vec![1; 5], vec![2; 5], vec![3; 5]].concat();
    let m = Chaid::chaid_package_params()
        .min_child(0.0)
        .min_parent(1.0)
        .check()
        .unwrap()
        .fit(
            vec![Predictor::nominal("c", &labels(&col))],
            &y,
            classes(2),
            None,
        )
        .unwrap();
    let s = m.nodes()[0].split.as_ref().unwrap();
    assert_eq!(s.groups.len(), 3);
    assert!((s.statistic - 15.0).abs() < 1e-9 && s.df == 2.0);
    assert!((s.ln_p.exp() - 5.53e-4).abs() < 1e-6);
}

#[test]
fn c6_node_ids_and_accuracy() {
    // gender [0,0,1,1,0,0,1,1,0,0,1,2,2,2,2,2,2,2,2,1] vs C4's income;
    // alpha 0.9, min_child 1, min_parent 1: root [[0],[1],[2]], χ² = 14.4444,
    // df 4; accuracy 0.85; leaves per row as the package's node_predictions.
    let gender = [0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 2, 2, 2, 2, 2, 2, 2, 2, 1];
    let y = [0, 0, 1, 1, 2, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    let m = Chaid::chaid_package_params()
        .alpha_merge(0.9)
        .min_child(1.0)
        .min_parent(1.0)
        .check()
        .unwrap()
        .fit(
            vec![Predictor::nominal("gender", &labels(&gender))],
            &y,
            classes(3),
            None,
        )
        .unwrap();
    let s = m.nodes()[0].split.as_ref().unwrap();
    assert_eq!(s.groups.len(), 3);
    assert!((s.statistic - 14.4444).abs() < 1e-4);
    assert_eq!(s.df, 4.0);
    let leaves = m.apply_training();
    assert_eq!(
        leaves,
        [1, 1, 2, 2, 1, 1, 2, 2, 1, 1, 2, 3, 3, 3, 3, 3, 3, 3, 3, 2]
    );
    let correct = leaves
        .iter()
        .zip(&y)
        .filter(|(l, &t)| m.class_of(**l) == t as usize)
        .count();
    assert_eq!(correct as f64 / 20.0, 0.85);
}

#[test]
fn bonferroni_and_alpha_split_decide_the_split() {
    // C1's table has p = 0.0472 with one 2-level nominal predictor (B = 1):
    // split at alpha_split 0.05, not at 0.04.
    let x = labels(&[1, 1, 1, 1, 2, 2, 2]);
    let y = [0, 0, 0, 1, 1, 1, 1];
    let fit = |alpha: f64| {
        Chaid::params()
            .alpha_split(alpha)
            .min_parent(1.0)
            .min_child(1.0)
            .check()
            .unwrap()
            .fit(vec![Predictor::nominal("x", &x)], &y, classes(2), None)
            .unwrap()
    };
    assert!(fit(0.05).nodes()[0].split.is_some());
    assert_eq!(
        fit(0.04).nodes()[0].stop.as_deref(),
        Some("not_significant")
    );
}

#[test]
fn floating_missing_and_prediction_of_unseen_levels() {
    // Ordinal x with missing values behaving like the high category: the
    // missing category floats into the group it resembles.
    let mut x = Vec::new();
    let mut y = Vec::new();
    for (v, cls, n) in [
        (1.0, 0, 40),
        (2.0, 0, 40),
        (3.0, 1, 40),
        (4.0, 1, 40),
        (f64::NAN, 1, 30),
    ] {
        for _ in 0..n {
            x.push(v);
            y.push(cls);
        }
    }
    let m = Chaid::params()
        .min_parent(10.0)
        .min_child(5.0)
        .max_depth(1)
        .check()
        .unwrap()
        .fit(
            vec![Predictor::ordinal("x", &x).unwrap()],
            &y,
            classes(2),
            None,
        )
        .unwrap();
    let s = m.nodes()[0].split.as_ref().unwrap();
    assert_eq!(s.groups, [vec![0, 1], vec![2, 3, MISSING]]);
    // Routing: missing → with 3 and 4; an unseen value (2.5) → largest child.
    let p = &m.predictors()[0];
    assert_eq!(
        m.apply_codes(&[p.encode_value(f64::NAN)]),
        m.apply_codes(&[p.encode_value(4.0)])
    );
    assert_eq!(m.apply_codes(&[p.encode_value(2.5)]), 2);
    assert_eq!(m.rule(2), ["x in {3, 4, <missing>}"]);
    // Save and load round-trips.
    let back = ChaidModel::from_json(&m.to_json()).unwrap();
    assert_eq!(back.nodes(), m.nodes());
    assert!(ChaidModel::from_json("{").is_err());
}

#[test]
fn huge_samples_keep_distinct_log_p() {
    // At 1M rows both predictors are "p = 0" in linear scale; ln p still
    // orders them: the one with the stronger association wins.
    let n = 200_000;
    let y: Vec<u32> = (0..n).map(|i| (i % 2) as u32).collect();
    let strong: Vec<Option<String>> = (0..n)
        .map(|i| Some(if i % 2 == 0 || i % 10 == 1 { "a" } else { "b" }.to_owned()))
        .collect();
    let weak: Vec<Option<String>> = (0..n)
        .map(|i| Some(if i % 2 == 0 || i % 4 == 1 { "a" } else { "b" }.to_owned()))
        .collect();
    let m = Chaid::params()
        .max_depth(1)
        .check()
        .unwrap()
        .fit(
            vec![
                Predictor::nominal("weak", &weak),
                Predictor::nominal("strong", &strong),
            ],
            &y,
            classes(2),
            None,
        )
        .unwrap();
    let s = m.nodes()[0].split.as_ref().unwrap();
    assert_eq!(m.predictors()[s.predictor].name, "strong");
    assert!(s.ln_p < -1000.0, "{}", s.ln_p);
}

#[test]
fn c2_weighted_pearson() {
    // gender vs income with frequency weights: the weighted table
    // [[3.2, 1.4, 1.2], [1.1, 2.4, 0.2]] gives χ² = 1.6179, p = 0.4453, df 2.
    let gender = [0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1];
    let income = [0, 0, 1, 0, 2, 0, 1, 2, 1, 0, 1];
    let w = [0.9, 0.8, 0.9, 1.1, 1.2, 0.8, 1.3, 0.2, 0.5, 0.7, 1.1];
    let m = Chaid::chaid_package_params()
        .alpha_merge(0.9)
        .min_child(0.0)
        .check()
        .unwrap()
        .fit(
            vec![Predictor::nominal("gender", &labels(&gender))],
            &income,
            classes(3),
            Some(&w),
        )
        .unwrap();
    let s = m.nodes()[0].split.as_ref().unwrap();
    assert!((s.statistic - 1.61787).abs() < 1e-4, "{}", s.statistic);
    assert_eq!(s.df, 2.0);
    assert!((s.ln_p.exp() - 0.4453).abs() < 1e-4);
}

/// C7's data: ndarr = ([2,3]×20 + [2,5]×20 + [3,4]×19 + [2,3]) as 30 rows ×
/// 4 nominal columns; target 1 ×15 then 2 ×15 (codes 0 and 1).
fn c7_data() -> (Vec<Predictor>, Vec<u32>) {
    let flat: Vec<u32> = [
        [2, 3].repeat(20),
        [2, 5].repeat(20),
        [3, 4].repeat(19),
        vec![2, 3],
    ]
    .concat();
    let cols: Vec<Predictor> = (0..4)
        .map(|c| {
            Predictor::nominal(
                format!("{c}"),
                &labels(&(0..30).map(|r| flat[r * 4 + c]).collect::<Vec<_>>()),
            )
        })
        .collect();
    let y: Vec<u32> = [vec![0; 15], vec![1; 15]].concat();
    (cols, y)
}

#[test]
fn c7_stopping_unweighted() {
    // The unweighted cases of C7.
    let (cols, y) = c7_data();
    let fit = |min_child: f64, weights: Option<&[f64]>| {
        Chaid::chaid_package_params()
            .alpha_merge(0.999)
            .max_depth(5)
            .min_child(min_child)
            .check()
            .unwrap()
            .fit(cols.clone(), &y, classes(2), weights)
            .unwrap()
    };
    let u = fit(5.0, None);
    let s = u.nodes()[0].split.as_ref().unwrap();
    assert_eq!(u.predictors()[s.predictor].name, "1");
    assert!((s.statistic - 20.0).abs() < 1e-9 && (s.ln_p.exp() - 4.54e-5).abs() < 1e-6);
    assert_eq!(u.nodes().len(), 4);
    assert_eq!(fit(31.0, None).nodes().len(), 1);
}

#[test]
fn c7_stopping_weighted_as_the_package() {
    // C7 with weights 1.0 ×15 then 1.2 ×15 under the package's rules:
    // min_child 10.7 → 4 nodes, root split on column 3 into [[3],[4],[5]],
    // χ² 4.86527, p 0.08781; min_child 11.5 → 3 nodes.
    let (cols, y) = c7_data();
    let w: Vec<f64> = [vec![1.0; 15], vec![1.2; 15]].concat();
    let fit = |min_child: f64| {
        Chaid::chaid_package_params()
            .alpha_merge(0.999)
            .max_depth(5)
            .min_child(min_child)
            .check()
            .unwrap()
            .fit(cols.clone(), &y, classes(2), Some(&w))
            .unwrap()
    };
    let m = fit(10.7);
    assert_eq!(m.nodes().len(), 4);
    let s = m.nodes()[0].split.as_ref().unwrap();
    assert_eq!(m.predictors()[s.predictor].name, "3");
    assert_eq!(s.groups.len(), 3);
    assert!((s.statistic - 4.86527).abs() < 1e-4 && (s.ln_p.exp() - 0.08781).abs() < 1e-4);
    assert_eq!(fit(11.5).nodes().len(), 3);
}

mod invariants {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]
        /// The unweighted path (cell columns, tables of the largest child by
        /// subtraction, parallel routing) grows the tree the general path
        /// grows with weights of one.
        #[test]
        fn unweighted_fast_path_equals_unit_weights(
            rows in proptest::collection::vec(
                (0u32..4, 0u32..150, proptest::option::weighted(0.9, 0u32..5), 0u32..3),
                60..250,
            ),
            exhaustive in any::<bool>(),
            depth in 1usize..5,
        ) {
            let a: Vec<Option<String>> = rows.iter().map(|r| Some(r.0.to_string())).collect();
            let b: Vec<Option<String>> = rows.iter().map(|r| Some(r.1.to_string())).collect();
            let c: Vec<f64> = rows.iter().map(|r| r.2.map_or(f64::NAN, f64::from)).collect();
            let y: Vec<u32> = rows.iter().map(|r| r.3).collect();
            let predictors = || vec![
                Predictor::nominal("a", &a),
                Predictor::nominal("b", &b),
                Predictor::ordinal("c", &c).unwrap(),
            ];
            // (The package preset weighs differently once weights are given.)
            let params = Chaid::params().exhaustive(exhaustive).alpha_merge(0.3).alpha_split(0.6).min_parent(8.0).min_child(2.0)
                .max_depth(depth).check().unwrap();
            let fast = params.fit(predictors(), &y, classes(3), None).unwrap();
            let ones = vec![1.0; y.len()];
            let general = params.fit(predictors(), &y, classes(3), Some(&ones)).unwrap();
            prop_assert_eq!(fast.nodes(), general.nodes());
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn groups_partition_ordinal_groups_contiguous_and_training_routes_match(
            rows in proptest::collection::vec((0u32..6, 0u32..5, 0u32..3, proptest::bool::weighted(0.1)), 20..200),
            exhaustive in any::<bool>(),
        ) {
            let nom: Vec<Option<String>> = rows.iter().map(|r| Some(r.0.to_string())).collect();
            let ord: Vec<f64> = rows.iter().map(|r| if r.3 { f64::NAN } else { f64::from(r.1) }).collect();
            let y: Vec<u32> = rows.iter().map(|r| r.2).collect();
            let m = Chaid::params()
                .alpha_merge(0.2)
                .alpha_split(0.5)
                .min_parent(10.0)
                .min_child(3.0)
                .exhaustive(exhaustive)
                .check()
                .unwrap()
                .fit(vec![Predictor::nominal("n", &nom), Predictor::ordinal("o", &ord).unwrap()], &y, classes(3), None)
                .unwrap();
            let leaves = m.apply_training();
            for node in m.nodes() {
                if let Some(s) = &node.split {
                    // Groups are disjoint and each child holds exactly its branch.
                    let mut all: Vec<u32> = s.groups.iter().flatten().copied().collect();
                    let n_all = all.len();
                    all.sort_unstable();
                    all.dedup();
                    prop_assert_eq!(all.len(), n_all);
                    prop_assert!(s.ln_p_adjusted <= 0.0 && s.ln_bonferroni >= 0.0);
                    if m.predictors()[s.predictor].kind == PredictorKind::Ordinal {
                        // Ordinal groups are runs of the codes present in the node.
                        let present: Vec<u32> = {
                            let mut p: Vec<u32> = s.groups.iter().flatten().copied().filter(|&c| c != MISSING).collect();
                            p.sort_unstable();
                            p
                        };
                        for g in &s.groups {
                            let codes: Vec<usize> = g.iter().filter(|&&c| c != MISSING)
                                .map(|c| present.iter().position(|p| p == c).unwrap()).collect();
                            if let (Some(lo), Some(hi)) = (codes.iter().min(), codes.iter().max()) {
                                prop_assert_eq!(hi - lo + 1, codes.len());
                            }
                        }
                    }
                }
            }
            // Routing the training rows reproduces every leaf's class counts.
            for node in m.nodes().iter().filter(|n| n.split.is_none()) {
                let mut counts = vec![0.0; 3];
                for (r, &leaf) in leaves.iter().enumerate() {
                    if leaf == node.id {
                        counts[y[r] as usize] += 1.0;
                    }
                }
                prop_assert_eq!(&counts, &node.counts);
            }
        }
    }
}

#[test]
fn gains_table_by_hand() {
    // C6's tree, class 1 as the response: 6 of 20 respond (rate 0.3).
    // Leaf 2 (gender 1: rows 2,3,6,7,10,19 → 1,1,1,1,1,0) has 5 of 6,
    // rate 5/6, index (5/6)/0.3·100 = 277.78, gain 5/6; leaf 1 (gender 0:
    // 0,0,2,0,1,0) has 1 of 6; leaf 3 (gender 2, 8 rows) none.
    let gender = [0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 2, 2, 2, 2, 2, 2, 2, 2, 1];
    let y = [0, 0, 1, 1, 2, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    let m = Chaid::chaid_package_params()
        .alpha_merge(0.9)
        .min_child(1.0)
        .min_parent(1.0)
        .check()
        .unwrap()
        .fit(
            vec![Predictor::nominal("gender", &labels(&gender))],
            &y,
            classes(3),
            None,
        )
        .unwrap();
    let g = m.gains(1).unwrap();
    assert_eq!(g.iter().map(|r| r.node).collect::<Vec<_>>(), [2, 1, 3]);
    assert!((g[0].index - (5.0 / 6.0) / 0.3 * 100.0).abs() < 1e-9);
    assert!((g[0].gain - 5.0 / 6.0).abs() < 1e-12);
    assert!((g[1].cumulative_gain - 1.0).abs() < 1e-12);
    assert!((g[1].cumulative_share - 12.0 / 20.0).abs() < 1e-12);
    assert!((g[2].cumulative_index - 100.0).abs() < 1e-9);
    assert!(m.gains(3).is_err());
}

/// Rows from (class a, class b) counts per category; `None` = missing.
fn blocks(b: &[(Option<u32>, usize, usize)]) -> (Vec<Option<u32>>, Vec<u32>) {
    let mut x = Vec::new();
    let mut y = Vec::new();
    for &(cat, a, bb) in b {
        for k in 0..a + bb {
            x.push(cat);
            y.push(u32::from(k >= a));
        }
    }
    (x, y)
}

fn root_split(x: &[Option<u32>], y: &[u32], kind: PredictorKind, exhaustive: bool) -> ChaidSplit {
    let p = match kind {
        PredictorKind::Nominal => Predictor::nominal(
            "x",
            &x.iter()
                .map(|c| c.map(|c| c.to_string()))
                .collect::<Vec<_>>(),
        ),
        _ => Predictor::ordinal(
            "x",
            &x.iter()
                .map(|c| c.map_or(f64::NAN, f64::from))
                .collect::<Vec<_>>(),
        )
        .unwrap(),
    };
    let m = Chaid::params()
        .min_parent(1.0)
        .min_child(1.0)
        .max_depth(1)
        .exhaustive(exhaustive)
        .check()
        .unwrap()
        .fit(vec![p], y, classes(2), None)
        .unwrap();
    m.nodes()[0].split.clone().unwrap()
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs()
}

#[test]
fn c12_merge_unit_cases() {
    // T1: (30,30), (30,30), (55,5): groups {0,1} {2}, χ² 30.100334, p 4.1026e-08.
    let (x, y) = blocks(&[(Some(0), 30, 30), (Some(1), 30, 30), (Some(2), 55, 5)]);
    let s = root_split(&x, &y, PredictorKind::Nominal, false);
    assert_eq!(s.groups, [vec![0, 1], vec![2]]);
    assert!(close(s.statistic, 30.100334, 1e-6) && s.df == 1.0);
    assert!(close(s.ln_p.exp(), 4.1026e-08, 1e-3));
    assert!(
        close(s.ln_bonferroni.exp(), 3.0, 1e-9) && close(s.ln_p_adjusted.exp(), 1.2308e-07, 1e-3)
    );
    let s = root_split(&x, &y, PredictorKind::Ordinal, false);
    assert_eq!(s.groups, [vec![0, 1], vec![2]]);
    assert!(close(s.ln_p_adjusted.exp(), 8.2052e-08, 1e-3)); // B = 2
    let s = root_split(&x, &y, PredictorKind::Nominal, true);
    assert_eq!(s.groups, [vec![0, 1], vec![2]]);
    assert!(close(s.ln_bonferroni.exp(), 12.0, 1e-9)); // I(I²−1)/2, SPSS
                                                       // T2: (55,5), (30,30), (55,5): ordinal cannot merge 0 and 2 → no merge;
                                                       // nominal merges {0,2}.
    let (x, y) = blocks(&[(Some(0), 55, 5), (Some(1), 30, 30), (Some(2), 55, 5)]);
    let s = root_split(&x, &y, PredictorKind::Ordinal, false);
    assert_eq!(s.groups.len(), 3);
    assert!(
        close(s.statistic, 40.178571, 1e-6) && s.df == 2.0 && close(s.ln_p.exp(), 1.8851e-09, 1e-3)
    );
    let s = root_split(&x, &y, PredictorKind::Nominal, false);
    assert_eq!(s.groups, [vec![0, 2], vec![1]]);
    assert!(
        close(s.ln_p.exp(), 2.3178e-10, 1e-3) && close(s.ln_p_adjusted.exp(), 6.9533e-10, 1e-3)
    );
    let s = root_split(&x, &y, PredictorKind::Nominal, true);
    assert_eq!(s.groups, [vec![0, 2], vec![1]]);
    assert!(close(s.ln_p_adjusted.exp(), 2.7813e-09, 1e-3));
    // T3: floating NA (27,3) joins {2}: {0,1} {2,NA}, χ² 37.128577, B 5.
    let (x, y) = blocks(&[
        (Some(0), 30, 30),
        (Some(1), 32, 28),
        (Some(2), 55, 5),
        (None, 27, 3),
    ]);
    let s = root_split(&x, &y, PredictorKind::Ordinal, false);
    assert_eq!(s.groups, [vec![0, 1], vec![2, MISSING]]);
    assert!(close(s.statistic, 37.128577, 1e-6) && close(s.ln_p.exp(), 1.1059e-09, 1e-3));
    assert!(close(s.ln_p_adjusted.exp(), 5.5296e-09, 1e-3));
    // T4: NA (1,29) stays apart: {0,1} {2} {NA}, χ² 65.721721, df 2.
    let (x, y) = blocks(&[
        (Some(0), 30, 30),
        (Some(1), 32, 28),
        (Some(2), 55, 5),
        (None, 1, 29),
    ]);
    let s = root_split(&x, &y, PredictorKind::Ordinal, false);
    assert_eq!(s.groups, [vec![0, 1], vec![2], vec![MISSING]]);
    assert!(close(s.statistic, 65.721721, 1e-6) && s.df == 2.0);
    assert!(
        close(s.ln_p.exp(), 5.3544e-15, 1e-3) && close(s.ln_p_adjusted.exp(), 2.6772e-14, 1e-3)
    );
}

#[test]
fn c12_likelihood_ratio_statistic() {
    // T1 with the likelihood-ratio statistic: same groups {0,1} {2},
    // G² = 34.684090, p = 3.87788e-09.
    let (x, y) = blocks(&[(Some(0), 30, 30), (Some(1), 30, 30), (Some(2), 55, 5)]);
    let p = Predictor::nominal(
        "x",
        &x.iter()
            .map(|c| c.map(|c| c.to_string()))
            .collect::<Vec<_>>(),
    );
    let m = Chaid::params()
        .min_parent(1.0)
        .min_child(1.0)
        .max_depth(1)
        .statistic(ChaidStatistic::LikelihoodRatio)
        .check()
        .unwrap()
        .fit(vec![p], &y, classes(2), None)
        .unwrap();
    let s = m.nodes()[0].split.clone().unwrap();
    assert_eq!(s.groups, [vec![0, 1], vec![2]]);
    assert!(close(s.statistic, 34.684090, 1e-6) && s.df == 1.0);
    assert!(close(s.ln_p.exp(), 3.87788e-09, 1e-4));
    assert!(close(s.ln_p_adjusted.exp(), 3.0 * 3.87788e-09, 1e-4)); // B = 3
}

#[test]
fn c14_large_n_keeps_groups_in_rate_order() {
    // x0 uniform on 0..4, y ~ Bernoulli(logistic(−1 + 0.35·x0)), 300k rows
    // (deterministic: exact expected counts per level, interleaved).
    let n_per = 60_000usize;
    let mut x = Vec::new();
    let mut y = Vec::new();
    for level in 0..5u32 {
        let rate = 1.0 / (1.0 + (1.0 - 0.35 * f64::from(level)).exp());
        let ones = (rate * n_per as f64).round() as usize;
        for k in 0..n_per {
            x.push(Some(level));
            y.push(u32::from(k < ones));
        }
    }
    // Standard CHAID keeps all five levels: every pair differs.
    let s = root_split(&x, &y, PredictorKind::Nominal, false);
    assert_eq!(s.groups.len(), 5);
    assert!(s.ln_p < -700.0, "p underflows in linear scale: {}", s.ln_p);
    // Exhaustive: the best grouping found merges only neighbours in rate
    // order (contiguous groups), never the most different levels.
    let s = root_split(&x, &y, PredictorKind::Nominal, true);
    for g in &s.groups {
        let (lo, hi) = (g.iter().min().unwrap(), g.iter().max().unwrap());
        assert_eq!((hi - lo + 1) as usize, g.len(), "{:?}", s.groups);
    }
}

#[test]
fn frequency_weights_equal_expanded_rows() {
    // An aggregated table with frequency weights grows the same tree as the
    // expanded rows (the Titanic property, on a synthetic table).
    let cells: Vec<(u32, u32, u32, usize)> = vec![
        (0, 0, 0, 40),
        (0, 0, 1, 10),
        (0, 1, 0, 25),
        (0, 1, 1, 35),
        (1, 0, 0, 5),
        (1, 0, 1, 60),
        (1, 1, 0, 30),
        (1, 1, 1, 20),
        (2, 0, 0, 50),
        (2, 0, 1, 12),
        (2, 1, 0, 8),
        (2, 1, 1, 44),
    ];
    let fit = |a: Vec<Option<u32>>, b: Vec<Option<u32>>, y: Vec<u32>, w: Option<Vec<f64>>| {
        let to = |v: &[Option<u32>]| {
            v.iter()
                .map(|c| c.map(|c| c.to_string()))
                .collect::<Vec<_>>()
        };
        Chaid::params()
            .min_parent(20.0)
            .min_child(10.0)
            .check()
            .unwrap()
            .fit(
                vec![
                    Predictor::nominal("a", &to(&a)),
                    Predictor::nominal("b", &to(&b)),
                ],
                &y,
                classes(2),
                w.as_deref(),
            )
            .unwrap()
    };
    let agg = fit(
        cells.iter().map(|c| Some(c.0)).collect(),
        cells.iter().map(|c| Some(c.1)).collect(),
        cells.iter().map(|c| c.2).collect(),
        Some(cells.iter().map(|c| c.3 as f64).collect()),
    );
    let mut a = Vec::new();
    let mut b = Vec::new();
    let mut y = Vec::new();
    for c in &cells {
        for _ in 0..c.3 {
            a.push(Some(c.0));
            b.push(Some(c.1));
            y.push(c.2);
        }
    }
    let full = fit(a, b, y, None);
    assert!(agg.nodes().len() > 1);
    assert_eq!(agg.nodes().len(), full.nodes().len());
    for (x, z) in agg.nodes().iter().zip(full.nodes()) {
        assert_eq!((x.n, &x.counts), (z.n, &z.counts));
        assert_eq!(
            x.split.as_ref().map(|s| (&s.groups, s.statistic)),
            z.split.as_ref().map(|s| (&s.groups, s.statistic))
        );
    }
}

#[test]
fn sql_rules_select_exactly_the_leaf_rows() {
    // Ordinal with floating missing (from the floating test) and a binned
    // continuous predictor: each leaf's SQL, evaluated by hand on the rows,
    // selects exactly the rows the tree puts in that leaf.
    let mut x = Vec::new();
    let mut y = Vec::new();
    for (v, cls, n) in [
        (1.0, 0, 40),
        (2.0, 0, 40),
        (3.0, 1, 40),
        (4.0, 1, 40),
        (f64::NAN, 1, 30),
    ] {
        for _ in 0..n {
            x.push(v);
            y.push(cls);
        }
    }
    let m = Chaid::params()
        .min_parent(10.0)
        .min_child(5.0)
        .max_depth(1)
        .check()
        .unwrap()
        .fit(
            vec![Predictor::ordinal("x", &x).unwrap()],
            &y,
            classes(2),
            None,
        )
        .unwrap();
    assert_eq!(m.sql_rule(1), "\"x\" IN (1, 2)");
    assert_eq!(m.sql_rule(2), "(\"x\" IN (3, 4) OR \"x\" IS NULL)");
    assert_eq!(m.sql_rule(0), "TRUE");
    // Continuous: values 1..=10 in 5 bins (edges 2, 4, 6, 8, 10), classes
    // split at 6: the leaves are ranges.
    let v: Vec<f64> = (1..=100).map(|i| f64::from((i - 1) % 10 + 1)).collect();
    let y: Vec<u32> = v.iter().map(|&x| u32::from(x > 6.0)).collect();
    let m = Chaid::params()
        .min_parent(10.0)
        .min_child(5.0)
        .max_depth(1)
        .check()
        .unwrap()
        .fit(
            vec![Predictor::continuous("amount", &v, None, 5).unwrap()],
            &y,
            classes(2),
            None,
        )
        .unwrap();
    let rules: Vec<String> = (1..m.nodes().len()).map(|i| m.sql_rule(i)).collect();
    assert_eq!(rules, ["\"amount\" <= 6", "\"amount\" > 6"]);
}

#[test]
fn continuous_target_uses_anova_and_predicts_means() {
    // Spend by region: a and b alike (around 10), c higher (around 20).
    let mut region = Vec::new();
    let mut spend = Vec::new();
    for (r, base) in [("a", 10.0), ("b", 10.0), ("c", 20.0)] {
        for k in 0..60 {
            region.push(Some(r.to_owned()));
            spend.push(base + f64::from(k % 5) - 2.0);
        }
    }
    let m = Chaid::params()
        .min_parent(10.0)
        .min_child(5.0)
        .max_depth(1)
        .check()
        .unwrap()
        .fit_regressor(vec![Predictor::nominal("region", &region)], &spend, None)
        .unwrap();
    let s = m.nodes()[0].split.as_ref().unwrap();
    assert_eq!(s.groups, [vec![0, 1], vec![2]]);
    // Two groups of 120 and 60 rows, means 10 and 20 (grand mean 13.333…):
    // SSB = 120·(10/3)² + 60·(20/3)² = 4000; within-group deviations
    // −2..2 repeated: SSW = 180·2 = 360; F = 4000 / (360/178) = 1977.78.
    assert!(
        (s.statistic - 4000.0 / (360.0 / 178.0)).abs() < 1e-6,
        "{}",
        s.statistic
    );
    assert_eq!(s.df, 1.0);
    assert!((m.mean(1) - 10.0).abs() < 1e-12 && (m.mean(2) - 20.0).abs() < 1e-12);
    assert!(m.is_regression() && m.gains(0).is_err());
    let bad = Chaid::params().check().unwrap().fit_regressor(
        vec![Predictor::nominal("region", &region)],
        &vec![f64::NAN; region.len()],
        None,
    );
    assert!(bad
        .unwrap_err()
        .to_string()
        .starts_with("y: non-finite value NaN at row 0"));
}

#[test]
fn dot_has_every_node_and_edge() {
    let gender = [0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 2, 2, 2, 2, 2, 2, 2, 2, 1];
    let y = [0, 0, 1, 1, 2, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    let m = Chaid::chaid_package_params()
        .alpha_merge(0.9)
        .min_child(1.0)
        .min_parent(1.0)
        .check()
        .unwrap()
        .fit(
            vec![Predictor::nominal("gender", &labels(&gender))],
            &y,
            classes(3),
            None,
        )
        .unwrap();
    let dot = m.to_dot();
    assert!(dot.starts_with("digraph CHAID {") && dot.trim_end().ends_with('}'));
    assert_eq!(dot.matches("[label=").count(), 4 + 3); // 4 nodes, 3 edges
    assert!(dot.contains("0 -> 3 [label=\"2\"]"));
}

#[test]
fn case_weights_equal_everywhere_change_nothing() {
    let (x, y) = blocks(&[(Some(0), 30, 30), (Some(1), 32, 28), (Some(2), 55, 5)]);
    let p = || {
        vec![Predictor::nominal(
            "x",
            &x.iter()
                .map(|c| c.map(|c| c.to_string()))
                .collect::<Vec<_>>(),
        )]
    };
    let params = Chaid::params()
        .min_parent(1.0)
        .min_child(1.0)
        .check()
        .unwrap();
    let plain = params.fit(p(), &y, classes(2), None).unwrap();
    let case = vec![2.5; y.len()];
    let weighted = params
        .fit_case_weighted(p(), &y, classes(2), None, &case)
        .unwrap();
    let (a, b) = (
        plain.nodes()[0].split.as_ref().unwrap(),
        weighted.nodes()[0].split.as_ref().unwrap(),
    );
    assert_eq!(a.groups, b.groups);
    assert!((a.statistic - b.statistic).abs() < 1e-9);
    assert_eq!(plain.nodes().len(), weighted.nodes().len());
    // Case weights do not count cases: node sizes are frequencies.
    assert_eq!(weighted.nodes()[0].n, y.len() as f64);
    let e = params
        .fit_case_weighted(p(), &y, classes(2), None, &vec![0.0; y.len()])
        .unwrap_err();
    assert!(e.to_string().contains("case_weight"), "{e}");
    let e = Chaid::chaid_package_params()
        .check()
        .unwrap()
        .fit_case_weighted(p(), &y, classes(2), None, &case)
        .unwrap_err();
    assert!(e.to_string().contains("no case weights"), "{e}");
}

#[test]
fn split_merged_resplits_a_heterogeneous_group() {
    // c0 (36, 49), c1 (41, 6), c2 (53, 19), c3 (46, 30), alpha_merge 0.001:
    // c1, c2, c3 merge into one group unless merged groups may split back;
    // with split_merged 0.05, {c3} leaves ({c3} vs {c1, c2}: χ² 7.809,
    // p 0.0052, scipy) and joins c0 (pair p 0.021 > 0.001).
    let (x, y) = blocks(&[
        (Some(0), 36, 49),
        (Some(1), 41, 6),
        (Some(2), 53, 19),
        (Some(3), 46, 30),
    ]);
    let p = || {
        vec![Predictor::nominal(
            "x",
            &x.iter()
                .map(|c| c.map(|c| c.to_string()))
                .collect::<Vec<_>>(),
        )]
    };
    let fit = |resplit: Option<f64>| {
        let m = Chaid::params()
            .min_parent(1.0)
            .min_child(1.0)
            .max_depth(1)
            .alpha_merge(0.001)
            .alpha_split(1.0)
            .bonferroni(false)
            .split_merged(resplit)
            .check()
            .unwrap()
            .fit(p(), &y, classes(2), None)
            .unwrap();
        let mut g = m.nodes()[0].split.clone().unwrap().groups;
        g.sort();
        g
    };
    assert_eq!(fit(None), [vec![0], vec![1, 2, 3]]);
    assert_eq!(fit(Some(0.05)), [vec![0, 3], vec![1, 2]]);
    assert!(Chaid::params().split_merged(Some(0.0)).check().is_err());
}
