use para_std::pipeline;

fn main() {
    // A flat-map before an ordered stage runs in order; inside a fan-out it is not available yet.
    let mut out = Vec::new();
    pipeline!(2, 0..10 => (flat_map |x| 0..x, |x| x) => ordered |y| out.push(y));
}
