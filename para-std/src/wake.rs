//! The wakers of async nodes on para-std's workers.
//!
//! A worker runs only the nodes it holds a token for (`worker.rs`), so waking an async node's
//! future must hand out a token for the node, as `notify` does, from whatever thread the
//! future's device or timer completes on. Each async node of a run gets one [`NodeWaker`],
//! cloned into every `Context` its steps poll with.
//!
//! # A waker that outlives its run
//!
//! A future may give its waker to something that keeps it (a timer wheel, a driver's
//! callback) and calls it after the run has returned. So a waker holds no reference into the
//! run: it holds a `Weak` to the run's [`Shared`] state, which the run keeps alive (an `Arc`)
//! until it returns. Waking upgrades the `Weak`: during the run it reaches the node's tokens;
//! after, it finds nothing and does nothing. No unsafe code, no pointer into a stack.
//!
//! # Protocol
//!
//! Waking adds 1 to the node's wake count (Release), then takes a token for the node as a
//! notifier does (`worker.rs`, "Why a capped notification is never lost") and, if it got one,
//! pushes it into the injector and wakes a sleeping worker (`sleep.rs`). The node reads the
//! count (Acquire) before it polls (para-core's `async_node.rs`): a future's readiness stored
//! before its waker was called is seen by the poll of any step that read the new count.

use std::sync::{Arc, Weak};
use std::task::Wake;

use para_core::NodeId;

use crate::worker::Shared;

/// The waker of async node `node` of the run whose state `shared` is (module docs).
#[derive(Debug)]
pub(crate) struct NodeWaker {
    pub(crate) shared: Weak<Shared>,
    pub(crate) node: NodeId,
}

impl Wake for NodeWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if let Some(shared) = self.shared.upgrade() {
            shared.wake_node(self.node);
        }
    }
}
