//! Counts the primes below a bound with a para pipeline, next to the seed README's example.
//!
//! ```text
//! cargo run --release --example primes [bound] [threads]
//! ```

use para_std::pipeline;
use std::time::Instant;

enum Found {
    Prime(u64),
    Square(u64),
}

fn is_prime(n: u64) -> bool {
    if n < 2 {
        return false;
    }
    let mut d = 2;
    while d * d <= n {
        if n % d == 0 {
            return false;
        }
        d += 1;
    }
    true
}

fn main() {
    let mut args = std::env::args().skip(1);
    let bound: u64 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(5_000_000);
    let threads: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(para_std::all_cores);

    // The seed README's example, as written there.
    let data = vec![0, 1, 2];
    let mut sum = 0;
    pipeline!(4, data
              => (|x| (x * 2, x) => |(x2, x)| x2 - x,
                  |x| -x)
              => |x| sum += x);
    println!("seed example: sum = {sum}");

    // A fan-out: every number is tested for primality and, on another branch, for being a
    // square; the branches merge into one stateful sink.
    let started = Instant::now();
    let (mut primes, mut largest, mut squares, mut square_sum) = (0u64, 0u64, 0u64, 0u64);
    pipeline!(threads, 0..bound
    => (|n| is_prime(n).then_some(Found::Prime(n)),
        |n: u64| (n.isqrt() * n.isqrt() == n).then_some(Found::Square(n)))
    => |found| match found {
        Some(Found::Prime(n)) => { primes += 1; largest = largest.max(n); }
        Some(Found::Square(n)) => { squares += 1; square_sum += n; }
        None => {}
    });
    let elapsed = started.elapsed();
    println!(
        "{primes} primes below {bound} (largest {largest}), {squares} squares (sum {square_sum}); \
         {threads} threads, {:.1} ms",
        elapsed.as_secs_f64() * 1e3
    );
}
