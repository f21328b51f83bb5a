//! What a node does with one input: the user's closure, adapted to one calling convention.
//!
//! Every node step calls a [`Stage`] (parallel nodes, `&self`) or a [`StageMut`] (serial nodes,
//! `&mut self`) once per input and gets a [`Flow`]: an output to send on, nothing (a filter
//! dropped the item), or a request to stop the run (an error, or a sink that has seen enough).
//! The adapters here turn each closure shape the grammar offers into that convention, so that
//! the node steps in `node.rs` are written once for every kind.

use core::ops::ControlFlow;

use crate::serial::Serial;

/// What one input produced.
#[derive(Debug)]
pub enum Flow<T> {
    /// One output, to send downstream.
    Emit(T),
    /// No output: the item was filtered out.
    Skip,
    /// Stop the run: an error was recorded, or a sink asked to stop.
    Stop,
}

/// A node's work on one input, callable from many workers at once.
pub trait Stage<I> {
    /// The output type.
    type Out;
    /// Processes one input.
    fn call(&self, input: I) -> Flow<Self::Out>;
}

/// A node's work on one input, with state: called by one worker at a time.
pub trait StageMut<I> {
    /// The output type.
    type Out;
    /// Processes one input.
    fn call_mut(&mut self, input: I) -> Flow<Self::Out>;
}

/// Implements `Stage` for `Fn` closures and `StageMut` for `FnMut` closures with one body.
macro_rules! stage {
    ($name:ident<$($gen:ident),*>, ($arg:ty) -> $ret:ty, $out:ty, |$f:ident, $input:ident| $body:expr) => {
        impl<I, $($gen,)* Fun: Fn($arg) -> $ret> Stage<I> for $name<Fun> {
            type Out = $out;
            #[inline]
            fn call(&self, $input: I) -> Flow<$out> {
                let $f = &self.0;
                $body
            }
        }
        impl<I, $($gen,)* Fun: FnMut($arg) -> $ret> StageMut<I> for $name<Fun> {
            type Out = $out;
            #[inline]
            fn call_mut(&mut self, $input: I) -> Flow<$out> {
                let $f = &mut self.0;
                $body
            }
        }
    };
}

/// Two stateless stages fused into one: `A`'s output goes straight into `B`, with no queue
/// between them. `pipeline!` fuses a chain of stateless stages (`|x| a => |y| b`) into one
/// node this way: each item crosses a queue, and possibly a core, once per chain instead of
/// once per stage.
#[derive(Debug)]
pub struct Fused<A, B>(pub A, pub B);

impl<I, A: Stage<I>, B: Stage<A::Out>> Stage<I> for Fused<A, B> {
    type Out = B::Out;
    #[inline]
    fn call(&self, input: I) -> Flow<B::Out> {
        match self.0.call(input) {
            Flow::Emit(value) => self.1.call(value),
            Flow::Skip => Flow::Skip,
            Flow::Stop => Flow::Stop,
        }
    }
}

/// The stage that passes its input on: what runs in front of a fold sink's fold until stages
/// are fused there.
#[derive(Debug, Clone, Copy, Default)]
pub struct Pass;

impl<I> Stage<I> for Pass {
    type Out = I;
    #[inline]
    fn call(&self, input: I) -> Flow<I> {
        Flow::Emit(input)
    }
}

/// A one-output stage as a flat-map's (its output, or none): an ordered stage that must mark
/// the ends of its outputs per item runs as an `ordered flat_map` (`ordered` module docs,
/// "Streams").
#[derive(Debug)]
pub struct AsFlatMap<S>(pub S);

impl<I, S: StageMut<I>> StageMut<I> for AsFlatMap<S> {
    type Out = Option<S::Out>;
    #[inline]
    fn call_mut(&mut self, input: I) -> Flow<Option<S::Out>> {
        match self.0.call_mut(input) {
            Flow::Emit(value) => Flow::Emit(Some(value)),
            Flow::Skip => Flow::Emit(None),
            Flow::Stop => Flow::Stop,
        }
    }
}

/// `|x| y`: one output per input.
#[derive(Debug)]
pub struct Map<F>(pub F);
stage!(Map<O>, (I) -> O, O, |f, x| Flow::Emit(f(x)));

/// `filter |x| keep`: the input itself, or nothing.
#[derive(Debug)]
pub struct Filter<F>(pub F);
stage!(Filter<>, (&I) -> bool, I, |f, x| if f(&x) { Flow::Emit(x) } else { Flow::Skip });

/// `filter_map |x| option`: an output, or nothing.
#[derive(Debug)]
pub struct FilterMap<F>(pub F);
stage!(FilterMap<O>, (I) -> Option<O>, O, |f, x| match f(x) {
    Some(y) => Flow::Emit(y),
    None => Flow::Skip,
});

/// `try filter |x| Ok(keep)`: the input itself, nothing, or an error (settled by [`Fallible`]).
#[derive(Debug)]
pub struct TryFilter<F>(pub F);
stage!(TryFilter<E>, (&I) -> Result<bool, E>, Result<I, E>, |f, x| match f(&x) {
    Ok(true) => Flow::Emit(Ok(x)),
    Ok(false) => Flow::Skip,
    Err(error) => Flow::Emit(Err(error)),
});

/// `try filter_map |x| Ok(option)`: an output, nothing, or an error (settled by [`Fallible`]).
#[derive(Debug)]
pub struct TryFilterMap<F>(pub F);
stage!(TryFilterMap<O, E>, (I) -> Result<Option<O>, E>, Result<O, E>, |f, x| match f(x) {
    Ok(Some(y)) => Flow::Emit(Ok(y)),
    Ok(None) => Flow::Skip,
    Err(error) => Flow::Emit(Err(error)),
});

