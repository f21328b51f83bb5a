//! para-core pipelines run by every core of the emulated machine at once: each core runs the
//! scanning worker loop `Graph::work` on one graph that lives on core 0's stack. Most are written
//! with `pipeline!` (para-macros on para-core alone, run on `&CORES`); the two that need the
//! graph itself (a dispatch that gates the source until every core is up, a run aborted from
//! outside) are wired by hand from para-core's `raw` module.
#![no_std]
#![no_main]

use core::hint::black_box;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use para_core::raw as p;
use para_core::{Graph, NodeInfo, NodeKind};
use para_macros::pipeline;
use para_qemu::{
    ensure, ensure_eq, hart_id, node, on_all_cores, println, run_graph, Outcome, CORES, HARTS,
};

para_qemu::main!(
    seed_fan_out_merge_small_queues,
    seed_fan_out_merge_default_queues,
    ordered_sink_and_fold,
    flat_map_filter_and_try,
    chain_with_capacity_one_queues,
    serial_middle_stage,
    every_core_does_work,
    every_core_is_inside_one_slow_stage_at_once,
    every_value_dropped_once,
    abort_drops_what_is_in_flight,
    empty_source_finishes,
    statistics_on_every_core,
);

/// Items per run: small enough for the micro:bit's 16 KiB of RAM (bitmaps on the stack).
const N: usize = 3000;
/// Runs per test, to give interleavings a chance.
const ROUNDS: usize = 4;

fn print_steps(steps: &[usize; HARTS]) {
    println!("    productive node steps per core: {steps:?}");
}

/// The seed's pipeline, `0..n => (|x| (x * 2, x) => |(x2, x)| x2 - x, |x| -x - 1) => |x| sum += x`,
/// at queue capacity `CAP`. The branches never cancel: the first yields `x >= 0`, the second
/// `-x - 1 < 0`, so the sink knows which item of which branch it got and checks that each
/// arrives exactly once.
fn seed<const CAP: usize>() -> Outcome {
    for round in 0..ROUNDS {
        let (mut sum, mut count, mut duplicates) = (0i64, 0usize, 0usize);
        let mut seen = [[0u32; N.div_ceil(32)]; 2];
        pipeline!(&CORES, capacity = CAP, 0..N as i64
        => (|x| (x * 2, x) => |(x2, x)| x2 - x, |x: i64| -x - 1)
        => |v: i64| {
            sum += v;
            count += 1;
            let (branch, x) = if v >= 0 { (0, v) } else { (1, -v - 1) };
            let (word, bit) = (x as usize / 32, 1u32 << (x as usize % 32));
            if seen[branch][word] & bit != 0 {
                duplicates += 1;
            }
            seen[branch][word] |= bit;
        });
        ensure_eq!(count, 2 * N);
        ensure_eq!(duplicates, 0);
        // Σx + Σ(-x - 1) over 0..N
        ensure_eq!(sum, -(N as i64));
        for (branch, bits) in seen.iter().enumerate() {
            let missing: usize = (0..N)
                .filter(|&x| bits[x / 32] & (1 << (x % 32)) == 0)
                .count();
            ensure!(
                missing == 0,
                "round {round}: branch {branch} lost {missing} items"
            );
        }
    }
    Outcome::Pass
}

fn seed_fan_out_merge_small_queues() -> Outcome {
    seed::<2>()
}

fn seed_fan_out_merge_default_queues() -> Outcome {
    seed::<16>()
}

/// A parallel stage whose calls take uneven time, then `(ordered sink, fold)`: the ordered
/// sink sees source order on every core count, and the fold sink's accumulators (one per core
/// that takes a slot) merge into the whole sum.
fn ordered_sink_and_fold() -> Outcome {
    for round in 0..ROUNDS {
        let (mut next, mut out_of_order) = (0u32, 0usize);
        let total = pipeline!(&CORES, 0..N as u32
            => |x| { black_box(heavy_for(x, x % 64)); x }
            => (ordered |x| {
                    if x != next {
                        out_of_order += 1;
                    }
                    next = x + 1;
                }, fold(|| 0u64, |a, x| a + u64::from(x), |a, b| a + b)));
        ensure_eq!(out_of_order, 0);
        ensure_eq!(next, N as u32);
        let n = N as u64;
        ensure!(total == n * (n - 1) / 2, "round {round}: fold gave {total}");
    }
    Outcome::Pass
}

