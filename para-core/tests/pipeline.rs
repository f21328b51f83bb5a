//! The `pipeline!` grammar on para-core alone (`para_macros::pipeline!`): the graph on the
//! caller's stack, run by a `Cores` — here threads standing in for a chip's cores, through the
//! two ways a chip provides them (`Harts`, whose other cores serve jobs, and a scoped spawn per
//! run), and `OneCore`. Each test runs under a watchdog, so a hang fails it.

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use para_core::{Cores, Harts, OneCore};
use para_macros::pipeline;

/// Threads as cores: a scoped thread per core for each run.
#[derive(Clone, Copy)]
struct Scoped(usize);

// SAFETY: `run` calls `job(i)` once per `i` in `0..count()`, core 0 on the caller, the others
// on scoped threads, and `scope` returns after joining them all (joining orders their writes
// before the return).
unsafe impl Cores for Scoped {
    fn count(&self) -> usize {
        self.0
    }

    fn run(&self, job: &(dyn Fn(usize) + Sync)) {
        std::thread::scope(|s| {
            for core in 1..self.0 {
                s.spawn(move || job(core));
            }
            job(0);
        });
    }
}

/// Four cores that serve jobs, as on a chip: threads spinning in `Harts::serve`. One test at a
/// time has them (only core 0 runs jobs, one at a time): the guard.
static HARTS: Harts<4> = Harts::new();
static HARTS_TAKEN: Mutex<()> = Mutex::new(());

fn harts() -> (MutexGuard<'static, ()>, &'static Harts<4>) {
    static START: std::sync::Once = std::sync::Once::new();
    START.call_once(|| {
        for core in 1..4 {
            // A core whose job panics stops serving; this one serves again.
            std::thread::spawn(move || loop {
                let _ = std::panic::catch_unwind(|| HARTS.serve(core));
            });
        }
    });
    let guard = HARTS_TAKEN
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    // Every core serving (again, after a test whose job panicked on one).
    assert_eq!(HARTS.wait_online(usize::MAX), 4);
    (guard, &HARTS)
}

include!("shared/seed.rs");
include!("shared/watchdog.rs");

/// Items per run: miri runs every test about 10^4 times slower.
const N: i64 = if cfg!(miri) { 40 } else { 10_000 };

#[test]
fn the_seed_pipeline_on_each_kind_of_cores() {
    watchdog(600, || {
        let expected: i64 = (0..N).map(|x| (2 * x - x) + -x).sum();
        let mut sum = 0i64;
        pipeline!(0..N => (|x| (x * 2, x) => |(x2, x)| x2 - x, |x| -x) => |x| sum += x);
        assert_eq!(sum, expected, "one core");
        let mut sum = 0i64;
        pipeline!(Scoped(3), 0..N => (|x| (x * 2, x) => |(x2, x)| x2 - x, |x| -x) => |x| sum += x);
        assert_eq!(sum, expected, "scoped threads");
        assert_eq!(
            seed_pipeline!(Scoped(2), N),
            seed_expected(N),
            "the shared text"
        );
        if cfg!(miri) {
            return; // the harts below spin forever on threads of their own
        }
        let (_taken, cores) = harts();
        let mut sum = 0i64;
        pipeline!(cores, 0..N => (|x| (x * 2, x) => |(x2, x)| x2 - x, |x| -x) => |x| sum += x);
        assert_eq!(sum, expected, "harts");
        let mut sum = 0i64;
        pipeline!(OneCore, 0..N => |x| x + 1 => |x| sum += x);
        assert_eq!(sum, (1..=N).sum::<i64>(), "one core, named");
    });
}

#[test]
#[cfg_attr(miri, ignore = "the harts spin forever on threads of their own")]
fn every_marker_and_ordering_on_cores() {
    watchdog(60, || {
        let (_taken, cores) = harts();
        // Ordered sink after a parallel stage whose calls finish out of order.
        let mut seen = Vec::new();
        pipeline!(cores, 0..2000u32 => |x| { if x % 7 == 0 { std::thread::yield_now() } x }
            => ordered |x| seen.push(x));
        assert_eq!(seen, (0..2000).collect::<Vec<_>>());
        // filter, filter_map, flat_map, a serial stage, an iterator source.
        let mut kept = Vec::new();
        let words = ["a b", "c", "", "d e f"];
        let mut n = 0;
        pipeline!(cores, words.iter().copied() => flat_map |s: &str| s.split_whitespace()
            => filter |w: &&str| *w != "c" => filter_map |w: &str| w.chars().next()
            => serial |c| { n += 1; (n, c) } => ordered |p| kept.push(p));
        let letters: Vec<char> = kept.iter().map(|&(_, c)| c).collect();
        assert_eq!(letters, ['a', 'b', 'd', 'e', 'f'], "in source order");
        assert_eq!(n, 5);
        // Several sources, ordered per source.
        let mut a = Vec::new();
        let mut b = Vec::new();
        pipeline!(cores, (0..500u32, 1000..1500u32) => |x| x * 2 => ordered |x| {
            if x < 2000 { a.push(x) } else { b.push(x) }
        });
        assert_eq!(a, (0..500).map(|x| x * 2).collect::<Vec<_>>());
        assert_eq!(b, (1000..1500).map(|x| x * 2).collect::<Vec<_>>());
    });
}

