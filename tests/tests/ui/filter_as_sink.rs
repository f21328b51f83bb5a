use para_std::pipeline;

fn main() {
    pipeline!(2, 0..10 => |x| x + 1 => filter |x| *x > 3);
}
