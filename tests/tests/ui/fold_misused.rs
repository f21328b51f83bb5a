use para_std::pipeline;

fn main() {
    // Not last.
    let _ = pipeline!(0..100u64 => fold(|| 0, |s, x| s + x, |a, b| a + b) => |s: u64| drop(s));
    // The merge left out.
    let _ = pipeline!(0..100u64 => fold(|| 0, |s, x| s + x));
    // `reduce` given a merge too.
    let _ = pipeline!(0..100u64 => reduce(|| 0, |a, b| a + b, |a, b| a + b));
    // A marker that does not apply.
    let _ = pipeline!(0..100u64 => ordered fold(|| 0, |s, x| s + x, |a, b| a + b));
    let _ = pipeline!(0..100u64 => limit(2) reduce(|| 0, |a, b| a + b));
    let _ = pipeline!(0..100u64 => try reduce(|| 0, |a, b| a + b));
}
