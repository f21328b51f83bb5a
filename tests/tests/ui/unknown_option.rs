use para_std::pipeline;

fn main() {
    let mut sum = 0;
    pipeline!(4, capacty = 16, 0..10 => |x| x * 2 => |x| sum += x);
}
