//! Evaluation: stage, channel and actions per customer, then the pressure cap.

use chrono::NaiveDate;
use ciblage::Interrupt;
use rayon::prelude::*;

use crate::error::{LifecycleError, Result};
use crate::ruleset::{Condition, Rule, RuleSet, Trigger};
use crate::stages::{self, Moment, Stage, TierSets};
use crate::state::{CustomerStates, Field};

/// Days from 1970-01-01 to `date` (the engine's day numbers, as the
/// contact history's).
pub(crate) fn day_number(date: NaiveDate) -> i64 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    (date - epoch).num_days()
}

/// Past contacts: customer index (row of the state table) and local date
/// of each contact. A contact of a customer who is not evaluated carries
/// [`ContactHistory::NOT_EVALUATED`]: it is counted in [`HistoryCounts`],
/// never against anybody's cap.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ContactHistory {
    customers: Vec<u32>,
    /// Day numbers ([`day_number`]) of the dates.
    days: Vec<i64>,
}

/// What became of the rows of a [`ContactHistory`]: every row is in exactly
/// one of the four counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HistoryCounts {
    /// Contacts in the pressure window, counted against the cap.
    pub in_window: u64,
    /// Contacts before the window (too old to count).
    pub before_window: u64,
    /// Contacts after the evaluation day.
    pub after_today: u64,
    /// Contacts of customers who are not evaluated.
    pub not_evaluated: u64,
}

impl HistoryCounts {
    /// Rows of the history.
    pub fn rows(&self) -> u64 {
        self.in_window + self.before_window + self.after_today + self.not_evaluated
    }
}

impl ContactHistory {
    /// Customer index of a contact whose customer is not evaluated.
    pub const NOT_EVALUATED: u32 = u32::MAX;

    /// No contact.
    pub fn empty() -> Self {
        Self::default()
    }

    /// A history of contacts: the customer index and the date of each.
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use ciblage_lifecycle::ContactHistory;
    /// let day = |d| NaiveDate::from_ymd_opt(2024, 1, d).unwrap();
    /// let h = ContactHistory::new(vec![0, 1], vec![day(2), day(9)])?;
    /// assert_eq!(h.len(), 2);
    /// assert!(ContactHistory::new(vec![0], vec![]).is_err());
    /// # Ok::<(), ciblage_lifecycle::LifecycleError>(())
    /// ```
    ///
    /// # Errors
    /// [`LifecycleError::LengthMismatch`] unless both columns have the same length.
    pub fn new(customers: Vec<u32>, dates: Vec<NaiveDate>) -> Result<Self> {
        if customers.len() != dates.len() {
            return Err(LifecycleError::LengthMismatch {
                argument: "history day".into(),
                expected: customers.len(),
                got: dates.len(),
            });
        }
        let days = dates.into_iter().map(day_number).collect();
        Ok(Self { customers, days })
    }

    /// Number of contacts.
    pub fn len(&self) -> usize {
        self.customers.len()
    }

    /// Whether there is no contact.
    pub fn is_empty(&self) -> bool {
        self.customers.is_empty()
    }

    /// Contacts per customer in the `window` days ending on `today`
    /// (`today − window + 1 ..= today`); later contacts are not counted.
    fn counts(&self, n: usize, today: i64, window: u32) -> Result<(Vec<u32>, HistoryCounts)> {
        let mut counts = vec![0u32; n];
        let mut what = HistoryCounts::default();
        let from = today.saturating_sub(i64::from(window)).saturating_add(1);
        for (row, (&c, &d)) in self.customers.iter().zip(&self.days).enumerate() {
            if c == Self::NOT_EVALUATED {
                what.not_evaluated += 1;
                continue;
            }
            let slot = counts
                .get_mut(c as usize)
                .ok_or(LifecycleError::UnknownCustomer {
                    row,
                    customer: c,
                    customers: n,
                })?;
            if d > today {
                what.after_today += 1;
            } else if d < from {
                what.before_window += 1;
            } else {
                what.in_window += 1;
                *slot = slot.saturating_add(1);
            }
        }
        Ok((counts, what))
    }
}

/// One fired rule for one customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Index of the rule in evaluation order ([`RuleSet::rule`]).
    pub rule: u32,
    /// False when the pressure cap suppressed it.
    pub kept: bool,
}

