//! Bounded memory: however many items flow, the items alive at once never exceed the sum of the
//! queue capacities (each worker reserves room downstream before it computes, and an item keeps
//! its input slot until the step that consumed it ends). And wherever a run's queues are, no
//! capacity and no item size overflows a stack.

use crate::common::{busy, in_child_process, watchdog, Counters, Tracked};
use para_std::pipeline;

#[test]
fn ten_million_items_through_a_slow_sink_stay_bounded() {
    const CAPACITY: usize = 8;
    const QUEUES: usize = 3; // map, map, sink
    let n: i64 = 10_000_000;
    for threads in [2, 4] {
        let counters = Counters::new();
        let mut checksum = 0i64;
        let mut seen = 0i64;
        watchdog(240, || {
            pipeline!(threads, capacity = 8, (0..n).map(|i| counters.item(i))
                      => |mut t: Tracked| { t.value += 1; t }
                      => |mut t: Tracked| { t.value *= 2; t }
                      => |t: Tracked| { checksum = checksum.wrapping_add(t.value ^ busy(t.value, 4)); seen += 1; });
        });
        assert_eq!(seen, n);
        assert_eq!(counters.live(), 0);
        let bound = CAPACITY * QUEUES;
        assert!(
            counters.peak() <= bound,
            "threads={threads}: {} items alive at once, bound {bound}",
            counters.peak()
        );
        assert!(checksum != 0);
    }
}

#[test]
fn fan_out_diamond_stays_bounded() {
    const CAPACITY: usize = 4;
    const QUEUES: usize = 3; // two branches and the merge
    for threads in [1, 2, 4, 8] {
        let counters = Counters::new();
        let mut seen = 0usize;
        watchdog(60, || {
            pipeline!(threads, capacity = 4, (0..200_000).map(|i| counters.item(i))
                      => (|t: Tracked| t, |mut t: Tracked| { t.value = -t.value; t })
                      => |_t: Tracked| seen += 1);
        });
        assert_eq!(seen, 400_000);
        assert_eq!(counters.live(), 0);
        assert!(
            counters.peak() <= CAPACITY * QUEUES,
            "threads={threads}: peak {}",
            counters.peak()
        );
    }
}

/// Queues live on the heap (para-std): a capacity of 100,000 items of 64 bytes (6.4 MB per
/// queue) runs on a test thread's 2 MiB stack. (A stack overflow aborts: child process.)
#[test]
fn a_large_capacity_does_not_overflow_the_callers_stack() {
    if in_child_process(
        module_path!(),
        "a_large_capacity_does_not_overflow_the_callers_stack",
        300,
    ) {
        large_capacity();
    }
}

/// Apart from the test, so that the test's own frame stays small in the parent process.
#[inline(never)]
fn large_capacity() {
    let mut sum = 0u64;
    pipeline!(2, capacity = 100_000,
        0u64..200_000 => |x| [x as u8; 64] => |b: [u8; 64]| sum += b[3] as u64);
    assert_eq!(sum, (0u64..200_000).map(|x| x as u8 as u64).sum::<u64>());
}

/// Ten stages of 4 KiB items at the default capacity (64), run from a thread with a 256 KiB
/// stack and nested in a stage of another run: whichever thread runs it, it fits.
#[test]
fn big_items_at_the_default_capacity_fit_a_small_callers_stack() {
    if !in_child_process(
        module_path!(),
        "big_items_at_the_default_capacity_fit_a_small_callers_stack",
        300,
    ) {
        return;
    }
    #[inline(never)]
    fn ten_stages(n: u64) -> u64 {
        let mut sum = 0u64;
        pipeline!(2, 0..n => |x| [x as u8; 4096]
            => |b: [u8; 4096]| b => |b: [u8; 4096]| b => |b: [u8; 4096]| b
            => |b: [u8; 4096]| b => |b: [u8; 4096]| b => |b: [u8; 4096]| b
            => |b: [u8; 4096]| b => |b: [u8; 4096]| b => |b: [u8; 4096]| b
            => |b: [u8; 4096]| sum += b[4095] as u64);
        sum
    }
    let want = |n: u64| (0..n).map(|x| x as u8 as u64).sum::<u64>();
    let small = std::thread::Builder::new().stack_size(256 << 10);
    let got = small.spawn(|| ten_stages(1_000)).unwrap().join().unwrap();
    assert_eq!(got, want(1_000));
    let mut total = 0u64;
    pipeline!(2, 0..4u64 => |_| ten_stages(200) => |s| total += s);
    assert_eq!(total, 4 * want(200));
}

/// The bound `pipeline_dot!` states for a graph (the items its queues and windows hold, from
/// what the macro allocates), read from its label.
fn stated_bound(dot: &str) -> usize {
    let label = dot
        .split("hold at most ")
        .nth(1)
        .expect("the DOT label states the bound");
    label[..label.find(' ').unwrap()].parse().unwrap()
}

