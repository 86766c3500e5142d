//! The compile-cost benchmark: what a 100 × 100 lockstep machine costs against the same machine
//! written by hand, in `cargo check` time, in expansion time, and in instructions per dispatch.
//!
//! Run it with `cargo bench -p lockstep-benches --bench compile`. It generates two crates under
//! `target/lockstep-bench-compile/` (sharing one target directory), times warm `cargo check` of each
//! after touching its source, times `lockstep_codegen::expand_machine` in process, and counts the
//! instructions of one dispatch of each with callgrind. The book's "Compile cost and dispatch"
//! section explains the method and the figures.

mod emit;
mod nested;
mod spec;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;
use std::time::{Duration, Instant, SystemTime};
use std::{env, fs};

use spec::Spec;

/// Timed runs of each measurement (the median is reported).
const RUNS: usize = 7;
/// Messages in the closed walk the dispatch count replays.
const WALK: usize = 10_000;
/// Passes over the walk under callgrind (about a million dispatches).
const PASSES: usize = 100;

type Error = Box<dyn std::error::Error>;

fn main() -> Result<(), Error> {
    // `cargo bench` passes `--bench`; there is nothing to filter.
    let spec = Spec::generate();
    let [moves, multi, stays, discards, defers] = spec.mix();
    println!(
        "machine: {} states × {} messages, {} cells ({moves} moves, {multi} two-target moves, \
         {stays} stays, {discards} discards, {defers} defers), {} states with data, {} messages \
         with a reply",
        spec.states.len(),
        spec.replies.len(),
        spec.cell_count(),
        spec.states.iter().filter(|s| s.data).count(),
        spec.replies.iter().filter(|r| **r).count(),
    );

    let root = scratch_dir();
    let walk = spec.closed_walk(WALK);
    let lockstep = Generated::write(
        &root,
        "machine-lockstep",
        &emit::lockstep_lib(&spec),
        &emit::lockstep_dispatch(&spec, &walk),
        &format!(
            "lockstep = {{ path = {:?} }}",
            workspace_dir().display().to_string()
        ),
    )?;
    let hand = Generated::write(
        &root,
        "machine-hand",
        &emit::hand_lib(&spec),
        &emit::hand_dispatch(&spec, &walk),
        "",
    )?;
    println!(
        "source: lockstep {} lines ({} tokens before expansion), hand-written {} lines ({} tokens)",
        lockstep.lines, lockstep.tokens, hand.lines, hand.tokens
    );

    let (check_lockstep, check_hand) = time_checks(&root, &lockstep, &hand)?;
    let check_vs_hand = ratio(check_lockstep, check_hand);
    println!(
        "warm cargo check (median of {RUNS}): lockstep {:.3} s, hand-written {:.3} s, ratio {check_vs_hand:.2}",
        check_lockstep.as_secs_f64(),
        check_hand.as_secs_f64()
    );

    let expand = time_expansion(&spec)?;
    let expand_ms = expand.as_secs_f64() * 1e3;
    println!("expand_machine in process (release build, median of {RUNS}): {expand_ms:.1} ms");

    let (ir_lockstep, ir_hand) = count_dispatch(&root, &lockstep, &hand)?;
    let dispatch_vs_hand = ir_lockstep / ir_hand;
    println!(
        "instructions per dispatch (callgrind, {} dispatches): lockstep {ir_lockstep:.2}, \
         hand-written {ir_hand:.2}, ratio {dispatch_vs_hand:.3}",
        walk.len() * PASSES
    );

    let nested_dispatch_vs_hand = count_nested(&root)?;

    println!(
        "RESULT compile states={} messages={} check_vs_hand={check_vs_hand:.2} expand_ms={expand_ms:.1} \
         dispatch_vs_hand={dispatch_vs_hand:.3} nested_dispatch_vs_hand={nested_dispatch_vs_hand:.3}",
        spec.states.len(),
        spec.replies.len()
    );
    Ok(())
}

/// Instructions per dispatch of the three-level machine, lockstep over the hand-written nested
/// `match`es (see `nested.rs`).
fn count_nested(root: &Path) -> Result<f64, Error> {
    let walk = nested::walk(WALK);
    let lockstep = Generated::write(
        root,
        "nested-lockstep",
        &nested::lockstep_lib(),
        &nested::lockstep_dispatch(&walk),
        &format!(
            "lockstep = {{ path = {:?} }}",
            workspace_dir().display().to_string()
        ),
    )?;
    let hand = Generated::write(
        root,
        "nested-hand",
        &nested::hand_lib(),
        &nested::hand_dispatch(&walk),
        "",
    )?;
    let (ir_lockstep, ir_hand) = count_dispatch(root, &lockstep, &hand)?;
    let ratio = ir_lockstep / ir_hand;
    println!(
        "instructions per dispatch, three levels (callgrind, {} dispatches): lockstep \
         {ir_lockstep:.2}, hand-written nested match {ir_hand:.2}, ratio {ratio:.3}",
        walk.len() * PASSES
    );
    Ok(ratio)
}

