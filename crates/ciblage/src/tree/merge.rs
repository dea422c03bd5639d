//! Rules without redundant conditions: the conditions of one path on one
//! column merged into the tightest one, for both tree kinds (applied by
//! [`crate::tree::rule_path`], so text and SQL rules, segments and gains
//! tables all read merged rules).

use crate::tree::condition::{Category, Condition, Missing, Test};

/// The conditions with redundant ones on the same column merged: two
/// upper bounds into the smaller one (`x <= 96.5 and x <= 30.5` is
/// `x <= 30.5`), two lower bounds into the larger one, two category sets
/// into their intersection. The merged condition stands where the first of
/// its parts stood; it selects exactly the rows all its parts select
/// (missing values only where every part takes them). An upper and a lower
/// bound stay two conditions (a range).
///
/// ```
/// use ciblage::tree::{merge_conditions, Condition, Missing, Test};
/// let c = |test| Condition { column: "x".into(), test, missing: Missing::Excluded };
/// let merged = merge_conditions(vec![
///     c(Test::AtMost(96.5)),
///     c(Test::Above(2.0)),
///     c(Test::AtMost(30.5)),
/// ]);
/// assert_eq!(merged, [c(Test::AtMost(30.5)), c(Test::Above(2.0))]);
/// ```
pub fn merge_conditions(conditions: Vec<Condition>) -> Vec<Condition> {
    let mut kept: Vec<Condition> = Vec::with_capacity(conditions.len());
    'next: for c in conditions {
        for k in kept.iter_mut() {
            if let Some(both) = conjunction(k, &c) {
                *k = both;
                continue 'next;
            }
        }
        kept.push(c);
    }
    kept
}

