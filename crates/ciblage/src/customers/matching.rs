//! Matching the customers of two tables that hold one row per customer
//! (segments before and after, customer states and contact histories):
//! ids brought to one type, nulls and repeated ids refused, and the
//! position of each id in the other table.

use std::collections::HashMap;
use std::hash::Hash;

use crate::error::{CiblageError, Result};

/// The customer ids of a table, normalised so that two tables can be
/// matched: integers of any width as `i64`, strings as `String`; `None` for
/// a missing id. Built from an Arrow column by
/// [`crate::arrow::id_column`], or from values.
///
/// ```
/// use ciblage::customers::IdColumn;
/// let before = IdColumn::Int(vec![Some(3), Some(1), Some(2)]);
/// let after = IdColumn::Int(vec![Some(2), Some(4), Some(3)]);
/// assert_eq!(before.positions_in(&after), vec![Some(2), None, Some(0)]);
/// let repeated = IdColumn::Str(vec![Some("a".into()), Some("b".into()), Some("a".into())]);
/// let e = repeated.refuse_duplicates("customers column 'id'").unwrap_err();
/// assert_eq!(e.to_string(), "customers column 'id': customer id 'a' appears 2 times (1 repeated ids \
///                            in all); one row per customer is expected");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdColumn {
    /// Integer ids.
    Int(Vec<Option<i64>>),
    /// String ids.
    Str(Vec<Option<String>>),
}

impl IdColumn {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            Self::Int(v) => v.len(),
            Self::Str(v) => v.len(),
        }
    }

    /// True without rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `"integer"` or `"string"`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Int(_) => "integer",
            Self::Str(_) => "string",
        }
    }

    /// The id of `row` as Python would print it (`7`, `'a'`), `None` for a
    /// missing id or a row beyond the column.
    pub fn repr_at(&self, row: usize) -> Option<String> {
        match self {
            Self::Int(v) => v.get(row).copied().flatten().map(|i| i.to_string()),
            Self::Str(v) => v.get(row).and_then(Option::as_deref).map(py_repr),
        }
    }

    /// Refuses a missing id: a null is nobody.
    ///
    /// # Errors
    /// [`CiblageError::InvalidIds`] naming `place`, the first null's row
    /// and the number of nulls.
    pub fn refuse_nulls(&self, place: &str) -> Result<()> {
        let (first, count) = match self {
            Self::Int(v) => nulls(v),
            Self::Str(v) => nulls(v),
        };
        match first {
            None => Ok(()),
            Some(row) => Err(CiblageError::InvalidIds {
                argument: place.to_owned(),
                reason: format!(
                    "null id at row {row} ({} null ids in all)",
                    thousands(count)
                ),
            }),
        }
    }

    /// Refuses a repeated id (one row per customer is expected), with the
    /// first repeated id as an example.
    ///
    /// # Errors
    /// [`CiblageError::InvalidIds`] naming `place`.
    pub fn refuse_duplicates(&self, place: &str) -> Result<()> {
        let found = match self {
            Self::Int(v) => first_repeated(v).map(|(i, n, k)| (v[i].map(|x| x.to_string()), n, k)),
            Self::Str(v) => first_repeated(v).map(|(i, n, k)| (v[i].as_deref().map(py_repr), n, k)),
        };
        match found {
            None => Ok(()),
            Some((example, count, repeated)) => Err(CiblageError::InvalidIds {
                argument: place.to_owned(),
                reason: format!(
                    "customer id {} appears {count} times ({} repeated ids in all); one row per \
                     customer is expected",
                    example.unwrap_or_else(|| "None".into()),
                    thousands(repeated)
                ),
            }),
        }
    }

    /// For each row, the first row of `other` holding the same id; `None`
    /// for a missing id, an id not in `other`, or ids of another kind.
    pub fn positions_in(&self, other: &Self) -> Vec<Option<usize>> {
        match (self, other) {
            (Self::Int(a), Self::Int(b)) => positions(a, b),
            (Self::Str(a), Self::Str(b)) => positions(a, b),
            _ => vec![None; self.len()],
        }
    }

    /// The rows in ascending order of id (integers by value, strings by
    /// bytes), ties in row order, missing ids last.
    pub fn sort_indices(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.len()).collect();
        match self {
            Self::Int(v) => order.sort_by_key(|&i| (v[i].is_none(), v[i])),
            Self::Str(v) => order.sort_by(|&i, &j| {
                (v[i].is_none(), v[i].as_deref()).cmp(&(v[j].is_none(), v[j].as_deref()))
            }),
        }
        order
    }
}

