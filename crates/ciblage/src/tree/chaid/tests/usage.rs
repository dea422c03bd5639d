//! Using a tree: gains, rules, SQL, DOT, weights, continuous targets.

use super::*;
use crate::error::CiblageError;

#[test]
fn gains_table_by_hand() {
    // C6's tree, class 1 as the response: 6 of 20 respond (rate 0.3).
    // Leaf 2 (gender 1: rows 2,3,6,7,10,19 → 1,1,1,1,1,0) has 5 of 6,
    // rate 5/6, index (5/6)/0.3·100 = 277.78, gain 5/6; leaf 1 (gender 0:
    // 0,0,2,0,1,0) has 1 of 6; leaf 3 (gender 2, 8 rows) none.
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
    let g = m.gains(1).unwrap();
    assert_eq!(g.iter().map(|r| r.node).collect::<Vec<_>>(), [2, 1, 3]);
    assert!((g[0].index - (5.0 / 6.0) / 0.3 * 100.0).abs() < 1e-9);
    assert!((g[0].gain - 5.0 / 6.0).abs() < 1e-12);
    assert!((g[1].cumulative_gain - 1.0).abs() < 1e-12);
    assert!((g[1].cumulative_share - 12.0 / 20.0).abs() < 1e-12);
    assert!((g[2].cumulative_index - 100.0).abs() < 1e-9);
    assert!(m.gains(3).is_err());
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
        Chaid::classifier()
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
                ChaidWeights::frequency(w.as_deref()),
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
    assert_eq!(m.sql_rule(1), "\"x\" IN (1, 2)");
    assert_eq!(m.sql_rule(2), "(\"x\" IN (3, 4) OR \"x\" IS NULL)");
    assert_eq!(m.sql_rule(0), "TRUE");
    // Continuous: values 1..=10 in 5 bins (edges 2, 4, 6, 8, 10), classes
    // split at 6: the leaves are ranges.
    let v: Vec<f64> = (1..=100).map(|i| f64::from((i - 1) % 10 + 1)).collect();
    let y: Vec<u32> = v.iter().map(|&x| u32::from(x > 6.0)).collect();
    let m = Chaid::classifier()
        .min_parent(10.0)
        .min_child(5.0)
        .max_depth(Some(1))
        .check()
        .unwrap()
        .fit(
            vec![Predictor::continuous("amount", &v, None, 5).unwrap()],
            &y,
            classes(2),
            ChaidWeights::default(),
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
    let m = Chaid::regressor()
        .min_parent(10.0)
        .min_child(5.0)
        .max_depth(Some(1))
        .check()
        .unwrap()
        .fit(
            vec![Predictor::nominal("region", &region)],
            &spend,
            ChaidWeights::default(),
        )
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
    let bad = Chaid::regressor().check().unwrap().fit(
        vec![Predictor::nominal("region", &region)],
        &vec![f64::NAN; region.len()],
        ChaidWeights::default(),
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
    let params = Chaid::classifier()
        .min_parent(1.0)
        .min_child(1.0)
        .check()
        .unwrap();
    let plain = params
        .fit(p(), &y, classes(2), ChaidWeights::default())
        .unwrap();
    let case = vec![2.5; y.len()];
    let weighted = params
        .fit(
            p(),
            &y,
            classes(2),
            ChaidWeights {
                frequency: None,
                case: Some(&case),
            },
        )
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
        .fit(
            p(),
            &y,
            classes(2),
            ChaidWeights {
                frequency: None,
                case: Some(&vec![0.0; y.len()]),
            },
        )
        .unwrap_err();
    assert!(e.to_string().contains("case_weight"), "{e}");
    let e = Chaid::classifier()
        .preset(ChaidPreset::ChaidPackage)
        .check()
        .unwrap()
        .fit(
            p(),
            &y,
            classes(2),
            ChaidWeights {
                frequency: None,
                case: Some(&case),
            },
        )
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
        let m = Chaid::classifier()
            .min_parent(1.0)
            .min_child(1.0)
            .max_depth(Some(1))
            .alpha_merge(0.001)
            .alpha_split(1.0)
            .bonferroni(false)
            .split_merged(resplit)
            .check()
            .unwrap()
            .fit(p(), &y, classes(2), ChaidWeights::default())
            .unwrap();
        let mut g = m.nodes()[0].split.clone().unwrap().groups;
        g.sort();
        g
    };
    assert_eq!(fit(None), [vec![0], vec![1, 2, 3]]);
    assert_eq!(fit(Some(0.05)), [vec![0, 3], vec![1, 2]]);
    assert!(Chaid::classifier().split_merged(Some(0.0)).check().is_err());
}

#[test]
fn predictors_with_too_many_categories_are_refused_before_growing() {
    // 1,001 nominal categories (an id column): merging would test about
    // k³/6 pairs; refused at once, naming the column.
    let n = 1_001;
    let ids: Vec<u32> = (0..n as u32).collect();
    let y: Vec<u32> = (0..n as u32).map(|i| i % 2).collect();
    let params = Chaid::classifier().check().unwrap();
    let e = params
        .fit(
            vec![Predictor::nominal("id", &labels(&ids))],
            &y,
            classes(2),
            ChaidWeights::default(),
        )
        .unwrap_err();
    assert!(
        matches!(
            e,
            CiblageError::TooManyCategories {
                found: 1_001,
                limit: 1_000,
                ..
            }
        ),
        "{e}"
    );
    assert!(
        e.to_string()
            .starts_with("X column \"id\": 1001 categories"),
        "{e}"
    );
    // 5,001 ordinal values: the adjacent-pair limit.
    let n = 5_001;
    let values: Vec<f64> = (0..n).map(f64::from).collect();
    let y: Vec<u32> = (0..n as u32).map(|i| i % 2).collect();
    let e = params
        .fit(
            vec![Predictor::ordinal("v", &values).unwrap()],
            &y,
            classes(2),
            ChaidWeights::default(),
        )
        .unwrap_err();
    assert!(
        matches!(e, CiblageError::TooManyCategories { limit: 5_000, .. }),
        "{e}"
    );
}

#[test]
fn options_parse_by_name_and_presets_reset_every_option() {
    assert_eq!(
        "likelihood_ratio".parse::<ChaidStatistic>().unwrap(),
        ChaidStatistic::LikelihoodRatio
    );
    assert_eq!(
        "ordinal".parse::<PredictorKind>().unwrap(),
        PredictorKind::Ordinal
    );
    let e = "g".parse::<ChaidStatistic>().unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid parameter statistic: expected \"pearson\" or \"likelihood_ratio\", got \"g\""
    );
    assert!("spss ".parse::<ChaidPreset>().is_err());
    // The package's defaults (chaid.md): max_depth 2, min_parent/min_child 30.
    let p = Chaid::classifier()
        .max_depth(None)
        .preset("chaid_package".parse().unwrap());
    assert_eq!(
        (p.max_depth, p.min_parent, p.min_child, p.bonferroni),
        (Some(2), 30.0, 30.0, false)
    );
    let back = p.preset(ChaidPreset::Spss);
    assert_eq!(back, Chaid::classifier());
}

#[test]
fn regression_refuses_case_weights_and_depth_none_has_no_limit() {
    // y = x: a perfect split at every level while rows remain.
    let y: Vec<f64> = (0..64).map(|i| f64::from(i % 8)).collect();
    let p = || vec![Predictor::ordinal("x", &y).unwrap()];
    let case = vec![1.0; y.len()];
    let e = Chaid::regressor()
        .fit(
            p(),
            &y,
            ChaidWeights {
                frequency: None,
                case: Some(&case),
            },
        )
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid parameter case_weight: case weights are for categorical targets; use sample_weight"
    );
    let depth = |d: Option<usize>| {
        let m = Chaid::regressor()
            .min_parent(2.0)
            .min_child(1.0)
            .max_depth(d)
            .fit(p(), &y, ChaidWeights::default())
            .unwrap();
        m.nodes().iter().map(|n| n.depth).max().unwrap()
    };
    assert_eq!(depth(Some(1)), 1);
    // Without a limit the tree goes at least as deep as with the default 3.
    assert!(depth(None) >= depth(Some(3)));
}
