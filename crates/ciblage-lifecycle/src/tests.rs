//! Stages on hand-built customers, priorities, the pressure cap, events and
//! rule-file errors.

use proptest::prelude::*;

use chrono::NaiveDate;

use crate::{
    ContactHistory, CustomerStates, Field, HistoryCounts, Lifecycle, LifecycleError, RuleSet, Stage,
};

/// The evaluation day as a day number (history days are day numbers).
const TODAY: i64 = 20_000;

/// The evaluation day: 20,000 days after 1970-01-01 is 2024-10-04.
fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 10, 4).unwrap()
}

/// The dates of day numbers (days after 1970-01-01).
fn dates(days: &[i64]) -> Vec<NaiveDate> {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
    days.iter()
        .map(|&d| epoch + chrono::TimeDelta::try_days(d).unwrap())
        .collect()
}

#[test]
fn the_evaluation_day_is_a_date() {
    // 1970-01-01 + 20,000 days: 54 years of 365 days and 13 leap days
    // (1972…2020) make 19,723 days to 2024-01-01, then 277 days (Jan 31,
    // Feb 29, Mar 31, Apr 30, May 31, Jun 30, Jul 31, Aug 31, Sep 30 = 274,
    // + 3) to October 4.
    assert_eq!(crate::engine::day_number(today()), TODAY);
    let d = Lifecycle::params()
        .score(&one_per_stage(), &ContactHistory::empty(), today())
        .unwrap();
    assert_eq!(d.today(), today());
}

