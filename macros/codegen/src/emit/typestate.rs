//! `Transition<M>` for each state × message the state handles now (`on` and `discard` cells; a
//! deferred or undeclared message does not compile on a typestate value), and the inherent `send`
//! on each state struct.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

use super::Names;
use crate::model::{Action, Cell};

pub(super) fn emit(names: &Names<'_>) -> TokenStream {
    let model = names.model;
    let mut out: TokenStream = model.cells.iter().map(|c| transition(names, c)).collect();
    for index in 0..model.states.len() {
        out.extend(inherent_send(names, index));
        out.extend(typed_state(names, index));
    }
    out
}

fn transition(names: &Names<'_>, cell: &Cell) -> TokenStream {
    let model = names.model;
    let message = &model.messages[cell.message].ty;
    let impl_generics = &names.impl_generics;
    let args = &names.ty_args;
    let where_clause = &names.where_clause;
    let context = &names.context;
    let handlers = &names.handlers;
    let this = names.state_struct(cell.state);
    let has_data = model.states[cell.state].data.is_some();
    let join = quote!(<#message as ::lockstep::Message>::join_reply);

    let (next, body) = match &cell.action {
        Action::Move(targets) => move_body(names, cell, targets),
        Action::Stay => {
            let handler = model.handler_name(cell);
            let data_arg = has_data.then(|| quote!(&mut this.0,));
            (
                quote!(Self),
                quote! {
                    let mut this = self;
                    let reply = <#context as #handlers #args>::#handler(context, #data_arg message);
                    #join(this, reply)
                },
            )
        }
        Action::Discard => {
            let reply =
                quote_spanned!(cell.message_span=> ::lockstep::__private::discarded::<#message>());
            (
                quote!(Self),
                quote! {
                    let _ = (context, message);
                    #join(self, #reply)
                },
            )
        }
        Action::Defer => return TokenStream::new(),
    };
    // A superstate's own cell for a message its substates get first decides only when they
    // reject it, which the superstate's type cannot tell: that message is sent through the
    // machine's dispatch, not the typestate.
    if model.forwards(cell.state, cell.message) {
        return TokenStream::new();
    }
    let stubbed = names.body(&body);
    quote! {
        #[automatically_derived]
        impl #impl_generics ::lockstep::Transition<#message> for #this #args #where_clause {
            type Context = #context;
            type Next = #next;

            #[inline]
            fn send(self, context: &mut #context, message: #message) -> <#message as ::lockstep::Message>::WithReply<#next> {
                #stubbed
            }
        }
    }
}

fn inherent_send(names: &Names<'_>, index: usize) -> TokenStream {
    let impl_generics = &names.impl_generics;
    let args = &names.ty_args;
    let where_clause = &names.where_clause;
    let context = &names.context;
    let this = names.state_struct(index);
    let state = &names.model.states[index].ident;
    let doc = format!(
        "Sends `message` to the machine in state `{state}`. Compiles only for the messages \
         `{state}` handles; returns the next state's value (with the reply, if the message has one)."
    );
    quote! {
        #[automatically_derived]
        impl #impl_generics #this #args #where_clause {
            #[doc = #doc]
            #[inline]
            #[must_use = "the returned value is the machine in its next state"]
            pub fn send<__LockstepM: ::lockstep::HandledBy<Self, Context = #context>>(
                self,
                context: &mut #context,
                message: __LockstepM,
            ) -> <__LockstepM as ::lockstep::Message>::WithReply<<__LockstepM as ::lockstep::HandledBy<Self>>::Next> {
                ::lockstep::HandledBy::send_to(message, self, context)
            }
        }
    }
}

