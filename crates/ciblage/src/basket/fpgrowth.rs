//! FP-growth: the parameters and the mining of every frequent itemset.

use rayon::prelude::*;

use super::fpgrowth_tree::{Found, Miner, Paths, Tree};
use super::itemsets::{FrequentItemsets, ItemsetKind};
use super::lines::OrderLines;
use crate::error::{CiblageError, Result};
use crate::interrupt::Interrupt;

/// The least support of a frequent itemset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MinSupport {
    /// A share of the baskets, in (0, 1]: an itemset is frequent when
    /// `count / baskets >= share`.
    Share(f64),
    /// A number of baskets, at least 1.
    Count(usize),
}

impl MinSupport {
    /// The least count of a frequent itemset among `n` baskets: the
    /// smallest count `c >= 1` whose share `c / n` (as a float) is at
    /// least the share asked for.
    pub fn min_count(self, n: usize) -> u64 {
        match self {
            Self::Count(c) => c as u64,
            Self::Share(s) => {
                let nf = n as f64;
                let mut c = ((s * nf).ceil() as u64).max(1);
                while c > 1 && (c - 1) as f64 / nf >= s {
                    c -= 1;
                }
                while (c as f64) / nf < s {
                    c += 1;
                }
                c
            }
        }
    }
}

/// Frequent itemsets by FP-growth.
///
/// Items are recoded by descending frequency, the baskets (restricted to
/// frequent items) stored in a compact array-based FP-tree, and every
/// frequent item's conditional tree mined recursively, with a shortcut
/// for trees that are a single path. The top-level items are mined in
/// parallel; the itemsets are then sorted (by size, then item codes), so
/// that the result is the same for any row order and thread count.
///
/// ```
/// use ciblage::basket::{FpGrowth, OrderLines};
/// // Baskets {0, 1}, {0, 1, 2}, {0, 2}, {1}.
/// let lines = OrderLines::from_codes(&[0, 0, 1, 1, 1, 2, 2, 3], &[0, 1, 0, 1, 2, 0, 2, 1])?;
/// let sets = FpGrowth::params().min_support(0.5).score(&lines)?;
/// let found: Vec<(&[u32], u64)> = sets.iter().collect();
/// assert_eq!(found, vec![(&[0][..], 3), (&[1][..], 3), (&[2][..], 2), (&[0, 1][..], 2), (&[0, 2][..], 2)]);
/// assert_eq!(sets.support(3), 0.5);
/// # Ok::<(), ciblage::CiblageError>(())
/// ```
pub struct FpGrowth;

impl FpGrowth {
    /// Parameters with their defaults: support share 0.01, no size
    /// limit, every item, every itemset.
    pub fn params() -> FpGrowthParams {
        FpGrowthParams::default()
    }
}

/// Builder of [`FpGrowth`]; [`FpGrowthParams::check`] validates it.
#[derive(Debug, Clone, PartialEq)]
pub struct FpGrowthParams {
    min_support: MinSupport,
    max_len: Option<usize>,
    items: Option<Vec<u32>>,
    exclude: Vec<u32>,
    kind: ItemsetKind,
    interrupt: Interrupt,
}

impl Default for FpGrowthParams {
    fn default() -> Self {
        Self {
            min_support: MinSupport::Share(0.01),
            max_len: None,
            items: None,
            exclude: Vec::new(),
            kind: ItemsetKind::All,
            interrupt: Interrupt::default(),
        }
    }
}

impl FpGrowthParams {
    /// The least support, as a share of the baskets in (0, 1] (default
    /// 0.01).
    #[must_use]
    pub fn min_support(mut self, share: f64) -> Self {
        self.min_support = MinSupport::Share(share);
        self
    }

    /// The least support, as a number of baskets (at least 1).
    #[must_use]
    pub fn min_count(mut self, count: usize) -> Self {
        self.min_support = MinSupport::Count(count);
        self
    }

    /// The largest itemset size (None, the default, for no limit).
    #[must_use]
    pub fn max_len(mut self, max_len: Option<usize>) -> Self {
        self.max_len = max_len;
        self
    }

    /// Mine only these product codes (None, the default, for all).
    #[must_use]
    pub fn items(mut self, items: Option<Vec<u32>>) -> Self {
        self.items = items;
        self
    }

