use para_std::pipeline;

fn main() {
    let (mut a, mut b) = (Vec::new(), Vec::new());
    pipeline!(2, 0..10 => |x| x => (ordered |x| a.push(x), |x| b.push(x)));
}
