use para_std::pipeline;

fn main() {
    let mut out = Vec::new();
    pipeline!(2, 0..10 => ordered |x| x => |x| x * 2 => ordered |x| out.push(x));
}
