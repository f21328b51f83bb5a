//! `serial flat_map`: an `FnMut` flat-map, one input at a time. Its state needs no
//! synchronisation, one input's outputs leave before the next input's, and a million outputs
//! from one input keep memory bounded, as with the parallel `flat_map`.

use crate::common::{run, watchdog, Counters, Tracked, THREADS};
use para_std::pipeline;

const N: i64 = 5_000;

#[test]
fn serial_flat_map_matches_the_reference_and_its_state_needs_no_lock() {
    let mut expected: Vec<i64> = (0..N)
        .flat_map(|x| (0..x % 7).map(move |i| 100 * x + i))
        .collect();
    expected.sort_unstable();
    for threads in THREADS {
        for capacity_one in [false, true] {
            let counters = Counters::new();
            let (mut out, calls, inputs) = watchdog(60, || {
                // Plain locals, mutated by the closure: `FnMut`, one worker at a time.
                let (mut calls, mut inputs) = (0usize, 0i64);
                let mut out = Vec::new();
                run!(threads, capacity_one, (0..N).map(|i| counters.item(i))
                     => |t: Tracked| t.map(|v| v)
                     => serial flat_map |t: Tracked| {
                         calls += 1;
                         inputs += t.value;
                         let (v, counters) = (t.value, t.counters());
                         (0..v % 7).map(move |i| counters.item(100 * v + i))
                     }
                     => |t: Tracked| t
                     => |t: Tracked| out.push(t.value));
                (out, calls, inputs)
            });
            let what = format!("threads={threads} capacity_one={capacity_one}");
            assert_eq!(calls, N as usize, "{what}");
            assert_eq!(inputs, (0..N).sum::<i64>(), "{what}");
            out.sort_unstable();
            assert_eq!(out, expected, "{what}");
            assert_eq!(counters.live(), 0, "leak: {what}");
        }
    }
}

#[test]
fn one_inputs_outputs_leave_before_the_next_inputs() {
    // Straight into a serial sink, the queue between them is FIFO with one producer at a time:
    // the sink sees each input's outputs as one run, in emission order.
    for threads in THREADS {
        for capacity_one in [false, true] {
            let seen = watchdog(60, || {
                let mut seen = Vec::new();
                run!(threads, capacity_one, 0..N
                     => |x| x
                     => serial flat_map |x: i64| (0..x % 9).map(move |i| (x, i))
                     => |pair| seen.push(pair));
                seen
            });
            let what = format!("threads={threads} capacity_one={capacity_one}");
            let mut inputs = Vec::new();
            for (k, &(x, i)) in seen.iter().enumerate() {
                if i == 0 {
                    inputs.push(x);
                } else {
                    assert_eq!(seen[k - 1], (x, i - 1), "interleaved outputs: {what}");
                }
            }
            for x in &inputs {
                assert_eq!(seen.iter().filter(|p| p.0 == *x).count() as i64, x % 9);
            }
            inputs.sort_unstable();
            let expected: Vec<i64> = (0..N).filter(|x| x % 9 != 0).collect();
            assert_eq!(inputs, expected, "{what}");
        }
    }
}

#[test]
fn a_million_outputs_from_one_input_stay_bounded() {
    const CAPACITY: usize = 8;
    for threads in THREADS {
        let counters = Counters::new();
        let mut seen = 0u64;
        let mut expansions = 0;
        watchdog(120, || {
            pipeline!(threads, capacity = 8, 0..2i64
                      => serial flat_map |x| {
                          expansions += 1;
                          (0..1_000_000).map(move |i| counters.item(x * 1_000_000 + i))
                      }
                      => |t: Tracked| t
                      => |_t: Tracked| seen += 1);
        });
        assert_eq!(seen, 2_000_000);
        assert_eq!(expansions, 2);
        assert_eq!(counters.live(), 0);
        // Outputs exist only in the two queues after the flat-map.
        assert!(
            counters.peak() <= 2 * CAPACITY,
            "threads={threads}: peak {}",
            counters.peak()
        );
    }
}

#[test]
fn a_serial_flat_map_into_a_fan_out_and_nothing_leaks() {
    for threads in THREADS {
        let counters = Counters::new();
        let mut seen = 0usize;
        watchdog(60, || {
            pipeline!(threads, capacity = 1, 0..500i64
                      => serial flat_map |x| (0..x % 5).map(move |i| counters.item(x + i))
                      => (|t: Tracked| t, filter |t: &Tracked| t.value % 2 == 0)
                      => |_t: Tracked| seen += 1);
        });
        let outputs: Vec<i64> = (0..500)
            .flat_map(|x| (0..x % 5).map(move |i| x + i))
            .collect();
        assert_eq!(
            seen,
            outputs.len() + outputs.iter().filter(|v| *v % 2 == 0).count()
        );
        assert_eq!(counters.live(), 0, "threads={threads}");
    }
}

#[test]
fn a_serial_try_flat_map_error_stops_a_long_expansion() {
    // One input at a time: input 1's error comes after input 0's million outputs were all
    // emitted, and stops the run before input 2 is expanded.
    for threads in THREADS {
        let counters = Counters::new();
        let mut seen = 0u64;
        let result = watchdog(60, || {
            pipeline!(threads, capacity = 4, 0..3i64
                      => serial try flat_map |x| if x == 1 {
                          Err(format!("bad input {x}"))
                      } else {
                          Ok((0..1_000_000).map(move |i| counters.item(i)))
                      }
                      => |_t: Tracked| seen += 1)
        });
        assert_eq!(result, Err("bad input 1".to_owned()), "threads={threads}");
        assert_eq!(counters.created(), 1_000_000, "threads={threads}");
        assert!(seen <= 1_000_000, "threads={threads}");
        assert_eq!(counters.live(), 0, "threads={threads}");
    }
}
