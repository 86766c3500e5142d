//! The checks of each `#[substates(..)]` list against the substate machine it names, which the
//! derive cannot read: the machine shares the superstate's context, accepts every listed message
//! (spanned on that message), and every message it accepts is listed (spanned on the attribute).

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
    let machine = &names.machine_ty;
    let mut checks = TokenStream::new();
    for state in &model.states {
        let (Some(list), Some(inner)) = (&state.substates, &state.data) else {
            continue;
        };
        let inner_span = syn::spanned::Spanned::span(inner);
        checks.extend(
            quote_spanned!(inner_span=> ::lockstep::__private::substates::<#machine, #inner>();),
        );
        let mut listed = Vec::new();
        for &(message, span) in &list.messages {
            let ty = &model.messages[message].ty;
            checks
                .extend(quote_spanned!(span=> ::lockstep::__private::forwarded::<#inner, #ty>();));
            listed.push(model.messages[message].text.clone());
        }
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
