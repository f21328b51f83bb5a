use para_std::pipeline;
use std::cell::Cell;

fn main() {
    let calls = Cell::new(0);
    let mut out = Vec::new();
    pipeline!(2, 0..10 => |x| { calls.set(calls.get() + 1); x } => |x| out.push(x));
}
