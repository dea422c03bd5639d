//! The CLV summary of instants held in another unit than µs (read in
//! place, [`SummaryBatches::push_instants`]) against the summary of a
//! converted µs copy: the same result, field for field.

use super::*;
use crate::instants::Instants;
use crate::time::{day_from_date, Zone, MICROS_PER_DAY};
use crate::transactions::Transactions;

/// A small deterministic generator (64-bit LCG, high bits).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// Ids, values in `unit_micros` units and amounts of `rows` rows over two
/// years from 2022-01-01, some negative, plus `sub` (0 to `unit_micros` -
/// 1, as nanoseconds when the unit is 1) added to each.
fn rows(rows: usize, seed: u64) -> (Vec<i64>, Vec<i64>, Vec<f64>) {
    let mut g = Lcg(seed);
    let start = day_from_date(chrono::NaiveDate::from_ymd_opt(2022, 1, 1).unwrap());
    let ids = (0..rows).map(|_| g.below(300) as i64 * 7).collect();
    // Seconds since the epoch, over 730 days.
    let secs = (0..rows)
        .map(|_| start * 86_400 + g.below(730 * 86_400) as i64)
        .collect();
    let amounts = (0..rows)
        .map(|_| g.below(10_000) as f64 / 100.0 - 10.0)
        .collect();
    (ids, secs, amounts)
}

/// The summary of µs instants (a [`Transactions`] table) and of the same
/// instants held in `instants`, pushed in two batches.
fn both(
    ids: &[i64],
    micros: Vec<i64>,
    instants: Instants<'_>,
    amounts: &[f64],
    zone: Zone,
    params: &ClvSummaryParams,
) -> (PurchaseSummary, PurchaseSummary) {
    let tx = Transactions::from_int_ids(ids, micros, amounts.to_vec())
        .unwrap()
        .with_zone(zone);
    let whole = params.clone().score(&tx).unwrap();
    let mut index = CustomerIndex::new();
    let mut codes = Vec::new();
    index.encode_i64(ids, &mut codes).unwrap();
    let mut batches = SummaryBatches::with_owned_index(index, codes);
    let cut = ids.len() / 3;
    let halves: [Instants<'_>; 2] = match instants {
        Instants::Seconds(v) => [Instants::Seconds(&v[..cut]), Instants::Seconds(&v[cut..])],
        Instants::Millis(v) => [Instants::Millis(&v[..cut]), Instants::Millis(&v[cut..])],
        Instants::Micros(v) => [Instants::Micros(&v[..cut]), Instants::Micros(&v[cut..])],
        Instants::Nanos(v) => [Instants::Nanos(&v[..cut]), Instants::Nanos(&v[cut..])],
        Instants::Days(v) => [Instants::Days(&v[..cut]), Instants::Days(&v[cut..])],
    };
    batches
        .push_instants(halves[0], &amounts[..cut], None, zone)
        .unwrap();
    batches
        .push_instants(halves[1], &amounts[cut..], None, zone)
        .unwrap();
    (whole, params.clone().score(batches).unwrap())
}

#[test]
fn every_unit_gives_the_summary_of_a_converted_copy() {
    let (ids, secs, amounts) = rows(5_000, 3);
    let mut g = Lcg(9);
    let d = |y, m, dd| chrono::NaiveDate::from_ymd_opt(y, m, dd).unwrap();
    let paris = Zone::parse("Europe/Paris").unwrap();
    for (zone, params) in [
        (Zone::Utc, ClvSummary::params()),
        (
            paris,
            ClvSummary::params()
                .freq(Freq::Week)
                .observation_end(d(2023, 12, 31))
                .calibration_end(d(2023, 6, 30))
                .negative_amounts(NegativeAmounts::Exclude),
        ),
        (
            Zone::Fixed(-5 * 3600),
            ClvSummary::params().freq(Freq::Month),
        ),
    ] {
        // Nanoseconds with a sub-µs part (floored: the µs copy divides
        // with div_euclid, as the former converted copy did).
        let ns: Vec<i64> = secs
            .iter()
            .map(|&s| s * 1_000_000_000 + g.below(1_000_000_000) as i64)
            .collect();
        let micros: Vec<i64> = ns.iter().map(|v| v.div_euclid(1_000)).collect();
        let (a, b) = both(&ids, micros, Instants::Nanos(&ns), &amounts, zone, &params);
        assert_eq!(a, b);
        // Milliseconds, seconds, and µs themselves.
        let ms: Vec<i64> = ns.iter().map(|v| v.div_euclid(1_000_000)).collect();
        let micros: Vec<i64> = ms.iter().map(|v| v * 1_000).collect();
        let (a, b) = both(&ids, micros, Instants::Millis(&ms), &amounts, zone, &params);
        assert_eq!(a, b);
        let micros: Vec<i64> = secs.iter().map(|v| v * 1_000_000).collect();
        let (a, b) = both(
            &ids,
            micros.clone(),
            Instants::Seconds(&secs),
            &amounts,
            zone,
            &params,
        );
        assert_eq!(a, b);
        let (a, b) = both(
            &ids,
            micros.clone(),
            Instants::Micros(&micros),
            &amounts,
            zone,
            &params,
        );
        assert_eq!(a, b);
    }
    // Calendar days (dates are read in UTC).
    let days: Vec<i32> = secs.iter().map(|s| s.div_euclid(86_400) as i32).collect();
    let micros: Vec<i64> = days
        .iter()
        .map(|&v| i64::from(v) * MICROS_PER_DAY)
        .collect();
    let params = ClvSummary::params().calibration_end(d(2023, 1, 31));
    let (a, b) = both(
        &ids,
        micros,
        Instants::Days(&days),
        &amounts,
        Zone::Utc,
        &params,
    );
    assert_eq!(a, b);
    // Sanity: the summary is not empty, and has its holdout columns.
    assert!(a.len() > 250 && a.holdout().is_some());
}

