//! Splittable sources — integer ranges, slices, `Vec`s and user types implementing `Split` —
//! are produced by several workers at once; everything else stays a serial iterator. Every item
//! is produced once and dropped once, also when a run stops early or panics.

use crate::common::{busy, message, watchdog, Counters, Tracked, THREADS};
use para_core::Split;
use para_std::{pipeline, IntoSplit};
use std::collections::HashSet;
use std::ops::ControlFlow;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Mutex;
use std::thread::{self, ThreadId};

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort_unstable();
    v
}

#[test]
fn ranges_slices_and_vecs_give_every_item_once() {
    let data: Vec<u32> = (0..10_000).map(|x| x * 7 % 10_007).collect();
    let array = [5u8; 100];
    for threads in THREADS {
        watchdog(60, || {
            let mut from_range = Vec::new();
            pipeline!(threads, capacity = 1, 0..10_000i64 => |x| x * 2 => |x| from_range.push(x));
            assert_eq!(
                sorted(from_range),
                (0..10_000).map(|x| x * 2).collect::<Vec<_>>()
            );

            let mut from_slice = Vec::new();
            pipeline!(threads, &data[..] => |x: &u32| *x => |x| from_slice.push(x));
            assert_eq!(sorted(from_slice), sorted(data.clone()));

            let mut from_vec_ref = 0u64;
            pipeline!(threads, &data => |x: &u32| u64::from(*x) => |x| from_vec_ref += x);
            assert_eq!(
                from_vec_ref,
                data.iter().map(|&x| u64::from(x)).sum::<u64>()
            );

            let mut from_array = 0u32;
            pipeline!(threads, &array => |x: &u8| u32::from(*x) => |x| from_array += x);
            assert_eq!(from_array, 500);

            let strings: Vec<String> = (0..1_000).map(|i| i.to_string()).collect();
            let mut from_vec = Vec::new();
            pipeline!(threads, strings => |s: String| s.len() => |n| from_vec.push(n));
            assert_eq!(from_vec.len(), 1_000);
            assert_eq!(
                from_vec.iter().sum::<usize>(),
                (0..1_000).map(|i: i32| i.to_string().len()).sum::<usize>()
            );
        });
    }
}

/// A user source whose items are expensive to produce, recording which threads produced them.
struct Expensive<'a> {
    n: usize,
    producers: &'a Mutex<HashSet<ThreadId>>,
}

// SAFETY: `take` produces a fresh value from the index and moves nothing out.
unsafe impl Split for Expensive<'_> {
    type Item = u64;
    fn len(&self) -> usize {
        self.n
    }
    unsafe fn take(&self, index: usize) -> u64 {
        self.producers
            .lock()
            .unwrap()
            .insert(thread::current().id());
        busy(index as i64, 2_000) as u64 + index as u64
    }
}

impl<'a> IntoSplit for Expensive<'a> {
    type Split = Expensive<'a>;
    fn into_split(self) -> Self {
        self
    }
}

#[test]
fn a_split_source_is_produced_by_several_workers() {
    let producers = Mutex::new(HashSet::new());
    let mut count = 0usize;
    watchdog(60, || {
        pipeline!(4, Expensive { n: 4_000, producers: &producers } => |x| x => |_x| count += 1);
    });
    assert_eq!(count, 4_000);
    let producers = producers.into_inner().unwrap().len();
    assert!(
        producers > 1,
        "only {producers} thread produced the source's items"
    );
}

#[test]
fn a_vec_source_drops_untaken_items_when_the_run_stops_early() {
    for threads in THREADS {
        let counters = Counters::new();
        let items: Vec<Tracked> = (0..50_000).map(|i| counters.item(i)).collect();
        let mut seen = 0;
        watchdog(60, || {
            pipeline!(threads, capacity = 2, items
                      => |t: Tracked| t
                      => |_t: Tracked| { seen += 1; if seen == 100 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) } });
        });
        assert_eq!(seen, 100);
        assert_eq!(counters.live(), 0, "threads={threads}");
        assert_eq!(counters.drops(), 50_000);
    }
}

#[test]
fn a_vec_source_drops_everything_once_after_a_panic() {
    for threads in THREADS {
        let counters = Counters::new();
        let items: Vec<Tracked> = (0..20_000).map(|i| counters.item(i)).collect();
        let outcome = watchdog(60, || {
            panic::catch_unwind(AssertUnwindSafe(|| {
                pipeline!(threads, capacity = 2, items
                          => (|t: Tracked| t, |t: Tracked| { if t.value == 7_777 { panic!("boom at 7777") } t })
                          => |_t: Tracked| {});
            }))
        });
        assert_eq!(message(&*outcome.expect_err("must panic")), "boom at 7777");
        assert_eq!(counters.live(), 0, "threads={threads}");
        assert_eq!(counters.drops(), counters.created() + counters.clones());
    }
}
