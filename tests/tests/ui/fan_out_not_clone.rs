use para_std::pipeline;

struct Reading(u32);

fn main() {
    let mut sum = 0;
    pipeline!(4, (0..10).map(Reading)
        => (|r: Reading| r.0 * 2, |r: Reading| r.0)
        => |x| sum += x);
}
