//! The `Machine` impl (the static description every driver, doc and checker reads) and the
//! `Input` enum that carries any of the machine's messages through one queue.

use std::fmt::Write as _;

use proc_macro2::TokenStream;
use quote::quote;

use super::Names;
use super::dispatch::input_args;
use crate::model::Action;

pub(super) fn emit(names: &Names<'_>) -> TokenStream {
    let mut out = input_enum(names);
    out.extend(machine_impl(names));
    out
}

fn input_enum(names: &Names<'_>) -> TokenStream {
    let model = names.model;
    let vis = &model.vis;
    let input = &names.input;
    let machine = &model.ident;
    let params = model.generics.params.iter();
    let where_clause = &names.where_clause;
    let variants = model.messages.iter().map(|m| {
        let (name, ty) = (&m.name, &m.ty);
        let doc = format!("A [`{}`]({}).", m.name, m.link);
        quote!(#[doc = #doc] #name(<__LockstepC as ::lockstep::Carrier>::Of<#ty>))
    });
    // The hidden variant carries the machine's generics; with no message at all it also carries
    // `__LockstepC`, which no variant uses then.
    let carried = match (&names.phantom, model.messages.is_empty()) {
        (Some(phantom), false) => Some(phantom.clone()),
        (Some(phantom), true) => {
            Some(quote!((#phantom, ::lockstep::__private::PhantomData<fn() -> __LockstepC>)))
        }
        (None, true) => Some(quote!(
            ::lockstep::__private::PhantomData<fn() -> __LockstepC>
        )),
        (None, false) => None,
    };
    let phantom_variant = carried.map(|carried| {
        quote! {
            #[doc(hidden)]
            __Phantom(#carried, ::core::convert::Infallible),
        }
    });
    let impls = input_impls(names);
    let doc = format!(
        "Any message [`{machine}`] accepts, as one type: what a queue of its messages holds. The last \
         parameter, the carrier, says what is kept with each message ([`Bare`](::lockstep::Bare): the message alone)."
    );

    quote! {
        #[doc = #doc]
        #vis enum #input <#(#params,)* __LockstepC: ::lockstep::Carrier = ::lockstep::Bare> #where_clause {
            #(#variants,)*
            #phantom_variant
        }

        #impls
    }
}

/// The traits of `#[machine(derive(..))]` the input enum implements too.
const INPUT_TRAITS: [&str; 7] = [
    "Debug",
    "Clone",
    "PartialEq",
    "Eq",
    "Hash",
    "Serialize",
    "Deserialize",
];

/// `Debug`, `Clone`, `PartialEq`, `Eq`, `Hash`, and serde's `Serialize` and `Deserialize`
/// (through `::lockstep::__private::serde`, with lockstep's `serde` feature) for the input enum,
/// each only if
/// `#[machine(derive(..))]` names it, and bounded on what the carrier keeps, so `Input<Bare>` has
/// it exactly when every message does.
fn input_impls(names: &Names<'_>) -> TokenStream {
    let model = names.model;
    // By the last segment, so `derive(core::fmt::Debug)` counts too.
    let wanted = |name: &str| {
        model
            .derives
            .iter()
            .any(|p| p.segments.last().is_some_and(|s| s.ident == name))
    };
    if !INPUT_TRAITS.into_iter().any(wanted) {
        return TokenStream::new();
    }
    let input = &names.input;
    let args = input_args(names);
    let impl_params = {
        let bare = model.generics.params.iter().map(strip_default);
        quote!(<#(#bare,)* __LockstepC: ::lockstep::Carrier>)
    };
    let phantom_arm =
        has_phantom(names).then(|| quote!(Self::__Phantom(_, never) => match *never {},));
    let bounds = |tr: TokenStream| carrier_bounds(model, &tr);
    let names_list: Vec<_> = model.messages.iter().map(|m| &m.name).collect();
    let scrutinee = quote!(self);
    let names_str: Vec<String> = model.messages.iter().map(|m| m.name.to_string()).collect();

    let debug_bounds = bounds(quote!(::core::fmt::Debug));
    let clone_bounds = bounds(quote!(::core::clone::Clone));
    let eq_bounds = bounds(quote!(::core::cmp::PartialEq));
    let total_eq_bounds = bounds(quote!(::core::cmp::Eq));
    let hash_bounds = bounds(quote!(::core::hash::Hash));
    let indices = (0..model.messages.len()).map(|i| u16::try_from(i).unwrap_or(u16::MAX));

    // Each impl is generated only when `#[machine(derive(..))]` asks for that trait: five impls of
    // one arm per message are a large share of a big machine's expansion, and most users need none.
    let mut out = TokenStream::new();
    if wanted("Debug") {
        out.extend(quote! {
            #[automatically_derived]
            impl #impl_params ::core::fmt::Debug for #input #args #debug_bounds {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    match #scrutinee {
                        #(Self::#names_list(item) => f.debug_tuple(#names_str).field(item).finish(),)*
                        #phantom_arm
                    }
                }
            }
        });
    }
    if wanted("Clone") {
        out.extend(quote! {
            #[automatically_derived]
            impl #impl_params ::core::clone::Clone for #input #args #clone_bounds {
                fn clone(&self) -> Self {
                    match #scrutinee {
                        #(Self::#names_list(item) => Self::#names_list(::core::clone::Clone::clone(item)),)*
                        #phantom_arm
                    }
                }
            }
        });
    }
    if wanted("PartialEq") {
        out.extend(quote! {
            #[automatically_derived]
            impl #impl_params ::core::cmp::PartialEq for #input #args #eq_bounds {
                fn eq(&self, other: &Self) -> bool {
                    match (self, other) {
                        #((Self::#names_list(a), Self::#names_list(b)) => a == b,)*
                        #[allow(unreachable_patterns)]
                        _ => false,
                    }
                }
            }
        });
    }
    if wanted("Eq") {
        out.extend(quote! {
            #[automatically_derived]
            impl #impl_params ::core::cmp::Eq for #input #args #total_eq_bounds {}
        });
    }
    if wanted("Hash") {
        out.extend(quote! {
            #[automatically_derived]
            impl #impl_params ::core::hash::Hash for #input #args #hash_bounds {
                fn hash<__LockstepH: ::core::hash::Hasher>(&self, state: &mut __LockstepH) {
                    match #scrutinee {
                        #(Self::#names_list(item) => {
                            ::core::hash::Hash::hash(&#indices, state);
                            ::core::hash::Hash::hash(item, state);
                        })*
                        #phantom_arm
                    }
                }
            }
        });
    }
    out.extend(serde_impls(names, &wanted));
    out
}