/// `flat_map`, `filter`, an ordered `flat_map` before an ordered sink, and `try`: the first
/// error stops the run and comes back, the items before it in source order.
fn flat_map_filter_and_try() -> Outcome {
    let mut words = 0usize;
    pipeline!(&CORES, 0..N as u32 => flat_map |x| 0..x % 4 => filter |y: &u32| y % 2 == 0
        => |y| y + 1 => |_| words += 1);
    // Per x, the even ys below x % 4: one for 1, 2; two for 3; none for 0.
    let per_four = 0 + 1 + 1 + 2;
    ensure_eq!(words, N / 4 * per_four);
    let (mut next, mut out_of_order) = (0u32, 0usize);
    let result: Result<(), u32> = pipeline!(&CORES, 0..N as u32
    => try |x| if x == 1000 { Err(x) } else { Ok(x) }
    => ordered |x| {
        if x != next {
            out_of_order += 1;
        }
        next = x + 1;
    });
    ensure_eq!(result, Err(1000));
    ensure_eq!(out_of_order, 0);
    Outcome::Pass
}

/// `0..n => |x| x + 1 => |x| x * 3 => |x| x ^ 0x55 => |x| sum += x` with every queue of
/// capacity 1: the most contended shape, where every push waits for a pop.
fn chain_with_capacity_one_queues() -> Outcome {
    let expected: u64 = (0..N as u64).map(|x| ((x + 1) * 3) ^ 0x55).sum();
    for _round in 0..ROUNDS {
        let (mut sum, mut count) = (0u64, 0usize);
        pipeline!(&CORES, capacity = 1, 0..N as u64 => |x| x + 1 => |x| x * 3 => |x| x ^ 0x55
        => |x| {
            sum += x;
            count += 1;
        });
        ensure_eq!(count, N);
        ensure_eq!(sum, expected);
    }
    Outcome::Pass
}

/// Items the serial stage processed on each core, and the times a core entered it while another
/// core was inside (only core `h` writes slot `h`).
static SERIAL_ITEMS: [AtomicUsize; HARTS] = [const { AtomicUsize::new(0) }; HARTS];
static SERIAL_OVERLAPS: [AtomicUsize; HARTS] = [const { AtomicUsize::new(0) }; HARTS];
/// Whether a core is inside the serial stage.
static INSIDE_SERIAL: AtomicBool = AtomicBool::new(false);

