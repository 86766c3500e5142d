//! The check that each `#[substates(..)]` list names every message of the substate machine, which
//! the derive cannot read (spanned on the attribute). The other direction — the substate machine
//! accepts every listed message — is the bound of the forwarding call in the dispatch, spanned on
//! that message; that it shares the superstate's context is the bound of `__private::ctx`,
//! spanned on the data type.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

use super::Names;

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
