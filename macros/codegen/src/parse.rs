//! Tokens → spec: the attributes exactly as the user wrote them, with their spans. Nothing is
//! resolved here (targets are still names); that is the model's job.

use proc_macro2::{Span, TokenStream};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Attribute, Data, DeriveInput, Fields, Generics, Ident, Token, Type, Visibility};

use crate::errors::Errors;
use crate::names::{did_you_mean, plain};

/// The keys of `#[machine(..)]`.
pub const MACHINE_KEYS: &[&str] = &["context", "exhaustive", "typestate", "derive"];
/// The keys of `#[message(..)]`.
pub const MESSAGE_KEYS: &[&str] = &["reply"];
/// The attributes a state (a variant) carries.
const STATE_ATTRIBUTES: &[&str] = &[
    "initial", "terminal", "enter", "exit", "on", "discard", "defer", "timeout",
];

/// `#[on(..)]` or `#[initial]`: an attribute as the user would recognise it in a message.
fn written(attr: &Attribute, name: &str) -> String {
    if matches!(attr.meta, syn::Meta::Path(_)) {
        format!("`#[{name}]`")
    } else {
        format!("`#[{name}(..)]`")
    }
}

/// The name of a lockstep state attribute, if `attr` is one.
fn state_attribute(attr: &Attribute) -> Option<String> {
    let ident = attr.path().get_ident()?.to_string();
    STATE_ATTRIBUTES.contains(&ident.as_str()).then_some(ident)
}

/// A machine as written.
pub struct MachineSpec {
    pub vis: Visibility,
    pub ident: Ident,
    pub generics: Generics,
    pub context: Option<Type>,
    pub exhaustive: Option<Span>,
    /// `derive(Debug, Clone, ..)`: derives for the generated state structs and cell enums; of these,
    /// `Debug`, `Clone`, `PartialEq`, `Eq` and `Hash` are also implemented for the input enum.
    pub derives: Vec<syn::Path>,
    /// `typestate`: generate the typestate API (`Transition` impls, `send` on state structs).
    pub typestate: Option<Span>,
    pub states: Vec<StateSpec>,
}

/// One variant as written.
pub struct StateSpec {
    pub ident: Ident,
    pub docs: Vec<String>,
    pub data: Option<Type>,
    pub initial: Option<Span>,
    pub terminal: Option<Span>,
    /// `#[enter]` / `#[exit]`: the state has hooks the context implements.
    pub enter: Option<Span>,
    pub exit: Option<Span>,
    /// `#[timeout(30s => Target)]`: the duration (its cell is in `cells`, on `lockstep::Timeout`).
    pub timeout: Option<TimeoutSpec>,
    pub cells: Vec<CellSpec>,
    /// `#[substates(A, B)]`: the state's data is a machine of its own, which gets these messages
    /// first.
    pub substates: Option<SubstatesSpec>,
    /// A cell attribute of this state could not be read in full (already reported): rules over the
    /// whole graph (reachability, `exhaustive`) would report follow-on errors, so they are skipped.
    pub incomplete: bool,
}

/// `#[substates(Hello, Bye)]` as written.
pub struct SubstatesSpec {
    /// The attribute's path: errors about the list as a whole point here.
    pub keyword: Ident,
    pub messages: Vec<syn::TypePath>,
}

/// A state timeout's duration, as written.
#[derive(Clone)]
pub struct TimeoutSpec {
    pub secs: u64,
    pub nanos: u32,
    /// As written (`1.5s`), for docs and diagrams.
    pub text: String,
}

/// One cell as written: `on(M => A | B)`, `on(M)`, `discard(M)`, `defer(M)`.
pub struct CellSpec {
    pub message: syn::TypePath,
    pub action: ActionSpec,
    /// The attribute's name (`on`, `discard`, `defer`), for errors that point at the whole cell.
    pub keyword: Ident,
}

/// What a cell does, as written.
pub enum ActionSpec {
    Move(Vec<Ident>),
    Stay,
    Discard,
    Defer,
}

impl ActionSpec {
    pub fn describe(&self) -> &'static str {
        match self {
            Self::Move(_) => "`on(.. => ..)`",
            Self::Stay => "`on(..)`",
            Self::Discard => "`discard`",
            Self::Defer => "`defer`",
        }
    }
}

/// A message as written.
pub struct MessageSpec {
    pub ident: Ident,
    pub generics: Generics,
    pub reply: Option<Type>,
}

