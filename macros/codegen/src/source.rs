//! Users' own snapshots: find every `#[derive(Machine)]` / `#[derive(Message)]` item in a piece of
//! Rust source and return the formatted expansion, for `insta::assert_snapshot!`.

use std::fmt::Write as _;

use proc_macro2::TokenStream;
use quote::ToTokens;

/// The source could not be parsed as Rust.
#[derive(Debug)]
pub struct SourceError(syn::Error);

impl std::fmt::Display for SourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "not valid Rust source: {}", self.0)
    }
}

impl std::error::Error for SourceError {}

/// Expands every `#[derive(Machine)]` and `#[derive(Message)]` in `source` (a file's text) and
/// returns the generated code, formatted with prettyplease, each expansion under a comment naming
/// its item. Items inside inline modules and function bodies are found too.
///
/// ```
/// let code = lockstep_codegen::expand_source(r#"
///     #[derive(Machine)]
///     enum Door { #[initial] #[on(Open => Opened)] Closed, Opened }
/// "#)?;
/// assert!(code.contains("impl ::lockstep::Accepts<Open> for Door"));
/// # Ok::<(), lockstep_codegen::SourceError>(())
/// ```
///
/// # Errors
/// [`SourceError`] if `source` is not valid Rust.
pub fn expand_source(source: &str) -> Result<String, SourceError> {
    let file = syn::parse_file(source).map_err(SourceError)?;
    let mut found = Vec::new();
    collect(&file.items, &mut found);
    let mut out = String::new();
    for (name, tokens) in found {
        let _ = writeln!(out, "// ---- expansion of {name} ----");
        out.push_str(&pretty(&tokens));
        out.push('\n');
    }
    Ok(out)
}

/// Formats generated tokens with prettyplease; unparsable output (which would be a bug) is returned
/// as raw tokens so it can still be read.
#[must_use]
pub fn pretty(tokens: &TokenStream) -> String {
    match syn::parse2::<syn::File>(tokens.clone()) {
        Ok(file) => prettyplease::unparse(&file),
        Err(_) => tokens.to_string(),
    }
}

fn derives(attrs: &[syn::Attribute], name: &str) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("derive")
            && attr
                .parse_args_with(
                    syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
                )
                .is_ok_and(|paths| {
                    paths
                        .iter()
                        .any(|p| p.segments.last().is_some_and(|s| s.ident == name))
                })
    })
}

fn collect(items: &[syn::Item], found: &mut Vec<(String, TokenStream)>) {
    for item in items {
        match item {
            syn::Item::Enum(e) => {
                if derives(&e.attrs, "Machine") {
                    found.push((
                        format!("Machine for {}", e.ident),
                        crate::expand_machine(e.to_token_stream()),
                    ));
                }
                if derives(&e.attrs, "Message") {
                    found.push((
                        format!("Message for {}", e.ident),
                        crate::expand_message(e.to_token_stream()),
                    ));
                }
            }
            syn::Item::Struct(s) if derives(&s.attrs, "Message") => found.push((
                format!("Message for {}", s.ident),
                crate::expand_message(s.to_token_stream()),
            )),
            syn::Item::Mod(m) => {
                if let Some((_, items)) = &m.content {
                    collect(items, found);
                }
            }
            syn::Item::Fn(f) => {
                let items: Vec<syn::Item> = f
                    .block
                    .stmts
                    .iter()
                    .filter_map(|s| match s {
                        syn::Stmt::Item(i) => Some(i.clone()),
                        _ => None,
                    })
                    .collect();
                collect(&items, found);
            }
            _ => {}
        }
    }
}
