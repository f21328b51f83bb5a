//! `stats = &mut Stats` and `progress = hook`: what a run counts, checked against what the
//! pipeline did. The counts must add up along every edge (a node takes in what the nodes before
//! it gave out), the times must name the stage that holds the run back, and the progress hook
//! must see every item that reaches a sink.

use crate::common::watchdog;
use crate::dot::renders;
use para_std::{pipeline, NodeKind, RunStats, Stats};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::thread::sleep;
use std::time::Duration;

/// Every node takes in what the nodes before it gave out (each branch of a fan-out gets every
/// item; a merge gets the sum), sinks give out nothing, and the workers' steps are the nodes'.
fn assert_flow_conserved(stats: &Stats) {
    let nodes = RunStats::nodes(stats);
    for (i, info) in nodes.iter().enumerate() {
        let node = stats.node(i as u16);
        if info.kind() != NodeKind::Source {
            let given: u64 = info.preds().iter().map(|&p| stats.node(p).items_out).sum();
            assert_eq!(node.items_in, given, "node {i} `{}`:\n{stats}", node.name);
        }
        if matches!(info.kind(), NodeKind::Sink | NodeKind::ParallelSink) {
            assert_eq!(node.items_out, 0, "sink {i}:\n{stats}");
        }
        if node.items_in > 0 || node.items_out > 0 {
            assert!(node.steps > 0, "node {i} moved items in no step:\n{stats}");
        }
    }
    let node_steps: u64 = stats.nodes().map(|n| n.steps).sum();
    let worker_steps: u64 = (0..stats.workers()).map(|w| stats.worker(w).steps).sum();
    assert_eq!(node_steps, worker_steps, "{stats}");
}

#[test]
fn the_counts_add_up_along_every_edge() {
    for threads in [1, 2, 8] {
        watchdog(60, || {
            let mut stats = Stats::new();
            let (mut kept, mut words) = (0u64, 0u64);
            let total = pipeline!(threads, stats = &mut stats,
            0..10_000u64 => filter |x| x % 3 != 0 => (
                |x| x * 2 => serial |x| kept += x,
                flat_map |x| 0..x % 4 => serial |_w| words += 1,
                reduce(|| 0u64, |a, b| a + b),
            ));
            let passing = (0..10_000u64).filter(|x| x % 3 != 0);
            let expected_words: u64 = passing.clone().map(|x| x % 4).sum();
            assert_eq!(words, expected_words);
            assert_eq!(total, passing.clone().sum::<u64>());
            assert_flow_conserved(&stats);
            let filter = stats
                .node_named("|x| x % 3 != 0")
                .expect("the filter is a node");
            assert_eq!(filter.items_in, 10_000, "{stats}");
            assert_eq!(filter.items_out, passing.clone().count() as u64, "{stats}");
            let flat = stats
                .node_named("|x| 0..x % 4")
                .expect("the flat-map is a node");
            assert_eq!(flat.items_out, expected_words, "{stats}");
            assert_eq!(stats.workers(), threads);
        });
    }
}

#[test]
fn the_counts_add_up_through_ordered_stages_and_merges() {
    watchdog(60, || {
        let mut stats = Stats::new();
        let mut seen = Vec::new();
        pipeline!(4, stats = &mut stats,
            (0..3000u32, 5000..6000u32) => |x| x + 1 => ordered |x| seen.push(x));
        assert_eq!(seen.len(), 4000);
        assert_flow_conserved(&stats);
        let sink = stats.node_named("|x| seen.push(x)").unwrap();
        assert_eq!(sink.items_in, 4000, "{stats}");
    });
}

#[test]
fn the_slow_stage_is_the_most_loaded() {
    watchdog(60, || {
        let mut stats = Stats::new();
        let mut last = 0;
        pipeline!(4, stats = &mut stats,
            0..300u32 => |x| x + 1 => serial |x| { sleep(Duration::from_micros(300)); x }
                => serial |x| last = last.max(x));
        assert_eq!(last, 300);
        let slow = stats
            .nodes()
            .position(|n| n.name.contains("sleep"))
            .unwrap();
        assert_eq!(stats.bottleneck(), Some(slow as u16), "{stats}");
        // One worker at a time is inside a serial stage that waits: its load is close to 1,
        // and its busy time at least its calls' sleeps.
        let load = stats.load(slow as u16).unwrap();
        assert!(load > 0.5 && load <= 1.01, "load {load}:\n{stats}");
        assert!(stats.node(slow as u16).busy >= 300 * 300_000, "{stats}");
        assert!(stats.wall() >= Duration::from_millis(90), "{stats}");
        // The fast stage before it ran into its full queue.
        renders(&stats.dot());
        assert!(stats.dot().contains("fillcolor"), "{}", stats.dot());
    });
}

