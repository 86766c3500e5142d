//! The check that each `#[substates(..)]` list names every message of the substate machine, which
//! the derive cannot read (spanned on the attribute). The other direction — the substate machine
//! accepts every listed message — is the bound of the forwarding call in the dispatch, spanned on
//! that message; that it shares the superstate's context is the bound of `__private::ctx`,
//! spanned on the data type.

use proc_macro2::{Group, TokenStream, TokenTree};
use quote::{ToTokens, quote, quote_spanned};

use super::Names;
use crate::model::{Model, State};

/// The stand-in for a superstate's data type in code written as text (the hooks' context,
/// `__private::ctx::<Self, Inner>`): text has no spans, and a substate machine with another
/// context must be reported once, on the user's data type, as the spanned forwarding calls
/// report it, not a second time on `#[derive(Machine)]`.
pub(super) fn placeholder(state: &State) -> String {
    format!("{PREFIX}{}", state.name)
}

const PREFIX: &str = "__lockstep_substates_of_";

/// Replaces every [`placeholder`] in `tokens` with the superstate's data type as the user wrote
/// it (spans included). Only a nested machine has any; a flat one is returned as it is.
pub(super) fn respan(model: &Model, tokens: TokenStream) -> TokenStream {
    if !model.nested {
        return tokens;
    }
    tokens
        .into_iter()
        .flat_map(|tree| -> TokenStream {
            match tree {
                TokenTree::Group(group) => {
                    let mut inner = Group::new(group.delimiter(), respan(model, group.stream()));
                    inner.set_span(group.span());
                    TokenTree::Group(inner).into()
                }
                TokenTree::Ident(ident) => {
                    let text = ident.to_string();
                    let data = text.strip_prefix(PREFIX).and_then(|name| {
                        model
                            .states
                            .iter()
                            .find(|state| state.name == name)
                            .and_then(|state| state.data.as_ref())
                    });
                    match data {
                        Some(data) => data.to_token_stream(),
                        None => TokenTree::Ident(ident).into(),
                    }
                }
                other => other.into(),
            }
        })
        .collect()
}

pub(super) fn emit(names: &Names<'_>) -> TokenStream {
    let model = names.model;
    // A `const` item cannot name the generics of an enclosing impl; a generic machine's
    // substates are checked by the dispatch's own bounds instead (with rustc's wording).
    if !model.nested || !model.generics.params.is_empty() {
        return TokenStream::new();
    }
    let mut checks = TokenStream::new();
    for state in &model.states {
        let (Some(list), Some(inner)) = (&state.substates, &state.data) else {
            continue;
        };
        let listed = list
            .messages
            .iter()
            .map(|&(message, _)| model.messages[message].text.clone());
        let inner_name = state
            .data_text
            .as_deref()
            .unwrap_or_default()
            .replace(' ', "");
        let superstate = format!("{}::{}", model.ident, state.name);
        let keyword = list.keyword.span();
        checks.extend(quote_spanned! {keyword=>
            ::lockstep::__private::all_listed(
                <#inner as ::lockstep::Machine>::MESSAGES,
                &[#(#listed),*],
                #inner_name,
                #superstate,
            );
        });
    }
    quote! {
        const _: () = {
            #checks
        };
    }
}