/// `0..n => |x| x + 1 => serial |x| (next++, x) => |(seq, x)| (seq, x * 3) => sink`: a stateful
/// stage in the middle, between parallel ones. Whichever core runs it, one core at a time is
/// inside it (checked), its state sees every item (the sequence numbers it hands out are exactly
/// `0..n`), and the sink gets every item once.
fn serial_middle_stage() -> Outcome {
    for slot in SERIAL_ITEMS.iter().chain(&SERIAL_OVERLAPS) {
        slot.store(0, Ordering::Relaxed);
    }
    for round in 0..ROUNDS {
        let (mut next, mut sum, mut count, mut duplicates) = (0usize, 0u64, 0usize, 0usize);
        let mut seen = [0u32; N.div_ceil(32)];
        pipeline!(&CORES, capacity = 4, 0..N as u64
        => |x| {
            // Keeps cores busy here too, so that the serial stage changes hands.
            black_box(heavy_for(x as u32, 300));
            x + 1
        }
        => serial |x: u64| {
            let me = hart_id();
            if INSIDE_SERIAL.load(Ordering::Relaxed) {
                let overlaps = &SERIAL_OVERLAPS[me];
                overlaps.store(overlaps.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
            }
            INSIDE_SERIAL.store(true, Ordering::Relaxed);
            let items = &SERIAL_ITEMS[me];
            items.store(items.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
            let seq = next;
            // Widen the window in which a second core would be seen inside.
            black_box(heavy_for(x as u32, 20));
            next += 1;
            INSIDE_SERIAL.store(false, Ordering::Relaxed);
            (seq, x)
        }
        => |(seq, x)| (seq, x * 3)
        => |(seq, x): (usize, u64)| {
            sum += x;
            count += 1;
            if seq < N {
                let (word, bit) = (seq / 32, 1u32 << (seq % 32));
                if seen[word] & bit != 0 {
                    duplicates += 1;
                }
                seen[word] |= bit;
            }
        });
        ensure_eq!(next, N);
        ensure_eq!(count, N);
        ensure_eq!(duplicates, 0);
        let n = N as u64;
        ensure_eq!(sum, 3 * (n * (n + 1) / 2)); // Σ 3(x + 1)
        let missing = (0..N)
            .filter(|&s| seen[s / 32] & (1 << (s % 32)) == 0)
            .count();
        ensure!(
            missing == 0,
            "round {round}: {missing} sequence numbers never arrived"
        );
    }
    let items = SERIAL_ITEMS.each_ref().map(|s| s.load(Ordering::Relaxed));
    let overlaps: usize = SERIAL_OVERLAPS
        .iter()
        .map(|s| s.load(Ordering::Relaxed))
        .sum();
    println!("    serial stage items per core (all rounds): {items:?}");
    ensure_eq!(overlaps, 0);
    Outcome::Pass
}

/// Items each core processed in `every_core_does_work`; only core `h` writes `WORKED[h]`.
static WORKED: [AtomicUsize; HARTS] = [const { AtomicUsize::new(0) }; HARTS];

/// `rounds` steps of a hash: emulated work that the compiler cannot skip.
fn heavy_for(x: u32, rounds: u32) -> u32 {
    let mut h = x;
    for _ in 0..rounds {
        h = black_box(h.wrapping_mul(1_664_525).wrapping_add(1_013_904_223) ^ (h >> 13));
    }
    h
}

/// About a millisecond of emulated work.
fn heavy(x: u32) -> u32 {
    heavy_for(x, 20_000)
}

#[rustfmt::skip]
const WORK_NODES: &[NodeInfo] = &[
    node("0..n", NodeKind::Source, &[]),
    node("|x| heavy(x)", NodeKind::Parallel, &[0]),
    node("|x| sum ^= x", NodeKind::Sink, &[1]),
];

/// `0..n => |x| heavy(x) => |x| sum ^= x`, with a parallel stage heavy enough that every core
/// gets items; each core counts the items it processed.
/// Dispatch calls per core (only core `h` writes slot `h`).
static ARRIVED: [AtomicUsize; HARTS] = [const { AtomicUsize::new(0) }; HARTS];

fn every_core_does_work() -> Outcome {
    const ITEMS: u32 = 4000;
    let expected = (0..ITEMS).fold(0u32, |acc, x| acc ^ heavy(x));
    for w in WORKED.iter().chain(&ARRIVED) {
        w.store(0, Ordering::Relaxed);
    }
    let (mut xor, mut count) = (0u32, 0u32);
    let (steps, finished);
    {
        let (n0, t0) = p::source(0..ITEMS);
        let (n1, t1) = p::parallel_map(t0, |x| {
            // Only this core writes its slot: a load and a store (no RMW on thumbv6m).
            let me = &WORKED[hart_id()];
            me.store(me.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
            heavy(x)
        });
        let n2 = p::sink(t1, |x| {
            xor ^= x;
            count += 1;
        });
        let q1 = p::queue::<_, 8>(t0);
        let q2 = p::queue::<_, 8>(t1);
        let graph = Graph::new(WORK_NODES, |id, cx| {
            // Gate the source until every core is in its worker loop (each one calls this
            // dispatch on every scan), so that a core QEMU starts late on a busy host still
            // finds items. Bounded, so a core that never starts fails the check below rather
            // than hanging the run.
            let me = &ARRIVED[hart_id()];
            me.store(
                me.load(Ordering::Relaxed).saturating_add(1),
                Ordering::Relaxed,
            );
            match id {
                0 if ARRIVED.iter().any(|a| a.load(Ordering::Relaxed) == 0)
                    && me.load(Ordering::Relaxed) < 1 << 24 =>
                {
                    false
                }
                0 => p::run_source(0, &n0, p::Edge::new(&q1, 1), cx),
                1 => p::run_parallel(1, &q1, &n1, p::Edge::new(&q2, 2), cx),
                2 => p::run_serial(2, &q2, &n2, p::Discard, cx),
                _ => false,
            }
        });
        steps = run_graph(&graph);
        finished = graph.is_finished();
    }
    // `run_graph` returned after every core finished: their counts are visible here.
    let worked = WORKED.each_ref().map(|w| w.load(Ordering::Relaxed));
    println!("    items processed per core: {worked:?}");
    print_steps(&steps);
    ensure!(finished, "the run did not finish");
    ensure_eq!(count, ITEMS);
    ensure_eq!(xor, expected);
    ensure_eq!(worked.iter().sum::<usize>(), ITEMS as usize);
    for (core, &items) in worked.iter().enumerate() {
        ensure!(items > 0, "core {core} processed no item");
    }
    Outcome::Pass
}

/// Whether core `h` is inside the rendezvous stage (only core `h` writes slot `h`).
static INSIDE: [AtomicBool; HARTS] = [const { AtomicBool::new(false) }; HARTS];
/// Set once every core was inside at once: later calls do not wait.
static ALL_INSIDE: AtomicBool = AtomicBool::new(false);
/// The most cores seen inside at once (load and store only: no RMW on thumbv6m).
static PEAK: [AtomicUsize; HARTS] = [const { AtomicUsize::new(0) }; HARTS];

/// A call of a slow stage: waits until every core is inside it at once, or until a spin budget
/// (the deadline, with no clock) runs out; records how many it saw inside.
fn rendezvous(x: u32) -> u32 {
    let me = hart_id();
    INSIDE[me].store(true, Ordering::SeqCst);
    let mut budget = 1u32 << 24;
    loop {
        let inside = INSIDE.iter().filter(|f| f.load(Ordering::SeqCst)).count();
        if inside > PEAK[me].load(Ordering::Relaxed) {
            PEAK[me].store(inside, Ordering::Relaxed);
        }
        if inside == HARTS {
            ALL_INSIDE.store(true, Ordering::SeqCst);
        }
        if ALL_INSIDE.load(Ordering::SeqCst) || budget == 0 {
            break;
        }
        budget -= 1;
        core::hint::spin_loop();
    }
    INSIDE[me].store(false, Ordering::SeqCst);
    x
}

/// `0..n => |x| rendezvous(x) => |x| sum += x` at the default capacity: every core is inside
/// the one parallel stage at once (the scaling promise, on bare metal: the claims split the
/// queue among the cores that run `Graph::work`).
fn every_core_is_inside_one_slow_stage_at_once() -> Outcome {
    const ITEMS: u32 = 4 * HARTS as u32;
    ALL_INSIDE.store(false, Ordering::SeqCst);
    for peak in &PEAK {
        peak.store(0, Ordering::Relaxed);
    }
    let (mut sum, mut count) = (0u32, 0u32);
    pipeline!(&CORES, 0..ITEMS => rendezvous => |x| {
        sum += x;
        count += 1;
    });
    let peak = PEAK
        .iter()
        .map(|p| p.load(Ordering::Relaxed))
        .max()
        .unwrap_or(0);
    println!("    cores inside the slow stage at once: {peak} of {HARTS}");
    ensure_eq!(count, ITEMS);
    ensure_eq!(sum, (0..ITEMS).sum::<u32>());
    ensure_eq!(peak, HARTS);
    Outcome::Pass
}

/// Values created and dropped, per core (only core `h` writes slot `h`).
static CREATED: [AtomicUsize; HARTS] = [const { AtomicUsize::new(0) }; HARTS];
static DROPPED: [AtomicUsize; HARTS] = [const { AtomicUsize::new(0) }; HARTS];

fn bump(counters: &[AtomicUsize; HARTS]) {
    let me = &counters[hart_id()];
    me.store(me.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
}

fn total(counters: &[AtomicUsize; HARTS]) -> usize {
    counters.iter().map(|c| c.load(Ordering::Relaxed)).sum()
}

fn reset_tracking() {
    for c in CREATED.iter().chain(&DROPPED) {
        c.store(0, Ordering::Relaxed);
    }
}

/// An item that counts its creations (clones included) and drops.
#[derive(Debug)]
struct Tracked(u32);

impl Tracked {
    fn new(x: u32) -> Self {
        bump(&CREATED);
        Tracked(x)
    }
}

impl Clone for Tracked {
    fn clone(&self) -> Self {
        Tracked::new(self.0)
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        bump(&DROPPED);
    }
}

/// `source => (|t| Tracked::new(t.0 + 1), |t| t) => |t| sum += t.0` over values that count
/// their clones and drops: every value is dropped exactly once.
fn every_value_dropped_once() -> Outcome {
    reset_tracking();
    let (mut sum, mut count) = (0u64, 0usize);
    pipeline!(&CORES, capacity = 4, (0..N as u32).map(Tracked::new)
    => (|t: Tracked| Tracked::new(t.0 + 1), |t: Tracked| t)
    => |t: Tracked| {
        sum += u64::from(t.0);
        count += 1;
    });
    let (created, dropped) = (total(&CREATED), total(&DROPPED));
    println!("    values created {created}, dropped {dropped}");
    ensure_eq!(count, 2 * N);
    let n = N as u64;
    ensure_eq!(sum, n * (n - 1) + n); // Σx + Σ(x + 1)
                                      // Each source item, its clone for the first branch, and the
                                      // first branch's new value.
    ensure_eq!(created, 3 * N);
    ensure_eq!(dropped, created);
    Outcome::Pass
}

/// Items the sink of `abort_drops_what_is_in_flight` consumed (written by the sink only).
static CONSUMED: AtomicUsize = AtomicUsize::new(0);
/// Set by core 0 once it has aborted the run.
static ABORTED: AtomicBool = AtomicBool::new(false);
/// The sink consumes this many items before core 0 aborts.
const BEFORE_ABORT: usize = 100;

#[rustfmt::skip]
const ABORT_NODES: &[NodeInfo] = &[
    node("source", NodeKind::Source, &[]),
    node("|t| t", NodeKind::Parallel, &[0]),
    node("|t| drop(t)", NodeKind::Sink, &[1]),
];

/// Core 0 aborts the run once the sink has consumed some items, while the other cores are in
/// the middle of it: every core returns from `work`, and the values still queued are dropped
/// with the queues, exactly once.
///
/// So that the run cannot finish before the abort, the sink, when another core runs it, waits
/// for the abort once it has consumed `BEFORE_ABORT` items (core 0 never waits there: it is the
/// one that aborts, and on a one-core machine the only one running the graph).
fn abort_drops_what_is_in_flight() -> Outcome {
    reset_tracking();
    CONSUMED.store(0, Ordering::Relaxed);
    ABORTED.store(false, Ordering::Relaxed);
    let (aborted, finished);
    {
        let (n0, t0) = p::source((0..N as u32).map(Tracked::new));
        let (n1, t1) = p::parallel_map(t0, |t: Tracked| t);
        let n2 = p::sink(t1, |t: Tracked| {
            drop(t);
            let consumed = CONSUMED.load(Ordering::Relaxed) + 1;
            CONSUMED.store(consumed, Ordering::Relaxed);
            if consumed >= BEFORE_ABORT && hart_id() != 0 {
                while !ABORTED.load(Ordering::Acquire) {
                    core::hint::spin_loop();
                }
            }
        });
        let q1 = p::queue::<_, 16>(t0);
        let q2 = p::queue::<_, 16>(t1);
        let graph = Graph::new(ABORT_NODES, |id, cx| match id {
            0 => p::run_source(0, &n0, p::Edge::new(&q1, 1), cx),
            1 => p::run_parallel(1, &q1, &n1, p::Edge::new(&q2, 2), cx),
            2 => p::run_serial(2, &q2, &n2, p::Discard, cx),
            _ => false,
        });
        let did_abort = AtomicBool::new(false);
        on_all_cores(&|core| {
            if core == 0 {
                // The scanning loop of `Graph::work`, until the sink has consumed enough.
                while CONSUMED.load(Ordering::Relaxed) < BEFORE_ABORT && !graph.is_ended() {
                    for node in (0..ABORT_NODES.len() as para_core::NodeId).rev() {
                        graph.run_node(node, &mut para_core::Scan);
                    }
                }
                did_abort.store(graph.abort(), Ordering::Relaxed);
                ABORTED.store(true, Ordering::Release);
            }
            graph.work();
        });
        aborted = did_abort.load(Ordering::Relaxed);
        finished = graph.is_finished();
    }
    let (created, dropped) = (total(&CREATED), total(&DROPPED));
    let consumed = CONSUMED.load(Ordering::Relaxed);
    println!("    consumed {consumed} of {N}; values created {created}, dropped {dropped}");
    ensure!(aborted && !finished, "the run ended before the abort");
    ensure!(
        (BEFORE_ABORT..N).contains(&consumed),
        "consumed {consumed} items"
    );
    ensure_eq!(dropped, created);
    Outcome::Pass
}

/// A source with no items: the run finishes at once on every core.
fn empty_source_finishes() -> Outcome {
    let mut count = 0usize;
    pipeline!(&CORES, 0..0u32 => |x| x + 1 => |_| count += 1);
    ensure_eq!(count, 0);
    Outcome::Pass
}

/// `stats = &mut Stats` on the chip's cores, with no allocator: the counts add up along the
/// edges, every core counted steps, and on RISC-V, timed by the CLINT's `mtime`, the heavy
/// stage is the busiest node. (The other machines have no clock here: counts only.) Busy times
/// are compared, not `bottleneck()`'s load over what a node can take: emulated harts share the
/// host's cores, so a hart descheduled inside a serial step inflates that node's load.
fn statistics_on_every_core() -> Outcome {
    use para_core::{RunStats, Stats};
    let stats = Stats::<8, HARTS>::new();
    #[cfg(any(target_arch = "riscv32", target_arch = "riscv64"))]
    let stats = stats.with_clock(para_qemu::platform::mtime, para_qemu::platform::TIMER_HZ);
    let mut stats = stats;
    let mut sum = 0u64;
    pipeline!(&CORES, stats = &mut stats, 0..N as u32
        => |x| heavy_for(x, 2000)
        => filter |x: &u32| x % 2 == 0
        => |x| sum += u64::from(x));
    println!("{stats}");
    let heavy = stats.node(1);
    ensure_eq!(heavy.items_in, N as u64);
    let passed = heavy.items_out;
    ensure!(
        passed > 0 && passed < N as u64,
        "the filter kept {passed} of {N}"
    );
    ensure_eq!(stats.node(2).items_in, passed);
    ensure_eq!(stats.node(0).items_out, N as u64);
    ensure_eq!(stats.workers(), HARTS);
    let steps: u64 = (0..HARTS).map(|w| stats.worker(w).steps).sum();
    let node_steps: u64 = (0..3).map(|n| stats.node(n).steps).sum();
    ensure_eq!(steps, node_steps);
    if stats.ticks_per_second().is_some() {
        let busy = |n: u16| stats.node(n).busy;
        ensure!(
            busy(1) > busy(0) && busy(1) > busy(2),
            "the heavy stage is not the busiest: {} {} {}",
            busy(0),
            busy(1),
            busy(2)
        );
        ensure!(
            stats.bottleneck().is_some(),
            "a timed run names no bottleneck"
        );
        ensure!(stats.wall() > 0, "a timed run took no time");
    } else {
        ensure_eq!(stats.bottleneck(), None);
    }
    Outcome::Pass
}
