//! Ordered stages: a serial stage that sees items in source order although the stages before
//! it run in parallel (oneTBB's `serial_in_order`).
//!
//! Throughout this module, the const parameters of a window are `W` (sequence numbers in
//! flight per window), `P` (parts per item) and `N` (sources, one window each); `S` is always
//! a [`Sender`](crate::Sender) type.
//!
//! # Order
//!
//! The source numbers its items (`seq`). Every item between the source and the ordered stage
//! travels as a [`Tagged`] value: its `seq`, its *part* (which path through fan-outs it took)
//! and the value, or nothing (a *hole*: a filter dropped it, and the ordered stage must still
//! learn that nothing will come). The ordered stage consumes, for `seq = 0, 1, 2, …`, every
//! part of that `seq`, in its window's *order*.
//!
//! Parts are numbered by the predecessors a path enters each node through: at a node fed by
//! several (a merge), the paths through the first take the first numbers, and so on. The macro
//! gives each edge that offset ([`TaggedEdge`], [`OrderedEdge`]), so the parts of an item at
//! any node are `0..paths to it`, a number that does not depend on what lies after the node:
//! one tag serves every ordered stage its item reaches. The *order* lists the parts in branch
//! order (depth first, branches left to right), which the macro computes from the graph; so
//! after a fan-out and a merge the ordered stage sees, per source item, the branch outputs in
//! the order the branches are written, and after a fan-out, a merge and another fan-out, each
//! output of the first group through each branch of the second before the next one's.
//!
//! Tags are put on by the source (numbering) and kept by every stage up to the ordered stages
//! their items reach ([`TaggedStage`]); a branch that reaches none takes them off ([`Untag`]:
//! a hole is skipped there), and so does an ordered stage whose outputs reach none. An ordered
//! stage whose outputs do reach another is *transparent* unless it is a flat-map: it consumes
//! in order and passes each output on with its input's tag (a hole for a filtered item), so the
//! next ordered stage sees it as the part of that source item it is.
//!
//! # Several sources
//!
//! With `S` sources (`pipeline!((a, b) => …)`), each numbers its own items, and a tag also
//! carries its source's index (`src`, set by the source's [`CreditSender`]). Order is per
//! source: the ordered stage consumes each source's `seq`s in order, as above, and interleaves
//! the sources in any order (each step visits every source's window, starting with a different
//! one each time, so none is starved).
//!
//! # Ordered flat-maps
//!
//! An `ordered flat_map` consumes its inputs in the order above and emits each input's outputs
//! lazily, in emission order, all before the next input's ([`run_ordered_flat_map`]): when the
//! room downstream runs out mid-expansion, the iterator is parked under the stage's claim and
//! finished by the next step before any other part is consumed.
//!
//! # Several ordered stages
//!
//! A source takes a credit, for each item, in the window of every ordered stage its tags reach
//! (nested [`CreditSender`]s, one per window): ordered stages in sibling branches, and a
//! transparent one and those after it. Each window is bounded by its own credits.
//!
//! An ordered flat-map whose outputs go on to other ordered stages is the *producer* of their
//! windows: [`RenumberSender`] numbers its outputs `0, 1, 2, …` in the order it emits them and takes
//! a credit for each in those windows, exactly as a source does (each window has one source:
//! this stage, which its `give_credits` wakes). So the next ordered stages see items in the
//! order the flat-map emitted them. A `flat_map` before an ordered stage is made such a
//! producer (`pipeline!` runs it as an `ordered flat_map`): its outputs are numbered as they
//! are emitted, input by input in order, each input's in emission order.
//!
//! A producing ordered stage is serial, and a step gives back the credits it did not use (with
//! `return_unused`, without a wake-up) *before* it lets go of the stage's claim: so no other step
//! of it can be waiting for those credits meanwhile. A step that finds none sets `wanted` and is
//! woken by the next window's stage. (Giving them back after the release lost a wake-up: a
//! second step, started in between, found no credit and set `wanted`, and the credits came back
//! with nothing left in flight to return more; the stress test of two chained flat-maps with two
//! sources hung about one run in ten.)
//!
//! # Flat-maps in fan-out branches
//!
//! `src => (flat_map f, g) => ordered h`: `h` must see, per source item, all of `f`'s outputs
//! of it, then `g`'s, but `f`'s outputs are numbered by `f` (they are any number per input)
//! and `g`'s by the source. So `h` reads them as a *stream* ([`Stream`]): `f` runs as an
//! ordered flat-map that ends each input's outputs with an *end marker* (a hole numbered like
//! an output, `Tagged::end`, through every path to `h`), in a window of its own beside `h`'s
//! (one per such flat-map, fed by [`RenumberSender`] with ends). `h`'s own window lists, among the
//! parts of a source item, where each stream's outputs go: *steps* `0x80 | j` for stream `j`,
//! in branch order like the parts. At such a step `h` consumes stream `j`'s window, in its own
//! order, up to and including the next end marker, then goes on with the next step; its
//! cursor stays at the step until the end marker came. With several sources, a flat-map's
//! outputs keep the source of their input in their tags, and a stream's `seq`s from another
//! source than the one `h`'s window is for wait (the flat-map interleaves the sources as it
//! consumes them, and so does `h`, which reaches each of those `seq`s in turn). After an
//! ordered flat-map on the chain, `h` has one window in that flat-map's order, and so do its
//! streams: no source to match.
//!
//! # Nested flat-maps in a stream branch
//!
//! `src => (flat_map e => flat_map f, g) => ordered h`: `h` must see, per source item, all that
//! `e`'s branch made of it (each of `e`'s outputs expanded by `f`, in order), then `g`'s. `f`
//! consumes `e`'s outputs in `e`'s order, so its outputs already come in that order; what `h`
//! needs is where each source item's end. So `e` ends each input's outputs with a marker, as
//! for a stream, and `f` passes those on ([`Sender::forwards_ends`](crate::Sender::forwards_ends)):
//! it marks nothing per input of its own, and when its window completes a `seq` of end markers
//! (one per path from `e`), it sends one end marker of its own. `h` reads `f`'s outputs as a
//! stream at the step of `e`'s branch. Any number of flat-maps may follow one another that way
//! (each passes on what it reads).
//!
//! `flat_map e => (flat_map f, g2)` inside the branch, both reaching `h`: per output `y` of
//! `e`, `h` must read `f`'s outputs of `y`, then `g2`'s of it. So `f`'s stream is read *inside*
//! `e`'s: `e`'s stream window lists a stream step for `f` among its parts, as `h`'s own window
//! does for `e`, and reading `e`'s stream at the step of a source item reads, per `seq` of it,
//! `f`'s outputs up to their end marker (`f` ends each of its inputs', which are `e`'s
//! outputs). A `seq` that is an end marker has no stream outputs: its stream steps are
//! skipped.
//!
//! # Flat-maps after one that reaches no ordered stage
//!
//! `src => (flat_map e => (flat_map f, flat_map g), k) => ordered h`: `e`'s outputs reach `h`
//! only through `f` and `g`, yet `h` must read, per output `y` of `e`, `f`'s outputs of `y`,
//! then `g`'s, and know where `e`'s outputs of a source item end. So `e` also sends a *hole*
//! per output, and its end markers, into a stream window of its own at `h` ([`WithHoles`],
//! [`HoleEdge`]; the holes count as copies of its outputs): a stream whose one part is that
//! hole, followed by stream steps for `f` and `g`, read at `e`'s step like any stream.
//!
//! # Streams filled by a stage that reads streams
//!
//! `src => ((flat_map f, g) => ordered t, k) => ordered h`: `t` reads `f`'s outputs as a stream
//! and numbers its own outputs anew, so they reach `h` as a stream too. But a step of `t`'s
//! window that reads a stream takes several inputs (all of `f`'s outputs of the item), and `h`
//! must see, per source item and in depth-first order, what each path into `t`'s part of the
//! graph made: `t` or one of the flat-maps it reads. So `t` ends each *step* of its window
//! ([`EndMode::PerStep`](crate::EndMode::PerStep)): after each input from a part, as usual,
//! and after each stream step (told by `Next::StreamDone`), not after each input read from a
//! stream. The macro puts a step for `t`'s stream in `h`'s order wherever a path enters `t` or
//! a flat-map `t` reads, which is where `t`'s own window has its steps, in the same order. An
//! ordered stage that is not a flat-map marks ends the same way: `pipeline!` runs it as an
//! ordered flat-map of its one or no output per input (`AsFlatMap`).
//!
//! A flat-map that passes end markers on and reads only streams (`flat_map e => (flat_map f,
//! flat_map g) => ordered t`, beside another branch) has no part in its window to receive
//! them: its producer sends it a hole per output and its end markers, as for a stream of
//! holes (below).
//!
//! # Several sources and several streams
//!
//! `(a, b) => (flat_map f, flat_map g) => ordered h`: with one window per stream, `f` and `g`
//! could take the sources in different orders and each park an input (a bounded window holds
//! only so many outputs) whose outputs `h` reads only after the other's: `h`'s window for `a`
//! waits on `f`'s stream, whose head is `b`'s, and its window for `b` on `g`'s, whose head is
//! `a`'s (a hang the random graphs found). So where one ordered stage reads several streams
//! and has a window per source, each of them is filled *per source*: a stream has a window per
//! source too, numbered by its own counter ([`RenumberSender`] with `N` windows), and the flat-map
//! parks one input per source ([`run_ordered_flat_map`] with `K = N` slots). Its step reserves
//! room for each source's window in turn: [`Sender::set_origin`](crate::Sender::set_origin)
//! names the source to [`CreditSender::per_source`], which takes credits in that source's stream
//! window. Each source is then a pipeline of its own as far as the windows go, and every one
//! of them progresses as with one source; the queues they share never refuse for long, since
//! what they hold goes into windows that never refuse.
//!
//! An ordered stage that reads streams and feeds another ordered stage numbers its outputs
//! anew for it ([`RenumberSender`]): they are no longer one per path of a source item.
//!
//! # Streams that meet other branches
//!
//! `src => (flat_map f, g) => m => ordered h`: `f`'s outputs and `g`'s meet at `m` before `h`
//! reads them, so `m`'s input carries two numberings. Each stream-filling flat-map has a
//! *lane* (`Tagged::lane`, from 1; every other numbering is lane 0: two of those never meet,
//! the macro refuses that), which its [`RenumberSender`] puts on its outputs and end markers, and
//! every stage and transparent ordered stage keeps (a window stores it with the `seq`). The
//! parts of each numbering are counted separately, so an edge out of such a node has an offset
//! per lane ([`TaggedEdge::per_lane`]), and its edge into `h` sends each lane to its window
//! ([`LaneSplit`]): lane 0 to `h`'s own, a flat-map's lane to the stream `h` reads it as. From
//! there on, nothing differs from a stream that meets the others at `h` itself: the credits
//! were taken per window by each root, and the windows never refuse a part, so items of
//! either numbering never wait for one another in the queues between.
//!
//! Progress: `h`'s window for a source item completes without `h` (its parts hold credits),
//! and `f` produces an item's outputs once it has consumed the item (it holds a credit in
//! `f`'s window) and has credits in the stream's window, which `h` returns as it reads them:
//! `h` reads a stream at the step of the oldest item it has not finished, so the stream's
//! oldest outputs are the ones it waits for. The stream's window bounds `f`'s outputs in
//! flight like any window (10^6 outputs from one input keep a few alive).
//!
//! An ordered step that stops because what it waits for has not arrived does not run itself
//! again: the arrival notifies it. (It once did when its cursor was in the middle of a source
//! item, which with a stream starved the stages bringing the stream's outputs on one worker:
//! it prefers the serial stage.)
//!
//! # Memory
//!
//! The ordered stage's input ([`OrderedBuffer`]) holds one window per source. A window has `W`
//! slots, one per `seq`, each holding the `P` parts of that `seq`. A source takes a *credit* in
//! its own window for `seq` before it emits it, and the ordered stage returns the credit when
//! it has consumed the whole `seq`. So every tagged item alive belongs to one of at most `W`
//! consecutive `seq`s of its source: a slow item holds back its source, not memory (and not
//! the other sources). At most `S × W × P` items (holes included) are between the sources and
//! the ordered stage, however slow one of them is.
//!
//! # Progress
//!
//! The window never refuses a part: its slot was reserved by the credit. So every stage before
//! the ordered one can always push, every part of the oldest `seq` eventually arrives, and the
//! ordered stage can always consume it: no deadlock for any capacity ≥ 1.
//!
//! # Waking the source
//!
//! Each window has its own credits and `wanted` flag, and wakes its own source: everything
//! below holds per source. A source step that finds no credit returns, and the ordered stage
//! wakes the source when it gives credits back. The handshake is the one of a full queue (`queue.rs`, "Blocked
//! producers"): the source sets `wanted` and retries, reading `free` with an RMW; the ordered
//! stage adds to `free`, then takes `wanted`. Of the two RMWs on `free`, one reads the other's
//! write: either the retry sees the credits, or the ordered stage synchronises with the retry
//! and sees `wanted` (acquire/release and RMW atomicity suffice, which loom checks).
//!
//! Whoever takes `wanted` owns the wake-up, so only the ordered stage takes it, and it always
//! notifies the source. Credits reach `free` from two other places, which leave `wanted` alone:
//!
//! * [`CreditSender::reserve`] takes the inner queues' room *first* and credits only for that room, so
//!   it never has credits to give back; room it cannot use goes back through the queues' own
//!   `unreserve`, which wakes the producers waiting for it.
//! * [`CreditSender::unreserve`] returns the credits of a source's last step, when it ran out of items
//!   (a source step waiting for credits then has nothing left to produce), and those an outer
//!   window's [`CreditSender`] could not match (a source feeding several windows): the step that
//!   returns them found the outer window short and set *its* `wanted`, so the outer stage wakes
//!   the source, and that step finds these credits back.
//!
//! It used to take credits first and give back, taking `wanted`, those a full queue left
//! unused, while several workers step a split source at once. The run could hang:
//!
//! ```text
//!   source step Y               consumer of queue Q           source step Z
//!   takes the last credit
//!   Q.reserve → 0 (full):
//!     sets Q.wanted
//!                               Q.release takes Q.wanted,
//!                               notifies the source ────────▶ no credit: sets `wanted`,
//!                                                             returns 0
//!   gives its credit back,
//!     takes `wanted`, drops
//!     the wake-up, returns 0
//! ```
//!
//! Both wake-ups are spent, and the seqs still in flight return their credits with `wanted`
//! clear: the window empties and the source is never stepped again (a hang seen under
//! qemu-arm; the loom model in `tests/loom_ordered.rs` finds it, and passes on this code).

mod consume;
mod control;
mod edges;
mod expand;
mod senders;
mod steps;
mod streams;
mod tags;
mod window;

pub use edges::{HoleEdge, LaneSplit, OrderedEdge, TaggedEdge, WithHoles};
pub use expand::run_ordered_flat_map;
pub use senders::{CreditSender, CreditWindows, RenumberSender};
pub use steps::run_ordered;
pub use streams::{Stream, Streams, MAX_STREAMS};
pub use tags::{TagIter, Tagged, TaggedStage, Untag};
pub(crate) use window::STREAM;
pub use window::{OrderedBuffer, MAX_PARTS};