/// serde's `Serialize` and `Deserialize` for the input enum: an externally tagged enum, one
/// newtype variant per message, named after it. What a store needs to keep queued messages or
/// an `ExactlyOnce` machine's kept replies (`Input<Replies>`).
fn serde_impls(names: &Names<'_>, wanted: &dyn Fn(&str) -> bool) -> TokenStream {
    let model = names.model;
    let input = &names.input;
    let args = input_args(names);
    let bare: Vec<TokenStream> = model.generics.params.iter().map(strip_default).collect();
    let names_list: Vec<_> = model.messages.iter().map(|m| &m.name).collect();
    let names_str: Vec<String> = model.messages.iter().map(|m| m.name.to_string()).collect();
    let enum_name = input.to_string();
    let phantom_arm =
        has_phantom(names).then(|| quote!(Self::__Phantom(_, never) => match *never {},));
    let mut out = TokenStream::new();
    if wanted("Serialize") {
        let bounds = carrier_bounds(model, &quote!(::lockstep::__private::serde::Serialize));
        let indices = (0..model.messages.len()).map(|i| u32::try_from(i).unwrap_or(u32::MAX));
        out.extend(quote! {
            #[automatically_derived]
            impl<#(#bare,)* __LockstepC: ::lockstep::Carrier> ::lockstep::__private::serde::Serialize for #input #args #bounds {
                fn serialize<__LockstepS: ::lockstep::__private::serde::Serializer>(
                    &self,
                    serializer: __LockstepS,
                ) -> ::lockstep::__private::Result<__LockstepS::Ok, __LockstepS::Error> {
                    match self {
                        #(Self::#names_list(item) => serializer.serialize_newtype_variant(#enum_name, #indices, #names_str, item),)*
                        #phantom_arm
                    }
                }
            }
        });
    }
    if wanted("Deserialize") {
        let bounds = carrier_bounds(
            model,
            &quote!(::lockstep::__private::serde::Deserialize<'__lockstep_de>),
        );
        let indices = 0..model.messages.len();
        // No message: no arm reads anything (a lone catch-all arm would be a needless `match`).
        let body = if model.messages.is_empty() {
            quote! {
                let _ = variant;
                ::lockstep::__private::Err(::lockstep::__private::no_variant(index))
            }
        } else {
            quote! {
                match index {
                    #(#indices => variant.newtype_variant().map(Self::#names_list),)*
                    other => ::lockstep::__private::Err(::lockstep::__private::no_variant(other)),
                }
            }
        };
        out.extend(quote! {
            #[automatically_derived]
            impl<'__lockstep_de, #(#bare,)* __LockstepC: ::lockstep::Carrier> ::lockstep::__private::ReadVariant<'__lockstep_de> for #input #args #bounds {
                const NAME: &'static str = #enum_name;
                const VARIANTS: &'static [&'static str] = &[#(#names_str),*];

                fn read<__LockstepV: ::lockstep::__private::serde::de::VariantAccess<'__lockstep_de>>(
                    index: usize,
                    variant: __LockstepV,
                ) -> ::lockstep::__private::Result<Self, __LockstepV::Error> {
                    #body
                }
            }
            #[automatically_derived]
            impl<'__lockstep_de, #(#bare,)* __LockstepC: ::lockstep::Carrier> ::lockstep::__private::serde::Deserialize<'__lockstep_de> for #input #args #bounds {
                fn deserialize<__LockstepD: ::lockstep::__private::serde::Deserializer<'__lockstep_de>>(
                    deserializer: __LockstepD,
                ) -> ::lockstep::__private::Result<Self, __LockstepD::Error> {
                    ::lockstep::__private::deserialize_input(deserializer)
                }
            }
        });
    }
    out
}

