use para_std::pipeline;

fn main() {
    // A flat-map before an ordered stage: not available yet.
    let mut out = Vec::new();
    pipeline!(2, 0..10 => serial try flat_map |x| Ok::<_, ()>(0..x) => ordered |y| out.push(y));
}
