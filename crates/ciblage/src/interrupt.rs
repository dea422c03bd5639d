//! Cancellation of long computations.
//!
//! An [`Interrupt`] is a flag shared between the caller of a long
//! computation and the computation itself. The caller keeps a clone and
//! calls [`Interrupt::set`] (from any thread: a signal watcher, a user
//! interface); the computation reads the flag at coarse points (per tree
//! node, per chunk of about a million rows, per subtree task) and returns
//! [`CiblageError::Interrupted`] soon after, dropping everything it built.
//!
//! # How a token reaches a computation
//!
//! The same rule everywhere: a computation with a parameter builder takes
//! its token from the builder, `.interrupt(token)` before `check()`
//! ([`crate::RfmParams`], [`crate::tree::cart::CartParams`],
//! [`crate::tree::chaid::ChaidParams`], [`crate::churn::RetentionParams`],
//! [`crate::churn::ChurnFlagsParams`], [`crate::value::ValueTierParams`],
//! [`crate::value::CustomerTotalsParams`], `LifecycleParams` and
//! `BehaviourParams` in `ciblage-lifecycle`; and the builder-like
//! [`crate::ActivityAccumulator`]). Without a
//! token, or with [`Interrupt::default`], a computation is never
//! interrupted.
//!
//! A token is not part of what is computed: it is not serialized, and two
//! parameter sets that differ only by their tokens compare equal. Tokens are
//! not global: two computations with different tokens never stop each other.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::error::{CiblageError, Result};

/// A cancellation token; cheap to clone (clones share the flag) and to
/// read (one relaxed atomic load). See the [module documentation](self).
///
/// ```
/// use ciblage::{CiblageError, Interrupt};
///
/// let token = Interrupt::new();
/// let for_the_work = token.clone();
/// assert!(for_the_work.check().is_ok());
/// token.set();
/// assert_eq!(for_the_work.check(), Err(CiblageError::Interrupted));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Interrupt(Option<Arc<AtomicBool>>);

impl Interrupt {
    /// A token not set yet, that [`Interrupt::set`] can set.
    pub fn new() -> Self {
        Self(Some(Arc::new(AtomicBool::new(false))))
    }

    /// Asks every computation holding a clone of this token to stop. Does
    /// nothing on a token made by [`Interrupt::default`].
    pub fn set(&self) {
        if let Some(flag) = &self.0 {
            flag.store(true, Ordering::Relaxed);
        }
    }

    /// Whether [`Interrupt::set`] was called on this token or a clone.
    #[inline]
    pub fn is_set(&self) -> bool {
        self.0.as_ref().is_some_and(|f| f.load(Ordering::Relaxed))
    }

    /// `Err(CiblageError::Interrupted)` once the token is set.
    ///
    /// # Errors
    /// [`CiblageError::Interrupted`] when the token is set.
    #[inline]
    pub fn check(&self) -> Result<()> {
        if self.is_set() {
            Err(CiblageError::Interrupted)
        } else {
            Ok(())
        }
    }
}

/// Rows handled between two checks of a token in long sequential passes.
pub(crate) const CHECK_ROWS: usize = 1 << 20;