/// `where` the machine's own predicates, and `C::Of<M>: Trait` for every message `M`.
fn carrier_bounds(model: &crate::model::Model, tr: &TokenStream) -> TokenStream {
    let preds = model.messages.iter().map(|m| {
        let ty = &m.ty;
        quote!(<__LockstepC as ::lockstep::Carrier>::Of<#ty>: #tr,)
    });
    let existing = model
        .generics
        .where_clause
        .iter()
        .flat_map(|w| w.predicates.iter());
    quote!(where #(#existing,)* #(#preds)*)
}

/// Whether the input enum has the hidden `__Phantom` variant (generics, or no message at all).
fn has_phantom(names: &Names<'_>) -> bool {
    names.phantom.is_some() || names.model.messages.is_empty()
}

fn strip_default(param: &syn::GenericParam) -> TokenStream {
    match param {
        syn::GenericParam::Type(t) => {
            let mut t = t.clone();
            t.eq_token = None;
            t.default = None;
            quote!(#t)
        }
        syn::GenericParam::Const(c) => {
            let mut c = c.clone();
            c.eq_token = None;
            c.default = None;
            quote!(#c)
        }
        syn::GenericParam::Lifetime(l) => quote!(#l),
    }
}

fn machine_impl(names: &Names<'_>) -> TokenStream {
    let model = names.model;
    let impl_generics = &names.impl_generics;
    let machine_ty = &names.machine_ty;
    let where_clause = &names.where_clause;
    let context = &names.context;
    let input = &names.input;
    let args = input_args(names);
    let name = model.ident.to_string();
    let initial = Names::state_id(model.initial);

    let tables = tables(model);
    // One arm per state and two per message: written as text and lexed once (see `super::lex`).
    let input_name = input.to_string();
    let mut state_arms = String::new();
    for (i, state) in model.states.iter().enumerate() {
        let any = if state.data.is_some() { "(..)" } else { "" };
        let _ = write!(
            state_arms,
            "Self::{}{any} => ::lockstep::StateId({i}),",
            state.name
        );
    }
    let state_body = names.body(&super::lex(&format!("match self {{ {state_arms} }}")));
    let mut route_arms = String::new();
    let mut id_arms = String::new();
    for (i, m) in model.messages.iter().enumerate() {
        let ty = &m.ty_text;
        let variant = &m.text;
        let _ = write!(
            route_arms,
            "{input_name}::{variant}(item) => ::lockstep::Visit::<Self, __LockstepC>::visit::<{ty}>(visitor, item),"
        );
        let _ = write!(
            id_arms,
            "{input_name}::{variant}(_) => ::lockstep::MessageId({i}),"
        );
    }
    if has_phantom(names) {
        let _ = write!(
            route_arms,
            "{input_name}::__Phantom(_, never) => match never {{}},"
        );
        let _ = write!(
            id_arms,
            "{input_name}::__Phantom(_, never) => match *never {{}},"
        );
    }
    let route_body = super::lex(&format!("match input {{ {route_arms} }}"));
    let lifecycle = lifecycle(names);
    let id_body = super::lex(&format!("match input {{ {id_arms} }}"));
    let input_ty = quote!(#input #args);

    quote! {
        #[automatically_derived]
        impl #impl_generics ::lockstep::Machine for #machine_ty #where_clause {
            type Context = #context;
            type Input<__LockstepC: ::lockstep::Carrier> = #input_ty;

            const NAME: &'static str = #name;
            #tables
            const INITIAL: ::lockstep::StateId = #initial;

            #[inline]
            fn state(&self) -> ::lockstep::StateId {
                #state_body
            }

            #[inline]
            fn route<__LockstepC: ::lockstep::Carrier, __LockstepV: ::lockstep::Visit<Self, __LockstepC>>(input: #input_ty, visitor: __LockstepV) -> __LockstepV::Output {
                #route_body
            }

            #[inline]
            fn input_message<__LockstepC: ::lockstep::Carrier>(input: &#input_ty) -> ::lockstep::MessageId {
                #id_body
            }

            #lifecycle
        }
    }
}

/// `timeout`, `timeout_input`, `start` and `leave`, only for machines that declare timeouts or
/// hooks, and what a superstate adds (`state_path`, `timeout_at`); the trait's defaults say "none"
/// and "one level".
fn lifecycle(names: &Names<'_>) -> TokenStream {
    let model = names.model;
    let mut out = String::new();
    let any = |state: &crate::model::State| if state.data.is_some() { "(..)" } else { "" };
    let has_timeout_message = model
        .messages
        .iter()
        .any(crate::model::MessageRef::is_timeout);
    if has_timeout_message {
        let input = &names.input;
        let _ = write!(
            out,
            "#[inline] fn timeout_input<__LockstepC: ::lockstep::Carrier>(item: ::lockstep::__private::Of<__LockstepC, ::lockstep::Timeout>) \
             -> ::lockstep::__private::Option<<Self as ::lockstep::Machine>::Input<__LockstepC>> {{ ::lockstep::__private::Some({input}::Timeout(item)) }} \
             #[inline] fn dispatch_timeout(self, context: &mut <Self as ::lockstep::Machine>::Context, timeout: ::lockstep::Timeout) \
             -> (Self, ::lockstep::Outcome<::lockstep::Timeout>) {{ <Self as ::lockstep::Accepts<::lockstep::Timeout>>::dispatch(self, context, timeout) }}"
        );
    }
    if model.nested {
        let mut paths = String::new();
        let mut timeouts = String::new();
        for (i, state) in model.states.iter().enumerate() {
            if state.substates.is_some() {
                let _ = write!(
                    paths,
                    "Self::{}(inner) => ::lockstep::StatePath::of(&<Self as ::lockstep::Machine>::STATES[{i}]).then(::lockstep::Machine::state_path(inner)),",
                    state.name
                );
                let _ = write!(
                    timeouts,
                    "Self::{}(inner) => ::lockstep::Machine::timeout_at(inner, level - 1),",
                    state.name
                );
            }
        }
        let _ = write!(
            out,
            "fn state_path(&self) -> ::lockstep::StatePath {{ #[allow(unreachable_patterns)] match self {{ {paths} \
             _ => ::lockstep::StatePath::of(&<Self as ::lockstep::Machine>::STATES[::lockstep::Machine::state(self).index()]) }} }} \
             fn timeout_at(&self, level: usize) -> ::lockstep::__private::Option<::lockstep::__private::Duration> {{ \
             if level == 0 {{ return ::lockstep::Machine::timeout(self); }} \
             #[allow(unreachable_patterns)] match self {{ {timeouts} _ => ::lockstep::__private::None }} }}"
        );
    }
    if model.states.iter().any(|s| s.timeout.is_some()) {
        let mut arms = String::new();
        for state in &model.states {
            if let Some((secs, nanos)) = state.timeout {
                let _ = write!(
                    arms,
                    "Self::{}{} => ::lockstep::__private::Some(::lockstep::__private::Duration::new({secs}, {nanos})),",
                    state.name,
                    any(state)
                );
            }
        }
        let _ = write!(
            out,
            "#[inline] fn timeout(&self) -> ::lockstep::__private::Option<::lockstep::__private::Duration> {{ \
             #[allow(unreachable_patterns)] match self {{ {arms} _ => ::lockstep::__private::None }} }}"
        );
    }
    // `start` enters the current state (outermost first), `leave` exits it (innermost first).
    for (when, method) in [("enter", "start"), ("exit", "leave")] {
        if !model
            .states
            .iter()
            .any(|s| s.has_hook(when) || s.substates.is_some())
        {
            continue;
        }
        let handlers = names.handlers_path.to_string();
        let mut arms = String::new();
        for state in &model.states {
            let call = super::dispatch::hook_call(&handlers, state, when, "*state");
            if !call.is_empty() {
                let bind = if state.data.is_some() { "(state)" } else { "" };
                let _ = write!(arms, "Self::{}{bind} => {{ {call}}}", state.name);
            }
        }
        let _ = write!(
            out,
            "#[inline] fn {method}(&mut self, context: &mut <Self as ::lockstep::Machine>::Context) {{ \
             #[allow(unreachable_patterns)] match self {{ {arms} _ => {{}} }} }}"
        );
    }
    let body = super::lex(&out);
    if names.stub {
        // The arms name handler methods and variants that may not exist in a broken spec.
        return TokenStream::new();
    }
    body
}

/// `STATES`, `MESSAGES` and `CELL_TABLE`: the matrix as data, for drivers, errors, docs and coverage.
/// A superstate's entry points at its substate machine's own tables.
fn tables(model: &crate::model::Model) -> TokenStream {
    // Text, lexed once: one entry per state and per declared cell (see `super::lex`). String
    // literals are written with `{:?}`, which escapes them as Rust source.
    let mut out = String::from("const STATES: &'static [::lockstep::StateInfo] = &[");
    for (index, s) in model.states.iter().enumerate() {
        let doc = s
            .docs
            .iter()
            .map(|l| l.trim())
            .find(|l| !l.is_empty())
            .unwrap_or("");
        let _ = write!(
            out,
            "::lockstep::StateInfo {{ name: {:?}, doc: {doc:?}, is_terminal: {}, accepted: &[",
            s.name,
            s.terminal.is_some()
        );
        for c in model.cells_of_state(index) {
            // What a sender could have sent instead: not the state's own timeout.
            if matches!(c.action, Action::Move(_) | Action::Stay)
                && !model.messages[c.message].is_timeout()
            {
                let _ = write!(out, "{:?},", model.messages[c.message].text);
            }
        }
        out.push_str("], substates: ");
        match (&s.substates, &s.data_text) {
            (Some(_), Some(inner)) => {
                let _ = write!(
                    out,
                    "::lockstep::__private::Some(&::lockstep::MachineInfo::of::<{inner}>())"
                );
            }
            _ => out.push_str("::lockstep::__private::None"),
        }
        out.push_str(" },");
    }
    out.push_str("]; const MESSAGES: &'static [&'static str] = &[");
    for m in &model.messages {
        let _ = write!(out, "{:?},", m.text);
    }
    // Cells as one byte string (format in `Machine::CELL_TABLE`'s docs): a single token.
    out.push_str("]; const CELL_TABLE: &'static [u8] = b\"");
    let mut byte = |b: u8| {
        let _ = write!(out, "\\x{b:02x}");
    };
    let wide = |i: usize| u16::try_from(i).unwrap_or(u16::MAX).to_le_bytes();
    for c in &model.cells {
        let (kind, targets): (u8, &[usize]) = match &c.action {
            Action::Move(t) => (0, t),
            Action::Stay => (1, &[]),
            Action::Discard => (2, &[]),
            Action::Defer => (3, &[]),
        };
        for b in wide(c.state).into_iter().chain(wide(c.message)) {
            byte(b);
        }
        byte(kind);
        byte(u8::try_from(targets.len()).unwrap_or(u8::MAX));
        for &t in targets {
            for b in wide(t) {
                byte(b);
            }
        }
    }
    out.push_str("\";");

    super::lex(&out)
}
