use para_std::pipeline;

fn main() {
    let mut out = Vec::new();
    pipeline!(2, ordered 0..10 => |x| x => |x| out.push(x));
}
