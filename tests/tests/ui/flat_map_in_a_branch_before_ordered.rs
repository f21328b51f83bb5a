use para_std::pipeline;

fn main() {
    // A flat-map in a branch that meets the other branch before the ordered stage (at `|y| y`),
    // not at it: not supported yet.
    let mut out = Vec::new();
    pipeline!(2, 0..10 => (flat_map |x| 0..x, |x| x) => |y| y => ordered |y| out.push(y));
}
