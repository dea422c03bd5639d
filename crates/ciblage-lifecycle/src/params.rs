//! The two transformations of the crate, in the grammar of the core:
//! `Lifecycle::params()…check()?.score(..)` evaluates the rules for every
//! customer, `Behaviour::params()…check()?.score(..)` measures the change
//! of each customer's buying.

use chrono::NaiveDate;
use ciblage::{Interrupt, TransactionView};

use crate::behaviour::BehaviourChange;
use crate::engine::{day_number, ContactHistory, Decisions};
use crate::error::{LifecycleError, Result};
use crate::ruleset::RuleSet;
use crate::state::CustomerStates;

/// Entry point of the lifecycle evaluation: stage, channel and actions per
/// customer, then the pressure cap.
///
/// ```
/// use ciblage_lifecycle::{ContactHistory, CustomerStates, Field, Lifecycle, RuleSet, Stage};
/// let states = CustomerStates::new(2)
///     .with(Field::Frequency, vec![12.0, 3.0])?
///     .with(Field::RecencyDays, vec![5.0, 250.0])?
///     .with(Field::TenureDays, vec![900.0, 700.0])?
///     .with_tiers(&["Best", "Small"])?;
/// let today = chrono::NaiveDate::from_ymd_opt(2024, 1, 15).unwrap();
/// let d = Lifecycle::params()
///     .rules(RuleSet::default_rules())
///     .score(&states, &ContactHistory::empty(), today)?;
/// assert_eq!([d.stage(0), d.stage(1)], [Stage::Best, Stage::Inactive]);
/// assert_eq!(d.today(), today);
/// # Ok::<(), ciblage_lifecycle::LifecycleError>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Lifecycle;

impl Lifecycle {
    /// Parameters with their defaults: the default rule set
    /// ([`RuleSet::default_rules`]), no interrupt token.
    pub fn params() -> LifecycleParams {
        LifecycleParams::default()
    }
}

/// Builder of the lifecycle evaluation; [`LifecycleParams::check`]
/// validates it.
#[derive(Debug, Clone, PartialEq)]
pub struct LifecycleParams {
    rules: RuleSet,
    interrupt: Interrupt,
}

impl Default for LifecycleParams {
    fn default() -> Self {
        Self {
            rules: RuleSet::default_rules(),
            interrupt: Interrupt::default(),
        }
    }
}

impl LifecycleParams {
    /// The rules, stages, channels and pressure caps (default
    /// [`RuleSet::default_rules`]); a rule set is validated when it is read.
    #[must_use]
    pub fn rules(mut self, rules: RuleSet) -> Self {
        self.rules = rules;
        self
    }

    /// The token that stops the evaluation (checked per customer, a relaxed
    /// load; see [`ciblage::Interrupt`]).
    #[must_use]
    pub fn interrupt(mut self, token: Interrupt) -> Self {
        self.interrupt = token;
        self
    }

    /// Validates the parameters (the rule set was validated when read).
    ///
    /// # Errors
    /// None today; kept so that every algorithm validates the same way.
    pub fn check(self) -> Result<LifecycleValidParams> {
        Ok(LifecycleValidParams {
            rules: self.rules,
            interrupt: self.interrupt,
        })
    }

    /// Validates, then evaluates: `self.check()?.score(..)`.
    ///
    /// # Errors
    /// See [`LifecycleValidParams::score`].
    pub fn score(
        self,
        states: &CustomerStates,
        history: &ContactHistory,
        today: NaiveDate,
    ) -> Result<Decisions> {
        self.check()?.score(states, history, today)
    }
}

/// Validated lifecycle parameters: call [`LifecycleValidParams::score`].
#[derive(Debug, Clone, PartialEq)]
pub struct LifecycleValidParams {
    rules: RuleSet,
    interrupt: Interrupt,
}

