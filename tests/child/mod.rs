//! What the crash tests share: finding the child process's example binary, and the seeded
//! generator of kill points.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The example binary `name`: next to the test's executable, where `cargo test` builds
/// examples; if it is not there (a `cargo test --test crash` that built no examples), it is built
/// into a target directory of its own, so as not to wait for the lock cargo holds on the main one.
pub fn example_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test's own path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps/<test>");
    let sibling = profile_dir.join("examples").join(name);
    if sibling.exists() {
        return sibling;
    }
    let target = profile_dir
        .parent()
        .expect("target/<profile>")
        .join(name.replace('_', "-"));
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .args([
            "build",
            "--example",
            name,
            "--features",
            "persist",
            "--target-dir",
        ])
        .arg(&target)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("cargo runs");
    assert!(status.success(), "building the crash child `{name}` failed");
    target.join("debug").join("examples").join(name)
}

/// A small seeded generator (xorshift64*): the kill points are reproducible from the seed.
pub struct Rng(pub u64);

impl Rng {
    /// A number in `low..high`.
    pub fn between(&mut self, low: u64, high: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        low + self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % (high - low)
    }
}
