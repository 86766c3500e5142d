//! Derive macros for [lockstep](https://docs.rs/lockstep). Thin by design: the whole pipeline lives
//! in `lockstep-codegen`, a plain library that tests and users' snapshot tests can call.

use proc_macro::TokenStream;

/// See `lockstep::Machine`.
#[proc_macro_derive(
    Machine,
    attributes(
        machine, initial, terminal, on, discard, defer, timeout, enter, exit, substates
    )
)]
pub fn derive_machine(input: TokenStream) -> TokenStream {
    lockstep_codegen::expand_machine(input.into()).into()
}

/// See `lockstep::Message`.
#[proc_macro_derive(Message, attributes(message))]
pub fn derive_message(input: TokenStream) -> TokenStream {
    lockstep_codegen::expand_message(input.into()).into()
}