/// Parses the enum. `None` only when there is nothing to generate for (not an enum, or unparsable);
/// smaller mistakes are reported and parsing goes on.
pub fn machine(input: TokenStream, errors: &mut Errors) -> Option<MachineSpec> {
    let input: DeriveInput = match syn::parse2(input.clone()) {
        Ok(input) => input,
        Err(error) => {
            // `#[final]` does not parse (`final` is a reserved word): say what to write instead,
            // and read it as `#[terminal]` so the rest of the spec is still checked.
            let mut finals = Vec::new();
            let rescued = rename_final(input, &mut finals);
            match syn::parse2(rescued) {
                Ok(input) if !finals.is_empty() => {
                    for span in finals {
                        errors.at(
                            span,
                            "`final` is a reserved word in Rust, so lockstep calls a state that \
                             accepts nothing `terminal`: write `#[terminal]`",
                        );
                    }
                    input
                }
                _ => {
                    errors.push(error);
                    return None;
                }
            }
        }
    };
    let Data::Enum(data) = &input.data else {
        let keyword = match &input.data {
            Data::Struct(s) => s.struct_token.span,
            Data::Union(u) => u.union_token.span,
            Data::Enum(e) => e.enum_token.span,
        };
        errors.at(
            keyword,
            "`#[derive(Machine)]` works on an enum whose variants are the states: \
             `enum Door { #[initial] #[on(Open => Opened)] Closed, Opened }`",
        );
        return None;
    };

    let mut spec = MachineSpec {
        vis: input.vis.clone(),
        ident: plain(&input.ident),
        generics: input.generics.clone(),
        context: None,
        exhaustive: None,
        derives: Vec::new(),
        typestate: None,
        states: Vec::new(),
    };
    for attr in &input.attrs {
        if attr.path().is_ident("machine") {
            machine_options(attr, &mut spec, errors);
        } else if let Some(name) = state_attribute(attr) {
            // Derive helper attributes are allowed anywhere in the item, so rustc says nothing:
            // without this the attribute would be silently ignored.
            errors.spanned(
                attr,
                format!(
                    "{} belongs on a state (a variant of `{}`), not on the enum: move it onto \
                     the variant it is about",
                    written(attr, &name),
                    spec.ident
                ),
            );
        }
    }
    if data.variants.is_empty() {
        errors.at(
            input.ident.span(),
            format!(
                "the machine `{}` has no states: add at least one variant, marked `#[initial]`",
                input.ident
            ),
        );
    }
    for variant in &data.variants {
        spec.states.push(state(variant, errors));
    }
    Some(spec)
}

/// Replaces the `final` of every `#[final]` with `terminal`, recording where.
fn rename_final(input: TokenStream, found: &mut Vec<Span>) -> TokenStream {
    use proc_macro2::{Delimiter, Group, TokenTree};
    let mut out = Vec::new();
    let mut after_pound = false;
    for tree in input {
        let tree = match tree {
            TokenTree::Group(group) => {
                let mut inner = group.stream();
                if after_pound && group.delimiter() == Delimiter::Bracket {
                    let mut trees: Vec<TokenTree> = inner.into_iter().collect();
                    if let [TokenTree::Ident(ident)] = trees.as_mut_slice()
                        && ident == "final"
                    {
                        found.push(ident.span());
                        *ident = Ident::new("terminal", ident.span());
                    }
                    inner = trees.into_iter().collect();
                } else {
                    inner = rename_final(inner, found);
                }
                let mut renamed = Group::new(group.delimiter(), inner);
                renamed.set_span(group.span());
                TokenTree::Group(renamed)
            }
            other => other,
        };
        after_pound = matches!(&tree, TokenTree::Punct(p) if p.as_char() == '#');
        out.push(tree);
    }
    out.into_iter().collect()
}

fn machine_options(attr: &Attribute, spec: &mut MachineSpec, errors: &mut Errors) {
    let result = attr.parse_nested_meta(|meta| {
        if meta.path.is_ident("context") {
            if !meta.input.peek(Token![=]) {
                errors.spanned(
                    &meta.path,
                    "`context` names the type that implements the handlers: \
                     `#[machine(context = Type)]`",
                );
                return skip_value(meta.input);
            }
            let value: Type = meta.value()?.parse()?;
            if spec.context.is_some() {
                errors.spanned(&meta.path, "`context` is set twice: keep one");
            }
            spec.context = Some(value);
        } else if meta.path.is_ident("exhaustive") {
            if !meta.input.is_empty() && !meta.input.peek(Token![,]) {
                errors.spanned(
                    &meta.path,
                    "`exhaustive` takes no value: write `#[machine(exhaustive)]` to require every \
                     cell to be decided, or leave it out",
                );
                return skip_value(meta.input);
            }
            if spec.exhaustive.is_some() {
                errors.spanned(&meta.path, "`exhaustive` is set twice: keep one");
            }
            spec.exhaustive = Some(meta.path.span());
        } else if meta.path.is_ident("typestate") {
            if !meta.input.is_empty() && !meta.input.peek(Token![,]) {
                errors.spanned(
                    &meta.path,
                    "`typestate` takes no value: write `#[machine(typestate)]` to generate the \
                     typestate API, or leave it out",
                );
                return skip_value(meta.input);
            }
            if spec.typestate.is_some() {
                errors.spanned(&meta.path, "`typestate` is set twice: keep one");
            }
            spec.typestate = Some(meta.path.span());
        } else if meta.path.is_ident("derive") {
            meta.parse_nested_meta(|inner| {
                spec.derives.push(inner.path);
                Ok(())
            })?;
        } else {
            let name = path_name(&meta.path);
            errors.spanned(
                &meta.path,
                format!(
                    "unknown key `{name}` in `#[machine(..)]`: the keys are `context = Type`, \
                     `exhaustive`, `typestate` and `derive(Traits)`{}",
                    did_you_mean(&name, MACHINE_KEYS.iter().copied())
                ),
            );
            // Skip its value, if any, so the keys after it are still read.
            skip_value(meta.input)?;
        }
        Ok(())
    });
    if let Err(error) = result {
        errors.push(error);
    }
}

