//! Exact basket counts of given itemsets (candidates): the second pass of
//! a partitioned (SON) mining, where each partition counts the candidates
//! every partition found locally frequent, and the sums decide which are
//! frequent over all baskets ([`FrequentItemsets::from_counts`]).

use super::fpgrowth::MinSupport;
use super::fpgrowth_tree::Found;
use super::itemsets::{FrequentItemsets, ItemsetKind};
use super::lines::OrderLines;
use crate::error::{CiblageError, Result};
use crate::interrupt::Interrupt;

/// Itemsets of product codes to count, each non-empty with its codes
/// strictly ascending.
///
/// ```
/// use ciblage::basket::Candidates;
/// // {0}, {0, 2}: flat codes and the end of each itemset.
/// let c = Candidates::from_flat(vec![0, 0, 2], vec![1, 3])?;
/// assert_eq!(c.len(), 2);
/// assert_eq!(c.itemset(1), &[0, 2]);
/// # Ok::<(), ciblage::CiblageError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Candidates {
    items: Vec<u32>,
    /// Itemset `i` is `items[ends[i - 1]..ends[i]]`.
    ends: Vec<usize>,
}

impl Candidates {
    /// Itemsets from their flat codes and the end of each in them.
    ///
    /// # Errors
    /// [`CiblageError::InvalidParameter`] (`candidates`) when an end is
    /// out of order or past the codes, the last end is not the number of
    /// codes, or an itemset is empty or not strictly ascending.
    pub fn from_flat(items: Vec<u32>, ends: Vec<usize>) -> Result<Self> {
        let mut start = 0;
        for (i, &end) in ends.iter().enumerate() {
            if end <= start || end > items.len() {
                return Err(CiblageError::param(
                    "candidates",
                    format!("itemset {i} is empty or ends past the codes (end {end})"),
                ));
            }
            if items[start..end].windows(2).any(|w| w[0] >= w[1]) {
                return Err(CiblageError::param(
                    "candidates",
                    format!("itemset {i}: codes must be strictly ascending"),
                ));
            }
            start = end;
        }
        if start != items.len() {
            return Err(CiblageError::param(
                "candidates",
                format!("{} codes after the last itemset", items.len() - start),
            ));
        }
        Ok(Self { items, ends })
    }

    /// The number of itemsets.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there is no itemset.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Itemset `i`'s codes, ascending.
    ///
    /// # Panics
    /// When `i >= self.len()`.
    pub fn itemset(&self, i: usize) -> &[u32] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.items[start..self.ends[i]]
    }
}

/// Counts of given itemsets in baskets: for each candidate, the number of
/// baskets holding every one of its items.
///
/// Each item's baskets are listed once (a list of basket numbers, as long
/// as the item's lines); the candidates are visited in lexicographic
/// order and the intersection of a shared prefix is kept, so that a
/// candidate one item longer than the one before costs one intersection.
///
/// ```
/// use ciblage::basket::{Candidates, ItemsetCount, OrderLines};
/// // Baskets {0, 1}, {0, 1, 2}, {0, 2}, {1}.
/// let lines = OrderLines::from_codes(&[0, 0, 1, 1, 1, 2, 2, 3], &[0, 1, 0, 1, 2, 0, 2, 1])?;
/// let sets = Candidates::from_flat(vec![0, 1, 0, 2, 1, 2, 7], vec![2, 4, 6, 7])?;
/// let counts = ItemsetCount::params().score(&lines, &sets)?;
/// assert_eq!(counts.counts(), &[2, 2, 1, 0]);
/// # Ok::<(), ciblage::CiblageError>(())
/// ```
pub struct ItemsetCount;

impl ItemsetCount {
    /// Parameters with their defaults (no interrupt token).
    pub fn params() -> ItemsetCountParams {
        ItemsetCountParams::default()
    }
}

/// Builder of [`ItemsetCount`]; [`ItemsetCountParams::check`] validates it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ItemsetCountParams {
    interrupt: Interrupt,
}

impl ItemsetCountParams {
    /// The token that stops the counting (checked every 1,024 candidates).
    #[must_use]
    pub fn interrupt(mut self, token: Interrupt) -> Self {
        self.interrupt = token;
        self
    }

    /// Validates every parameter (there is nothing to refuse).
    ///
    /// # Errors
    /// None today; kept for the grammar of every algorithm.
    pub fn check(self) -> Result<ItemsetCountValidParams> {
        Ok(ItemsetCountValidParams(self))
    }

    /// Shortcut for `self.check()?.score(lines, candidates)`.
    ///
    /// # Errors
    /// As [`ItemsetCountValidParams::score`].
    pub fn score(self, lines: &OrderLines, candidates: &Candidates) -> Result<ItemsetCounts> {
        self.check()?.score(lines, candidates)
    }
}

/// Validated [`ItemsetCountParams`].
#[derive(Debug, Clone, PartialEq)]
pub struct ItemsetCountValidParams(ItemsetCountParams);

/// Intersection of two ascending lists of basket numbers.
fn intersect(a: &[u32], b: &[u32], out: &mut Vec<u32>) {
    out.clear();
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
}

