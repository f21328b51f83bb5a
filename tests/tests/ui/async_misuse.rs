// `async` where it cannot go: as a sink, with another kind marker, with a shape marker.
use para_std::pipeline;

fn main() {
    pipeline!(0..10u32 => async |x| { let _ = x; });
    pipeline!(0..10u32 => serial async |x| x => |_y| ());
    pipeline!(0..10u32 => async filter |x: &u32| *x > 2 => |_y| ());
    pipeline!(0..10u32 => async |x| x => ordered async |y| y => |_y| ());
}
