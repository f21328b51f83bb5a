//! The end-to-end tests of para, through its public crates: one test binary, a module per
//! subject (a binary per file would compile and link para-std once per file).

// Nothing leaves a test binary: `pub` items here are shared between its modules.
#![allow(unreachable_pub)]

mod common;

mod async_stages;
mod batch_stages;
mod bounded_memory;
mod caller_sources;
mod capacity_one;
mod compress;
mod dot;
mod errors_and_stop;
mod fan_out;
mod fault_injection;
mod feeds;
mod flat_fold;
mod flat_map;
mod flat_map_branches;
mod fold;
mod nested_flat_maps;
mod node_kinds;
mod ordered;
mod ordered_branches;
mod ordered_chains;
mod ordered_flat_map;
mod ordered_sources;
mod panics;
mod priorities;
mod random_graphs;
mod scaling;
mod seed;
mod serial_flat_map;
mod shared_text;
mod split_sources;
mod stats;
mod stream_lanes;
mod stream_readers_per_input;
mod streams_of_stream_readers;
mod streams_per_source;
mod threads;
mod try_stages;