fn workspace_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// `target/lockstep-bench-compile/` (under `CARGO_TARGET_DIR` if set).
fn scratch_dir() -> PathBuf {
    let target = env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace_dir().join("target"), PathBuf::from);
    target.join("lockstep-bench-compile")
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// One generated crate: its directory and the file that is touched before each check.
struct Generated {
    dir: PathBuf,
    lib: PathBuf,
    lines: usize,
    tokens: usize,
}

impl Generated {
    fn write(
        root: &Path,
        name: &str,
        lib: &str,
        dispatch: &str,
        deps: &str,
    ) -> Result<Self, Error> {
        let dir = root.join(name);
        fs::create_dir_all(dir.join("src"))?;
        fs::create_dir_all(dir.join("examples"))?;
        // `[workspace]`: a root of its own, not a stray member of lockstep's workspace. The release
        // profile (the dispatch count only) gives both sides the same whole-program optimisation.
        let manifest = format!(
            "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
             [dependencies]\n{deps}\n\n[profile.release]\ncodegen-units = 1\nlto = \"fat\"\n\n[workspace]\n"
        );
        write_if_changed(&dir.join("Cargo.toml"), &manifest)?;
        // The workspace's lock file: the same dependency versions as lockstep's own build, no
        // resolution against the registry.
        if !dir.join("Cargo.lock").exists() {
            fs::copy(workspace_dir().join("Cargo.lock"), dir.join("Cargo.lock"))?;
        }
        let path = dir.join("src/lib.rs");
        write_if_changed(&path, lib)?;
        write_if_changed(&dir.join("examples/dispatch.rs"), dispatch)?;
        Ok(Self {
            dir,
            lib: path,
            lines: lib.lines().count(),
            tokens: token_count(proc_macro2::TokenStream::from_str(lib)?),
        })
    }

    fn cargo(&self, root: &Path, args: &[&str]) -> Command {
        let mut command = Command::new(env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        command
            .args(args)
            .arg("--manifest-path")
            .arg(self.dir.join("Cargo.toml"))
            .env("CARGO_TARGET_DIR", root.join("target"))
            .env_remove("CARGO_BUILD_TARGET_DIR");
        command
    }

    fn run(&self, root: &Path, args: &[&str]) -> Result<(), Error> {
        let status = self.cargo(root, args).status()?;
        if status.success() {
            Ok(())
        } else {
            Err(format!(
                "`cargo {}` failed in {}",
                args.join(" "),
                self.dir.display()
            )
            .into())
        }
    }

    /// Touches the source, runs `cargo check`, returns the wall time.
    fn timed_check(&self, root: &Path) -> Result<Duration, Error> {
        fs::File::options()
            .append(true)
            .open(&self.lib)?
            .set_modified(SystemTime::now())?;
        let start = Instant::now();
        self.run(root, &["check", "-q"])?;
        Ok(start.elapsed())
    }
}

fn write_if_changed(path: &Path, text: &str) -> Result<(), Error> {
    if fs::read_to_string(path).ok().as_deref() != Some(text) {
        fs::write(path, text)?;
    }
    Ok(())
}

/// One untimed build of each (dependencies, incremental state), then `RUNS` timed runs of each,
/// interleaved so a busy machine slows both alike.
fn time_checks(root: &Path, a: &Generated, b: &Generated) -> Result<(Duration, Duration), Error> {
    println!("building both crates once (dependencies compile the first time)…");
    a.run(root, &["check", "-q"])?;
    b.run(root, &["check", "-q"])?;
    let (mut times_a, mut times_b) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        times_a.push(a.timed_check(root)?);
        times_b.push(b.timed_check(root)?);
    }
    Ok((median(times_a), median(times_b)))
}

/// `expand_machine` on the machine's enum, in process: the macro's own work, without rustc.
fn time_expansion(spec: &Spec) -> Result<Duration, Error> {
    let tokens = proc_macro2::TokenStream::from_str(&emit::lockstep_enum(spec))?;
    let mut times = Vec::new();
    let mut expansion = proc_macro2::TokenStream::new();
    for _ in 0..RUNS {
        let input = tokens.clone();
        let start = Instant::now();
        expansion = lockstep_codegen::expand_machine(input);
        times.push(start.elapsed());
    }
    print_breakdown(&expansion);
    Ok(median(times))
}

/// Tokens of the expansion by generated item (impls by trait), largest first: what rustc reads.
fn print_breakdown(expansion: &proc_macro2::TokenStream) {
    use proc_macro2::TokenTree;
    let mut kinds: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut item: Vec<TokenTree> = Vec::new();
    for tree in expansion.clone() {
        // An item ends with its body (`{ .. }`) or a `;`; attributes (`#[..]`) start the next.
        let ends = match &tree {
            TokenTree::Group(g) => g.delimiter() == proc_macro2::Delimiter::Brace,
            TokenTree::Punct(p) => p.as_char() == ';',
            _ => false,
        };
        item.push(tree);
        if ends {
            let entry = kinds.entry(item_kind(&item)).or_default();
            entry.0 += 1;
            entry.1 += token_count(item.drain(..).collect());
        }
    }
    let total: usize = kinds.values().map(|(_, tokens)| tokens).sum();
    let mut kinds: Vec<_> = kinds.into_iter().collect();
    kinds.sort_by_key(|(_, (_, tokens))| std::cmp::Reverse(*tokens));
    println!("expansion: {total} tokens");
    for (kind, (items, tokens)) in kinds {
        println!("  {kind:<24} {items:>5} items {tokens:>8} tokens");
    }
}