/// `pipeline_dot!` and `pipeline!` of one text: the stated bound, and the peak of live items in
/// a real run on `threads`, which may hold one more item each (a sink's, being consumed).
macro_rules! stated_and_peak {
    ($threads:expr, $counters:expr, $($body:tt)*) => {{
        let bound = stated_bound(&para_std::pipeline_dot!($threads, $($body)*));
        watchdog(120, || pipeline!($threads, $($body)*));
        assert_eq!($counters.live(), 0, "every item dropped");
        (bound + $threads, $counters.peak())
    }};
}

#[test]
fn the_bound_the_macro_states_holds_in_real_runs() {
    for threads in [1, 2, 4, 8] {
        // A fused chain into a slow sink.
        let counters = Counters::new();
        let mut sum = 0i64;
        let (bound, peak) = stated_and_peak!(threads, counters, capacity = 8,
            (0..100_000).map(|i| counters.item(i))
            => |mut t: Tracked| { t.value += 1; t } => |mut t: Tracked| { t.value *= 2; t }
            => |t: Tracked| sum = sum.wrapping_add(busy(t.value, 4)));
        assert!(
            peak <= bound,
            "chain, threads={threads}: peak {peak}, bound {bound}"
        );
        // A fan-out and a merge.
        let counters = Counters::new();
        let mut seen = 0usize;
        let (bound, peak) = stated_and_peak!(threads, counters, capacity = 4,
            (0..100_000).map(|i| counters.item(i))
            => (|t: Tracked| t, |mut t: Tracked| { t.value = -t.value; t })
            => |_t: Tracked| seen += 1);
        assert!(
            peak <= bound,
            "diamond, threads={threads}: peak {peak}, bound {bound}"
        );
        assert_eq!(seen, 200_000);
        // Branches meeting at an ordered sink: windows of two parts per item.
        let counters = Counters::new();
        let mut next = 0i64;
        let (bound, peak) = stated_and_peak!(threads, counters, capacity = 4,
            (0..50_000).map(|i| counters.item(i))
            => (|t: Tracked| { busy(t.value, (t.value % 16) as u32); t }, |t: Tracked| t)
            => ordered |t: Tracked| { assert!(t.value >= next - 1); next = t.value + 1; });
        assert!(
            peak <= bound,
            "ordered, threads={threads}: peak {peak}, bound {bound}"
        );
    }
}

/// Runs the same pipeline text through `pipeline_bound!` and `pipeline!` (so that the bound is
/// of the graph that runs); returns the bound and the peak of items alive.
macro_rules! bound_and_peak {
    ($threads:expr, $counters:ident, $($pipeline:tt)*) => {{
        let bound = para_std::pipeline_bound!($threads, $($pipeline)*);
        watchdog(120, || pipeline!($threads, $($pipeline)*));
        assert_eq!($counters.live(), 0);
        (bound, $counters.peak())
    }};
}

#[test]
fn the_computed_bound_holds_in_real_runs() {
    for threads in [1, 2, 8] {
        let what = format!("threads={threads}");
        // A chain into a slow sink: the queues fill up to the bound.
        let counters = Counters::new();
        let mut seen = 0;
        let (bound, peak) = bound_and_peak!(threads, counters, capacity = 8,
            (0..20_000).map(|i| counters.item(i)) => |t: Tracked| t.map(|v| v + 1)
                => serial |t: Tracked| { busy(t.value, 20); t } => |_t: Tracked| seen += 1);
        assert_eq!(bound, 24, "{what}");
        assert!(
            peak <= bound && peak >= 8,
            "{what}: peak {peak}, bound {bound}"
        );

        // A fan-out and a merge, a filter, and an ordered sink with its windows.
        let counters = Counters::new();
        let mut last = -1;
        let (bound, peak) = bound_and_peak!(threads, counters, capacity = 4,
            (0..20_000).map(|i| counters.item(i))
                => (|t: Tracked| t, filter |t: &Tracked| t.value % 2 == 0)
                => ordered |t: Tracked| { assert!(t.value >= last); last = t.value; });
        assert!(peak <= bound, "{what}: peak {peak}, bound {bound}");
        assert_eq!(
            bound,
            para_std::pipeline_dot!(threads, capacity = 4,
                (0..20_000).map(|i| counters.item(i))
                    => (|t: Tracked| t, filter |t: &Tracked| t.value % 2 == 0)
                    => ordered |t: Tracked| { assert!(t.value >= last); last = t.value; })
            .split("at most ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse::<usize>().ok())
            .expect("the DOT label states the bound"),
            "{what}: pipeline_bound! and pipeline_dot! agree"
        );

        // A flat-map: its outputs are made on demand, so a million of them stay bounded.
        let counters = Counters::new();
        let mut outputs = 0;
        let (bound, peak) = bound_and_peak!(threads, counters, capacity = 16,
            (0..10).map(|i| counters.item(i))
                => flat_map |t: Tracked| (0..100_000).map(move |k| t.counters().item(k))
                => serial |t: Tracked| { busy(t.value, 2); t } => |_t: Tracked| outputs += 1);
        assert_eq!(outputs, 1_000_000, "{what}");
        assert!(
            peak <= bound + 10,
            "{what}: peak {peak}, bound {bound} + 10 inputs held by flat-map iterators"
        );
    }
}
