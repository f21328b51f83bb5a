//! `try` combined with `filter`, `filter_map` and `flat_map` (parallel and `serial`): without
//! errors they match the sequential reference; the first `Err`, at the first, a middle or the
//! last item, is what `pipeline!` returns, and every item is dropped exactly once.

use crate::common::{run, watchdog, Counters, Tracked, THREADS};
use para_std::pipeline;

const N: i64 = 10_000;

#[derive(Debug, PartialEq)]
struct Bad(i64);

fn sorted(mut v: Vec<i64>) -> Vec<i64> {
    v.sort_unstable();
    v
}

/// Fails at `at` (never, if out of range), else keeps the multiples of 3.
fn keep(t: &Tracked, at: i64) -> Result<bool, Bad> {
    if t.value == at {
        Err(Bad(at))
    } else {
        Ok(t.value % 3 == 0)
    }
}

/// Fails at `at`, else doubles the items that are not multiples of 3 and drops the others.
fn halve(t: Tracked, at: i64) -> Result<Option<Tracked>, Bad> {
    match t.value {
        v if v == at => Err(Bad(at)),
        v if v % 3 == 0 => Ok(None),
        _ => Ok(Some(t.map(|v| v * 2))),
    }
}

/// Fails at `at`, else expands `v` into `v % 4` new items `10 v + i`, created lazily.
fn expand(t: Tracked, at: i64) -> Result<impl Iterator<Item = Tracked>, Bad> {
    let (v, counters) = (t.value, t.counters());
    if v == at {
        return Err(Bad(at));
    }
    Ok((0..v % 4).map(move |i| counters.item(10 * v + i)))
}

fn reference(form: &str) -> Vec<i64> {
    let all = 0..N;
    sorted(match form {
        "filter" => all.filter(|v| v % 3 == 0).collect(),
        "filter_map" => all.filter(|v| v % 3 != 0).map(|v| v * 2).collect(),
        _ => all
            .flat_map(|v| (0..v % 4).map(move |i| 10 * v + i))
            .collect(),
    })
}

/// Runs every form (`try filter`, `try filter_map`, `try flat_map`, parallel and serial) over
/// `0..N` as tracked items, failing at `at`; returns each form's result and sorted outputs.
fn run_all(
    threads: usize,
    capacity_one: bool,
    at: i64,
) -> Vec<(&'static str, Result<(), Bad>, Vec<i64>)> {
    let mut runs = Vec::new();
    for serial in [false, true] {
        for form in ["filter", "filter_map", "flat_map"] {
            let counters = Counters::new();
            let mut out = Vec::new();
            let source = (0..N).map(|i| counters.item(i));
            let sink = |t: Tracked| out.push(t.value);
            let result = match (form, serial) {
                ("filter", false) => run!(threads, capacity_one, source
                    => try filter |t: &Tracked| keep(t, at) => |t: Tracked| t => sink),
                // Markers in either order.
                ("filter", true) => run!(threads, capacity_one, source
                    => filter try serial |t: &Tracked| keep(t, at) => sink),
                ("filter_map", false) => run!(threads, capacity_one, source
                    => try filter_map |t| halve(t, at) => |t: Tracked| t => sink),
                ("filter_map", true) => run!(threads, capacity_one, source
                    => serial try filter_map |t| halve(t, at) => sink),
                ("flat_map", false) => run!(threads, capacity_one, source
                    => try flat_map |t| expand(t, at) => |t: Tracked| t => sink),
                (_, true) => run!(threads, capacity_one, source
                    => serial flat_map try |t| expand(t, at) => sink),
                _ => unreachable!(),
            };
            let name = if serial { "serial" } else { "parallel" };
            let what =
                format!("{name} try {form}: threads={threads} capacity_one={capacity_one} at={at}");
            assert_eq!(counters.live(), 0, "leak: {what}");
            assert_eq!(
                counters.drops(),
                counters.created() + counters.clones(),
                "{what}"
            );
            runs.push((form, result, sorted(out)));
        }
    }
    runs
}

#[test]
fn without_errors_try_forms_match_the_reference() {
    for threads in THREADS {
        for capacity_one in [false, true] {
            let runs = watchdog(60, || run_all(threads, capacity_one, -1));
            for (form, result, out) in runs {
                assert_eq!(result, Ok(()), "{form} threads={threads}");
                assert_eq!(
                    out,
                    reference(form),
                    "{form} threads={threads} capacity_one={capacity_one}"
                );
            }
        }
    }
}

