//! The `#[derive(Machine)]` and `#[derive(Message)]` pipeline as a plain library.
//!
//! `lockstep-macros` only converts tokens and calls [`expand_machine`] / [`expand_message`]. Keeping
//! the pipeline here lets unit tests, snapshot tests and users' own tests call it directly.
//!
//! The stages, one module each, in the order they run:
//! - `parse`: tokens → `Spec`, the attributes as written, with spans.
//! - `model`: `Spec` → `Model`, the resolved state × message matrix (targets resolved to states,
//!   messages numbered, cells keyed).
//! - `check`: graph- and matrix-wide rules (one initial state, reachability, terminal states, …).
//! - `emit`: `Model` → tokens, one file per generated artefact.
//!
//! Errors are accumulated across the stages and reported together, each on the user's tokens; when
//! there are errors the emitter still produces stubs of the items other code names, so the user sees
//! the real mistakes and not a cascade.

mod check;
mod emit;
mod errors;
mod model;
mod names;
mod parse;

// The snapshot tests use it too, so it is compiled for tests without the feature.
#[cfg(any(test, feature = "pretty"))]
mod source;

#[cfg(test)]
mod snapshots;

use proc_macro2::TokenStream;

#[cfg(feature = "pretty")]
pub use source::{SourceError, expand_source, pretty};

/// Expands `#[derive(Machine)]`: the item's tokens in, the generated items out (or `compile_error!`s
/// plus stubs). Never panics.
#[must_use]
pub fn expand_machine(input: TokenStream) -> TokenStream {
    let mut errors = errors::Errors::default();
    let Some(spec) = parse::machine(input, &mut errors) else {
        return errors.into_compile_errors();
    };
    let model = model::Model::build(&spec, &mut errors);
    check::run(&model, &mut errors);
    let stub = errors.any();
    let mut out = emit::machine(&model, stub);
    out.extend(errors.into_compile_errors());
    out
}

/// Expands `#[derive(Message)]`. Never panics.
#[must_use]
pub fn expand_message(input: TokenStream) -> TokenStream {
    let mut errors = errors::Errors::default();
    let spec = parse::message(input, &mut errors);
    let mut out = spec.map(|spec| emit::message(&spec)).unwrap_or_default();
    out.extend(errors.into_compile_errors());
    out
}