#[test]
fn a_parallel_stage_that_waits_has_every_worker_inside() {
    for threads in [8, 32] {
        watchdog(60, || {
            let mut stats = Stats::new();
            let done = AtomicUsize::new(0);
            pipeline!(threads, stats = &mut stats,
                0..(threads as u32 * 20) => |x| { sleep(Duration::from_millis(8)); x }
                    => |_x| { done.fetch_add(1, Ordering::Relaxed); });
            let stage = stats
                .nodes()
                .position(|n| n.name.contains("sleep"))
                .unwrap();
            // Each worker spends its time inside the stage: the load counts them.
            let load = stats.load(stage as u16).unwrap();
            assert!(
                load > threads as f64 / 2.0,
                "{threads} threads, load {load}:\n{stats}"
            );
        });
    }
}

#[test]
fn a_full_queue_shows_as_blocked_steps_upstream() {
    watchdog(60, || {
        let mut stats = Stats::new();
        let mut n = 0;
        pipeline!(2, capacity = 4, stats = &mut stats,
            0..200u32 => serial |x| { sleep(Duration::from_micros(200)); x } => serial |_x| n += 1);
        assert_eq!(n, 200);
        let source = stats.node(0);
        assert!(source.blocked > 0, "{stats}");
        assert!(stats.node(1).queue_peak <= 4, "{stats}");
    });
}

#[test]
fn each_run_starts_from_zero() {
    let mut stats = Stats::new();
    for run in 1..=3u64 {
        let mut sum = 0;
        pipeline!(2, stats = &mut stats, 0..run * 100 => serial |x| sum += x);
        assert_eq!(stats.node(1).items_in, run * 100, "run {run}:\n{stats}");
    }
}

#[test]
fn progress_sees_every_item_that_reaches_a_sink() {
    for threads in [1, 4] {
        watchdog(60, || {
            let reported = AtomicUsize::new(0);
            let calls = AtomicUsize::new(0);
            let sunk = Mutex::new(0usize);
            // Two sinks (a fan-out): every item is reported at each.
            pipeline!(threads, progress = |n| {
                reported.fetch_add(n, Ordering::Relaxed);
                calls.fetch_add(1, Ordering::Relaxed);
            },
            0..5000u32 => (
                |_x| *sunk.lock().unwrap() += 1,
                filter |x| x % 2 == 0 => |_x| *sunk.lock().unwrap() += 1,
            ));
            let sunk = *sunk.lock().unwrap();
            assert_eq!(sunk, 7500);
            assert_eq!(reported.load(Ordering::Relaxed), sunk);
            // Reported as it goes, a step at a time, not once at the end.
            assert!(calls.load(Ordering::Relaxed) > 10);
        });
    }
}

#[test]
fn progress_reports_fold_sinks_during_the_run() {
    watchdog(60, || {
        let seen_during = AtomicUsize::new(0);
        let reported = AtomicUsize::new(0);
        let total = pipeline!(2, progress = |n| {
                let before = reported.fetch_add(n, Ordering::Relaxed);
                if before > 0 && before + n < 20_000 {
                    seen_during.fetch_add(1, Ordering::Relaxed);
                }
            },
            0..20_000u64 => flat_map |x| [x, x] => fold(|| 0u64, |a, x| a + x, |a, b| a + b));
        assert_eq!(total, 2 * (0..20_000u64).sum::<u64>());
        // A flat-map fused into a fold sink reports its inputs.
        assert_eq!(reported.load(Ordering::Relaxed), 20_000);
        assert!(seen_during.load(Ordering::Relaxed) > 0);
    });
}

/// The trace-event JSON of `stats`, parsed; asserts it is an object with a `traceEvents` array.
fn trace_events(stats: &Stats) -> Vec<serde_json::Value> {
    let mut json = Vec::new();
    stats.write_trace(&mut json).expect("writes into memory");
    let value: serde_json::Value = serde_json::from_slice(&json).expect("the trace is JSON");
    value["traceEvents"]
        .as_array()
        .expect("a traceEvents array")
        .clone()
}

fn of_category<'a>(
    events: &'a [serde_json::Value],
    cat: &'a str,
) -> impl Iterator<Item = &'a serde_json::Value> + 'a {
    events.iter().filter(move |e| e["cat"] == cat)
}