/// frequency, recency, tenure, complaints, satisfaction, referrals,
/// opinion_leader, tier.
type Row = (f64, f64, f64, f64, f64, f64, f64, &'static str);

/// One hand-built customer per stage of the default set, in stage order.
fn one_per_stage() -> CustomerStates {
    // columns: frequency, recency, tenure, complaints, satisfaction,
    // referrals, opinion_leader, tier
    let rows: [Row; 10] = [
        (0.0, f64::NAN, f64::NAN, 0.0, f64::NAN, 0.0, 0.0, ""), // friends: no purchase
        (4.0, 731.0, 1500.0, 0.0, 4.0, 0.0, 0.0, "Small"),      // former: 731 > 730
        (9.0, 10.0, 800.0, 2.0, 1.0, 0.0, 0.0, "Best"),         // dissatisfied beats best
        (6.0, 20.0, 600.0, 0.0, 2.0, 0.0, 0.0, "Standard"),     // sleepwalker: 2 <= 2
        (3.0, 181.0, 400.0, 0.0, 4.0, 0.0, 0.0, "Small"),       // inactive: 181 > 180
        (1.0, 5.0, 90.0, 0.0, f64::NAN, 0.0, 0.0, "Best"),      // new: 90 <= 90
        (20.0, 3.0, 1000.0, 0.0, 5.0, 5.0, 1.0, "Best"),        // best beats lead
        (5.0, 30.0, 500.0, 0.0, 4.0, 3.0, 0.0, "Small"),        // lead: 3 referrals
        (7.0, 15.0, 300.0, 0.0, 3.0, 0.0, 0.0, "Standard"),     // high potential
        (2.0, 100.0, 200.0, 0.0, 3.0, 0.0, 0.0, "Small"),       // active
    ];
    let col = |f: fn(&Row) -> f64| rows.iter().map(f).collect();
    CustomerStates::new(rows.len())
        .with(Field::Frequency, col(|r| r.0))
        .and_then(|s| s.with(Field::RecencyDays, col(|r| r.1)))
        .and_then(|s| s.with(Field::TenureDays, col(|r| r.2)))
        .and_then(|s| s.with(Field::Complaints, col(|r| r.3)))
        .and_then(|s| s.with(Field::Satisfaction, col(|r| r.4)))
        .and_then(|s| s.with(Field::Referrals, col(|r| r.5)))
        .and_then(|s| s.with(Field::OpinionLeader, col(|r| r.6)))
        .and_then(|s| s.with_tiers(&rows.map(|r| r.7)))
        .unwrap()
}

#[test]
fn every_default_stage_on_hand_built_customers() {
    let rules = RuleSet::default_rules();
    let d = Lifecycle::params()
        .rules(rules.clone())
        .score(&one_per_stage(), &ContactHistory::empty(), today())
        .unwrap();
    let stages: Vec<Stage> = (0..10).map(|i| d.stage(i)).collect();
    assert_eq!(stages, Stage::ALL);
    // Each stage's own default action fires first ("active" has none).
    let first: Vec<&str> = (0..9)
        .map(|i| rules.rule(d.decisions(i)[0].rule as usize).name.as_str())
        .collect();
    assert_eq!(
        first,
        [
            "referral",
            "win_back",
            "apologise",
            "listen_sleepwalkers",
            "reactivate",
            "welcome",
            "reward_best",
            "involve_leads",
            "develop_potential"
        ]
    );
    // "active" has no default action.
    assert!(d.decisions(9).is_empty());
    // Channels by tier: Best personal, Standard semi-personal, others mass.
    assert_eq!(d.channel(6), "personal");
    assert_eq!(d.channel(8), "semi_personal");
    assert_eq!(d.channel(9), "mass");
    assert_eq!(d.channel(0), "mass");
    // The dissatisfied customer's apology goes through its own channel.
    assert_eq!(
        rules.action_channel(&d, 2, d.decisions(2)[0].rule),
        "personal"
    );
    assert_eq!(d.moment(4).name(), "win_back");
}

#[test]
fn thresholds_are_overridable() {
    let text = crate::DEFAULT_RULES.replace("inactive_days = 180.0", "inactive_days = 300.0");
    let rules = RuleSet::from_toml(&text).unwrap();
    let d = Lifecycle::params()
        .rules(rules.clone())
        .score(&one_per_stage(), &ContactHistory::empty(), today())
        .unwrap();
    // 181 days of silence is no longer inactive: tenure 400 → active (Small).
    assert_eq!(d.stage(4), Stage::Active);
}

fn two_rules(priority_b: i32) -> RuleSet {
    RuleSet::from_toml(&format!(
        r#"version = 1
[pressure]
window_days = 10
max_contacts = 1
per_stage = {{}}
[[rule]]
name = "a"
when = [{{ field = "frequency", op = ">=", value = 1 }}]
action = "A"
[[rule]]
name = "b"
priority = {priority_b}
when = [{{ field = "frequency", op = ">=", value = 1 }}]
action = "B"
"#
    ))
    .unwrap()
}

fn buyers(n: usize) -> CustomerStates {
    CustomerStates::new(n)
        .with(Field::Frequency, vec![3.0; n])
        .unwrap()
        .with(Field::RecencyDays, vec![1.0; n])
        .unwrap()
        .with(Field::TenureDays, vec![400.0; n])
        .unwrap()
}

#[test]
fn priority_then_file_order_and_cap_keeps_the_first() {
    // Equal priorities: file order, "a" kept, "b" suppressed (cap 1).
    let rules = two_rules(0);
    assert_eq!(rules.rule_names(), ["a", "b"]);
    let d = Lifecycle::params()
        .rules(rules.clone())
        .score(&buyers(1), &ContactHistory::empty(), today())
        .unwrap();
    let kept: Vec<(&str, bool)> = d
        .decisions(0)
        .iter()
        .map(|x| (rules.rule(x.rule as usize).name.as_str(), x.kept))
        .collect();
    assert_eq!(kept, [("a", true), ("b", false)]);
    let why = d.explain(&rules, &buyers(1), 0, d.decisions(0)[1]);
    assert!(why.contains("suppressed by the pressure cap"), "{why}");
    assert!(
        why.contains(
            "cap of 1 contacts per 10 days for stage active: 0 already in the window, 1 kept today"
        ),
        "{why}"
    );
    // Higher priority wins whatever the file order.
    let rules = two_rules(5);
    assert_eq!(rules.rule_names(), ["b", "a"]);
}

#[test]
fn pressure_window_boundaries() {
    // Window of 10 days ending on TODAY: TODAY − 9 ..= TODAY.
    let rules = two_rules(0);
    let states = buyers(3);
    // Customer 0: a contact on TODAY − 10 (outside): both rules room 1 → a kept.
    // Customer 1: a contact on TODAY − 9 (inside): cap reached, both suppressed.
    // Customer 2: a contact after TODAY (planned): not counted.
    let history =
        ContactHistory::new(vec![0, 1, 2], dates(&[TODAY - 10, TODAY - 9, TODAY + 1])).unwrap();
    let d = Lifecycle::params()
        .rules(rules.clone())
        .score(&states, &history, today())
        .unwrap();
    assert_eq!(d.contacts_in_window(0), 0);
    assert_eq!(d.contacts_in_window(1), 1);
    assert_eq!(d.contacts_in_window(2), 0);
    assert!(d.decisions(0)[0].kept);
    assert!(d.decisions(1).iter().all(|x| !x.kept));
    assert!(d.decisions(2)[0].kept);
    // One row in, one before and one after the window: each counted once.
    assert_eq!(
        d.history_counts(),
        HistoryCounts {
            in_window: 1,
            before_window: 1,
            after_today: 1,
            not_evaluated: 0
        }
    );
    // A contact of a customer who is not evaluated is counted apart and
    // weighs on nobody's cap.
    let history = ContactHistory::new(
        vec![ContactHistory::NOT_EVALUATED, 1],
        dates(&[TODAY, TODAY - 20]),
    )
    .unwrap();
    let d = Lifecycle::params()
        .rules(rules.clone())
        .score(&states, &history, today())
        .unwrap();
    assert_eq!((0..3).map(|i| d.contacts_in_window(i)).sum::<u32>(), 0);
    assert_eq!(d.history_counts().not_evaluated, 1);
    assert_eq!(d.history_counts().rows(), 2);
    let e = Lifecycle::params()
        .rules(rules.clone())
        .score(
            &states,
            &ContactHistory::new(vec![3], dates(&[TODAY])).unwrap(),
            today(),
        )
        .unwrap_err();
    assert!(matches!(
        e,
        LifecycleError::UnknownCustomer {
            row: 0,
            customer: 3,
            ..
        }
    ));
}

#[test]
fn events_fire_on_the_right_day() {
    let rules = RuleSet::default_rules();
    // Contract ends in 31, 30, 0 and −1 days: renewal fires for 30 and 0.
    let states = buyers(4)
        .with(Field::ContractEndDays, vec![31.0, 30.0, 0.0, -1.0])
        .unwrap();
    let d = Lifecycle::params()
        .rules(rules.clone())
        .score(&states, &ContactHistory::empty(), today())
        .unwrap();
    let renewal = |i: usize| {
        d.decisions(i)
            .iter()
            .any(|x| rules.rule(x.rule as usize).name == "renewal")
    };
    assert_eq!(
        [renewal(0), renewal(1), renewal(2), renewal(3)],
        [false, true, true, false]
    );
    // Spend halved (−0.5) fires the check-in; −0.49 does not.
    let states = buyers(2)
        .with(Field::SpendChange, vec![-0.5, -0.49])
        .unwrap();
    let d = Lifecycle::params()
        .rules(rules.clone())
        .score(&states, &ContactHistory::empty(), today())
        .unwrap();
    let names = |i: usize| -> Vec<String> {
        d.decisions(i)
            .iter()
            .map(|x| rules.rule(x.rule as usize).name.clone())
            .collect()
    };
    assert_eq!(names(0), ["spend_drop"]);
    assert!(names(1).is_empty());
    let why = d.explain(&rules, &states, 0, d.decisions(0)[0]);
    assert!(why.contains("spend_change = -0.5 <= -0.5"), "{why}");
}

#[test]
fn invalid_rule_files_name_the_line_and_field() {
    // Unknown field: rejected, with its line.
    let e = RuleSet::from_toml(
        "version = 1\n\n[[rule]]\nname = \"x\"\naction = \"y\"\nchanel = \"sms\"\n",
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("line 6") && e.contains("unknown field `chanel`"),
        "{e}"
    );
    // Wrong type.
    let e = RuleSet::from_toml(
        "version = 1\n[[rule]]\nname = \"x\"\naction = \"y\"\npriority = \"high\"\n",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("line 5"), "{e}");
    // Missing field.
    let e = RuleSet::from_toml("version = 1\n[[rule]]\nname = \"x\"\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("missing field `action`"), "{e}");
    // Semantic: unknown stage, named with the rule's line and the field.
    let e = RuleSet::from_toml(
        "version = 1\n[[rule]]\nname = \"ok\"\naction = \"a\"\n\n[[rule]]\nname = \"bad\"\naction = \"b\"\nwhen = [{ stage = [\"sleeper\"] }]\n",
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("rule \"bad\" (#2, line 6): when[0]: unknown stage \"sleeper\""),
        "{e}"
    );
    // Unknown field in JSON, with line and column.
    let e = RuleSet::from_json(
        "{\"version\": 1,\n \"rule\": [{\"name\": \"x\", \"action\": \"y\", \"pririty\": 1}]}",
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("unknown field `pririty`") && e.contains("line 2"),
        "{e}"
    );
    let e = RuleSet::from_toml("version = 2\n").unwrap_err().to_string();
    assert!(e.contains("version"), "{e}");
    let e = RuleSet::from_toml(
        "version = 1\n[[rule]]\nname = \"x\"\naction = \"y\"\ntrigger = { spend_drop = 2.0 }\n",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("trigger: spend_drop is a share"), "{e}");
    let e = RuleSet::from_toml("version = 1\n[pressure.per_stage]\nvip = 1\n")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("pressure.per_stage: unknown stage \"vip\""),
        "{e}"
    );
}

#[test]
fn round_trips_through_toml_and_json() {
    let rules = RuleSet::default_rules();
    assert_eq!(RuleSet::from_toml(&rules.to_toml()).unwrap(), rules);
    assert_eq!(RuleSet::from_json(&rules.to_json()).unwrap(), rules);
}

proptest! {
    #[test]
    fn cap_holds_order_does_not_matter_and_everyone_appears_once(
        customers in proptest::collection::vec(
            (0.0..30.0f64, 0.0..900.0f64, 0.0..2000.0f64, 0.0..3.0f64, 0.0..5.0f64, -60.0..60.0f64, -1.0..1.0f64, 0usize..3),
            1..60),
        history in proptest::collection::vec((0usize..60, -40i64..5), 0..120),
        cap in 0u32..4, window in 1u32..35,
        seed in any::<u64>(),
    ) {
        let n = customers.len();
        let tiers = ["Best", "Standard", "Small"];
        let build = |order: &[usize]| {
            let col = |f: &dyn Fn(usize) -> f64| order.iter().map(|&i| f(i)).collect::<Vec<f64>>();
            CustomerStates::new(n)
                .with(Field::Frequency, col(&|i| customers[i].0.floor())).unwrap()
                .with(Field::RecencyDays, col(&|i| customers[i].1)).unwrap()
                .with(Field::TenureDays, col(&|i| customers[i].2)).unwrap()
                .with(Field::Complaints, col(&|i| customers[i].3.floor())).unwrap()
                .with(Field::Satisfaction, col(&|i| customers[i].4)).unwrap()
                .with(Field::ContractEndDays, col(&|i| customers[i].5.floor())).unwrap()
                .with(Field::SpendChange, col(&|i| customers[i].6)).unwrap()
                .with_tiers(&order.iter().map(|&i| tiers[customers[i].7]).collect::<Vec<_>>()).unwrap()
        };
        let text = crate::DEFAULT_RULES
            .replace("window_days = 30", &format!("window_days = {window}"))
            .replace("max_contacts = 4", &format!("max_contacts = {cap}"));
        let rules = RuleSet::from_toml(&text).unwrap();
        let identity: Vec<usize> = (0..n).collect();
        // A permutation from the seed.
        let mut perm = identity.clone();
        let mut s = seed;
        for i in (1..n).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            perm.swap(i, (s >> 33) as usize % (i + 1));
        }
        let hist_of = |order: &[usize]| {
            let pos: Vec<usize> = { let mut p = vec![0; n]; for (k, &i) in order.iter().enumerate() { p[i] = k; } p };
            let rows: Vec<(u32, i64)> = history.iter().filter(|h| h.0 < n).map(|h| (pos[h.0] as u32, TODAY + h.1)).collect();
            ContactHistory::new(rows.iter().map(|r| r.0).collect(), dates(&rows.iter().map(|r| r.1).collect::<Vec<_>>())).unwrap()
        };
        let a = Lifecycle::params()
        .rules(rules.clone())
        .score(&build(&identity), &hist_of(&identity), today()).unwrap();
        let b = Lifecycle::params()
        .rules(rules.clone())
        .score(&build(&perm), &hist_of(&perm), today()).unwrap();
        prop_assert_eq!(a.len(), n);
        for (k, &i) in perm.iter().enumerate() {
            prop_assert_eq!(a.stage(i), b.stage(k));
            prop_assert_eq!(a.decisions(i), b.decisions(k));
            prop_assert_eq!(a.channel(i), b.channel(k));
        }
        for i in 0..n {
            let stage_cap = rules.cap(a.stage(i));
            let kept = a.decisions(i).iter().filter(|x| x.kept && rules.rule(x.rule as usize).contact).count() as u32;
            // Every window of `window` days containing today holds at most the
            // history of the window ending today, plus today's contacts.
            let past = history.iter().filter(|h| h.0 == i && h.1 <= 0 && h.1 > -i64::from(window)).count() as u32;
            prop_assert_eq!(a.contacts_in_window(i), past);
            prop_assert!(kept == 0 || past + kept <= stage_cap);
            // Nothing silently dropped: suppressed ones are recorded.
            let fired = a.decisions(i).len();
            let suppressed = a.decisions(i).iter().filter(|x| !x.kept).count();
            prop_assert_eq!(fired, kept as usize + suppressed);
        }
    }
}

