use para_std::pipeline;

fn main() {
    let mut total = 0u64;
    let mut last = 0u64;
    pipeline!(0..10u64 => |x| { total += x; x } => |x| last = x);
    pipeline!(0..10u64 => |x| x => parallel |x| last = x);
}
