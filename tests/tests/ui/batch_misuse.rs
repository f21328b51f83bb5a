// `batch` where it cannot go: without a size, with a size that is not a positive literal, as a
// sink, with `ordered`, with a shape marker, and `limit`/`try` on a batch that is not async.
use para_std::pipeline;
type Batch<T, const N: usize> = para_std::Batch<T, N>;

fn main() {
    pipeline!(0..10u32 => batch |xs: Batch<u32, 4>| xs => |_y| ());
    pipeline!(0..10u32 => batch(0) |xs: Batch<u32, 4>| xs => |_y| ());
    pipeline!(0..10u32 => batch(4) |xs: Batch<u32, 4>| { let _ = xs; });
    pipeline!(0..10u32 => ordered batch(4) |xs: Batch<u32, 4>| xs => |_y| ());
    pipeline!(0..10u32 => batch(4) filter |x: &u32| *x > 2 => |_y| ());
    pipeline!(0..10u32 => limit(2) batch(4) |xs: Batch<u32, 4>| xs => |_y| ());
}
