//! Times the monthly retention analysis on synthetic data (10M rows, 1M customers).
//!
//! `cargo run --release -p ciblage --example retention_stages`

use std::time::Instant;

use ciblage::churn::{Period, Retention};
use ciblage::{CustomerIds, CustomerIndex, SyntheticTransactions, TransactionView, Zone};

fn main() -> Result<(), ciblage::CiblageError> {
    let data = SyntheticTransactions::params()
        .customers(1_000_000)
        .transactions(10_000_000)
        .generate()?;
    let tx = data.to_transactions()?;
    let params = Retention::params().period(Period::Month).check()?;
    let CustomerIds::Int(ids) = &data.ids else {
        unreachable!()
    };
    let mut index = CustomerIndex::new();
    let mut codes = Vec::new();
    index.encode_i64_all(&[ids], &mut codes)?;
    let dense = std::env::args().any(|a| a == "dense");
    for _ in 0..5 {
        let t0 = Instant::now();
        let r = if dense {
            params.score(TransactionView::new(
                &codes,
                &data.timestamps,
                &data.amounts,
                index.len(),
                Zone::Utc,
            )?)?
        } else {
            params.score(&tx)?
        };
        println!(
            "monthly retention + cohorts: {:.3} s ({} periods, {} cohorts)",
            t0.elapsed().as_secs_f64(),
            r.periods().len(),
            r.cohorts().len()
        );
    }
    let r = params.score(&tx)?;
    let moves: Vec<(u64, u64, u64, u64, u64)> = r
        .periods()
        .iter()
        .map(|p| (p.active, p.new, p.repeating, p.reactivated, p.lapsed))
        .collect();
    let revenue: f64 = r.periods().iter().map(|p| p.revenue).sum();
    let cohort_active: u64 = r.cohorts().iter().flat_map(|c| c.active.iter()).sum();
    let cohort_rolling: u64 = r.cohorts().iter().flat_map(|c| c.rolling.iter()).sum();
    let cohort_revenue: f64 = r.cohorts().iter().flat_map(|c| c.revenue.iter()).sum();
    let survival: f64 = r
        .cohorts()
        .iter()
        .flat_map(|c| c.survival.iter())
        .filter(|s| !s.is_nan())
        .sum();
    let churned: u64 = r.cohorts().iter().map(|c| c.churned).sum();
    println!("check: {moves:?}\nrevenue {revenue:.6} cohort active {cohort_active} rolling {cohort_rolling} revenue {cohort_revenue:.6} survival {survival:.12} churned {churned} pooled {:?}", &r.pooled_survival()[..5]);
    Ok(())
}
