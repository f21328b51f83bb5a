// On para-core alone any core may drain a source, so its iterator must be `Send` (para-std
// drives one that is not from the calling thread).
use std::rc::Rc;

/// Counts to 10; holds an `Rc`, so it is not `Send`.
struct Counter {
    next: u32,
    _shared: Rc<()>,
}

impl Iterator for Counter {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        self.next += 1;
        (self.next <= 10).then_some(self.next)
    }
}

fn main() {
    let mut sum = 0;
    let counter = Counter { next: 0, _shared: Rc::new(()) };
    para_macros::pipeline!(counter => |x| x + 1 => |x| sum += x);
}
