//! Prints the DOT picture of the README's first pipeline (the seed's graph), as `pipeline!`
//! would run it, without running it. Render it with Graphviz:
//!
//! ```text
//! cargo run --example graph | dot -Tsvg > docs/seed-graph.svg
//! ```

use para_std::pipeline_dot;

fn main() {
    let data = vec![0, 1, 2];
    let mut sum = 0;
    let dot = pipeline_dot!(4, data
                            => (|x| (x * 2, x) => |(x2, x)| x2 - x,
                                |x| -x)
                            => |x| sum += x);
    let _ = (&data, &mut sum);
    print!("{dot}");
}
