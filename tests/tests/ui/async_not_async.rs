// A function that returns no future, marked `async`.
use para_std::pipeline;

fn double(x: u32) -> u32 {
    x * 2
}

fn main() {
    let mut sum = 0;
    pipeline!(0..10u32 => async double => |y| sum += y);
}
