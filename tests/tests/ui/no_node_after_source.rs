use para_std::pipeline;

fn main() {
    let data = vec![1, 2, 3];
    pipeline!(4, data);
}
