//! Property tests of CHAID: groups, routing, and the fast path.

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
        let params = Chaid::classifier().exhaustive(exhaustive).alpha_merge(0.3).alpha_split(0.6).min_parent(8.0).min_child(2.0)
            .max_depth(Some(depth)).check().unwrap();
        let fast = params.fit(predictors(), &y, classes(3), ChaidWeights::default()).unwrap();
        let ones = vec![1.0; y.len()];
        let general = params.fit(predictors(), &y, classes(3), ChaidWeights::frequency(Some(&ones))).unwrap();
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
        let m = Chaid::classifier()
            .alpha_merge(0.2)
            .alpha_split(0.5)
            .min_parent(10.0)
            .min_child(3.0)
            .exhaustive(exhaustive)
            .check()
            .unwrap()
            .fit(vec![Predictor::nominal("n", &nom), Predictor::ordinal("o", &ord).unwrap()], &y, classes(3), ChaidWeights::default())
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
