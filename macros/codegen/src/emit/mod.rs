//! Model → tokens. One file per generated artefact:
//! - `handlers`: the handler trait the context implements;
//! - `states`: the enums of multi-target cells and, with `#[machine(typestate)]`, one struct per
//!   state (the typestate values);
//! - `dispatch`: `Accepts<M>` for each message, the exhaustive dispatch every driver runs;
//! - `typestate` (with `#[machine(typestate)]`): `Transition<M>` for each state × message it
//!   handles, and each state struct's `send`;
//! - `machine`: the `Machine` impl and the `Input` enum that carries any of the machine's messages
//!   (with the trait impls `#[machine(derive(..))]` asks for);
//! - `docs`: the table, per-state summaries and diagrams on the machine's page, and `MERMAID`/`DOT`;
//! - `substates`: the checks of each `#[substates(..)]` list against the substate machine;
//! - `message`: `#[derive(Message)]`.
//!
//! Every path is absolute (`::lockstep::…`, `::core::…` through `::lockstep::__private`), so the
//! expansion works next to user items named `Result`, `Option`, `Box` or `String`.

mod dispatch;
mod docs;
mod handlers;
mod machine;
mod message;
mod states;
mod substates;
mod typestate;

extern crate proc_macro;

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};
use syn::{GenericParam, Generics};

use crate::model::Model;

pub(crate) use message::message;

/// Everything the generated items of one machine share: names, generics, paths.
pub(crate) struct Names<'a> {
    pub model: &'a Model,
    /// `Turnstile<T>` as a type.
    pub machine_ty: TokenStream,
    /// `impl<..>` parameters, `<..>` arguments, and the where clause of the machine.
    pub impl_generics: TokenStream,
    pub ty_args: TokenStream,
    pub where_clause: TokenStream,
    /// `<T: Bound, ..>` for declaring items that carry the machine's generics.
    pub decl_generics: TokenStream,
    /// `PhantomData<..>` covering every generic parameter, for items that must carry them all;
    /// `None` for a machine without generics.
    pub phantom: Option<TokenStream>,
    pub context: TokenStream,
    pub handlers: Ident,
    /// `TurnstileHandlers` or `BufferHandlers::<T>`, for calls in expression position.
    pub handlers_path: TokenStream,
    pub input: Ident,
    /// The spec had errors (already reported): bodies that call handlers or build variants are
    /// stubbed, see [`Names::body`].
    pub stub: bool,
}

