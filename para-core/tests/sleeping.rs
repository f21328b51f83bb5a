//! Cores that wait for work instead of spinning (`Harts::sleeping`): threads standing in for a
//! chip's cores park in `Sleep::wait` and are unparked by `Sleep::wake` (a thread's park token
//! latches like a pending inter-processor interrupt). A lost wake-up hangs a run; each test
//! runs under a watchdog, so a hang fails it. The idle protocol is in `para-core/src/cores.rs`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex, MutexGuard, OnceLock};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use para_core::{Feed, Harts, Sleep};
use para_macros::pipeline;

/// The threads of cores 0–3 (core 0: the thread that runs the test's pipeline).
static THREADS: [Mutex<Option<Thread>>; 4] = [const { Mutex::new(None) }; 4];
/// How many times each core returned from `wait`.
static WAITS: [AtomicUsize; 4] = [const { AtomicUsize::new(0) }; 4];

fn wait(core: usize) {
    thread::park();
    WAITS[core].fetch_add(1, Ordering::Relaxed);
}

fn wake() {
    for t in THREADS.iter().filter_map(|t| t.lock().unwrap().clone()) {
        t.unpark();
    }
}

static HARTS: Harts<4> = Harts::sleeping(Sleep { wait, wake });
static HARTS_TAKEN: Mutex<()> = Mutex::new(());

/// The four sleeping cores, with the calling thread as core 0; one test at a time has them.
fn harts() -> (MutexGuard<'static, ()>, &'static Harts<4>) {
    static START: OnceLock<()> = OnceLock::new();
    START.get_or_init(|| {
        for (core, slot) in THREADS.iter().enumerate().skip(1) {
            thread::spawn(move || {
                *slot.lock().unwrap() = Some(thread::current());
                // A core whose job panics stops serving; this one serves again.
                loop {
                    let _ = std::panic::catch_unwind(|| HARTS.serve(core));
                }
            });
        }
    });
    let guard = HARTS_TAKEN
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    *THREADS[0].lock().unwrap() = Some(thread::current());
    assert_eq!(HARTS.wait_online(usize::MAX), 4);
    WAITS.iter().for_each(|w| w.store(0, Ordering::Relaxed));
    (guard, &HARTS)
}

include!("shared/seed.rs");
include!("shared/watchdog.rs");

/// A call that waits until `k` calls are inside at once, or 20 s have passed since it was made
/// (a missing wake-up then fails an assertion on the peak instead of hanging).
struct Rendezvous {
    k: usize,
    inside: AtomicUsize,
    peak: AtomicUsize,
    deadline: Instant,
}

impl Rendezvous {
    fn new(k: usize) -> Self {
        Rendezvous {
            k,
            inside: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
            deadline: Instant::now() + Duration::from_secs(20),
        }
    }

    fn call(&self) {
        let now = self.inside.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        while self.peak.load(Ordering::SeqCst) < self.k && Instant::now() < self.deadline {
            std::hint::spin_loop();
        }
        self.inside.fetch_sub(1, Ordering::SeqCst);
    }

    /// The most calls that were inside at once.
    fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }
}

/// Runs per test: miri is about 10^4 times slower.
const ROUNDS: usize = if cfg!(miri) { 2 } else { 50 };
const N: i64 = if cfg!(miri) { 40 } else { 2_000 };

/// Many short runs: cores go to sleep between runs and inside them (a stateful sink is a
/// bottleneck, so the others run dry), and every run still finishes.
#[test]
#[cfg_attr(
    miri,
    ignore = "four serving threads for the whole test binary: TSan covers these"
)]
fn sleeping_cores_finish_every_run() {
    watchdog(600, || {
        let (_guard, harts) = harts();
        for round in 0..ROUNDS {
            assert_eq!(seed_pipeline!(harts, N), seed_expected(N), "round {round}");
            let mut seen = Vec::new();
            pipeline!(harts, capacity = 2, 0..N => |x| x * 3 => ordered |x| seen.push(x));
            assert!(
                seen.iter().copied().eq((0..N).map(|x| x * 3)),
                "round {round}"
            );
        }
    });
}