/// Skips what follows a key (`= value`, `(..)`) up to the next `,`, so the keys after a mistaken
/// one are still read. A value that is a type may hold commas (`Map<K, V>`), so a type is tried
/// first.
fn skip_value(input: ParseStream<'_>) -> syn::Result<()> {
    if input.peek(Token![=]) {
        let fork = input.fork();
        let _: Token![=] = fork.parse()?;
        if fork.parse::<Type>().is_ok() && (fork.is_empty() || fork.peek(Token![,])) {
            let _: Token![=] = input.parse()?;
            let _: Type = input.parse()?;
            return Ok(());
        }
    }
    input.step(|cursor| {
        let mut rest = *cursor;
        while let Some((tree, next)) = rest.token_tree() {
            if matches!(&tree, proc_macro2::TokenTree::Punct(p) if p.as_char() == ',') {
                break;
            }
            rest = next;
        }
        Ok(((), rest))
    })
}

fn path_name(path: &syn::Path) -> String {
    path.segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}

/// The state's data type: a unit variant has none, a one-field tuple variant has its field's;
/// any other shape is reported (and read as no data).
fn state_data(variant: &syn::Variant, errors: &mut Errors) -> Option<Type> {
    match &variant.fields {
        Fields::Unit => None,
        Fields::Unnamed(fields) if fields.unnamed.len() == 1 => Some(fields.unnamed[0].ty.clone()),
        fields => {
            let name = &variant.ident;
            let fix = match fields {
                Fields::Named(_) => {
                    format!("move the named fields into a struct: `{name}({name}Data)`")
                }
                Fields::Unnamed(f) if f.unnamed.is_empty() => {
                    format!("write `{name}` for a state without data")
                }
                _ => format!("put several fields in a struct: `{name}({name}Data)`"),
            };
            errors.spanned(
                fields,
                format!(
                    "a state is a unit variant (`{name}`) or a tuple variant with one field holding \
                     the state's data (`{name}(Data)`); {fix}"
                ),
            );
            None
        }
    }
}

fn state(variant: &syn::Variant, errors: &mut Errors) -> StateSpec {
    let data = state_data(variant, errors);
    // Its data's shape was reported: `#[substates(..)]` on it need not say so again.
    let shape_reported = data.is_none() && !matches!(variant.fields, Fields::Unit);
    if let Some((_, discriminant)) = &variant.discriminant {
        errors.spanned(
            discriminant,
            "states have no explicit discriminants: lockstep numbers them in declaration order",
        );
    }
    let mut state = StateSpec {
        ident: plain(&variant.ident),
        docs: Vec::new(),
        data,
        initial: None,
        terminal: None,
        enter: None,
        exit: None,
        timeout: None,
        cells: Vec::new(),
        substates: None,
        incomplete: false,
    };
    // A state attribute on the state's data field is reported, then read as the state's own, so
    // the rest of the spec is checked as the user meant it.
    misplaced_on_fields(variant, &state.ident, errors);
    let field_attrs = variant.fields.iter().flat_map(|field| &field.attrs);
    let field_state_attrs = field_attrs.filter(|attr| state_attribute(attr).is_some());
    for attr in variant.attrs.iter().chain(field_state_attrs) {
        let Some(name) = attr.path().get_ident().map(Ident::to_string) else {
            continue;
        };
        match name.as_str() {
            "machine" => errors.spanned(
                attr,
                format!(
                    "`#[machine(..)]` belongs on the enum, not on the state `{}`: move it above \
                     `enum`",
                    state.ident
                ),
            ),
            "doc" => {
                if let syn::Meta::NameValue(nv) = &attr.meta
                    && let syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s),
                        ..
                    }) = &nv.value
                {
                    state.docs.push(s.value());
                }
            }
            "initial" | "terminal" | "enter" | "exit" => {
                if let Err(error) = attr.meta.require_path_only() {
                    errors.push(syn::Error::new(
                        error.span(),
                        format!("`#[{name}]` takes no arguments"),
                    ));
                }
                let slot = match name.as_str() {
                    "initial" => &mut state.initial,
                    "terminal" => &mut state.terminal,
                    "enter" => &mut state.enter,
                    _ => &mut state.exit,
                };
                if slot.is_some() {
                    errors.spanned(attr, format!("`#[{name}]` is written twice on this state"));
                }
                *slot = Some(attr.path().span());
            }
            "on" | "discard" | "defer" => cells(attr, &name, &mut state, errors),
            "timeout" => timeout(attr, &mut state, errors),
            "substates" => substates(attr, &mut state, shape_reported, errors),
            // `ignore` is a built-in attribute (tests), so lockstep cannot use it; the user meant
            // `discard`. Read it as one so the rest of the spec is checked as intended.
            "ignore" if matches!(attr.meta, syn::Meta::List(_)) => {
                errors.spanned(
                    attr.path(),
                    "`ignore` is Rust's attribute for skipping tests, so lockstep calls dropping a \
                     message on purpose `discard`: write `#[discard(..)]`",
                );
                cells(attr, "discard", &mut state, errors);
            }
            _ => {}
        }
    }
    state
}

/// Reports lockstep attributes written on a state's data field instead of the state.
fn misplaced_on_fields(variant: &syn::Variant, state: &Ident, errors: &mut Errors) {
    for attr in variant.fields.iter().flat_map(|field| &field.attrs) {
        if let Some(name) = state_attribute(attr) {
            errors.spanned(
                attr,
                format!(
                    "{} belongs on the state `{state}`, not on its data: write it above the variant",
                    written(attr, &name),
                ),
            );
        } else if attr.path().is_ident("machine") {
            errors.spanned(
                attr,
                "`#[machine(..)]` belongs on the enum, not on a state's data",
            );
        }
    }
}

