//! A hint to load memory ahead of use, for loops that read per-customer
//! state at random: asking for row `i + k`'s state while row `i` is worked
//! lets several cache misses overlap.

/// Rows ahead whose customer state a loop prefetches.
pub(crate) const LOOKAHEAD: usize = 32;

/// Asks the processor to bring the cache line of `item` closer; a no-op on
/// targets without a prefetch instruction. Never faults, reads nothing.
#[inline(always)]
pub(crate) fn prefetch<T>(item: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `_mm_prefetch` only hints the cache; it neither reads nor
    // writes memory the program can observe and cannot fault, and SSE (its
    // target feature) is part of every x86-64 processor.
    #[allow(unsafe_code)]
    unsafe {
        use core::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>((item as *const T).cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = item;
}

/// Asks for the first and last cache lines of `b` (one request when they
/// are the same line: requests in flight are few, and a redundant one
/// takes a place).
#[inline]
pub(crate) fn prefetch_lines(b: &[u8]) {
    if let (Some(first), Some(last)) = (b.first(), b.last()) {
        prefetch(first);
        let line = |byte: &u8| (byte as *const u8 as usize) >> 6;
        if line(first) != line(last) {
            prefetch(last);
        }
    }
}