/// A feed filled slowly by a thread outside the cores, which wakes them after each push and
/// after closing (as an interrupt does by running on a core): the cores wait between items
/// instead of spinning, and the run returns after the close with every item once.
#[test]
#[cfg_attr(
    miri,
    ignore = "four serving threads for the whole test binary: TSan covers these"
)]
fn a_slow_feed_lets_the_cores_sleep() {
    watchdog(600, || {
        static SLOW: Feed<u64, 8> = Feed::new();
        let (_guard, harts) = harts();
        // Gaps of 5 ms: long enough for a core to spin its rounds and wait, also under TSan
        // or an emulator.
        let items: u64 = if cfg!(miri) { 5 } else { 60 };
        let producer = thread::spawn(move || {
            for x in 0..items {
                while SLOW.push(x).is_err() {
                    thread::yield_now();
                }
                wake();
                if !cfg!(miri) {
                    thread::sleep(Duration::from_millis(5));
                }
            }
            SLOW.close();
            wake();
        });
        let mut seen = Vec::new();
        pipeline!(harts, &SLOW => |x| x + 1 => ordered |x| seen.push(x));
        producer.join().unwrap();
        assert!(seen.iter().copied().eq(1..=items));
        let waits: Vec<usize> = WAITS.iter().map(|w| w.load(Ordering::Relaxed)).collect();
        assert!(
            waits[1..].iter().all(|&w| w > 0),
            "the other cores never waited: {waits:?}"
        );
    });
}

/// A stage that panics on one core while the others sleep: the run stops (the panicking core
/// wakes them to see the abort) and the panic reaches the caller, never a hang.
#[test]
#[cfg_attr(
    miri,
    ignore = "four serving threads for the whole test binary: TSan covers these"
)]
fn a_panic_wakes_the_sleeping_cores() {
    watchdog(600, || {
        let (_guard, harts) = harts();
        for round in 0..ROUNDS.min(10) {
            let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                pipeline!(harts, capacity = 2, 0..N => |x| {
                    assert!(x != N / 2, "stage failed at {x}");
                    x
                } => |x| {
                    // A slow stateful stage: the other cores run dry and sleep.
                    std::hint::black_box((0..200).fold(x, |a, i| a ^ i));
                });
            }));
            assert!(run.is_err(), "round {round}: the panic was lost");
        }
        // The cores serve again.
        assert_eq!(harts.wait_online(usize::MAX), 4);
        assert_eq!(seed_pipeline!(harts, N), seed_expected(N));
    });
}

/// Cores that have gone to sleep come back for work: after a pause long enough for every core
/// to sleep, items arrive, and a stage whose calls wait until four are inside at once sees all
/// four cores in it (a deadline turns a missing wake-up into a failed assertion).
#[test]
#[cfg_attr(
    miri,
    ignore = "four serving threads for the whole test binary: TSan covers these"
)]
fn woken_cores_all_enter_one_stage() {
    watchdog(600, || {
        static LATE: Feed<u32, 64> = Feed::new();
        let (_guard, harts) = harts();
        let rendezvous = Rendezvous::new(4);
        let producer = thread::spawn(|| {
            thread::sleep(Duration::from_millis(50));
            for x in 0..64 {
                LATE.push(x).unwrap();
            }
            LATE.close();
            wake();
        });
        pipeline!(harts, &LATE => |_x| rendezvous.call() => |()| {});
        producer.join().unwrap();
        let waits: Vec<usize> = WAITS.iter().map(|w| w.load(Ordering::Relaxed)).collect();
        assert_eq!(
            rendezvous.peak(),
            4,
            "four cores in one stage; waits {waits:?}"
        );
        assert!(
            waits[1..].iter().all(|&w| w > 0),
            "the cores never slept: {waits:?}"
        );
    });
}

/// Work made by one core wakes the sleeping ones: a serial stage that takes 2 ms per item
/// (long enough for the other cores to fall asleep between its outputs) feeds a stage whose
/// calls wait until four are inside at once. Only a core that runs a step can wake the others
/// here; without that wake the rendezvous never fills (a deadline turns that into a failure).
#[test]
#[cfg_attr(
    miri,
    ignore = "four serving threads for the whole test binary: TSan covers these"
)]
fn work_made_by_a_core_wakes_the_others() {
    watchdog(600, || {
        let (_guard, harts) = harts();
        let rendezvous = Rendezvous::new(4);
        // Capacity 4: the rendezvous holds its items' slots, so four fit; a step takes a share.
        pipeline!(harts, capacity = 4, 0..16u32
            => serial |x| {
                thread::sleep(Duration::from_millis(2));
                x
            }
            => |_x| rendezvous.call()
            => |()| {});
        let waits: Vec<usize> = WAITS.iter().map(|w| w.load(Ordering::Relaxed)).collect();
        assert_eq!(
            rendezvous.peak(),
            4,
            "four cores in one stage; waits {waits:?}"
        );
        assert!(
            waits.iter().sum::<usize>() > 0,
            "no core ever slept: {waits:?}"
        );
    });
}
