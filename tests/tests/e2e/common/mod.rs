//! Shared test helpers: a watchdog, and an item type that counts its clones and live copies.
#![allow(dead_code, unreachable_pub, unused_macros, unused_imports)]

use std::io::Write;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// Runs `f`, aborting the whole test process if it takes longer than `seconds`: a hang fails
/// loudly and fast instead of blocking CI.
pub fn watchdog<T>(seconds: u64, f: impl FnOnce() -> T) -> T {
    watchdog_of(seconds, "", f)
}

/// [`watchdog`], naming what `f` runs (`what`: the case of a generated test, say) if it hangs.
///
/// The time allowed is `seconds` times `PARA_TEST_SLOWDOWN` (an integer, 1 if unset): the
/// scripts that run the tests under a sanitizer or an emulator set it, since those run the
/// same work several times slower, and more so when the test binary runs several heavy tests
/// at once on a small machine.
pub fn watchdog_of<T>(seconds: u64, what: &str, f: impl FnOnce() -> T) -> T {
    let seconds = seconds * slowdown();
    let (done, wait) = mpsc::channel::<()>();
    let name = thread::current().name().unwrap_or("test").to_owned();
    let what = if what.is_empty() {
        String::new()
    } else {
        format!(" ({what})")
    };
    let dog = thread::spawn(move || {
        if let Err(mpsc::RecvTimeoutError::Timeout) =
            wait.recv_timeout(Duration::from_secs(seconds))
        {
            // Straight to stderr: libtest captures `eprintln!` from threads a test spawns.
            let _ = writeln!(
                std::io::stderr(),
                "watchdog: `{name}`{what} still running after {seconds} s: hang, aborting"
            );
            std::process::abort();
        }
    });
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    drop(done);
    let _ = dog.join();
    match result {
        Ok(value) => value,
        Err(payload) => panic::resume_unwind(payload),
    }
}

/// How many times slower than natively the tests run here: `PARA_TEST_SLOWDOWN`, or 1.
pub fn slowdown() -> u64 {
    std::env::var("PARA_TEST_SLOWDOWN")
        .ok()
        .and_then(|factor| factor.parse().ok())
        .unwrap_or(1)
        .max(1)
}

/// Runs the test `name` of module `module` (this very test: pass `module_path!()`) alone in a
/// child process of the test binary, so that a crash there (a stack overflow aborts the
/// process) fails this test instead of taking the whole runner down. In the child, returns
/// `true`: the caller then does the real work. In the parent, waits for the child (killing it
/// after `seconds`), asserts it passed, and returns `false`.
pub fn in_child_process(module: &str, name: &str, seconds: u64) -> bool {
    in_child_process_with_stdin(module, name, seconds, &[])
}

/// [`in_child_process`], with `stdin` as the child's standard input.
pub fn in_child_process_with_stdin(module: &str, name: &str, seconds: u64, stdin: &[u8]) -> bool {
    const CHILD: &str = "PARA_TEST_CHILD";
    if std::env::var_os(CHILD).is_some() {
        return true;
    }
    // libtest names a test by its path without the crate: `threads::a_test`.
    let name = match module.split_once("::") {
        Some((_crate, path)) => format!("{path}::{name}"),
        None => name.to_owned(),
    };
    let name = name.as_str();
    let exe = std::env::current_exe().expect("the test binary's path");
    // Under an emulator (scripts/cross-test.sh: qemu-user) the binary runs through it, named
    // by PARA_TEST_RUNNER as cargo's runner is: the command, then its arguments.
    let runner = std::env::var("PARA_TEST_RUNNER").unwrap_or_default();
    let mut runner = runner.split_whitespace();
    let mut command = match runner.next() {
        Some(program) => {
            let mut command = std::process::Command::new(program);
            command.args(runner).arg(exe);
            command
        }
        None => std::process::Command::new(exe),
    };
    let mut child = command
        .args([name, "--exact", "--test-threads=1", "--nocapture"])
        .env(CHILD, "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the child process");
    // Written from a thread of its own, so that a child that reads slowly, or not at all,
    // cannot block the watch below; closed when written, which ends the child's input.
    let mut input = child.stdin.take().expect("the child's stdin");
    let stdin = stdin.to_vec();
    let writer = thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the child") {
            break status;
        }
        if start.elapsed() > Duration::from_secs(seconds * slowdown()) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`{name}` in a child process still running after {seconds} s: hang");
        }
        thread::sleep(Duration::from_millis(20));
    };
    let _ = writer.join();
    let output = child.wait_with_output().expect("the child's output");
    assert!(
        status.success() && String::from_utf8_lossy(&output.stdout).contains("1 passed"),
        "`{name}` failed in a child process ({status}):\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    false
}

