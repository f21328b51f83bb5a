//! Pipelines that run until they are told to stop, fed by an interrupt handler: hart 0's timer
//! interrupt produces a numbered sample at a fixed rate into a `Feed`, the pipeline processes
//! the samples on all four harts, and the handler closes the feed after `N` samples, which ends
//! the run. Every sample is accounted for: processed exactly once, or handed back to the
//! handler (feed full) and counted there. Idle harts wait in `wfi` (`platform::SLEEP`), and the
//! tests check that they did.
//!
//! RISC-V only: its timer is the CLINT's, a few MMIO registers. The other targets report the
//! tests as skipped.
#![no_std]
#![no_main]

#[cfg(not(any(target_arch = "riscv32", target_arch = "riscv64")))]
use para_qemu::Outcome;

para_qemu::main!(
    samples_from_a_timer_interrupt,
    an_overflowing_feed_loses_nothing_unseen
);

#[cfg(not(any(target_arch = "riscv32", target_arch = "riscv64")))]
fn samples_from_a_timer_interrupt() -> Outcome {
    Outcome::Skip("no timer interrupt wired for this target (RISC-V's CLINT only)")
}

#[cfg(not(any(target_arch = "riscv32", target_arch = "riscv64")))]
fn an_overflowing_feed_loses_nothing_unseen() -> Outcome {
    Outcome::Skip("no timer interrupt wired for this target (RISC-V's CLINT only)")
}

#[cfg(any(target_arch = "riscv32", target_arch = "riscv64"))]
use timed::{an_overflowing_feed_loses_nothing_unseen, samples_from_a_timer_interrupt};

#[cfg(any(target_arch = "riscv32", target_arch = "riscv64"))]
mod timed {
    use core::hint::black_box;
    use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

    use para_core::Feed;
    use para_macros::pipeline;
    use para_qemu::platform::{mtime, set_timer, timer_interrupts, TIMER_HZ, WAITS};
    use para_qemu::{ensure, ensure_eq, println, Outcome, CORES, HARTS};

    /// Samples per run.
    const N: usize = 400;
    /// Feed capacity.
    const FEED: usize = 32;

    /// A feed per test (a closed feed stays closed); the handler fills `FEEDS[TEST]`.
    static FEEDS: [Feed<u32, FEED>; 2] = [const { Feed::new() }; 2];
    static TEST: AtomicUsize = AtomicUsize::new(0);
    /// Timer period, in CLINT ticks.
    static PERIOD: AtomicU32 = AtomicU32::new(0);
    /// Samples the handler produced, and those the feed handed back (full).
    static PRODUCED: AtomicUsize = AtomicUsize::new(0);
    static REJECTED: AtomicUsize = AtomicUsize::new(0);
    /// Which samples were handed back, a bit each.
    static REJECTED_BITS: [AtomicU32; N.div_ceil(32)] =
        [const { AtomicU32::new(0) }; N.div_ceil(32)];

    /// Hart 0's timer interrupt: one sample per tick, `N` in all, then the feed is closed.
    #[export_name = "MachineTimer"]
    extern "C" fn machine_timer() {
        let samples = &FEEDS[TEST.load(Ordering::Relaxed)];
        let s = PRODUCED.load(Ordering::Relaxed);
        if s == N {
            samples.close();
            set_timer(u64::MAX);
            return;
        }
        PRODUCED.store(s + 1, Ordering::Relaxed);
        if samples.push(s as u32).is_err() {
            REJECTED.fetch_add(1, Ordering::Relaxed);
            REJECTED_BITS[s / 32].fetch_or(1 << (s % 32), Ordering::Relaxed);
        }
        set_timer(mtime() + u64::from(PERIOD.load(Ordering::Relaxed)));
    }