impl LifecycleValidParams {
    /// The rule set.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// Evaluates every customer on day `today`: stage, channel, fired rules
    /// in priority order, then the pressure cap (the highest-priority
    /// contacts are kept up to the stage's cap minus the contacts already in
    /// the window; the others are suppressed, with their reason available
    /// from [`Decisions::explain`]). Actions that are not contacts are
    /// always kept. Customers are independent, so results do not depend on
    /// row order or threads.
    ///
    /// # Errors
    /// [`LifecycleError::UnknownCustomer`] for a history row out of range;
    /// [`ciblage::CiblageError::Interrupted`] (as [`LifecycleError::Core`]).
    pub fn score(
        &self,
        states: &CustomerStates,
        history: &ContactHistory,
        today: NaiveDate,
    ) -> Result<Decisions> {
        self.rules.evaluate(states, history, today, &self.interrupt)
    }
}

/// Entry point of the behaviour change per customer: this window of
/// `window_days` days against the previous one.
///
/// ```
/// use ciblage::Transactions;
/// use ciblage_lifecycle::Behaviour;
/// let day = 86_400_000_000i64;
/// // Customer 1: 4 purchases in days 0–29, 2 in days 30–59 → −50 %.
/// let tx = Transactions::from_int_ids(
///     &[1, 1, 1, 1, 1, 1],
///     vec![day, 2 * day, 3 * day, 4 * day, 40 * day, 50 * day],
///     vec![10.0; 6],
/// )?;
/// let today = chrono::NaiveDate::from_ymd_opt(1970, 3, 2).unwrap(); // day 60
/// let b = Behaviour::params().window_days(30).score(tx.view(), today)?;
/// assert_eq!(b.frequency_change, [-0.5]);
/// assert_eq!(b.spend_change, [-0.5]);
/// # Ok::<(), ciblage_lifecycle::LifecycleError>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Behaviour;

impl Behaviour {
    /// Parameters with their defaults: windows of 90 days, no interrupt
    /// token.
    pub fn params() -> BehaviourParams {
        BehaviourParams {
            window_days: 90,
            interrupt: Interrupt::default(),
        }
    }
}

/// Builder of the behaviour change; [`BehaviourParams::check`] validates it.
#[derive(Debug, Clone, PartialEq)]
pub struct BehaviourParams {
    window_days: u32,
    interrupt: Interrupt,
}

impl BehaviourParams {
    /// Length of each window in days, at least 1 (default 90).
    #[must_use]
    pub fn window_days(mut self, days: u32) -> Self {
        self.window_days = days;
        self
    }

    /// The token that stops the computation (checked every 2^20 rows; see
    /// [`ciblage::Interrupt`]).
    #[must_use]
    pub fn interrupt(mut self, token: Interrupt) -> Self {
        self.interrupt = token;
        self
    }

    /// Validates the parameters.
    ///
    /// # Errors
    /// [`LifecycleError::InvalidParameter`] for a window of 0 days.
    pub fn check(self) -> Result<BehaviourValidParams> {
        if self.window_days == 0 {
            return Err(LifecycleError::InvalidParameter {
                name: "window_days",
                reason: "must be at least 1 day".into(),
            });
        }
        Ok(BehaviourValidParams {
            window_days: self.window_days,
            interrupt: self.interrupt,
        })
    }

    /// Validates, then computes: `self.check()?.score(..)`.
    ///
    /// # Errors
    /// See [`BehaviourParams::check`] and [`BehaviourValidParams::score`].
    pub fn score(self, tx: TransactionView<'_>, today: NaiveDate) -> Result<BehaviourChange> {
        self.check()?.score(tx, today)
    }
}

/// Validated behaviour-change parameters: call [`BehaviourValidParams::score`].
#[derive(Debug, Clone, PartialEq)]
pub struct BehaviourValidParams {
    window_days: u32,
    interrupt: Interrupt,
}

impl BehaviourValidParams {
    /// The change for every customer code of `tx`; `today` is the
    /// evaluation day (rows on or after it are left out and counted).
    ///
    /// # Errors
    /// [`ciblage::CiblageError::Interrupted`] (as [`LifecycleError::Core`]).
    pub fn score(&self, tx: TransactionView<'_>, today: NaiveDate) -> Result<BehaviourChange> {
        BehaviourChange::of(tx, day_number(today), self.window_days, &self.interrupt)
    }
}
