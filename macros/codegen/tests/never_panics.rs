//! The derive pipeline never panics, and says so where the user can see it.
//!
//! Properties, each over random inputs (256 cases each by default):
//! - **grammar specs**: random machines built from the spec's grammar (states of every shape,
//!   cells of every kind, timeouts, hooks, options, generics, and the mistakes of each) never panic
//!   the pipeline; an oracle written from the book's rules knows whether each spec is valid, and
//!   a valid spec expands to a `syn::File` without `compile_error!`, an invalid one to at least one
//!   `compile_error!`, every one of them pointing into the input, never only at the call site;
//! - **one mistake, one error**: a valid spec with one mistake put in gets exactly one error
//!   (notes such as "first declared here" aside): no cascade;
//! - **mutated specs**: those specs with tokens deleted, swapped, replaced and inserted: no
//!   panic, and any input rustc could hand a derive (one that parses as an item) gets its errors on
//!   its own tokens, or no error and a `syn::File`;
//! - **random token streams**: arbitrary punctuation, identifiers, literals and groups through
//!   both derives: no panic;
//! - **message specs**: `#[derive(Message)]` on structs, enums and unions with good and bad
//!   `#[message(..)]` keys, against their own oracle.
//!
//! A panic is caught (`catch_unwind`) and reported as a failure with the shrunk input's text.
//! A sample of valid specs is also written out as whole programs under `tests/generated/`, which
//! `tests/ui.rs` builds and runs (trybuild pass cases); `generated_programs_are_current` checks
//! they are what the generator makes now.
//!
//! Run longer with, for example:
//!
//! ```text
//! PROPTEST_CASES=20000 cargo test --release -p lockstep-codegen --test never_panics
//! ```

#[path = "never_panics/grammar.rs"]
mod grammar;

use std::fmt::Write as _;
use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, FileFailurePersistence, RngAlgorithm, TestRng, TestRunner};

/// Source text, shown as itself when proptest prints a failing case.
#[derive(Clone)]
struct Source(String);

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "\n{}\n", self.0)
    }
}

thread_local! {
    /// Set while a derive runs: its panic is reported by the property, with the input, so the
    /// default hook's message (once per shrinking step) would only be noise.
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs one derive, turning a panic into an error that carries its message.
fn expand(
    derive: fn(TokenStream) -> TokenStream,
    input: &TokenStream,
) -> Result<TokenStream, String> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.get() {
                default(info);
            }
        }));
    });
    let input = input.clone();
    QUIET.set(true);
    let result = catch_unwind(AssertUnwindSafe(|| derive(input)));
    QUIET.set(false);
    result.map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".to_owned())
    })
}

/// The byte range the input's tokens cover (`span-locations` gives every parsed token its place in
/// a per-thread source map; `Span::call_site()` is `0..0`, outside every input).
fn covered(input: &TokenStream) -> Range<usize> {
    fn walk(stream: &TokenStream, bounds: &mut (usize, usize)) {
        for tree in stream.clone() {
            let r = tree.span().byte_range();
            bounds.0 = bounds.0.min(r.start);
            bounds.1 = bounds.1.max(r.end);
            if let TokenTree::Group(group) = tree {
                walk(&group.stream(), bounds);
            }
        }
    }
    let mut bounds = (usize::MAX, 0);
    walk(input, &mut bounds);
    bounds.0..bounds.1
}

/// The span of each `compile_error!` in the output, as byte ranges.
fn compile_errors(output: &TokenStream) -> Vec<Range<usize>> {
    fn walk(stream: &TokenStream, found: &mut Vec<Range<usize>>) {
        let trees: Vec<TokenTree> = stream.clone().into_iter().collect();
        for (index, tree) in trees.iter().enumerate() {
            match tree {
                TokenTree::Ident(ident)
                    if ident == "compile_error"
                        && matches!(trees.get(index + 1), Some(TokenTree::Punct(p)) if p.as_char() == '!') =>
                {
                    found.push(ident.span().byte_range());
                }
                TokenTree::Group(group) => walk(&group.stream(), found),
                _ => {}
            }
        }
    }
    let mut found = Vec::new();
    walk(output, &mut found);
    found
}

