//! Migration of customers between segments (or tiers, or stages) from one
//! period to the next.

use std::collections::HashMap;

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use crate::customers::IdColumn;
use crate::error::{CiblageError, Result};

/// Transition matrix: how many customers labelled `from` before are
/// labelled `to` after.
///
/// Labels are matched per position: `before[i]` and `after[i]` are the same
/// customer. A customer absent on one side carries an explicit label (such as
/// "(new)" or "(gone)") chosen by the caller, so nobody is dropped.
///
/// ```
/// use ciblage::churn::Migration;
/// let before = ["A", "A", "B", "B", "B"];
/// let after = ["A", "B", "B", "B", "A"];
/// let m = Migration::params().order(["A", "B"]).score(&before, &after)?;
/// assert_eq!(m.count("A", "B"), 1);
/// // Rows = before, columns = after, in label order.
/// assert_eq!(m.counts_matrix(), ciblage::ndarray::array![[1, 1], [1, 2]]);
/// // 2 of the 3 B customers stayed B.
/// assert!((m.share("B", "B").unwrap() - 2.0 / 3.0).abs() < 1e-12);
/// # Ok::<(), ciblage::CiblageError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Migration {
    labels: Vec<String>,
    counts: Vec<u64>,
}

/// Builder for [`Migration`]. Start from [`Migration::params`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MigrationParams {
    order: Vec<String>,
}

/// Validated parameters: call [`MigrationValidParams::score`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationValidParams {
    params: MigrationParams,
}

impl MigrationParams {
    /// The order of labels in the matrix (default none: every label
    /// sorted); labels not in it follow, sorted. A label repeated counts
    /// at its first place.
    #[must_use]
    pub fn order<S: AsRef<str>>(mut self, labels: impl IntoIterator<Item = S>) -> Self {
        self.order = labels.into_iter().map(|l| l.as_ref().to_owned()).collect();
        self
    }

    /// Validates the parameters (every order is valid).
    ///
    /// # Errors
    /// None today; the signature is the one of every builder.
    pub fn check(self) -> Result<MigrationValidParams> {
        Ok(MigrationValidParams { params: self })
    }

    /// `self.check()?.score(before, after)`.
    ///
    /// # Errors
    /// As [`MigrationValidParams::score`].
    pub fn score<S: AsRef<str>>(self, before: &[S], after: &[S]) -> Result<Migration> {
        self.check()?.score(before, after)
    }
}

impl Migration {
    /// Default parameters: labels sorted.
    pub fn params() -> MigrationParams {
        MigrationParams::default()
    }
}

impl MigrationValidParams {
    /// Counts transitions between `before` and `after` labels (`before[i]`
    /// and `after[i]` are the same customer).
    ///
    /// # Errors
    /// [`CiblageError::EmptyInput`] (`before`) or
    /// [`CiblageError::LengthMismatch`] (`after`).
    pub fn score<S: AsRef<str>>(&self, before: &[S], after: &[S]) -> Result<Migration> {
        let order = &self.params.order;
        if before.is_empty() {
            return Err(CiblageError::EmptyInput {
                argument: "before".into(),
            });
        }
        if before.len() != after.len() {
            return Err(CiblageError::LengthMismatch {
                argument: "after".into(),
                expected: before.len(),
                got: after.len(),
            });
        }
        let mut labels: Vec<String> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for l in order {
            let l = l.as_str();
            if !index.contains_key(l) {
                index.insert(l.to_owned(), labels.len());
                labels.push(l.to_owned());
            }
        }
        let mut extra: Vec<&str> = before
            .iter()
            .chain(after)
            .map(AsRef::as_ref)
            .filter(|l| !index.contains_key(*l))
            .collect();
        extra.sort_unstable();
        extra.dedup();
        for l in extra {
            index.insert(l.to_owned(), labels.len());
            labels.push(l.to_owned());
        }
        let k = labels.len();
        let mut counts = vec![0u64; k * k];
        for (b, a) in before.iter().zip(after) {
            counts[index[b.as_ref()] * k + index[a.as_ref()]] += 1;
        }
        Ok(Migration { labels, counts })
    }
}

/// How the customers of two tables matched ([`MigrationValidParams::score_matched`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MatchedCustomers {
    /// Customers in either table.
    pub customers: u64,
    /// Customers in both tables.
    pub in_both: u64,
    /// Customers only in the table before (labelled absent after).
    pub only_before: u64,
    /// Customers only in the table after (labelled absent before).
    pub only_after: u64,
}

