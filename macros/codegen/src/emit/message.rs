//! `#[derive(Message)]`: the reply type, and how a handler returns data with the reply.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

use crate::parse::MessageSpec;

pub(crate) fn message(spec: &MessageSpec) -> TokenStream {
    let ident = &spec.ident;
    let name = ident.to_string();
    let (impl_generics, ty_generics, where_clause) = spec.generics.split_for_impl();
    let body = match &spec.reply {
        None => quote! {
            type Reply = ();
            type WithReply<__LockstepT> = __LockstepT;
            #[inline]
            fn split_reply<__LockstepT>(with: __LockstepT) -> (__LockstepT, ()) {
                (with, ())
            }
            #[inline]
            fn join_reply<__LockstepT>(value: __LockstepT, reply: ()) -> __LockstepT {
                let () = reply;
                value
            }
            #[inline]
            fn __provided_reply<__LockstepH: ?::core::marker::Sized>() {}
        },
        Some(reply) => {
            let panic = format!(
                "`{name}` replies with `{}`, so every handler of a cell that takes it must be \
                 written: there is no default reply. Implement the handler methods whose message is \
                 `{name}` (their docs say \"Provided\")",
                quote!(#reply).to_string().replace(' ', "")
            );
            let span = syn::spanned::Spanned::span(reply);
            let fail = quote_spanned! {span=>
                struct __LockstepNoDefault<__LockstepH: ?::core::marker::Sized>(
                    ::lockstep::__private::PhantomData<fn(&__LockstepH)>,
                );
                impl<__LockstepH: ?::core::marker::Sized> __LockstepNoDefault<__LockstepH> {
                    const FAIL: () = ::core::panic!(#panic);
                }
                #[allow(clippy::let_unit_value)]
                let () = __LockstepNoDefault::<__LockstepH>::FAIL;
            };
            quote! {
                type Reply = #reply;
                type WithReply<__LockstepT> = (__LockstepT, #reply);
                #[inline]
                fn split_reply<__LockstepT>(with: (__LockstepT, #reply)) -> (__LockstepT, #reply) {
                    with
                }
                #[inline]
                fn join_reply<__LockstepT>(value: __LockstepT, reply: #reply) -> (__LockstepT, #reply) {
                    (value, reply)
                }
                #[allow(clippy::empty_loop)]
                fn __provided_reply<__LockstepH: ?::core::marker::Sized>() -> #reply {
                    #fail
                    // Never reached: `FAIL` fails the build wherever this is instantiated.
                    loop {}
                }
            }
        }
    };
    quote! {
        #[automatically_derived]
        impl #impl_generics ::lockstep::Message for #ident #ty_generics #where_clause {
            const NAME: &'static str = #name;
            #body
        }
    }
}
