use para_std::pipeline;

fn double(x: i32) -> i32 {
    x * 2
}

fn main() {
    let mut sum = 0;
    pipeline!(0..10 => (double double, |x| x) => |x| sum += x);
}
