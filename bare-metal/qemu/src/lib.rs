//! para-core on bare metal under QEMU: boot, start every core, run tests, report, exit.
//!
//! A test binary (`tests/*.rs`, `harness = false`) is a `#![no_std] #![no_main]` program that
//! lists its tests with [`main!`]. Core 0 runs the tests one after another; a test builds a
//! para graph on core 0's stack and hands it to every core with [`run_graph`], where each core
//! runs para-core's scanning worker loop, [`Graph::work`]. There is no allocator.
//!
//! Results go to the host through semihosting: one line per test, then a plain
//! `N passed, N failed[, N skipped]` line, and the exit code (0 when nothing failed). A panic on
//! any core fails the run at once (exit code 101). A hang is killed by the runner's timeout
//! (`qemu-run.sh`).
//!
//! | target | machine | cores |
//! |---|---|---|
//! | riscv32imac-unknown-none-elf | `qemu-system-riscv32 -machine virt -bios none` | 4 harts |
//! | riscv64gc-unknown-none-elf | `qemu-system-riscv64 -machine virt -bios none` | 4 harts |
//! | aarch64-unknown-none | `qemu-system-aarch64 -machine virt -cpu cortex-a53` | 4 cores (PSCI CPU_ON) |
//! | thumbv6m-none-eabi | `qemu-system-arm -machine microbit` | 1 Cortex-M0, no compare-and-swap |
#![no_std]
#![deny(unsafe_op_in_unsafe_fn)]

use core::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

pub use para_core::Harts;
pub use para_core::{Cx, Graph, NodeId, NodeInfo, NodeKind};
#[doc(hidden)]
pub use semihosting as __semihosting;

#[cfg(any(target_arch = "riscv32", target_arch = "riscv64"))]
#[path = "riscv.rs"]
pub mod platform;

#[cfg(target_arch = "aarch64")]
#[path = "aarch64.rs"]
pub mod platform;

#[cfg(target_arch = "arm")]
#[path = "cortex_m.rs"]
pub mod platform;

pub use platform::{hart_id, HARTS, MACHINE};

/// Every core of the machine. Cores 1.. serve jobs from core 0 (para-core's `Harts`); idle
/// cores wait for a wake-up (`platform::SLEEP`) instead of spinning where the platform has one.
#[cfg(not(target_arch = "arm"))]
pub static CORES: Harts<HARTS> = Harts::sleeping(platform::SLEEP);
/// Every core of the machine: one Cortex-M0, which spins when idle.
#[cfg(target_arch = "arm")]
pub static CORES: Harts<HARTS> = Harts::new();

/// The static description of a node, at its kind's default priority, as `pipeline!` writes it.
pub const fn node(name: &'static str, kind: NodeKind, preds: &'static [NodeId]) -> NodeInfo {
    NodeInfo::new(name, kind, preds)
}

/// Prints a line to the host (semihosting stdout).
#[macro_export]
macro_rules! println {
    ($($arg:tt)*) => { $crate::__semihosting::println!($($arg)*) };
}

/// Ends the emulation with `code` as QEMU's exit code.
pub fn exit(code: i32) -> ! {
    semihosting::process::exit(code)
}

/// What a test found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every check held.
    Pass,
    /// A check failed (it printed why).
    Fail,
    /// Not run, for the given reason.
    Skip(&'static str),
}

/// One test of a test binary: see [`main!`].
#[derive(Debug)]
pub struct Test {
    /// The test's name.
    pub name: &'static str,
    /// The test.
    pub run: fn() -> Outcome,
}

/// Fails the current test (returns [`Outcome::Fail`]) with a message unless `cond` holds.
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            $crate::println!("    check failed at line {}: {}", line!(), format_args!($($msg)+));
            return $crate::Outcome::Fail;
        }
    };
}

/// Fails the current test unless `left == right`.
#[macro_export]
macro_rules! ensure_eq {
    ($left:expr, $right:expr $(,)?) => {{
        let (left, right) = (&$left, &$right);
        $crate::ensure!(
            *left == *right,
            "{} == {}: {:?} != {:?}",
            stringify!($left),
            stringify!($right),
            left,
            right
        );
    }};
}

