use para_std::pipeline;

fn main() {
    let mut out = Vec::new();
    pipeline!(2, 0..10 => priority(9) |x| x => priority |x| out.push(x));
}
