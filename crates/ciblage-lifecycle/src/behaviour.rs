//! Behaviour change per customer: this window against the previous one.

use ciblage::{Interrupt, TransactionView};

use crate::error::Result;

/// Change of each customer's buying between the `window_days` days before
/// the evaluation day and the `window_days` days before those: the result
/// of [`crate::Behaviour`]'s `score`.
#[derive(Debug, Clone, PartialEq)]
pub struct BehaviourChange {
    /// Relative change of purchases (rows with a positive amount):
    /// (current − previous) / previous; NaN when there was no previous purchase.
    pub frequency_change: Vec<f64>,
    /// Relative change of spend (net amounts); NaN when the previous spend
    /// was not positive.
    pub spend_change: Vec<f64>,
    /// 1 when the customer bought in the current window, not in the previous
    /// one, and had bought before it; else 0.
    pub reactivated: Vec<f64>,
    /// Rows on or after the evaluation day, left out.
    pub rows_after_today: u64,
}

impl BehaviourChange {
    /// The change for every customer code of `tx`, on day number `t` (days
    /// since 1970-01-01), windows of `window_days` ≥ 1 days; see
    /// [`crate::Behaviour`].
    pub(crate) fn of(
        tx: TransactionView<'_>,
        t: i64,
        window_days: u32,
        interrupt: &Interrupt,
    ) -> Result<Self> {
        let n = tx.customers();
        let zone = tx.zone();
        let w = i64::from(window_days);
        let (mut cur_n, mut prev_n) = (vec![0u32; n], vec![0u32; n]);
        let (mut cur_s, mut prev_s) = (vec![0.0; n], vec![0.0; n]);
        let mut before = vec![false; n];
        let mut rows_after_today = 0u64;
        let rows = tx.codes().iter().zip(tx.timestamps()).zip(tx.amounts());
        for (i, ((&c, &ts), &a)) in rows.enumerate() {
            if i % (1 << 20) == 0 {
                interrupt.check()?;
            }
            let d = zone.day_of(ts);
            let c = c as usize;
            if d >= t {
                rows_after_today += 1;
                continue;
            }
            if d >= t - w {
                cur_s[c] += a;
                cur_n[c] += u32::from(a > 0.0);
            } else if d >= t - 2 * w {
                prev_s[c] += a;
                prev_n[c] += u32::from(a > 0.0);
            } else if a > 0.0 {
                before[c] = true;
            }
        }
        let rel = |cur: f64, prev: f64| {
            if prev > 0.0 {
                (cur - prev) / prev
            } else {
                f64::NAN
            }
        };
        Ok(Self {
            frequency_change: (0..n)
                .map(|i| rel(f64::from(cur_n[i]), f64::from(prev_n[i])))
                .collect(),
            spend_change: (0..n).map(|i| rel(cur_s[i], prev_s[i])).collect(),
            reactivated: (0..n)
                .map(|i| {
                    if cur_n[i] > 0 && prev_n[i] == 0 && before[i] {
                        1.0
                    } else {
                        0.0
                    }
                })
                .collect(),
            rows_after_today,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::Behaviour;
    use ciblage::Transactions;

    const DAY: i64 = 86_400_000_000;

    #[test]
    fn windows_reactivation_and_missing_history() {
        // today = day 100, windows of 30: current 70–99, previous 40–69.
        // Customer 1: bought on day 10 (before), nothing 40–69, day 80 → reactivated.
        // Customer 2: first purchase on day 80 → not reactivated, change NaN.
        // Customer 3: 2 purchases (50, 60) then 1 (75) and a row on day 100 (left out).
        let tx = Transactions::from_int_ids(
            &[1, 1, 2, 3, 3, 3, 3],
            vec![
                10 * DAY,
                80 * DAY,
                80 * DAY,
                50 * DAY,
                60 * DAY,
                75 * DAY,
                100 * DAY,
            ],
            vec![5.0, 5.0, 7.0, 10.0, 10.0, 30.0, 99.0],
        )
        .unwrap();
        let today = chrono::NaiveDate::from_ymd_opt(1970, 4, 11).unwrap(); // day 100
        let b = Behaviour::params()
            .window_days(30)
            .score(tx.view(), today)
            .unwrap();
        assert_eq!(b.reactivated, [1.0, 0.0, 0.0]);
        assert!(b.frequency_change[1].is_nan());
        assert_eq!(b.frequency_change[2], -0.5); // 1 vs 2
        assert_eq!(b.spend_change[2], 0.5); // 30 vs 20
        assert_eq!(b.rows_after_today, 1); // the row on day 100
        let e = Behaviour::params().window_days(0).check().unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid parameter window_days: must be at least 1 day"
        );
    }
}
