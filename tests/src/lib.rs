//! End-to-end tests of para live in `tests/`.

pub mod compress;
