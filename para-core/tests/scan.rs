//! The bare-metal worker loop (`Graph::work`, which scans nodes instead of using deques) on a
//! graph wired by hand the way `pipeline!` wires it: on one thread, and on several threads that
//! all call `work` on the same graph, as the cores of a chip do.

use para_core::raw as p;
use para_core::{Graph, NodeInfo, NodeKind};
use std::sync::atomic::{AtomicUsize, Ordering};

const NODES: &[NodeInfo] = &[
    NodeInfo::new("source", NodeKind::Source, &[]),
    NodeInfo::new("double", NodeKind::Parallel, &[0]),
    NodeInfo::new("minus", NodeKind::Parallel, &[1]),
    NodeInfo::new("negate", NodeKind::Parallel, &[0]),
    NodeInfo::new("sink", NodeKind::Sink, &[2, 3]),
];

/// The seed's graph over `0..n` with `cores` threads calling `work`; returns the sink's sum and
/// item count, and the number of productive steps each core ran.
fn seed_graph(n: i64, cores: usize) -> (i64, usize, Vec<usize>) {
    let (mut sum, mut count) = (0i64, 0usize);
    let steps;
    {
        let (n0, t0) = p::source(0..n);
        let t0f = p::fan_out(t0);
        let (n1, t1) = p::parallel_map(t0f, |x| (x * 2, x));
        let (n2, t2) = p::parallel_map(t1, |(x2, x)| x2 - x + 1);
        let (n3, t3) = p::parallel_map(t0f, |x: i64| -x);
        let m4 = p::merge(t2, t3);
        let n4 = p::sink(m4, |x| {
            sum += x;
            count += 1;
        });
        let q1 = p::queue::<_, 2>(t0f);
        let q2 = p::queue::<_, 1>(t1);
        let q3 = p::queue::<_, 3>(t0f);
        let q4 = p::queue::<_, 2>(m4);
        let graph = Graph::new(NODES, |id, cx| match id {
            0 => p::run_source(0, &n0, (p::Edge::new(&q1, 1), p::Edge::new(&q3, 3)), cx),
            1 => p::run_parallel(1, &q1, &n1, p::Edge::new(&q2, 2), cx),
            2 => p::run_parallel(2, &q2, &n2, p::Edge::new(&q4, 4), cx),
            3 => p::run_parallel(3, &q3, &n3, p::Edge::new(&q4, 4), cx),
            4 => p::run_serial(4, &q4, &n4, p::Discard, cx),
            _ => false,
        });
        let done = AtomicUsize::new(0);
        steps = std::thread::scope(|s| {
            let handles: Vec<_> = (0..cores)
                .map(|_| {
                    s.spawn(|| {
                        let steps = graph.work();
                        done.fetch_add(1, Ordering::SeqCst);
                        steps
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap())
                .collect::<Vec<_>>()
        });
        assert!(graph.is_finished());
        assert_eq!(done.load(Ordering::SeqCst), cores);
    }
    (sum, count, steps)
}

/// Item counts: miri runs every test about 10^4 times slower.
const ONE_CORE_ITEMS: i64 = if cfg!(miri) { 100 } else { 10_000 };
const FOUR_CORE_ITEMS: i64 = if cfg!(miri) { 60 } else { 20_000 };
const FOUR_CORE_ROUNDS: usize = if cfg!(miri) { 2 } else { 20 };

#[test]
fn one_core_runs_the_seed_graph() {
    let (sum, count, steps) = seed_graph(ONE_CORE_ITEMS, 1);
    assert_eq!(count, 2 * ONE_CORE_ITEMS as usize);
    assert_eq!(sum, ONE_CORE_ITEMS); // (2x - x + 1) + (-x) = 1 per source item
    assert!(steps[0] > 0);
}

#[test]
fn four_cores_share_one_graph() {
    for _ in 0..FOUR_CORE_ROUNDS {
        let (sum, count, steps) = seed_graph(FOUR_CORE_ITEMS, 4);
        assert_eq!(count, 2 * FOUR_CORE_ITEMS as usize);
        assert_eq!(sum, FOUR_CORE_ITEMS);
        assert_eq!(steps.len(), 4);
    }
}

#[test]
fn a_graph_without_items_finishes_at_once() {
    let (sum, count, _) = seed_graph(0, 3);
    assert_eq!((sum, count), (0, 0));
}

const FOLD_NODES: &[NodeInfo] = &[
    NodeInfo::new("source", NodeKind::Source, &[]),
    NodeInfo::new("fold", NodeKind::ParallelSink, &[0]),
];

/// A fold sink wired by hand as a bare-metal program would: accumulator slots in an array (no
/// allocator), `cores` threads calling `work` (the scan reports worker 0 on every core, so the
/// steps' claims spread over the slots). Returns the merged (count, sum) and how many
/// accumulators were made.
fn fold_graph<const SLOTS: usize>(n: u64, cores: usize) -> ((u64, u64), usize) {
    let inits = AtomicUsize::new(0);
    let init = || {
        inits.fetch_add(1, Ordering::Relaxed);
        (0u64, 0u64)
    };
    let (n0, t0) = p::source(0..n);
    let n1 = p::fold_sink_in(
        t0,
        [const { para_core::raw::FoldSlot::new() }; SLOTS],
        init,
        |(count, sum): (u64, u64), x: u64| (count + 1, sum + x),
    );
    let q1 = p::queue::<_, 8>(t0);
    let graph = Graph::new(FOLD_NODES, |id, cx| match id {
        0 => p::run_source(0, &n0, p::Edge::new(&q1, 1), cx),
        1 => p::run_fold(1, &q1, &n1, cx),
        _ => false,
    });
    std::thread::scope(|s| {
        for _ in 0..cores {
            s.spawn(|| graph.work());
        }
    });
    assert!(graph.is_finished());
    let result = n1
        .done(|a: (u64, u64), b: (u64, u64)| (a.0 + b.0, a.1 + b.1))
        .result();
    (result, inits.into_inner())
}

#[test]
fn a_fold_sink_keeps_an_accumulator_per_slot() {
    let n = FOUR_CORE_ITEMS as u64;
    for _ in 0..FOUR_CORE_ROUNDS {
        let (result, inits) = fold_graph::<4>(n, 4);
        assert_eq!(result, (n, n * (n - 1) / 2));
        assert!((1..=4).contains(&inits), "{inits} accumulators for 4 slots");
    }
    // Fewer slots than cores: steps that find every slot held wait their turn.
    let (result, inits) = fold_graph::<1>(n, 4);
    assert_eq!((result, inits), ((n, n * (n - 1) / 2), 1));
    // No item: the initial accumulator.
    assert_eq!(fold_graph::<4>(0, 2), ((0, 0), 1));
}
