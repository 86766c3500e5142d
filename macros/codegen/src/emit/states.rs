//! The enums of multi-target cells (`GateClosedOnCoin`), which can only be built for the states the
//! cell declares, and, with `#[machine(typestate)]`, one struct per state (`TurnstileLocked`,
//! `TurnstileUnlocked(Paid)`): the typestate values.

use proc_macro2::TokenStream;
use quote::quote;

use super::Names;
use crate::model::Action;

pub(super) fn emit(names: &Names<'_>) -> TokenStream {
    let model = names.model;
    let mut out = TokenStream::new();
    if model.typestate {
        for index in 0..model.states.len() {
            out.extend(state_struct(names, index));
        }
    }
    for cell in &model.cells {
        if let Action::Move(targets) = &cell.action
            && targets.len() > 1
        {
            out.extend(cell_enum(names, cell.state, cell.message, targets));
        }
    }
    out
}

fn state_struct(names: &Names<'_>, index: usize) -> TokenStream {
    let model = names.model;
    let state = &model.states[index];
    let vis = &model.vis;
    let name = names.state_struct(index);
    let decl = &names.decl_generics;
    let impl_generics = &names.impl_generics;
    let args = &names.ty_args;
    let where_clause = &names.where_clause;
    let machine = &model.ident;
    let machine_ty = &names.machine_ty;
    let variant = &state.ident;
    // Only generated with `#[machine(typestate)]`.
    let mut doc = format!(
        "[`{machine}`] in state `{variant}`, as a type: only the messages `{variant}` handles \
         compile on its `send`.\n"
    );
    for line in &state.docs {
        doc.push('\n');
        doc.push_str(line.strip_prefix(' ').unwrap_or(line));
    }
    let struct_def = match (&state.data, &names.phantom) {
        (None, None) => quote!(#vis struct #name;),
        (Some(ty), None) => quote!(#vis struct #name(pub #ty);),
        (Some(ty), Some(phantom)) => {
            quote!(#vis struct #name #decl (pub #ty, pub #phantom) #where_clause;)
        }
        (None, Some(phantom)) => quote!(#vis struct #name #decl (pub #phantom) #where_clause;),
    };
    let data = quote!(data);
    let into_variant = names.variant_value(index, &data);
    let pattern = names.state_pattern(index, &data);
    let from_variant = names.state_value(index, &data);
    let machine_pattern = if state.data.is_some() {
        quote!(#machine::#variant(data))
    } else {
        quote!(#machine::#variant)
    };
    let catch_all = if model.states.len() > 1 {
        quote!(other => ::lockstep::__private::Err(other),)
    } else {
        TokenStream::new()
    };
    let from_body = names.body(&quote! {
        let #pattern = state;
        #into_variant
    });
    let try_from_body = names.body(&quote! {
        match machine {
            #machine_pattern => ::lockstep::__private::Ok(#from_variant),
            #catch_all
        }
    });
    let derives = derives(names);
    // Moving between the typed and the dynamic machine only matters with the typestate API; the
    // dispatch destructures state structs itself.
    let conversions = model.typestate.then(|| {
        quote! {
            #[automatically_derived]
            impl #impl_generics ::core::convert::From<#name #args> for #machine_ty #where_clause {
                #[inline]
                fn from(state: #name #args) -> Self {
                    #from_body
                }
            }

            #[automatically_derived]
            impl #impl_generics ::core::convert::TryFrom<#machine_ty> for #name #args #where_clause {
                type Error = #machine_ty;
                #[inline]
                fn try_from(machine: #machine_ty) -> ::lockstep::__private::Result<Self, #machine_ty> {
                    #try_from_body
                }
            }
        }
    });
    quote! {
        #[doc = #doc]
        #derives
        #struct_def

        #conversions
    }
}

fn cell_enum(names: &Names<'_>, state: usize, message: usize, targets: &[usize]) -> TokenStream {
    let model = names.model;
    let vis = &model.vis;
    let name = names.cell_enum(state, message);
    let decl = &names.decl_generics;
    let where_clause = &names.where_clause;
    let variants = targets.iter().map(|&t| {
        let variant = &model.states[t].ident;
        if let Some(ty) = &model.states[t].data {
            quote!(#variant(#ty))
        } else {
            quote!(#variant)
        }
    });
    // A generic machine's parameters may appear in no target's data.
    let phantom = names
        .phantom
        .as_ref()
        .map(|phantom| quote!(#[doc(hidden)] __Phantom(#phantom, ::core::convert::Infallible),));
    let target_list: Vec<String> = targets
        .iter()
        .map(|&t| format!("`{}`", model.states[t].ident))
        .collect();
    let doc = format!(
        "Where `{}` goes on [`{}`]({}): one of {}, the targets its cell declares, each with that \
         state's data.",
        model.states[state].ident,
        model.messages[message].name,
        model.messages[message].link,
        target_list.join(", ")
    );
    let derives = derives(names);
    quote! {
        #[doc = #doc]
        #derives
        #vis enum #name #decl #where_clause {
            #(#[allow(missing_docs)] #variants,)*
            #phantom
        }
    }
}

/// `#[derive(..)]` from `#[machine(derive(..))]`, for the generated state structs and cell enums.
fn derives(names: &Names<'_>) -> TokenStream {
    let derives = &names.model.derives;
    if derives.is_empty() {
        TokenStream::new()
    } else {
        quote!(#[derive(#(#derives),*)])
    }
}
