// `stats = …` takes `&mut Stats`; anything else is reported at the value, with the fix.
use para_std::pipeline;

fn main() {
    let mut counted = 0u32;
    let mut sum = 0;
    pipeline!(2, stats = &mut counted, 0..10 => |x| x + 1 => serial |x| sum += x);
}
