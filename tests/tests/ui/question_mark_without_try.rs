use para_std::pipeline;

fn main() {
    let mut n = 0;
    // `?` in a plain stage and in a sink.
    pipeline!(["1", "2"] => |s: &str| s.parse::<u32>()? + 1 => |x| n += x);
    pipeline!(["1", "2"] => |s: &str| { n += s.parse::<u32>()?; });
    // Left alone: closures that may return `Option` (valid Rust).
    let mut m = 0;
    pipeline!([Some(1u32), None] => |x: Option<u32>| Some(x? + 1) => |y| m += y.unwrap_or(0));
    pipeline!([Some(1u32), None] => filter_map |x: Option<u32>| { let y = x?; Some(y * 2) } => |y| m += y);
}
