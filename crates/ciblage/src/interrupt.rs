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
//! # Progress
//!
//! A token made by [`Interrupt::with_progress`] also counts the work done,
//! at the same coarse points where it is checked (no algorithm takes a
//! second parameter): trees count the samples of each leaf made against the
//! samples taking part, the RFM accumulation its rows per task, retention
//! its passes, lifetime-value fits their likelihood evaluations against the
//! iteration limit. The sink sees `(done, total)` at most about ten times a
//! second: a report is two relaxed atomic additions, and the clock is read
//! every eighth report only; a token without a sink pays one branch.
//!
//! A token is not part of what is computed: it is not serialized, and two
//! parameter sets that differ only by their tokens compare equal. Tokens are
//! not global: two computations with different tokens never stop each other.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use crate::error::{CiblageError, Result};

/// What a progress sink receives: `(done, total)` units of work.
type Sink = dyn Fn(u64, u64) + Send + Sync;

/// Reports made between two looks at the clock.
const CLOCK_EVERY: u64 = 8;
/// Least time between two calls of a sink, in milliseconds (about ten
/// calls a second at most).
const SINK_EVERY_MS: u64 = 100;

/// The progress counters of a token made by [`Interrupt::with_progress`].
struct Progress {
    done: AtomicU64,
    total: AtomicU64,
    reports: AtomicU64,
    start: Instant,
    /// Milliseconds after `start` of the last call of `sink`.
    last_ms: AtomicU64,
    sink: Box<Sink>,
}

/// The state clones of a token share.
struct Shared {
    flag: AtomicBool,
    progress: Option<Progress>,
}

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
///
/// A token may also carry a progress sink ([`Interrupt::with_progress`]):
/// the computations that check it report, at the same coarse points, the
/// units of work they expect ([`Interrupt::add_total`]) and the units done
/// ([`Interrupt::advance`]); the sink is called with `(done, total)` at
/// most about ten times a second.
#[derive(Clone, Default)]
pub struct Interrupt(Option<Arc<Shared>>);

impl std::fmt::Debug for Interrupt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Interrupt")
            .field("set", &self.is_set())
            .field("progress", &self.progress())
            .finish()
    }
}

impl Interrupt {
    /// A token not set yet, that [`Interrupt::set`] can set.
    pub fn new() -> Self {
        Self(Some(Arc::new(Shared {
            flag: AtomicBool::new(false),
            progress: None,
        })))
    }

    /// A token not set yet whose computations report their progress to
    /// `sink`, called with `(done, total)` from the computing threads, at
    /// most about every 100 ms (the last report of a computation may be
    /// dropped: [`Interrupt::progress`] reads the counters at any time).
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use ciblage::ndarray::array;
    /// use ciblage::tree::cart::Cart;
    /// use ciblage::Interrupt;
    ///
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let sink = Arc::clone(&seen);
    /// let token = Interrupt::with_progress(move |done, total| {
    ///     sink.lock().unwrap().push((done, total));
    /// });
    /// let x = array![[1.0], [2.0], [3.0], [4.0]];
    /// let model = Cart::regressor()
    ///     .interrupt(token.clone())
    ///     .fit(x.view(), &[1.0, 1.0, 5.0, 5.0], None);
    /// assert!(model.is_ok());
    /// // Every sample ends in a leaf: all the work expected is done.
    /// assert_eq!(token.progress(), Some((4, 4)));
    /// ```
    pub fn with_progress(sink: impl Fn(u64, u64) + Send + Sync + 'static) -> Self {
        Self(Some(Arc::new(Shared {
            flag: AtomicBool::new(false),
            progress: Some(Progress {
                done: AtomicU64::new(0),
                total: AtomicU64::new(0),
                reports: AtomicU64::new(0),
                start: Instant::now(),
                last_ms: AtomicU64::new(0),
                sink: Box::new(sink),
            }),
        })))
    }

