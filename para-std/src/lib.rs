//! para-std (WIP)
#![deny(unsafe_code)]

mod runtime;
mod sleep;
mod threads;
mod worker;

pub use para_core::{NodeId, NodeInfo, NodeKind};
pub use runtime::Options;
pub use threads::ThreadCount;

/// Runs a graph of closures on every core. See the crate docs.
#[macro_export]
macro_rules! pipeline {
    ($($tokens:tt)*) => {
        $crate::__private::pipeline_impl! { [$crate] $($tokens)* }
    };
}

/// What `pipeline!`'s expansion calls. Not a stable interface.
#[doc(hidden)]
pub mod __private {
    pub use crate::runtime::run;
    pub use crate::threads::{all_cores, thread_count};
    pub use crate::Options;
    pub use para_core::__private::*;
    pub use para_macros::pipeline_impl;
}
