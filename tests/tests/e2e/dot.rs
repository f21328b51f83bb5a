//! `pipeline_dot!`: the DOT text of a pipeline's graph, without running it. Graphviz accepts it
//! (checked with `dot -Tsvg` where Graphviz is installed: `.ci/run` installs it), it shows the
//! graph after fusion with each node's kind, and it states the bound on queued items.

use para_std::pipeline_dot;
use std::io::Write;
use std::process::{Command, Stdio};

/// Renders `dot` with Graphviz, if it is installed; asserts it accepts the text.
pub fn renders(dot: &str) {
    // Asked first: under an emulator (qemu-user), starting a program that is not there may
    // look like a start and an exit with an error, rather than a failure to start.
    let installed = Command::new("dot")
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !installed {
        eprintln!("Graphviz's `dot` is not installed: the DOT text is not rendered");
        return;
    }
    let mut child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("`dot -V` ran, so `dot -Tsvg` starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(dot.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success() && output.stdout.starts_with(b"<?xml"),
        "dot -Tsvg refused:\n{dot}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_seed_graph_after_fusion() {
    let mut sum = 0;
    let dot =
        pipeline_dot!(4, 0..10 => (|x| (x * 2, x) => |(x2, x)| x2 - x, |x| -x) => |x| sum += x);
    let _ = &mut sum;
    renders(&dot);
    // Four nodes (the first branch fused), four edges.
    assert_eq!(dot.matches(" [label=").count(), 4, "{dot}");
    assert_eq!(dot.matches(" -> ").count(), 4, "{dot}");
    assert!(dot.contains("n0 [label=\"source\\n0..10\"]"), "{dot}");
    assert!(
        dot.contains("parallel\\n|x| (x * 2, x)\\n=> |(x2, x)| x2 - x"),
        "{dot}"
    );
    assert!(
        dot.contains("sink\\n|x| sum += x\\nqueue: 256 items (1 × 256)"),
        "{dot}"
    );
    // Three queues of the default capacity.
    assert!(
        dot.contains("at most 768 items (3 × capacity 256)"),
        "{dot}"
    );
}

#[test]
fn every_kind_of_node_and_ordered_windows() {
    let (mut a, mut b): (Vec<i32>, u32) = (Vec::new(), 0);
    let dot = pipeline_dot!(2, capacity = 8, (0..10, 20..30)
        => filter |x: &i32| x % 2 == 0
        => (flat_map |x| [x, x], limit(2) |x| x + 1)
        => ordered |x| a.push(x)
        => |_x| b += 1);
    let _ = (&mut a, &mut b);
    renders(&dot);
    for word in [
        "source",
        "parallel filter",
        "flat_map",
        "limit 2",
        "ordered",
        "sink",
    ] {
        assert!(dot.contains(word), "`{word}` missing:\n{dot}");
    }
    // The ordered stage: a window per source of 2 parts (one per branch), and one for the
    // flat-map's stream.
    assert!(dot.contains("windows: "), "{dot}");
    let folds = pipeline_dot!(0..10 => (fold(|| 0, |a, x| a + x, |a, b| a + b), reduce(|| 0, |a, b| a + b)));
    renders(&folds);
    assert_eq!(folds.matches("fold sink").count(), 2, "{folds}");
}

#[test]
fn text_that_needs_escaping() {
    let mut v: Vec<String> = Vec::new();
    let dot = pipeline_dot!(["a\"b", "c\\d"] => |s: &str| format!("\"{s}\"") => |s| v.push(s));
    let _ = &mut v;
    renders(&dot);
}

/// The compress example's graph (`--dot FILE`), drawn from the very pipeline text it runs.
#[test]
fn the_compress_graph() {
    let dot = para_tests::compress::graph_dot();
    renders(&dot);
    assert!(dot.contains("Chunks::new(input)"), "{dot}");
    assert!(dot.contains("try ordered sink"), "{dot}");
    assert!(dot.contains("at most 32 items (2 × capacity 16)"), "{dot}");
}
