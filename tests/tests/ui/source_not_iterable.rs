use para_std::pipeline;

struct NotASource;

fn main() {
    pipeline!(2, NotASource => |x| x => |_x| {});
}
