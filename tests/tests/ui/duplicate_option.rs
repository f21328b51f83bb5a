use para_std::pipeline;

fn main() {
    let mut sum = 0;
    pipeline!(pin = false, capacity = 8, pin = true, 0..10 => |x| sum += x);
}
