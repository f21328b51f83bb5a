//! The seed README's example, verbatim, and the same shape at scale against a sequential run.

use crate::common::{busy, watchdog, THREADS};
use para_std::pipeline;

#[test]
fn seed_example_verbatim() {
    watchdog(30, || {
        let data = vec![0, 1, 2];
        let mut sum = 0;
        pipeline!(4, data
                  => (|x| (x * 2, x) => |(x2, x)| x2 - x,
                      |x| -x)
                  => |x| sum += x);
        assert_eq!(sum, 0);
    });
}

/// The seed's shape with closures whose results do not cancel out, so that a lost, duplicated or
/// misrouted item changes the answer.
fn seed_shape(threads: usize, n: i64) -> (i64, usize) {
    let mut sum = 0i64;
    let mut count = 0usize;
    pipeline!(threads, 0..n
              => (|x| (x * 2 + busy(x, 50), x) => |(x2, x)| x2 - x,
                  |x| -x * 3 + busy(x, 20))
              => |x| { sum += x; count += 1; });
    (sum, count)
}

fn seed_shape_sequential(n: i64) -> (i64, usize) {
    let mut sum = 0i64;
    let mut count = 0usize;
    for x in 0..n {
        let (x2, x1) = (x * 2 + busy(x, 50), x);
        sum += x2 - x1;
        sum += -x * 3 + busy(x, 20);
        count += 2;
    }
    (sum, count)
}

#[test]
fn seed_shape_at_scale_matches_sequential() {
    let n = 100_000;
    let (expected_sum, expected_count) = seed_shape_sequential(n);
    for threads in THREADS {
        let (sum, count) = watchdog(60, || seed_shape(threads, n));
        assert_eq!(count, expected_count, "threads={threads}");
        assert_eq!(sum, expected_sum, "threads={threads}");
    }
}

#[test]
fn empty_source_finishes() {
    watchdog(10, || {
        let mut seen = 0;
        pipeline!(2, Vec::<u8>::new() => |x| x + 1 => |_x| seen += 1);
        assert_eq!(seen, 0);
    });
}

#[test]
fn source_straight_into_sink() {
    watchdog(10, || {
        let mut all = Vec::new();
        pipeline!(3, 0..1000 => |x| all.push(x));
        all.sort();
        assert_eq!(all, (0..1000).collect::<Vec<_>>());
    });
}

#[test]
fn closures_borrow_the_callers_stack() {
    watchdog(10, || {
        let offset = 7;
        let table = [10, 20, 30];
        let mut out = Vec::new();
        pipeline!(2, 0..300usize => |i| table[i % 3] + offset => |x| out.push(x));
        assert_eq!(out.len(), 300);
        assert_eq!(out.iter().sum::<i32>(), 100 * (17 + 27 + 37));
    });
}

/// The README's fix for standard input: a `BufReader` over `Stdin` is a `Send` source.
/// Compiled, not run: a test's standard input may never end.
#[allow(dead_code)]
fn standard_input_through_a_bufreader_is_a_source() -> std::io::Result<usize> {
    use std::io::BufRead;
    let mut lines = 0;
    pipeline!(2, std::io::BufReader::new(std::io::stdin()).lines()
        => try |line: std::io::Result<String>| line.map(|l| l.len())
        => |_len| lines += 1)?;
    Ok(lines)
}
