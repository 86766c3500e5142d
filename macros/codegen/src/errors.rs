//! Accumulates every error of one derive so the user sees all of them in one build.

use proc_macro2::TokenStream;

#[derive(Default)]
pub(crate) struct Errors {
    list: Vec<syn::Error>,
}

impl Errors {
    pub(crate) fn push(&mut self, error: syn::Error) {
        self.list.push(error);
    }

    pub(crate) fn at(&mut self, span: proc_macro2::Span, message: impl std::fmt::Display) {
        self.push(syn::Error::new(span, message));
    }

    pub(crate) fn spanned(
        &mut self,
        tokens: impl quote::ToTokens,
        message: impl std::fmt::Display,
    ) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    pub(crate) fn any(&self) -> bool {
        !self.list.is_empty()
    }

    #[cfg(test)]
    pub(crate) fn messages(&self) -> Vec<String> {
        self.list
            .iter()
            .flat_map(|e| e.clone().into_iter().map(|e| e.to_string()))
            .collect()
    }

    pub(crate) fn into_compile_errors(self) -> TokenStream {
        self.list
            .into_iter()
            .map(|e| e.to_compile_error())
            .collect()
    }
}