impl<'a> Names<'a> {
    fn new(model: &'a Model) -> Self {
        let generics = &model.generics;
        let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
        let ident = &model.ident;
        let decl_params = &generics.params;
        Names {
            model,
            machine_ty: quote!(#ident #ty_generics),
            impl_generics: quote!(#impl_generics),
            ty_args: quote!(#ty_generics),
            where_clause: quote!(#where_clause),
            decl_generics: if decl_params.is_empty() {
                TokenStream::new()
            } else {
                quote!(<#decl_params>)
            },
            phantom: phantom(generics),
            context: {
                let ty = &model.context;
                quote!(#ty)
            },
            handlers: format_ident!("{}Handlers", ident),
            handlers_path: {
                let handlers = format_ident!("{}Handlers", ident);
                let turbofish = ty_generics.as_turbofish();
                quote!(#handlers #turbofish)
            },
            input: format_ident!("{}Input", ident),
            stub: false,
        }
    }

    /// A function body: `real`, or with [`stub`](Names::stub) one that type-checks whatever the
    /// spec's mistakes were (a malformed variant, a context without a handler impl), so the user
    /// sees only the errors on the spec.
    pub fn body(&self, real: &TokenStream) -> TokenStream {
        if self.stub {
            quote!(::core::unimplemented!())
        } else {
            real.clone()
        }
    }

    /// The struct of state `index`: `TurnstileLocked`.
    pub fn state_struct(&self, index: usize) -> Ident {
        let state = &self.model.states[index].ident;
        format_ident!("{}{}", self.model.ident, state, span = state.span())
    }

    /// The enum of a multi-target cell: `TurnstileUnlockedOnCoin`.
    pub fn cell_enum(&self, state: usize, message: usize) -> Ident {
        format_ident!(
            "{}{}On{}",
            self.model.ident,
            self.model.states[state].ident,
            self.model.messages[message].name
        )
    }

    /// A value of state `index`'s struct built from `data` (ignored for data-less states).
    pub fn state_value(&self, index: usize, data: &TokenStream) -> TokenStream {
        let name = self.state_struct(index);
        let has_data = self.model.states[index].data.is_some();
        match (has_data, self.phantom.is_some()) {
            (true, false) => quote!(#name(#data)),
            (true, true) => quote!(#name(#data, ::lockstep::__private::PhantomData)),
            (false, false) => quote!(#name),
            (false, true) => quote!(#name(::lockstep::__private::PhantomData)),
        }
    }

    /// A pattern destructuring state `index`'s struct, binding its data to `data`.
    pub fn state_pattern(&self, index: usize, data: &TokenStream) -> TokenStream {
        let name = self.state_struct(index);
        let has_data = self.model.states[index].data.is_some();
        match (has_data, self.phantom.is_some()) {
            (true, false) => quote!(#name(#data)),
            (true, true) => quote!(#name(#data, _)),
            (false, false) => quote!(#name),
            (false, true) => quote!(#name(_)),
        }
    }

    /// `Self::Variant` or `Self::Variant(data)`.
    pub fn variant_value(&self, index: usize, data: &TokenStream) -> TokenStream {
        let variant = &self.model.states[index].ident;
        if self.model.states[index].data.is_some() {
            quote!(Self::#variant(#data))
        } else {
            quote!(Self::#variant)
        }
    }

    /// `Self::Variant` or `Self::Variant(..)`, for matching without binding.
    pub fn variant_any(&self, index: usize) -> TokenStream {
        let variant = &self.model.states[index].ident;
        if self.model.states[index].data.is_some() {
            quote!(Self::#variant(..))
        } else {
            quote!(Self::#variant)
        }
    }

    /// `::lockstep::StateId(n)`.
    pub fn state_id(index: usize) -> TokenStream {
        let index = u16::try_from(index).unwrap_or(u16::MAX);
        quote!(::lockstep::StateId(#index))
    }
}

/// Lexes generated text. The emitters write their most repeated parts as text because building
/// tokens one by one through the proc-macro bridge is the largest cost of a big machine's expansion.
/// The text is ours, so it always lexes; if it ever does not, the failure is reported, not a panic.
pub(crate) fn lex(text: &str) -> TokenStream {
    // Inside a running proc macro, hand the text straight to the compiler's (optimised) lexer;
    // `proc_macro2`'s own parse would first validate it with its lexer, compiled as unoptimised
    // as this crate, which costs about as much as building the tokens one by one.
    if proc_macro::is_available()
        && let Ok(tokens) = text.parse::<proc_macro::TokenStream>()
    {
        return tokens.into();
    }
    text.parse().unwrap_or_else(|error| {
        let message =
            format!("lockstep generated code that does not lex (a bug, please report it): {error}");
        quote!(::core::compile_error!(#message);)
    })
}

fn phantom(generics: &Generics) -> Option<TokenStream> {
    if generics.params.is_empty() {
        return None;
    }
    let parts = generics.params.iter().map(|param| match param {
        GenericParam::Type(t) => {
            let ident = &t.ident;
            quote!(#ident)
        }
        GenericParam::Lifetime(l) => {
            let lifetime = &l.lifetime;
            quote!(&#lifetime ())
        }
        GenericParam::Const(c) => {
            let ident = &c.ident;
            quote!([(); #ident])
        }
    });
    Some(quote!(::lockstep::__private::PhantomData<fn() -> (#(#parts,)*)>))
}

/// Generates every item of a machine. With `stub`, the spec had errors: handler methods all get
/// bodies (so the user's impl block raises no second wave of errors), and bodies that call
/// handlers or match variants are stubbed (see [`Names::body`]); every item keeps its signature.
pub(crate) fn machine(model: &Model, stub: bool) -> TokenStream {
    if model.states.is_empty() {
        return TokenStream::new();
    }
    let mut names = Names::new(model);
    names.stub = stub;
    let mut out = TokenStream::new();
    out.extend(handlers::emit(&names, stub));
    out.extend(states::emit(&names));
    let lifecycle_and_dispatch: TokenStream = machine::emit(&names)
        .into_iter()
        .chain(dispatch::emit(&names))
        .collect();
    out.extend(substates::respan(model, lifecycle_and_dispatch));
    if !stub {
        out.extend(substates::emit(&names));
    }
    if model.typestate {
        out.extend(typestate::emit(&names));
    }
    out.extend(docs::emit(&names));
    out
}