#[test]
#[cfg_attr(miri, ignore = "the harts spin forever on threads of their own")]
fn fold_sinks_try_and_early_stop_on_cores() {
    watchdog(60, || {
        let (_taken, cores) = harts();
        let (sum, count) = pipeline!(cores, 0..100_000u64 => |x| x % 1000
            => (reduce(|| 0, |a, b| a + b), fold(|| 0usize, |n, _| n + 1, |a, b| a + b)));
        assert_eq!(sum, (0..100_000u64).map(|x| x % 1000).sum());
        assert_eq!(count, 100_000);
        let result: Result<(), String> = pipeline!(cores, 0..10_000u32
            => try |x| if x == 5000 { Err(format!("bad {x}")) } else { Ok(x) } => |_x| {});
        assert_eq!(result, Err("bad 5000".to_owned()));
        let mut taken = 0;
        pipeline!(cores, 0..1_000_000u32 => |x| x => |_x| {
            taken += 1;
            if taken == 100 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
        });
        assert_eq!(taken, 100);
    });
}

/// A pipeline inside a stage of another on the same harts cannot get them: it panics with the
/// reason instead of waiting forever (on whichever core ran the stage: core 0 resumes that
/// panic, or reports the core whose job panicked).
#[test]
#[cfg_attr(miri, ignore = "the harts spin forever on threads of their own")]
fn a_nested_run_on_busy_harts_is_refused() {
    watchdog(60, || {
        let (_taken, cores) = harts();
        let outcome = std::panic::catch_unwind(|| {
            pipeline!(cores, 0..4u32 => |x| {
                let mut inner = 0;
                pipeline!(cores, 0..x => |y| y => |y| inner += y);
                inner
            } => |_sum| {});
        });
        let message = outcome.expect_err("a nested run must panic");
        let text = message
            .downcast_ref::<String>()
            .map(String::as_str)
            .or(message.downcast_ref::<&str>().copied())
            .unwrap_or("");
        assert!(
            text.contains("while a run is in progress") || text.contains("panicked on core"),
            "{text}"
        );
        // The harts serve again: the next run gets them all.
        drop(_taken);
        let (_taken, cores) = harts();
        assert_eq!(cores.wait_online(usize::MAX), 4);
        let mut sum = 0;
        pipeline!(cores, 0..100u32 => |x| x => |x| sum += x);
        assert_eq!(sum, 4950);
    });
}

/// Calls that wait until `k` of them are inside at once, with a deadline shared by all: every
/// core takes a call of the stage at once (a miss fails fast instead of hanging).
#[test]
#[cfg_attr(miri, ignore = "the harts spin forever on threads of their own")]
fn every_core_is_inside_one_stage_at_once() {
    watchdog(60, || {
        let inside = AtomicUsize::new(0);
        let peak = AtomicUsize::new(0);
        let deadline = Instant::now() + Duration::from_secs(20);
        let rendezvous = |k: usize| {
            let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            while peak.load(Ordering::SeqCst) < k && Instant::now() < deadline {
                std::hint::spin_loop();
            }
            inside.fetch_sub(1, Ordering::SeqCst);
        };
        let (taken, cores) = harts();
        pipeline!(cores, 0..64u32 => |_x| rendezvous(4) => |()| {});
        assert_eq!(peak.load(Ordering::SeqCst), 4, "four harts in one stage");
        drop(taken);
        peak.store(0, Ordering::SeqCst);
        pipeline!(Scoped(8), 0..64u32 => |_x| rendezvous(8) => |()| {});
        assert_eq!(
            peak.load(Ordering::SeqCst),
            8,
            "eight scoped cores in one stage"
        );
    });
}

/// A clock for the statistics, as a chip's cycle counter would be: microseconds here.
fn micros() -> u64 {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_micros() as u64
}

