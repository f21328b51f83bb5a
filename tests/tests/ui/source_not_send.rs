use para_std::pipeline;
use std::io::BufRead;

fn main() {
    let mut n = 0;
    pipeline!(std::io::stdin().lock().lines() => |line: std::io::Result<String>| line.is_ok() => |_ok| n += 1);
}