/// The outcome of the lifecycle evaluation ([`crate::Lifecycle`]), customer
/// by customer (row order of the state table).
#[derive(Debug, Clone, PartialEq)]
pub struct Decisions {
    stages: Vec<Stage>,
    channels: Vec<u32>,
    channel_names: Vec<String>,
    offsets: Vec<usize>,
    entries: Vec<Decision>,
    contacts: Vec<u32>,
    today: NaiveDate,
    history: HistoryCounts,
}

impl Decisions {
    /// Number of customers.
    pub fn len(&self) -> usize {
        self.stages.len()
    }

    /// True when there is no customer.
    pub fn is_empty(&self) -> bool {
        self.stages.is_empty()
    }

    /// Stage of customer `i`.
    pub fn stage(&self, i: usize) -> Stage {
        self.stages[i]
    }

    /// Moment of customer `i`.
    pub fn moment(&self, i: usize) -> Moment {
        self.stages[i].moment()
    }

    /// Channel of customer `i` by the channel policy.
    pub fn channel(&self, i: usize) -> &str {
        &self.channel_names[self.channels[i] as usize]
    }

    /// Fired rules of customer `i`, in priority order.
    pub fn decisions(&self, i: usize) -> &[Decision] {
        &self.entries[self.offsets[i]..self.offsets[i + 1]]
    }

    /// Contacts of customer `i` already in the window before this run.
    pub fn contacts_in_window(&self, i: usize) -> u32 {
        self.contacts[i]
    }

    /// The evaluation day.
    pub fn today(&self) -> NaiveDate {
        self.today
    }

    /// What became of each row of the contact history.
    pub fn history_counts(&self) -> HistoryCounts {
        self.history
    }

    /// Why rule `d` fired for customer `i`, and why it was kept or suppressed.
    pub fn explain(
        &self,
        rules: &RuleSet,
        states: &CustomerStates,
        i: usize,
        d: Decision,
    ) -> String {
        let rule = &rules.rules[d.rule as usize];
        let stage = self.stages[i];
        let mut parts = vec![format!(
            "stage {} ({})",
            stage.name(),
            stages::reason(states, &rules.spec.stages, stage, i)
        )];
        for c in &rule.conditions {
            parts.push(match c {
                Condition::Numeric { field, op, value } => format!(
                    "{} = {} {} {}",
                    field.name(),
                    states.value(*field, i),
                    op.symbol(),
                    value
                ),
                Condition::Tier(t) => format!("tier {:?} in {t:?}", states.tier(i).unwrap_or("")),
                Condition::Stage(s) => format!(
                    "stage {} in [{}]",
                    stage.name(),
                    s.iter().map(|s| s.name()).collect::<Vec<_>>().join(", ")
                ),
            });
        }
        if let Some(t) = rule.trigger {
            parts.push(match t {
                Trigger::ContractEndWithin(n) => format!(
                    "contract ends in {} days (within {n})",
                    states.value(Field::ContractEndDays, i)
                ),
                Trigger::FrequencyDrop(x) => format!(
                    "frequency_change = {} <= -{x}",
                    states.value(Field::FrequencyChange, i)
                ),
                Trigger::SpendDrop(x) => {
                    format!(
                        "spend_change = {} <= -{x}",
                        states.value(Field::SpendChange, i)
                    )
                }
                Trigger::Reactivated => "reactivated this period".into(),
            });
        }
        let fired = format!("rule {} fired: {}", rule.spec.name, parts.join("; "));
        if d.kept {
            return fired;
        }
        let cap = rules.cap(stage);
        let kept_before = self
            .decisions(i)
            .iter()
            .take_while(|e| e.rule != d.rule)
            .filter(|e| e.kept && rules.rules[e.rule as usize].spec.contact)
            .count();
        format!(
            "{fired}; suppressed by the pressure cap of {cap} contacts per {} days for stage {}: \
             {} already in the window, {kept_before} kept today",
            rules.spec.pressure.window_days,
            stage.name(),
            self.contacts[i],
        )
    }
}