/// One cell attribute, `#[on(..)]`, `#[discard(..)]` or `#[defer(..)]` (`kind`), with one cell per
/// message it lists. Whatever cannot be read is reported and marks the state incomplete.
fn cells(attr: &Attribute, kind: &str, state: &mut StateSpec, errors: &mut Errors) {
    let keyword = attr
        .path()
        .get_ident()
        .cloned()
        .unwrap_or_else(|| Ident::new(kind, attr.path().span()));
    if !matches!(attr.meta, syn::Meta::List(_)) {
        let form = if kind == "on" {
            "`#[on(Message => Target)]` to move, `#[on(Message)]` to stay"
        } else {
            &format!("`#[{kind}(Message)]`")
        };
        errors.spanned(
            attr,
            format!("`#[{keyword}]` lists its messages in parentheses: {form}"),
        );
        state.incomplete = true;
        return;
    }
    let parsed = attr.parse_args_with(|input: ParseStream<'_>| {
        Punctuated::<CellArgs, Token![,]>::parse_terminated(input)
    });
    match parsed {
        Ok(list) if list.is_empty() => {
            let form = if kind == "on" {
                "`#[on(Message => Target)]` to move, `#[on(Message)]` to stay"
            } else {
                &format!("`#[{kind}(Message)]`")
            };
            errors.spanned(
                attr,
                format!("`#[{keyword}(..)]` names at least one message type: {form}"),
            );
        }
        Ok(list) => {
            for args in list {
                if let Some(cell) = cell(&keyword, kind, args, &mut state.incomplete, errors) {
                    state.cells.push(cell);
                }
            }
        }
        Err(error) => {
            errors.push(error);
            state.incomplete = true;
        }
    }
}

/// `#[substates(Hello, Bye)]`: the messages the superstate offers its substate machine (its data)
/// first. A derive cannot read the substate machine's spec, so they are listed here; the generated
/// code checks the list against that machine in both directions.
fn substates(attr: &Attribute, state: &mut StateSpec, shape_reported: bool, errors: &mut Errors) {
    let keyword = attr
        .path()
        .get_ident()
        .cloned()
        .unwrap_or_else(|| Ident::new("substates", attr.path().span()));
    let name = &state.ident;
    if state.substates.is_some() {
        errors.spanned(
            attr,
            "`#[substates(..)]` is written twice on this state: merge the lists",
        );
        return;
    }
    if state.data.is_none() {
        if !shape_reported {
            errors.spanned(
                attr,
                format!(
                    "`#[substates(..)]` goes on a state whose data is the substate machine, a \
                     `#[derive(Machine)]` enum: `{name}(Inner)`"
                ),
            );
        }
        state.incomplete = true;
        return;
    }
    let parsed = match &attr.meta {
        syn::Meta::List(_) => attr.parse_args_with(|input: ParseStream<'_>| {
            Punctuated::<syn::TypePath, Token![,]>::parse_terminated(input)
        }),
        _ => Err(syn::Error::new_spanned(
            attr,
            "`#[substates(..)]` lists the substate machine's messages the superstate forwards: \
             `#[substates(Hello, Bye)]`",
        )),
    };
    let list = match parsed {
        Ok(list) => list,
        Err(error) => {
            errors.push(error);
            state.incomplete = true;
            return;
        }
    };
    let mut messages = Vec::new();
    let mut history = false;
    for mut ty in list {
        if ty.qself.is_none() && ty.path.is_ident("history") {
            history = true;
            errors.spanned(
                &ty,
                format!(
                    "lockstep keeps a superstate's history in data, not with an option: the \
                     handler that moves into `{name}` returns the substate machine, so return the \
                     one you kept (e.g. in the data of the state you left `{name}` for) to resume \
                     where it was, or a new one to start afresh"
                ),
            );
            continue;
        }
        // As in a cell: `Self`, `self`, `super` and `crate` name no message, and `r#Hello` is
        // `Hello` (found by `tests/never_panics.rs`: a raw name here was another message).
        if let Some(last) = ty.path.segments.last()
            && ["Self", "self", "super", "crate"]
                .iter()
                .any(|k| last.ident == k)
        {
            errors.spanned(
                &ty,
                format!(
                    "`{}` names no message type: list the substate machine's messages by their \
                     type paths: `#[substates(Hello, Bye)]`",
                    last.ident
                ),
            );
            state.incomplete = true;
            continue;
        }
        for segment in &mut ty.path.segments {
            segment.ident = plain(&segment.ident);
        }
        messages.push(ty);
    }
    if messages.is_empty() && !history {
        errors.spanned(
            attr,
            "`#[substates(..)]` lists at least one message of the substate machine: \
             `#[substates(Hello, Bye)]`",
        );
        // What the superstate forwards is unknown: no cell of it counts as undecided.
        state.incomplete = true;
    }
    state.substates = Some(SubstatesSpec { keyword, messages });
}