/// What a sink's closure may return: `()`, or `ControlFlow<()>` to stop the run early.
#[diagnostic::on_unimplemented(
    message = "a pipeline's sink must return `()` or `ControlFlow<()>`, but this one returns `{Self}`",
    label = "the last node of a chain is its sink; it consumes items",
    note = "end the closure with `;` to discard the value, return `ControlFlow::Break(())` to \
            stop the run early, or add another `=>` stage"
)]
pub trait SinkOutput {
    /// Whether the run goes on.
    fn flow(self) -> Flow<()>;
}

impl SinkOutput for () {
    #[inline]
    fn flow(self) -> Flow<()> {
        Flow::Emit(())
    }
}

impl SinkOutput for ControlFlow<()> {
    #[inline]
    fn flow(self) -> Flow<()> {
        match self {
            ControlFlow::Continue(()) => Flow::Emit(()),
            ControlFlow::Break(()) => Flow::Stop,
        }
    }
}

/// A sink: consumes inputs; may stop the run.
#[derive(Debug)]
pub struct Sink<F>(pub F);

impl<I, R: SinkOutput, F: Fn(I) -> R> Stage<I> for Sink<F> {
    type Out = ();
    #[inline]
    fn call(&self, input: I) -> Flow<()> {
        (self.0)(input).flow()
    }
}

impl<I, R: SinkOutput, F: FnMut(I) -> R> StageMut<I> for Sink<F> {
    type Out = ();
    #[inline]
    fn call_mut(&mut self, input: I) -> Flow<()> {
        (self.0)(input).flow()
    }
}

/// The first error of a run: set once, taken by the caller after the run.
#[derive(Debug)]
pub struct ErrorSlot<E> {
    first: Serial<Option<E>>,
}

impl<E> ErrorSlot<E> {
    /// An empty slot.
    pub fn new() -> Self {
        ErrorSlot {
            first: Serial::new(None),
        }
    }

    /// Records `error` unless an error was recorded before (or is being recorded right now:
    /// the other one is first). Never blocks.
    pub fn set(&self, error: E) {
        if let Some(mut first) = self.first.try_claim() {
            if first.is_none() {
                *first = Some(error);
            }
            let _ = first.release();
        }
    }

    /// The run's outcome: `Err` with the first error, if any.
    pub fn into_result(self) -> Result<(), E> {
        match self.first.into_inner() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

impl<E> Default for ErrorSlot<E> {
    fn default() -> Self {
        Self::new()
    }
}

/// `try |x| result` (also `try filter`, `try filter_map`, `try flat_map`, whose adapters emit
/// `Result`s): a fallible stage; the first error stops the run and is returned.
#[derive(Debug)]
pub struct Fallible<'e, S, E> {
    pub(crate) stage: S,
    pub(crate) errors: &'e ErrorSlot<E>,
}

impl<'e, S, E> Fallible<'e, S, E> {
    /// Wraps `stage`, whose closure returns `Result`, recording errors in `errors`.
    pub fn new(stage: S, errors: &'e ErrorSlot<E>) -> Self {
        Fallible { stage, errors }
    }
}

/// Turns a `Flow<Result<T, E>>` into a `Flow<T>`, recording an error.
#[inline]
pub(crate) fn settle<T, E>(flow: Flow<Result<T, E>>, errors: &ErrorSlot<E>) -> Flow<T> {
    match flow {
        Flow::Emit(Ok(value)) => Flow::Emit(value),
        Flow::Emit(Err(error)) => {
            errors.set(error);
            Flow::Stop
        }
        Flow::Skip => Flow::Skip,
        Flow::Stop => Flow::Stop,
    }
}

impl<I, T, E, S: Stage<I, Out = Result<T, E>>> Stage<I> for Fallible<'_, S, E> {
    type Out = T;
    #[inline]
    fn call(&self, input: I) -> Flow<T> {
        settle(self.stage.call(input), self.errors)
    }
}

impl<I, T, E, S: StageMut<I, Out = Result<T, E>>> StageMut<I> for Fallible<'_, S, E> {
    type Out = T;
    #[inline]
    fn call_mut(&mut self, input: I) -> Flow<T> {
        settle(self.stage.call_mut(input), self.errors)
    }
}

/// A fallible sink: `try |x| -> Result<(), E>` (or `Result<ControlFlow<()>, E>`).
#[derive(Debug)]
pub struct TrySink<'e, F, E> {
    f: F,
    errors: &'e ErrorSlot<E>,
}

impl<'e, F, E> TrySink<'e, F, E> {
    /// Wraps the sink closure `f`, recording errors in `errors`.
    pub fn new(f: F, errors: &'e ErrorSlot<E>) -> Self {
        TrySink { f, errors }
    }
}

impl<I, R: SinkOutput, E, F: Fn(I) -> Result<R, E>> Stage<I> for TrySink<'_, F, E> {
    type Out = ();
    #[inline]
    fn call(&self, input: I) -> Flow<()> {
        match (self.f)(input) {
            Ok(r) => r.flow(),
            Err(error) => {
                self.errors.set(error);
                Flow::Stop
            }
        }
    }
}

impl<I, R: SinkOutput, E, F: FnMut(I) -> Result<R, E>> StageMut<I> for TrySink<'_, F, E> {
    type Out = ();
    #[inline]
    fn call_mut(&mut self, input: I) -> Flow<()> {
        match (self.f)(input) {
            Ok(r) => r.flow(),
            Err(error) => {
                self.errors.set(error);
                Flow::Stop
            }
        }
    }
}
