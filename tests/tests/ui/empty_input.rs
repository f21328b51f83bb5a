use para_std::pipeline;

fn main() {
    pipeline!();
}
