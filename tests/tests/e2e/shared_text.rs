//! The seed's pipeline text shared with para-core's test of the grammar on para-core alone
//! (`para-core/tests/shared/seed.rs`): here on para-std's thread pool.

use para_std::pipeline;

include!("../../../para-core/tests/shared/seed.rs");

#[test]
fn the_pipeline_text_shared_with_para_core_alone() {
    for threads in [1, 2, 8] {
        assert_eq!(seed_pipeline!(threads, 10_000), seed_expected(10_000));
    }
}