/// The text of each `compile_error!`, leaving out the notes that accompany an error ("first
/// declared here").
fn error_messages(output: &TokenStream) -> Vec<String> {
    fn walk(stream: &TokenStream, found: &mut Vec<String>) {
        let trees: Vec<TokenTree> = stream.clone().into_iter().collect();
        for (index, tree) in trees.iter().enumerate() {
            match tree {
                TokenTree::Ident(ident) if ident == "compile_error" => {
                    if let Some(TokenTree::Group(group)) = trees.get(index + 2) {
                        found.push(group.stream().to_string());
                    }
                }
                TokenTree::Group(group) => walk(&group.stream(), found),
                _ => {}
            }
        }
    }
    let mut found = Vec::new();
    walk(output, &mut found);
    found
        .retain(|m| !m.contains("first declared here") && !m.contains("is the first state marked"));
    found
}

/// Every `compile_error!` points into the input.
fn errors_point_into_input(
    input: &TokenStream,
    errors: &[Range<usize>],
) -> Result<(), TestCaseError> {
    let covered = covered(input);
    for error in errors {
        prop_assert!(
            error.start >= covered.start && error.end <= covered.end && error.end > 0,
            "a compile_error! at bytes {error:?}, outside the input's {covered:?} (call site?)"
        );
    }
    Ok(())
}

/// The text of the output, for failure messages.
fn shown(output: &TokenStream) -> String {
    let text = output.to_string();
    if text.len() > 4000 {
        format!("{}…", &text[..text.floor_char_boundary(4000)])
    } else {
        text
    }
}

/// What holds for any input: no panic; no error means output that parses as Rust; and when the input
/// is an item (all a derive is ever given), every error is on the input's tokens.
fn holds_for_any_input(
    derive: fn(TokenStream) -> TokenStream,
    text: &str,
) -> Result<(), TestCaseError> {
    let Ok(input) = text.parse::<TokenStream>() else {
        return Ok(()); // does not lex: no token stream for a derive to see
    };
    let output = expand(derive, &input)
        .map_err(|panic| TestCaseError::fail(format!("the pipeline panicked: {panic}")))?;
    let errors = compile_errors(&output);
    if errors.is_empty() {
        prop_assert!(
            syn::parse2::<syn::File>(output.clone()).is_ok(),
            "no compile_error!, yet the output does not parse: {}",
            shown(&output)
        );
    } else if syn::parse2::<syn::DeriveInput>(input.clone()).is_ok() {
        errors_point_into_input(&input, &errors)?;
    }
    Ok(())
}

