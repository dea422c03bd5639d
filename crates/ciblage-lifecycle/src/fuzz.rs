//! Rule files: every field checked for impossible values with its line, and
//! a fuzz of the loader: random mutations of valid rule files are loaded,
//! and those that load are written back and evaluated, without a panic.
//!
//! The number of fuzz cases comes from `CIBLAGE_FUZZ_CASES` (default 256).

use chrono::NaiveDate;
use proptest::prelude::*;
use proptest::test_runner::Config;

use crate::{ContactHistory, CustomerStates, Field, Lifecycle, LifecycleError, RuleSet};

/// The message of a rule file's error, which must be an `InvalidRule` or a
/// syntax error (never anything else).
fn rule_error(r: crate::Result<RuleSet>) -> String {
    match r {
        Err(e @ (LifecycleError::InvalidRule { .. } | LifecycleError::RuleFileSyntax { .. })) => {
            e.to_string()
        }
        other => panic!("expected a rule-file error, got {other:?}"),
    }
}

#[test]
fn impossible_values_are_refused_with_line_and_field() {
    let toml = |body: &str| rule_error(RuleSet::from_toml(&format!("version = 1\n{body}")));
    // Negative day counts: refused on their own line (line 3 of the file).
    for field in [
        "former_days",
        "inactive_days",
        "new_days",
        "min_complaints",
        "lead_referrals",
    ] {
        let e = toml(&format!("[stages]\n{field} = -5\n"));
        assert!(
            e.contains("line 3") && e.contains(&format!("stages.{field}")),
            "{e}"
        );
        assert!(e.contains("at least 0"), "{e}");
    }
    let e = toml("[stages]\nformer_days = nan\n");
    assert!(e.contains("line 3") && e.contains("finite"), "{e}");
    let e = toml("[stages]\nlow_satisfaction = inf\n");
    assert!(e.contains("stages.low_satisfaction"), "{e}");
    // Integers of the wrong sign or size are syntax errors naming the line.
    let e = toml("[pressure]\nwindow_days = 30\nmax_contacts = -1\n");
    assert!(e.contains("line 4"), "{e}");
    let e = toml("[pressure]\nwindow_days = 99999999999\n");
    assert!(e.contains("line 3"), "{e}");
    let e = toml("[pressure]\nwindow_days = 0\n");
    assert!(
        e.contains("line 3") && e.contains("pressure.window_days"),
        "{e}"
    );
    let e = toml("[stages]\nformer_days = \"x\"\n");
    assert!(e.contains("line 3"), "{e}");
    let e = toml("[channels]\ndefault = \"\"\n");
    assert!(
        e.contains("line 3") && e.contains("channels.default"),
        "{e}"
    );
    let e = toml("[channels.by_tier]\nBest = \" \"\n");
    assert!(e.contains("channels.by_tier"), "{e}");
    let e = toml("[stages]\nbest_tiers = [\"\"]\n");
    assert!(e.contains("stages.best_tiers"), "{e}");
    // Rule fields.
    let rule = |extra: &str| {
        toml(&format!(
            "[[rule]]\nname = \"r\"\naction = \"a\"\n{extra}\n"
        ))
    };
    let e = rule("cost = -1.0");
    assert!(e.contains("(#1, line 2): cost"), "{e}");
    let e = rule("cost = nan");
    assert!(e.contains("cost"), "{e}");
    let e = rule("channel = \"\"");
    assert!(e.contains("channel: must not be empty"), "{e}");
    let e = rule("when = [{ field = \"monetary\", op = \">\", value = inf }]");
    assert!(e.contains("when[0]") && e.contains("finite"), "{e}");
    let e = rule("when = [{ tier = [] }]");
    assert!(e.contains("when[0]"), "{e}");
    let e = rule("when = [{ stage = [] }]");
    assert!(e.contains("when[0]"), "{e}");
    let e = rule("trigger = { reactivated = false }");
    assert!(e.contains("trigger"), "{e}");
    let e = rule("trigger = { frequency_drop = nan }");
    assert!(e.contains("trigger"), "{e}");
    let e = rule("trigger = { contract_end_within_days = -3 }");
    assert!(e.contains("line 5"), "{e}");
    let e = rule("priority = 3000000000");
    assert!(e.contains("line 5"), "{e}");
    // JSON: the same checks, with the line of the key.
    let e = rule_error(RuleSet::from_json(
        "{\n  \"version\": 1,\n  \"stages\": {\n    \"former_days\": -5\n  }\n}",
    ));
    assert!(
        e.contains("line 4") && e.contains("stages.former_days"),
        "{e}"
    );
    let e = rule_error(RuleSet::from_json(
        "{\"version\": 1,\n \"rule\": [\n  {\"name\": \"r\", \"action\": \"a\", \"cost\": -2}\n ]}",
    ));
    assert!(e.contains("line 3") && e.contains("cost"), "{e}");
}

