//! The stream windows of an ordered stage: one per ordered flat-map in a fan-out branch that
//! feeds it (module docs, "Streams"), as a list `(Stream, (Stream, ()))`
//! so that each keeps its own type (its number of parts).

use super::control::{Control, Entry};
use super::window::OrderedBuffer;
use crate::graph::{Cx, NodeId};

/// The most streams one ordered stage reads.
pub const MAX_STREAMS: usize = 8;

/// One stream: the windows its ordered flat-map numbers its outputs for (one, or one per
/// source: module docs, "Streams"), and that flat-map's node,
/// which the windows wake when they give credits back.
#[derive(Debug)]
pub struct Stream<'b, T, const W: usize, const P: usize, const N: usize = 1> {
    buffer: &'b OrderedBuffer<T, W, P, N>,
    producer: NodeId,
}

impl<'b, T, const W: usize, const P: usize, const N: usize> Stream<'b, T, W, P, N> {
    /// The stream in `buffer`, filled by node `producer`.
    pub fn new(buffer: &'b OrderedBuffer<T, W, P, N>, producer: NodeId) -> Self {
        Stream { buffer, producer }
    }

    /// The window holding the outputs of inputs from source `src`.
    fn window(&self, src: u16) -> usize {
        if N == 1 {
            0
        } else {
            usize::from(src)
        }
    }
}

/// An ordered stage's streams: `()`, or a [`Stream`] and the rest. Sealed: its methods are
/// para's own.
pub trait Streams<T>: read::Read<T> {}

impl<T, X: read::Read<T>> Streams<T> for X {}

mod read {
    use super::*;

    /// What an ordered stage's step does with its streams. Public only as the sealed supertrait
    /// of [`Streams`]: nothing outside para-core can name or call it, so its methods may use
    /// the window's private types.
    pub trait Read<T> {
        /// How many.
        const LEN: usize;

        /// Consumes, through `process`, stream `j`'s outputs of the next input (from source
        /// `origin`, if given), up to and including its end marker. Returns the `seq`s completed in
        /// the stream's window and why it stopped ([`Control::Ended`]: the input's outputs are all
        /// consumed).
        ///
        /// # Safety
        /// The caller holds the claim of the ordered stage reading the streams.
        unsafe fn consume<F: FnMut(Entry<T>) -> Control>(
            &self,
            j: usize,
            origin: Option<u16>,
            process: &mut F,
        ) -> (usize, Control);

        /// Gives `n` credits back to stream `j`'s window for source `src`, waking its producer
        /// if it waits.
        fn give_credits(&self, j: usize, src: u16, n: usize, cx: &mut Cx<'_>);
    }

    impl<T> Read<T> for () {
        const LEN: usize = 0;

        unsafe fn consume<F: FnMut(Entry<T>) -> Control>(
            &self,
            _j: usize,
            _origin: Option<u16>,
            _process: &mut F,
        ) -> (usize, Control) {
            unreachable!("para: a step names a stream the ordered stage does not have")
        }

        fn give_credits(&self, _j: usize, _src: u16, _n: usize, _cx: &mut Cx<'_>) {}
    }

    impl<T, R: Read<T>, const W: usize, const P: usize, const N: usize> Read<T>
        for (Stream<'_, T, W, P, N>, R)
    {
        const LEN: usize = 1 + R::LEN;

        unsafe fn consume<F: FnMut(Entry<T>) -> Control>(
            &self,
            j: usize,
            origin: Option<u16>,
            process: &mut F,
        ) -> (usize, Control) {
            if j > 0 {
                // SAFETY: the caller's contract, passed on.
                return unsafe { self.1.consume(j - 1, origin, process) };
            }
            let window = &self.0.buffer.windows[self.0.window(origin.unwrap_or(0))];
            // SAFETY: under the claim of the stage reading the stream (caller's contract).
            unsafe { window.consume(origin, process) }
        }

        fn give_credits(&self, j: usize, src: u16, n: usize, cx: &mut Cx<'_>) {
            if j > 0 {
                self.1.give_credits(j - 1, src, n, cx);
            } else if self.0.buffer.windows[self.0.window(src)].give_credits(n) {
                cx.notify(self.0.producer);
            }
        }
    }
}