/// `#[timeout(30s => Target)]` (move, or `A | B`) or `#[timeout(30s)]` (stay): one cell on
/// `lockstep::Timeout`, spanned on the duration, plus the duration the actor arms on entering.
fn timeout(attr: &Attribute, state: &mut StateSpec, errors: &mut Errors) {
    const FORM: &str = "`#[timeout(30s => Target)]` to move when the state lasts that long, \
                        `#[timeout(30s)]` to run a handler and stay";
    let keyword = attr
        .path()
        .get_ident()
        .cloned()
        .unwrap_or_else(|| Ident::new("timeout", attr.path().span()));
    let parsed = attr.parse_args_with(|input: ParseStream<'_>| {
        let lit: syn::Lit = input.parse()?;
        let targets = if !input.is_empty() && !input.peek(Token![=>]) {
            return Err(input.error(format!(
                "expected `=>` and the target state after the duration: write {FORM}"
            )));
        } else if input.peek(Token![=>]) {
            let arrow: Token![=>] = input.parse()?;
            if input.is_empty() {
                return Err(syn::Error::new_spanned(
                    arrow,
                    format!("`=>` is followed by the state to move to: {FORM}"),
                ));
            }
            Some(
                Punctuated::<syn::Path, Token![|]>::parse_separated_nonempty_with(
                    input,
                    syn::Path::parse_mod_style,
                )?,
            )
        } else {
            None
        };
        Ok((lit, targets))
    });
    let (lit, targets) = match parsed {
        Ok(parsed) => parsed,
        Err(error) => {
            let mut error = error;
            if !matches!(attr.meta, syn::Meta::List(_)) {
                error = syn::Error::new_spanned(attr, format!("write {FORM}"));
            }
            errors.push(error);
            state.incomplete = true;
            return;
        }
    };
    let span = lit.span();
    if state.timeout.is_some() {
        // One error for the one mistake: the second timeout is not read as a cell either.
        errors.spanned(
            attr,
            "a state has one timeout: `#[timeout(..)]` is written twice on this state",
        );
        return;
    }
    let (secs, nanos) = duration(&lit).unwrap_or_else(|message| {
        errors.at(span, message);
        // The cell is kept (with a placeholder duration), so the user's timeout handler still
        // has its trait method: one error, not a second wave.
        (1, 0)
    });
    state.timeout = Some(TimeoutSpec {
        secs,
        nanos,
        text: quote::ToTokens::to_token_stream(&lit).to_string(),
    });
    let message: syn::TypePath = syn::parse_quote_spanned!(span=> ::lockstep::Timeout);
    let action = match targets {
        Some(targets) => Move(targets.iter().map(|path| target(path, errors)).collect()),
        None => ActionSpec::Stay,
    };
    state.cells.push(CellSpec {
        message,
        action,
        keyword,
    });
}

/// `500ms`, `30s`, `1.5s`, `5min`, `2h` as (seconds, nanoseconds).
fn duration(lit: &syn::Lit) -> Result<(u64, u32), String> {
    const UNITS: &str = "write a number with its unit: `500ms`, `30s`, `1.5s`, `5min` or `2h`";
    let (digits, suffix) = match lit {
        syn::Lit::Int(int) => (int.base10_digits().to_owned(), int.suffix().to_owned()),
        syn::Lit::Float(float) => (float.base10_digits().to_owned(), float.suffix().to_owned()),
        _ => return Err(format!("a timeout is a duration: {UNITS}")),
    };
    let nanos_per_unit: u128 = match suffix.as_str() {
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "min" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        "" => return Err(format!("`{digits}` has no unit: {UNITS}")),
        other => return Err(format!("unknown unit `{other}`: {UNITS}")),
    };
    if digits.contains(['e', 'E']) {
        return Err(format!(
            "`{digits}{suffix}`: write the duration without an exponent, in a smaller unit if \
             need be (`150s`, `250ms`)"
        ));
    }
    let (whole, fraction) = digits.split_once('.').unwrap_or((&digits, ""));
    let whole: u128 = whole
        .parse()
        .map_err(|_| format!("`{digits}{suffix}` is too long a timeout"))?;
    let mut nanos = whole.checked_mul(nanos_per_unit);
    // The fraction, digit by digit, exact to the nanosecond.
    let mut scale = nanos_per_unit;
    for digit in fraction.bytes().filter(u8::is_ascii_digit) {
        if scale < 10 {
            if digit != b'0' {
                return Err(format!(
                    "`{digits}{suffix}` is finer than a nanosecond, the finest a timeout keeps"
                ));
            }
            continue;
        }
        scale /= 10;
        nanos = nanos.and_then(|n| n.checked_add(u128::from(digit - b'0') * scale));
    }
    let nanos = nanos.ok_or_else(|| format!("`{digits}{suffix}` is too long a timeout"))?;
    if nanos == 0 {
        return Err("a timeout of zero would fire at once: give the state some time".into());
    }
    let secs = u64::try_from(nanos / 1_000_000_000)
        .map_err(|_| format!("`{digits}{suffix}` is too long a timeout"))?;
    // `nanos % 1e9` is below 1e9, so it fits.
    let sub = u32::try_from(nanos % 1_000_000_000).unwrap_or(0);
    Ok((secs, sub))
}

/// `Message` or `Message => A | B`.
struct CellArgs {
    message: Type,
    /// `=>` (or a mistaken `->`, reported later) and the targets.
    targets: Option<(TokenStream, Punctuated<syn::Path, Token![|]>)>,
    /// `->` written for `=>`.
    thin_arrow: bool,
}

