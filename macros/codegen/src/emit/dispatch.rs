//! `Accepts<M>` for each message: the exhaustive dispatch that the synchronous driver, the actor
//! and the race checker all run. One impl per message with one arm per declared cell and one
//! catch-all that rejects, so a 100 × 100 machine generates ~1,000 arms, not 10,000.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

use super::Names;
use crate::model::{Action, Cell};

pub(super) fn emit(names: &Names<'_>) -> TokenStream {
    (0..names.model.messages.len())
        .map(|message| accepts(names, message))
        .collect()
}

fn accepts(names: &Names<'_>, message: usize) -> TokenStream {
    let model = names.model;
    let ty = &model.messages[message].ty;
    let index = u16::try_from(message).unwrap_or(u16::MAX);
    let impl_generics = &names.impl_generics;
    let machine_ty = &names.machine_ty;
    let where_clause = &names.where_clause;
    let context = &names.context;
    let input = &names.input;
    let variant = &model.messages[message].name;
    let input_args = input_args(names);

    let cells: Vec<&Cell> = model.cells_of_message(message).collect();
    let arms = cells.iter().map(|cell| arm(names, cell));
    let catch_all = if cells.len() < model.states.len() {
        quote! {
            state => {
                let id = ::lockstep::Machine::state(&state);
                (state, ::lockstep::Outcome::Rejected { state: id, message })
            }
        }
    } else {
        TokenStream::new()
    };
    let body = names.body(&quote! {
        match self {
            #(#arms)*
            #catch_all
        }
    });
    quote! {
        #[automatically_derived]
        impl #impl_generics ::lockstep::Accepts<#ty> for #machine_ty #where_clause {
            const MESSAGE: ::lockstep::MessageId = ::lockstep::MessageId(#index);

            #[inline]
            fn dispatch(self, context: &mut #context, message: #ty) -> (Self, ::lockstep::Outcome<#ty>) {
                #body
            }

            #[inline]
            fn input<__LockstepC: ::lockstep::Carrier>(item: <__LockstepC as ::lockstep::Carrier>::Of<#ty>) -> #input #input_args {
                #input::#variant(item)
            }
        }
    }
}

/// `<T, C>`: the machine's generic arguments followed by the carrier `__LockstepC`.
pub(super) fn input_args(names: &Names<'_>) -> TokenStream {
    let params = names.model.generics.params.iter().map(|p| match p {
        syn::GenericParam::Type(t) => {
            let i = &t.ident;
            quote!(#i)
        }
        syn::GenericParam::Lifetime(l) => {
            let l = &l.lifetime;
            quote!(#l)
        }
        syn::GenericParam::Const(c) => {
            let i = &c.ident;
            quote!(#i)
        }
    });
    quote!(<#(#params,)* __LockstepC>)
}

fn arm(names: &Names<'_>, cell: &Cell) -> TokenStream {
    let model = names.model;
    let message = &model.messages[cell.message].ty;
    let from = Names::state_id(cell.state);
    let context = &names.context;
    let handlers = &names.handlers;
    let args = &names.ty_args;
    let has_data = model.states[cell.state].data.is_some();
    let bound = quote!(state);
    match &cell.action {
        Action::Move(targets) => {
            let handler = model.handler_name(cell);
            let pattern = names.variant_value(cell.state, &bound);
            let data_arg = has_data.then(|| quote!(state,));
            let invoke =
                quote!(<#context as #handlers #args>::#handler(context, #data_arg message));
            if let [target] = targets.as_slice() {
                let to = Names::state_id(*target);
                if model.states[*target].data.is_some() {
                    let next = names.variant_value(*target, &quote!(data));
                    quote! {
                        #pattern => {
                            let (data, reply) = <#message as ::lockstep::Message>::split_reply(#invoke);
                            (#next, ::lockstep::Outcome::Moved { from: #from, to: #to, reply })
                        }
                    }
                } else {
                    let next = names.variant_value(*target, &TokenStream::new());
                    quote! {
                        #pattern => {
                            let reply = #invoke;
                            (#next, ::lockstep::Outcome::Moved { from: #from, to: #to, reply })
                        }
                    }
                }
            } else {
                let cell_enum = names.cell_enum(cell.state, cell.message);
                let branches = targets.iter().map(|&t| {
                    let variant = &model.states[t].ident;
                    let to = Names::state_id(t);
                    quote! {
                        #cell_enum::#variant(next) => (::lockstep::__private::core::convert::From::from(next), #to),
                    }
                });
                quote! {
                    #pattern => {
                        let (next, reply) = <#message as ::lockstep::Message>::split_reply(#invoke);
                        let (machine, to) = match next {
                            #(#branches)*
                        };
                        (machine, ::lockstep::Outcome::Moved { from: #from, to, reply })
                    }
                }
            }
        }
        Action::Stay => {
            let handler = model.handler_name(cell);
            let pattern = names.variant_value(cell.state, &quote!(mut state));
            let data_arg = has_data.then(|| quote!(&mut state,));
            let rebuilt = names.variant_value(cell.state, &bound);
            quote! {
                #pattern => {
                    let reply = <#context as #handlers #args>::#handler(context, #data_arg message);
                    (#rebuilt, ::lockstep::Outcome::Stayed { state: #from, reply })
                }
            }
        }
        Action::Discard => {
            let pattern = names.variant_any(cell.state);
            let reply =
                quote_spanned!(cell.message_span=> ::lockstep::__private::discarded::<#message>());
            quote! {
                state @ #pattern => {
                    let _ = message;
                    (state, ::lockstep::Outcome::Discarded { state: #from, reply: #reply })
                }
            }
        }
        Action::Defer => {
            let pattern = names.variant_any(cell.state);
            quote! {
                state @ #pattern => (state, ::lockstep::Outcome::Deferred { state: #from, message }),
            }
        }
    }
}
