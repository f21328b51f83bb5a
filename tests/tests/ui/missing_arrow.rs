use para_std::pipeline;

fn double(x: i32) -> i32 {
    x * 2
}

fn triple(x: i32) -> i32 {
    x * 3
}

fn main() {
    let mut sum = 0;
    pipeline!(0..10 => double triple => |x| sum += x);
}
