//! lockstep's core builds without `std`: the derive's output and the runtime use only `core`
//! (and `alloc` for the driver). Checks `tests/no_std`, a `#![no_std]` crate outside the workspace,
//! with and without the `alloc` feature.

use std::path::Path;
use std::process::Command;

fn check(features: &[&str]) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(root.join("tests/no_std"))
        .args(["check", "--quiet", "--target-dir"])
        .arg(root.join("target/no_std"));
    if !features.is_empty() {
        command.args(["--features", &features.join(",")]);
    }
    let output = command.output().expect("cargo runs");
    assert!(
        output.status.success(),
        "the no_std crate does not build with features {features:?}:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn core_only() {
    check(&[]);
}

#[test]
fn with_alloc() {
    check(&["alloc"]);
}
