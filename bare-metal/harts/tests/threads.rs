//! The protocol on the host: threads stand in for cores, one graph on "core 0"'s stack.

use para_harts::Harts;
use std::sync::atomic::{AtomicUsize, Ordering};

static HARTS: Harts<4> = Harts::new();

#[test]
fn every_core_runs_every_job_once_and_run_waits_for_all() {
    for h in 1..4 {
        std::thread::spawn(move || HARTS.serve(h));
    }
    assert_eq!(HARTS.wait_online(usize::MAX), 4);
    for round in 0..100usize {
        // Lives on this thread's stack and dies at the end of the iteration: `run` must not
        // return while another core still uses it.
        let calls = [const { AtomicUsize::new(0) }; 4];
        let total = AtomicUsize::new(0);
        HARTS.run(&|h| {
            calls[h].fetch_add(1, Ordering::Relaxed);
            total.fetch_add(round, Ordering::Relaxed);
        });
        for c in &calls {
            assert_eq!(c.load(Ordering::Relaxed), 1);
        }
        assert_eq!(total.load(Ordering::Relaxed), 4 * round);
    }
}
