use para_std::pipeline;

fn main() {
    let mut v = Vec::new();
    pipeline!(ordered, 0..100u64 => |y| y * 2 => |y| v.push(y));
}