#[test]
fn the_trace_has_a_span_per_step_and_a_mark_per_steal_and_sleep() {
    for threads in [1, 4] {
        watchdog(60, || {
            let mut stats = Stats::new().with_trace(1 << 20);
            let mut n = 0;
            pipeline!(threads, stats = &mut stats,
                0..3000u32 => |x| { if x % 100 == 0 { sleep(Duration::from_micros(300)) } x }
                    => filter |x| x % 3 == 0 => serial |_x| n += 1);
            assert_eq!(n, 1000);
            assert_eq!(stats.trace_dropped(), 0);
            let events = trace_events(&stats);
            let steps: Vec<_> = of_category(&events, "step").collect();
            let total_steps: u64 = stats.nodes().map(|node| node.steps).sum();
            assert_eq!(steps.len() as u64, total_steps, "{stats}");
            // Each span names its node, counts its items, and sits on a worker's row.
            for node in 0..RunStats::nodes(&stats).len() {
                let named = steps
                    .iter()
                    .filter(|e| e["args"]["node"] == node)
                    .inspect(|e| assert_eq!(e["name"], stats.node(node as u16).name))
                    .count();
                assert_eq!(named as u64, stats.node(node as u16).steps);
            }
            let items: u64 = steps
                .iter()
                .map(|e| e["args"]["items"].as_u64().unwrap())
                .sum();
            let counted: u64 = stats.nodes().map(|n| n.items_in + n.items_out).sum();
            assert_eq!(items, counted);
            for e in &steps {
                assert!(e["tid"].as_u64().unwrap() < threads as u64);
                assert!(e["dur"].as_f64().unwrap() >= 0.0 && e["ts"].as_f64().unwrap() >= 0.0);
            }
            let steals: u64 = (0..threads).map(|w| stats.worker(w).steals).sum();
            let sleeps: u64 = (0..threads).map(|w| stats.worker(w).sleeps).sum();
            assert_eq!(of_category(&events, "steal").count() as u64, steals);
            assert_eq!(of_category(&events, "sleep").count() as u64, sleeps);
            // A row name per worker.
            let rows = events.iter().filter(|e| e["name"] == "thread_name").count();
            assert_eq!(rows, threads);
        });
    }
}

#[test]
fn the_trace_keeps_the_last_events_of_each_worker() {
    watchdog(60, || {
        let mut stats = Stats::new().with_trace(8);
        let mut n = 0;
        pipeline!(2, stats = &mut stats, 0..20_000u32 => |x| x + 1 => serial |_x| n += 1);
        let events = trace_events(&stats);
        let kept = events.iter().filter(|e| e["ph"] != "M").count();
        assert!(kept <= 16, "{kept} events kept");
        let steps: u64 = stats.nodes().map(|node| node.steps).sum();
        assert!(stats.trace_dropped() > 0);
        assert!(stats.trace_dropped() + kept as u64 >= steps);
    });
}

#[test]
fn stats_without_a_trace_say_so() {
    let mut stats = Stats::new();
    let mut n = 0;
    pipeline!(2, stats = &mut stats, 0..10 => serial |_x| n += 1);
    let error = stats.write_trace(Vec::new()).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    assert!(error.to_string().contains("with_trace"), "{error}");
}

#[test]
fn waits_show_who_waits_on_whom() {
    watchdog(60, || {
        let mut stats = Stats::new();
        let mut sum = 0u64;
        // A fast source and stage before a slow serial stage, a fast sink after it.
        pipeline!(4, capacity = 8, stats = &mut stats,
            0..600u64 => |x| x * 2
                => serial |x| { sleep(Duration::from_micros(500)); x }
                => serial |x| sum += x);
        assert_eq!(sum, (0..600u64).map(|x| x * 2).sum::<u64>());
        let wall = RunStats::wall(&stats);
        let slow = stats
            .nodes()
            .position(|n| n.name.contains("sleep"))
            .unwrap();
        let (before, slow, after) = (stats.node(0), stats.node(slow as u16), stats.node(3));
        // Upstream of the slow stage, outputs are full most of the run; the slow stage itself
        // neither waits for room nor, much, for items; the sink after it waits for items.
        assert!(before.waited_full > wall / 2, "{stats}");
        assert!(slow.waited_full < wall / 10, "{stats}");
        assert!(slow.waited_empty < wall / 3, "{stats}");
        assert!(after.waited_empty > wall / 2, "{stats}");
        assert!(
            after.waited_full == 0 && after.waited_empty <= wall,
            "{stats}"
        );
    });
}
