//! Purchase histories `(x, t_x, T[, m])` as the models read them, checked
//! once, and their compression into distinct patterns with weights.

use hashbrown::HashMap;

use crate::clv::summary::PurchaseSummary;
use crate::error::{CiblageError, Result};

/// Per-customer purchase histories: repeat purchases `frequency` (x),
/// age at the last purchase `recency` (t_x), age at the end `t` (T), and
/// optionally the mean repeat spend `monetary_value` and a weight per row
/// (a row standing for several identical customers).
///
/// ```
/// use ciblage::clv::Histories;
/// let h = Histories::new(vec![2.0, 0.0], vec![30.43, 0.0], vec![38.86, 38.86])?;
/// assert_eq!(h.len(), 2);
/// assert!(Histories::new(vec![1.0], vec![40.0], vec![38.0]).is_err()); // t_x > T
/// # Ok::<(), ciblage::CiblageError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Histories {
    pub(crate) frequency: Vec<f64>,
    pub(crate) recency: Vec<f64>,
    pub(crate) t: Vec<f64>,
    pub(crate) monetary_value: Option<Vec<f64>>,
    pub(crate) weights: Option<Vec<f64>>,
}

/// A value fault at `row` of `argument`.
fn bad(argument: &str, row: usize, value: f64, range: &'static str) -> CiblageError {
    if value.is_finite() {
        CiblageError::ValueOutOfRange {
            argument: argument.into(),
            row,
            value,
            range,
        }
    } else {
        CiblageError::NonFinite {
            argument: argument.into(),
            row,
            value,
        }
    }
}

fn check_len(argument: &str, expected: usize, got: usize) -> Result<()> {
    if expected == got {
        Ok(())
    } else {
        Err(CiblageError::LengthMismatch {
            argument: argument.into(),
            expected,
            got,
        })
    }
}

impl Histories {
    /// Histories from three columns of equal length.
    ///
    /// # Errors
    /// Empty or unequal columns; a frequency that is negative, not whole or
    /// not finite; `recency` outside `[0, T]`; `T` negative or not
    /// finite; a positive recency with frequency 0.
    pub fn new(frequency: Vec<f64>, recency: Vec<f64>, t: Vec<f64>) -> Result<Self> {
        if frequency.is_empty() {
            return Err(CiblageError::EmptyInput {
                argument: "frequency".into(),
            });
        }
        check_len("recency", frequency.len(), recency.len())?;
        check_len("T", frequency.len(), t.len())?;
        for (row, ((&x, &tx), &tt)) in frequency.iter().zip(&recency).zip(&t).enumerate() {
            if !(x.is_finite() && x >= 0.0 && x.fract() == 0.0 && x < 1e15) {
                return Err(bad(
                    "frequency",
                    row,
                    x,
                    "a whole number of repeat purchases, 0 or more",
                ));
            }
            if !(tt.is_finite() && tt >= 0.0) {
                return Err(bad(
                    "T",
                    row,
                    tt,
                    "0 or more (time from the first purchase to the end)",
                ));
            }
            if !(tx.is_finite() && tx >= 0.0 && tx <= tt) {
                return Err(bad(
                    "recency",
                    row,
                    tx,
                    "from 0 to T (time from the first purchase to the last)",
                ));
            }
            if x == 0.0 && tx != 0.0 {
                return Err(bad(
                    "recency",
                    row,
                    tx,
                    "0 when frequency is 0 (without a repeat purchase the last is the first)",
                ));
            }
        }
        Ok(Self {
            frequency,
            recency,
            t,
            monetary_value: None,
            weights: None,
        })
    }

    /// Adds the mean spend of the repeat purchases (used by Gamma-Gamma on
    /// the rows with a repeat purchase; any finite value elsewhere).
    ///
    /// # Errors
    /// A length different from the other columns, non-finite values.
    pub fn with_monetary_value(mut self, monetary_value: Vec<f64>) -> Result<Self> {
        check_len("monetary_value", self.len(), monetary_value.len())?;
        if let Some(row) = monetary_value.iter().position(|m| !m.is_finite()) {
            return Err(bad("monetary_value", row, monetary_value[row], "finite"));
        }
        self.monetary_value = Some(monetary_value);
        Ok(self)
    }

