//! The pass over the rows of the CLV summary, on all threads: the input
//! report, the latest day (the default end of observation) and the
//! earliest kept period, each task reading its instants in their own unit.

use rayon::prelude::*;

use crate::activity::InputReport;
use crate::clv::summary_scan::{Part, RowFilter, SummaryBatches};
use crate::error::{CiblageError, Result};
use crate::instants::{with_unit, InstantUnit};
use crate::transactions::NegativeAmounts;

/// Rows per task of the pass over the rows.
const ROW_CHUNK: usize = 1 << 16;

/// What the pass over the rows saw.
pub(crate) struct RowPass {
    pub report: InputReport,
    /// Latest local day of any row (the default end of observation).
    pub max_day: i64,
    /// Earliest period of a kept row (`i64::MAX` when none is kept).
    pub min_period: i64,
}

/// What one task of the pass over the rows saw.
struct ChunkRows {
    report: InputReport,
    max_day: i64,
    min_period: i64,
    /// The first negative row under the `Reject` policy.
    rejected: Option<(usize, f64)>,
}

/// One task of [`row_pass`]: the rows `range` of `part` (its first row is
/// `row0` in the whole table), its instants read in unit `U`.
fn chunk_rows<U: InstantUnit>(
    part: &Part<'_>,
    row0: usize,
    range: std::ops::Range<usize>,
    filter: RowFilter,
) -> ChunkRows {
    let zone = part.zone;
    let (ts, amounts) = (U::slice(&part.instants), part.amounts);
    let mut out = ChunkRows {
        report: InputReport::default(),
        max_day: i64::MIN,
        min_period: i64::MAX,
        rejected: None,
    };
    for row in range {
        let day = zone.day_of(U::micros(ts[row]));
        out.max_day = out.max_day.max(day);
        let p = filter.freq.period_of_day(day);
        if filter.end.is_some_and(|e| p > e) {
            out.report.rows_after_as_of += 1;
            continue;
        }
        let a = amounts[row];
        if a < 0.0 {
            out.report.negative_rows += 1;
            match filter.negative {
                NegativeAmounts::Keep => {}
                NegativeAmounts::Exclude => {
                    out.report.negative_rows_excluded += 1;
                    continue;
                }
                NegativeAmounts::Reject => {
                    out.rejected = Some((row0 + row, a));
                    break;
                }
            }
        }
        out.min_period = out.min_period.min(p);
    }
    out
}

/// The pass over the rows: every row's local day and period, counted in
/// the input report (rows after the end, negative rows), the latest day and
/// the earliest kept period; the first negative row refused under the
/// `Reject` policy.
pub(crate) fn row_pass(input: &SummaryBatches<'_>, filter: RowFilter) -> Result<RowPass> {
    // Tasks of up to ROW_CHUNK rows within one batch: (batch, first row of
    // the batch in the whole table, rows of the task in the batch).
    let mut tasks = Vec::new();
    let mut row0 = 0;
    for (b, part) in input.parts.iter().enumerate() {
        let n = part.len();
        for c in 0..n.div_ceil(ROW_CHUNK) {
            tasks.push((b, row0, c * ROW_CHUNK..((c + 1) * ROW_CHUNK).min(n)));
        }
        row0 += n;
    }
    let total_rows = row0;
    let parts: Vec<ChunkRows> = tasks
        .into_par_iter()
        .map(|(b, row0, range)| {
            let part = &input.parts[b];
            with_unit!(part.instants, chunk_rows(part, row0, range, filter))
        })
        .collect();
    if let Some((row, value)) = parts.iter().find_map(|p| p.rejected) {
        return Err(CiblageError::NegativeAmount {
            argument: "amount".into(),
            row,
            value,
        });
    }
    let mut pass = RowPass {
        report: InputReport::default(),
        max_day: i64::MIN,
        min_period: i64::MAX,
    };
    for p in &parts {
        pass.report.merge(&p.report);
        pass.max_day = pass.max_day.max(p.max_day);
        pass.min_period = pass.min_period.min(p.min_period);
    }
    pass.report.rows = total_rows as u64;
    Ok(pass)
}