fn config() -> Config {
    // `Config::default()` reads `PROPTEST_CASES`; 256 cases unless it is set.
    Config {
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn grammar_specs(spec in grammar::spec()) {
        let text = spec.render();
        let input: TokenStream = text.parse().map_err(|e| TestCaseError::fail(format!("the generator wrote unlexable text ({e}):\n{text}")))?;
        let output = expand(lockstep_codegen::expand_machine, &input)
            .map_err(|panic| TestCaseError::fail(format!("the pipeline panicked: {panic}\n{text}")))?;
        let errors = compile_errors(&output);
        match spec.oracle() {
            Ok(_) => {
                prop_assert!(errors.is_empty(), "a valid spec got errors:\n{text}\n{}", shown(&output));
                prop_assert!(
                    syn::parse2::<syn::File>(output.clone()).is_ok(),
                    "a valid spec expanded to output that does not parse:\n{text}\n{}",
                    shown(&output)
                );
            }
            Err(why) => {
                prop_assert!(!errors.is_empty(), "an invalid spec ({why}) got no error:\n{text}");
                errors_point_into_input(&input, &errors)?;
            }
        }
    }

    #[test]
    fn one_mistake_one_error(
        spec in grammar::valid_spec(),
        mistake in grammar::mistake_kind(),
        at in any::<prop::sample::Index>(),
    ) {
        let Some(broken) = spec.with_mistake(mistake, at) else {
            return Ok(()); // no place for this mistake in this spec
        };
        let text = broken.render();
        prop_assert!(broken.oracle().is_err(), "the mistake {mistake:?} left the spec valid:\n{text}");
        let input: TokenStream = text.parse().map_err(|e| TestCaseError::fail(format!("unlexable ({e})")))?;
        let output = expand(lockstep_codegen::expand_machine, &input)
            .map_err(|panic| TestCaseError::fail(format!("the pipeline panicked: {panic}\n{text}")))?;
        let messages = error_messages(&output);
        prop_assert!(
            messages.len() == 1,
            "one mistake ({mistake:?}) gave {} errors:\n{text}\n{messages:#?}",
            messages.len()
        );
    }

    #[test]
    fn mutated_specs(spec in grammar::spec(), mutations in vec(mutation(), 1..5)) {
        let lexemes = mutate(lexemes(&spec.render()), &mutations);
        holds_for_any_input(lockstep_codegen::expand_machine, &lexemes.join(" "))?;
    }

    #[test]
    fn random_token_streams(source in random_source()) {
        holds_for_any_input(lockstep_codegen::expand_machine, &source.0)?;
        holds_for_any_input(lockstep_codegen::expand_message, &source.0)?;
    }

    #[test]
    fn message_specs(spec in message_spec()) {
        let (text, valid) = spec;
        let input: TokenStream = text.0.parse().map_err(|e| TestCaseError::fail(format!("unlexable ({e})")))?;
        let output = expand(lockstep_codegen::expand_message, &input)
            .map_err(|panic| TestCaseError::fail(format!("the pipeline panicked: {panic}")))?;
        let errors = compile_errors(&output);
        if valid {
            prop_assert!(errors.is_empty(), "a valid message got errors: {}", shown(&output));
            prop_assert!(syn::parse2::<syn::File>(output.clone()).is_ok(), "unparsable: {}", shown(&output));
        } else {
            prop_assert!(!errors.is_empty(), "an invalid message got no error");
            errors_point_into_input(&input, &errors)?;
        }
    }
}

// ---- mutations ----

#[derive(Clone, Debug)]
enum Mutation {
    Delete(prop::sample::Index),
    Swap(prop::sample::Index),
    Replace(prop::sample::Index, &'static str),
    Insert(prop::sample::Index, &'static str),
}

/// Tokens a mutation inserts: the grammar's own words and punctuation, and its near misses.
const LEXEMES: &[&str] = &[
    "on",
    "discard",
    "defer",
    "initial",
    "terminal",
    "timeout",
    "enter",
    "exit",
    "machine",
    "message",
    "context",
    "exhaustive",
    "typestate",
    "derive",
    "reply",
    "substates",
    "history",
    "Hello",
    "final",
    "ignore",
    "Self",
    "self",
    "crate",
    "super",
    "r#type",
    "r#Idle",
    "r#Coin",
    "_",
    "Idle",
    "Busy",
    "Coin",
    "Push",
    "Timeout",
    "Input",
    "lockstep",
    "T",
    "'a",
    "=>",
    "->",
    "|",
    ",",
    ":",
    "::",
    "<",
    ">",
    "=",
    "#",
    "!",
    "&",
    ";",
    ".",
    "@",
    "?",
    "+",
    "*",
    "()",
    "[]",
    "{}",
    "(Coin => Idle)",
    "[substates(Coin)]",
    "[on(Coin)]",
    "#[initial]",
    "30s",
    "1.5s",
    "0s",
    "5sec",
    "1e3s",
    "0.0000000001s",
    "30",
    "\"s\"",
    "'c'",
    "1u8",
    "b\"x\"",
    "99999999999999999999999999h",
    "-1",
    "1.",
    "0x10s",
    "r\"raw\"",
    "c\"c\"",
    "État",
    "İdle",
    "Ωmega",
    "'static",
    "'_",
    "1_000ms",
    "0b11s",
    "0.5e1s",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    let lexeme = prop::sample::select(LEXEMES);
    prop_oneof![
        any::<prop::sample::Index>().prop_map(Mutation::Delete),
        any::<prop::sample::Index>().prop_map(Mutation::Swap),
        (any::<prop::sample::Index>(), lexeme.clone()).prop_map(|(i, l)| Mutation::Replace(i, l)),
        (any::<prop::sample::Index>(), lexeme).prop_map(|(i, l)| Mutation::Insert(i, l)),
    ]
}

/// The source as a flat list of tokens, delimiters included, each as text.
fn lexemes(text: &str) -> Vec<String> {
    fn walk(stream: TokenStream, out: &mut Vec<String>) {
        for tree in stream {
            match tree {
                TokenTree::Group(group) => {
                    let (open, close) = match group.delimiter() {
                        Delimiter::Parenthesis => ("(", ")"),
                        Delimiter::Brace => ("{", "}"),
                        Delimiter::Bracket => ("[", "]"),
                        Delimiter::None => ("", ""),
                    };
                    out.push(open.to_owned());
                    walk(group.stream(), out);
                    out.push(close.to_owned());
                }
                TokenTree::Punct(punct) => {
                    // Keep joint punctuation (`=>`, `::`) together, as one lexeme.
                    if punct.spacing() == proc_macro2::Spacing::Joint {
                        out.push(format!("{}\u{0}", punct.as_char()));
                    } else {
                        out.push(punct.as_char().to_string());
                    }
                }
                other => out.push(other.to_string()),
            }
        }
    }
    let mut out = Vec::new();
    if let Ok(stream) = text.parse() {
        walk(stream, &mut out);
    }
    // Join `=\0` `>` back into `=>`.
    let mut joined: Vec<String> = Vec::new();
    for lexeme in out {
        match joined.last_mut() {
            Some(last) if last.ends_with('\u{0}') => {
                last.pop();
                last.push_str(&lexeme);
            }
            _ => joined.push(lexeme),
        }
    }
    joined
}

/// Applies the mutations in turn. A mutation that unbalances a delimiter makes text that does not
/// lex, which rustc never hands a derive; those cases pass trivially.
fn mutate(mut lexemes: Vec<String>, mutations: &[Mutation]) -> Vec<String> {
    for mutation in mutations {
        if lexemes.is_empty() {
            break;
        }
        match mutation {
            Mutation::Delete(i) => {
                let i = i.index(lexemes.len());
                lexemes.remove(i);
            }
            Mutation::Swap(i) => {
                let i = i.index(lexemes.len());
                if i + 1 < lexemes.len() {
                    lexemes.swap(i, i + 1);
                }
            }
            Mutation::Replace(i, lexeme) => {
                let i = i.index(lexemes.len());
                (*lexeme).clone_into(&mut lexemes[i]);
            }
            Mutation::Insert(i, lexeme) => {
                let i = i.index(lexemes.len() + 1);
                lexemes.insert(i, (*lexeme).to_owned());
            }
        }
    }
    lexemes
}

// ---- random token streams ----

/// Arbitrary token trees, sometimes behind the start of an item so the pipeline reads further than
/// the first token.
fn random_source() -> impl Strategy<Value = Source> {
    let leaf = prop::sample::select(LEXEMES).prop_map(str::to_owned);
    let tree = leaf.prop_recursive(4, 48, 6, |inner| {
        (
            prop::sample::select(&[("(", ")"), ("[", "]"), ("{", "}")][..]),
            vec(inner, 0..6),
        )
            .prop_map(|((open, close), items)| format!("{open} {} {close}", items.join(" ")))
    });
    (
        prop::sample::select(
            &[
                "",
                "enum Machine",
                "#[machine(exhaustive)] enum Machine",
                "pub enum Machine<T>",
                "struct Coin",
                "#[message(reply = u32)] enum Coin",
            ][..],
        ),
        vec(tree, 0..6),
    )
        .prop_map(|(head, trees)| Source(format!("{head} {}", trees.join(" "))))
}

// ---- message specs ----

/// A `#[derive(Message)]` input and whether the derive must accept it.
fn message_spec() -> impl Strategy<Value = (Source, bool)> {
    let item = prop::sample::select(
        &[
            ("struct Coin;", true),
            ("pub struct Coin { pub cents: u32 }", true),
            ("struct Put<T>(pub T);", true),
            ("enum Command { Start, Stop(u8) }", true),
            ("union Bits { a: u32, b: f32 }", false),
        ][..],
    );
    let key = prop::sample::select(
        &[
            ("reply = u32", true, true),
            ("reply = ()", true, true),
            ("reply = Vec<(u8, String)>", true, true),
            ("repli = u32", false, false),
            ("reply", false, false),
            ("reply(u32)", false, false),
            ("reply = ", false, false),
        ][..],
    );
    (item, vec(key, 0..3), any::<bool>()).prop_map(|((item, item_ok), keys, split)| {
        let replies = keys.iter().filter(|k| k.2).count();
        let valid = item_ok && keys.iter().all(|k| k.1) && replies <= 1;
        let texts: Vec<&str> = keys.iter().map(|k| k.0).collect();
        let attrs = if texts.is_empty() {
            String::new()
        } else if split {
            texts.iter().fold(String::new(), |mut out, k| {
                let _ = write!(out, "#[message({k})] ");
                out
            })
        } else {
            format!("#[message({})] ", texts.join(", "))
        };
        (Source(format!("{attrs}{item}")), valid)
    })
}

// ---- generated programs ----

/// How many programs `tests/generated/` holds, and the steps each `main` runs.
const PROGRAMS: usize = 8;
const STEPS: usize = 24;

fn generated_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/generated")
}

/// The programs, from a fixed seed: of the first valid runnable specs with at least three states,
/// a greedy cover of their features (typestate, generics, timeouts, hooks, …): each program is the
/// one that adds the most features the programs before it lack.
fn programs() -> Vec<(String, String)> {
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    let strategy = (grammar::spec(), vec(0..64usize, STEPS));
    let mut candidates = Vec::new();
    for _ in 0..1500 {
        let Ok(tree) = strategy.new_tree(&mut runner) else {
            continue;
        };
        let (spec, steps) = tree.current();
        let Ok(resolved) = spec.oracle() else {
            continue;
        };
        if spec.runnable() && spec.states.len() >= 3 {
            let features = spec.features(&resolved);
            candidates.push((spec, resolved, steps, features));
        }
    }
    let mut covered = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    while out.len() < PROGRAMS && !candidates.is_empty() {
        // The first candidate with the most features not yet covered (then the most features).
        let best = (0..candidates.len())
            .max_by_key(|&i| {
                let features = &candidates[i].3;
                (
                    features.difference(&covered).count(),
                    features.len(),
                    std::cmp::Reverse(i),
                )
            })
            .unwrap_or(0);
        let (spec, resolved, steps, features) = candidates.remove(best);
        covered.extend(features.iter().copied());
        let name = format!("spec_{}.rs", out.len());
        let list: Vec<&str> = features.into_iter().collect();
        let title = format!(
            "A random valid spec ({name}) driven through {STEPS} steps; covers: {}.",
            list.join(", ")
        );
        out.push((name, spec.program(&resolved, &title, &steps)));
    }
    out
}

/// The programs under `tests/generated/` are the generator's current output (they are built and
/// run by `tests/ui.rs`). `LOCKSTEP_REGENERATE=1` rewrites them.
#[test]
fn generated_programs_are_current() {
    let programs = programs();
    assert_eq!(
        programs.len(),
        PROGRAMS,
        "the generator ran out of specs covering anything new"
    );
    let dir = generated_dir();
    if std::env::var_os("LOCKSTEP_REGENERATE").is_some() {
        std::fs::create_dir_all(&dir).unwrap();
        for (name, text) in &programs {
            std::fs::write(dir.join(name), text).unwrap();
        }
    }
    for (name, text) in &programs {
        let on_disk = std::fs::read_to_string(dir.join(name)).unwrap_or_default();
        assert!(
            on_disk == *text,
            "tests/generated/{name} is stale: regenerate with \
             `LOCKSTEP_REGENERATE=1 cargo test -p lockstep-codegen --test never_panics`"
        );
    }
}

/// The generator produces a useful mix: both valid and invalid specs are common, so neither half
/// of the oracle is starved.
#[test]
fn the_generator_makes_valid_and_invalid_specs() {
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[3; 32]),
    );
    let strategy = grammar::spec();
    let mut reasons = std::collections::BTreeMap::new();
    for _ in 0..1000 {
        let reason = match strategy.new_tree(&mut runner).unwrap().current().oracle() {
            Ok(_) => "valid".to_owned(),
            Err(why) => why,
        };
        *reasons.entry(reason).or_insert(0) += 1;
    }
    let valid = reasons.get("valid").copied().unwrap_or(0);
    assert!(
        (300..=700).contains(&valid),
        "{valid} of 1000 valid: {reasons:#?}"
    );
}

