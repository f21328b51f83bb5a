//! RISC-V `virt` machine, M-mode, 4 harts, booted by riscv-rt.
//!
//! QEMU starts every hart at the ELF entry. riscv-rt gives each its stack and calls our
//! `_mp_hook`: hart 0 goes on to initialise RAM and reach `main`; the others wait there for a
//! software interrupt from hart 0, which it raises once `.bss` is zeroed, then reach `main` too,
//! and serve jobs from hart 0 (para-core's `Harts`).

use riscv::register::{mcause, mepc, mhartid, mie, mip, mtval};
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