fn nulls<T>(v: &[Option<T>]) -> (Option<usize>, usize) {
    let first = v.iter().position(Option::is_none);
    let count = first.map_or(0, |f| v[f..].iter().filter(|x| x.is_none()).count());
    (first, count)
}

/// The first id (in order of first appearance) that appears more than
/// once: its first row, its count, and the number of ids repeated.
fn first_repeated<T: Hash + Eq>(v: &[Option<T>]) -> Option<(usize, usize, usize)> {
    let mut seen: HashMap<&Option<T>, (usize, usize)> = HashMap::with_capacity(v.len());
    for (i, id) in v.iter().enumerate() {
        seen.entry(id).or_insert((i, 0)).1 += 1;
    }
    let repeated = seen.values().filter(|&&(_, n)| n > 1).count();
    seen.values()
        .filter(|&&(_, n)| n > 1)
        .min_by_key(|&&(first, _)| first)
        .map(|&(first, n)| (first, n, repeated))
}

fn positions<T: Hash + Eq>(a: &[Option<T>], b: &[Option<T>]) -> Vec<Option<usize>> {
    let mut at: HashMap<&T, usize> = HashMap::with_capacity(b.len());
    for (j, id) in b.iter().enumerate() {
        if let Some(id) = id {
            at.entry(id).or_insert(j);
        }
    }
    a.iter()
        .map(|id| id.as_ref().and_then(|id| at.get(id).copied()))
        .collect()
}

/// `1234567` as `1,234,567`.
pub(crate) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A string as Python's `repr` writes it: in single quotes unless it holds
/// a single quote and no double quote; backslashes, the quote, newlines,
/// tabs and other control characters escaped.
pub(crate) fn py_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || (0x7f..0xa0).contains(&(c as u32)) => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nulls_are_refused_with_the_first_row_and_the_count() {
        let ids = IdColumn::Int(vec![Some(1), None, Some(2), None]);
        let e = ids.refuse_nulls("after column 'customer_id'").unwrap_err();
        assert_eq!(
            e.to_string(),
            "after column 'customer_id': null id at row 1 (2 null ids in all)"
        );
        assert!(IdColumn::Int(vec![Some(1)]).refuse_nulls("x").is_ok());
    }

    #[test]
    fn the_first_repeated_id_in_order_of_appearance_is_the_example() {
        // 5 appears first among the repeated ids (rows 1 and 4); 9 is
        // repeated too: 2 repeated ids.
        let ids = IdColumn::Int(vec![Some(1), Some(5), Some(9), Some(9), Some(5), Some(9)]);
        let e = ids.refuse_duplicates("before column 'id'").unwrap_err();
        assert_eq!(
            e.to_string(),
            "before column 'id': customer id 5 appears 2 times (2 repeated ids in all); one row \
             per customer is expected"
        );
    }

    #[test]
    fn positions_and_order_follow_the_ids() {
        let a = IdColumn::Str(vec![Some("b".into()), None, Some("a".into())]);
        let b = IdColumn::Str(vec![Some("a".into()), Some("b".into())]);
        assert_eq!(a.positions_in(&b), vec![Some(1), None, Some(0)]);
        assert_eq!(a.sort_indices(), vec![2, 0, 1]);
        assert_eq!(a.positions_in(&IdColumn::Int(vec![Some(1)])), vec![None; 3]);
    }

    #[test]
    fn python_reprs_and_thousands() {
        assert_eq!(py_repr("a"), "'a'");
        assert_eq!(py_repr("it's"), "\"it's\"");
        assert_eq!(py_repr("a'\"b"), "'a\\'\"b'");
        assert_eq!(py_repr("x\ny\\"), "'x\\ny\\\\'");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(12), "12");
        assert_eq!(thousands(123), "123");
    }
}