#[test]
fn infinite_field_values_are_refused_with_their_row() {
    let e = CustomerStates::new(3)
        .with(Field::Frequency, vec![1.0, f64::NAN, f64::NEG_INFINITY])
        .unwrap_err();
    assert_eq!(e.to_string(), "frequency: non-finite value -inf at row 2");
    // NaN is a missing value, not an error.
    assert!(CustomerStates::new(2)
        .with(Field::Frequency, vec![f64::NAN, 1.0])
        .is_ok());
}

#[test]
fn an_interrupted_evaluation_returns_the_core_error() {
    let rules = RuleSet::default_rules();
    let token = ciblage::Interrupt::new();
    let states = one_per_stage();
    let free = Lifecycle::params()
        .rules(rules.clone())
        .interrupt(token.clone())
        .score(&states, &ContactHistory::empty(), today())
        .unwrap();
    let plain = Lifecycle::params()
        .rules(rules.clone())
        .score(&states, &ContactHistory::empty(), today())
        .unwrap();
    assert_eq!(
        (0..10).map(|i| free.stage(i)).collect::<Vec<_>>(),
        (0..10).map(|i| plain.stage(i)).collect::<Vec<_>>()
    );
    token.set();
    let stopped = Lifecycle::params()
        .rules(rules.clone())
        .interrupt(token.clone())
        .score(&states, &ContactHistory::empty(), today());
    assert_eq!(
        stopped.err(),
        Some(LifecycleError::Core(ciblage::CiblageError::Interrupted))
    );
}
