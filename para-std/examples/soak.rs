//! Soak runs (not part of CI; see `scripts/soak.sh`):
//!
//! * `soak items N`: N tiny items through a 3-stage pipeline; prints the peak RSS (`VmHWM`), so
//!   that a run over 10^8 items can be compared with one over 10^4 in separate processes.
//! * `soak loops N`: N short pipelines one after another; prints RSS and thread count at the
//!   start, halfway and at the end: neither may grow.

use para_std::pipeline;
use std::time::Instant;

/// A field of `/proc/self/status` (Linux), in its own unit (kB for memory).
fn status(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "items".to_owned());
    let n: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let threads = para_std::all_cores();
    let started = Instant::now();
    match mode.as_str() {
        "items" => {
            let mut sum = 0u64;
            pipeline!(threads, 0..n
                      => |x: u64| x.wrapping_mul(3)
                      => |x: u64| x ^ 7
                      => |x| sum = sum.wrapping_add(x));
            println!(
                "items {n}: checksum {sum}, {:.2} s, peak RSS {} kB",
                started.elapsed().as_secs_f64(),
                status("VmHWM:")
            );
        }
        "loops" => {
            let report = |at: &str| {
                println!(
                    "{at}: RSS {} kB, threads {}",
                    status("VmRSS:"),
                    status("Threads:")
                );
            };
            report("start");
            for i in 0..n {
                let mut sum = 0u64;
                pipeline!(threads, 0..100u64 => |x| x + 1 => |x| sum += x);
                assert_eq!(sum, 5_050);
                if i == n / 2 {
                    report("half");
                }
            }
            report("end");
            println!("{n} pipelines in {:.2} s", started.elapsed().as_secs_f64());
            // Pooled worker threads exit after 5 s without work.
            std::thread::sleep(std::time::Duration::from_secs(6));
            report("idle");
        }
        other => {
            eprintln!("usage: soak items N | soak loops N (got {other})");
            std::process::exit(2);
        }
    }
}
