//! Thread counts: what `pipeline!` accepts as its first argument.

use std::io;
use std::num::NonZeroUsize;

/// A value `pipeline!` accepts as its thread count: an integer (at least 1), a `NonZeroUsize`, or
/// the `io::Result<NonZeroUsize>` of `std::thread::available_parallelism()` (an error counts as
/// one thread).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a thread count",
    label = "the first argument of `pipeline!` is its number of worker threads",
    note = "pass an integer >= 1, a `NonZeroUsize`, or `std::thread::available_parallelism()`; \
            leave it out to use every core"
)]
pub trait ThreadCount: sealed::Sealed {
    /// The number of threads (`usize::MAX` for any larger value), or the rejected value as
    /// text (zero or negative).
    fn thread_count(self) -> Result<usize, String>;
}

/// `ThreadCount` is sealed: `pipeline!` decides what counts as a thread count, so adding a
/// form later breaks nobody.
mod sealed {
    pub trait Sealed {}
}

macro_rules! integer_counts {
    ($($t:ty),*) => {$(
        impl sealed::Sealed for $t {}
        impl ThreadCount for $t {
            fn thread_count(self) -> Result<usize, String> {
                if self < 1 {
                    return Err(self.to_string());
                }
                // Above `usize::MAX` (a `u64` on a 32-bit target): too many either way.
                Ok(usize::try_from(self).unwrap_or(usize::MAX))
            }
        }
    )*};
}
integer_counts!(u8, u16, u32, u64, usize, i8, i16, i32, i64, isize);

/// The most threads one `pipeline!` accepts. A count above it panics before anything is
/// allocated. More threads than cores is allowed (stages that wait on I/O or a device overlap
/// their waits), but a run never needs more workers than it can keep busy, and each worker is
/// an OS thread with its own stack.
pub const MAX_THREADS: usize = 1024;

impl sealed::Sealed for NonZeroUsize {}
impl ThreadCount for NonZeroUsize {
    fn thread_count(self) -> Result<usize, String> {
        Ok(self.get())
    }
}

impl sealed::Sealed for io::Result<NonZeroUsize> {}
impl ThreadCount for io::Result<NonZeroUsize> {
    fn thread_count(self) -> Result<usize, String> {
        Ok(self.map_or(1, NonZeroUsize::get))
    }
}

/// Checks a thread count given to `pipeline!`.
///
/// # Panics
/// If the count is zero or negative: a pipeline needs a worker to make progress (a literal `0`
/// is rejected at compile time instead); if it is above [`MAX_THREADS`].
#[track_caller]
pub fn thread_count<T: ThreadCount>(count: T) -> Threads {
    match count.thread_count() {
        Ok(n) if n <= MAX_THREADS => Threads(n),
        Ok(n) => panic!(
            "pipeline!: the thread count must be at most {MAX_THREADS} (para_std::MAX_THREADS), \
             got {n}"
        ),
        Err(value) => panic!("pipeline!: the thread count must be at least 1, got {value}"),
    }
}

/// A run's thread count, checked (`1..=MAX_THREADS`): what the expansion hands the run and its
/// fold sinks.
#[derive(Debug, Clone, Copy)]
pub struct Threads(pub usize);

/// No thread count given: [`all_cores`].
pub fn default_threads() -> Threads {
    Threads(all_cores())
}

/// One thread per core the process may use, at most [`MAX_THREADS`].
pub fn all_cores() -> usize {
    std::thread::available_parallelism()
        .map_or(1, NonZeroUsize::get)
        .min(MAX_THREADS)
}