/// The number of threads of this process (Linux: `/proc/self/task`).
pub fn threads_alive() -> usize {
    std::fs::read_dir("/proc/self/task")
        .expect("/proc/self/task (Linux)")
        .count()
}

/// Counters shared by the `Tracked` items of one test (each test leaks its own).
#[derive(Debug, Default)]
pub struct Counters {
    pub live: AtomicUsize,
    pub peak: AtomicUsize,
    pub created: AtomicUsize,
    pub clones: AtomicUsize,
    pub drops: AtomicUsize,
}

impl Counters {
    pub fn new() -> &'static Counters {
        Box::leak(Box::default())
    }

    pub fn item(&'static self, value: i64) -> Tracked {
        self.created.fetch_add(1, Ordering::Relaxed);
        self.born();
        Tracked {
            value,
            counters: self,
        }
    }

    fn born(&self) {
        let live = self.live.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(live, Ordering::SeqCst);
    }

    pub fn live(&self) -> usize {
        self.live.load(Ordering::SeqCst)
    }
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }
    pub fn clones(&self) -> usize {
        self.clones.load(Ordering::SeqCst)
    }
    pub fn drops(&self) -> usize {
        self.drops.load(Ordering::SeqCst)
    }
    pub fn created(&self) -> usize {
        self.created.load(Ordering::SeqCst)
    }
}

/// An item that knows how many of its kind are alive, were cloned, were dropped.
#[derive(Debug)]
pub struct Tracked {
    pub value: i64,
    counters: &'static Counters,
}

impl Tracked {
    /// The counters this item reports to.
    pub fn counters(&self) -> &'static Counters {
        self.counters
    }

    /// The same item with a new value (the old one is dropped, the new one born).
    pub fn map(self, f: impl FnOnce(i64) -> i64) -> Tracked {
        self.counters.item(f(self.value))
    }
}

impl Clone for Tracked {
    fn clone(&self) -> Self {
        self.counters.clones.fetch_add(1, Ordering::SeqCst);
        self.counters.born();
        Tracked {
            value: self.value,
            counters: self.counters,
        }
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.counters.drops.fetch_add(1, Ordering::SeqCst);
        self.counters.live.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A few microseconds of work the optimiser cannot remove.
pub fn busy(x: i64, rounds: u32) -> i64 {
    let mut h = x as u64 ^ 0x9E37_79B9_7F4A_7C15;
    for _ in 0..rounds {
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    }
    std::hint::black_box(h) as i64 & 0xff
}

/// The message of a panic payload.
pub fn message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string payload>".to_owned()
    }
}

pub const THREADS: [usize; 4] = [1, 2, 4, 8];

/// `pipeline!` at the default capacity or at capacity 1 (a `const`, so two invocations):
/// `run!(threads, capacity_one, body…)`.
macro_rules! run {
    ($threads:expr, $capacity_one:expr, $($body:tt)*) => {
        if $capacity_one {
            para_std::pipeline!($threads, capacity = 1, $($body)*)
        } else {
            para_std::pipeline!($threads, $($body)*)
        }
    };
}
pub(crate) use run;

/// Work whose cost varies a lot from item to item (every seventh is ~80× dearer), so that
/// parallel stages finish out of order.
pub fn uneven(t: Tracked) -> Tracked {
    let rounds = if t.value.rem_euclid(7) == 0 { 400 } else { 5 };
    std::hint::black_box(busy(t.value, rounds));
    t
}

/// The outputs of input `x`: `x % 4` of them (none for some inputs), `10x + i`.
pub fn expand(t: Tracked) -> impl Iterator<Item = Tracked> {
    let (c, x) = (t.counters(), t.value);
    (0..x.rem_euclid(4)).map(move |i| c.item(10 * x + i))
}

/// What [`expand`] makes of `x`, as plain values.
pub fn expanded(x: i64) -> Vec<i64> {
    (0..x.rem_euclid(4)).map(|i| 10 * x + i).collect()
}

/// Two outputs per input, keeping its sign: `100x` and `100x ± 1`.
pub fn pair(t: Tracked) -> [Tracked; 2] {
    let (c, v) = (t.counters(), t.value);
    [c.item(v * 100), c.item(v * 100 + v.signum())]
}

/// What [`pair`] makes of `x`, as plain values.
pub fn pairs(x: i64) -> Vec<i64> {
    vec![x * 100, x * 100 + x.signum()]
}

/// The sequential reference of a fan-out into an ordered stage: per item, the branch outputs
/// in branch order.
pub fn reference(
    items: impl Iterator<Item = i64>,
    branches: &[&dyn Fn(i64) -> Vec<i64>],
) -> Vec<i64> {
    items
        .flat_map(|x| branches.iter().flat_map(move |b| b(x)).collect::<Vec<_>>())
        .collect()
}
