//! An ordered stage fed by several sources: order is per source (each source's items in that
//! source's order, the sources interleaved in any order), and each source has its own window,
//! so a slow item of one source holds back that source only.

use crate::common::{busy, message, watchdog, Counters, Tracked, THREADS};
use para_std::pipeline;
use std::panic::{self, AssertUnwindSafe};
use std::time::Duration;

const N: u64 = 3_000;
/// Source `i`'s items are `i * OFFSET + 0..N`.
const OFFSET: u64 = 1_000_000;

/// Work whose cost varies a lot from item to item, so that parallel stages finish out of order.
fn uneven(x: u64) -> u64 {
    let rounds = if x.is_multiple_of(7) { 400 } else { 5 };
    std::hint::black_box(busy(x as i64, rounds));
    x
}

/// Splits `out` by source and checks each source's items came exactly in its order.
fn assert_per_source(out: &[u64], sources: u64, expected: impl Fn(u64) -> Vec<u64>, what: &str) {
    assert_eq!(
        out.len(),
        (0..sources).map(|s| expected(s).len()).sum::<usize>(),
        "{what}"
    );
    for s in 0..sources {
        let mine: Vec<u64> = out.iter().copied().filter(|x| x / OFFSET == s).collect();
        assert_eq!(mine, expected(s), "{what}: source {s}");
    }
}

#[test]
fn two_iterator_sources_each_in_order() {
    for threads in THREADS {
        for capacity_one in [false, true] {
            let out = watchdog(60, || {
                let mut out = Vec::new();
                // Not ranges but iterators: each drained by one worker at a time.
                let a = (0..N).step_by(1);
                let b = (OFFSET..OFFSET + N).step_by(1);
                if capacity_one {
                    pipeline!(threads, capacity = 1, (a, b) => uneven => ordered |x| out.push(x));
                } else {
                    pipeline!(threads, (a, b) => uneven => ordered |x| out.push(x));
                }
                out
            });
            let what = format!("threads={threads} capacity_one={capacity_one}");
            assert_per_source(&out, 2, |s| (s * OFFSET..s * OFFSET + N).collect(), &what);
        }
    }
}

#[test]
fn split_sources_each_in_order() {
    // Ranges and a `Vec`: all split (several workers produce from each at once).
    for threads in THREADS {
        for capacity_one in [false, true] {
            let owned: Vec<u64> = (2 * OFFSET..2 * OFFSET + N).collect();
            let out = watchdog(60, || {
                let mut out = Vec::new();
                if capacity_one {
                    pipeline!(threads, capacity = 1, (0..N, OFFSET..OFFSET + N, owned)
                              => |x| uneven(x) * 2 => ordered |x| out.push(x / 2));
                } else {
                    pipeline!(threads, (0..N, OFFSET..OFFSET + N, owned)
                              => |x| uneven(x) * 2 => ordered |x| out.push(x / 2));
                }
                out
            });
            let what = format!("threads={threads} capacity_one={capacity_one}");
            assert_per_source(&out, 3, |s| (s * OFFSET..s * OFFSET + N).collect(), &what);
        }
    }
}

#[test]
fn split_slice_sources_each_in_order() {
    let a: Vec<u64> = (0..N).collect();
    let b: Vec<u64> = (OFFSET..OFFSET + N).collect();
    for threads in THREADS {
        for capacity_one in [false, true] {
            let out = watchdog(60, || {
                let mut out = Vec::new();
                let (a, b) = (a.as_slice(), &b);
                if capacity_one {
                    pipeline!(threads, capacity = 1, (a, b)
                              => |x: &u64| uneven(*x) => ordered |x| out.push(x));
                } else {
                    pipeline!(threads, (a, b) => |x: &u64| uneven(*x) => ordered |x| out.push(x));
                }
                out
            });
            let what = format!("threads={threads} capacity_one={capacity_one}");
            assert_per_source(&out, 2, |s| (s * OFFSET..s * OFFSET + N).collect(), &what);
        }
    }
}