/// The `Next` type and the body of a moving cell's `send`: the source's exit hook, the handler,
/// the target's enter hook.
fn move_body(names: &Names<'_>, cell: &Cell, targets: &[usize]) -> (TokenStream, TokenStream) {
    let model = names.model;
    let message = &model.messages[cell.message].ty;
    let args = &names.ty_args;
    let context = &names.context;
    let handlers = &names.handlers;
    let has_data = model.states[cell.state].data.is_some();
    let join = quote!(<#message as ::lockstep::Message>::join_reply);
    let handler = model.handler_name(cell);
    let source = &model.states[cell.state];
    let pattern = if source.exit || source.substates.is_some() {
        names.state_pattern(cell.state, &quote!(mut state))
    } else {
        names.state_pattern(cell.state, &quote!(state))
    };
    let exit = hook(names, cell.state, "exit", &quote!(state));
    let data_arg = has_data.then(|| quote!(state,));
    let run_cell = quote!(<#context as #handlers #args>::#handler(context, #data_arg message));
    let invoke = if exit.is_empty() {
        run_cell
    } else {
        quote!({ #exit #run_cell })
    };
    if let [target] = targets {
        {
            let next_struct = names.state_struct(*target);
            let next = quote!(#next_struct #args);
            let enter = hook(names, *target, "enter", &quote!(data));
            let body = if model.states[*target].data.is_some() {
                let value = names.state_value(*target, &quote!(data));
                let data =
                    if model.states[*target].enter || model.states[*target].substates.is_some() {
                        quote!(mut data)
                    } else {
                        quote!(data)
                    };
                quote! {
                    let #pattern = self;
                    let (#data, reply) = <#message as ::lockstep::Message>::split_reply(#invoke);
                    #enter
                    #join(#value, reply)
                }
            } else {
                let value = names.state_value(*target, &TokenStream::new());
                quote! {
                    let #pattern = self;
                    let reply = #invoke;
                    #enter
                    #join(#value, reply)
                }
            };
            (next, body)
        }
    } else {
        {
            let cell_enum = names.cell_enum(cell.state, cell.message);
            let enters: Vec<TokenStream> = targets
                .iter()
                .filter(|&&t| model.states[t].enter || model.states[t].substates.is_some())
                .map(|&t| {
                    let variant = &model.states[t].ident;
                    let enter = hook(names, t, "enter", &quote!(*data));
                    if model.states[t].data.is_some() {
                        quote!(#cell_enum::#variant(data) => { #enter })
                    } else {
                        quote!(#cell_enum::#variant => { #enter })
                    }
                })
                .collect();
            let body = if enters.is_empty() {
                quote! {
                    let #pattern = self;
                    #invoke
                }
            } else {
                quote! {
                    let #pattern = self;
                    let (mut next, reply) = <#message as ::lockstep::Message>::split_reply(#invoke);
                    #[allow(unreachable_patterns)]
                    match &mut next {
                        #(#enters)*
                        _ => {}
                    }
                    #join(next, reply)
                }
            };
            (quote!(#cell_enum #args), body)
        }
    }
}

/// The call of state `index`'s `enter` or `exit` hook on `data`, if it has one.
fn hook(names: &Names<'_>, index: usize, when: &str, data: &TokenStream) -> TokenStream {
    let state = &names.model.states[index];
    let own = if state.has_hook(when) {
        let context = &names.context;
        let handlers = &names.handlers;
        let args = &names.ty_args;
        let method = quote::format_ident!("{}", state.hook_name(when));
        let data = state.data.is_some().then(|| quote!(, &mut #data));
        quote!(<#context as #handlers #args>::#method(context #data);)
    } else {
        TokenStream::new()
    };
    // A superstate is entered outermost first and left innermost first (as in the dispatch).
    let machine = &names.machine_ty;
    let inner = &state.data;
    let context = quote!(::lockstep::__private::ctx::<#machine, #inner>(context));
    match (state.substates.is_some(), when) {
        (false, _) => own,
        (true, "enter") => quote!(#own ::lockstep::Machine::start(&mut #data, #context);),
        (true, _) => quote!(::lockstep::Machine::leave(&mut #data, #context); #own),
    }
}

/// `TypedState`: which machine and state a state struct is (an actor session checks it).
fn typed_state(names: &Names<'_>, index: usize) -> TokenStream {
    let impl_generics = &names.impl_generics;
    let args = &names.ty_args;
    let where_clause = &names.where_clause;
    let machine_ty = &names.machine_ty;
    let this = names.state_struct(index);
    let id = Names::state_id(index);
    quote! {
        #[automatically_derived]
        impl #impl_generics ::lockstep::TypedState for #this #args #where_clause {
            type Machine = #machine_ty;
            const STATE: ::lockstep::StateId = #id;
        }
    }
}
