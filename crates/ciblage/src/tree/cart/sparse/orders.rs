//! The exact splitter's sort of a sparse column: only the explicit values
//! are sorted; the rows holding zero are one block, in row order, between
//! the negative and the positive values. The order is the dense one (by
//! value in the order of `f32::total_cmp`, ties by row), so the splits and
//! every running sum are the dense matrix's.

use crate::tree::cart::sparse::{Compressed, SparseIndex};

/// Below this many rows per explicit value of the column, a node's rows
/// find their values by binary search instead of a merge of both lists.
const SEARCH_RATIO: usize = 16;

/// The pairs (value, row) of `rows` (ascending) for column `f` of `x`
/// (CSC), sorted as [`crate::tree::cart::exact`]'s dense sort sorts them.
pub(crate) fn sorted_by_value(x: &Compressed<'_>, f: usize, rows: &[u32]) -> Vec<(f32, u32)> {
    let range = x.range(f);
    let col_data = &x.data[range.clone()];
    // The column's rows read in place (32- or 64-bit), not copied.
    match x.indices {
        SparseIndex::I32(s) => sorted_entries(&s[range], col_data, rows),
        SparseIndex::I64(s) => sorted_entries(&s[range], col_data, rows),
    }
}

/// A row index of a compressed matrix (checked non-negative at its
/// construction).
trait RowIndex: Copy {
    fn pos(self) -> usize;
}

impl RowIndex for i32 {
    #[inline]
    fn pos(self) -> usize {
        self as usize
    }
}

impl RowIndex for i64 {
    #[inline]
    fn pos(self) -> usize {
        self as usize
    }
}

/// [`sorted_by_value`] of the column whose explicit entries are at rows
/// `col_rows` (ascending) with values `col_data`.
fn sorted_entries<I: RowIndex>(col_rows: &[I], col_data: &[f64], rows: &[u32]) -> Vec<(f32, u32)> {
    let nnz = col_rows.len();
    let mut zeros: Vec<u32> = Vec::with_capacity(rows.len());
    let mut explicit: Vec<(f32, u32)> = Vec::with_capacity(nnz.min(rows.len()));
    let mut take = |r: u32, v: Option<f64>| match v {
        Some(v) => {
            let key = if v.is_nan() { f32::NAN } else { v as f32 };
            // +0.0 (also a value too small for f32) joins the zeros.
            if key.to_bits() == 0 {
                zeros.push(r);
            } else {
                explicit.push((key, r));
            }
        }
        None => zeros.push(r),
    };
    if rows.len().saturating_mul(SEARCH_RATIO) < nnz {
        for &r in rows {
            let v = col_rows
                .binary_search_by(|k| k.pos().cmp(&(r as usize)))
                .ok()
                .map(|k| col_data[k]);
            take(r, v);
        }
    } else {
        let mut k = 0;
        for &r in rows {
            let r_us = r as usize;
            while k < nnz && col_rows[k].pos() < r_us {
                k += 1;
            }
            let v = (k < nnz && col_rows[k].pos() == r_us).then(|| col_data[k]);
            take(r, v);
        }
    }
    // A stable radix sort: ties keep ascending rows.
    radsort::sort_by_key(&mut explicit, |e| e.0);
    // Values before +0.0 in the total order: those with the sign bit set.
    let negatives = explicit.partition_point(|e| e.0.is_sign_negative() && !e.0.is_nan());
    let mut out = Vec::with_capacity(rows.len());
    out.extend_from_slice(&explicit[..negatives]);
    out.extend(zeros.into_iter().map(|r| (0.0f32, r)));
    out.extend_from_slice(&explicit[negatives..]);
    out
}
