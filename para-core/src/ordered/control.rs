//! The control flow of consuming ordered windows, in one vocabulary. A window hands its reader
//! [`Entry`]s; the reader turns them into what an ordered stage's step is handed, [`Next`];
//! and both ways [`Control`] says whether to go on: it is a handler's answer after an entry,
//! and the reason a window's (or a stream's) consumption returned.

use super::Tagged;

/// What a window hands its reader ([`Window::consume`](super::window::Window::consume)), in
/// the order of its steps.
#[derive(Debug)]
pub enum Entry<T> {
    /// A part of the current `seq`.
    Part(Tagged<T>),
    /// Stream `j`'s outputs for the current `seq`, up to their end marker, for the reader to
    /// consume (module docs, "Streams").
    Stream(usize),
    /// The stream step just read is done: the stream's outputs for it were all consumed.
    StreamDone,
}

/// What an ordered stage's step is handed, in order.
#[derive(Debug)]
pub(super) enum Next<T> {
    /// A part of the current `seq` of its window.
    Part(Tagged<T>),
    /// An output of a stream read at a step of its window.
    StreamPart(Tagged<T>),
    /// A stream step of its window's current `seq` is done.
    StreamDone,
    /// A `seq` of end markers of its window was consumed (its producer marks ends).
    EndSeq,
}

/// Whether consuming goes on: a handler's answer after an entry, or why consuming returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// Go on with the next entry. Only ever an answer: consuming returns for the others.
    More,
    /// The room downstream is used up: stop here (after the part just handed, which is
    /// consumed; at a stream, before it).
    Full,
    /// The run stops.
    Stop,
    /// What comes next has not arrived: the window's next part, or a stream's next outputs.
    Waiting,
    /// An end marker was consumed: the `seq` ends an input's outputs (in a stream's window,
    /// the input read at that step is done).
    Ended,
}
