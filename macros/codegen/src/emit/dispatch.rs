//! `Accepts<M>` for each message: the exhaustive dispatch that the synchronous driver and the race
//! checker (and the planned actor) all run. One impl per message with one arm per declared cell and one
//! catch-all that rejects, so a 100 × 100 machine generates ~1,000 arms, not 10,000.

use std::fmt::Write as _;

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

use super::Names;
use crate::model::{Action, Cell};

pub(super) fn emit(names: &Names<'_>) -> TokenStream {
    let handlers = names.handlers_path.to_string();
    (0..names.model.messages.len())
        .map(|message| accepts(names, &handlers, message))
        .collect()
}

fn accepts(names: &Names<'_>, handlers: &str, message: usize) -> TokenStream {
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
    // The arms are written as text and lexed once: a large machine has ~1,000 of them, and
    // building each token through the proc-macro bridge (in an unoptimised build of this crate)
    // costs far more than rustc lexing the text. Only discard arms, whose error must point at the
    // user's `#[discard(..)]`, are built as spanned tokens.
    let mut text = String::new();
    let mut spanned = TokenStream::new();
    let mut arms = 0;
    // A superstate offers the message to its substate machine first; its own cell, if any, is
    // the fallback inside that arm.
    let is_timeout = model.messages[message].is_timeout();
    for (s, state) in model.states.iter().enumerate() {
        if model.forwards(s, message) || (is_timeout && state.substates.is_some()) {
            spanned.extend(forward_arm(names, handlers, s, message));
            arms += 1;
        }
    }
    for cell in &cells {
        if model.forwards(cell.state, message)
            || (is_timeout && model.states[cell.state].substates.is_some())
        {
            continue;
        }
        arms += 1;
        match &cell.action {
            Action::Discard => spanned.extend(discard_arm(names, cell)),
            _ => arm(names, handlers, cell, &mut text),
        }
    }
    let catch_all =
        (arms < model.states.len()).then(|| quote!(state => __lockstep::reject(state, message),));
    let arms = super::lex(&text);
    // With one message and no phantom variant, the one arm is the whole match: a catch-all
    // would be an unreachable pattern.
    let other = (model.messages.len() > 1 || names.phantom.is_some())
        .then(|| quote!(other => ::lockstep::__private::Err(other),));
    let body = names.body(&quote! {
        use ::lockstep::__private as __lockstep;
        match self {
            #arms
            #spanned
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
            fn input<__LockstepC: ::lockstep::Carrier>(item: ::lockstep::__private::Of<__LockstepC, #ty>) -> #input #input_args {
                #input::#variant(item)
            }

            #[inline]
            fn take<__LockstepC: ::lockstep::Carrier>(input: #input #input_args) -> ::lockstep::__private::Result<::lockstep::__private::Of<__LockstepC, #ty>, #input #input_args> {
                match input {
                    #input::#variant(item) => ::lockstep::__private::Ok(item),
                    #other
                }
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

/// The arm of a superstate `s` for a message it forwards: the substate machine decides first; if
/// it rejects, the superstate's own cell (if any) decides. A timeout goes down only when it was
/// armed for a level inside; the superstate's own timeout is its own cell's. Built as tokens (a
/// machine has few of them): the forwarding call is spanned on the message in the user's
/// `#[substates(..)]`, so a message the substate machine does not accept is reported there.
fn forward_arm(names: &Names<'_>, handlers: &str, s: usize, message: usize) -> TokenStream {
    let model = names.model;
    let state = &model.states[s];
    let variant = &state.ident;
    let inner = state
        .data
        .as_ref()
        .map_or_else(|| quote!(()), |ty| quote!(#ty));
    let ty = &model.messages[message].ty;
    let at = u16_lit(s);
    let fallback = if let Some(cell) = model.cell(s, message) {
        let own = if let Action::Discard = &cell.action {
            // Spanned on the user's `#[discard(..)]`, as a flat state's discard arm, so a
            // message with a reply is reported there.
            let outcome =
                quote_spanned!(cell.message_span=> __lockstep::discard::<#ty>(#at, message));
            quote!(Self::#variant(state) => (Self::#variant(state), #outcome),)
        } else {
            let mut own = String::new();
            arm(names, handlers, cell, &mut own);
            super::lex(&own)
        };
        quote!({
            #[allow(unreachable_patterns)]
            match Self::#variant(state) {
                #own
                state => __lockstep::reject(state, message),
            }
        })
    } else {
        quote!(__lockstep::reject(Self::#variant(state), message))
    };
    if model.messages[message].is_timeout() {
        return quote! {
            Self::#variant(state) => match __lockstep::deeper(message) {
                __lockstep::Ok(message) => {
                    let (state, outcome) = __lockstep::forward_timeout::<#inner>(state, __lockstep::ctx::<Self, #inner>(context), message, #at);
                    match outcome {
                        __lockstep::Ok(outcome) => (Self::#variant(state), outcome),
                        __lockstep::Err(message) => __lockstep::reject(Self::#variant(state), message),
                    }
                }
                __lockstep::Err(message) => #fallback,
            },
        };
    }
    let span = state
        .substates
        .as_ref()
        .and_then(|list| list.messages.iter().find(|&&(m, _)| m == message))
        .map_or_else(proc_macro2::Span::call_site, |&(_, span)| span);
    let forward = quote_spanned!(span=> __lockstep::forward::<#inner, #ty>);
    quote! {
        Self::#variant(state) => {
            let (state, outcome) = #forward(state, __lockstep::ctx::<Self, #inner>(context), message, #at);
            match outcome {
                __lockstep::Ok(outcome) => (Self::#variant(state), outcome),
                __lockstep::Err(message) => #fallback,
            }
        }
    }
}

/// Appends the arm of one `on` or `defer` cell as text.
fn arm(names: &Names<'_>, handlers: &str, cell: &Cell, out: &mut String) {
    let model = names.model;
    let state = &model.states[cell.state];
    let variant = &state.name;
    let has_data = state.data.is_some();
    let message = &model.messages[cell.message].ty_text;
    let handler = format!("{}_on_{}", state.snake, model.messages[cell.message].snake);
    let from = cell.state;
    let bind = match (has_data, state.exit || state.substates.is_some()) {
        (false, _) => "",
        (true, false) => "(state)",
        (true, true) => "(mut state)",
    };
    let arg = if has_data { "state, " } else { "" };
    let _ = match &cell.action {
        Action::Move(targets) => {
            // Hooks: the source's exit runs before the handler takes its data, the target's
            // enter after the handler made the target's data.
            let exit = hook_call(handlers, state, "exit", "state");
            let invoke = format!("{handlers}::{handler}(context, {arg}message)");
            let arm = Arm {
                variant,
                bind,
                exit: &exit,
                invoke: &invoke,
                message,
                from,
            };
            move_arm(names, handlers, cell, targets, &arm, out)
        }
        Action::Stay => {
            let value = if has_data { "(state)" } else { "" };
            let (bind_mut, arg) = if has_data {
                ("(mut state)", "&mut state, ")
            } else {
                ("", "")
            };
            write!(
                out,
                "Self::{variant}{bind_mut} => {{ let reply = {handlers}::{handler}(context, {arg}message); \
                 (Self::{variant}{value}, __lockstep::stayed({from}, reply)) }}"
            )
        }
        Action::Defer => {
            let any = if has_data { "(..)" } else { "" };
            write!(
                out,
                "state @ Self::{variant}{any} => (state, __lockstep::deferred({from}, message)),"
            )
        }
        Action::Discard => Ok(()),
    };
}

/// The parts of a moving cell's arm that its source state decides.
struct Arm<'a> {
    variant: &'a str,
    bind: &'a str,
    exit: &'a str,
    invoke: &'a str,
    message: &'a str,
    from: usize,
}

fn move_arm(
    names: &Names<'_>,
    handlers: &str,
    cell: &Cell,
    targets: &[usize],
    arm: &Arm<'_>,
    out: &mut String,
) -> std::fmt::Result {
    let model = names.model;
    let Arm {
        variant,
        bind,
        exit,
        invoke,
        message,
        from,
    } = *arm;
    if let [to] = targets {
        let target = &model.states[*to];
        let enter = hook_call(handlers, target, "enter", "data");
        if target.data.is_some() {
            let data = if target.enter || target.substates.is_some() {
                "mut data"
            } else {
                "data"
            };
            write!(
                out,
                "Self::{variant}{bind} => {{ {exit}let ({data}, reply) = __lockstep::split::<{message}, _>({invoke}); \
                 {enter}(Self::{}(data), __lockstep::moved({from}, {to}, reply)) }}",
                target.name
            )
        } else if exit.is_empty() && enter.is_empty() {
            write!(
                out,
                "Self::{variant}{bind} => (Self::{}, __lockstep::moved({from}, {to}, {invoke})),",
                target.name
            )
        } else {
            write!(
                out,
                "Self::{variant}{bind} => {{ {exit}let reply = {invoke}; \
                 {enter}(Self::{}, __lockstep::moved({from}, {to}, reply)) }}",
                target.name
            )
        }
    } else {
        let cell_enum = format!(
            "{}{variant}On{}",
            model.ident, model.messages[cell.message].text
        );
        let mut branches = String::new();
        for &t in targets {
            let target = &model.states[t];
            let name = &target.name;
            let enter = hook_call(handlers, target, "enter", "data");
            let _ = match (
                target.data.is_some(),
                target.enter || target.substates.is_some(),
            ) {
                (true, false) => {
                    write!(
                        branches,
                        "{cell_enum}::{name}(data) => (Self::{name}(data), {t}),"
                    )
                }
                (true, true) => write!(
                    branches,
                    "{cell_enum}::{name}(mut data) => {{ {enter}(Self::{name}(data), {t}) }}"
                ),
                (false, false) => {
                    write!(branches, "{cell_enum}::{name} => (Self::{name}, {t}),")
                }
                (false, true) => write!(
                    branches,
                    "{cell_enum}::{name} => {{ {enter}(Self::{name}, {t}) }}"
                ),
            };
        }
        if names.phantom.is_some() {
            let _ = write!(
                branches,
                "{cell_enum}::__Phantom(_, never) => match never {{}},"
            );
        }
        write!(
            out,
            "Self::{variant}{bind} => {{ {exit}let (next, reply) = __lockstep::split::<{message}, _>({invoke}); \
             let (machine, to) = match next {{ {branches} }}; \
             (machine, __lockstep::moved({from}, to, reply)) }}"
        )
    }
}

/// `Handlers::exit_state(context, &mut data); ` when `state` has that hook, else nothing. A
/// superstate is entered outermost first (its hook, then its substate machine's `start`) and left
/// innermost first (its substate machine's `leave`, then its hook).
pub(super) fn hook_call(
    handlers: &str,
    state: &crate::model::State,
    when: &str,
    data: &str,
) -> String {
    let nested = state.substates.is_some();
    if !state.has_hook(when) && !nested {
        return String::new();
    }
    let own = if state.has_hook(when) {
        let arg = if state.data.is_some() {
            format!(", &mut {data}")
        } else {
            String::new()
        };
        format!("{handlers}::{}(context{arg}); ", state.hook_name(when))
    } else {
        String::new()
    };
    // The data type is a placeholder that `substates::respan` replaces with the user's tokens.
    let context = format!(
        "::lockstep::__private::ctx::<Self, {}>(context)",
        super::substates::placeholder(state)
    );
    match (nested, when) {
        (false, _) => own,
        (true, "enter") => format!("{own}::lockstep::Machine::start(&mut {data}, {context}); "),
        (true, _) => format!("::lockstep::Machine::leave(&mut {data}, {context}); {own}"),
    }
}

/// A discard arm, spanned on the user's message so a message with a reply is reported there.
fn discard_arm(names: &Names<'_>, cell: &Cell) -> TokenStream {
    let message = &names.model.messages[cell.message].ty;
    let pattern = names.variant_any(cell.state);
    let from = u16_lit(cell.state);
    let outcome =
        quote_spanned!(cell.message_span=> __lockstep::discard::<#message>(#from, message));
    quote!(state @ #pattern => (state, #outcome),)
}

/// An unsuffixed literal: the helpers take `u16`, so the suffix would be a wasted token.
fn u16_lit(index: usize) -> proc_macro2::Literal {
    proc_macro2::Literal::u16_unsuffixed(u16::try_from(index).unwrap_or(u16::MAX))
}
