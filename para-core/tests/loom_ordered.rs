//! loom models of an ordered stage's credits: a split source stepped by two workers at once, a
//! parallel stage, and an ordered sink; two ordered stages, the first producing into the
//! second's window; ordered sinks in sibling branches, the source taking credits in both
//! windows; a flat-map in a branch read by the ordered sink as a stream; and one that fills
//! its stream per source, with two sources. Wired as `pipeline!` wires them and run by the
//! real node steps
//! (`run_source`, `run_parallel`, `run_ordered`). Run it with `scripts/loom.sh`, or:
//!
//! ```text
//! RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom \
//!     cargo test -p para-core --release --test loom_ordered -- --nocapture --test-threads=1
//! ```
//!
//! The model follows the rules of `tests/loom.rs` (every actor spawned, execution count
//! printed and checked, a broken variant that must fail); its harness is a copy of the part of
//! that file's it needs, so that each file builds on its own.
#![cfg(loom)]

use std::ops::Range;
use std::sync::atomic::AtomicUsize as StdAtomicUsize;
use std::sync::atomic::Ordering as StdOrdering;

use loom::sync::{Condvar, Mutex};
use loom::thread;
use para_core::raw::{
    parallel_map, run_ordered, run_ordered_flat_map, run_parallel, run_source, serial_flat_map,
    serial_map, sink, tag, untag, CreditSender, OrderedEdge, RenumberSender, Stream, Ty,
};
use para_core::{
    raw::{Discard, Edge, Numbered, OrderedBuffer, Queue, Sender, SplitNode, Tagged},
    Cx, Graph, NodeId, NodeInfo, NodeKind, Scheduler,
};

mod loom_harness;
#[allow(unused_imports)] // each file uses part of the harness
use loom_harness::{check, join_all, Arc};

// ------------------------------------------------------------------------------------------
// A scheduler that keeps the contract of `graph.rs` and nothing more

const SOURCE: NodeId = 0;
const STAGE: NodeId = 1;
const ORDERED: NodeId = 2;
/// The most nodes of a model (the per-source stream model has five).
const NODES: usize = 5;

/// One pending token per node (a notified node whose token is pending needs no second one:
/// the pending run comes after the notification), and whether the run ended. A worker waits
/// for a token of its node; a lost wake-up leaves every worker waiting, which loom reports as
/// a deadlock.
struct Tokens {
    state: Mutex<([bool; NODES], bool)>,
    changed: Condvar,
}

impl Tokens {
    fn new() -> Self {
        Self::starting(&[SOURCE]) // the run starts at the source
    }

    /// Tokens for `sources`, where the run starts.
    fn starting(sources: &[NodeId]) -> Self {
        let mut pending = [false; NODES];
        for &source in sources {
            pending[usize::from(source)] = true;
        }
        Tokens {
            state: Mutex::new((pending, false)),
            changed: Condvar::new(),
        }
    }

    /// Waits for a token of one of `nodes`, the first first; `None` once the run has ended.
    fn take(&self, nodes: &[NodeId]) -> Option<NodeId> {
        let mut state = self.state.lock().unwrap();
        loop {
            if state.1 {
                return None;
            }
            for &node in nodes {
                if std::mem::take(&mut state.0[usize::from(node)]) {
                    return Some(node);
                }
            }
            state = self.changed.wait(state).unwrap();
        }
    }
}

struct ModelScheduler(Arc<Tokens>);

impl Scheduler for ModelScheduler {
    fn notify(&mut self, node: NodeId) {
        self.0.state.lock().unwrap().0[usize::from(node)] = true;
        self.0.changed.notify_all();
    }
    fn end(&mut self) {
        self.0.state.lock().unwrap().1 = true;
        self.0.changed.notify_all();
    }
}

