//! The micro:bit (nRF51822, one Cortex-M0) under `qemu-system-arm -machine microbit`.
//!
//! ARMv6-M has no compare-and-swap: para-core is built with its `portable-atomic` feature, so its
//! read-modify-write atomics run inside a critical section (cortex-m's single-core one, which
//! masks interrupts). Loads and stores stay plain.

// Linked for their side effects: the reset vector, and the critical-section implementation.
use cortex_m as _;
use cortex_m_rt as _;

/// One core.
pub const HARTS: usize = 1;

/// What QEMU emulates.
pub const MACHINE: &str = "qemu-system-arm -machine microbit (Cortex-M0, no CAS)";

/// The index of the running core: always 0.
pub fn hart_id() -> usize {
    0
}

/// Runs `main` on the only core.
pub fn start(main: fn() -> !) -> ! {
    main()
}

#[doc(hidden)]
#[macro_export]
macro_rules! __platform_entry {
    ($main:expr) => {
        // cortex-m-rt's reset handler calls `main` after initialising RAM.
        #[export_name = "main"]
        extern "C" fn __para_main() -> ! {
            $crate::platform::start($main)
        }
    };
}
