use para_std::pipeline;

fn main() {
    let mut out = Vec::new();
    pipeline!(0..10 => |x| x * 2 => |x| { out.push(x); out.len() });
}
