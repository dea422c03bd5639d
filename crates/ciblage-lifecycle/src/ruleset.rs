//! Loading, checking and compiling rule files.

use std::collections::HashSet;

use crate::error::{LifecycleError, Result};
use crate::spec::{ConditionSpec, Op, RuleSetSpec, RuleSpec, TriggerSpec, RULE_FILE_VERSION};
use crate::stages::Stage;
use crate::state::Field;

/// A compiled condition.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Condition {
    Numeric { field: Field, op: Op, value: f64 },
    Tier(Vec<String>),
    Stage(Vec<Stage>),
}

/// A compiled event trigger.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Trigger {
    ContractEndWithin(u32),
    FrequencyDrop(f64),
    SpendDrop(f64),
    Reactivated,
}

/// A compiled rule.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Rule {
    pub(crate) spec: RuleSpec,
    pub(crate) conditions: Vec<Condition>,
    pub(crate) trigger: Option<Trigger>,
}

/// A checked rule set: stage thresholds, action rules sorted by priority
/// (ties in file order), the pressure cap and the channel policy.
///
/// ```
/// use ciblage_lifecycle::RuleSet;
/// let rules = RuleSet::from_toml(r#"
///     version = 1
///     [pressure]
///     window_days = 7
///     max_contacts = 2
///     [[rule]]
///     name = "winback"
///     priority = 10
///     when = [{ stage = ["inactive"] }]
///     action = "reactivation offer"
/// "#)?;
/// assert_eq!(rules.rule_names(), ["winback"]);
/// let err = RuleSet::from_toml("version = 1\n[[rule]]\nname = \"x\"\naction = \"y\"\nprio = 3\n")
///     .unwrap_err();
/// assert!(err.to_string().contains("unknown field `prio`"), "{err}");
/// assert!(err.to_string().contains("line 5"), "{err}");
/// # Ok::<(), ciblage_lifecycle::LifecycleError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSet {
    pub(crate) spec: RuleSetSpec,
    pub(crate) rules: Vec<Rule>,
    pub(crate) per_stage_cap: [u32; Stage::ALL.len()],
}

impl RuleSet {
    /// Reads a TOML rule file.
    ///
    /// # Errors
    /// [`LifecycleError::RuleFileSyntax`] (line, column and field in the
    /// message) or [`LifecycleError::InvalidRule`] (rule, line and field).
    pub fn from_toml(text: &str) -> Result<Self> {
        let spec: RuleSetSpec =
            toml::from_str(text).map_err(|e| LifecycleError::RuleFileSyntax {
                format: "toml",
                message: toml_message(text, &e),
            })?;
        Self::compile(spec, Some((text, Format::Toml)))
    }

    /// Reads a JSON rule file.
    ///
    /// # Errors
    /// As [`RuleSet::from_toml`].
    pub fn from_json(text: &str) -> Result<Self> {
        let spec: RuleSetSpec =
            serde_json::from_str(text).map_err(|e| LifecycleError::RuleFileSyntax {
                format: "json",
                message: e.to_string(),
            })?;
        Self::compile(spec, Some((text, Format::Json)))
    }

    /// Checks and compiles a rule set built in code.
    ///
    /// # Errors
    /// [`LifecycleError::InvalidRule`].
    pub fn from_spec(spec: RuleSetSpec) -> Result<Self> {
        Self::compile(spec, None)
    }

    /// The rule set as TOML.
    pub fn to_toml(&self) -> String {
        toml::to_string(&self.spec).expect("rule sets serialize")
    }