    /// Asks every computation holding a clone of this token to stop. Does
    /// nothing on a token made by [`Interrupt::default`].
    pub fn set(&self) {
        if let Some(shared) = &self.0 {
            shared.flag.store(true, Ordering::Relaxed);
        }
    }

    /// Whether [`Interrupt::set`] was called on this token or a clone.
    #[inline]
    pub fn is_set(&self) -> bool {
        self.0
            .as_ref()
            .is_some_and(|s| s.flag.load(Ordering::Relaxed))
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

    #[inline]
    fn counters(&self) -> Option<&Progress> {
        self.0.as_ref().and_then(|s| s.progress.as_ref())
    }

    /// Announces `units` more units of work (a computation calls it once,
    /// before its work; computations sharing a token add up). Nothing
    /// without a progress sink.
    #[inline]
    pub fn add_total(&self, units: u64) {
        if let Some(p) = self.counters() {
            p.total.fetch_add(units, Ordering::Relaxed);
        }
    }

    /// Reports `units` more units of work done, at a point where the token
    /// is checked anyway (per node, per chunk: never per row); calls the
    /// sink when its last call is 100 ms old. Nothing without a progress
    /// sink (one branch).
    #[inline]
    pub fn advance(&self, units: u64) {
        if let Some(p) = self.counters() {
            p.report(units);
        }
    }

    /// `(done, total)` so far; `None` without a progress sink.
    pub fn progress(&self) -> Option<(u64, u64)> {
        self.counters().map(|p| {
            let total = p.total.load(Ordering::Relaxed);
            (p.done.load(Ordering::Relaxed).min(total), total)
        })
    }
}

impl Progress {
    /// Counts `units` done; every [`CLOCK_EVERY`] reports, calls the sink
    /// if [`SINK_EVERY_MS`] passed since its last call (one thread wins).
    fn report(&self, units: u64) {
        let done = self.done.fetch_add(units, Ordering::Relaxed) + units;
        if self.reports.fetch_add(1, Ordering::Relaxed) % CLOCK_EVERY != 0 {
            return;
        }
        let now = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        let last = self.last_ms.load(Ordering::Relaxed);
        if now.saturating_sub(last) >= SINK_EVERY_MS
            && self
                .last_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            let total = self.total.load(Ordering::Relaxed);
            (self.sink)(done.min(total), total);
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
    fn progress_is_counted_and_the_sink_rate_limited() {
        use std::sync::Mutex;
        let calls = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&calls);
        let token = Interrupt::with_progress(move |d, t| sink.lock().unwrap().push((d, t)));
        assert_eq!(token.progress(), Some((0, 0)));
        token.add_total(1_000);
        let start = Instant::now();
        for _ in 0..1_000 {
            token.clone().advance(1);
        }
        assert_eq!(token.progress(), Some((1_000, 1_000)));
        // 1,000 reports in far less than 100 ms: at most one call per
        // 100 ms began, plus the first.
        let most = 1 + start.elapsed().as_millis() as usize / 100;
        let seen = calls.lock().unwrap().clone();
        assert!(
            seen.len() <= most,
            "{} calls in {:?}",
            seen.len(),
            start.elapsed()
        );
        assert!(seen.iter().all(|&(d, t)| d <= t && t == 1_000));
        // Tokens without a sink count nothing.
        let plain = Interrupt::new();
        plain.add_total(5);
        plain.advance(5);
        assert_eq!(plain.progress(), None);
        assert_eq!(Interrupt::default().progress(), None);
    }

    #[test]
    fn the_sink_is_called_again_after_100_ms() {
        let calls = Arc::new(AtomicU64::new(0));
        let sink = Arc::clone(&calls);
        let token = Interrupt::with_progress(move |_, _| {
            sink.fetch_add(1, Ordering::Relaxed);
        });
        token.add_total(100);
        for _ in 0..3 {
            std::thread::sleep(std::time::Duration::from_millis(110));
            for _ in 0..CLOCK_EVERY {
                token.advance(1);
            }
        }
        assert_eq!(calls.load(Ordering::Relaxed), 3);
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
