use para_std::pipeline;

fn main() {
    // An ordered flat-map that reads a flat-map branch, itself in a branch that meets another
    // at the last ordered stage: not supported yet (it used to hang).
    let mut out = Vec::new();
    pipeline!(2, 0..4i64 => ((flat_map |x: i64| 0..x, |x: i64| -x) => ordered flat_map |x: i64| [x * 10], |x: i64| x + 100) => ordered |x: i64| out.push(x));
}