/// Tokens in a stream, counting into groups.
fn token_count(tokens: proc_macro2::TokenStream) -> usize {
    tokens
        .into_iter()
        .map(|t| match t {
            proc_macro2::TokenTree::Group(g) => 1 + token_count(g.stream()),
            _ => 1,
        })
        .sum()
}

/// `impl Accepts`, `impl (inherent)`, `struct`, `enum`, `trait`, …
fn item_kind(item: &[proc_macro2::TokenTree]) -> String {
    use proc_macro2::TokenTree;
    let idents: Vec<String> = item
        .iter()
        .filter_map(|t| match t {
            TokenTree::Ident(i) => Some(i.to_string()),
            _ => None,
        })
        .collect();
    let Some(keyword) = idents
        .iter()
        .find(|i| ["impl", "struct", "enum", "trait", "const", "fn", "type"].contains(&i.as_str()))
    else {
        return "other".to_owned();
    };
    if keyword != "impl" {
        return keyword.clone();
    }
    // `impl ::lockstep::Accepts<M0> for Big`: the trait is the last path segment before `<`/`for`.
    let mut last = None;
    let mut depth = 0;
    for tree in item
        .iter()
        .skip_while(|t| !matches!(t, TokenTree::Ident(i) if i == "impl"))
        .skip(1)
    {
        match tree {
            TokenTree::Punct(p) if p.as_char() == '<' => depth += 1,
            TokenTree::Punct(p) if p.as_char() == '>' => depth -= 1,
            TokenTree::Ident(i) if depth == 0 && i == "for" => {
                return format!("impl {}", last.unwrap_or_default());
            }
            TokenTree::Ident(i) if depth == 0 => last = Some(i.to_string()),
            TokenTree::Group(_) => break,
            _ => {}
        }
    }
    "impl (inherent)".to_owned()
}

/// Builds each side's `dispatch` example in release, checks both end in the same state with the
/// same total, and counts the instructions inside `step` (one dispatch each) with callgrind.
/// Returns instructions per dispatch, (lockstep, hand-written).
fn count_dispatch(root: &Path, a: &Generated, b: &Generated) -> Result<(f64, f64), Error> {
    let mut per_dispatch = Vec::new();
    let mut outputs = Vec::new();
    for side in [a, b] {
        side.run(root, &["build", "-q", "--release", "--example", "dispatch"])?;
        let binary = root.join("target/release/examples/dispatch");
        let passes = PASSES.to_string();
        let output = Command::new(&binary).arg(&passes).output()?;
        outputs.push(String::from_utf8_lossy(&output.stdout).trim().to_owned());
        let out_file = side.dir.join("callgrind.out");
        let status = Command::new("valgrind")
            .arg("--tool=callgrind")
            .arg(format!("--callgrind-out-file={}", out_file.display()))
            .arg("--toggle-collect=dispatch::step")
            .arg(&binary)
            .arg(&passes)
            .output()?;
        if !status.status.success() {
            return Err(format!(
                "valgrind failed: {}",
                String::from_utf8_lossy(&status.stderr)
            )
            .into());
        }
        let total = callgrind_total(&out_file)?;
        let dispatches = dispatches(&outputs[outputs.len() - 1])?;
        per_dispatch.push(total / dispatches);
    }
    println!(
        "dispatch runs: lockstep `{}`, hand-written `{}`",
        outputs[0], outputs[1]
    );
    if outputs[0] != outputs[1] {
        return Err("the two sides disagree: they do not implement the same machine".into());
    }
    Ok((per_dispatch[0], per_dispatch[1]))
}

#[allow(clippy::cast_precision_loss)] // instruction counts are far below 2^52
fn callgrind_total(path: &Path) -> Result<f64, Error> {
    let text = fs::read_to_string(path)?;
    let line = text
        .lines()
        .find_map(|l| {
            l.strip_prefix("summary:")
                .or_else(|| l.strip_prefix("totals:"))
        })
        .ok_or("no totals in the callgrind output")?;
    let first = line.split_whitespace().next().ok_or("empty totals")?;
    Ok(first.parse::<u64>()? as f64)
}

#[allow(clippy::cast_precision_loss)] // a million is exact in f64
fn dispatches(output: &str) -> Result<f64, Error> {
    let count = output
        .split_whitespace()
        .find_map(|w| w.strip_prefix("dispatches="))
        .ok_or("no dispatch count in the example's output")?;
    Ok(count.parse::<u64>()? as f64)
}
