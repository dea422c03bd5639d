//! Frequent itemsets: the result of [`super::FpGrowth`].

use std::str::FromStr;

use foldhash::fast::FixedState;
use hashbrown::HashMap;

/// Itemsets keyed by their codes.
pub(super) type SetIndex<'a> = HashMap<&'a [u32], usize, FixedState>;

use super::fpgrowth_tree::Found;
use crate::error::{CiblageError, Result};

/// Which frequent itemsets a mining keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ItemsetKind {
    /// Every frequent itemset.
    #[default]
    All,
    /// Closed itemsets: no superset has the same support.
    Closed,
    /// Maximal itemsets: no superset is frequent.
    Maximal,
}

impl FromStr for ItemsetKind {
    type Err = CiblageError;

    /// Parses `"all"`, `"closed"` or `"maximal"`.
    fn from_str(name: &str) -> Result<Self> {
        match name {
            "all" => Ok(Self::All),
            "closed" => Ok(Self::Closed),
            "maximal" => Ok(Self::Maximal),
            other => Err(CiblageError::param(
                "kind",
                format!("expected \"all\", \"closed\" or \"maximal\", got {other:?}"),
            )),
        }
    }
}

/// Frequent itemsets of product codes with their counts, sorted by size,
/// then by codes (each itemset's codes ascending).
#[derive(Debug, Clone, PartialEq)]
pub struct FrequentItemsets {
    items: Vec<u32>,
    /// Itemset `i` is `items[ends[i - 1]..ends[i]]`.
    ends: Vec<usize>,
    counts: Vec<u64>,
    n_baskets: usize,
    min_count: u64,
    kind: ItemsetKind,
}

impl FrequentItemsets {
    /// Itemsets from the parts the mining tasks found (global ranks),
    /// mapped to codes by `codes`, sorted, then filtered to `kind`.
    pub(super) fn from_parts(
        parts: Vec<Found>,
        codes: &[u32],
        n_baskets: usize,
        min_count: u64,
        kind: ItemsetKind,
    ) -> Self {
        let mut sets: Vec<(Vec<u32>, u64)> = Vec::new();
        for part in parts {
            let mut start = 0;
            for (&end, &count) in part.ends.iter().zip(&part.counts) {
                let mut set: Vec<u32> = part.items[start..end]
                    .iter()
                    .map(|&r| codes[r as usize])
                    .collect();
                set.sort_unstable();
                sets.push((set, count));
                start = end;
            }
        }
        sets.sort_unstable_by(|a, b| a.0.len().cmp(&b.0.len()).then_with(|| a.0.cmp(&b.0)));
        let mut out = Self {
            items: Vec::new(),
            ends: Vec::with_capacity(sets.len()),
            counts: Vec::with_capacity(sets.len()),
            n_baskets,
            min_count,
            kind: ItemsetKind::All,
        };
        for (set, count) in sets {
            out.items.extend_from_slice(&set);
            out.ends.push(out.items.len());
            out.counts.push(count);
        }
        if kind != ItemsetKind::All {
            out = out.only(kind);
        }
        out
    }

    /// The closed or maximal itemsets among all of them: a superset with
    /// the same support (closed) or any superset (maximal) found among
    /// the supersets one item larger, which is enough since support is
    /// anti-monotone.
    fn only(self, kind: ItemsetKind) -> Self {
        let index = self.index();
        let mut has_super = vec![false; self.len()];
        let mut has_equal_super = vec![false; self.len()];
        let mut sub = Vec::new();
        for i in 0..self.len() {
            let set = self.itemset(i);
            if set.len() < 2 {
                continue;
            }
            for drop in 0..set.len() {
                sub.clear();
                sub.extend(
                    set.iter()
                        .enumerate()
                        .filter(|&(k, _)| k != drop)
                        .map(|(_, &c)| c),
                );
                if let Some(&j) = index.get(sub.as_slice()) {
                    has_super[j] = true;
                    has_equal_super[j] |= self.counts[j] == self.counts[i];
                }
            }
        }
        let keep: Vec<bool> = match kind {
            ItemsetKind::All => vec![true; self.len()],
            ItemsetKind::Closed => has_equal_super.iter().map(|&h| !h).collect(),
            ItemsetKind::Maximal => has_super.iter().map(|&h| !h).collect(),
        };
        let mut out = Self {
            items: Vec::new(),
            ends: Vec::new(),
            counts: Vec::new(),
            n_baskets: self.n_baskets,
            min_count: self.min_count,
            kind,
        };
        for (i, _) in keep.iter().enumerate().filter(|(_, &k)| k) {
            out.items.extend_from_slice(self.itemset(i));
            out.ends.push(out.items.len());
            out.counts.push(self.counts[i]);
        }
        out
    }

    /// Every itemset's position, keyed by its codes.
    pub(super) fn index(&self) -> SetIndex<'_> {
        (0..self.len()).map(|i| (self.itemset(i), i)).collect()
    }

    /// The number of itemsets.
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    /// Whether no itemset is frequent.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// Itemset `i`'s product codes, ascending.
    ///
    /// # Panics
    /// When `i >= self.len()`.
    pub fn itemset(&self, i: usize) -> &[u32] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.items[start..self.ends[i]]
    }

    /// The number of baskets holding itemset `i`.
    pub fn count(&self, i: usize) -> u64 {
        self.counts[i]
    }

    /// Every itemset's basket count.
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }

    /// Itemset `i`'s support: the share of baskets holding it.
    pub fn support(&self, i: usize) -> f64 {
        self.counts[i] as f64 / self.n_baskets as f64
    }

    /// Every itemset with its count, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u32], u64)> + '_ {
        (0..self.len()).map(|i| (self.itemset(i), self.counts[i]))
    }

    /// The number of baskets mined.
    pub fn n_baskets(&self) -> usize {
        self.n_baskets
    }

    /// The least count of a frequent itemset.
    pub fn min_count(&self) -> u64 {
        self.min_count
    }

    /// Which itemsets were kept.
    pub fn kind(&self) -> ItemsetKind {
        self.kind
    }

    /// Every itemset's item codes, flat, and the end of each in them.
    pub fn flat(&self) -> (&[u32], &[usize]) {
        (&self.items, &self.ends)
    }
}
