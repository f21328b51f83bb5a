use para_std::pipeline;

fn main() {
    // Given twice.
    let _ = pipeline!(error = std::io::Error, error = String, 0..10u64 => |_x| {});
    // An error type that cannot cross threads.
    let _ = pipeline!(error = std::rc::Rc<String>, 0..10u64 => |_x| {});
}