impl Parse for CellArgs {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let message: Type = input.parse()?;
        let (arrow, thin_arrow) = if input.peek(Token![=>]) {
            let arrow: Token![=>] = input.parse()?;
            (Some(quote::ToTokens::into_token_stream(arrow)), false)
        } else if input.peek(Token![->]) {
            let arrow: Token![->] = input.parse()?;
            (Some(quote::ToTokens::into_token_stream(arrow)), true)
        } else {
            (None, false)
        };
        let targets = match arrow {
            Some(arrow) => {
                if input.is_empty() || input.peek(Token![,]) {
                    return Err(syn::Error::new_spanned(
                        arrow,
                        format!(
                            "`=>` is followed by the state to move to: `{0} => State` or \
                             `{0} => A | B`; write `#[on({0})]` to stay",
                            quote::ToTokens::to_token_stream(&message)
                                .to_string()
                                .replace(' ', "")
                        ),
                    ));
                }
                let targets =
                    Punctuated::parse_separated_nonempty_with(input, syn::Path::parse_mod_style)?;
                Some((arrow, targets))
            }
            None => None,
        };
        Ok(Self {
            message,
            targets,
            thin_arrow,
        })
    }
}

fn cell(
    keyword: &Ident,
    kind: &str,
    args: CellArgs,
    incomplete: &mut bool,
    errors: &mut Errors,
) -> Option<CellSpec> {
    let message = match args.message {
        // `Self` (the machine, inside its own derive), `self`, `super` and `crate` are paths but
        // no message: their name would become an `Input` variant that is a keyword.
        Type::Path(path)
            if path.path.segments.last().is_some_and(|s| {
                ["Self", "self", "super", "crate"]
                    .iter()
                    .any(|k| s.ident == k)
            }) =>
        {
            let last = path.path.segments.last().map(|s| s.ident.to_string());
            errors.spanned(
                &path,
                format!(
                    "`{}` names no message type: a message is named by its type path (`Coin`, \
                     `crate::msg::Coin`, `Data<T>`)",
                    last.unwrap_or_default()
                ),
            );
            *incomplete = true;
            return None;
        }
        Type::Path(mut path) if path.qself.is_none() => {
            // `r#Coin` is `Coin`: one message, however its path is spelled.
            for segment in &mut path.path.segments {
                segment.ident = plain(&segment.ident);
            }
            path
        }
        other => {
            errors.spanned(
                &other,
                "a message is named by its type path (`Coin`, `crate::msg::Coin`, `Data<T>`)",
            );
            *incomplete = true;
            return None;
        }
    };
    let written = quote::ToTokens::to_token_stream(&message)
        .to_string()
        .replace(' ', "");
    if let (true, Some((arrow, _))) = (args.thin_arrow, &args.targets) {
        errors.spanned(
            arrow,
            format!("a cell moves with `=>`, not `->`: write `#[{keyword}({written} => ..)]`"),
        );
    }
    let action = match (kind, args.targets) {
        ("on", Some((_, targets))) => {
            Move(targets.iter().map(|path| target(path, errors)).collect())
        }
        ("on", None) => ActionSpec::Stay,
        (_, Some((arrow, _))) => {
            errors.spanned(
                arrow,
                format!(
                    "`{kind}` keeps the state, so it takes no target: write `#[{kind}({written})]`, \
                     or `#[on({written} => Target)]` to move",
                ),
            );
            // Read as written without the target; the target may have been meant as a move, so
            // reachability is not judged.
            *incomplete = true;
            if kind == "discard" {
                ActionSpec::Discard
            } else {
                ActionSpec::Defer
            }
        }
        ("discard", None) => ActionSpec::Discard,
        (_, None) => ActionSpec::Defer,
    };
    Some(CellSpec {
        message,
        action,
        keyword: keyword.clone(),
    })
}

/// A target is a variant's name alone; `Machine::State` or `Self::State` is reported and read as
/// `State`.
fn target(path: &syn::Path, errors: &mut Errors) -> Ident {
    if let Some(ident) = path.get_ident() {
        return plain(ident);
    }
    // `parse_mod_style` never yields an empty path.
    let last = path.segments.last().map_or_else(
        || Ident::new("__lockstep_missing", path.span()),
        |s| plain(&s.ident),
    );
    errors.spanned(
        path,
        format!("a target is the state's variant name alone, without a path: write `{last}`"),
    );
    last
}

use ActionSpec::Move;