#[test]
fn mixed_sources_with_filters_and_fan_out() {
    for threads in THREADS {
        let out = watchdog(60, || {
            let mut out = Vec::new();
            pipeline!(threads, capacity = 2, (0..N, (OFFSET..OFFSET + N).step_by(1))
                      => filter |x| x % 3 != 0
                      => (|x| uneven(x) * 2, |x| x * 2 + 1)
                      => ordered |x| out.push(x / 2 * 2 + x % 2));
            out
        });
        let expected = |s: u64| -> Vec<u64> {
            (s * OFFSET..s * OFFSET + N)
                .filter(|x| x % 3 != 0)
                .flat_map(|x| [x * 2, x * 2 + 1])
                .collect()
        };
        // Values are doubled: source of `x` is `x / (2 * OFFSET)`.
        let halved: Vec<u64> = out.iter().map(|x| x / 2).collect();
        assert_per_source(
            &halved,
            2,
            |s| expected(s).iter().map(|x| x / 2).collect(),
            &format!("threads={threads}"),
        );
        for s in 0..2 {
            let mine: Vec<u64> = out
                .iter()
                .copied()
                .filter(|x| x / 2 / OFFSET == s)
                .collect();
            assert_eq!(mine, expected(s), "threads={threads}: source {s}");
        }
    }
}

#[test]
fn a_slow_item_holds_back_its_own_source_only() {
    const WINDOW: usize = 4;
    for threads in [2, 4, 8] {
        let counters = Counters::new();
        let mut out = Vec::new();
        let mut other_done_while_slow = false;
        watchdog(60, || {
            pipeline!(threads, capacity = 4,
            ((0..2_000).map(|i| counters.item(i)), (0..2_000).map(|i| counters.item(OFFSET as i64 + i)))
            => |t: Tracked| {
                if t.value == 10 { std::thread::sleep(Duration::from_millis(200)) }
                t
            }
            => ordered |t: Tracked| {
                if t.value == 11 && out.iter().filter(|&&v| v >= OFFSET as i64).count() == 2_000 {
                    other_done_while_slow = true;
                }
                out.push(t.value)
            });
        });
        let first: Vec<i64> = out.iter().copied().filter(|&v| v < OFFSET as i64).collect();
        let second: Vec<i64> = out
            .iter()
            .copied()
            .filter(|&v| v >= OFFSET as i64)
            .collect();
        assert_eq!(first, (0..2_000).collect::<Vec<_>>());
        assert_eq!(
            second,
            (0..2_000).map(|i| OFFSET as i64 + i).collect::<Vec<_>>()
        );
        assert_eq!(counters.live(), 0);
        // Every item between the sources and the ordered stage holds one of its source's WINDOW
        // credits.
        assert!(
            counters.peak() <= 2 * WINDOW,
            "threads={threads}: peak {}",
            counters.peak()
        );
        // While source 0 waited for its slow item, source 1 went on to its end.
        assert!(other_done_while_slow, "threads={threads}");
    }
}

#[test]
fn an_error_stops_several_sources_and_drops_everything_once() {
    for threads in THREADS {
        let counters = Counters::new();
        let mut out = Vec::new();
        let result = watchdog(60, || {
            pipeline!(threads, capacity = 1,
                      ((0..N as i64).map(|i| counters.item(i)), (0..N as i64).map(|i| counters.item(-i - 1)))
                      => try |t: Tracked| if t.value == 777 { Err(777) } else { Ok(t) }
                      => ordered |t: Tracked| out.push(t.value))
        });
        assert_eq!(result, Err(777), "threads={threads}");
        let first: Vec<i64> = out.iter().copied().filter(|&v| v >= 0).collect();
        let second: Vec<i64> = out.iter().copied().filter(|&v| v < 0).collect();
        assert!(first.len() <= 777 && first.iter().copied().eq(0..first.len() as i64));
        assert!(second
            .iter()
            .copied()
            .eq((0..second.len() as i64).map(|i| -i - 1)));
        assert_eq!(counters.live(), 0, "threads={threads}");
        assert_eq!(counters.drops(), counters.created() + counters.clones());
    }
}

#[test]
fn a_panic_stops_several_sources_and_drops_everything_once() {
    for threads in THREADS {
        let counters = Counters::new();
        let mut out = Vec::new();
        let result = watchdog(60, || {
            panic::catch_unwind(AssertUnwindSafe(|| {
                pipeline!(threads, capacity = 1,
                ((0..N as i64).map(|i| counters.item(i)), (0..N as i64).map(|i| counters.item(-i - 1)))
                => |t: Tracked| t
                => ordered |t: Tracked| {
                    if t.value == -500 { panic!("boom at -500") }
                    out.push(t.value)
                })
            }))
        });
        let payload = result.expect_err("the panic reaches the caller");
        assert_eq!(message(&*payload), "boom at -500", "threads={threads}");
        let second: Vec<i64> = out.iter().copied().filter(|&v| v < 0).collect();
        assert_eq!(second, (0..499).map(|i| -i - 1).collect::<Vec<_>>());
        assert_eq!(counters.live(), 0, "threads={threads}");
        assert_eq!(counters.drops(), counters.created() + counters.clones());
    }
}
