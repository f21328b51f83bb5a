//! RISC-V `virt` machine, M-mode, 4 harts, booted by riscv-rt.
//!
//! QEMU starts every hart at the ELF entry. riscv-rt gives each its stack and calls our
//! `_mp_hook`: hart 0 goes on to initialise RAM and reach `main`; the others wait there for a
//! software interrupt from hart 0, which it raises once `.bss` is zeroed, then reach `main` too,
//! and serve jobs from hart 0 (para-core's `Harts`).

use core::sync::atomic::{AtomicUsize, Ordering};

use para_core::Sleep;
use riscv::register::{mcause, mepc, mhartid, mie, mip, mstatus, mtval};
use riscv_rt as _;

/// Harts of the emulated machine (`-smp 4`; riscv-rt's `_max_hart_id` is 3).
pub const HARTS: usize = 4;

/// What QEMU emulates.
#[cfg(target_arch = "riscv32")]
pub const MACHINE: &str = "qemu-system-riscv32 -machine virt";
/// What QEMU emulates.
#[cfg(target_arch = "riscv64")]
pub const MACHINE: &str = "qemu-system-riscv64 -machine virt";

/// The CLINT's machine software interrupt register of `hart`.
fn msip(hart: usize) -> *mut u32 {
    (0x0200_0000 + 4 * hart) as *mut u32
}

/// The CLINT's timer compare register of `hart` (64 bits).
fn mtimecmp(hart: usize) -> *mut u32 {
    (0x0200_4000 + 8 * hart) as *mut u32
}

/// The CLINT's timer (64 bits, `TIMER_HZ`).
const MTIME: *const u32 = 0x0200_BFF8 as *const u32;

/// The CLINT timer's rate on `virt`.
pub const TIMER_HZ: u64 = 10_000_000;

/// The index of the running hart.
pub fn hart_id() -> usize {
    mhartid::read()
}

/// riscv-rt's `_mp_hook`: runs on every hart before RAM is initialised. Returns `true` on the
/// hart that initialises RAM.
pub fn mp_hook(hart: usize) -> bool {
    if hart == 0 {
        return true;
    }
    // Wait for hart 0's software interrupt. Do not clear the pending bit first (riscv-rt's own
    // multi-core example does): hart 0 may already have raised it, and the wake-up would be lost.
    // With `mie.MSIE` set and `mstatus.MIE` clear, `wfi` returns on the pending interrupt but no
    // trap is taken.
    // SAFETY: no handler runs (global interrupts stay disabled); we only wake up.
    unsafe { mie::set_msoft() };
    while !mip::read().msoft() {
        riscv::asm::wfi();
    }
    // SAFETY: disabling an interrupt source is always safe.
    unsafe { mie::clear_msoft() };
    // Now that we are awake, acknowledge the interrupt.
    // SAFETY: the CLINT's MSIP register of this hart, a valid MMIO address on `virt`.
    unsafe { msip(hart).write_volatile(0) };
    false
}

/// Every hart's `main`: hart 0 wakes the others and runs `main`; the others serve jobs.
pub fn start(hart: usize, main: fn() -> !) -> ! {
    if hart != 0 {
        // RAM is initialised: hart 0 woke us after riscv-rt zeroed `.bss`.
        crate::CORES.serve(hart);
    }
    for h in 1..HARTS {
        // SAFETY: the CLINT's MSIP register of hart `h`, a valid MMIO address on `virt`.
        unsafe { msip(h).write_volatile(1) };
    }
    main()
}

/// How idle harts wait: `wfi` until a software interrupt from [`wake`] (para-core's `Sleep`).
pub const SLEEP: Sleep = Sleep { wait, wake };

/// Times each hart waited (returned from `wfi`), for the tests to show that idle harts sleep.
pub static WAITS: [AtomicUsize; HARTS] = [const { AtomicUsize::new(0) }; HARTS];

/// Waits for a software interrupt (or any enabled interrupt). Global interrupts are off across
/// the wait, so a wake-up that arrives before `wfi` stays pending (`wfi` then returns at once)
/// and is cleared only after it — the latch `Sleep` asks for; a handler (hart 0's timer) runs
/// when they are back on.
fn wait(hart: usize) {
    let enabled = mstatus::read().mie();
    // SAFETY: masking interrupts globally and enabling the software one are always sound; no
    // software-interrupt handler runs, since global interrupts stay off until MSIE is clear.
    unsafe {
        mstatus::clear_mie();
        mie::set_msoft();
    }
    riscv::asm::wfi();
    // SAFETY: this hart's MSIP register, a valid MMIO address on `virt`; then the state before.
    unsafe {
        msip(hart).write_volatile(0);
        mie::clear_msoft();
        if enabled {
            mstatus::set_mie();
        }
    }
    WAITS[hart].fetch_add(1, Ordering::Relaxed);
}

/// Raises a software interrupt on every other hart.
fn wake() {
    let me = hart_id();
    for h in (0..HARTS).filter(|&h| h != me) {
        // SAFETY: the CLINT's MSIP register of hart `h`, a valid MMIO address on `virt`.
        unsafe { msip(h).write_volatile(1) };
    }
}

/// The CLINT timer, in ticks of [`TIMER_HZ`].
pub fn mtime() -> u64 {
    loop {
        // SAFETY: the CLINT's mtime register, valid MMIO on `virt`, read as two words (rv32).
        let (hi, lo, again) = unsafe {
            (
                MTIME.add(1).read_volatile(),
                MTIME.read_volatile(),
                MTIME.add(1).read_volatile(),
            )
        };
        if hi == again {
            return (u64::from(hi) << 32) | u64::from(lo);
        }
    }
}

/// Raises this hart's timer interrupt at `at` ([`mtime`] ticks); `u64::MAX`: never.
pub fn set_timer(at: u64) {
    let cmp = mtimecmp(hart_id());
    // SAFETY: this hart's mtimecmp, valid MMIO on `virt`; the high word goes to its maximum
    // first, so that no intermediate value fires early.
    unsafe {
        cmp.add(1).write_volatile(u32::MAX);
        cmp.write_volatile(at as u32);
        cmp.add(1).write_volatile((at >> 32) as u32);
    }
}

/// Turns this hart's timer interrupt (`MachineTimer`) on or off, and interrupts with it.
pub fn timer_interrupts(on: bool) {
    // SAFETY: the handler the test binary defines runs from now on; turning off is always sound.
    unsafe {
        if on {
            mie::set_mtimer();
            mstatus::set_mie();
        } else {
            mstatus::clear_mie();
            mie::clear_mtimer();
        }
    }
}

/// A trap on any hart: report it through the panic handler (fails the run).
pub fn exception() -> ! {
    panic!(
        "exception: mcause = {:#x}, mepc = {:#x}, mtval = {:#x}",
        mcause::read().bits(),
        mepc::read(),
        mtval::read()
    )
}

#[doc(hidden)]
pub use riscv_rt as __rt;

#[doc(hidden)]
#[macro_export]
macro_rules! __platform_entry {
    ($main:expr) => {
        #[export_name = "_mp_hook"]
        extern "C" fn __para_mp_hook(hart: usize) -> bool {
            $crate::platform::mp_hook(hart)
        }

        #[export_name = "ExceptionHandler"]
        extern "C" fn __para_exception(_frame: &$crate::platform::__rt::TrapFrame) -> ! {
            $crate::platform::exception()
        }

        #[export_name = "main"]
        fn __para_main(hart: usize, _a1: usize, _a2: usize) -> ! {
            $crate::platform::start(hart, $main)
        }
    };
}
