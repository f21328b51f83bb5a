// The seed's pipeline as one text, included by a test of para-core alone
// (`para-core/tests/pipeline.rs`, `para_macros::pipeline!` on a `Cores`) and by one of para-std
// (`tests/tests/e2e/shared_text.rs`, `para_std::pipeline!` on a thread count): the same grammar
// compiles for both, and gives the same result.

/// The sum the seed pipeline computes over `0..n`.
fn seed_expected(n: i64) -> i64 {
    (0..n).map(|x| (x * 2 - x) + -x).sum()
}

/// Runs the seed pipeline over `0..$n` on `$runners` (cores or a thread count); its sum.
macro_rules! seed_pipeline {
    ($runners:expr, $n:expr) => {{
        let mut sum = 0i64;
        pipeline!($runners, 0i64..$n => (|x| (x * 2, x) => |(x2, x)| x2 - x, |x: i64| -x)
            => |x| sum += x);
        sum
    }};
}