impl MigrationValidParams {
    /// Counts transitions between two tables of one row per customer,
    /// matched on the customer ids: `before_ids[i]` has label `before[i]`,
    /// likewise after. A customer in one table only gets the label `absent`
    /// on the other side, so nobody is dropped.
    ///
    /// ```
    /// use ciblage::churn::Migration;
    /// use ciblage::customers::IdColumn;
    /// let before_ids = IdColumn::Int(vec![Some(1), Some(2), Some(3)]);
    /// let after_ids = IdColumn::Int(vec![Some(3), Some(1), Some(4)]);
    /// let (m, matched) = Migration::params().order(["A", "B"]).check()?.score_matched(
    ///     (&before_ids, &["A", "A", "B"]), (&after_ids, &["A", "B", "B"]), "(absent)")?;
    /// // 1: A → B, 2: A → (absent), 3: B → A, 4: (absent) → B.
    /// assert_eq!((m.count("A", "B"), m.count("A", "(absent)"), m.count("(absent)", "B")), (1, 1, 1));
    /// assert_eq!((matched.in_both, matched.only_before, matched.only_after), (2, 1, 1));
    /// # Ok::<(), ciblage::CiblageError>(())
    /// ```
    ///
    /// # Errors
    /// [`CiblageError::EmptyInput`] (`before`) when both tables are empty;
    /// [`CiblageError::LengthMismatch`] when labels and ids differ in length;
    /// [`CiblageError::InvalidIds`] for a missing or repeated id.
    pub fn score_matched<S: AsRef<str>>(
        &self,
        before: (&IdColumn, &[S]),
        after: (&IdColumn, &[S]),
        absent: &str,
    ) -> Result<(Migration, MatchedCustomers)> {
        for (side, (ids, labels)) in [("before", before), ("after", after)] {
            if ids.len() != labels.len() {
                return Err(CiblageError::LengthMismatch {
                    argument: format!("{side} labels"),
                    expected: ids.len(),
                    got: labels.len(),
                });
            }
            ids.refuse_nulls(side)?;
            ids.refuse_duplicates(side)?;
        }
        let to_after = before.0.positions_in(after.0);
        let mut matched_after = vec![false; after.0.len()];
        let mut left: Vec<&str> = Vec::with_capacity(before.0.len() + after.0.len());
        let mut right: Vec<&str> = Vec::with_capacity(left.capacity());
        for (i, pos) in to_after.iter().enumerate() {
            left.push(before.1[i].as_ref());
            right.push(match *pos {
                Some(j) => {
                    matched_after[j] = true;
                    after.1[j].as_ref()
                }
                None => absent,
            });
        }
        let in_both = matched_after.iter().filter(|&&m| m).count();
        for (j, _) in matched_after.iter().enumerate().filter(|(_, &m)| !m) {
            left.push(absent);
            right.push(after.1[j].as_ref());
        }
        let matched = MatchedCustomers {
            customers: left.len() as u64,
            in_both: in_both as u64,
            only_before: (before.0.len() - in_both) as u64,
            only_after: (after.0.len() - in_both) as u64,
        };
        Ok((self.score(&left, &right)?, matched))
    }
}

impl Migration {
    /// Labels, in matrix order (rows = before, columns = after).
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// Count matrix, row-major (`labels().len()`² entries).
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }

    /// The count matrix: rows = label before, columns = label after, in
    /// [`Migration::labels`] order.
    pub fn counts_matrix(&self) -> Array2<u64> {
        let k = self.labels.len();
        Array2::from_shape_vec((k, k), self.counts.clone())
            .unwrap_or_else(|_| Array2::zeros((k, k)))
    }

    fn pos(&self, label: &str) -> Option<usize> {
        self.labels.iter().position(|l| l == label)
    }

    /// Customers labelled `from` before and `to` after (0 if unknown).
    pub fn count(&self, from: &str, to: &str) -> u64 {
        match (self.pos(from), self.pos(to)) {
            (Some(i), Some(j)) => self.counts[i * self.labels.len() + j],
            _ => 0,
        }
    }

    /// Share of the `from` customers who are `to` after (`None` when no
    /// customer was `from`).
    pub fn share(&self, from: &str, to: &str) -> Option<f64> {
        let i = self.pos(from)?;
        let k = self.labels.len();
        let row: u64 = self.counts[i * k..(i + 1) * k].iter().sum();
        (row > 0).then(|| self.count(from, to) as f64 / row as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn errors_and_label_order() {
        let e = Migration::params().score::<&str>(&[], &[]).unwrap_err();
        assert_eq!(e.to_string(), "before: input is empty");
        let e = Migration::params()
            .order(["a"])
            .score(&["a"], &["a", "b"])
            .unwrap_err();
        assert!(e.to_string().starts_with("after: has 2 rows"), "{e}");
        let m = Migration::params()
            .order(["b"])
            .score(&["z", "b"], &["(gone)", "b"])
            .unwrap();
        assert_eq!(m.labels(), &["b", "(gone)", "z"]);
        assert_eq!(m.share("c", "b"), None);
    }

    proptest! {
        #[test]
        fn rows_add_up_to_customers(pairs in proptest::collection::vec((0u8..4, 0u8..4), 1..100)) {
            let before: Vec<String> = pairs.iter().map(|p| p.0.to_string()).collect();
            let after: Vec<String> = pairs.iter().map(|p| p.1.to_string()).collect();
            let m = Migration::params().order(["3", "2"]).score(&before, &after).unwrap();
            prop_assert_eq!(m.counts().iter().sum::<u64>() as usize, pairs.len());
            for l in m.labels() {
                let shares: f64 = m.labels().iter().filter_map(|t| m.share(l, t)).sum();
                prop_assert!(shares == 0.0 || (shares - 1.0).abs() < 1e-9);
            }
        }
    }
}