    /// Adds a weight per row: the number of customers the row stands for.
    ///
    /// # Errors
    /// A length different from the other columns, weights that are not
    /// finite and positive.
    pub fn with_weights(mut self, weights: Vec<f64>) -> Result<Self> {
        check_len("weights", self.len(), weights.len())?;
        if let Some(row) = weights.iter().position(|w| !(w.is_finite() && *w > 0.0)) {
            return Err(bad("weights", row, weights[row], "positive"));
        }
        self.weights = Some(weights);
        Ok(self)
    }

    /// The histories of a summary, with its monetary values.
    pub(crate) fn from_summary(s: &PurchaseSummary) -> Self {
        Self {
            frequency: s.frequency.iter().map(|&x| f64::from(x)).collect(),
            recency: s.recency.clone(),
            t: s.t.clone(),
            monetary_value: Some(s.monetary_value.clone()),
            weights: None,
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.frequency.len()
    }
    /// True when there is no row (never, once built).
    pub fn is_empty(&self) -> bool {
        self.frequency.is_empty()
    }
    /// Repeat purchases per row.
    pub fn frequency(&self) -> &[f64] {
        &self.frequency
    }
    /// Age at the last purchase per row.
    pub fn recency(&self) -> &[f64] {
        &self.recency
    }
    /// Age at the end of observation per row.
    pub fn t(&self) -> &[f64] {
        &self.t
    }
    /// Mean repeat spend per row, if given.
    pub fn monetary_value(&self) -> Option<&[f64]> {
        self.monetary_value.as_deref()
    }
    /// Weight of row `i` (1 without weights).
    #[inline]
    pub fn weight(&self, i: usize) -> f64 {
        self.weights.as_ref().map_or(1.0, |w| w[i])
    }

    /// Distinct `(x, t_x, T)` patterns with their summed weights, in a
    /// fixed order (by `x`, then `t_x`, then `T`): the likelihood is
    /// evaluated once per pattern.
    ///
    /// The rows are grouped per block of rows in parallel (a hash table the
    /// size of a block), the blocks' groups then sorted together (in
    /// parallel, stable: equal patterns keep their block order) and
    /// merged, their weights summed in block order.
    pub fn patterns(&self) -> Patterns {
        use rayon::prelude::*;
        type Map = HashMap<[u64; 3], f64, foldhash::fast::FixedState>;
        let n = self.len();
        let mut rows: Vec<([u64; 3], f64)> = (0..n.div_ceil(DISTINCT_ROWS))
            .into_par_iter()
            .flat_map_iter(|b| {
                let block = b * DISTINCT_ROWS..((b + 1) * DISTINCT_ROWS).min(n);
                let mut map = Map::with_capacity_and_hasher(block.len(), Default::default());
                for i in block {
                    let key = [self.frequency[i], self.recency[i], self.t[i]].map(f64::to_bits);
                    *map.entry(key).or_insert(0.0) += self.weight(i);
                }
                map.into_iter()
            })
            .collect();
        // Non-negative floats order as their bits do.
        rows.par_sort_by_key(|r| r.0);
        rows.dedup_by(|later, first| {
            let same = later.0 == first.0;
            if same {
                first.1 += later.1;
            }
            same
        });
        Patterns {
            x: rows.iter().map(|r| f64::from_bits(r.0[0])).collect(),
            t_x: rows.iter().map(|r| f64::from_bits(r.0[1])).collect(),
            t: rows.iter().map(|r| f64::from_bits(r.0[2])).collect(),
            weight: rows.iter().map(|r| r.1).collect(),
        }
    }
}

/// Rows per parallel task of [`per_distinct`].
const DISTINCT_ROWS: usize = 1 << 16;

/// `value(k)` for every row `i < n` at its key `k = key(i)`, computed once
/// per distinct key: the keys are collected per block of rows (in
/// parallel), merged, the values computed in parallel and copied back to
/// the rows in row order. A prediction over a million customers costs one
/// evaluation per distinct history (or per distinct part of one) and a hash
/// lookup per customer.
pub(crate) fn per_distinct<K, V>(
    n: usize,
    key: impl Fn(usize) -> K + Sync,
    value: impl Fn(K) -> V + Sync,
) -> Vec<V>
where
    K: Copy + Eq + std::hash::Hash + Send + Sync,
    V: Copy + Send + Sync,
{
    use rayon::prelude::*;
    type Map<K> = HashMap<K, u32, foldhash::fast::FixedState>;
    // Each key's position in `keys`, inserted the first time it is met.
    fn position<K: Copy + Eq + std::hash::Hash>(map: &mut Map<K>, keys: &mut Vec<K>, k: K) -> u32 {
        *map.entry(k).or_insert_with(|| {
            keys.push(k);
            // Fewer keys than rows, and the rows of one call fit in memory.
            (keys.len() - 1) as u32
        })
    }
    let blocks: Vec<(Vec<K>, Vec<u32>)> = (0..n.div_ceil(DISTINCT_ROWS))
        .into_par_iter()
        .map(|b| {
            let rows = b * DISTINCT_ROWS..((b + 1) * DISTINCT_ROWS).min(n);
            let (mut map, mut keys) = (Map::default(), Vec::new());
            let local = rows
                .map(|i| position(&mut map, &mut keys, key(i)))
                .collect();
            (keys, local)
        })
        .collect();
    let (mut map, mut keys) = (Map::default(), Vec::new());
    let global: Vec<Vec<u32>> = blocks
        .iter()
        .map(|(local_keys, _)| {
            local_keys
                .iter()
                .map(|&k| position(&mut map, &mut keys, k))
                .collect()
        })
        .collect();
    drop(map);
    let values: Vec<V> = keys.par_iter().map(|&k| value(k)).collect();
    (0..n)
        .into_par_iter()
        .map(|i| {
            let b = i / DISTINCT_ROWS;
            values[global[b][blocks[b].1[i % DISTINCT_ROWS] as usize] as usize]
        })
        .collect()
}

/// Distinct purchase patterns with weights (see [`Histories::patterns`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Patterns {
    /// Repeat purchases.
    pub x: Vec<f64>,
    /// Age at the last purchase.
    pub t_x: Vec<f64>,
    /// Age at the end.
    pub t: Vec<f64>,
    /// Customers (summed weights) with the pattern.
    pub weight: Vec<f64>,
}

