//! Rules as SQL `WHERE` conditions: one renderer for the conditions of
//! both tree kinds, selecting exactly the rows the tree routes there
//! (thresholds printed in full, values compared as stored).

use crate::tree::rules::{rule_path, Category, Condition, Missing, RuleTree, Test};

/// A SQL identifier, double-quoted.
pub(crate) fn sql_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A SQL string literal.
pub(crate) fn sql_text(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A listed category as a SQL value (bins have none: they are ranges).
fn sql_value(c: &Category) -> Option<String> {
    match c {
        Category::Label(s) => Some(sql_text(s)),
        Category::Code(c) => Some(c.to_string()),
        Category::Number { value, .. } => Some(value.to_string()),
        Category::Bin { .. } => None,
    }
}

/// The bins among `cats` as ranges, by lower bound, adjacent bins (one's
/// upper bound the next one's lower bound) joined: `col > a AND col <= b`,
/// one side alone for an open bin, `col IS NOT NULL` when both are open.
fn ranges(col: &str, cats: &[Category]) -> Vec<String> {
    let mut bins: Vec<(Option<f64>, Option<f64>)> = cats
        .iter()
        .filter_map(|c| match c {
            Category::Bin { above, at_most, .. } => Some((*above, *at_most)),
            _ => None,
        })
        .collect();
    bins.sort_by(|a, b| {
        let low = |x: Option<f64>| x.unwrap_or(f64::NEG_INFINITY);
        low(a.0).total_cmp(&low(b.0))
    });
    let mut runs: Vec<(Option<f64>, Option<f64>)> = Vec::new();
    for (above, at_most) in bins {
        match runs.last_mut() {
            Some(last) if last.1.is_some() && last.1 == above => last.1 = at_most,
            _ => runs.push((above, at_most)),
        }
    }
    runs.into_iter()
        .map(|(lo, hi)| {
            let mut conds = Vec::new();
            if let Some(lo) = lo {
                conds.push(format!("{col} > {lo}"));
            }
            if let Some(hi) = hi {
                conds.push(format!("{col} <= {hi}"));
            }
            if conds.is_empty() {
                format!("{col} IS NOT NULL")
            } else {
                conds.join(" AND ")
            }
        })
        .collect()
}

/// Alternatives joined by `OR`, in parentheses when there are several.
fn any_of(mut alternatives: Vec<String>) -> String {
    match alternatives.len() {
        0 => "FALSE".to_owned(),
        1 => alternatives.remove(0),
        _ => format!("({})", alternatives.join(" OR ")),
    }
}

impl Condition {
    /// The condition in SQL: `"col" <= t`, `"col" IN ('a', 'b')`, bins as
    /// ranges, with `"col" IS NULL` (and `NOT IN` the known categories for
    /// [`Missing::WithOthers`]) where missing values go; `FALSE` for an
    /// empty set.
    pub fn to_sql(&self) -> String {
        let col = sql_ident(&self.column);
        let base = match &self.test {
            // An infinite threshold (CART's split of present values from
            // missing ones) has no SQL literal: it takes every present
            // value or none.
            Test::AtMost(t) if t.is_infinite() => bound_all_or_none(&col, *t > 0.0),
            Test::Above(t) if t.is_infinite() => bound_all_or_none(&col, *t < 0.0),
            Test::AtMost(t) => format!("{col} <= {t}"),
            Test::Above(t) => format!("{col} > {t}"),
            Test::In(cats) => {
                let values: Vec<String> = cats.iter().filter_map(sql_value).collect();
                let mut alternatives = ranges(&col, cats);
                if !values.is_empty() {
                    alternatives.push(format!("{col} IN ({})", values.join(", ")));
                }
                if self.missing == Missing::Included {
                    alternatives.push(format!("{col} IS NULL"));
                    return any_of(alternatives);
                }
                any_of(alternatives)
            }
        };
        match &self.missing {
            Missing::Excluded => base,
            Missing::Included => format!("({base} OR {col} IS NULL)"),
            Missing::WithOthers { known } => {
                let known: Vec<String> = known.iter().filter_map(sql_value).collect();
                format!(
                    "({base} OR {col} IS NULL OR {col} NOT IN ({}))",
                    known.join(", ")
                )
            }
        }
    }
}

/// A bound that every present value meets (`col IS NOT NULL`) or none
/// does (`FALSE`).
fn bound_all_or_none(col: &str, all: bool) -> String {
    if all {
        format!("{col} IS NOT NULL")
    } else {
        "FALSE".to_owned()
    }
}

/// Conditions as one `WHERE` clause, joined by `AND` (`TRUE` for none).
pub fn sql_where(conditions: &[Condition]) -> String {
    if conditions.is_empty() {
        return "TRUE".to_owned();
    }
    conditions
        .iter()
        .map(Condition::to_sql)
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// The `WHERE` clause of every node (`TRUE` for the root).
pub fn sql_rules<T: RuleTree + ?Sized>(tree: &T) -> Vec<String> {
    let parents = tree.parents();
    (0..parents.len())
        .map(|i| sql_where(&rule_path(tree, &parents, i)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(test: Test, missing: Missing) -> String {
        Condition {
            column: "x\"y".into(),
            test,
            missing,
        }
        .to_sql()
    }

    fn bin(above: Option<f64>, at_most: Option<f64>) -> Category {
        Category::Bin {
            label: String::new(),
            above,
            at_most,
        }
    }

    #[test]
    fn thresholds_route_missing_values() {
        assert_eq!(
            cond(Test::AtMost(0.5), Missing::Excluded),
            "\"x\"\"y\" <= 0.5"
        );
        assert_eq!(
            cond(Test::Above(0.5), Missing::Included),
            "(\"x\"\"y\" > 0.5 OR \"x\"\"y\" IS NULL)"
        );
    }

    #[test]
    fn infinite_thresholds_take_every_present_value_or_none() {
        let inf = f64::INFINITY;
        assert_eq!(
            cond(Test::AtMost(inf), Missing::Excluded),
            "\"x\"\"y\" IS NOT NULL"
        );
        assert_eq!(
            cond(Test::Above(inf), Missing::Included),
            "(FALSE OR \"x\"\"y\" IS NULL)"
        );
        assert_eq!(cond(Test::AtMost(-inf), Missing::Excluded), "FALSE");
        assert_eq!(
            cond(Test::Above(-inf), Missing::Excluded),
            "\"x\"\"y\" IS NOT NULL"
        );
    }

    #[test]
    fn category_sets_quote_labels_and_keep_codes() {
        let cats = vec![Category::Label("o'k".into()), Category::Code(3)];
        assert_eq!(
            cond(Test::In(cats.clone()), Missing::Excluded),
            "\"x\"\"y\" IN ('o''k', 3)"
        );
        let known = vec![Category::Code(1), Category::Code(3)];
        assert_eq!(
            cond(
                Test::In(vec![Category::Code(3)]),
                Missing::WithOthers { known }
            ),
            "(\"x\"\"y\" IN (3) OR \"x\"\"y\" IS NULL OR \"x\"\"y\" NOT IN (1, 3))"
        );
        // Only the missing values and other categories: FALSE or them.
        let known = vec![Category::Code(1)];
        assert_eq!(
            cond(Test::In(Vec::new()), Missing::WithOthers { known }),
            "(FALSE OR \"x\"\"y\" IS NULL OR \"x\"\"y\" NOT IN (1))"
        );
        let number = |value| Category::Number {
            label: format!("{value}"),
            value,
        };
        assert_eq!(
            cond(Test::In(vec![number(1.5), number(-2.0)]), Missing::Included),
            "(\"x\"\"y\" IN (1.5, -2) OR \"x\"\"y\" IS NULL)"
        );
        assert_eq!(
            cond(Test::In(Vec::new()), Missing::Included),
            "\"x\"\"y\" IS NULL"
        );
        assert_eq!(cond(Test::In(Vec::new()), Missing::Excluded), "FALSE");
    }

    #[test]
    fn adjacent_bins_join_into_one_range() {
        // Bins (-inf, 1], (1, 2], (2, 5], (5, inf): the last one and the
        // first two, in any order.
        let cats = vec![
            bin(Some(5.0), None),
            bin(Some(1.0), Some(2.0)),
            bin(None, Some(1.0)),
        ];
        assert_eq!(
            cond(Test::In(cats), Missing::Included),
            "(\"x\"\"y\" <= 2 OR \"x\"\"y\" > 5 OR \"x\"\"y\" IS NULL)"
        );
        assert_eq!(
            cond(Test::In(vec![bin(None, None)]), Missing::Excluded),
            "\"x\"\"y\" IS NOT NULL"
        );
        let middle = vec![bin(Some(1.0), Some(2.0)), bin(Some(2.0), Some(5.0))];
        assert_eq!(
            cond(Test::In(middle), Missing::Excluded),
            "\"x\"\"y\" > 1 AND \"x\"\"y\" <= 5"
        );
        assert_eq!(sql_where(&[]), "TRUE");
    }
}
