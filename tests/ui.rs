//! The compile-fail suite: one file per spec mistake under `tests/ui/`, each with the exact
//! diagnostics the user sees (`.stderr`). Regenerate with `TRYBUILD=overwrite cargo test --test ui`
//! and read every changed `.stderr` as a user would: the caret on the user's own token, a text that
//! says what to do, one error per mistake.

/// Checked with `cargo check`, like an editor would: every mistake the derive or the type system
/// reports before code generation.
#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}

/// Mistakes found only when code is generated (a post-monomorphization error, which `cargo check`
/// does not see). The `pass` case makes trybuild run `cargo build` for this set.
#[test]
fn ui_build() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui-build/provided_handlers_compile.rs");
    cases.compile_fail("tests/ui-build/provided_handler_for_reply.rs");
    // Random valid specs written out as programs by the codegen's property test
    // (`macros/codegen/tests/never_panics.rs`); each `main` drives its machine and asserts every
    // state it passes through. Built in the same `cargo build` as the cases above.
    cases.pass("tests/generated/*.rs");
}
