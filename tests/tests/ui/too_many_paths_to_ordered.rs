use para_std::pipeline;

fn main() {
    let mut out = Vec::new();
    // Six fan-outs of two: 64 paths from the source to the ordered stage, over the limit of 32.
    pipeline!(2, 0..10
        => (|x| x, |x| x) => (|x| x, |x| x) => (|x| x, |x| x)
        => (|x| x, |x| x) => (|x| x, |x| x) => (|x| x, |x| x)
        => ordered |y| out.push(y));
}
