//! Benchmarks of para live in `benches/`; see each file for what it measures.
