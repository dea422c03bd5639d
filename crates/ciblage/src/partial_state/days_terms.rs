//! The rows a merged [`PartialDays`] stands for, as the local functions
//! read them: per key, a few rows on its day whose amounts (or margins,
//! with costs) add up exactly to the key's exact sums, each of the key's
//! sign. A local function that sums amounts exactly per period, cohort
//! or customer (every such sum is a sum of whole keys) then rounds the
//! same exact sum as on the original rows: the same bits.
//!
//! ```
//! use ciblage::partial_state::{exact_terms, PartialDays};
//! use ciblage::exact_sum::ExactSum;
//! use ciblage::Transactions;
//! let mut s = ExactSum::new();
//! s.extend([0.1, 0.2]);
//! let terms = exact_terms(&s);
//! assert_eq!(terms.len(), 2); // 0.1 + 0.2 is not a double: a second term
//! let mut back = ExactSum::new();
//! back.extend(terms.iter().copied());
//! assert_eq!(back.value(), s.value());
//! let tx = Transactions::from_int_ids(&[1, 1], vec![0, 1], vec![0.1, 0.2])?;
//! let rows = PartialDays::from_transactions(&tx).local_rows();
//! assert_eq!(rows.amounts, terms); // one day, one key
//! assert_eq!(ciblage::exact_sum::sum(&rows.amounts), 0.1 + 0.2); // rounded once
//! # Ok::<(), ciblage::CiblageError>(())
//! ```

use super::days::PartialDays;
use crate::exact_sum::ExactSum;

/// Finite doubles of the sign of `sum`, in decreasing magnitude, whose
/// exact sum is the exact sum `sum` (none for a zero sum; the rounded
/// value alone when it is not finite). Usually one or two.
pub fn exact_terms(sum: &ExactSum) -> Vec<f64> {
    let mut rest = sum.clone();
    let mut out = Vec::new();
    loop {
        let v = rest.value();
        if v == 0.0 {
            break;
        }
        if !v.is_finite() {
            out.push(v);
            break;
        }
        let mut after = rest.clone();
        after.add(-v);
        let r = after.value();
        if r != 0.0 && (r < 0.0) != (v < 0.0) {
            // Rounded away from zero: the double next to it towards zero
            // is below the rest in magnitude (the rest keeps its sign).
            let w = f64::from_bits(v.to_bits() - 1);
            if w == 0.0 {
                // Not reached: a nonzero exact sum is at least 2^-1074.
                out.push(v);
                break;
            }
            rest.add(-w);
            out.push(w);
        } else {
            out.push(v);
            rest = after;
        }
    }
    out
}

/// Rows for the local functions (see the module documentation), in the
/// order of the state's entries.
#[derive(Debug, Clone, Default)]
pub struct LocalRows {
    /// Customer code of each row (the state's codes).
    pub codes: Vec<u32>,
    /// Local day of each row.
    pub days: Vec<i64>,
    /// Sign of the key of each row.
    pub keys: Vec<i8>,
    /// Amount of each row, of the key's sign.
    pub amounts: Vec<f64>,
    /// Cost of each row (with costs): `amount - cost` is exactly one term
    /// of the key's margin.
    pub costs: Option<Vec<f64>>,
}

/// A row of sign `s` whose `amount - cost` is exactly `m` (a finite term
/// of a margin): `(m, 0)` when `m` has the sign, else Sterbenz's lemma
/// makes `(-m) - (-2m)` exact.
fn margin_row(s: i8, m: f64) -> (f64, f64) {
    match s {
        0 => (0.0, -m),
        _ if m == 0.0 => {
            let one = f64::from(s);
            (one, one)
        }
        _ if (m > 0.0) == (s > 0) => (m, 0.0),
        _ => (-m, -2.0 * m),
    }
}

impl PartialDays {
    /// The rows the state stands for (see the module documentation): per
    /// key at least one row; without costs the amounts are the terms of
    /// the key's exact amount ([`exact_terms`]); with costs (read by the
    /// CLV summary as margins only) the margins are the terms of its
    /// exact margin.
    pub fn local_rows(&self) -> LocalRows {
        let mut out = LocalRows {
            costs: self.has_cost().then(Vec::new),
            ..LocalRows::default()
        };
        for ((code, day, s), sums) in self.entries() {
            let (mut amounts, mut costs) = (Vec::new(), Vec::new());
            if self.has_cost() {
                let mut terms = exact_terms(&sums.margin);
                if terms.is_empty() {
                    terms.push(0.0);
                }
                for m in terms {
                    let (a, c) = margin_row(s, m);
                    amounts.push(a);
                    costs.push(c);
                }
            } else {
                amounts = exact_terms(&sums.amount);
                if amounts.is_empty() {
                    amounts.push(0.0);
                }
            }
            let k = amounts.len();
            out.codes.extend(std::iter::repeat_n(code, k));
            out.days.extend(std::iter::repeat_n(day, k));
            out.keys.extend(std::iter::repeat_n(s, k));
            out.amounts.extend(amounts);
            if let Some(c) = out.costs.as_mut() {
                c.extend(costs);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum_of(values: &[f64]) -> ExactSum {
        values.iter().copied().collect()
    }

    #[test]
    fn terms_add_up_exactly_and_keep_the_sign() {
        // 1e16 + 1 + 1 is 10000000000000002 exactly: one double.
        assert_eq!(exact_terms(&sum_of(&[1e16, 1.0, 1.0])), vec![1e16 + 2.0]);
        // 1e16 + 1 is not a double (the spacing there is 2): two terms,
        // 1e16 and 1 (rounding to even gives 1e16, below the sum).
        assert_eq!(exact_terms(&sum_of(&[1e16, 1.0])), vec![1e16, 1.0]);
        // 1e16 + 3 rounds up to 1e16 + 4: the term below it, 1e16 + 2,
        // then 1.
        assert_eq!(exact_terms(&sum_of(&[1e16, 3.0])), vec![1e16 + 2.0, 1.0]);
        assert_eq!(
            exact_terms(&sum_of(&[-1e16, -3.0])),
            vec![-1e16 - 2.0, -1.0]
        );
        assert!(exact_terms(&sum_of(&[1.5, -1.5])).is_empty());
        // Terms far apart (the side accumulator of the exact sum).
        let wide = sum_of(&[1e300, 1e-300, 3.0]);
        let t = exact_terms(&wide);
        assert_eq!(t, vec![1e300, 3.0, 1e-300]);
        assert_eq!(
            exact_terms(&sum_of(&[f64::MAX, f64::MAX])),
            vec![f64::INFINITY]
        );
    }

    #[test]
    fn margin_rows_are_exact_and_of_the_sign() {
        for s in [-1i8, 0, 1] {
            for m in [0.0, 0.1, -0.1, 3e-310, -7.5e200, 1.0 / 3.0] {
                let (a, c) = margin_row(s, m);
                assert_eq!((a - c).to_bits(), (m + 0.0).to_bits(), "{s} {m}");
                let sign = if a > 0.0 {
                    1
                } else if a < 0.0 {
                    -1
                } else {
                    0
                };
                assert_eq!(sign, s, "{s} {m}");
            }
        }
    }
}
