//! The harness must report failures: `scripts/bare-metal.sh` runs this and expects exit code 101
//! and a `1 passed, 2 failed` line. A failed check fails one test and the run goes on; a panic on
//! a core other than 0, inside a graph run, ends the run.
#![no_std]
#![no_main]

use para_qemu::{ensure_eq, on_all_cores, Outcome, HARTS};

para_qemu::main!(passes, check_fails, last_core_panics);

fn passes() -> Outcome {
    Outcome::Pass
}

fn check_fails() -> Outcome {
    ensure_eq!(1 + 1, 3);
    Outcome::Pass
}

fn last_core_panics() -> Outcome {
    on_all_cores(&|core| {
        if core == HARTS - 1 {
            panic!("deliberate panic on core {core}");
        }
    });
    Outcome::Pass
}