impl Patterns {
    /// Number of distinct patterns.
    pub fn len(&self) -> usize {
        self.x.len()
    }
    /// True when there is no pattern.
    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }
    /// Total weight (customers).
    pub fn total_weight(&self) -> f64 {
        self.weight.iter().sum()
    }
    /// The patterns as weighted histories.
    pub(crate) fn into_histories(self) -> Histories {
        Histories {
            frequency: self.x,
            recency: self.t_x,
            t: self.t,
            monetary_value: None,
            weights: Some(self.weight),
        }
    }
    /// The largest `T`.
    pub fn max_t(&self) -> f64 {
        self.t.iter().copied().fold(0.0, f64::max)
    }

    /// `1 / max T`, the time scale of the fits.
    ///
    /// # Errors
    /// Every `T` is 0: no customer was observed for any time.
    pub(crate) fn time_scale(&self) -> Result<f64> {
        let max_t = self.max_t();
        if max_t > 0.0 {
            Ok(1.0 / max_t)
        } else {
            Err(CiblageError::EmptyInput {
                argument:
                    "T (every customer has T = 0: none was observed after the first purchase)"
                        .into(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_rows_become_one_weighted_pattern() {
        let h = Histories::new(
            vec![1.0, 0.0, 1.0],
            vec![2.0, 0.0, 2.0],
            vec![5.0, 4.0, 5.0],
        )
        .unwrap()
        .with_weights(vec![1.0, 2.0, 3.0])
        .unwrap();
        let p = h.patterns();
        assert_eq!(p.x, [0.0, 1.0]);
        assert_eq!(p.weight, [2.0, 4.0]);
        assert_eq!(p.total_weight(), 6.0);
    }

    #[test]
    fn bad_values_name_the_column_and_row() {
        let e = Histories::new(vec![1.0, -1.0], vec![1.0, 0.0], vec![2.0, 2.0]).unwrap_err();
        assert!(
            e.to_string().starts_with("frequency: value -1e0 at row 1"),
            "{e}"
        );
        let e = Histories::new(vec![1.0], vec![1.0], vec![f64::NAN]).unwrap_err();
        assert_eq!(e.to_string(), "T: non-finite value NaN at row 0");
        let e = Histories::new(vec![0.0], vec![1.0], vec![2.0]).unwrap_err();
        assert!(e.to_string().starts_with("recency:"), "{e}");
        let e = Histories::new(vec![1.5], vec![1.0], vec![2.0]).unwrap_err();
        assert!(e.to_string().starts_with("frequency:"), "{e}");
        let h = Histories::new(vec![1.0], vec![1.0], vec![2.0]).unwrap();
        assert!(h.clone().with_weights(vec![0.0]).is_err());
        assert!(h.with_monetary_value(vec![1.0, 2.0]).is_err());
    }
}
