use para_std::pipeline;

fn main() {
    let mut sum = 0;
    pipeline!(0..10 => |x| x * 2 => |x| sum += x =>);
}