/// Valid superstates are common, and so are superstates with a cell of their own on a message
/// they forward (the substate decides first), so the oracle's hierarchy rules meet the derive.
#[test]
fn the_generator_makes_valid_superstates() {
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[4; 32]),
    );
    let strategy = grammar::valid_spec();
    let (mut nested, mut overriding) = (0, 0);
    for _ in 0..500 {
        let spec = strategy.new_tree(&mut runner).unwrap().current();
        let resolved = spec.oracle().expect("a valid spec");
        if spec.states.iter().any(|s| s.substates.is_some()) {
            nested += 1;
        }
        let overrides = |i: usize| {
            resolved.forwards[i]
                .iter()
                .any(|m| resolved.cells[i].contains_key(m))
        };
        if (0..spec.states.len()).any(overrides) {
            overriding += 1;
        }
    }
    assert!(
        nested >= 100,
        "{nested} of 500 valid specs have a superstate"
    );
    assert!(
        overriding >= 25,
        "{overriding} of 500 valid specs have a forwarded message's cell"
    );
}

/// Every kind of mistake finds a place in many valid specs, so `one_mistake_one_error` tests each.
#[test]
fn every_mistake_finds_a_place() {
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[5; 32]),
    );
    let strategy = (
        grammar::valid_spec(),
        grammar::mistake_kind(),
        any::<prop::sample::Index>(),
    );
    let mut placed = std::collections::BTreeMap::new();
    for _ in 0..2000 {
        let (spec, mistake, at) = strategy.new_tree(&mut runner).unwrap().current();
        if spec.with_mistake(mistake, at).is_some() {
            *placed.entry(format!("{mistake:?}")).or_insert(0) += 1;
        }
    }
    assert_eq!(placed.len(), 26, "{placed:?}");
    assert!(placed.values().all(|&n| n >= 5), "{placed:?}");
}
