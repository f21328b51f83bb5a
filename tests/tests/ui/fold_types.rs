use para_std::pipeline;

fn main() {
    // `add` returns something else than the accumulator.
    let _ = pipeline!(0..100u64 => fold(|| 0u64, |s, x| s > x, |a, b| a + b));
    // `merge` takes two accumulators.
    let _ = pipeline!(0..100u64 => fold(Vec::new, |mut v: Vec<u64>, x| { v.push(x); v }, |a: u64, b: u64| a + b));
}
