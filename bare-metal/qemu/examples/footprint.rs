//! The RAM the seed example's graph occupies on this target, and a run of it on every core.
//!
//! The graph is the one `pipeline!` builds for the README's seed example,
//!
//! ```text
//! pipeline!(4, data => (|x| (x * 2, x) => |(x2, x)| x2 - x, |x| -x) => |x| sum += x)
//! ```
//!
//! with `data = [0, 1, 2]` (an array: there is no allocator for a `Vec`) and every queue at the
//! default capacity, wired by hand the way the macro wires it. Prints one `footprint:` line that
//! `scripts/footprint.sh` turns into the README's table.
#![no_std]
#![no_main]

use core::mem::size_of_val;

use para_core::raw as p;
use para_core::DEFAULT_CAPACITY;
use para_core::{Graph, NodeInfo, NodeKind};
use para_qemu::{ensure_eq, node, println, run_graph, Outcome};

para_qemu::main!(seed_example_footprint);

#[rustfmt::skip]
const NODES: &[NodeInfo] = &[
    node("data", NodeKind::Source, &[]),
    node("|x| (x * 2, x)", NodeKind::Parallel, &[0]),
    node("|(x2, x)| x2 - x", NodeKind::Parallel, &[1]),
    node("|x| -x", NodeKind::Parallel, &[0]),
    node("|x| sum += x", NodeKind::Sink, &[2, 3]),
];

fn seed_example_footprint() -> Outcome {
    let data = [0, 1, 2];
    let mut sum = 0;
    let (queues, nodes, graph_struct);
    {
        let (n0, t0) = p::source(data);
        let t0f = p::fan_out(t0);
        let (n1, t1) = p::parallel_map(t0f, |x| (x * 2, x));
        let (n2, t2) = p::parallel_map(t1, |(x2, x)| x2 - x);
        let (n3, t3) = p::parallel_map(t0f, |x: i32| -x);
        let m4 = p::merge(t2, t3);
        let n4 = p::sink(m4, |x| sum += x);
        let q1 = p::queue::<_, DEFAULT_CAPACITY>(t0f);
        let q2 = p::queue::<_, DEFAULT_CAPACITY>(t1);
        let q3 = p::queue::<_, DEFAULT_CAPACITY>(t0f);
        let q4 = p::queue::<_, DEFAULT_CAPACITY>(m4);
        let graph = Graph::new(NODES, |id, cx| match id {
            0 => p::run_source(0, &n0, (p::Edge::new(&q1, 1), p::Edge::new(&q3, 3)), cx),
            1 => p::run_parallel(1, &q1, &n1, p::Edge::new(&q2, 2), cx),
            2 => p::run_parallel(2, &q2, &n2, p::Edge::new(&q4, 4), cx),
            3 => p::run_parallel(3, &q3, &n3, p::Edge::new(&q4, 4), cx),
            4 => p::run_serial(4, &q4, &n4, p::Discard, cx),
            _ => false,
        });
        queues = size_of_val(&q1) + size_of_val(&q2) + size_of_val(&q3) + size_of_val(&q4);
        nodes = size_of_val(&n0)
            + size_of_val(&n1)
            + size_of_val(&n2)
            + size_of_val(&n3)
            + size_of_val(&n4);
        graph_struct = size_of_val(&graph);
        run_graph(&graph);
    }
    println!(
        "footprint: total={} queues={queues} nodes={nodes} graph={graph_struct} capacity={DEFAULT_CAPACITY} node_table={}",
        queues + nodes + graph_struct,
        size_of_val(NODES),
    );
    ensure_eq!(sum, 0);
    Outcome::Pass
}