/// One condition selecting exactly the rows that meet both `a` and `b`,
/// when there is one of the same kind (same column; two upper bounds, two
/// lower bounds or two category sets).
fn conjunction(a: &Condition, b: &Condition) -> Option<Condition> {
    if a.column != b.column {
        return None;
    }
    let both_take_missing = a.missing != Missing::Excluded && b.missing != Missing::Excluded;
    let plain_missing = if both_take_missing {
        Missing::Included
    } else {
        Missing::Excluded
    };
    let (test, missing) = match (&a.test, &b.test) {
        (Test::AtMost(x), Test::AtMost(y)) => (Test::AtMost(x.min(*y)), plain_missing),
        (Test::Above(x), Test::Above(y)) => (Test::Above(x.max(*y)), plain_missing),
        (Test::In(s), Test::In(t)) => {
            // The present values each condition takes: its set, and with
            // `WithOthers` every category outside `known` as well.
            let others = |m: &Missing| match m {
                Missing::WithOthers { known } => Some(known.clone()),
                _ => None,
            };
            let takes = |set: &[Category], known: &Option<Vec<Category>>, c: &Category| {
                set.contains(c) || known.as_ref().is_some_and(|k| !k.contains(c))
            };
            let (ka, kb) = (others(&a.missing), others(&b.missing));
            let mut cats: Vec<Category> = Vec::new();
            for c in s.iter().chain(t) {
                if takes(s, &ka, c) && takes(t, &kb, c) && !cats.contains(c) {
                    cats.push(c.clone());
                }
            }
            match (ka, kb) {
                (Some(mut ka), Some(kb)) => {
                    for c in kb {
                        if !ka.contains(&c) {
                            ka.push(c);
                        }
                    }
                    (Test::In(cats), Missing::WithOthers { known: ka })
                }
                _ => (Test::In(cats), plain_missing),
            }
        }
        _ => return None,
    };
    Some(Condition {
        column: a.column.clone(),
        test,
        missing,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::rules::join_text;

    fn cond(test: Test, missing: Missing) -> Condition {
        Condition {
            column: "x".into(),
            test,
            missing,
        }
    }

    fn codes(cs: &[u32]) -> Vec<Category> {
        cs.iter().map(|&c| Category::Code(c)).collect()
    }

    #[test]
    fn bounds_of_one_side_merge_into_the_tighter_one() {
        let merged = merge_conditions(vec![
            cond(Test::AtMost(96.5), Missing::Included),
            cond(Test::Above(1.0), Missing::Excluded),
            cond(Test::AtMost(30.5), Missing::Included),
            cond(Test::Above(3.0), Missing::Excluded),
            Condition {
                column: "y".into(),
                test: Test::AtMost(0.0),
                missing: Missing::Excluded,
            },
            cond(Test::AtMost(50.0), Missing::Excluded),
        ]);
        assert_eq!(
            join_text(&merged),
            "x <= 30.5 and x > 3 and y <= 0",
            "{merged:?}"
        );
        // Missing values pass only where every part lets them.
        assert_eq!(merged[0].missing, Missing::Excluded);
        assert_eq!(merged[1].missing, Missing::Excluded);
        let kept = merge_conditions(vec![
            cond(Test::AtMost(2.0), Missing::Included),
            cond(Test::AtMost(1.0), Missing::Included),
        ]);
        assert_eq!(kept, [cond(Test::AtMost(1.0), Missing::Included)]);
    }

    #[test]
    fn category_sets_merge_into_their_intersection() {
        let merged = merge_conditions(vec![
            cond(Test::In(codes(&[1, 2, 3])), Missing::Included),
            cond(Test::In(codes(&[3, 2, 4])), Missing::Excluded),
        ]);
        assert_eq!(merged, [cond(Test::In(codes(&[2, 3])), Missing::Excluded)]);
        // With others: 1 | missing | not in {1, 2}, then 2 | 5 | 7: of the
        // second set, 5 and 7 are "others" of the first; 2 is not.
        let merged = merge_conditions(vec![
            cond(
                Test::In(codes(&[1])),
                Missing::WithOthers {
                    known: codes(&[1, 2]),
                },
            ),
            cond(Test::In(codes(&[2, 5, 7])), Missing::Included),
        ]);
        assert_eq!(merged, [cond(Test::In(codes(&[5, 7])), Missing::Included)]);
        // Both with others: {1} ∪ ¬{1, 2} and {3} ∪ ¬{3, 4}.
        let merged = merge_conditions(vec![
            cond(
                Test::In(codes(&[1])),
                Missing::WithOthers {
                    known: codes(&[1, 2]),
                },
            ),
            cond(
                Test::In(codes(&[3])),
                Missing::WithOthers {
                    known: codes(&[3, 4]),
                },
            ),
        ]);
        assert_eq!(
            merged,
            [cond(
                Test::In(codes(&[1, 3])),
                Missing::WithOthers {
                    known: codes(&[1, 2, 3, 4])
                }
            )]
        );
    }

    /// Brute force: on every value 0..8 and missing, the merged
    /// conditions take the same values as the parts.
    #[test]
    fn merged_conditions_take_the_same_values() {
        let meets = |c: &Condition, v: Option<u32>| match (v, &c.test, &c.missing) {
            (None, _, m) => *m != Missing::Excluded,
            (Some(v), Test::AtMost(t), _) => f64::from(v) <= *t,
            (Some(v), Test::Above(t), _) => f64::from(v) > *t,
            (Some(v), Test::In(s), m) => {
                s.contains(&Category::Code(v))
                    || matches!(m, Missing::WithOthers { known } if !known.contains(&Category::Code(v)))
            }
        };
        let sets = [vec![0, 1, 2], vec![2, 3], vec![5], vec![]];
        let missings = |k: &[u32]| {
            vec![
                Missing::Excluded,
                Missing::Included,
                Missing::WithOthers { known: codes(k) },
            ]
        };
        let mut all = Vec::new();
        for s in &sets {
            for m in missings(&[0, 1, 2, 3]) {
                all.push(cond(Test::In(codes(s)), m));
            }
        }
        for t in [0.5, 2.5, 6.0] {
            for m in [Missing::Excluded, Missing::Included] {
                all.push(cond(Test::AtMost(t), m.clone()));
                all.push(cond(Test::Above(t), m));
            }
        }
        for a in &all {
            for b in &all {
                let parts = vec![a.clone(), b.clone()];
                let merged = merge_conditions(parts.clone());
                for v in (0..8).map(Some).chain([None]) {
                    assert_eq!(
                        parts.iter().all(|c| meets(c, v)),
                        merged.iter().all(|c| meets(c, v)),
                        "{parts:?} -> {merged:?} at {v:?}"
                    );
                }
            }
        }
    }
}
