//! The conformance cases of the reference notes (C2, C4–C7, C12, C14) and
//! the SPSS rules they exercise.

use super::*;

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
    let m = Chaid::classifier()
        .preset(ChaidPreset::ChaidPackage)
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
            ChaidWeights::default(),
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
    let m = Chaid::classifier()
        .preset(ChaidPreset::ChaidPackage)
        .alpha_merge(0.055)
        .min_child(5.0)
        .min_parent(1.0)
        .check()
        .unwrap()
        .fit(
            vec![Predictor::nominal("c", &labels(&col))],
            &y,
            classes(2),
            ChaidWeights::default(),
        )
        .unwrap();
    assert_eq!(group_labels(&m, 0), [vec!["1"], vec!["2", "3"]]);
    let s = m.nodes()[0].split.as_ref().unwrap();
    assert!((s.statistic - 8.57143).abs() < 1e-4);
    assert!((s.ln_p.exp() - 0.003415).abs() < 1e-5);
    // Related: 1 ×5, 2 ×5, 3 ×5, min_child 0 → three groups, χ² = 15, df 2, p = 5.53e-4.
    let col: Vec<u32> = [vec![1; 5], vec![2; 5], vec![3; 5]].concat();
    let m = Chaid::classifier()
        .preset(ChaidPreset::ChaidPackage)
        .min_child(0.0)
        .min_parent(1.0)
        .check()
        .unwrap()
        .fit(
            vec![Predictor::nominal("c", &labels(&col))],
            &y,
            classes(2),
            ChaidWeights::default(),
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
    let m = Chaid::classifier()
        .preset(ChaidPreset::ChaidPackage)
        .alpha_merge(0.9)
        .min_child(1.0)
        .min_parent(1.0)
        .check()
        .unwrap()
        .fit(
            vec![Predictor::nominal("gender", &labels(&gender))],
            &y,
            classes(3),
            ChaidWeights::default(),
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
        Chaid::classifier()
            .alpha_split(alpha)
            .min_parent(1.0)
            .min_child(1.0)
            .check()
            .unwrap()
            .fit(
                vec![Predictor::nominal("x", &x)],
                &y,
                classes(2),
                ChaidWeights::default(),
            )
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
    let m = Chaid::classifier()
        .min_parent(10.0)
        .min_child(5.0)
        .max_depth(Some(1))
        .check()
        .unwrap()
        .fit(
            vec![Predictor::ordinal("x", &x).unwrap()],
            &y,
            classes(2),
            ChaidWeights::default(),
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
    let m = Chaid::classifier()
        .max_depth(Some(1))
        .check()
        .unwrap()
        .fit(
            vec![
                Predictor::nominal("weak", &weak),
                Predictor::nominal("strong", &strong),
            ],
            &y,
            classes(2),
            ChaidWeights::default(),
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
    let m = Chaid::classifier()
        .preset(ChaidPreset::ChaidPackage)
        .alpha_merge(0.9)
        .min_child(0.0)
        .check()
        .unwrap()
        .fit(
            vec![Predictor::nominal("gender", &labels(&gender))],
            &income,
            classes(3),
            ChaidWeights::frequency(Some(&w)),
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
        Chaid::classifier()
            .preset(ChaidPreset::ChaidPackage)
            .alpha_merge(0.999)
            .max_depth(Some(5))
            .min_child(min_child)
            .check()
            .unwrap()
            .fit(
                cols.clone(),
                &y,
                classes(2),
                ChaidWeights::frequency(weights),
            )
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
        Chaid::classifier()
            .preset(ChaidPreset::ChaidPackage)
            .alpha_merge(0.999)
            .max_depth(Some(5))
            .min_child(min_child)
            .check()
            .unwrap()
            .fit(
                cols.clone(),
                &y,
                classes(2),
                ChaidWeights::frequency(Some(&w)),
            )
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
    let m = Chaid::classifier()
        .min_parent(1.0)
        .min_child(1.0)
        .max_depth(Some(1))
        .exhaustive(exhaustive)
        .check()
        .unwrap()
        .fit(vec![p], y, classes(2), ChaidWeights::default())
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
    let m = Chaid::classifier()
        .min_parent(1.0)
        .min_child(1.0)
        .max_depth(Some(1))
        .statistic(ChaidStatistic::LikelihoodRatio)
        .check()
        .unwrap()
        .fit(vec![p], &y, classes(2), ChaidWeights::default())
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
