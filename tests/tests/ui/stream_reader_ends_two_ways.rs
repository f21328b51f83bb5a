// Readers of streams inside a flat-map's stream, which a later ordered stage would need per
// input: refused at the reader, not a hang.
use para_std::pipeline;

fn main() {
    let mut out = Vec::new();
    pipeline!(2, 0..100i64
        => (|x: i64| x,
            ordered flat_map |x: i64| [x, x + 1]
            => (flat_map |x: i64| [x], flat_map |x: i64| [x, x])
            => (ordered |x: i64| x * 2, ordered |x: i64| x * 3))
        => ordered |x: i64| out.push(x));
}
