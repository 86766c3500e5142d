//! Spec → model: the resolved state × message matrix. Targets become state indices, messages are
//! numbered in order of first mention, and every cell is keyed by (state, message), so a duplicate or
//! conflicting cell, an unknown target, or two messages that would get the same handler name are
//! found here. Invalid cells are reported and left out, so the emitter can still produce stubs.

use std::collections::HashMap;

use proc_macro2::Span;
use quote::ToTokens;
use syn::{Generics, Ident, Type, TypePath, Visibility};

use crate::errors::Errors;
use crate::names::{did_you_mean, snake};
use crate::parse::{ActionSpec, MachineSpec};

pub(crate) struct Model {
    pub vis: Visibility,
    pub ident: Ident,
    pub generics: Generics,
    /// `()` when the spec names none.
    pub context: Type,
    pub exhaustive: Option<Span>,
    pub derives: Vec<syn::Path>,
    pub states: Vec<State>,
    pub messages: Vec<MessageRef>,
    pub cells: Vec<Cell>,
    /// The `#[initial]` state; the first state when the spec has zero or several (already reported).
    pub initial: usize,
}

pub(crate) struct State {
    pub ident: Ident,
    pub docs: Vec<String>,
    pub data: Option<Type>,
    pub initial: Option<Span>,
    pub terminal: Option<Span>,
    pub snake: String,
}

pub(crate) struct MessageRef {
    pub ty: TypePath,
    /// The last path segment, e.g. `Coin`: the `Input` variant and the handler-name part.
    pub name: Ident,
    /// The path without generic arguments, for intra-doc links.
    pub link: String,
    pub snake: String,
}

pub(crate) struct Cell {
    pub state: usize,
    pub message: usize,
    pub action: Action,
    /// The attribute keyword (`on`, `discard`, `defer`): errors on the cell point here.
    pub keyword: Ident,
    /// The message tokens as written in this cell: type errors of the cell point here.
    pub message_span: Span,
}

pub(crate) enum Action {
    /// Target state indices, in declared order, at least one.
    Move(Vec<usize>),
    Stay,
    Discard,
    Defer,
}