#[test]
fn batches_of_other_units_or_values_out_of_range_are_refused() {
    let mut index = CustomerIndex::new();
    let mut codes = Vec::new();
    index.encode_i64(&[1, 2, 1], &mut codes).unwrap();
    let mut batches = SummaryBatches::with_owned_index(index, codes);
    batches
        .push_instants(Instants::Nanos(&[0]), &[1.0], None, Zone::Utc)
        .unwrap();
    let e = batches
        .push_instants(Instants::Micros(&[0]), &[1.0], None, Zone::Utc)
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid parameter batches: every batch must hold its instants in the same unit"
    );
    // Columns of different lengths.
    let e = batches
        .push_instants(Instants::Nanos(&[0, 0]), &[1.0], None, Zone::Utc)
        .unwrap_err();
    assert!(matches!(e, CiblageError::LengthMismatch { .. }));
    let mut index = CustomerIndex::new();
    let mut codes = Vec::new();
    index.encode_i64(&[1, 2], &mut codes).unwrap();
    let mut batches = SummaryBatches::with_owned_index(index, codes);
    let e = batches
        .push_instants(
            Instants::Seconds(&[0, i64::MAX / 10]),
            &[1.0, 1.0],
            None,
            Zone::Utc,
        )
        .unwrap_err();
    assert_eq!(e.to_string(), "timestamp: timestamp out of range at row 1");
}

#[test]
fn customers_left_out_in_every_block_leave_the_others_aligned() {
    // 40,000 customers of 1 to 3 purchases over 400 days, the calibration
    // ending on day 199: about 40 % of them are first seen after it and
    // left out, in every block of the per-customer pass. Checked against a
    // plain recomputation, customer by customer.
    use std::collections::{BTreeMap, BTreeSet};
    let mut g = Lcg(17);
    let (mut ids, mut ts, mut amounts) = (Vec::new(), Vec::new(), Vec::new());
    for c in 0..40_000_i64 {
        for _ in 0..=g.below(3) {
            ids.push(c * 3 + 1);
            ts.push(g.below(400) as i64 * MICROS_PER_DAY);
            amounts.push(g.below(100) as f64);
        }
    }
    // Rows shuffled, so that each block's customers come from everywhere.
    let mut order: Vec<usize> = (0..ids.len()).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, g.below(i as u64 + 1) as usize);
    }
    let ids: Vec<i64> = order.iter().map(|&i| ids[i]).collect();
    let ts: Vec<i64> = order.iter().map(|&i| ts[i]).collect();
    let amounts: Vec<f64> = order.iter().map(|&i| amounts[i]).collect();
    let cal = chrono::NaiveDate::from_ymd_opt(1970, 7, 18).unwrap(); // day 198
    let end = chrono::NaiveDate::from_ymd_opt(1971, 2, 4).unwrap(); // day 399
    let tx = Transactions::from_int_ids(&ids, ts.clone(), amounts).unwrap();
    let s = ClvSummary::params()
        .calibration_end(cal)
        .observation_end(end)
        .score(&tx)
        .unwrap();
    let mut days: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
    for (&id, &t) in ids.iter().zip(&ts) {
        days.entry(id).or_default().insert(t / MICROS_PER_DAY);
    }
    let (mut want_ids, mut freq, mut rec, mut t_cal, mut hold) =
        (vec![], vec![], vec![], vec![], vec![]);
    for (&id, d) in &days {
        let first = *d.iter().next().unwrap();
        if first > 198 {
            continue;
        }
        let calib: Vec<i64> = d.iter().copied().filter(|&x| x <= 198).collect();
        want_ids.push(id);
        freq.push(calib.len() as u32 - 1);
        rec.push((calib[calib.len() - 1] - first) as f64);
        t_cal.push((198 - first) as f64);
        hold.push(d.iter().filter(|&&x| x > 198).count() as u32);
    }
    assert!(want_ids.len() < 30_000 && want_ids.len() > 15_000);
    assert_eq!(s.holdout_only_customers(), 40_000 - want_ids.len() as u64);
    assert_eq!(s.ids(), &CustomerIds::Int(want_ids));
    assert_eq!(s.frequency(), freq);
    assert_eq!(s.recency(), rec);
    assert_eq!(s.t(), t_cal);
    assert_eq!(s.holdout().unwrap().frequency, hold);
}
