//! An `async` stage whose futures a "device" completes from an interrupt handler: each request
//! takes a slot in the device's table and is due 300 µs later; hart 0's timer interrupt, every
//! 100 µs, completes the requests that are due (computes the answer, marks the slot done) and
//! wakes their futures' wakers from the handler. Meanwhile the harts have nothing to do and
//! wait in `wfi`; the interrupt wakes hart 0, whose scan polls the async node again. The
//! answers reach an `ordered` sink in source order.
//!
//! RISC-V only (the CLINT timer); the other targets report the test as skipped.
#![no_std]
#![no_main]

#[cfg(not(any(target_arch = "riscv32", target_arch = "riscv64")))]
use para_qemu::Outcome;

para_qemu::main!(futures_completed_by_an_interrupt_handler);

#[cfg(not(any(target_arch = "riscv32", target_arch = "riscv64")))]
fn futures_completed_by_an_interrupt_handler() -> Outcome {
    Outcome::Skip("no timer interrupt wired for this target (RISC-V's CLINT only)")
}

#[cfg(any(target_arch = "riscv32", target_arch = "riscv64"))]
use device::futures_completed_by_an_interrupt_handler;

#[cfg(any(target_arch = "riscv32", target_arch = "riscv64"))]
mod device {
    use core::cell::UnsafeCell;
    use core::future::Future;
    use core::pin::Pin;
    use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU8, AtomicUsize, Ordering};
    use core::task::{Context, Poll, Waker};

    use para_macros::pipeline;
    use para_qemu::platform::{mtime, set_timer, timer_interrupts, TIMER_HZ, WAITS};
    use para_qemu::{ensure, ensure_eq, println, Outcome, CORES, HARTS};

    /// Requests per run.
    const N: u32 = 300;
    /// Requests the device holds at once; the async stage keeps at most 8 in flight.
    const SLOTS: usize = 16;

    const FREE: u8 = 0;
    /// Taken by a request that is still writing its input.
    const CLAIMED: u8 = 1;
    const PENDING: u8 = 2;
    const DONE: u8 = 3;

    /// One request in the device's table.
    struct Slot {
        state: AtomicU8,
        input: AtomicU32,
        output: AtomicU32,
        /// When it is due, in CLINT ticks (the low 32 bits: riscv32 has no 64-bit atomics;
        /// compared with wrapping arithmetic).
        due: AtomicU32,
        /// The waker of the future waiting on it, behind a spin lock (`locked`) that the
        /// handler only ever tries: it may interrupt the hart that holds it.
        locked: AtomicBool,
        waker: UnsafeCell<Option<Waker>>,
    }

    // SAFETY: `waker` is only touched by whoever holds `locked` (acquired by a CAS, released by
    // a Release store); the other fields are atomics.
    unsafe impl Sync for Slot {}

    impl Slot {
        const fn new() -> Self {
            Slot {
                state: AtomicU8::new(FREE),
                input: AtomicU32::new(0),
                output: AtomicU32::new(0),
                due: AtomicU32::new(0),
                locked: AtomicBool::new(false),
                waker: UnsafeCell::new(None),
            }
        }

        /// Runs `f` on the waker cell if the lock is free; `None` if it is held.
        fn try_with_waker<R>(&self, f: impl FnOnce(&mut Option<Waker>) -> R) -> Option<R> {
            if self
                .locked
                .compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
                .is_err()
            {
                return None;
            }
            // SAFETY: we hold the lock (above) until the store below.
            let result = f(unsafe { &mut *self.waker.get() });
            self.locked.store(false, Ordering::SeqCst);
            Some(result)
        }
    }

    static TABLE: [Slot; SLOTS] = [const { Slot::new() }; SLOTS];
    /// Requests completed, and wakers the handler woke.
    static COMPLETED: AtomicUsize = AtomicUsize::new(0);
    static WOKEN: AtomicUsize = AtomicUsize::new(0);
    /// Timer period, in CLINT ticks.
    const PERIOD_US: u64 = 100;

    fn answer(x: u32) -> u32 {
        x.wrapping_mul(2_654_435_761).rotate_left(7)
    }

    /// Hart 0's timer interrupt: completes the requests that are due and wakes their futures.
    #[export_name = "MachineTimer"]
    extern "C" fn machine_timer() {
        let now = mtime();
        for slot in &TABLE {
            let early = slot.due.load(Ordering::Relaxed).wrapping_sub(now as u32) as i32 > 0;
            if slot.state.load(Ordering::SeqCst) != PENDING || early {
                continue;
            }
            slot.output.store(
                answer(slot.input.load(Ordering::Relaxed)),
                Ordering::Relaxed,
            );
            slot.state.store(DONE, Ordering::SeqCst);
            COMPLETED.fetch_add(1, Ordering::Relaxed);
            // The future registers its waker, then looks at `state`: if it holds the lock now,
            // it sees DONE after it lets go.
            if let Some(Some(waker)) = slot.try_with_waker(Option::take) {
                waker.wake();
                WOKEN.fetch_add(1, Ordering::Relaxed);
            }
        }
        set_timer(now + TIMER_HZ * PERIOD_US / 1_000_000);
    }

    /// A request to the device: takes a free slot, due 300 µs from now.
    struct Request {
        slot: &'static Slot,
    }

    fn request(x: u32) -> Request {
        let slot = TABLE
            .iter()
            .find(|slot| {
                slot.state
                    .compare_exchange(FREE, CLAIMED, Ordering::SeqCst, Ordering::SeqCst)
                    .is_ok()
            })
            .expect("the async stage keeps fewer requests in flight than the device has slots");
        slot.input.store(x, Ordering::Relaxed);
        let due = mtime() + TIMER_HZ * 300 / 1_000_000;
        slot.due.store(due as u32, Ordering::Relaxed);
        slot.state.store(PENDING, Ordering::SeqCst); // now the handler may complete it
        Request { slot }
    }

    impl Future for Request {
        type Output = u32;
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
            let slot = self.slot;
            // The waker first, then the state (the handler sets the state, then takes the
            // waker). The lock is only ever held briefly by a future; wait for it.
            while slot
                .try_with_waker(|cell| *cell = Some(cx.waker().clone()))
                .is_none()
            {
                core::hint::spin_loop();
            }
            if slot.state.load(Ordering::SeqCst) == DONE {
                Poll::Ready(slot.output.load(Ordering::Relaxed))
            } else {
                Poll::Pending
            }
        }
    }

    impl Drop for Request {
        fn drop(&mut self) {
            while self.slot.try_with_waker(|cell| *cell = None).is_none() {
                core::hint::spin_loop();
            }
            self.slot.state.store(FREE, Ordering::SeqCst);
        }
    }

    pub fn futures_completed_by_an_interrupt_handler() -> Outcome {
        COMPLETED.store(0, Ordering::Relaxed);
        WOKEN.store(0, Ordering::Relaxed);
        WAITS.iter().for_each(|w| w.store(0, Ordering::Relaxed));
        set_timer(mtime() + TIMER_HZ * PERIOD_US / 1_000_000);
        timer_interrupts(true);
        let (mut next, mut wrong) = (0u32, 0u32);
        pipeline!(&CORES, 0..N
        => |x| x + 1
        => limit(8) async |x| (x, request(x).await)
        => |(x, y): (u32, u32)| (x, y == answer(x))
        => ordered |(x, right): (u32, bool)| {
            if x != next + 1 || !right {
                wrong += 1;
            }
            next = x;
        });
        timer_interrupts(false);
        set_timer(u64::MAX);
        let waits: [usize; HARTS] = core::array::from_fn(|h| WAITS[h].load(Ordering::Relaxed));
        let (completed, woken) = (
            COMPLETED.load(Ordering::Relaxed),
            WOKEN.load(Ordering::Relaxed),
        );
        println!(
            "    {completed} completed by the handler, {woken} wakers woken from it; \
             wfi returns per hart: {waits:?}"
        );
        ensure_eq!(next, N);
        ensure_eq!(wrong, 0);
        ensure_eq!(completed, N as usize);
        ensure!(woken > 0, "no future was woken from the handler");
        ensure!(
            TABLE
                .iter()
                .all(|slot| slot.state.load(Ordering::SeqCst) == FREE),
            "a request's slot was not given back"
        );
        ensure!(
            waits.iter().all(|&w| w > 0),
            "some hart never waited in wfi: {waits:?}"
        );
        Outcome::Pass
    }
}
