//! The workloads the benchmarks of para run (the benchmarks themselves live in `benches/`; see
//! each file for what it measures): integer work of a calibrated cost, the generated text the
//! `compress` benchmark compresses, and the sizes and times that `PARA_BENCH_QUICK` shrinks.
//!
//! Every workload is a pure function of its input, so every implementation of a shape (a plain
//! loop, channels, rayon, para) must produce the same result, which the benchmarks check once,
//! outside the timed loop.

use std::time::Duration;

/// The thread counts every parallel implementation runs at.
pub const THREADS: [usize; 2] = [1, 2];

/// Rounds of [`mix`] per microsecond: calibrated on the 2-core AMD EPYC (KVM) this project is
/// benchmarked on, where a long dependent chain runs at ~1.5 ns per round.
pub const ROUNDS_PER_US: u32 = 650;

/// Rounds of [`mix`] in one stage of the `tiny` shape: ~25–40 ns on the benchmark machine
/// (~27 ns when a plain loop overlaps consecutive items, ~38 ns as one dependent chain).
pub const TINY_ROUNDS: u32 = 24;

/// A dependent chain of `rounds` xorshift-multiply steps on `x`: integer work whose cost grows
/// linearly with `rounds` and that the compiler can neither precompute nor skip.
#[inline]
pub fn mix(x: u64, rounds: u32) -> u64 {
    let mut h = x ^ 0x9E37_79B9_7F4A_7C15;
    for _ in 0..rounds {
        h ^= h >> 29;
        h = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    }
    h
}

/// One stage of the `tiny` shape: ~25–40 ns of integer work. `salt` tells the stages apart.
#[inline]
pub fn tiny_stage(x: u64, salt: u64) -> u64 {
    mix(x ^ salt, TINY_ROUNDS)
}

/// Roughly `us` microseconds of integer work on the benchmark machine.
#[inline]
pub fn work_us(x: u64, us: u32) -> u64 {
    mix(x, us * ROUNDS_PER_US)
}

/// Roughly 5 µs of integer work on the benchmark machine.
pub fn work_5us(x: u64) -> u64 {
    work_us(x, 5)
}

/// The cost, 2–20 µs, of item `i` in the `ordered` shape: pseudo-random, deterministic, with
/// neighbours of very different costs (so items finish out of order).
pub fn variable_us(i: u64) -> u32 {
    2 + (mix(i, 3) % 19) as u32
}

/// An order-sensitive running hash: folding the same values in another order gives another
/// result, so a sink that folds with it proves it saw the items in order.
#[inline]
pub fn fold_in_order(hash: u64, value: u64) -> u64 {
    (hash ^ value)
        .wrapping_mul(0x0000_0100_0000_01B3)
        .rotate_left(17)
}

/// True when `PARA_BENCH_QUICK` is set (to anything but `0` or empty): every benchmark then
/// runs on small inputs for a fraction of a second, to check that everything executes.
pub fn quick() -> bool {
    std::env::var_os("PARA_BENCH_QUICK").is_some_and(|v| !v.is_empty() && v != "0")
}

/// `full`, or `small` in quick mode.
pub fn size<T>(full: T, small: T) -> T {
    if quick() {
        small
    } else {
        full
    }
}

/// How long criterion samples one group: [`Timing::new`] gives the full run's figures, or
/// short ones in quick mode.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// Samples per benchmark.
    pub sample_size: usize,
    /// Warm-up time per benchmark.
    pub warm_up: Duration,
    /// Measurement time per benchmark.
    pub measurement: Duration,
}

impl Timing {
    /// `sample_size` samples in `measurement_secs` after `warm_up_secs`, per benchmark (or ten
    /// samples in a fraction of a second in quick mode).
    pub fn new(sample_size: usize, warm_up_secs: f64, measurement_secs: f64) -> Timing {
        if quick() {
            Timing {
                sample_size: 10,
                warm_up: Duration::from_millis(50),
                measurement: Duration::from_millis(200),
            }
        } else {
            Timing {
                sample_size,
                warm_up: Duration::from_secs_f64(warm_up_secs),
                measurement: Duration::from_secs_f64(measurement_secs),
            }
        }
    }
}

/// The `compress` example's demo input: `size` bytes of deterministic, English-like text.
pub use para_tests::compress::demo_text;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variable_cost_covers_2_to_20_us() {
        let costs: Vec<u32> = (0..2000).map(variable_us).collect();
        assert_eq!(costs.iter().min(), Some(&2));
        assert_eq!(costs.iter().max(), Some(&20));
    }

    #[test]
    fn the_order_sensitive_hash_is_order_sensitive() {
        let forward = (0..100).fold(0, fold_in_order);
        let backward = (0..100).rev().fold(0, fold_in_order);
        assert_ne!(forward, backward);
    }

    #[test]
    fn demo_text_is_deterministic_and_sized() {
        let a = demo_text(100_000);
        assert_eq!(a.len(), 100_000);
        assert_eq!(a, demo_text(100_000));
    }
}
