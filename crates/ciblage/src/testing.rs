//! Helpers shared by the unit tests.

/// Runs `work` in a rayon pool of `threads` threads.
pub(crate) fn on_threads<T: Send>(threads: usize, work: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool")
        .install(work)
}

/// Cases of each fuzz test: `CIBLAGE_FUZZ_CASES` (default 256, so that a
/// plain `cargo test` stays fast; `make fuzz` raises it).
pub(crate) fn fuzz_cases() -> u32 {
    std::env::var("CIBLAGE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(256)
}
