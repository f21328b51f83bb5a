use para_std::pipeline;

fn main() {
    let mut out = Vec::new();
    pipeline!(2, 0..10 => serial parallel |x| x => |x| out.push(x));
}
