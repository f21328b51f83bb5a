//! Priorities, shown with deterministic single-worker runs that record the order nodes ran in.

use crate::common::watchdog;
use para_std::pipeline;
use std::sync::Mutex;

/// Runs a fan-out into two branches, `h` and `l`, with the given priorities, on one worker, and
/// returns the order in which the branches saw items.
fn branch_order(high_first: bool) -> String {
    let log = Mutex::new(String::new());
    let record = |tag: char| log.lock().unwrap().push(tag);
    if high_first {
        pipeline!(1, capacity = 4, 0..8
                  => (priority(3) |x: i32| { record('h'); x }, priority(0) |x: i32| { record('l'); x })
                  => |_x| {});
    } else {
        pipeline!(1, capacity = 4, 0..8
                  => (priority(0) |x: i32| { record('h'); x }, priority(3) |x: i32| { record('l'); x })
                  => |_x| {});
    }
    log.into_inner().unwrap()
}

#[test]
fn a_higher_priority_branch_runs_first() {
    watchdog(30, || {
        assert_eq!(branch_order(true), "hhhhllllhhhhllll");
        assert_eq!(branch_order(false), "llllhhhhllllhhhh");
    });
}

#[test]
fn by_default_serial_stages_drain_before_parallel_ones_refill() {
    // One worker, a chain source => parallel => serial => sink: the serial stage (the usual
    // bottleneck) runs as soon as it has items, so its queue never holds more than a batch.
    watchdog(30, || {
        let log = Mutex::new(String::new());
        let mut sunk = 0;
        pipeline!(1, capacity = 8, 0..24
                  => |x: i32| { log.lock().unwrap().push('p'); x }
                  => serial |x: i32| { log.lock().unwrap().push('s'); x }
                  => |_x| sunk += 1);
        assert_eq!(sunk, 24);
        assert_eq!(log.into_inner().unwrap(), "ppppppppssssssss".repeat(3));
    });
}