    /// Leave these product codes out of every itemset.
    #[must_use]
    pub fn exclude(mut self, items: Vec<u32>) -> Self {
        self.exclude = items;
        self
    }

    /// Which itemsets to keep: all (default), closed or maximal.
    #[must_use]
    pub fn kind(mut self, kind: ItemsetKind) -> Self {
        self.kind = kind;
        self
    }

    /// The token that stops the mining (checked per conditional tree).
    #[must_use]
    pub fn interrupt(mut self, token: Interrupt) -> Self {
        self.interrupt = token;
        self
    }

    /// Validates every parameter.
    ///
    /// # Errors
    /// [`CiblageError::InvalidParameter`] naming `min_support` (a share
    /// outside (0, 1], a count of 0) or `max_len` (0).
    pub fn check(self) -> Result<FpGrowthValidParams> {
        match self.min_support {
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
        if self.max_len == Some(0) {
            return Err(CiblageError::param(
                "max_len",
                "must be at least 1 (or None for no limit), got 0",
            ));
        }
        Ok(FpGrowthValidParams(self))
    }

    /// Shortcut for `self.check()?.score(lines)`.
    ///
    /// # Errors
    /// As [`FpGrowthParams::check`] and [`FpGrowthValidParams::score`].
    pub fn score(self, lines: &OrderLines) -> Result<FrequentItemsets> {
        self.check()?.score(lines)
    }
}

/// Validated [`FpGrowthParams`].
#[derive(Debug, Clone, PartialEq)]
pub struct FpGrowthValidParams(FpGrowthParams);

impl FpGrowthValidParams {
    /// The frequent itemsets of `lines`' baskets.
    ///
    /// # Errors
    /// [`CiblageError::EmptyInput`] (`lines`) when there is no basket,
    /// [`CiblageError::Interrupted`] when the token is set.
    pub fn score(&self, lines: &OrderLines) -> Result<FrequentItemsets> {
        let p = &self.0;
        if lines.is_empty() {
            return Err(CiblageError::EmptyInput {
                argument: "lines".into(),
            });
        }
        let n = lines.len();
        let min_count = p.min_support.min_count(n);
        let max_len = p.max_len.unwrap_or(usize::MAX);
        let mut counts = lines.item_counts();
        // Item filters: a left-out item is given a count of 0.
        let mut keep = vec![p.items.is_none(); counts.len()];
        for &c in p.items.iter().flatten() {
            if let Some(k) = keep.get_mut(c as usize) {
                *k = true;
            }
        }
        for &c in &p.exclude {
            if let Some(k) = keep.get_mut(c as usize) {
                *k = false;
            }
        }
        for (c, &k) in counts.iter_mut().zip(&keep) {
            if !k {
                *c = 0;
            }
        }
        // Frequent items by descending count, ties by code: rank -> code.
        let mut codes: Vec<u32> = (0..counts.len() as u32)
            .filter(|&c| counts[c as usize] >= min_count)
            .collect();
        codes.sort_unstable_by_key(|&c| (std::cmp::Reverse(counts[c as usize]), c));
        let mut rank = vec![u32::MAX; counts.len()];
        for (r, &c) in codes.iter().enumerate() {
            rank[c as usize] = r as u32;
        }
        let mut paths = Paths::default();
        let mut path = Vec::new();
        for basket in lines.baskets() {
            path.clear();
            path.extend(
                basket
                    .iter()
                    .map(|&c| rank[c as usize])
                    .filter(|&r| r != u32::MAX),
            );
            path.sort_unstable();
            paths.push(path.iter().copied(), 1);
        }
        let tree = Tree::build(&paths, codes.len());
        drop(paths);
        let identity: Vec<u32> = (0..codes.len() as u32).collect();
        let miner = Miner {
            min_count,
            max_len,
            interrupt: &p.interrupt,
        };
        p.interrupt.add_total(codes.len() as u64);
        let parts: Vec<Found> = (0..codes.len())
            .into_par_iter()
            .map(|i| {
                let mut out = Found::default();
                miner.mine_item(&tree, &identity, i, &mut Vec::new(), &mut out)?;
                p.interrupt.advance(1);
                Ok(out)
            })
            .collect::<Result<_>>()?;
        let sets = FrequentItemsets::from_parts(parts, &codes, n, min_count, p.kind);
        Ok(sets)
    }
}

#[cfg(test)]
#[path = "fpgrowth_tests.rs"]
mod tests;
