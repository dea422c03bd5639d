//! Times the stages of RFM scoring on synthetic data (10M rows, 1M customers).
//!
//! `cargo run --release -p ciblage --example rfm_stages -- [int|str]`

use std::time::Instant;

use ciblage::{
    ActivityAccumulator, CustomerIds, CustomerIndex, IdKind, Rfm, SyntheticTransactions, Zone,
};

fn main() -> Result<(), ciblage::CiblageError> {
    let kind = match std::env::args().nth(1).as_deref() {
        Some("str") => IdKind::Str,
        _ => IdKind::Int,
    };
    let data = SyntheticTransactions::params()
        .customers(1_000_000)
        .transactions(10_000_000)
        .ids(kind)
        .generate()?;
    for _ in 0..3 {
        let params = Rfm::params().check()?;
        let t0 = Instant::now();
        let mut index = CustomerIndex::new();
        let mut codes = Vec::with_capacity(data.timestamps.len());
        match &data.ids {
            CustomerIds::Int(v) => index.encode_i64_all(&[v], &mut codes)?,
            CustomerIds::Str(s) => index.encode_str_indexed(s.len(), |i| s.get(i), &mut codes)?,
        }
        let t1 = Instant::now();
        let mut acc = ActivityAccumulator::new(params.activity_options(Zone::Utc), false);
        acc.push(&codes, &data.timestamps, &data.amounts, None, index.len())?;
        let activity = acc.finish();
        let t2 = Instant::now();
        let scores = params.score_activity(&activity, &index)?;
        let t3 = Instant::now();
        println!(
            "encode {:.3} s, aggregate {:.3} s, score {:.3} s, total {:.3} s ({} customers)",
            (t1 - t0).as_secs_f64(),
            (t2 - t1).as_secs_f64(),
            (t3 - t2).as_secs_f64(),
            (t3 - t0).as_secs_f64(),
            scores.len()
        );
    }
    Ok(())
}
