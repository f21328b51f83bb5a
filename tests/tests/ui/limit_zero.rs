use para_std::pipeline;

fn main() {
    let mut out = Vec::new();
    pipeline!(2, 0..10 => limit(0) |x| x => limit |x| x + 1 => limit(2) |x| out.push(x));
}
