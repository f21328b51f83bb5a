use para_std::pipeline;

fn main() {
    let mut v = Vec::new();
    pipeline!(0..100u64 => orderd |y| y * 2 => |y| v.push(y));
    pipeline!(0..100u64 => fliter |y: &u64| *y > 2 => |y| v.push(y));
    pipeline!(0..100u64 => squash |y| y => |y| v.push(y));
}