/// The program of a test binary: boots every core of the machine and runs the listed tests
/// (functions `fn() -> Outcome`) on core 0.
#[macro_export]
macro_rules! main {
    ($($test:path),* $(,)?) => {
        static __PARA_TESTS: &[$crate::Test] = &[
            $($crate::Test { name: stringify!($test), run: $test }),*
        ];
        $crate::__platform_entry!(|| $crate::run_tests(__PARA_TESTS));
    };
}

// Written by core 0 only; the panic handler reads them.
static PASSED: AtomicUsize = AtomicUsize::new(0);
static FAILED: AtomicUsize = AtomicUsize::new(0);
static SKIPPED: AtomicUsize = AtomicUsize::new(0);
static CURRENT: AtomicPtr<Test> = AtomicPtr::new(core::ptr::null_mut());

fn summary(extra_failed: usize) -> usize {
    let passed = PASSED.load(Ordering::Relaxed);
    let failed = FAILED.load(Ordering::Relaxed) + extra_failed;
    let skipped = SKIPPED.load(Ordering::Relaxed);
    if skipped > 0 {
        println!("{passed} passed, {failed} failed, {skipped} skipped");
    } else {
        println!("{passed} passed, {failed} failed");
    }
    failed
}

/// Core 0: brings the other cores up, runs `tests`, prints the summary line and exits.
pub fn run_tests(tests: &'static [Test]) -> ! {
    let up = CORES.wait_online(100_000_000);
    println!(
        "running {} tests on {MACHINE}: {up} of {HARTS} cores up",
        tests.len()
    );
    if up != HARTS {
        println!("only {up} of {HARTS} cores came up");
        summary(tests.len());
        exit(1);
    }
    for test in tests {
        CURRENT.store(test as *const Test as *mut Test, Ordering::Relaxed);
        let counter = match (test.run)() {
            Outcome::Pass => {
                println!("test {} ... ok", test.name);
                &PASSED
            }
            Outcome::Fail => {
                println!("test {} ... FAILED", test.name);
                &FAILED
            }
            Outcome::Skip(why) => {
                println!("test {} ... skipped: {why}", test.name);
                &SKIPPED
            }
        };
        counter.store(counter.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
    }
    CURRENT.store(core::ptr::null_mut(), Ordering::Relaxed);
    let failed = summary(0);
    exit(if failed == 0 { 0 } else { 1 })
}

/// Core 0: runs `f(core)` on every core at once; returns when every core has returned.
///
/// `f` may borrow from the caller's stack (a graph): see para-core's `Harts` for the protocol that
/// makes that sound.
pub fn on_all_cores<F: Fn(usize) + Sync>(f: &F) {
    CORES.run(f)
}

/// Core 0: every core runs para-core's worker loop on `graph` until the run ends. Returns the
/// number of productive node steps each core ran.
pub fn run_graph<D>(graph: &Graph<'_, D>) -> [usize; HARTS]
where
    D: Fn(NodeId, &mut Cx<'_>) -> bool + Sync,
{
    let steps = [const { AtomicUsize::new(0) }; HARTS];
    on_all_cores(&|core| steps[core].store(graph.work(), Ordering::Relaxed));
    steps.map(|s| s.into_inner())
}

static PANICKED: AtomicUsize = AtomicUsize::new(0);

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    // The first core to panic reports and ends the emulation; any other just stops. (A load and
    // a store, not a swap: thumbv6m has no swap, and it has a single core.)
    if PANICKED.load(Ordering::Relaxed) != 0 {
        loop {
            core::hint::spin_loop();
        }
    }
    PANICKED.store(1, Ordering::Relaxed);
    let test = CURRENT.load(Ordering::Relaxed);
    // SAFETY: CURRENT is null or points into the `'static` test table.
    let name = unsafe { test.as_ref() }.map_or("(no test)", |t| t.name);
    println!(
        "test {name} ... FAILED: core {} panicked: {info}",
        hart_id()
    );
    summary(1);
    exit(101)
}
