//! Ordered stages: a serial stage that sees items in source order although the stages before
//! it run in parallel (oneTBB's `serial_in_order`).
//!
//! This guide goes by concept: the data, numbering, windows, holes, credits, streams, lanes,
//! then why a run always progresses. The macro's side (which node numbers what, each edge's
//! offset, each window's order) is `para-macros/src/order`. Throughout the module, the const
//! parameters of a window are `W` (sequence numbers in flight per window), `P` (parts per
//! item) and `N` (sources, one window each); `S` is always a [`Sender`](crate::raw::Sender) type.
//!
//! # The data
//!
//! ```text
//!  source a ──seq 7──▶ stages ──Tagged{seq 7, part 1, src 0, lane 0, end, value}──▶ ┐
//!                                                                                    │
//!  OrderedBuffer<T, W, P, N>: one window per source                                  ▼
//!  ┌ window of source 0 ───────────────────────────────────────────────────────────────┐
//!  │ free: credits │ wanted │ cursor (seq 6, step 1) │ steps: [0, 0x80, 1] (the order) │
//!  │ slot 6 % W: arrived 0b11, meta (src, lane, end), parts [P cells]                   │
//!  │ slot 7 % W: arrived 0b10, …                                  W slots, one per seq  │
//!  └────────────────────────────────────────────────────────────────────────────────────┘
//!  beside it, per stream j the stage reads: a window of its own, filled by the flat-map
//! ```
//!
//! # Numbering
//!
//! A *root* numbers items: the source numbers its items `seq = 0, 1, 2, …`. Every item between
//! the root and the ordered stages it reaches travels as a [`Tagged`] value: its `seq`, its
//! *part* (which path through fan-outs it took) and the value, or nothing (a hole, below).
//! Tags are put on by the root and kept by every stage up to the ordered stages their items
//! reach ([`TaggedStage`]); a branch that reaches none takes them off ([`Untag`]: a hole is
//! skipped there), and so does an ordered stage whose outputs reach none.
//!
//! Parts are numbered by the predecessors a path enters each node through: at a node fed by
//! several (a merge), the paths through the first take the first numbers, and so on. The macro
//! gives each edge that offset ([`TaggedEdge`], [`OrderedEdge`]), so the parts of an item at
//! any node are `0..paths to it`, a number that does not depend on what lies after the node:
//! one tag serves every ordered stage its item reaches. An ordered stage consumes, for each
//! `seq` in turn, every part of it in its window's *order*: the parts in branch order (depth
//! first, branches left to right). After a fan-out and a merge it sees, per source item, the
//! branch outputs in the order the branches are written.
//!
//! With `N` sources (`pipeline!((a, b) => …)`), each numbers its own items along the same paths,
//! and a tag also carries its source's index (`src`, set by the source's [`CreditSender`]).
//! Order is per source: the ordered stage consumes each source's `seq`s in order and
//! interleaves the sources (each step visits every source's window, starting with a different
//! one each time, so none is starved).
//!
//! An ordered stage whose outputs reach another is *transparent* unless it is a flat-map: it
//! consumes in order and passes each output on with its input's tag (a hole for a filtered
//! item), so the next ordered stage sees it as the part of that source item it is. An *ordered
//! flat-map* consumes its inputs in order and emits each input's outputs lazily, all before
//! the next input's ([`run_ordered_flat_map`]; when the room downstream runs out mid-expansion,
//! the iterator is parked under the stage's claim and finished by the next step before any
//! other part is consumed). Its outputs are any number per input, so when they go on to other
//! ordered stages it is their root: [`RenumberSender`] numbers them `0, 1, 2, …` in emission
//! order. A `flat_map` before an ordered stage runs that way (`pipeline!` makes it an ordered
//! flat-map), and so does an ordered stage that reads streams (below): its outputs are no
//! longer one per path of a source item.
//!
//! # Windows
//!
//! The ordered stage's input ([`OrderedBuffer`]) holds one window per source of its numbering
//! (one after an ordered flat-map, which is the only source of its windows). A window has `W`
//! slots, one per `seq`, each holding the `P` parts of that `seq` and a bit per part that
//! arrived; the part is written to its cell before its bit is set (Release), and the stage
//! reads a slot only once every bit is (Acquire). The window's *steps* list, per `seq`, the
//! parts in order and, among them, *stream steps* `0x80 | j` where stream `j`'s outputs are
//! read. The stage's cursor is a `(seq, step)`: it moves past a part once the part is taken
//! (so a panicking stage never sees it twice, and the window's `Drop` drops the rest once),
//! and past a stream step once the stream's outputs for it are all read.
//!
//! Memory: a root takes a credit in its window for each `seq` before it emits it (below), and
//! the stage returns it when it has consumed the whole `seq`. So every tagged item alive
//! belongs to one of at most `W` consecutive `seq`s of its source: a slow item holds back its
//! source, not memory (and not the other sources). At most `N × W × P` items, holes included,
//! are between the sources and the ordered stage, however slow one of them is.
//!
//! # Holes
//!
//! A *hole* is a part with no value: the ordered stage must learn that nothing will come for
//! it. A filter that drops a tagged item sends its hole on; an *end marker* is a hole that
//! ends an input's outputs in a stream (`Tagged::end`, below). A flat-map whose outputs reach
//! an ordered stage only through the flat-maps after it (`src => (flat_map e => (flat_map f,
//! flat_map g), k) => ordered h`) sends a hole per output, and its end markers, into a stream
//! window of its own at `h` ([`WithHoles`], [`HoleEdge`]; the holes count as copies of its
//! outputs): a stream whose one part is that hole, followed by stream steps for `f` and `g`.
//! Likewise a flat-map that passes end markers on but reads only streams has no part in its
//! window to receive them: its producer sends it a hole per output into part 0.
//!
//! # Credits
//!
//! A root takes a credit, for each item, in the window of every ordered stage its tags reach
//! (a [`CreditSender`] over a [`CreditWindows`] set): ordered stages in sibling branches, and
//! a transparent one and those after it. Each window is bounded by its own credits and wakes
//! its own root when it gives them back. An ordered flat-map that numbers items for other
//! ordered stages is the *producer* of their windows, and takes credits exactly as a source
//! does; it is serial, and a step gives back the credits it did not use (`return_unused`,
//! without a wake-up) *before* it lets go of the stage's claim, so no other step of it can be
//! waiting for those credits meanwhile. A step that finds none sets `wanted` and is woken by
//! the window's stage. The handshake is in "Waking the source".
//!
//! # Streams
//!
//! `src => (flat_map f, g) => ordered h`: `h` must see, per source item, all of `f`'s outputs
//! of it, then `g`'s, but `f`'s outputs are numbered by `f` and `g`'s by the source. So `h`
//! reads `f`'s as a *stream* ([`Stream`]): `f` ends each input's outputs with an end marker
//! (numbered like an output, through every path to `h`), into a window of its own beside
//! `h`'s (fed by [`RenumberSender`] with ends). At stream step `0x80 | j` of a source item,
//! `h` consumes stream `j`'s window, in its own order, up to and including the next end
//! marker; its cursor stays at the step until the end marker came. With several sources, a
//! flat-map's outputs keep the source of their input in their tags, and a stream's `seq`s of
//! another source than the one `h`'s window is for wait (the flat-map interleaves the sources
//! as it consumes them, and so does `h`). After an ordered flat-map on the chain, `h` has one
//! window in that flat-map's order, and so do its streams: no source to match.
//!
//! What an end marker ends ([`EndMode`](crate::raw::EndMode)) depends on where the filler stands:
//! - **Each input's outputs** (`PerInput`): the flat-map whose inputs carry `h`'s numbering.
//! - **Passed on** (`Forward`): a *chain* of flat-maps in one branch (`(flat_map e => flat_map
//!   f, g) => ordered h`). `e`, the head, ends each input's outputs; `f` consumes `e`'s outputs
//!   in order, marks nothing per input of its own, and when its window completes a `seq` of
//!   end markers it sends one of its own (its [`Sender::end_mode`](crate::raw::Sender::end_mode)).
//!   `h` reads `f`'s outputs as the stream at the step of `e`'s branch.
//! - **Each step of its window** (`PerStep`): an ordered stage that reads streams and fills
//!   one (`((flat_map f, g) => ordered t, k) => ordered h`). A step of `t`'s window that reads
//!   a stream takes all of `f`'s outputs of the item, and `h` must see what each path into
//!   `t`'s part of the graph made, so `t` ends each input from a part and each stream step
//!   (told by `Next::StreamDone`), not each input read from a stream. The macro puts a step
//!   for `t`'s stream in `h`'s order wherever a path enters `t` or a flat-map `t` reads. An
//!   ordered stage that is not a flat-map runs as an ordered flat-map of its one or no output
//!   per input for this (`AsFlatMap`).
//!
//!   Where `f`'s outputs also reach `h` beside `t` (`(flat_map f, g) => (ordered t, k) =>
//!   ordered h`), or two such stages read `f` (`=> (ordered t1, ordered t2) => ordered h`),
//!   `h` must see, per output `y` of `f`, what each branch made of `y`: `t` then ends each
//!   input's outputs (`PerInput`, the stream parts too), and `h` reads `t`'s steps inside
//!   `f`'s stream — of holes, if `f`'s outputs reach `h` only through such stages.
//!
//! Streams nest: in `flat_map e => (flat_map f, g2)` with both reaching `h`, per output `y` of
//! `e`, `h` reads `f`'s outputs of `y`, then `g2`'s. `e`'s stream window lists a stream step
//! for `f` among its parts, as `h`'s own window does for `e`; a `seq` that is an end marker
//! has no stream outputs, so its stream steps are skipped.
//!
//! **Filled per source.** `(a, b) => (flat_map f, flat_map g) => ordered h`: with one window
//! per stream, `f` and `g` could take the sources in different orders and each park an input
//! whose outputs `h` reads only after the other's: `h`'s window for `a` would wait on `f`'s
//! stream, whose head is `b`'s, and its window for `b` on `g`'s, whose head is `a`'s. So where
//! one ordered stage reads several streams and has a window per source, each is filled *per
//! source*: a stream has a window per source, numbered by its own counter ([`RenumberSender`]
//! with `N` windows), and the flat-map parks one input per source ([`run_ordered_flat_map`]
//! with `K = N` slots). Its step reserves room for each source's window in turn:
//! [`Sender::set_origin`](crate::raw::Sender::set_origin) names the source to
//! [`CreditSender::per_source`], which takes credits in that source's stream window. Each
//! source is then a pipeline of its own as far as the windows go.
//!
//! A stage that reads streams and fills one per source (`(a, b) => ((flat_map f, g) =>
//! ordered t, (flat_map f2, k) => ordered t2) => ordered h`) consumes a source's window only
//! while it has credits in that source's stream window at `h`. Were `f` filling its stream in
//! the order the sources come, its oldest outputs could be of an input from `b`, which `t` has
//! no credits for while `h`'s window for `b` waits on `t2`, and `t2` could wait the same way
//! for `a`'s: each waits for the other. So the streams such a stage reads are filled per
//! source too.
//!
//! # Lanes
//!
//! `src => (flat_map f, g) => m => ordered h`: `f`'s outputs and `g`'s meet at `m` before `h`
//! reads them, so `m`'s input carries two numberings. Each stream-filling flat-map has a
//! *lane* (`Tagged::lane`, from 1; every other numbering is lane 0: two of those never meet,
//! the macro refuses that), which its [`RenumberSender`] puts on its outputs and end markers,
//! and every stage and transparent ordered stage keeps (a window stores it with the `seq`).
//! The parts of each numbering are counted separately, so an edge out of such a node has an
//! offset per lane ([`TaggedEdge::per_lane`]), and its edge into `h` sends each lane to its
//! window ([`LaneSplit`]): lane 0 to `h`'s own, a flat-map's lane to the stream `h` reads it
//! as. From there on, nothing differs from a stream that meets the others at `h` itself.
//!
//! # Progress
//!
//! A window never refuses a part: its slot was reserved by the credit. So every stage before
//! the ordered one can always push, every part of the oldest `seq` eventually arrives, and the
//! ordered stage can always consume it: no deadlock for any capacity ≥ 1. Items of different
//! numberings never wait for one another in the queues between: each root took its credits
//! per window, and the windows take all they hold.
//!
//! With streams: `h`'s window for a source item completes without `h` (its parts hold
//! credits), and `f` produces an item's outputs once it has consumed the item and has credits
//! in the stream's window, which `h` returns as it reads them. `h` reads a stream at the step
//! of the oldest item it has not finished, so the stream's oldest outputs are the ones it
//! waits for. The stream's window bounds `f`'s outputs in flight like any window (10^6 outputs
//! from one input keep a few alive).
//!
//! An ordered step that stops because what it waits for has not arrived does not run itself
//! again: the arrival notifies it. Running again while its cursor is in the middle of a source
//! item would, with a stream, starve the stages bringing the stream's outputs on one worker
//! (it prefers the serial stage).
//!
//! # Waking the source
//!
//! Each window has its own credits and `wanted` flag, and wakes its own source: everything
//! below holds per source. A source step that finds no credit returns, and the ordered stage
//! wakes the source when it gives credits back. The handshake is the one of a full queue
//! (`queue.rs`, "Blocked producers"): the source sets `wanted` and retries, reading `free`
//! with an RMW; the ordered stage adds to `free`, then takes `wanted`. Of the two RMWs on
//! `free`, one reads the other's write: either the retry sees the credits, or the ordered
//! stage synchronises with the retry and sees `wanted` (acquire/release and RMW atomicity
//! suffice, which loom checks).
//!
//! Whoever takes `wanted` owns the wake-up, so only the ordered stage takes it, and it always
//! notifies the source. Credits reach `free` from two other places, which leave `wanted` alone:
//!
//! * [`CreditSender`]'s `reserve` takes the inner queues' room *first* and credits only for that
//!   room, so it never has credits to give back; room it cannot use goes back through the
//!   queues' own `unreserve`, which wakes the producers waiting for it.
//! * [`CreditSender`]'s `unreserve` returns the credits of a source's last step, when it ran out
//!   of items (a source step waiting for credits then has nothing left to produce), and those
//!   an outer window's [`CreditSender`] could not match (a source feeding several windows):
//!   the step that returns them found the outer window short and set *its* `wanted`, so the
//!   outer stage wakes the source, and that step finds these credits back.
//!
//! Why the queue's room comes first: taking credits first and giving back, taking `wanted`,
//! those a full queue leaves unused, while several workers step a split source at once, loses
//! both wake-ups (`tests/loom_ordered.rs` has that order as its broken variant):
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
//! The seqs still in flight then return their credits with `wanted` clear: the window empties
//! and the source is never stepped again.

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
