//! The runtime on a graph wired by hand exactly as `pipeline!` wires it, so that the engine is
//! tested independently of the macro.

use para_std::__private as p;

fn seed_by_hand(threads: usize, n: i64) -> i64 {
    let mut sum = 0i64;
    {
        let (n0, t0) = p::source(0..n);
        let t0f = p::fan_out(t0);
        let (n1, t1) = p::parallel_map(t0f, |x| (x * 2, x));
        let (n2, t2) = p::parallel_map(t1, |(x2, x)| x2 - x);
        let (n3, t3) = p::parallel_map(t0f, |x: i64| -x);
        let m4 = p::merge(t2, t3);
        let n4 = p::sink(m4, |x| sum += x);
        let q1 = p::queue::<_, 4>(t0f);
        let q2 = p::queue::<_, 4>(t1);
        let q3 = p::queue::<_, 4>(t0f);
        let q4 = p::queue::<_, 4>(m4);
        const NODES: &[p::NodeInfo] = &[
            p::NodeInfo::new("src", p::NodeKind::Source, &[]),
            p::NodeInfo::new("a", p::NodeKind::Parallel, &[0]),
            p::NodeInfo::new("b", p::NodeKind::Parallel, &[1]),
            p::NodeInfo::new("c", p::NodeKind::Parallel, &[0]),
            p::NodeInfo::new("sink", p::NodeKind::Sink, &[2, 3]),
        ];
        let graph = p::Graph::new(NODES, |id, cx| match id {
            0 => p::run_source(0, &n0, (p::Edge::new(&q1, 1), p::Edge::new(&q3, 3)), cx),
            1 => p::run_parallel(1, &q1, &n1, p::Edge::new(&q2, 2), cx),
            2 => p::run_parallel(2, &q2, &n2, p::Edge::new(&q4, 4), cx),
            3 => p::run_parallel(3, &q3, &n3, p::Edge::new(&q4, 4), cx),
            4 => p::run_serial(4, &q4, &n4, p::Discard, cx),
            _ => false,
        });
        p::run(&graph, p::Threads(threads), p::Options::new());
    }
    sum
}

/// Sizes: miri runs every test about 10^4 times slower.
const ITEMS: i64 = if cfg!(miri) { 40 } else { 100_000 };
const SHORT_RUNS: usize = if cfg!(miri) { 4 } else { 200 };

#[test]
fn seed_shape_by_hand_at_several_thread_counts() {
    for threads in [1, 2, 4, 8] {
        assert_eq!(seed_by_hand(threads, ITEMS), 0, "threads={threads}");
    }
}

#[test]
fn many_short_runs_finish() {
    for round in 0..SHORT_RUNS {
        let threads = 1 + round % 8;
        let n = (round * 7 % 50) as i64;
        assert_eq!(seed_by_hand(threads, n), 0, "round={round}");
    }
}
