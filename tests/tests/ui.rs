//! Compile-time errors of `pipeline!`: each case under `ui/` must fail to compile with exactly the
//! checked-in message, pointing at the token at fault. Regenerate with `TRYBUILD=overwrite` and
//! read every changed `.stderr` before committing it.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
