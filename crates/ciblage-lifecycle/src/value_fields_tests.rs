//! The CLV fields `p_alive` and `clv` in rules: tested like any numeric
//! field, missing (NaN) for a customer without them, so that no condition
//! on them holds.

use chrono::NaiveDate;

use crate::{ContactHistory, CustomerStates, Field, Lifecycle, LifecycleError, RuleSet};

const RULES: &str = r#"
version = 1

[[rule]]
name = "win_back"
priority = 10
action = "win-back offer"
when = [
  { field = "recency_days", op = ">", value = 180 },
  { field = "p_alive", op = ">", value = 0.3 },
]

[[rule]]
name = "high_value"
action = "account manager call"
when = [{ field = "clv", op = ">=", value = 500 }]

[[rule]]
name = "written_off"
action = "no contact"
contact = false
when = [{ field = "p_alive", op = "<=", value = 0.3 }]
"#;

fn names(rules: &RuleSet, states: &CustomerStates) -> Vec<Vec<String>> {
    let today = NaiveDate::from_ymd_opt(2024, 10, 4).unwrap();
    let d = Lifecycle::params()
        .rules(rules.clone())
        .score(states, &ContactHistory::empty(), today)
        .unwrap();
    (0..states.len())
        .map(|i| {
            d.decisions(i)
                .iter()
                .map(|x| rules.rule(x.rule as usize).name.clone())
                .collect()
        })
        .collect()
}

#[test]
fn rules_test_p_alive_and_clv_and_skip_customers_without_them() {
    let rules = RuleSet::from_toml(RULES).unwrap();
    let states = CustomerStates::new(5)
        .with(Field::Frequency, vec![3.0; 5])
        .unwrap()
        .with(Field::TenureDays, vec![900.0; 5])
        .unwrap()
        .with(Field::RecencyDays, vec![200.0, 200.0, 200.0, 10.0, 200.0])
        .unwrap()
        .with(Field::PAlive, vec![0.31, 0.3, 0.05, 0.9, f64::NAN])
        .unwrap()
        .with(Field::Clv, vec![10.0, 500.0, 499.99, 800.0, f64::NAN])
        .unwrap();
    assert_eq!(
        names(&rules, &states),
        [
            vec!["win_back"],                  // 0.31 > 0.3
            vec!["high_value", "written_off"], // 0.3 is not > 0.3; clv 500 >= 500
            vec!["written_off"],
            vec!["high_value"], // recent: no win-back
            vec![],             // no CLV: neither > nor <= holds
        ]
    );
    // A rule set without the fields reads states that have them.
    let plain = RuleSet::default_rules();
    assert_eq!(names(&plain, &states).len(), 5);
}

#[test]
fn p_alive_outside_0_1_is_refused_by_row() {
    let e = CustomerStates::new(3)
        .with(Field::PAlive, vec![0.5, f64::NAN, 1.2])
        .unwrap_err();
    assert!(matches!(
        e,
        LifecycleError::Core(ciblage::CiblageError::ValueOutOfRange { row: 2, .. })
    ));
    assert!(e.to_string().contains("p_alive"), "{e}");
    assert_eq!("p_alive".parse::<Field>().unwrap(), Field::PAlive);
    assert_eq!("clv".parse::<Field>().unwrap(), Field::Clv);
    // Negative CLV is a value like any other.
    assert!(CustomerStates::new(1).with(Field::Clv, vec![-3.0]).is_ok());
}
