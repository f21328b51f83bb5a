//! An I/O-shaped pipeline: each item waits 10 ms on something outside the machine's cores (a
//! timer from `futures-timer`, standing for a network or disk request), between two CPU
//! stages. An `async` stage keeps up to 1000 of those waits in flight on 2 worker threads; a
//! stage that blocks instead keeps one per worker.
//!
//! ```text
//! cargo run --release --example io [operations] [threads]
//! ```

use futures_timer::Delay;
use para_std::pipeline;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_millis(10);

/// A little CPU work on each side of the wait.
fn checksum(x: u64) -> u64 {
    (0..64).fold(x, |h, i| {
        h.rotate_left(5) ^ (h.wrapping_mul(0x9E37_79B9) + i)
    })
}

fn main() {
    let mut args = std::env::args().skip(1);
    let operations: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let threads: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2);

    let (inside, most) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let mut total = 0u64;
    let start = Instant::now();
    pipeline!(threads, 0..operations
        => checksum
        => limit(1000) async |x| {
            most.fetch_max(inside.fetch_add(1, Ordering::Relaxed) + 1, Ordering::Relaxed);
            Delay::new(WAIT).await;
            inside.fetch_sub(1, Ordering::Relaxed);
            x
        }
        => checksum
        => |x| total = total.wrapping_add(x));
    let elapsed = start.elapsed();
    let rate = operations as f64 / elapsed.as_secs_f64();
    println!(
        "async stage:    {operations} operations of {WAIT:?} on {threads} threads in {elapsed:.2?}: \
         {rate:.0} operations/s, at most {} in flight",
        most.into_inner()
    );

    // The same waits as a blocking stage: one per worker at a time. Fewer operations, as it
    // is that much slower.
    let blocking_ops = operations.min(100 * threads as u64);
    let mut check = 0u64;
    let start = Instant::now();
    pipeline!(threads, 0..blocking_ops
        => checksum
        => |x| { std::thread::sleep(WAIT); x }
        => checksum
        => |x| check = check.wrapping_add(x));
    let elapsed = start.elapsed();
    let blocking_rate = blocking_ops as f64 / elapsed.as_secs_f64();
    println!(
        "blocking stage: {blocking_ops} operations of {WAIT:?} on {threads} threads in \
         {elapsed:.2?}: {blocking_rate:.0} operations/s ({:.0}x fewer)",
        rate / blocking_rate
    );
    std::hint::black_box((total, check));
}
