//! Migration of customers between segments (or tiers, or stages) from one
//! period to the next.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

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
/// let m = Migration::between(&before, &after, &["A", "B"])?;
/// assert_eq!(m.count("A", "B"), 1);
/// // 2 of the 3 B customers stayed B.
/// assert!((m.share("B", "B").unwrap() - 2.0 / 3.0).abs() < 1e-12);
/// # Ok::<(), ciblage::CiblageError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Migration {
    labels: Vec<String>,
    counts: Vec<u64>,
}

impl Migration {
    /// Counts transitions between `before` and `after` labels. `order` gives
    /// the order of labels in the matrix; labels not in it follow, sorted.
    ///
    /// # Errors
    /// [`CiblageError::EmptyInput`] (`before`) or
    /// [`CiblageError::LengthMismatch`] (`after`).
    pub fn between<S: AsRef<str>, T: AsRef<str>>(
        before: &[S],
        after: &[S],
        order: &[T],
    ) -> Result<Self> {
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
            let l = l.as_ref();
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
        Ok(Self { labels, counts })
    }

    /// Labels, in matrix order (rows = before, columns = after).
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// Count matrix, row-major (`labels().len()`² entries).
    pub fn counts(&self) -> &[u64] {
        &self.counts
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
        let e = Migration::between::<&str, &str>(&[], &[], &[]).unwrap_err();
        assert_eq!(e.to_string(), "before: input is empty");
        let e = Migration::between(&["a"], &["a", "b"], &["a"]).unwrap_err();
        assert!(e.to_string().starts_with("after: has 2 rows"), "{e}");
        let m = Migration::between(&["z", "b"], &["(gone)", "b"], &["b"]).unwrap();
        assert_eq!(m.labels(), &["b", "(gone)", "z"]);
        assert_eq!(m.share("c", "b"), None);
    }

    proptest! {
        #[test]
        fn rows_add_up_to_customers(pairs in proptest::collection::vec((0u8..4, 0u8..4), 1..100)) {
            let before: Vec<String> = pairs.iter().map(|p| p.0.to_string()).collect();
            let after: Vec<String> = pairs.iter().map(|p| p.1.to_string()).collect();
            let m = Migration::between(&before, &after, &["3", "2"]).unwrap();
            prop_assert_eq!(m.counts().iter().sum::<u64>() as usize, pairs.len());
            for l in m.labels() {
                let shares: f64 = m.labels().iter().filter_map(|t| m.share(l, t)).sum();
                prop_assert!(shares == 0.0 || (shares - 1.0).abs() < 1e-9);
            }
        }
    }
}