    /// The rule set as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.spec).expect("rule sets serialize")
    }

    /// The specification (as read).
    pub fn spec(&self) -> &RuleSetSpec {
        &self.spec
    }

    /// Rule names in evaluation order (priority, then file order).
    pub fn rule_names(&self) -> Vec<&str> {
        self.rules.iter().map(|r| r.spec.name.as_str()).collect()
    }

    /// The rule at `index` of the evaluation order.
    pub fn rule(&self, index: usize) -> &RuleSpec {
        &self.rules[index].spec
    }

    /// The contact cap of a stage.
    pub fn cap(&self, stage: Stage) -> u32 {
        self.per_stage_cap[stage as usize]
    }

    fn compile(spec: RuleSetSpec, text: Option<(&str, Format)>) -> Result<Self> {
        let top = |field: &str, reason: String| {
            // The line of the field's last key (`former_days` of
            // `stages.former_days`), when the file names it.
            let key = field.rsplit('.').next().unwrap_or(field);
            let location = match text.and_then(|(t, f)| key_line(t, f, key)) {
                Some(line) => format!("rule set (line {line})"),
                None => "rule set".into(),
            };
            LifecycleError::InvalidRule {
                location,
                field: field.into(),
                reason,
            }
        };
        if spec.version != RULE_FILE_VERSION {
            return Err(top(
                "version",
                format!(
                    "this version reads format {RULE_FILE_VERSION}, the file is {}",
                    spec.version
                ),
            ));
        }
        if spec.pressure.window_days == 0 {
            return Err(top("pressure.window_days", "must be at least 1 day".into()));
        }
        let mut per_stage_cap = [spec.pressure.max_contacts; Stage::ALL.len()];
        for (name, cap) in &spec.pressure.per_stage {
            let stage = name.parse::<Stage>().map_err(|_| {
                let err = top(
                    "pressure.per_stage",
                    format!("unknown stage {name:?}; stages are {}", stage_list()),
                );
                match (err, text.and_then(|(t, f)| key_line(t, f, name))) {
                    (LifecycleError::InvalidRule { field, reason, .. }, Some(line)) => {
                        LifecycleError::InvalidRule {
                            location: format!("rule set (line {line})"),
                            field,
                            reason,
                        }
                    }
                    (err, _) => err,
                }
            })?;
            per_stage_cap[stage as usize] = *cap;
        }
        let t = &spec.stages;
        // Day counts and counts of events are never negative; the
        // satisfaction threshold is in the caller's scale, any finite number.
        for (field, v, low) in [
            ("stages.former_days", t.former_days, Some(0.0)),
            ("stages.inactive_days", t.inactive_days, Some(0.0)),
            ("stages.new_days", t.new_days, Some(0.0)),
            ("stages.min_complaints", t.min_complaints, Some(0.0)),
            ("stages.low_satisfaction", t.low_satisfaction, None),
            ("stages.lead_referrals", t.lead_referrals, Some(0.0)),
        ] {
            if !v.is_finite() {
                return Err(top(field, format!("expected a finite number, got {v}")));
            }
            if let Some(low) = low {
                if v < low {
                    return Err(top(
                        field,
                        format!("expected a number of at least {low}, got {v}"),
                    ));
                }
            }
        }
        for (field, tiers) in [
            ("stages.best_tiers", &t.best_tiers),
            ("stages.potential_tiers", &t.potential_tiers),
        ] {
            if tiers.iter().any(|x| x.trim().is_empty()) {
                return Err(top(field, "tier names must not be empty".into()));
            }
        }
        let c = &spec.channels;
        if c.default.trim().is_empty() {
            return Err(top("channels.default", "must not be empty".into()));
        }
        if let Some((tier, _)) = c
            .by_tier
            .iter()
            .find(|(k, v)| k.trim().is_empty() || v.trim().is_empty())
        {
            return Err(top(
                "channels.by_tier",
                format!("tier {tier:?}: tier and channel names must not be empty"),
            ));
        }
        let mut names = HashSet::new();
        let mut rules = Vec::with_capacity(spec.rules.len());
        for (k, r) in spec.rules.iter().enumerate() {
            let location = match text.and_then(|(t, f)| rule_line(t, f, k, &r.name)) {
                Some(line) => format!("rule {:?} (#{}, line {line})", r.name, k + 1),
                None => format!("rule {:?} (#{})", r.name, k + 1),
            };
            let bad = |field: &str, reason: String| LifecycleError::InvalidRule {
                location: location.clone(),
                field: field.into(),
                reason,
            };
            if r.name.trim().is_empty() {
                return Err(bad("name", "must not be empty".into()));
            }
            if !names.insert(r.name.clone()) {
                return Err(bad("name", "another rule has the same name".into()));
            }
            if r.action.trim().is_empty() {
                return Err(bad("action", "must not be empty".into()));
            }
            if r.channel.as_ref().is_some_and(|c| c.trim().is_empty()) {
                return Err(bad("channel", "must not be empty".into()));
            }
            if !(r.cost.is_finite() && r.cost >= 0.0) {
                return Err(bad(
                    "cost",
                    format!("expected a non-negative number, got {}", r.cost),
                ));
            }
            let conditions = r
                .when
                .iter()
                .enumerate()
                .map(|(j, c)| condition(c).map_err(|reason| bad(&format!("when[{j}]"), reason)))
                .collect::<Result<Vec<_>>>()?;
            let trigger = r
                .trigger
                .as_ref()
                .map(|t| trigger(t).map_err(|reason| bad("trigger", reason)))
                .transpose()?;
            rules.push((
                k,
                Rule {
                    spec: r.clone(),
                    conditions,
                    trigger,
                },
            ));
        }
        rules.sort_by(|(ka, a), (kb, b)| b.spec.priority.cmp(&a.spec.priority).then(ka.cmp(kb)));
        Ok(Self {
            spec,
            rules: rules.into_iter().map(|(_, r)| r).collect(),
            per_stage_cap,
        })
    }
}

