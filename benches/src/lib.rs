//! Benchmark support crate for ciblage (benchmarks live in `benches/*.rs`).
