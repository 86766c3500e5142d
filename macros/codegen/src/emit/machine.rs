//! The `Machine` impl (the static description every driver, doc and checker reads) and the
//! `Input` enum that carries any of the machine's messages through one queue.

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
        (None, true) => Some(quote!(::lockstep::__private::PhantomData<fn() -> __LockstepC>)),
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

/// `Debug`, `Clone`, `PartialEq`, `Eq` and `Hash` for the input enum, each bounded on what the
/// carrier keeps, so `Input<Bare>` has them exactly when every message does.
fn input_impls(names: &Names<'_>) -> TokenStream {
    let model = names.model;
    let input = &names.input;
    let args = input_args(names);
    let impl_params = {
        let bare = model.generics.params.iter().map(strip_default);
        quote!(<#(#bare,)* __LockstepC: ::lockstep::Carrier>)
    };
    let phantom_arm =
        has_phantom(names).then(|| quote!(Self::__Phantom(_, never) => match *never {},));
    let bounds = |tr: TokenStream| {
        let preds = model.messages.iter().map(move |m| {
            let ty = &m.ty;
            let tr = tr.clone();
            quote!(<__LockstepC as ::lockstep::Carrier>::Of<#ty>: #tr,)
        });
        let existing = model
            .generics
            .where_clause
            .as_ref()
            .map(|w| {
                let p = w.predicates.iter();
                quote!(#(#p,)*)
            })
            .unwrap_or_default();
        quote!(where #existing #(#preds)*)
    };
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
    let wanted = |name: &str| model.derives.iter().any(|p| p.is_ident(name));
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
    out
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
    let state_arms = (0..model.states.len()).map(|i| {
        let pattern = names.variant_any(i);
        let id = Names::state_id(i);
        quote!(#pattern => #id,)
    });
    let state_body = names.body(&quote!(match self { #(#state_arms)* }));
    let route_arms = model.messages.iter().map(|m| {
        let (variant, ty) = (&m.name, &m.ty);
        quote!(#input::#variant(item) => ::lockstep::Visit::<Self, __LockstepC>::visit::<#ty>(visitor, item),)
    });
    let id_arms = model.messages.iter().enumerate().map(|(i, m)| {
        let variant = &m.name;
        let i = u16::try_from(i).unwrap_or(u16::MAX);
        quote!(#input::#variant(_) => ::lockstep::MessageId(#i),)
    });
    let phantom_route =
        has_phantom(names).then(|| quote!(#input::__Phantom(_, never) => match never {},));
    let phantom_id =
        has_phantom(names).then(|| quote!(#input::__Phantom(_, never) => match *never {},));
    let route_body = quote!(match input { #(#route_arms)* #phantom_route });
    let id_body = quote!(match input { #(#id_arms)* #phantom_id });
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
        }
    }
}

/// `STATES`, `MESSAGES` and `CELLS`: the matrix as data, for drivers, errors, docs and coverage.
fn tables(model: &crate::model::Model) -> TokenStream {
    let states = model.states.iter().enumerate().map(|(index, s)| {
        let name = s.ident.to_string();
        let doc = s
            .docs
            .iter()
            .map(|l| l.trim())
            .find(|l| !l.is_empty())
            .unwrap_or("")
            .to_owned();
        let terminal = s.terminal.is_some();
        let accepted = model
            .cells_of_state(index)
            .filter(|c| matches!(c.action, Action::Move(_) | Action::Stay))
            .map(|c| model.messages[c.message].name.to_string());
        quote! {
            ::lockstep::StateInfo { name: #name, doc: #doc, is_terminal: #terminal, accepted: &[#(#accepted),*] }
        }
    });
    let messages = model.messages.iter().map(|m| m.name.to_string());
    // Compact constructors under a short alias: the table has one entry per declared cell.
    let lit = |i: usize| proc_macro2::Literal::u16_unsuffixed(u16::try_from(i).unwrap_or(u16::MAX));
    let cells = model.cells.iter().map(|c| {
        let (state, message) = (lit(c.state), lit(c.message));
        let (kind, targets) = match &c.action {
            Action::Move(t) => (quote!(Move), t.clone()),
            Action::Stay => (quote!(Stay), Vec::new()),
            Action::Discard => (quote!(Discard), Vec::new()),
            Action::Defer => (quote!(Defer), Vec::new()),
        };
        let targets = targets.into_iter().map(lit);
        quote!(l::cell(#state, #message, K::#kind, &[#(S(#targets)),*]))
    });
    quote! {
        const STATES: &'static [::lockstep::StateInfo] = &[#(#states),*];
        const MESSAGES: &'static [&'static str] = &[#(#messages),*];
        const CELLS: &'static [::lockstep::Cell] = {
            use ::lockstep::{CellKind as K, StateId as S, __private as l};
            &[#(#cells),*]
        };
    }
}
