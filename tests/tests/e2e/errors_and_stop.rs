//! Fallible nodes stop the run and `pipeline!` returns the first error; a sink can stop the run
//! early. Either way: no thread and no item left behind, and the next run works.

use crate::common::{watchdog, Counters, Tracked, THREADS};
use para_std::pipeline;
use std::ops::ControlFlow;

#[derive(Debug, PartialEq)]
struct Bad(i64);

#[test]
fn the_first_error_is_returned_and_nothing_leaks() {
    for threads in THREADS {
        for at in [0i64, 500, 9_999] {
            let counters = Counters::new();
            let mut seen = 0usize;
            let result = watchdog(60, || {
                pipeline!(threads, capacity = 2, (0..10_000).map(|i| counters.item(i))
                          => try |t: Tracked| if t.value == at { Err(Bad(t.value)) } else { Ok(t) }
                          => (|t: Tracked| t, |t: Tracked| t)
                          => |_t: Tracked| seen += 1)
            });
            assert_eq!(result, Err(Bad(at)), "threads={threads} at={at}");
            assert!(seen < 20_000, "the run went on after the error");
            assert_eq!(counters.live(), 0, "leak: threads={threads} at={at}");
            assert_eq!(counters.drops(), counters.created() + counters.clones());
        }
    }
}

#[test]
fn without_errors_a_fallible_pipeline_returns_ok() {
    for threads in THREADS {
        let mut sum = 0i64;
        let result: Result<(), std::num::ParseIntError> = watchdog(30, || {
            pipeline!(threads, (0..1_000).map(|i| i.to_string())
                      => try |s: String| s.parse::<i64>()
                      => |x| sum += x)
        });
        assert_eq!(result, Ok(()));
        assert_eq!(sum, (0..1_000).sum::<i64>());
    }
}

#[test]
fn a_fallible_sink_stops_the_run() {
    for threads in THREADS {
        let mut written = Vec::new();
        let result = watchdog(30, || {
            pipeline!(threads, 0..100_000u32
                      => |x| x * 2
                      => try |x| if written.len() == 10 { Err(format!("disk full at {x}")) } else { written.push(x); Ok(()) })
        });
        assert!(
            matches!(&result, Err(msg) if msg.starts_with("disk full")),
            "{result:?}"
        );
        assert_eq!(written.len(), 10);
    }
}

#[test]
fn errors_from_several_nodes_share_one_type() {
    watchdog(30, || {
        let result = pipeline!(2, 0..1_000i64
                               => try |x| if x == 700 { Err(Bad(x)) } else { Ok(x) }
                               => serial try |x| if x == 900 { Err(Bad(-x)) } else { Ok(x) }
                               => |_x| {});
        assert!(
            matches!(result, Err(Bad(700)) | Err(Bad(-900))),
            "{result:?}"
        );
    });
}

#[test]
fn a_sink_stops_the_run_early_find_first() {
    for threads in THREADS {
        let counters = Counters::new();
        let mut found = None;
        let mut consumed = 0u64;
        watchdog(60, || {
            pipeline!(threads, capacity = 1, (0..1_000_000).map(|i| counters.item(i))
            => |t: Tracked| t
            => |t: Tracked| {
                assert!(found.is_none(), "the sink was called after it asked to stop");
                consumed += 1;
                if t.value % 1_000 == 999 {
                    found = Some(t.value);
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            });
        });
        let found = found.expect("the sink saw a match");
        assert_eq!(found % 1_000, 999);
        assert!(
            consumed < 10_000,
            "threads={threads}: the run went on ({consumed} items)"
        );
        assert_eq!(counters.live(), 0, "threads={threads}");
        // The next run in the same process works.
        let mut sum = 0u64;
        pipeline!(threads, 0..100u64 => |x| x => |x| sum += x);
        assert_eq!(sum, 4_950);
    }
}

#[test]
fn upstream_failure_while_downstream_sleeps() {
    // The sink is idle (sleeping worker) while the source fails through a fallible first stage.
    for threads in THREADS {
        let result = watchdog(30, || {
            pipeline!(threads, capacity = 1, 0..1_000_000u64
                      => try |x| if x == 3 { Err("boom") } else { Ok(x) }
                      => |_x| std::thread::sleep(std::time::Duration::from_micros(50)))
        });
        assert_eq!(result, Err("boom"));
    }
}
