// `progress = …` takes a hook called with a count of items.
use para_std::pipeline;

fn main() {
    let mut sum = 0;
    pipeline!(2, progress = |name: &str| println!("{name}"), 0..10 => |x| x + 1 => serial |x| sum += x);
}
