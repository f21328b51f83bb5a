// The watchdog of the tests of para-core alone that run pipelines on threads
// (`pipeline.rs`, `sleeping.rs`): a hang fails the test instead of blocking the run.
// The including file imports `std::sync::mpsc` and `std::time::Duration`.

/// Runs `f` on a thread of its own and fails if it takes longer than `secs`; resumes its panic.
fn watchdog<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)));
    });
    match rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(Ok(value)) => value,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => panic!("the pipeline hung (watchdog, {secs} s)"),
    }
}