fn stage_list() -> String {
    Stage::ALL.map(Stage::name).join(", ")
}

fn condition(c: &ConditionSpec) -> std::result::Result<Condition, String> {
    match (c.field, c.op, c.value, &c.tier, &c.stage) {
        (Some(field), Some(op), Some(value), None, None) => {
            if !value.is_finite() {
                return Err(format!("value must be a finite number, got {value}"));
            }
            Ok(Condition::Numeric { field, op, value })
        }
        (None, None, None, Some(tiers), None) => {
            if tiers.is_empty() || tiers.iter().any(|t| t.trim().is_empty()) {
                return Err("tier: expected a non-empty list of tier names".into());
            }
            Ok(Condition::Tier(tiers.clone()))
        }
        (None, None, None, None, Some(stages)) if stages.is_empty() => {
            Err("stage: expected a non-empty list of stages".into())
        }
        (None, None, None, None, Some(stages)) => stages
            .iter()
            .map(|s| {
                s.parse::<Stage>()
                    .map_err(|_| format!("unknown stage {s:?}; stages are {}", stage_list()))
            })
            .collect::<std::result::Result<Vec<_>, _>>()
            .map(Condition::Stage),
        _ => Err(
            "a condition is either { field, op, value }, { tier = [...] } or { stage = [...] }"
                .into(),
        ),
    }
}

fn trigger(t: &TriggerSpec) -> std::result::Result<Trigger, String> {
    let share = |x: f64, name: &str| {
        if (0.0..=1.0).contains(&x) {
            Ok(x)
        } else {
            Err(format!("{name} is a share in [0, 1], got {x}"))
        }
    };
    match (
        t.contract_end_within_days,
        t.frequency_drop,
        t.spend_drop,
        t.reactivated,
    ) {
        (Some(d), None, None, None) => Ok(Trigger::ContractEndWithin(d)),
        (None, Some(x), None, None) => share(x, "frequency_drop").map(Trigger::FrequencyDrop),
        (None, None, Some(x), None) => share(x, "spend_drop").map(Trigger::SpendDrop),
        (None, None, None, Some(true)) => Ok(Trigger::Reactivated),
        (None, None, None, Some(false)) => Err(
            "reactivated = false is no event: remove the trigger or write reactivated = true"
                .into(),
        ),
        _ => Err(
            "exactly one of contract_end_within_days, frequency_drop, spend_drop, \
                  reactivated = true"
                .into(),
        ),
    }
}

/// The syntax of a rule file's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Toml,
    Json,
}

/// Line (1-based) of the `k`-th rule: its `[[rule]]` table in TOML, the
/// line naming it in JSON.
fn rule_line(text: &str, format: Format, k: usize, name: &str) -> Option<usize> {
    match format {
        Format::Toml => text
            .lines()
            .enumerate()
            .filter(|(_, l)| l.trim_start().starts_with("[[rule]]"))
            .nth(k)
            .map(|(i, _)| i + 1),
        Format::Json => {
            let quoted = serde_json::to_string(name).ok()?;
            text.lines()
                .position(|l| l.contains("\"name\"") && l.contains(&quoted))
                .map(|i| i + 1)
        }
    }
}

/// Line (1-based) of the first line that sets key `key` (`key =` in TOML,
/// `"key":` in JSON).
fn key_line(text: &str, format: Format, key: &str) -> Option<usize> {
    let quoted = serde_json::to_string(key).ok()?;
    text.lines()
        .position(|l| {
            let l = l.trim_start().trim_start_matches(['{', ',', ' ']);
            let rest = match format {
                Format::Toml => l
                    .strip_prefix(key)
                    .or_else(|| l.strip_prefix(quoted.as_str())),
                Format::Json => l.strip_prefix(quoted.as_str()),
            };
            rest.is_some_and(|r| r.trim_start().starts_with(['=', ':']))
        })
        .map(|i| i + 1)
}

/// The parser's message with its line number made explicit.
fn toml_message(text: &str, e: &toml::de::Error) -> String {
    let msg = e.message().trim().to_owned();
    match e.span() {
        Some(span) => {
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            let col = span.start
                - text[..span.start.min(text.len())]
                    .rfind('\n')
                    .map_or(0, |p| p + 1)
                + 1;
            format!("line {line}, column {col}: {msg}")
        }
        None => msg,
    }
}
