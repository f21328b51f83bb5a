use para_std::pipeline;

fn main() {
    let mut sum = 0u64;
    pipeline!(0..10u64 => (|x| x * 2, |x| x as u8) => |x| sum += x);
}