/// Sorts `keys` whose high 32 bits are a customer code below `customers`,
/// checking `interrupt` every [`CHECK_ROWS`] keys: the keys are distributed
/// into ranges of customers of about 64k keys (pieces of [`CHECK_ROWS`] keys
/// counted, then scattered, in parallel), and the ranges sorted apart in
/// parallel, the token checked before each. The result is
/// `keys.sort_unstable()`'s.
///
/// # Errors
/// [`CiblageError::Interrupted`].
pub(crate) fn sort_customer_keys(
    keys: Vec<u64>,
    customers: usize,
    interrupt: &Interrupt,
) -> Result<Vec<u64>> {
    use rayon::prelude::*;
    /// Keys per range, about: each range is sorted between two checks.
    const RANGE_KEYS: usize = 1 << 16;
    let ranges = (keys.len() / RANGE_KEYS).clamp(1, customers.max(1));
    if ranges == 1 {
        let mut keys = keys;
        interrupt.check()?;
        keys.par_sort_unstable();
        return Ok(keys);
    }
    let width = customers.div_ceil(ranges);
    let range_of = |k: u64| (k >> 32) as usize / width;
    // Keys of each range in each piece.
    let counts: Vec<Vec<usize>> = keys
        .par_chunks(CHECK_ROWS)
        .map(|part| {
            interrupt.check()?;
            let mut c = vec![0usize; ranges];
            for &k in part {
                c[range_of(k)] += 1;
            }
            Ok(c)
        })
        .collect::<Result<_>>()?;
    // The output cut into one slice per (piece, range), ranges in order and,
    // within a range, pieces in order: each piece writes only its own slices.
    let mut out = vec![0u64; keys.len()];
    let mut slices: Vec<Vec<&mut [u64]>> =
        counts.iter().map(|_| Vec::with_capacity(ranges)).collect();
    let mut ends = Vec::with_capacity(ranges);
    let mut rest = &mut out[..];
    let mut total = 0;
    for r in 0..ranges {
        for (p, c) in counts.iter().enumerate() {
            let (slice, tail) = std::mem::take(&mut rest).split_at_mut(c[r]);
            slices[p].push(slice);
            rest = tail;
            total += c[r];
        }
        ends.push(total);
    }
    keys.par_chunks(CHECK_ROWS)
        .zip(slices.into_par_iter())
        .try_for_each(|(part, mut own)| {
            interrupt.check()?;
            let mut at = vec![0usize; ranges];
            for &k in part {
                let r = range_of(k);
                own[r][at[r]] = k;
                at[r] += 1;
            }
            Ok::<_, CiblageError>(())
        })?;
    drop(keys);
    let mut pieces = Vec::with_capacity(ranges);
    let mut rest = &mut out[..];
    let mut start = 0;
    for &end in &ends {
        let (piece, tail) = rest.split_at_mut(end - start);
        pieces.push(piece);
        rest = tail;
        start = end;
    }
    pieces.into_par_iter().for_each(|piece| {
        if !interrupt.is_set() {
            piece.sort_unstable();
        }
    });
    interrupt.check()?;
    Ok(out)
}

/// Tokens do not take part in comparisons: they do not change what is
/// computed.
impl PartialEq for Interrupt {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_the_flag_and_others_do_not() {
        let a = Interrupt::new();
        let b = a.clone();
        let other = Interrupt::new();
        let never = Interrupt::default();
        assert!(!b.is_set());
        a.set();
        assert!(b.is_set() && a.is_set());
        assert_eq!(b.check(), Err(CiblageError::Interrupted));
        assert!(!other.is_set() && other.check().is_ok());
        never.set();
        assert!(!never.is_set());
    }

    #[test]
    fn customer_keys_sort_as_the_standard_library() {
        let customers = 5_000u64;
        let n = 3 * CHECK_ROWS + 12_345;
        let keys: Vec<u64> = (0..n as u64)
            .map(|i| {
                let code = (i * 2_654_435_761) % customers;
                (code << 32) | ((i * 40_503) % 1_000)
            })
            .collect();
        let mut expected = keys.clone();
        expected.sort_unstable();
        let sorted = sort_customer_keys(keys.clone(), customers as usize, &Interrupt::new());
        assert_eq!(sorted.unwrap(), expected);
        let stopped = Interrupt::new();
        stopped.set();
        let refused = sort_customer_keys(keys, customers as usize, &stopped);
        assert_eq!(refused, Err(CiblageError::Interrupted));
    }

    #[test]
    fn a_token_is_set_from_another_thread() {
        let a = Interrupt::new();
        let b = a.clone();
        std::thread::spawn(move || b.set()).join().unwrap();
        assert!(a.is_set());
    }
}

#[cfg(test)]
#[path = "interrupt_tests.rs"]
mod algorithm_tests;