    /// Starts the timer at one sample every `period_us` microseconds into `FEEDS[test]`.
    fn start(test: usize, period_us: u64) -> &'static Feed<u32, FEED> {
        TEST.store(test, Ordering::Relaxed);
        PRODUCED.store(0, Ordering::Relaxed);
        REJECTED.store(0, Ordering::Relaxed);
        REJECTED_BITS
            .iter()
            .for_each(|w| w.store(0, Ordering::Relaxed));
        WAITS.iter().for_each(|w| w.store(0, Ordering::Relaxed));
        PERIOD.store((TIMER_HZ * period_us / 1_000_000) as u32, Ordering::Relaxed);
        set_timer(mtime() + u64::from(PERIOD.load(Ordering::Relaxed)));
        timer_interrupts(true);
        &FEEDS[test]
    }

    fn stop() -> [usize; HARTS] {
        timer_interrupts(false);
        set_timer(u64::MAX);
        core::array::from_fn(|h| WAITS[h].load(Ordering::Relaxed))
    }

    /// Work the optimiser cannot remove.
    fn work(x: u32, rounds: u32) -> u32 {
        (0..rounds).fold(x, |a, i| black_box(a.rotate_left(5) ^ i))
    }

    /// Checks that every sample was processed once or handed back, never both, never lost.
    fn accounted(
        samples: &Feed<u32, FEED>,
        seen: &[u32; N.div_ceil(32)],
        processed: usize,
        duplicates: usize,
    ) -> Outcome {
        let rejected = REJECTED.load(Ordering::Relaxed);
        ensure_eq!(PRODUCED.load(Ordering::Relaxed), N);
        ensure_eq!(duplicates, 0);
        ensure_eq!(processed + rejected, N);
        for s in 0..N {
            let got = seen[s / 32] & (1 << (s % 32)) != 0;
            let back = REJECTED_BITS[s / 32].load(Ordering::Relaxed) & (1 << (s % 32)) != 0;
            ensure!(
                got != back,
                "sample {s}: processed {got}, handed back {back}"
            );
        }
        ensure!(
            samples.is_closed() && samples.is_empty(),
            "the feed was not drained"
        );
        Outcome::Pass
    }

    /// A sample every 500 µs through a parallel stage and a stateful sink: the pipeline keeps
    /// up, the harts wait between samples, and the run returns once the handler has closed the
    /// feed after the last one.
    pub fn samples_from_a_timer_interrupt() -> Outcome {
        let mut seen = [0u32; N.div_ceil(32)];
        let (mut processed, mut duplicates) = (0usize, 0usize);
        let samples = start(0, 500);
        pipeline!(&CORES, samples
        => |s: u32| (s, work(s, 200))
        => |(s, w): (u32, u32)| {
            if w != work(s, 200) {
                duplicates += N; // a corrupted sample fails the count below
            }
            let (word, bit) = (s as usize / 32, 1u32 << (s % 32));
            if seen[word] & bit != 0 {
                duplicates += 1;
            }
            seen[word] |= bit;
            processed += 1;
        });
        let waits = stop();
        println!(
            "    {processed} processed, {} handed back; wfi returns per hart: {waits:?}",
            REJECTED.load(Ordering::Relaxed)
        );
        ensure!(
            waits[1..].iter().all(|&w| w > 0),
            "harts 1.. never waited in wfi: {waits:?}"
        );
        accounted(samples, &seen, processed, duplicates)
    }

    /// A stage far slower than the rate (2 ms a call, a sample every 20 µs), and a feed of 32: the handler gets samples back, the
    /// rest reach an ordered sink in the order they were produced, and nothing is lost unseen.
    pub fn an_overflowing_feed_loses_nothing_unseen() -> Outcome {
        let mut seen = [0u32; N.div_ceil(32)];
        let (mut processed, mut duplicates, mut last) = (0usize, 0usize, None::<u32>);
        let samples = start(1, 20);
        pipeline!(&CORES, capacity = 4, samples
        => |s: u32| {
            // 2 ms by the timer, however fast the emulation runs.
            let end = mtime() + 2 * TIMER_HZ / 1_000;
            while mtime() < end {}
            (s, 0u32)
        }
        => ordered |(s, _w): (u32, u32)| {
            if last.is_some_and(|l| l >= s) {
                duplicates += 1; // out of order
            }
            last = Some(s);
            let (word, bit) = (s as usize / 32, 1u32 << (s % 32));
            if seen[word] & bit != 0 {
                duplicates += 1;
            }
            seen[word] |= bit;
            processed += 1;
        });
        stop();
        let rejected = REJECTED.load(Ordering::Relaxed);
        println!("    {processed} processed, {rejected} handed back");
        ensure!(
            rejected > 0,
            "the feed never filled: the test shows nothing"
        );
        accounted(samples, &seen, processed, duplicates)
    }
}
