// On para-core alone the first argument names the cores, not a thread count.
fn main() {
    let mut sum = 0u32;
    para_macros::pipeline!(4, 0..10u32 => |x| x * 2 => |x| sum += x);
}