#[test]
fn statistics_without_an_allocator() {
    use para_core::{RunStats, Stats};
    watchdog(600, || {
        // Counts only, no clock: times stay 0 and no load is claimed.
        let mut stats: Stats = Stats::new();
        let mut sum = 0i64;
        pipeline!(Scoped(3), stats = &mut stats,
            0..N => filter |x| x % 2 == 0 => (|x| x + 1, |x| x - 1) => |x| sum += x);
        assert_eq!(
            sum,
            (0..N).filter(|x| x % 2 == 0).map(|x| 2 * x).sum::<i64>()
        );
        let filter = stats.node(1);
        assert_eq!(
            (filter.items_in, filter.items_out),
            (N as u64, N as u64 / 2),
            "{stats}"
        );
        for node in 2..4 {
            assert_eq!(stats.node(node).items_in, N as u64 / 2, "{stats}");
        }
        assert_eq!(stats.node(4).items_in, N as u64, "{stats}");
        assert_eq!(stats.node(4).busy, 0);
        // The queues' bound, computed by the macro: four queues of para-core's default 64.
        let bound = para_macros::pipeline_bound!(Scoped(3),
            0..N => filter |x| x % 2 == 0 => (|x| x + 1, |x| x - 1) => |x| sum += x);
        assert_eq!(bound, 4 * para_core::DEFAULT_CAPACITY);
        assert_eq!(stats.load(1), None);
        assert_eq!(stats.workers(), 3);

        // With a clock, a stage that waits is the most loaded.
        let mut stats = Stats::<8, 4>::new().with_clock(micros, 1_000_000);
        let mut sum = 0i64;
        // Under miri every step costs milliseconds of its virtual clock: the wait must be
        // longer than what interpreting the source takes.
        let (items, pause) = if cfg!(miri) { (4, 50_000) } else { (200, 200) };
        pipeline!(Scoped(2), stats = &mut stats,
            0..items => serial |x| { std::thread::sleep(Duration::from_micros(pause)); x }
                => |x| sum += x);
        assert_eq!(sum, (0..items).sum::<i64>());
        assert_eq!(stats.bottleneck(), Some(1), "{stats}");
        assert!(stats.node(1).busy >= pause * items as u64, "{stats}");
        assert!(stats.wall() >= stats.node(1).busy, "{stats}");
    });
}

/// A value a thread hands over a little later: a future woken from that thread.
struct Later {
    state: std::sync::Arc<(
        std::sync::atomic::AtomicBool,
        Mutex<Option<std::task::Waker>>,
    )>,
    value: u64,
}

fn later(value: u64) -> Later {
    let state = std::sync::Arc::new((
        std::sync::atomic::AtomicBool::new(false),
        Mutex::new(None::<std::task::Waker>),
    ));
    let theirs = state.clone();
    // A small stack: under qemu-user a 32-bit target's address space holds few 2 MiB stacks.
    let thread = std::thread::Builder::new()
        .stack_size(64 << 10)
        .spawn(move || {
            std::thread::sleep(Duration::from_micros(value % 100));
            theirs.0.store(true, Ordering::SeqCst);
            if let Some(waker) = theirs.1.lock().unwrap().take() {
                waker.wake();
            }
        });
    let thread = thread.expect("a thread for `later`");
    LATER_THREADS.lock().unwrap().push(thread);
    Later { state, value }
}

/// The threads `later` started, joined by the test after each run (miri wants every thread
/// joined, and an exited thread keeps its stack until it is joined).
static LATER_THREADS: Mutex<Vec<std::thread::JoinHandle<()>>> = Mutex::new(Vec::new());

fn join_later_threads() {
    for thread in std::mem::take(&mut *LATER_THREADS.lock().unwrap()) {
        thread.join().unwrap();
    }
}

impl std::future::Future for Later {
    type Output = u64;
    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<u64> {
        // The waker first, then the flag: the thread sets the flag, then takes the waker.
        *self.state.1.lock().unwrap() = Some(cx.waker().clone());
        if self.state.0.load(Ordering::SeqCst) {
            std::task::Poll::Ready(self.value)
        } else {
            std::task::Poll::Pending
        }
    }
}

/// An `async` stage on para-core alone: futures completed by other threads, woken through the
/// counting waker (`wake.rs`), found again by the cores' scan; source order kept for an
/// `ordered` sink; on each kind of cores.
#[test]
fn async_stages_woken_from_other_threads() {
    let n: u64 = if cfg!(miri) { 12 } else { 1000 };
    let expected: Vec<u64> = (0..n).map(|x| x * 2).collect();
    watchdog(60, move || {
        let mut seen = Vec::new();
        pipeline!(Scoped(3), 0..n => limit(64) async |x| later(x).await * 2 => ordered |y| seen.push(y));
        join_later_threads();
        assert_eq!(seen, expected);
        let mut seen = Vec::new();
        pipeline!(OneCore, 0..n => async |x| later(x).await * 2 => ordered |y| seen.push(y));
        join_later_threads();
        assert_eq!(seen, expected);
        if !cfg!(miri) {
            // The harts spin forever on threads of their own, which miri does not allow.
            let (_guard, cores) = harts();
            let mut sum = 0;
            pipeline!(cores, 0..n => async |x| later(x).await * 2 => |y| sum += y);
            join_later_threads();
            assert_eq!(sum, expected.iter().sum::<u64>());
        }
    });
}
