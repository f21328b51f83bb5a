use para_std::pipeline;

fn main() {
    // A second flat-map in a branch before the ordered stage: its outputs are a stream of the
    // first one's, which meets the source's items at the ordered stage. Not supported yet.
    let mut out = Vec::new();
    pipeline!(2, 0..10 => (flat_map |x| 0..x => flat_map |y| 0..y, |x| x) => ordered |y| out.push(y));
}
