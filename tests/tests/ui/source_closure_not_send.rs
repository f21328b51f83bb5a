// A source whose adapter's closure captures something that is not `Send`: rustc decides
// whether a closure is `Send` only after the macro's expansion has chosen the source's path,
// so para-std cannot drive it from the calling thread as it does other sources that are not
// `Send`; the error is at the source.
use para_std::pipeline;
use std::rc::Rc;

fn main() {
    let shared = Rc::new(3u32);
    let mut sum = 0;
    pipeline!((0..10u32).map(move |x| x * *shared) => |x| x + 1 => |x| sum += x);
}
