//! The compile-fail suite: one file per spec mistake under `tests/ui/`, each with the exact
//! diagnostics the user sees (`.stderr`). Regenerate with `TRYBUILD=overwrite cargo test --test ui`
//! and read every changed `.stderr` as a user would.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
