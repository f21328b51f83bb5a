use para_std::pipeline;

fn main() {
    // Two flat-maps after a third in one branch, whose own outputs do not reach the ordered
    // stage, beside a plain branch: not supported yet.
    let mut out = Vec::new();
    pipeline!(2, 0..10 => (flat_map |x| 0..x => (flat_map |y| 0..y, flat_map |y| [y]), |x| x) => ordered |y| out.push(y));
}
