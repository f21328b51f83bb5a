//! Reductions: a stateful sink against a fold sink (one accumulator per worker), against a
//! plain loop and rayon's `fold` + `reduce`, in one run so that the ratios hold.
//!
//! * `tiny_sum`: the `tiny` shape of `shapes.rs` (three ~30 ns stages, 10^6 items) into a sum:
//!   `para-sink/T` sums in a stateful sink, as `shapes.rs` does; `para-fold/T` in a `fold`
//!   sink. `sequential` is the plain loop; `rayon/T` maps and reduces.
//! * `word_count`: 100 000 generated lines of 2–16 words from a 5 000-word vocabulary
//!   (~5.5 MB), counted into a `HashMap<&str, usize>`. `para-sink/T` is the README's first
//!   idea (`lines => flat_map words => |w| *counts.entry(w)… += 1`), `para-fold/T` the README's
//!   fold (`lines => flat_map words => fold(…)`), `para-fold-lines/T` folds whole lines
//!   (`lines => fold(…)`, no queue per word); `rayon/T` is `par_lines().fold().reduce()`.
//!
//! Every implementation's result is checked against the loop's once, before timing.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use para_benches::{mix, size, tiny_stage, Timing, THREADS};
use para_std::pipeline;
use rayon::prelude::*;
use std::collections::HashMap;
use std::hint::black_box;

mod common;

fn add(sum: u64, x: u64) -> u64 {
    sum.wrapping_add(x)
}

fn tiny_sum(c: &mut Criterion) {
    let n: u64 = black_box(size(1_000_000, 100_000));
    let a = |x: u64| tiny_stage(x, 1);
    let b = |x: u64| tiny_stage(x, 2);
    let z = |x: u64| tiny_stage(x, 3);
    let sequential = || (0..n).map(|x| z(b(a(x)))).fold(0, add);
    let rayon = |pool: &rayon::ThreadPool| {
        pool.install(|| {
            (0..n)
                .into_par_iter()
                .map(a)
                .map(b)
                .map(z)
                .reduce(|| 0, add)
        })
    };
    let para_sink = |t: usize| {
        let mut sum = 0;
        pipeline!(t, 0..n => |x: u64| a(x) => |x: u64| b(x) => |x: u64| z(x)
                  => |x: u64| sum = add(sum, x));
        sum
    };
    let para_fold = |t: usize| {
        pipeline!(t, 0..n => |x: u64| a(x) => |x: u64| b(x) => |x: u64| z(x)
                  => reduce(|| 0, add))
    };
    let pools: Vec<_> = THREADS.iter().map(|&t| common::rayon_pool(t)).collect();
    let expected = sequential();
    for (&t, pool) in THREADS.iter().zip(&pools) {
        assert_eq!(rayon(pool), expected, "rayon/{t}");
        assert_eq!(para_sink(t), expected, "para-sink/{t}");
        assert_eq!(para_fold(t), expected, "para-fold/{t}");
    }
    let mut group = common::group(
        c,
        "tiny_sum",
        Timing::new(10, 1.0, 6.0),
        Throughput::Elements(n * 3),
    );
    group.bench_function("sequential", |bench| bench.iter(sequential));
    for (&t, pool) in THREADS.iter().zip(&pools) {
        group.bench_with_input(BenchmarkId::new("rayon", t), pool, |bench, pool| {
            bench.iter(|| rayon(pool))
        });
        group.bench_with_input(BenchmarkId::new("para-sink", t), &t, |bench, &t| {
            bench.iter(|| para_sink(t))
        });
        group.bench_with_input(BenchmarkId::new("para-fold", t), &t, |bench, &t| {
            bench.iter(|| para_fold(t))
        });
    }
    group.finish();
}