fn cases() -> u32 {
    std::env::var("CIBLAGE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

/// Values a hostile rule file may put anywhere.
const WEIRD: &[&str] = &[
    "-5",
    "0",
    "-0.0",
    "1e400",
    "-1e400",
    "nan",
    "inf",
    "-inf",
    "99999999999999999999",
    "4294967296",
    "-2147483649",
    "1.5",
    "\"x\"",
    "\"\"",
    "true",
    "false",
    "[]",
    "{}",
    "[1, \"a\"]",
    "\"inactive\"",
    "\"\\u0000\"",
    "{ stage = [\"former\"] }",
    "null",
];

/// The valid files mutated: the default set in both syntaxes and a small
/// file using every kind of condition and trigger.
fn seeds() -> Vec<(String, bool)> {
    let d = RuleSet::default_rules();
    let small = r#"version = 1
[stages]
former_days = 500
best_tiers = ["Best"]
[pressure]
window_days = 7
max_contacts = 2
[pressure.per_stage]
former = 0
[channels]
default = "mail"
[channels.by_tier]
Best = "phone"
[[rule]]
name = "a"
priority = 5
when = [{ field = "monetary", op = ">=", value = 10 }, { tier = ["Best"] }]
trigger = { spend_drop = 0.5 }
action = "call"
channel = "phone"
cost = 2.5
[[rule]]
name = "b"
when = [{ stage = ["inactive", "former"] }]
trigger = { contract_end_within_days = 30 }
action = "mail"
contact = false
"#;
    vec![
        (d.to_toml(), true),
        (d.to_json(), false),
        (small.to_owned(), true),
    ]
}

/// One edit of a file's text.
#[derive(Debug, Clone)]
enum Mutation {
    /// Replace what follows the key of line `line` with a weird value.
    Value(usize, usize),
    DeleteLine(usize),
    DuplicateLine(usize),
    SwapLines(usize, usize),
    InsertByte(usize, u8),
    DeleteByte(usize),
    Truncate(usize),
    /// Append text to the key of a line (an unknown field).
    RenameKey(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let i = 0usize..10_000;
    prop_oneof![
        4 => (i.clone(), 0..WEIRD.len()).prop_map(|(l, w)| Mutation::Value(l, w)),
        1 => i.clone().prop_map(Mutation::DeleteLine),
        1 => i.clone().prop_map(Mutation::DuplicateLine),
        1 => (i.clone(), i.clone()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        1 => (i.clone(), any::<u8>()).prop_map(|(p, b)| Mutation::InsertByte(p, b)),
        1 => i.clone().prop_map(Mutation::DeleteByte),
        1 => i.clone().prop_map(Mutation::Truncate),
        1 => i.prop_map(Mutation::RenameKey),
    ]
}

fn apply(text: &str, m: &Mutation, toml: bool) -> String {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let mut bytes = text.as_bytes().to_vec();
    let n = lines.len().max(1);
    let sep = if toml { '=' } else { ':' };
    match *m {
        Mutation::Value(l, w) => {
            if let Some(line) = lines.get_mut(l % n) {
                if let Some(p) = line.find(sep) {
                    let comma = if line.trim_end().ends_with(',') {
                        ","
                    } else {
                        ""
                    };
                    *line = format!("{} {}{comma}", &line[..=p], WEIRD[w]);
                }
            }
        }
        Mutation::DeleteLine(l) if !lines.is_empty() => {
            lines.remove(l % n);
        }
        Mutation::DuplicateLine(l) if !lines.is_empty() => {
            let line = lines[l % n].clone();
            lines.insert(l % n, line);
        }
        Mutation::SwapLines(a, b) if !lines.is_empty() => lines.swap(a % n, b % n),
        Mutation::RenameKey(l) => {
            if let Some(line) = lines.get_mut(l % n) {
                if let Some(p) = line.find(sep) {
                    let key = line[..p].trim_end().trim_end_matches('"').to_owned();
                    let rest = line[p..].to_owned();
                    let q = if toml { "" } else { "\"" };
                    *line = format!("{key}_x{q} {rest}");
                }
            }
        }
        Mutation::InsertByte(p, b) => {
            let at = p % (bytes.len() + 1);
            bytes.insert(at, b);
            return String::from_utf8_lossy(&bytes).into_owned();
        }
        Mutation::DeleteByte(p) if !bytes.is_empty() => {
            bytes.remove(p % bytes.len());
            return String::from_utf8_lossy(&bytes).into_owned();
        }
        Mutation::Truncate(p) => {
            bytes.truncate(p % (bytes.len() + 1));
            return String::from_utf8_lossy(&bytes).into_owned();
        }
        _ => {}
    }
    lines.join("\n")
}

/// The date `day` days after 1970-01-01, clamped to the dates there are.
fn date_of_day(day: i64) -> NaiveDate {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    chrono::TimeDelta::try_days(day)
        .and_then(|d| epoch.checked_add_signed(d))
        .unwrap_or(if day < 0 {
            NaiveDate::MIN
        } else {
            NaiveDate::MAX
        })
}

/// Three customers with every field, missing values and tiers included,
/// and a history with a contact of a customer not evaluated.
fn tiny() -> (CustomerStates, ContactHistory) {
    let mut states = CustomerStates::new(3);
    for (k, f) in Field::ALL.into_iter().enumerate() {
        let v = if f == Field::PAlive {
            vec![0.4, f64::NAN, 1.0] // a probability
        } else {
            vec![k as f64, f64::NAN, -(k as f64) * 100.0]
        };
        states = states.with(f, v).expect("one value per customer");
    }
    let states = states.with_tiers(&["Best", "", "Standard"]).expect("tiers");
    let history = ContactHistory::new(
        vec![0, 0, 2, ContactHistory::NOT_EVALUATED],
        [20_000, 19_990, 20_001, 20_000].map(date_of_day).to_vec(),
    )
    .expect("same lengths");
    (states, history)
}

proptest! {
    #![proptest_config(Config { cases: cases(), ..Config::default() })]

    #[test]
    fn mutated_rule_files_load_or_fail_cleanly(
        seed in 0usize..3,
        edits in proptest::collection::vec(mutation(), 1..4),
        today in prop_oneof![
            Just(20_000i64),
            Just(i64::MIN),
            Just(i64::MAX),
            -1_000_000i64..1_000_000,
        ]
        .prop_map(date_of_day),
    ) {
        let (text, toml) = seeds().swap_remove(seed);
        let text = edits.iter().fold(text, |t, m| apply(&t, m, toml));
        let loaded = if toml { RuleSet::from_toml(&text) } else { RuleSet::from_json(&text) };
        match loaded {
            Ok(rules) => {
                prop_assert!(RuleSet::from_toml(&rules.to_toml()).is_ok());
                prop_assert!(RuleSet::from_json(&rules.to_json()).is_ok());
                let (states, history) = tiny();
                let d = Lifecycle::params()
                    .rules(rules.clone())
                    .score(&states, &history, today)
                    .expect("valid input");
                prop_assert_eq!(d.history_counts().rows(), 4);
                for i in 0..d.len() {
                    for &x in d.decisions(i) {
                        prop_assert!(!d.explain(&rules, &states, i, x).is_empty());
                        let _ = rules.action_channel(&d, i, x.rule);
                    }
                }
            }
            Err(LifecycleError::InvalidRule { .. } | LifecycleError::RuleFileSyntax { .. }) => {}
            Err(other) => prop_assert!(false, "unexpected error {other:?}"),
        }
    }
}