#[test]
fn the_first_error_is_returned_and_nothing_leaks() {
    for threads in THREADS {
        for capacity_one in [false, true] {
            for at in [0, N / 2, N - 1] {
                let runs = watchdog(60, || run_all(threads, capacity_one, at));
                for (form, result, out) in runs {
                    assert_eq!(result, Err(Bad(at)), "{form} threads={threads} at={at}");
                    // Outputs of items after the error may or may not have been made; what was
                    // made is a subset of the reference.
                    let reference = reference(form);
                    assert!(
                        out.iter().all(|v| reference.binary_search(v).is_ok()),
                        "{form}: an output that should not exist"
                    );
                }
            }
        }
    }
}

#[test]
fn a_try_filter_before_an_ordered_stage_keeps_the_order() {
    for threads in THREADS {
        let mut seen = Vec::new();
        let result: Result<(), Bad> = watchdog(60, || {
            pipeline!(threads, capacity = 2, 0..N
                      => try filter |x: &i64| Ok(x % 7 != 0)
                      => ordered |x| seen.push(x))
        });
        assert_eq!(result, Ok(()));
        assert_eq!(seen, (0..N).filter(|x| x % 7 != 0).collect::<Vec<_>>());
    }
}

/// Every item from 500 on fails. A parallel `try` stage returns whichever error a worker saw
/// first; passing the `Result`s on to an `ordered try` stage returns the earliest item's error,
/// at every thread count and capacity, every time (the README's idiom).
#[test]
#[allow(clippy::redundant_closure)] // stages written as users write them
fn an_ordered_try_stage_returns_the_earliest_failing_items_error() {
    watchdog(120, || {
        let parse = |i: u32| {
            if i < 500 {
                Ok(i)
            } else {
                Err(Bad(i64::from(i)))
            }
        };
        for threads in [1, 2, 4, 8] {
            for _ in 0..10 {
                let mut sum = 0u64;
                let result = pipeline!(threads, 0..2_000u32 => |i| parse(i)
                    => ordered try |r: Result<u32, Bad>| r => |i| sum += u64::from(i));
                assert_eq!(result, Err(Bad(500)), "{threads} threads");
                assert!(sum <= (0..500u64).sum::<u64>());
                let mut sum = 0u64;
                let result = run!(threads, true, 0..2_000u32 => |i| parse(i)
                    => ordered try |r: Result<u32, Bad>| r => |i| sum += u64::from(i));
                assert_eq!(result, Err(Bad(500)), "{threads} threads, capacity 1");
            }
        }
    });
}

/// `error = Type`: the run's error type, declared once; each `try` closure converts into it
/// with `?`, so stages whose own errors differ mix, and `?` in a closure infers.
#[test]
fn a_declared_error_type_takes_every_stage_error_through_question_mark() {
    #[derive(Debug, PartialEq)]
    enum AppError {
        Parse(std::num::ParseIntError),
        TooBig(u64),
    }
    impl From<std::num::ParseIntError> for AppError {
        fn from(e: std::num::ParseIntError) -> Self {
            AppError::Parse(e)
        }
    }
    let parse = |s: &str| -> Result<u64, AppError> { Ok(s.parse::<u64>()?) };
    for threads in THREADS {
        watchdog(60, || {
            let run = |input: &[&str]| {
                pipeline!(threads, error = AppError, input.iter().copied()
                    => try |s: &str| { let n: u64 = s.trim().parse()?; Ok(n) }
                    => try |n: u64| if n > 100 { Err(AppError::TooBig(n)) } else { Ok(n) }
                    => reduce(|| 0, |a, b| a + b))
            };
            assert_eq!(run(&["1", " 2", "3"]), Ok(6));
            assert_eq!(run(&["1", "500"]), Err(AppError::TooBig(500)));
            assert_eq!(run(&["1", "x"]), Err(parse("x").unwrap_err()));

            // A boxed error: `?` on the run in a function returning the same box infers.
            type BoxError = Box<dyn std::error::Error + Send + Sync>;
            let boxed = || -> Result<u64, BoxError> {
                let mut sum = 0;
                pipeline!(threads, error = BoxError, ["4", "5"]
                    => try |s: &str| { let n = s.parse::<u64>()?; Ok(n) }
                    => |n| sum += n)?;
                Ok(sum)
            };
            assert_eq!(boxed().unwrap(), 9);

            // Declared, with no `try` node: the run returns `Ok`.
            let mut n = 0;
            let outcome: Result<(), AppError> =
                pipeline!(threads, error = AppError, 0..10 => |_x| n += 1);
            assert_eq!((outcome, n), (Ok(()), 10));
        });
    }
}