impl ItemsetCountValidParams {
    /// Every candidate's basket count, in the candidates' order (0 for a
    /// candidate with a code no basket holds).
    ///
    /// # Errors
    /// [`CiblageError::InvalidParameter`] (`lines`) with more than
    /// `u32::MAX` baskets, [`CiblageError::Interrupted`] when the token is
    /// set.
    pub fn score(&self, lines: &OrderLines, candidates: &Candidates) -> Result<ItemsetCounts> {
        let token = &self.0.interrupt;
        if u32::try_from(lines.len()).is_err() {
            return Err(CiblageError::param(
                "lines",
                format!("at most {} baskets, got {}", u32::MAX, lines.len()),
            ));
        }
        // The baskets of each item some candidate holds.
        let n = lines.n_products();
        let mut wanted = vec![false; n];
        for &c in &candidates.items {
            if let Some(w) = wanted.get_mut(c as usize) {
                *w = true;
            }
        }
        let mut baskets_of: Vec<Vec<u32>> = vec![Vec::new(); n];
        for (t, basket) in lines.baskets().enumerate() {
            for &p in basket {
                if wanted[p as usize] {
                    baskets_of[p as usize].push(t as u32);
                }
            }
        }
        let none: Vec<u32> = Vec::new();
        let of = |c: u32| baskets_of.get(c as usize).unwrap_or(&none);
        let mut order: Vec<usize> = (0..candidates.len()).collect();
        order.sort_unstable_by(|&a, &b| candidates.itemset(a).cmp(candidates.itemset(b)));
        let mut counts = vec![0u64; candidates.len()];
        // `stack[k]`: the baskets holding the first k + 1 items of `prefix`.
        let mut prefix: Vec<u32> = Vec::new();
        let mut stack: Vec<Vec<u32>> = Vec::new();
        let mut scratch = Vec::new();
        token.add_total(candidates.len() as u64);
        for (done, &i) in order.iter().enumerate() {
            if done % 1024 == 0 {
                token.check()?;
            }
            let set = candidates.itemset(i);
            let shared = prefix.iter().zip(set).take_while(|(a, b)| a == b).count();
            prefix.truncate(shared);
            stack.truncate(shared);
            for &c in &set[shared..] {
                let next = match stack.last() {
                    None => of(c).clone(),
                    Some(last) => {
                        intersect(last, of(c), &mut scratch);
                        scratch.clone()
                    }
                };
                prefix.push(c);
                stack.push(next);
            }
            counts[i] = stack.last().map_or(0, |s| s.len() as u64);
        }
        token.advance(candidates.len() as u64);
        Ok(ItemsetCounts { counts })
    }
}

/// The basket count of every candidate, in the candidates' order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemsetCounts {
    counts: Vec<u64>,
}

impl ItemsetCounts {
    /// Every candidate's basket count.
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }

    /// The counts, owned.
    pub fn into_counts(self) -> Vec<u64> {
        self.counts
    }
}

impl FrequentItemsets {
    /// The frequent itemsets among distinct `candidates` with their counts
    /// over `n_baskets` baskets (summed over every partition): those whose
    /// count reaches `min_support`'s least count among `n_baskets`,
    /// sorted and filtered to `kind` as [`super::FpGrowth`] does. When the
    /// candidates hold every frequent itemset, the result equals the
    /// mining of all the baskets at once.
    ///
    /// ```
    /// use ciblage::basket::{Candidates, FpGrowth, FrequentItemsets, ItemsetKind, MinSupport};
    /// let sets = Candidates::from_flat(vec![0, 1, 0, 1], vec![1, 2, 4])?;
    /// let found = FrequentItemsets::from_counts(&sets, &[3, 3, 1], 4, MinSupport::Share(0.5), ItemsetKind::All)?;
    /// assert_eq!(found.iter().collect::<Vec<_>>(), vec![(&[0][..], 3), (&[1][..], 3)]);
    /// assert_eq!(found.min_count(), 2);
    /// # Ok::<(), ciblage::CiblageError>(())
    /// ```
    ///
    /// # Errors
    /// [`CiblageError::LengthMismatch`] (`counts`) when there is not one
    /// count per candidate; [`CiblageError::EmptyInput`] (`lines`) when
    /// `n_baskets` is 0; [`CiblageError::InvalidParameter`]
    /// (`min_support`) for a share outside (0, 1] or a count of 0.
    pub fn from_counts(
        candidates: &Candidates,
        counts: &[u64],
        n_baskets: usize,
        min_support: MinSupport,
        kind: ItemsetKind,
    ) -> Result<Self> {
        if counts.len() != candidates.len() {
            return Err(CiblageError::LengthMismatch {
                argument: "counts".into(),
                expected: candidates.len(),
                got: counts.len(),
            });
        }
        if n_baskets == 0 {
            return Err(CiblageError::EmptyInput {
                argument: "lines".into(),
            });
        }
        match min_support {
            MinSupport::Share(s) if !(s > 0.0 && s <= 1.0) => {
                return Err(CiblageError::param(
                    "min_support",
                    format!("a share must be in (0, 1], got {s}"),
                ))
            }
            MinSupport::Count(0) => {
                return Err(CiblageError::param(
                    "min_support",
                    "a count must be at least 1, got 0",
                ))
            }
            _ => {}
        }
        let min_count = min_support.min_count(n_baskets);
        let mut found = Found::default();
        let mut top = 0u32;
        for (i, &count) in counts.iter().enumerate() {
            if count >= min_count {
                let set = candidates.itemset(i);
                top = top.max(set.iter().copied().max().unwrap_or(0));
                found.items.extend_from_slice(set);
                found.ends.push(found.items.len());
                found.counts.push(count);
            }
        }
        let identity: Vec<u32> = (0..=top).collect();
        Ok(Self::from_parts(
            vec![found],
            &identity,
            n_baskets,
            min_count,
            kind,
        ))
    }
}

#[cfg(test)]
#[path = "candidates_tests.rs"]
mod tests;
