//! The harness every loom model of the workspace shares: `check` explores a model and reports
//! how far it got, `Arc` shares a value between a model's actors, `join_all` joins them.
//! Included by para-core/tests/loom.rs and loom_ordered.rs (`mod loom_harness;`) and by
//! para-std/tests/loom.rs (with `#[path]`); each file uses what it needs.
#![allow(dead_code)]

use std::sync::atomic::AtomicUsize as StdAtomicUsize;
use std::sync::atomic::Ordering as StdOrdering;

use loom::thread;

/// Explores every execution of `model` with at most `preemptions` preemptions per execution
/// (`LOOM_MAX_PREEMPTIONS` overrides it), prints the number of executions and checks that there
/// was more than one.
pub(crate) fn check(name: &str, preemptions: usize, model: impl Fn() + Sync + Send + 'static) {
    let count = std::sync::Arc::new(StdAtomicUsize::new(0));
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(preemptions);
    }
    let counter = count.clone();
    let start = std::time::Instant::now();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        builder.check(move || {
            counter.fetch_add(1, StdOrdering::Relaxed);
            model();
        });
    }));
    let executions = count.load(StdOrdering::Relaxed);
    if let Err(payload) = result {
        eprintln!("loom model {name}: failed in execution {executions}");
        std::panic::resume_unwind(payload);
    }
    eprintln!(
        "loom model {name}: {executions} executions in {:.1?} (preemption bound {:?})",
        start.elapsed(),
        builder.preemption_bound
    );
    assert!(
        executions > 1,
        "loom model {name} explored a single execution: the model is vacuous (loom #392)"
    );
}

/// A shared value for the actors of a model: `std::sync::Arc` around a value that is leaked,
/// not dropped, if the last reference goes while a model fails. (Dropping loom objects while
/// loom unwinds out of a failed execution — e.g. a deadlock — panics in the destructor and
/// aborts the whole test binary, expected failures included; loom's own `Arc` does the same.)
pub(crate) struct Arc<T>(pub(crate) std::sync::Arc<std::mem::ManuallyDrop<T>>);

impl<T> Arc<T> {
    pub(crate) fn new(value: T) -> Self {
        Arc(std::sync::Arc::new(std::mem::ManuallyDrop::new(value)))
    }
}

impl<T> Clone for Arc<T> {
    fn clone(&self) -> Self {
        Arc(self.0.clone())
    }
}

impl<T> std::ops::Deref for Arc<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> Drop for Arc<T> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        if let Some(value) = std::sync::Arc::get_mut(&mut self.0) {
            // SAFETY: the last reference, dropped once, here.
            unsafe { std::mem::ManuallyDrop::drop(value) };
        }
    }
}

/// Joins every actor, propagating the first panic.
pub(crate) fn join_all(handles: Vec<thread::JoinHandle<()>>) {
    for handle in handles {
        handle.join().unwrap();
    }
}
