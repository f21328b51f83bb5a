//! Stages that read a flat-map's stream and whose outputs another ordered stage `h` sees per
//! input of them: where the flat-map's outputs also reach `h` beside the reader
//! (`src => (flat_map f, g) => (ordered t, k) => ordered h`), or two readers read one flat-map
//! (`=> (ordered t1, ordered t2) => ordered h`), `h` sees, per output `y` of `f`, what each
//! branch made of `y`, branch by branch — the depth-first order. And a stream no path brings
//! to `h` (`(flat_map e => (flat_map f, flat_map g) => m, k) => ordered h`) is read through
//! holes. These graphs once hung: the random graphs found them.

use crate::common::{expand, expanded, reference, run, watchdog, Counters, Tracked, THREADS};

const N: i64 = 1_000;

/// Three outputs per input: `3v`, `3v + 1`, `3v + 2`.
fn triple_of(t: Tracked) -> [Tracked; 3] {
    let (c, v) = (t.counters(), t.value);
    [c.item(3 * v), c.item(3 * v + 1), c.item(3 * v + 2)]
}

#[test]
fn a_reader_beside_the_flat_map_it_reads() {
    for threads in THREADS {
        for capacity_one in [false, true] {
            let counters = Counters::new();
            let out = watchdog(60, || {
                let mut out = Vec::new();
                run!(threads, capacity_one, (0..N).map(|i| counters.item(i))
                     => (flat_map expand, |t: Tracked| t.map(|v| -v))
                     => (ordered |t: Tracked| t.map(|v| 2 * v), |t: Tracked| t)
                     => ordered |t: Tracked| out.push(t.value));
                out
            });
            let each = |y: i64| vec![2 * y, y];
            let branch = |x: i64| expanded(x).into_iter().flat_map(each).collect();
            let expected = reference(0..N, &[&branch, &|x| each(-x)]);
            assert_eq!(
                out, expected,
                "threads={threads} capacity_one={capacity_one}"
            );
            assert_eq!(counters.live(), 0);
        }
    }
}

#[test]
fn two_readers_of_one_flat_map() {
    for threads in THREADS {
        for capacity_one in [false, true] {
            let counters = Counters::new();
            let out = watchdog(60, || {
                let mut out = Vec::new();
                run!(threads, capacity_one, (0..N).map(|i| counters.item(i))
                     => (flat_map expand, serial |t: Tracked| t.map(|v| -v))
                     => (ordered |t: Tracked| t.map(|v| 2 * v),
                         ordered filter_map |t: Tracked| (t.value % 3 != 0).then(|| t.map(|v| 3 * v)))
                     => ordered |t: Tracked| out.push(t.value));
                out
            });
            let each = |y: i64| {
                let mut made = vec![2 * y];
                made.extend((y % 3 != 0).then_some(3 * y));
                made
            };
            let branch = |x: i64| expanded(x).into_iter().flat_map(each).collect();
            let expected = reference(0..N, &[&branch, &|x| each(-x)]);
            assert_eq!(
                out, expected,
                "threads={threads} capacity_one={capacity_one}"
            );
            assert_eq!(counters.live(), 0);
        }
    }
}

#[test]
fn a_stream_whose_branches_met_before_the_ordered_stage() {
    for threads in THREADS {
        for capacity_one in [false, true] {
            let counters = Counters::new();
            let out = watchdog(60, || {
                let mut out = Vec::new();
                run!(threads, capacity_one, (0..N).map(|i| counters.item(i))
                     => (flat_map expand
                            => (flat_map triple_of, flat_map |t: Tracked| [t.map(|v| -v)])
                            => |t: Tracked| t.map(|v| v + 1),
                         |t: Tracked| t.map(|v| v + 1_000_000))
                     => ordered |t: Tracked| out.push(t.value));
                out
            });
            let each = |y: i64| {
                let mut made: Vec<i64> = [3 * y, 3 * y + 1, 3 * y + 2].to_vec();
                made.push(-y);
                made.into_iter().map(|v| v + 1).collect::<Vec<_>>()
            };
            let branch = |x: i64| expanded(x).into_iter().flat_map(each).collect();
            let expected = reference(0..N, &[&branch, &|x| vec![x + 1_000_000]]);
            assert_eq!(
                out, expected,
                "threads={threads} capacity_one={capacity_one}"
            );
            assert_eq!(counters.live(), 0);
        }
    }
}

#[test]
fn two_readers_of_one_flat_map_one_followed_by_a_flat_map() {
    for threads in THREADS {
        for capacity_one in [false, true] {
            let counters = Counters::new();
            let out = watchdog(60, || {
                let mut out = Vec::new();
                run!(threads, capacity_one, (0..N).map(|i| counters.item(i))
                     => (flat_map expand, ordered |t: Tracked| t.map(|v| -v))
                     => (ordered |t: Tracked| t.map(|v| 2 * v),
                         ordered |t: Tracked| t.map(|v| v + 1) => flat_map expand)
                     => ordered |t: Tracked| out.push(t.value));
                out
            });
            let each = |y: i64| {
                let mut made = vec![2 * y];
                made.extend(expanded(y + 1));
                made
            };
            let branch = |x: i64| expanded(x).into_iter().flat_map(each).collect();
            let expected = reference(0..N, &[&branch, &|x| each(-x)]);
            assert_eq!(
                out, expected,
                "threads={threads} capacity_one={capacity_one}"
            );
            assert_eq!(counters.live(), 0);
        }
    }
}