/// `lines` lines of 2–16 words drawn from a vocabulary of `words` words, skewed towards the
/// first ones (as in natural text): deterministic.
fn text(lines: u64, words: u64) -> String {
    let vocabulary: Vec<String> = (0..words)
        .map(|w| {
            let len = 2 + mix(w, 2) % 9;
            (0..len)
                .map(|i| char::from(b'a' + (mix(w * 16 + i, 2) % 26) as u8))
                .collect()
        })
        .collect();
    let mut text = String::new();
    for line in 0..lines {
        let count = 2 + mix(line, 3) % 15;
        for i in 0..count {
            let r = mix(line * 32 + i, 4);
            // The minimum of two draws: smaller indices are about twice as frequent.
            let w = (r % words).min((r >> 32) % words);
            if i > 0 {
                text.push(' ');
            }
            text.push_str(&vocabulary[w as usize]);
        }
        text.push('\n');
    }
    text
}

type Counts<'a> = HashMap<&'a str, usize>;

fn count_line<'a>(mut counts: Counts<'a>, line: &'a str) -> Counts<'a> {
    for word in line.split_whitespace() {
        *counts.entry(word).or_default() += 1;
    }
    counts
}

fn merge<'a>(a: Counts<'a>, b: Counts<'a>) -> Counts<'a> {
    let (mut a, b) = if a.len() >= b.len() { (a, b) } else { (b, a) };
    for (word, n) in b {
        *a.entry(word).or_default() += n;
    }
    a
}

fn word_count(c: &mut Criterion) {
    let text = text(size(100_000, 10_000), 5_000);
    let text = text.as_str();
    let words = text.split_whitespace().count() as u64;
    let sequential = || text.lines().fold(Counts::new(), count_line);
    let rayon = |pool: &rayon::ThreadPool| {
        pool.install(|| {
            text.par_lines()
                .fold(Counts::new, count_line)
                .reduce(Counts::new, merge)
        })
    };
    let para_sink = |t: usize| {
        let mut counts = Counts::new();
        pipeline!(t, text.lines() => flat_map |line: &str| line.split_whitespace()
                  => |word| *counts.entry(word).or_default() += 1);
        counts
    };
    let para_fold = |t: usize| {
        pipeline!(t, text.lines() => flat_map |line: &str| line.split_whitespace()
                  => fold(Counts::new, |mut counts, word| {
                      *counts.entry(word).or_default() += 1;
                      counts
                  }, merge))
    };
    let para_fold_lines =
        |t: usize| pipeline!(t, text.lines() => fold(Counts::new, count_line, merge));
    let pools: Vec<_> = THREADS.iter().map(|&t| common::rayon_pool(t)).collect();
    let expected = sequential();
    for (&t, pool) in THREADS.iter().zip(&pools) {
        assert!(rayon(pool) == expected, "rayon/{t}");
        assert!(para_sink(t) == expected, "para-sink/{t}");
        assert!(para_fold(t) == expected, "para-fold/{t}");
        assert!(para_fold_lines(t) == expected, "para-fold-lines/{t}");
    }
    let mut group = common::group(
        c,
        "word_count",
        Timing::new(20, 1.0, 6.0),
        Throughput::Elements(words),
    );
    group.bench_function("sequential", |bench| bench.iter(sequential));
    for (&t, pool) in THREADS.iter().zip(&pools) {
        group.bench_with_input(BenchmarkId::new("rayon", t), pool, |bench, pool| {
            bench.iter(|| rayon(pool))
        });
        group.bench_with_input(BenchmarkId::new("para-sink", t), &t, |bench, &t| {
            bench.iter(|| para_sink(t))
        });
        group.bench_with_input(BenchmarkId::new("para-fold", t), &t, |bench, &t| {
            bench.iter(|| para_fold(t))
        });
        group.bench_with_input(BenchmarkId::new("para-fold-lines", t), &t, |bench, &t| {
            bench.iter(|| para_fold_lines(t))
        });
    }
    group.finish();
}

criterion_group!(benches, tiny_sum, word_count);
criterion_main!(benches);