impl RuleSet {
    /// Evaluates every customer on `today`; see [`crate::LifecycleValidParams::score`].
    pub(crate) fn evaluate(
        &self,
        states: &CustomerStates,
        history: &ContactHistory,
        today: NaiveDate,
        interrupt: &Interrupt,
    ) -> Result<Decisions> {
        let n = states.len();
        let day = day_number(today);
        let (contacts, history) = history.counts(n, day, self.spec.pressure.window_days)?;
        let tiers = TierSets::new(states, &self.spec.stages);
        let mut channel_names: Vec<String> = self.spec.channels.by_tier.values().cloned().collect();
        channel_names.push(self.spec.channels.default.clone());
        for r in &self.rules {
            if let Some(c) = &r.spec.channel {
                channel_names.push(c.clone());
            }
        }
        channel_names.sort();
        channel_names.dedup();
        let code_of = |name: &str| {
            channel_names
                .iter()
                .position(|c| c == name)
                .expect("listed") as u32
        };
        let default_channel = code_of(&self.spec.channels.default);
        let tier_channel: Vec<u32> = states
            .tier_names()
            .iter()
            .map(|t| {
                self.spec
                    .channels
                    .by_tier
                    .get(t)
                    .map_or(default_channel, |c| code_of(c))
            })
            .collect();
        let per_customer: Vec<(Stage, u32, Vec<Decision>)> = (0..n)
            .into_par_iter()
            .with_min_len(4096)
            .map(|i| {
                let stage = stages::assign(states, &self.spec.stages, &tiers, i);
                let channel = tier_channel
                    .get(states.tier_code(i) as usize)
                    .copied()
                    .unwrap_or(default_channel);
                let room = self.cap(stage).saturating_sub(contacts[i]);
                let mut used = 0u32;
                let mut fired = Vec::new();
                if interrupt.is_set() {
                    // Dropped below: the call returns `Interrupted`.
                    return (stage, channel, fired);
                }
                for (k, rule) in self.rules.iter().enumerate() {
                    if !fires(rule, states, stage, i) {
                        continue;
                    }
                    let kept = !rule.spec.contact || used < room;
                    if kept && rule.spec.contact {
                        used += 1;
                    }
                    fired.push(Decision {
                        rule: k as u32,
                        kept,
                    });
                }
                (stage, channel, fired)
            })
            .collect();
        interrupt.check()?;
        let mut offsets = Vec::with_capacity(n + 1);
        let mut entries = Vec::new();
        let mut stages_out = Vec::with_capacity(n);
        let mut channels = Vec::with_capacity(n);
        offsets.push(0);
        for (stage, channel, fired) in per_customer {
            stages_out.push(stage);
            channels.push(channel);
            entries.extend(fired);
            offsets.push(entries.len());
        }
        Ok(Decisions {
            stages: stages_out,
            channels,
            channel_names,
            offsets,
            entries,
            contacts,
            today,
            history,
        })
    }

    /// Channel of a fired rule for customer `i`: the rule's own, else the
    /// customer's policy channel.
    pub fn action_channel<'a>(&'a self, d: &'a Decisions, i: usize, rule: u32) -> &'a str {
        self.rules[rule as usize]
            .spec
            .channel
            .as_deref()
            .unwrap_or_else(|| d.channel(i))
    }
}

#[inline]
fn fires(rule: &Rule, states: &CustomerStates, stage: Stage, i: usize) -> bool {
    let conditions = rule.conditions.iter().all(|c| match c {
        Condition::Numeric { field, op, value } => op.holds(states.value(*field, i), *value),
        Condition::Tier(t) => states.tier(i).is_some_and(|x| t.iter().any(|y| y == x)),
        Condition::Stage(s) => s.contains(&stage),
    });
    conditions
        && match rule.trigger {
            None => true,
            Some(Trigger::ContractEndWithin(n)) => {
                let d = states.value(Field::ContractEndDays, i);
                (0.0..=f64::from(n)).contains(&d)
            }
            Some(Trigger::FrequencyDrop(x)) => states.value(Field::FrequencyChange, i) <= -x,
            Some(Trigger::SpendDrop(x)) => states.value(Field::SpendChange, i) <= -x,
            Some(Trigger::Reactivated) => states.value(Field::Reactivated, i) >= 1.0,
        }
}
