//! A run of one graph on N workers: the calling thread and N − 1 pooled threads (`pool.rs`),
//! pinned to cores unless `pin = false`.
//!
//! # Shutdown
//!
//! 1. The run *finishes* when para-core's item count reaches zero: the worker that retires the
//!    last item marks the graph finished and wakes every sleeper (`Scheduler::end`).
//! 2. A panic in any node unwinds out of that worker's node step into `catch_unwind` here: the
//!    worker aborts the graph, keeps the payload if it is the first, and wakes every sleeper.
//! 3. Every worker checks `is_ended` before each task and after each sleep, so all return after
//!    their current node step; `Pool::broadcast` returns when all have.
//! 4. The caller then resumes the first panic with its original payload. Unwinding through the
//!    `pipeline!` expansion drops the graph, its queues (each drops the items it still holds,
//!    exactly once) and the nodes (the source's iterator with its unproduced items).

use std::any::Any;
use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Mutex, PoisonError};

use para_core::{Cx, Graph, NodeId};

use crate::caller::SourceThread;
use crate::pool::{pool, Spawn};
use crate::threads::Threads;
use crate::worker::{Shared, WorkerCx};

/// How a run uses its threads.
#[derive(Debug, Clone)]
pub struct Options {
    pin: bool,
    stack_size: usize,
    /// The sources the calling thread must drive (`caller.rs`).
    on_caller: Vec<NodeId>,
}

/// The stack size of the pool threads that run pipelines, unless `stack_size` says otherwise:
/// the usual size of a Linux main thread. Only the pages a thread touches take memory.
pub const DEFAULT_STACK_SIZE: usize = 8 << 20;

impl Options {
    /// The defaults: workers pinned to cores, [`DEFAULT_STACK_SIZE`] stacks.
    pub fn new() -> Self {
        Options {
            pin: true,
            stack_size: DEFAULT_STACK_SIZE,
            on_caller: Vec::new(),
        }
    }

    /// Source `id` is `node`: notes whether only the calling thread may drive it.
    pub fn source<N: SourceThread>(mut self, id: NodeId, _node: &N) -> Self {
        if N::ON_CALLER {
            self.on_caller.push(id);
        }
        self
    }

    /// Whether pooled workers are pinned, each to one core (default `true`; the calling thread,
    /// worker 0, is never pinned). Pinning keeps a
    /// worker's queues and items in one core's cache; turn it off when the process shares the
    /// machine with other busy work, or runs under a restricted CPU set.
    pub fn pin(mut self, pin: bool) -> Self {
        self.pin = pin;
        self
    }

    /// The least stack, in bytes, of the pool threads that run this pipeline's workers 1 to
    /// N − 1 (default [`DEFAULT_STACK_SIZE`]). Raise it for closures with big frames or for
    /// big items passed by value: a worker's frames hold up to a few items at once (the one a
    /// stage takes, the one it returns, and their copies in the closure's frame). Worker 0 is
    /// the calling thread, whose stack is the caller's to size.
    pub fn stack_size(mut self, bytes: usize) -> Self {
        self.stack_size = bytes.max(1);
        self
    }
}

impl Default for Options {
    fn default() -> Self {
        Options::new()
    }
}

thread_local! {
    /// Whether this thread is a worker of some run right now: a `pipeline!` it calls is nested.
    static IN_RUN: Cell<bool> = const { Cell::new(false) };
}

type Payload = Box<dyn Any + Send + 'static>;

/// Runs `graph` to completion on `threads` workers; returns when every worker has returned.
///
/// Workers beyond the caller come from a pool of threads (`pool.rs`). They are handed the run
/// one after another, only while it has not ended: a short run does not wait for thousands of
/// threads to start. A nested run (one called from inside a stage of another run) takes only
/// pool threads that are idle and never starts new ones, so nesting cannot multiply the
/// threads; at worst it runs on its caller alone, which can finish any run.
///
/// # Panics
/// Resumes the first panic of any node, with its original payload, after every worker has
/// stopped; panics if `threads` is 0. If the OS refuses a worker thread, the run goes on with
/// the workers it has (the calling thread alone can finish any run).
pub fn run<D>(graph: &Graph<'_, D>, threads: Threads, options: Options)
where
    D: Fn(NodeId, &mut Cx<'_>) -> bool + Sync,
{
    let Threads(threads) = threads;
    assert!(
        threads >= 1,
        "pipeline!: the thread count must be at least 1"
    );
    if graph.is_ended() {
        return; // no source: nothing will ever flow
    }
    graph.set_workers(threads);
    // In an `Arc`: the wakers of async nodes hold a `Weak` to it (`wake.rs`).
    let shared = Arc::new_cyclic(|this| {
        Shared::new(
            graph.nodes(),
            graph.sources(),
            &options.on_caller,
            threads,
            this,
        )
    });
    let first_panic: Mutex<Option<Payload>> = Mutex::new(None);

    let work = |index: usize| {
        let outer = IN_RUN.replace(true);
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
            WorkerCx::start(index, &shared).run(graph);
        }));
        IN_RUN.set(outer);
        if let Err(payload) = outcome {
            graph.abort();
            let mut slot = first_panic.lock().unwrap_or_else(PoisonError::into_inner);
            slot.get_or_insert(payload);
            drop(slot);
            shared.sleep.wake_all();
        }
    };
    let spawn = Spawn {
        stack_size: options.stack_size,
        new_threads: !IN_RUN.get(),
        still_needed: &|| !graph.is_ended(),
    };
    pool(options.pin).broadcast(threads, &work, &spawn);

    if let Some(payload) = first_panic
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner)
    {
        panic::resume_unwind(payload);
    }
}
