//! A hang must be killed: `scripts/bare-metal.sh` runs this under a short timeout and expects
//! `qemu-run.sh` to kill it (exit code 124).
#![no_std]
#![no_main]

use para_qemu::{on_all_cores, Outcome};

para_qemu::main!(never_returns);

fn never_returns() -> Outcome {
    on_all_cores(&|_| loop {
        core::hint::spin_loop();
    });
    Outcome::Pass
}
