//! How an ordered step consumes its windows: each source's in turn, and the streams read at
//! their steps, inside one another. Module docs of `ordered` ("Numbering", "Streams").

use super::control::{Control, Entry, Next};
use super::steps::Step;
#[allow(unused_imports)] // the methods of `Streams`
use super::streams::Streams as _;
use super::streams::{Streams, MAX_STREAMS};
use super::window::OrderedBuffer;

/// Consumes from each source's window in turn, starting with a different one each step so that
/// none is starved, until `handle` uses up the room or stops the run, or every window waits
/// for its next part. Counts the `seq`s completed per window and per stream in `step`; returns
/// whether the run stops.
///
/// # Safety
/// The caller holds the ordered stage's claim (the windows' and streams' `consume`, and
/// `turn`).
pub(super) unsafe fn consume_all<T, X, const W: usize, const P: usize, const N: usize>(
    input: &OrderedBuffer<T, W, P, N>,
    streams: &X,
    handle: &mut impl FnMut(Next<T>) -> Control,
    step: &mut Step<N>,
) -> bool
where
    X: Streams<T>,
{
    // SAFETY: `turn` is only touched under the stage's claim (caller's contract).
    let turn = unsafe { &mut *input.turn.get() };
    let first = *turn;
    *turn = (first + 1) % N;
    for k in 0..N {
        // SAFETY: under the claim (caller's contract).
        match unsafe { consume_window(input, (first + k) % N, streams, handle, step) } {
            true => return true,
            false if step.full => return false,
            false => {}
        }
    }
    false
}

/// Consumes window `w` (source `w`'s) until `handle` uses up the room (`step.full`) or stops
/// the run (returns `true`), or the window waits for its next part. A stream step consumes that
/// stream's outputs of the input from the current `seq`'s source. After a `seq` of end markers
/// (the window is numbered by an ordered flat-map that marks ends), `handle` gets
/// [`Next::EndSeq`]; after any other `seq`, [`Next::StreamDone`].
///
/// # Safety
/// The caller holds the ordered stage's claim.
pub(super) unsafe fn consume_window<T, X, const W: usize, const P: usize, const N: usize>(
    input: &OrderedBuffer<T, W, P, N>,
    w: usize,
    streams: &X,
    handle: &mut impl FnMut(Next<T>) -> Control,
    step: &mut Step<N>,
) -> bool
where
    X: Streams<T>,
{
    const {
        assert!(
            X::LEN <= MAX_STREAMS,
            "para: too many streams into one ordered stage"
        )
    };
    let stream_seqs = &mut step.stream_seqs;
    // With a window per source, the stream's outputs of the input from this window's source.
    // With one (its producer is an ordered flat-map), the streams are of that flat-map's
    // numbering, and come in its order: the next input's outputs are the ones.
    let origin = (N > 1).then_some(w as u16);
    loop {
        let process = |entry: Entry<T>| match entry {
            Entry::Part(item) => handle(Next::Part(item)),
            Entry::StreamDone => handle(Next::StreamDone),
            // SAFETY: under the claim (caller's contract).
            Entry::Stream(j) => unsafe { read_stream(streams, j, origin, w, handle, stream_seqs) },
        };
        // SAFETY: under the claim (caller's contract).
        let (seqs, why) = unsafe { input.windows[w].consume(None, process) };
        step.seqs_done[w] += seqs;
        match why {
            // (`More` is never why consuming returned.)
            Control::Waiting | Control::More => return false,
            Control::Full => {
                step.full = true;
                return false;
            }
            Control::Stop => return true,
            // A seq of end markers: the next may be complete too.
            Control::Ended => match handle(Next::EndSeq) {
                Control::Full => {
                    step.full = true;
                    return false;
                }
                _ => continue,
            },
        }
    }
}

/// Consumes, through `handle`, stream `j`'s outputs of the next input (from source `origin`,
/// if given), up to its end marker, and the streams read inside it where its steps say (module
/// docs, "Streams"); counts the `seq`s completed in each for window
/// `w`. Says how it went, as a step of the window that reads the stream.
///
/// # Safety
/// The caller holds the claim of the ordered stage reading the streams.
unsafe fn read_stream<T, X, H, const N: usize>(
    streams: &X,
    j: usize,
    origin: Option<u16>,
    w: usize,
    handle: &mut H,
    stream_seqs: &mut [[usize; N]; MAX_STREAMS],
) -> Control
where
    X: Streams<T>,
    H: FnMut(Next<T>) -> Control,
{
    let mut part = |entry: Entry<T>| match entry {
        Entry::Part(item) => handle(Next::StreamPart(item)),
        // A stream's seqs are its flat-map's outputs: nothing ends there.
        Entry::StreamDone => Control::More,
        // SAFETY: the caller's contract, passed on.
        Entry::Stream(k) => unsafe { read_stream(streams, k, origin, w, handle, stream_seqs) },
    };
    // SAFETY: the caller's contract.
    let (seqs, why) = unsafe { streams.consume(j, origin, &mut part) };
    // Returned to the stream's window for this window's source (a stream has one window per
    // source only where its reader has).
    stream_seqs[j][w] += seqs;
    match why {
        // The input's outputs are all read: the reading window goes on.
        Control::Ended => Control::More,
        other => other,
    }
}
