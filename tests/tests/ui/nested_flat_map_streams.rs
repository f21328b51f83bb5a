use para_std::pipeline;

fn main() {
    // Inside a flat-map branch, a fan-out whose branches reach the ordered stage both through a
    // second flat-map and directly: per item of the first flat-map, the stage would have to
    // read the second one's outputs between the first one's. Not supported yet.
    let mut out = Vec::new();
    pipeline!(2, 0..10 => (flat_map |x| 0..x => (flat_map |y| 0..y, |y| y), |x| x) => ordered |y| out.push(y));
}