/// Runs `graph` on one model thread per entry of `workers`, each stepping its nodes (the first
/// with a token first) until the run ends, and checks that the run finished.
fn run_on_workers<D>(graph: Graph<'static, D>, tokens: Arc<Tokens>, workers: [&'static [NodeId]; 3])
where
    D: Fn(NodeId, &mut Cx<'_>) -> bool + Send + Sync + 'static,
{
    let graph = Arc::new(graph);
    let handles: Vec<_> = workers
        .into_iter()
        .map(|nodes| {
            let (graph, tokens) = (graph.clone(), tokens.clone());
            thread::spawn(move || {
                let mut sched = ModelScheduler(tokens.clone());
                while let Some(node) = tokens.take(nodes) {
                    graph.run_node(node, &mut sched);
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    assert!(graph.is_finished(), "the run ended without finishing");
}

// ------------------------------------------------------------------------------------------
// The ordered window's credits

/// A sender with room for anything: under the broken variant's credits, so that `CreditSender`
/// reduces to taking and returning credits.
struct Unlimited;

impl<T> Sender<T> for Unlimited {
    const COPIES: usize = 1;
    fn reserve(&self, max: usize, _cx: &mut Cx<'_>) -> usize {
        max
    }
    fn unreserve(&self, _n: usize, _cx: &mut Cx<'_>) {}
    fn push(&self, _value: T) {
        unreachable!("only credits are taken through it")
    }
    fn notify(&self, _cx: &mut Cx<'_>) {}
}

/// Broken: the order `CreditSender::reserve` had before the fix. Credits first, then the queue's
/// room, and the credits the full queue left unused go back.
struct CreditsFirst<'b, S> {
    credits: CreditSender<&'b OrderedBuffer<usize, WINDOW, 1>, Unlimited>,
    inner: S,
}

impl<S: Sender<Tagged<usize>>> Sender<Tagged<usize>> for CreditsFirst<'_, S> {
    const COPIES: usize = S::COPIES;
    fn reserve(&self, max: usize, cx: &mut Cx<'_>) -> usize {
        let credits = Sender::<Tagged<usize>>::reserve(&self.credits, max, cx);
        if credits == 0 {
            return 0;
        }
        let room = self.inner.reserve(credits, cx);
        // THE BUG: gives credits back.
        Sender::<Tagged<usize>>::unreserve(&self.credits, credits - room, cx);
        room
    }
    fn unreserve(&self, n: usize, cx: &mut Cx<'_>) {
        Sender::<Tagged<usize>>::unreserve(&self.credits, n, cx);
        self.inner.unreserve(n, cx);
    }
    fn push(&self, value: Tagged<usize>) {
        self.inner.push(value);
    }
    fn notify(&self, cx: &mut Cx<'_>) {
        self.inner.notify(cx);
    }
}

const ITEMS: usize = 3;
const WINDOW: usize = 2;

const GRAPH: &[NodeInfo] = &[
    NodeInfo::new("0..3", NodeKind::Source, &[]),
    NodeInfo::new("|x| x", NodeKind::Parallel, &[SOURCE]),
    NodeInfo::new("ordered |x| seen.push(x)", NodeKind::Sink, &[STAGE]),
];

/// `pipeline!(capacity = 1, 0..3 => |x| x => ordered |x| …)` with a window of two credits, on
/// three workers: one steps the source, one the parallel stage and the source, one the ordered
/// sink. So two steps of the split source may run at once, as on para-std's workers (a source's
/// token cap is the worker count), and the worker whose release wakes the source may step it
/// itself. The queue's one slot and the two credits are all contended: the ordered stage can
/// return the credits of items 0 and 1 while the parallel stage still holds item 1's slot (it
/// releases it at the end of its step), so a source step may find credits but no room. With
/// the old order that step gives its credits back while the other source step, woken by the
/// release, finds none: the lost wake-up of `ordered.rs`'s module docs, in two preemptions.
///
/// Checks: the run finishes (no lost wake-up: loom reports a deadlock otherwise) and the sink
/// saw every item once, in order.
fn ordered_credits_model(credits_first: bool) {
    let seen = std::sync::Arc::new(StdAtomicUsize::new(0));
    let tokens = Arc::new(Tokens::new());
    let split = SplitNode::<Range<usize>, Numbered>::new(0..ITEMS);
    let queue = Queue::<Tagged<usize>, 1>::new();
    let window = OrderedBuffer::<usize, WINDOW, 1>::new();
    let stage = tag(parallel_map(Ty::<usize>::new(), |x: usize| x).0);
    let counted = seen.clone();
    let mut next = 0;
    let ordered = untag(sink(Ty::<usize>::new(), move |x: usize| {
        assert_eq!(x, next, "the ordered sink saw {x} when {next} was due");
        next += 1;
        counted.store(next, StdOrdering::Relaxed);
    }));
    let dispatch = move |node: NodeId, cx: &mut Cx<'_>| -> bool {
        match node {
            SOURCE if credits_first => {
                let out = CreditsFirst {
                    credits: CreditSender::new(&window, Unlimited),
                    inner: Edge::new(&queue, STAGE),
                };
                run_source(SOURCE, &split, out, cx)
            }
            SOURCE => {
                let out = CreditSender::new(&window, Edge::new(&queue, STAGE));
                run_source(SOURCE, &split, out, cx)
            }
            STAGE => {
                let out = OrderedEdge::new(&window, ORDERED, 0);
                run_parallel(STAGE, &queue, &stage, out, cx)
            }
            _ => run_ordered(ORDERED, &window, &(), &ordered, Discard, SOURCE, cx),
        }
    };
    run_on_workers(
        Graph::new(GRAPH, dispatch),
        tokens,
        [&[SOURCE], &[STAGE, SOURCE], &[ORDERED]],
    );
    assert_eq!(seen.load(StdOrdering::Relaxed), ITEMS, "items were lost");
}

#[test]
fn ordered_credits_wake_a_waiting_split_source() {
    check("ordered credits, split source on 2 workers", 2, || {
        ordered_credits_model(false)
    });
}

/// Broken: the source takes credits before the queue's room and gives back those the full
/// queue left unused, as `CreditSender::reserve` did before the fix (module docs of `ordered.rs`).
/// The other source step that found no credit meanwhile is never woken. (The copy gives them
/// back with `CreditSender::unreserve`, which leaves `wanted` set rather than taking it as the old
/// code did: giving credits back there is the bug, whoever takes the flag.)
#[test]
#[should_panic(expected = "deadlock")]
fn broken_ordered_credits_taken_before_room_lose_the_waiting_source() {
    check("BROKEN ordered credits: taken before room", 2, || {
        ordered_credits_model(true)
    });
}

// ------------------------------------------------------------------------------------------
// Two ordered stages: the first is the producer of the second's window

const CHAIN_SOURCE: NodeId = 0;
const FIRST: NodeId = 1;
const CHAIN_STAGE: NodeId = 2;
const SECOND: NodeId = 3;
/// Two items: the second needs the credit of the first back in the second window (three take
/// minutes to explore).
const CHAIN_ITEMS: usize = 2;

const CHAIN: &[NodeInfo] = &[
    NodeInfo::new("0..2", NodeKind::Source, &[]),
    NodeInfo::new("ordered |x| x", NodeKind::Serial, &[CHAIN_SOURCE]),
    NodeInfo::new("|x| x", NodeKind::Parallel, &[FIRST]),
    NodeInfo::new("ordered |x| seen.push(x)", NodeKind::Sink, &[CHAIN_STAGE]),
];

/// `pipeline!(capacity = 1, 0..2 => ordered |x| x => |x| x => ordered |x| …)` with windows of two
/// credits (the first) and one (the second), on three workers: one steps the source and the
/// first ordered stage, one the parallel stage and the first ordered stage, one the second
/// ordered stage. The first ordered stage numbers its outputs and takes the second window's
/// credits as a source does (`RenumberSender`), giving back every step the ones it did not use; the
/// second wakes it (`wakes`) when it returns credits. Checks: the run finishes (no lost
/// wake-up) and the second stage saw every item once, in order.
fn chained_credits_model(wakes: NodeId) {
    let seen = std::sync::Arc::new(StdAtomicUsize::new(0));
    let tokens = Arc::new(Tokens::new());
    let split = SplitNode::<Range<usize>, Numbered>::new(0..CHAIN_ITEMS);
    let first_window = OrderedBuffer::<usize, 2, 1>::new();
    let second_window = OrderedBuffer::<usize, 1, 1>::new();
    let queue = Queue::<Tagged<usize>, 1>::new();
    let first = untag(serial_map(Ty::<usize>::new(), |x: usize| x).0);
    let stage = tag(parallel_map(Ty::<usize>::new(), |x: usize| x).0);
    let counted = seen.clone();
    let mut next = 0;
    let second = untag(sink(Ty::<usize>::new(), move |x: usize| {
        assert_eq!(
            x, next,
            "the second ordered stage saw {x} when {next} was due"
        );
        next += 1;
        counted.store(next, StdOrdering::Relaxed);
    }));
    let dispatch = move |node: NodeId, cx: &mut Cx<'_>| -> bool {
        match node {
            CHAIN_SOURCE => {
                let out =
                    CreditSender::new(&first_window, OrderedEdge::new(&first_window, FIRST, 0));
                run_source(CHAIN_SOURCE, &split, out, cx)
            }
            FIRST => {
                let out = RenumberSender::new(
                    &second_window,
                    CreditSender::new(&second_window, Edge::new(&queue, CHAIN_STAGE)),
                );
                run_ordered(FIRST, &first_window, &(), &first, out, CHAIN_SOURCE, cx)
            }
            CHAIN_STAGE => {
                let out = OrderedEdge::new(&second_window, SECOND, 0);
                run_parallel(CHAIN_STAGE, &queue, &stage, out, cx)
            }
            _ => run_ordered(SECOND, &second_window, &(), &second, Discard, wakes, cx),
        }
    };
    run_on_workers(
        Graph::new(CHAIN, dispatch),
        tokens,
        [&[CHAIN_SOURCE, FIRST], &[CHAIN_STAGE, FIRST], &[SECOND]],
    );
    assert_eq!(
        seen.load(StdOrdering::Relaxed),
        CHAIN_ITEMS,
        "items were lost"
    );
}

#[test]
fn chained_ordered_stages_wake_their_producer() {
    check("ordered stage producing into another's window", 2, || {
        chained_credits_model(FIRST)
    });
}

/// Broken: the second window wakes the source instead of its producer, the first ordered
/// stage, which then waits for credits forever.
#[test]
#[should_panic(expected = "deadlock")]
fn broken_chained_credits_wake_the_wrong_node() {
    check("BROKEN chained ordered stages: wake the source", 2, || {
        chained_credits_model(CHAIN_SOURCE)
    });
}

// ------------------------------------------------------------------------------------------
// Ordered stages in sibling branches: the source takes a credit in both windows

const TWIN_STAGE: NodeId = 1;
const TWIN_A: NodeId = 2;
const TWIN_B: NodeId = 3;

const TWINS: &[NodeInfo] = &[
    NodeInfo::new("0..3", NodeKind::Source, &[]),
    NodeInfo::new("|x| x", NodeKind::Parallel, &[SOURCE]),
    NodeInfo::new("ordered |x| a.push(x)", NodeKind::Sink, &[TWIN_STAGE]),
    NodeInfo::new("ordered |x| b.push(x)", NodeKind::Sink, &[TWIN_STAGE]),
];

/// `pipeline!(capacity = 1, 0..3 => |x| x => (ordered |x| …, ordered |x| …))`, but with windows of
/// two credits (A) and one (B), on three workers: one steps the source, one the parallel stage
/// and the source, one both ordered sinks. A source step takes the queue's room, then B's
/// credits, then A's, and gives back what the next one could not match (`return_unused`,
/// leaving `wanted` alone): while one step holds B's credit another may find none, and the
/// first may then find A short and give B's back. Checks: the run finishes (no lost wake-up)
/// and each sink saw every item once, in order. With `both = false` the source takes credits
/// in A's window only, and B's one-slot window is overrun.
fn twin_windows_model(both: bool) {
    let (seen_a, seen_b) = (
        std::sync::Arc::new(StdAtomicUsize::new(0)),
        std::sync::Arc::new(StdAtomicUsize::new(0)),
    );
    let tokens = Arc::new(Tokens::new());
    let split = SplitNode::<Range<usize>, Numbered>::new(0..ITEMS);
    let queue = Queue::<Tagged<usize>, 1>::new();
    let window_a = OrderedBuffer::<usize, 2, 1>::new();
    let window_b = OrderedBuffer::<usize, 1, 1>::new();
    let stage = tag(parallel_map(Ty::<usize>::new(), |x: usize| x).0);
    let in_order = |seen: &std::sync::Arc<StdAtomicUsize>, name: &'static str| {
        let counted = seen.clone();
        let mut next = 0;
        untag(sink(Ty::<usize>::new(), move |x: usize| {
            assert_eq!(x, next, "ordered sink {name} saw {x} when {next} was due");
            next += 1;
            counted.store(next, StdOrdering::Relaxed);
        }))
    };
    let (sink_a, sink_b) = (in_order(&seen_a, "A"), in_order(&seen_b, "B"));
    let dispatch = move |node: NodeId, cx: &mut Cx<'_>| -> bool {
        match node {
            SOURCE if both => {
                // The pair form `pipeline!` emits (B's credits first, then A's).
                let edge = Edge::new(&queue, TWIN_STAGE);
                let out = CreditSender::new((&window_a, &window_b), edge);
                run_source(SOURCE, &split, out, cx)
            }
            SOURCE => {
                let out = CreditSender::new(&window_a, Edge::new(&queue, TWIN_STAGE));
                run_source(SOURCE, &split, out, cx)
            }
            TWIN_STAGE => {
                let out = (
                    OrderedEdge::new(&window_a, TWIN_A, 0),
                    OrderedEdge::new(&window_b, TWIN_B, 0),
                );
                run_parallel(TWIN_STAGE, &queue, &stage, out, cx)
            }
            TWIN_A => run_ordered(TWIN_A, &window_a, &(), &sink_a, Discard, SOURCE, cx),
            _ => run_ordered(TWIN_B, &window_b, &(), &sink_b, Discard, SOURCE, cx),
        }
    };
    run_on_workers(
        Graph::new(TWINS, dispatch),
        tokens,
        [&[SOURCE], &[TWIN_STAGE, SOURCE], &[TWIN_A, TWIN_B]],
    );
    assert_eq!(
        seen_a.load(StdOrdering::Relaxed),
        ITEMS,
        "items were lost (A)"
    );
    assert_eq!(
        seen_b.load(StdOrdering::Relaxed),
        ITEMS,
        "items were lost (B)"
    );
}

#[test]
fn a_source_feeding_two_windows_takes_credits_in_both() {
    check("ordered stages in sibling branches", 2, || {
        twin_windows_model(true)
    });
}

/// Broken: the source takes credits in A's window only; B's window of one slot is overrun (an
/// item lands in the slot of one not yet consumed).
#[test]
#[should_panic]
fn broken_twin_windows_with_credits_in_one_window_overrun_the_other() {
    check(
        "BROKEN sibling ordered stages: credits in one window",
        2,
        || twin_windows_model(false),
    );
}

// ------------------------------------------------------------------------------------------
// A flat-map in a fan-out branch: the ordered sink reads its outputs as a stream

const STREAM_FLAT_MAP: NodeId = 1;
const STREAM_OTHER: NodeId = 2;
const STREAM_SINK: NodeId = 3;
const STREAM_ITEMS: usize = 1;

const STREAMED: &[NodeInfo] = &[
    NodeInfo::new("0..1", NodeKind::Source, &[]),
    NodeInfo::new("flat_map |x| once(x)", NodeKind::Serial, &[SOURCE]),
    NodeInfo::new("|x| x + 100", NodeKind::Parallel, &[SOURCE]),
    NodeInfo::new(
        "ordered |x| seen.push(x)",
        NodeKind::Sink,
        &[STREAM_FLAT_MAP, STREAM_OTHER],
    ),
];

/// `pipeline!(capacity = 1, 0..1 => (flat_map |x| once(x), |x| x + 100) => ordered |x| …)` on
/// three workers (the source and the parallel stage, the flat-map, the ordered sink): the
/// flat-map runs in order and ends each input's outputs with an end marker in the sink's
/// stream window; the sink's own window lists the stream, then the other branch's part. All
/// windows hold one item, so the flat-map waits for a stream credit between its output and its
/// end marker, and the sink for the stream's outputs and the other branch. (Two items: 5.9M
/// executions, 20 minutes; one keeps the model in seconds.) Checks: the run finishes (no lost
/// wake-up) and the sink saw 0 then 100. With `ends = false` the flat-map sends
/// no end markers: the sink waits for one forever.
fn stream_model(ends: bool) {
    let seen = std::sync::Arc::new(StdAtomicUsize::new(0));
    let tokens = Arc::new(Tokens::new());
    let split = SplitNode::<Range<usize>, Numbered>::new(0..STREAM_ITEMS);
    let flat_map_window = OrderedBuffer::<usize, 1, 1>::new();
    let queue = Queue::<Tagged<usize>, 1>::new();
    let sink_window = OrderedBuffer::<usize, 1, 1>::with_order(&[0x80, 0]);
    let stream_window = OrderedBuffer::<usize, 1, 1>::new();
    let flat_map = untag(serial_flat_map(Ty::<usize>::new(), |x: usize| core::iter::once(x)).0);
    let other = tag(parallel_map(Ty::<usize>::new(), |x: usize| x + 100).0);
    let counted = seen.clone();
    let mut next = 0;
    let ordered = untag(sink(Ty::<usize>::new(), move |x: usize| {
        let due = [0, 100, 1, 101][next]; // item 0's outputs, then item 1's
        assert_eq!(x, due, "the ordered sink saw {x} when {due} was due");
        next += 1;
        counted.store(next, StdOrdering::Relaxed);
    }));
    let dispatch = move |node: NodeId, cx: &mut Cx<'_>| -> bool {
        match node {
            SOURCE => {
                let edges = (
                    OrderedEdge::new(&flat_map_window, STREAM_FLAT_MAP, 0),
                    Edge::new(&queue, STREAM_OTHER),
                );
                let out =
                    CreditSender::new(&flat_map_window, CreditSender::new(&sink_window, edges));
                run_source(SOURCE, &split, out, cx)
            }
            STREAM_FLAT_MAP if ends => {
                let edge = OrderedEdge::new(&stream_window, STREAM_SINK, 0);
                let out = RenumberSender::with_ends(
                    &stream_window,
                    CreditSender::new(&stream_window, edge),
                );
                run_ordered_flat_map(
                    STREAM_FLAT_MAP,
                    &flat_map_window,
                    &(),
                    &flat_map,
                    out,
                    SOURCE,
                    cx,
                )
            }
            STREAM_FLAT_MAP => {
                let edge = OrderedEdge::new(&stream_window, STREAM_SINK, 0);
                let out =
                    RenumberSender::new(&stream_window, CreditSender::new(&stream_window, edge));
                run_ordered_flat_map(
                    STREAM_FLAT_MAP,
                    &flat_map_window,
                    &(),
                    &flat_map,
                    out,
                    SOURCE,
                    cx,
                )
            }
            STREAM_OTHER => {
                let out = OrderedEdge::new(&sink_window, STREAM_SINK, 0);
                run_parallel(STREAM_OTHER, &queue, &other, out, cx)
            }
            _ => {
                let streams = (Stream::new(&stream_window, STREAM_FLAT_MAP), ());
                run_ordered(
                    STREAM_SINK,
                    &sink_window,
                    &streams,
                    &ordered,
                    Discard,
                    SOURCE,
                    cx,
                )
            }
        }
    };
    run_on_workers(
        Graph::new(STREAMED, dispatch),
        tokens,
        [&[SOURCE, STREAM_OTHER], &[STREAM_FLAT_MAP], &[STREAM_SINK]],
    );
    assert_eq!(
        seen.load(StdOrdering::Relaxed),
        2 * STREAM_ITEMS,
        "items were lost"
    );
}

#[test]
fn an_ordered_sink_reads_a_flat_map_branch_as_a_stream() {
    check("flat-map branch read as a stream", 2, || stream_model(true));
}

/// Broken: the flat-map sends no end markers, so the sink never leaves the stream's step.
#[test]
#[should_panic(expected = "deadlock")]
fn broken_stream_without_end_markers_never_ends() {
    check("BROKEN stream without end markers", 2, || {
        stream_model(false)
    });
}

// ------------------------------------------------------------------------------------------
// Two sources and a flat-map branch that fills its stream per source

const SOURCE_B: NodeId = 1;
const PER_SOURCE_FLAT_MAP: NodeId = 2;
const PER_SOURCE_OTHER: NodeId = 3;
const PER_SOURCE_SINK: NodeId = 4;

const PER_SOURCE: &[NodeInfo] = &[
    NodeInfo::new("0..1", NodeKind::Source, &[]),
    NodeInfo::new("10..11", NodeKind::Source, &[]),
    NodeInfo::new(
        "flat_map |x| once(x)",
        NodeKind::Serial,
        &[SOURCE, SOURCE_B],
    ),
    NodeInfo::new("|x| x + 100", NodeKind::Parallel, &[SOURCE, SOURCE_B]),
    NodeInfo::new(
        "ordered |x| seen.push(x)",
        NodeKind::Sink,
        &[PER_SOURCE_FLAT_MAP, PER_SOURCE_OTHER],
    ),
];

/// `pipeline!(capacity = 1, (0..1, 10..11) => (flat_map |x| once(x), |x| x + 100) => ordered
/// …)`, with the flat-map filling its stream per source, as `pipeline!` wires it when a second
/// flat-map branch joins (module docs of `ordered`, "Streams"): a
/// window per source everywhere, one parked input per source, credits in the stream window of
/// the source it expands (`CreditSender::per_source`). Three workers: the sources and the parallel
/// stage, the flat-map, the sink. Checks: the run finishes (no lost wake-up between the
/// per-source rounds and the sink's returns) and the sink sees each source's outputs in order
/// (x, then x + 100). With `per_source = false`, the flat-map parks one input for both
/// sources and reserves before it knows whose input it takes: credits of one source's window
/// cover an output put into the other's, whose slot may still be full.
fn per_source_stream_model(per_source: bool) {
    let seen = std::sync::Arc::new(StdAtomicUsize::new(0));
    let tokens = Arc::new(Tokens::starting(&[SOURCE, SOURCE_B]));
    let first = SplitNode::<Range<usize>, Numbered>::new(0..1);
    let second = SplitNode::<Range<usize>, Numbered>::new(10..11);
    let flat_map_window = OrderedBuffer::<usize, 1, 1, 2>::new();
    let queue = Queue::<Tagged<usize>, 1>::new();
    let sink_window = OrderedBuffer::<usize, 1, 1, 2>::with_order(&[0x80, 0]);
    let stream_window = OrderedBuffer::<usize, 1, 1, 2>::new();
    let flat_map = untag(serial_flat_map(Ty::<usize>::new(), |x: usize| core::iter::once(x)).0);
    let parked = flat_map.with_parking::<2>();
    let flat_map = untag(serial_flat_map(Ty::<usize>::new(), |x: usize| core::iter::once(x)).0);
    let other = tag(parallel_map(Ty::<usize>::new(), |x: usize| x + 100).0);
    let counted = seen.clone();
    let mut next = [0usize; 2];
    let ordered = untag(sink(Ty::<usize>::new(), move |x: usize| {
        let src = usize::from(x % 100 >= 10);
        let due = [[0, 100], [10, 110]][src][next[src]];
        assert_eq!(x, due, "the ordered sink saw {x} when {due} was due");
        next[src] += 1;
        counted.fetch_add(1, StdOrdering::Relaxed);
    }));
    let dispatch = move |node: NodeId, cx: &mut Cx<'_>| -> bool {
        let sources = |src: u16| {
            let edges = (
                OrderedEdge::new(&flat_map_window, PER_SOURCE_FLAT_MAP, 0),
                Edge::new(&queue, PER_SOURCE_OTHER),
            );
            CreditSender::for_source(
                &flat_map_window,
                src,
                CreditSender::for_source(&sink_window, src, edges),
            )
        };
        let stream = || {
            let edge = OrderedEdge::new(&stream_window, PER_SOURCE_SINK, 0);
            RenumberSender::with_ends(
                &stream_window,
                CreditSender::per_source(&stream_window, edge),
            )
        };
        match node {
            SOURCE => run_source(SOURCE, &first, sources(0), cx),
            SOURCE_B => run_source(SOURCE_B, &second, sources(1), cx),
            PER_SOURCE_FLAT_MAP if per_source => run_ordered_flat_map(
                PER_SOURCE_FLAT_MAP,
                &flat_map_window,
                &(),
                &parked,
                stream(),
                SOURCE,
                cx,
            ),
            PER_SOURCE_FLAT_MAP => run_ordered_flat_map(
                PER_SOURCE_FLAT_MAP,
                &flat_map_window,
                &(),
                &flat_map,
                stream(),
                SOURCE,
                cx,
            ),
            PER_SOURCE_OTHER => {
                let out = OrderedEdge::new(&sink_window, PER_SOURCE_SINK, 0);
                run_parallel(PER_SOURCE_OTHER, &queue, &other, out, cx)
            }
            _ => {
                let streams = (Stream::new(&stream_window, PER_SOURCE_FLAT_MAP), ());
                run_ordered(
                    PER_SOURCE_SINK,
                    &sink_window,
                    &streams,
                    &ordered,
                    Discard,
                    SOURCE,
                    cx,
                )
            }
        }
    };
    run_on_workers(
        Graph::new(PER_SOURCE, dispatch),
        tokens,
        [
            &[SOURCE, SOURCE_B, PER_SOURCE_OTHER],
            &[PER_SOURCE_FLAT_MAP],
            &[PER_SOURCE_SINK],
        ],
    );
    assert_eq!(seen.load(StdOrdering::Relaxed), 4, "items were lost");
}

#[test]
fn a_flat_map_branch_fills_its_stream_per_source() {
    check("flat-map branch filling its stream per source", 2, || {
        per_source_stream_model(true)
    });
}

/// Broken: one parking slot, credits per source taken before the source is known: the second
/// source's output goes into its window under a credit of the first's, and the sink reads that
/// source's other branch first.
#[test]
#[should_panic(expected = "was due")]
fn broken_per_source_credits_reserved_for_the_wrong_source() {
    check("BROKEN per-source credits, one parking slot", 2, || {
        per_source_stream_model(false)
    });
}