/// Parses a `#[derive(Message)]` item.
pub fn message(input: TokenStream, errors: &mut Errors) -> Option<MessageSpec> {
    let input: DeriveInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(error) => {
            errors.push(error);
            return None;
        }
    };
    if let Data::Union(u) = &input.data {
        errors.at(
            u.union_token.span,
            "`#[derive(Message)]` works on structs and enums",
        );
        return None;
    }
    let mut reply: Option<Type> = None;
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("message")) {
        let result = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("reply") {
                if !meta.input.peek(Token![=]) {
                    errors.spanned(
                        &meta.path,
                        "`reply` names the type of the reply: `#[message(reply = Type)]`",
                    );
                    return skip_value(meta.input);
                }
                let ty: Type = meta.value()?.parse()?;
                if reply.is_some() {
                    errors.spanned(&meta.path, "`reply` is set twice: keep one");
                }
                reply = Some(ty);
            } else {
                let name = path_name(&meta.path);
                errors.spanned(
                    &meta.path,
                    format!(
                        "unknown key `{name}` in `#[message(..)]`: the only key is `reply = Type`{}",
                        did_you_mean(&name, MESSAGE_KEYS.iter().copied())
                    ),
                );
                skip_value(meta.input)?;
            }
            Ok(())
        });
        if let Err(error) = result {
            errors.push(error);
        }
    }
    // `reply = ()` is the same as no reply.
    let reply = reply.filter(|ty| !matches!(ty, Type::Tuple(t) if t.elems.is_empty()));
    Some(MessageSpec {
        ident: input.ident,
        generics: input.generics,
        reply,
    })
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::{ActionSpec, MachineSpec};
    use crate::errors::Errors;

    /// The spec (if any) and every error message.
    fn parse(input: proc_macro2::TokenStream) -> (Option<MachineSpec>, Vec<String>) {
        let mut errors = Errors::default();
        let spec = super::machine(input, &mut errors);
        (spec, errors.messages())
    }

    fn message_errors(input: proc_macro2::TokenStream) -> Vec<String> {
        let mut errors = Errors::default();
        let _ = super::message(input, &mut errors);
        errors.messages()
    }

    #[test]
    fn only_enums_are_machines() {
        let (spec, errors) = parse(quote!(
            struct Door {
                open: bool,
            }
        ));
        assert!(spec.is_none());
        assert_eq!(errors.len(), 1);
        assert!(errors[0].starts_with("`#[derive(Machine)]` works on an enum"));
    }

    #[test]
    fn unknown_machine_key_suggests_and_reads_the_keys_after_it() {
        let (spec, errors) = parse(quote!(
            #[machine(contxt = std::collections::HashMap<u8, u8>, exhaustive)]
            enum Door {
                #[initial]
                Closed,
            }
        ));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains("unknown key `contxt`"), "{errors:?}");
        assert!(errors[0].ends_with("did you mean `context`?"), "{errors:?}");
        assert!(
            spec.unwrap().exhaustive.is_some(),
            "`exhaustive` after the typo is read"
        );
    }

    #[test]
    fn machine_keys_with_a_wrong_form() {
        let (_, errors) = parse(quote!(
            #[machine(context, exhaustive = true)]
            enum Door {
                #[initial]
                Closed,
            }
        ));
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(
            errors[0].contains("`#[machine(context = Type)]`"),
            "{errors:?}"
        );
        assert!(
            errors[1].starts_with("`exhaustive` takes no value"),
            "{errors:?}"
        );
    }

    #[test]
    fn malformed_variants_are_reported_and_kept_as_states() {
        let (spec, errors) = parse(quote!(
            enum Door {
                #[initial]
                Closed = 1,
                Opened {
                    by: u8,
                },
                Locked(u8, u8),
            }
        ));
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors[0].starts_with("states have no explicit discriminants"));
        assert!(errors[1].starts_with("a state is a unit variant (`Opened`)"));
        assert!(errors[2].contains("`Locked(LockedData)`"));
        // Kept, so the checker and the emitter see every variant of the enum.
        assert_eq!(spec.unwrap().states.len(), 3);
    }

    #[test]
    fn final_is_read_as_terminal_with_an_error() {
        let (spec, errors) = parse(quote!(
            enum Job {
                #[initial]
                Pending,
                #[final]
                Done,
            }
        ));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains("write `#[terminal]`"), "{errors:?}");
        assert!(spec.unwrap().states[1].terminal.is_some());
    }

    #[test]
    fn ignore_is_read_as_discard_with_an_error() {
        let (spec, errors) = parse(quote!(
            enum Door {
                #[initial]
                #[ignore(Knock)]
                Closed,
            }
        ));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains("write `#[discard(..)]`"), "{errors:?}");
        let spec = spec.unwrap();
        assert!(matches!(
            spec.states[0].cells[0].action,
            ActionSpec::Discard
        ));
    }

    #[test]
    fn a_target_on_discard_or_defer_is_reported_and_the_cell_kept() {
        let (spec, errors) = parse(quote!(
            enum Door {
                #[initial]
                #[discard(Knock => Opened)]
                #[defer(Open => Opened)]
                Closed,
                Opened,
            }
        ));
        assert_eq!(
            errors,
            [
                "`discard` keeps the state, so it takes no target: write `#[discard(Knock)]`, or \
                 `#[on(Knock => Target)]` to move",
                "`defer` keeps the state, so it takes no target: write `#[defer(Open)]`, or \
                 `#[on(Open => Target)]` to move",
            ]
        );
        let spec = spec.unwrap();
        let cells = &spec.states[0].cells;
        assert!(matches!(cells[0].action, ActionSpec::Discard));
        assert!(matches!(cells[1].action, ActionSpec::Defer));
        assert!(
            spec.states[0].incomplete,
            "a target was named: reachability is not judged"
        );
    }

    #[test]
    fn cell_arrows_and_targets() {
        let (spec, errors) = parse(quote!(
            enum Door {
                #[initial]
                #[on(Open -> Opened)]
                #[on(Lock => Self::Locked)]
                #[on(Knock =>)]
                Closed,
                Opened,
                Locked,
            }
        ));
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert_eq!(
            errors[0],
            "a cell moves with `=>`, not `->`: write `#[on(Open => ..)]`"
        );
        assert_eq!(
            errors[1],
            "a target is the state's variant name alone, without a path: write `Locked`"
        );
        assert!(errors[2].starts_with("`=>` is followed by the state to move to"));
        let spec = spec.unwrap();
        let state = &spec.states[0];
        // `->` and `Self::Locked` are read as meant; `Knock =>` is left out.
        assert_eq!(state.cells.len(), 2);
        match &state.cells[1].action {
            ActionSpec::Move(targets) => assert_eq!(targets[0], "Locked"),
            _ => panic!("expected a move"),
        }
        assert!(state.incomplete);
    }

    #[test]
    fn cell_attributes_need_a_parenthesized_message_list() {
        let (_, errors) = parse(quote!(
            enum Door {
                #[initial]
                #[on]
                #[defer()]
                #[on(&Knock)]
                Closed,
            }
        ));
        assert_eq!(
            errors,
            [
                "`#[on]` lists its messages in parentheses: `#[on(Message => Target)]` to move, \
                 `#[on(Message)]` to stay",
                "`#[defer(..)]` names at least one message type: `#[defer(Message)]`",
                "a message is named by its type path (`Coin`, `crate::msg::Coin`, `Data<T>`)",
            ]
        );
    }

    #[test]
    fn initial_and_terminal_take_no_arguments_and_are_written_once() {
        let (_, errors) = parse(quote!(
            enum Door {
                #[initial(yes)]
                #[initial]
                Closed,
            }
        ));
        assert_eq!(
            errors,
            [
                "`#[initial]` takes no arguments",
                "`#[initial]` is written twice on this state"
            ]
        );
    }

    #[test]
    fn state_attributes_in_the_wrong_place_are_reported() {
        // Found by the property test (`tests/never_panics.rs`): rustc accepts a derive's helper
        // attributes anywhere in the item, so these were silently ignored.
        let (spec, errors) = parse(quote!(
            #[initial]
            #[on(Open => Opened)]
            enum Door {
                #[machine(exhaustive)]
                Closed(#[initial] Key),
                Opened,
            }
        ));
        assert_eq!(
            errors,
            [
                "`#[initial]` belongs on a state (a variant of `Door`), not on the enum: move it \
                 onto the variant it is about",
                "`#[on(..)]` belongs on a state (a variant of `Door`), not on the enum: move it \
                 onto the variant it is about",
                "`#[initial]` belongs on the state `Closed`, not on its data: write it above the \
                 variant",
                "`#[machine(..)]` belongs on the enum, not on the state `Closed`: move it above \
                 `enum`",
            ]
        );
        let spec = spec.unwrap();
        assert!(spec.exhaustive.is_none());
        assert!(
            spec.states[0].initial.is_some(),
            "the field's `#[initial]` is read as the state's"
        );
    }

    #[test]
    fn a_keyword_path_is_no_message() {
        // Found by the property test: `#[on(Self)]` became an `Input` variant named `Self`, which
        // does not parse, with no error from the derive.
        let (_, errors) = parse(quote!(
            enum Door {
                #[initial]
                #[on(Self)]
                #[discard(super::super)]
                Closed,
            }
        ));
        assert_eq!(
            errors,
            [
                "`Self` names no message type: a message is named by its type path (`Coin`, \
                 `crate::msg::Coin`, `Data<T>`)",
                "`super` names no message type: a message is named by its type path (`Coin`, \
                 `crate::msg::Coin`, `Data<T>`)",
            ]
        );
    }

    #[test]
    fn non_ascii_names_make_handler_names() {
        // `İ` lowercases to two chars (`i` and a combining dot); the handler name must still be an
        // identifier.
        let out = crate::expand_machine(quote!(
            enum Tür {
                #[initial]
                #[on(Öffnen => İdle)]
                #[enter]
                Zu,
                #[on(Öffnen)]
                İdle,
            }
        ))
        .to_string();
        assert!(!out.contains("compile_error"), "{out}");
        assert!(out.contains("fn zu_on_öffnen"), "{out}");
    }

    #[test]
    fn raw_identifiers_are_the_plain_names() {
        // Found by the property test: `r#Idle` made the handler name `r#idle_on_tick`, and
        // `Ident::new` panicked on it.
        let (spec, errors) = parse(quote!(
            enum r#Door {
                #[initial]
                #[on(r#Open => r#Opened)]
                r#Closed,
                #[timeout(1s => Closed)]
                r#Opened,
            }
        ));
        assert!(errors.is_empty(), "{errors:?}");
        let spec = spec.unwrap();
        assert_eq!(spec.ident, "Door");
        assert_eq!(spec.states[0].ident, "Closed");
        assert_eq!(
            spec.states[0].cells[0].message.path.segments[0].ident,
            "Open"
        );
        let out = crate::expand_machine(quote!(
            enum Door {
                #[initial]
                #[on(Tick => r#match)]
                #[timeout(1s)]
                r#Idle,
                #[on(Tick => Idle)]
                r#match,
            }
        ))
        .to_string();
        assert!(!out.contains("compile_error"), "{out}");
        assert!(out.contains("fn idle_on_tick"), "{out}");
        assert!(out.contains("fn idle_on_timeout"), "{out}");
        assert!(
            out.contains("fn match_on_tick"),
            "a keyword state keeps `r#` but not in method names"
        );
    }

    #[test]
    fn message_attribute_mistakes() {
        assert_eq!(
            message_errors(quote!(
                #[message(reply = u32, reply = u64)]
                struct Refund;
            )),
            ["`reply` is set twice: keep one"]
        );
        assert_eq!(
            message_errors(quote!(
                #[message(repli = u32)]
                struct Refund;
            )),
            [
                "unknown key `repli` in `#[message(..)]`: the only key is `reply = Type`; did you mean `reply`?"
            ]
        );
        assert_eq!(
            message_errors(quote!(
                #[message(reply)]
                struct Refund;
            )),
            ["`reply` names the type of the reply: `#[message(reply = Type)]`"]
        );
        assert_eq!(
            message_errors(quote!(
                union Refund { a: u32 }
            )),
            ["`#[derive(Message)]` works on structs and enums"]
        );
    }
}
