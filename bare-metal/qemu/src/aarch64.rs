//! AArch64 `virt` machine (Cortex-A53), EL1, 4 cores, booted by aarch64-rt.
//!
//! QEMU starts core 0 only. aarch64-rt enables the MMU with the identity map below, enables the
//! FPU, zeroes `.bss` and calls `main` on core 0, which starts cores 1–3 with PSCI `CPU_ON` over
//! HVC (QEMU's built-in PSCI); they serve jobs from core 0 (para-core's `Harts`).

use aarch64_rt::{start_core, ExceptionHandlers, InitialPagetable, Stack};
use para_core::Sleep;

/// Cores of the emulated machine (`-smp 4`).
pub const HARTS: usize = 4;

/// What QEMU emulates.
pub const MACHINE: &str = "qemu-system-aarch64 -machine virt -cpu cortex-a53";

/// Pages (4 KiB) of stack for each of cores 1–3. Core 0 runs on aarch64-rt's boot stack.
const STACK_PAGES: usize = 16;

// Level-1 block descriptors (1 GiB each) of the identity map; attribute indices refer to
// aarch64-rt's DEFAULT_MAIR (0: Device-nGnRE, 1: Normal write-back).
const VALID_BLOCK: usize = 0b01;
const ATTR_DEVICE: usize = 0 << 2;
const ATTR_NORMAL: usize = 1 << 2;
const INNER_SHAREABLE: usize = 0b11 << 8;
const ACCESSED: usize = 1 << 10;
const UXN: usize = 1 << 54;

/// Identity map: 0–1 GiB device memory (UART, GIC, ...), 1–2 GiB RAM as normal cacheable,
/// inner-shareable memory, which exclusive loads and stores (atomics) need on real cores.
pub const IDMAP: InitialPagetable = {
    let mut table = [0; 512];
    table[0] = VALID_BLOCK | ATTR_DEVICE | ACCESSED | UXN;
    table[1] = 0x4000_0000 | VALID_BLOCK | ATTR_NORMAL | INNER_SHAREABLE | ACCESSED;
    InitialPagetable(table)
};

/// The stacks of cores 1–3.
#[link_section = ".stack.harts"]
static mut STACKS: [Stack<STACK_PAGES>; HARTS - 1] = [const { Stack::new() }; HARTS - 1];

/// The index of the running core (MPIDR_EL1.Aff0; QEMU's `virt` numbers cores 0..n there).
pub fn hart_id() -> usize {
    let mpidr: u64;
    // SAFETY: reading MPIDR_EL1 has no side effect.
    unsafe {
        core::arch::asm!("mrs {}, mpidr_el1", out(reg) mpidr, options(nomem, nostack, preserves_flags))
    };
    (mpidr & 0xff) as usize
}

/// How idle cores wait: `wfe` until an event, which `sev` sends to every core (para-core's
/// `Sleep`). The event register latches: a `sev` before the `wfe` makes it return at once.
pub const SLEEP: Sleep = Sleep { wait, wake };

fn wait(_core: usize) {
    // SAFETY: `wfe` only waits for an event or an interrupt.
    unsafe { core::arch::asm!("wfe", options(nomem, nostack, preserves_flags)) };
}

fn wake() {
    // SAFETY: `dsb` orders this core's earlier stores before the event; `sev` signals every core.
    unsafe { core::arch::asm!("dsb ish", "sev", options(nostack, preserves_flags)) };
}

/// Core 0's `main`: starts cores 1–3, then runs `main`.
pub fn start(main: fn() -> !) -> ! {
    for h in 1..HARTS {
        // SAFETY: stack `h - 1` is given to core `h` only, once, and is identity-mapped as normal
        // memory in IDMAP, which the started core uses too.
        let stack = unsafe { &raw mut STACKS[h - 1] };
        // SAFETY: as above; the entry closure never returns.
        let started = unsafe {
            start_core::<smccc::Hvc, _, STACK_PAGES>(h as u64, stack, move || crate::CORES.serve(h))
        };
        if let Err(e) = started {
            panic!("PSCI CPU_ON of core {h} failed: {e:?}");
        }
    }
    main()
}

/// Exceptions panic (aarch64-rt's defaults), which fails the run.
#[derive(Debug)]
pub struct Exceptions;

impl ExceptionHandlers for Exceptions {}

#[doc(hidden)]
pub use aarch64_rt as __rt;

#[doc(hidden)]
#[macro_export]
macro_rules! __platform_entry {
    ($main:expr) => {
        $crate::platform::__rt::initial_pagetable!($crate::platform::IDMAP);
        $crate::platform::__rt::exception_handlers!($crate::platform::Exceptions);
        $crate::platform::__rt::entry!(__para_main, 40);

        fn __para_main(_x0: u64, _x1: u64, _x2: u64, _x3: u64) -> ! {
            $crate::platform::start($main)
        }
    };
}