impl Model {
    pub fn build(spec: &MachineSpec, errors: &mut Errors) -> Self {
        let states: Vec<State> = spec
            .states
            .iter()
            .map(|s| State {
                ident: s.ident.clone(),
                docs: s.docs.clone(),
                data: s.data.clone(),
                initial: s.initial,
                terminal: s.terminal,
                snake: snake(&s.ident.to_string()),
            })
            .collect();
        let by_name: HashMap<String, usize> = states
            .iter()
            .enumerate()
            .map(|(i, s)| (s.ident.to_string(), i))
            .collect();

        let mut model = Model {
            vis: spec.vis.clone(),
            ident: spec.ident.clone(),
            generics: spec.generics.clone(),
            context: spec
                .context
                .clone()
                .unwrap_or_else(|| syn::parse_quote!(())),
            exhaustive: spec.exhaustive,
            derives: spec.derives.clone(),
            initial: states.iter().position(|s| s.initial.is_some()).unwrap_or(0),
            states,
            messages: Vec::new(),
            cells: Vec::new(),
        };

        // Key → (message index). Messages are the same when written with the same tokens.
        let mut message_keys: HashMap<String, usize> = HashMap::new();
        // Handler-name part → message index, to catch `a::Coin` next to `b::Coin`.
        let mut message_names: HashMap<String, usize> = HashMap::new();
        // (state, message) → cell index.
        let mut cell_keys: HashMap<(usize, usize), usize> = HashMap::new();

        for (state_index, state) in spec.states.iter().enumerate() {
            for cell in &state.cells {
                let key = cell.message.to_token_stream().to_string();
                let message = if let Some(&m) = message_keys.get(&key) {
                    m
                } else {
                    let Some(last) = cell.message.path.segments.last() else {
                        continue;
                    };
                    let name = last.ident.clone();
                    if let Some(&other) = message_names.get(&name.to_string()) {
                        let other = &model.messages[other].ty;
                        errors.spanned(
                            &cell.message,
                            format!(
                                "`{}` and `{}` are both named `{name}`: lockstep names handlers and \
                                 `Input` variants after the message's type name, so write each message \
                                 with the same path everywhere, and give different messages different names",
                                key.replace(' ', ""),
                                other.to_token_stream().to_string().replace(' ', "")
                            ),
                        );
                        continue;
                    }
                    let link = cell
                        .message
                        .path
                        .segments
                        .iter()
                        .map(|s| s.ident.to_string())
                        .collect::<Vec<_>>()
                        .join("::");
                    let link = if cell.message.path.leading_colon.is_some() {
                        format!("::{link}")
                    } else {
                        link
                    };
                    let index = model.messages.len();
                    model.messages.push(MessageRef {
                        ty: cell.message.clone(),
                        snake: snake(&name.to_string()),
                        name,
                        link,
                    });
                    message_keys.insert(key, index);
                    message_names.insert(model.messages[index].name.to_string(), index);
                    index
                };

                let action = match &cell.action {
                    ActionSpec::Move(targets) => {
                        let mut resolved = Vec::with_capacity(targets.len());
                        let mut ok = true;
                        for target in targets {
                            match by_name.get(&target.to_string()) {
                                Some(&t) if resolved.contains(&t) => {
                                    errors.spanned(
                                        target,
                                        format!("`{target}` is listed twice in this cell's targets"),
                                    );
                                    ok = false;
                                }
                                Some(&t) => resolved.push(t),
                                None => {
                                    errors.spanned(
                                        target,
                                        format!(
                                            "unknown target state `{target}`: `{}` has no variant \
                                             named so{}",
                                            model.ident,
                                            did_you_mean(
                                                &target.to_string(),
                                                model.states.iter().map(|s| s.ident.to_string()).collect::<Vec<_>>().iter().map(String::as_str)
                                            )
                                        ),
                                    );
                                    ok = false;
                                }
                            }
                        }
                        if !ok {
                            continue;
                        }
                        Action::Move(resolved)
                    }
                    ActionSpec::Stay => Action::Stay,
                    ActionSpec::Discard => Action::Discard,
                    ActionSpec::Defer => Action::Defer,
                };

                if let Some(&first) = cell_keys.get(&(state_index, message)) {
                    let first = &model.cells[first];
                    let name = &model.messages[message].name;
                    let what = if std::mem::discriminant(&first.action)
                        == std::mem::discriminant(&action)
                    {
                        format!(
                            "the cell (`{}`, `{name}`) is declared twice: keep one",
                            state.ident
                        )
                    } else {
                        format!(
                            "`{}` declares `{name}` both as {} and as {}: a state does one thing \
                             with a message; keep one",
                            state.ident,
                            describe(&first.action),
                            cell.action.describe()
                        )
                    };
                    let mut error = syn::Error::new_spanned(&cell.message, what);
                    error.combine(syn::Error::new(first.message_span, "first declared here"));
                    errors.push(error);
                    continue;
                }
                cell_keys.insert((state_index, message), model.cells.len());
                model.cells.push(Cell {
                    state: state_index,
                    message,
                    action,
                    keyword: cell.keyword.clone(),
                    message_span: syn::spanned::Spanned::span(&cell.message),
                });
            }
        }
        model
    }

    /// The cell of (state, message), if declared.
    pub fn cell(&self, state: usize, message: usize) -> Option<&Cell> {
        self.cells
            .iter()
            .find(|c| c.state == state && c.message == message)
    }

    /// The declared cells of one message, in state order.
    pub fn cells_of_message(&self, message: usize) -> impl Iterator<Item = &Cell> {
        self.cells.iter().filter(move |c| c.message == message)
    }

    /// The declared cells of one state, in declaration order.
    pub fn cells_of_state(&self, state: usize) -> impl Iterator<Item = &Cell> {
        self.cells.iter().filter(move |c| c.state == state)
    }

    /// The name of the handler method of a cell: `{state}_on_{message}`.
    pub fn handler_name(&self, cell: &Cell) -> Ident {
        Ident::new(
            &format!(
                "{}_on_{}",
                self.states[cell.state].snake, self.messages[cell.message].snake
            ),
            self.messages[cell.message].name.span(),
        )
    }

    /// Whether the cell runs a handler the user writes (`on`), as opposed to discard/defer.
    pub fn has_handler(cell: &Cell) -> bool {
        matches!(cell.action, Action::Move(_) | Action::Stay)
    }
}

fn describe(action: &Action) -> &'static str {
    match action {
        Action::Move(_) => "`on(.. => ..)`",
        Action::Stay => "`on(..)`",
        Action::Discard => "`discard`",
        Action::Defer => "`defer`",
    }
}
