//! Spec → model: the resolved state × message matrix. Targets become state indices, messages are
//! numbered in order of first mention, and every cell is keyed by (state, message), so a duplicate or
//! conflicting cell, an unknown target, or two messages that would get the same handler name are
//! found here. Invalid cells are reported and left out, so the emitter can still produce stubs.

use std::collections::HashMap;

use proc_macro2::Span;
use quote::ToTokens;
use syn::{Generics, Ident, Type, TypePath, Visibility};

use crate::errors::Errors;
use crate::names::{closest, snake_ident};
use crate::parse::{ActionSpec, MachineSpec};

pub(crate) struct Model {
    pub vis: Visibility,
    pub ident: Ident,
    pub generics: Generics,
    /// `()` when the spec names none.
    pub context: Type,
    pub exhaustive: Option<Span>,
    pub derives: Vec<syn::Path>,
    /// Generate the typestate API (`#[machine(typestate)]`).
    pub typestate: bool,
    pub states: Vec<State>,
    pub messages: Vec<MessageRef>,
    pub cells: Vec<Cell>,
    /// The `#[initial]` state; the first state when the spec has zero or several (already reported).
    pub initial: usize,
    /// Some cell was left out or read with a guess (already reported): the graph may lack moves the
    /// user meant, so reachability and `exhaustive` are not judged (they would report follow-ons).
    pub incomplete: bool,
    /// Some state is a superstate: the machine takes `lockstep::Timeout` to reach the timers of
    /// its substate machines, whatever its own states declare.
    pub nested: bool,
    /// (state × messages + message) → index into `cells`, `u32::MAX` where undeclared: the docs
    /// table asks for every one of S × M cells.
    lookup: Vec<u32>,
}

pub(crate) struct State {
    pub ident: Ident,
    pub docs: Vec<String>,
    pub data: Option<Type>,
    pub initial: Option<Span>,
    pub terminal: Option<Span>,
    /// `#[enter]` / `#[exit]` hooks.
    pub enter: bool,
    pub exit: bool,
    /// `#[timeout(..)]`: (seconds, nanoseconds).
    pub timeout: Option<(u64, u32)>,
    /// The timeout as written (`30s`).
    pub timeout_text: Option<String>,
    /// The variant's name as text (asking an `Ident` for it crosses the proc-macro bridge).
    pub name: String,
    /// The data type as text.
    pub data_text: Option<String>,
    pub snake: String,
    /// `#[substates(..)]`: the data is a machine of its own, offered these messages first.
    pub substates: Option<Substates>,
}

pub(crate) struct Substates {
    /// The attribute's path, for errors about the list as a whole.
    pub keyword: Ident,
    /// The forwarded messages (indices into `messages`), each with its span in the list.
    pub messages: Vec<(usize, Span)>,
}

impl MessageRef {
    /// Whether this is `lockstep::Timeout`, the message of `#[timeout(..)]` cells.
    pub fn is_timeout(&self) -> bool {
        // `resolve_message` writes both spellings of the path as this one.
        self.ty_text == TIMEOUT_KEY
    }
}

impl State {
    /// The name of the state's `enter` or `exit` hook method (`when`): `exit_on_hold`.
    pub fn hook_name(&self, when: &str) -> String {
        format!("{when}_{}", self.snake)
    }

    /// Whether the state has the `enter` or `exit` hook (`when`).
    pub fn has_hook(&self, when: &str) -> bool {
        if when == "enter" {
            self.enter
        } else {
            self.exit
        }
    }
}

/// `::lockstep::Timeout` as the model keys it (its tokens as text).
const TIMEOUT_KEY: &str = ":: lockstep :: Timeout";

pub(crate) struct MessageRef {
    pub ty: TypePath,
    /// The last path segment, e.g. `Coin`: the `Input` variant and the handler-name part.
    pub name: Ident,
    /// `name` as text.
    pub text: String,
    /// The type as written, as text (for the emitters that write code as text).
    pub ty_text: String,
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

/// Resolution state while building the model: messages by their tokens and by their names, and
/// cells by (state, message), to find duplicates and collisions.
#[derive(Default)]
struct Keys {
    messages: HashMap<String, usize>,
    message_names: HashMap<String, usize>,
    cells: HashMap<(usize, usize), usize>,
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
                enter: s.enter.is_some(),
                exit: s.exit.is_some(),
                timeout: s.timeout.as_ref().map(|t| (t.secs, t.nanos)),
                timeout_text: s.timeout.as_ref().map(|t| t.text.clone()),
                name: s.ident.to_string(),
                data_text: s.data.as_ref().map(|ty| ty.to_token_stream().to_string()),
                snake: snake_ident(&s.ident),
                substates: None,
            })
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
            typestate: spec.typestate.is_some(),
            initial: states.iter().position(|s| s.initial.is_some()).unwrap_or(0),
            incomplete: spec.states.iter().any(|s| s.incomplete),
            states,
            messages: Vec::new(),
            cells: Vec::new(),
            nested: spec.states.iter().any(|s| s.substates.is_some()),
            lookup: Vec::new(),
        };
        let mut keys = Keys::default();
        for (state, state_spec) in spec.states.iter().enumerate() {
            for cell in &state_spec.cells {
                let Some(message) = model.resolve_message(&cell.message, &mut keys, errors) else {
                    model.incomplete = true;
                    continue;
                };
                let Some(action) = model.resolve_action(&cell.action, errors) else {
                    model.incomplete = true;
                    continue;
                };
                model.add_cell(state, message, action, cell, &mut keys, errors);
            }
        }
        model.resolve_substates(spec, &mut keys, errors);
        let width = model.messages.len();
        model.lookup = vec![u32::MAX; model.states.len() * width];
        for (&(state, message), &index) in &keys.cells {
            model.lookup[state * width + message] = u32::try_from(index).unwrap_or(u32::MAX);
        }
        model
    }

    /// The messages each superstate forwards, numbered like any other (the machine accepts them),
    /// and `lockstep::Timeout`, through which a driver reaches a substate machine's timers.
    fn resolve_substates(&mut self, spec: &MachineSpec, keys: &mut Keys, errors: &mut Errors) {
        for (state, state_spec) in spec.states.iter().enumerate() {
            let Some(list) = &state_spec.substates else {
                continue;
            };
            let mut messages: Vec<(usize, Span)> = Vec::new();
            for ty in &list.messages {
                // Whatever path it is written with: the user's `Timeout` is lockstep's (imported),
                // or, if their own, would clash with it (found by `tests/never_panics.rs`: the
                // clash was reported at the call site).
                if ty
                    .path
                    .segments
                    .last()
                    .is_some_and(|s| s.ident == "Timeout")
                {
                    errors.spanned(
                        ty,
                        "a superstate forwards its substates' timeouts by itself: remove \
                         `Timeout` from the list",
                    );
                    continue;
                }
                let Some(message) = self.resolve_message(ty, keys, errors) else {
                    self.incomplete = true;
                    continue;
                };
                if messages.iter().any(|&(m, _)| m == message) {
                    errors.spanned(
                        ty,
                        format!(
                            "`{}` is listed twice in `#[substates(..)]`: remove one",
                            self.messages[message].name
                        ),
                    );
                    continue;
                }
                messages.push((message, syn::spanned::Spanned::span(ty)));
            }
            self.states[state].substates = Some(Substates {
                keyword: list.keyword.clone(),
                messages,
            });
        }
        if self.nested {
            // A message of the user's own named `Timeout` clashes with lockstep's, which no
            // token of the input names here: the error goes on the user's message.
            if let Some(&own) = keys.message_names.get("Timeout")
                && !self.messages[own].is_timeout()
            {
                errors.spanned(
                    &self.messages[own].ty,
                    "`Timeout` is the name of lockstep's state-timeout message, which a \
                     superstate forwards to its substates' timers: give your own message \
                     another name",
                );
                self.incomplete = true;
                return;
            }
            let timeout: TypePath = syn::parse_quote!(::lockstep::Timeout);
            let _ = self.resolve_message(&timeout, keys, errors);
        }
    }

    /// Whether state `state` forwards message `message` to its substate machine.
    pub fn forwards(&self, state: usize, message: usize) -> bool {
        self.states[state]
            .substates
            .as_ref()
            .is_some_and(|s| s.messages.iter().any(|&(m, _)| m == message))
    }

    /// The index of a message, numbering it on first mention. `None` (reported) when another
    /// message has the same type name, since handlers and `Input` variants are named after it.
    fn resolve_message(
        &mut self,
        ty: &TypePath,
        keys: &mut Keys,
        errors: &mut Errors,
    ) -> Option<usize> {
        let mut key = ty.to_token_stream().to_string();
        // `lockstep::Timeout` and `::lockstep::Timeout` are the one message of `#[timeout(..)]`.
        if key == "lockstep :: Timeout" {
            key = String::from(TIMEOUT_KEY);
        }
        if let Some(&index) = keys.messages.get(&key) {
            return Some(index);
        }
        let name = ty.path.segments.last()?.ident.clone();
        if let Some(&other) = keys.message_names.get(&name.to_string()) {
            if key == TIMEOUT_KEY || self.messages[other].is_timeout() {
                errors.spanned(
                    ty,
                    "`Timeout` is the name of lockstep's state-timeout message, which \
                     `#[timeout(..)]` cells take (handlers `{state}_on_timeout`): give your own \
                     message another name",
                );
                return None;
            }
            let other = &self.messages[other].ty;
            errors.spanned(
                ty,
                format!(
                    "`{}` and `{}` are both named `{name}`: lockstep names handlers and `Input` \
                     variants after the message's type name, so write each message with the same \
                     path everywhere, and give different messages different names",
                    key.replace(' ', ""),
                    other.to_token_stream().to_string().replace(' ', "")
                ),
            );
            return None;
        }
        let segments: Vec<String> = ty
            .path
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect();
        let leading = if ty.path.leading_colon.is_some() {
            "::"
        } else {
            ""
        };
        let index = self.messages.len();
        self.messages.push(MessageRef {
            ty: ty.clone(),
            snake: snake_ident(&name),
            text: name.to_string(),
            ty_text: key.clone(),
            link: format!("{leading}{}", segments.join("::")),
            name,
        });
        keys.messages.insert(key, index);
        keys.message_names
            .insert(self.messages[index].name.to_string(), index);
        Some(index)
    }

    /// Resolves target names to states. A repeated target is reported and read once; an unknown
    /// one is reported and read as the state it is closest to, so the user's handler (written for
    /// that state) still matches the stub. `None` when an unknown target resembles no state.
    fn resolve_action(&self, action: &ActionSpec, errors: &mut Errors) -> Option<Action> {
        let targets = match action {
            ActionSpec::Move(targets) => targets,
            ActionSpec::Stay => return Some(Action::Stay),
            ActionSpec::Discard => return Some(Action::Discard),
            ActionSpec::Defer => return Some(Action::Defer),
        };
        let mut resolved = Vec::with_capacity(targets.len());
        let mut ok = true;
        for target in targets {
            let name = target.to_string();
            match self.states.iter().position(|s| s.name == name) {
                Some(t) if resolved.contains(&t) => {
                    errors.spanned(
                        target,
                        format!("`{target}` is listed twice in this cell's targets: remove one"),
                    );
                }
                Some(t) => resolved.push(t),
                None => {
                    let states: Vec<String> =
                        self.states.iter().map(|s| s.ident.to_string()).collect();
                    let guess = closest(&name, states.iter().map(String::as_str));
                    errors.spanned(
                        target,
                        format!(
                            "unknown target state `{target}`: `{}` has no variant named so{}",
                            self.ident,
                            guess.map_or_else(String::new, |g| format!("; did you mean `{g}`?"))
                        ),
                    );
                    match guess.and_then(|g| self.states.iter().position(|s| s.ident == g)) {
                        Some(t) if !resolved.contains(&t) => resolved.push(t),
                        Some(_) => {}
                        None => ok = false,
                    }
                }
            }
        }
        ok.then_some(Action::Move(resolved))
    }

    /// Adds a cell, unless (state, message) is already decided (reported, pointing at both).
    fn add_cell(
        &mut self,
        state: usize,
        message: usize,
        action: Action,
        spec: &crate::parse::CellSpec,
        keys: &mut Keys,
        errors: &mut Errors,
    ) {
        if let Some(&index) = keys.cells.get(&(state, message)) {
            let first = &self.cells[index];
            let name = &self.messages[message].name;
            let state_name = &self.states[state].ident;
            let what = if std::mem::discriminant(&first.action) == std::mem::discriminant(&action) {
                format!("the cell (`{state_name}`, `{name}`) is declared twice: keep one")
            } else {
                format!(
                    "`{state_name}` declares `{name}` both as {} and as {}: a state does one thing \
                     with a message; keep one",
                    describe(&first.action),
                    spec.action.describe()
                )
            };
            let mut error = syn::Error::new_spanned(&spec.message, what);
            error.combine(syn::Error::new(
                first.message_span,
                format!("(`{state_name}`, `{name}`) is first declared here"),
            ));
            errors.push(error);
            // Of two conflicting cells keep the one with a handler, so the user's handler method
            // still has a trait method to implement.
            if !Self::has_handler(first) && matches!(action, Action::Move(_) | Action::Stay) {
                self.cells[index] = Cell {
                    state,
                    message,
                    action,
                    keyword: spec.keyword.clone(),
                    message_span: syn::spanned::Spanned::span(&spec.message),
                };
            } else if let Action::Move(dropped) = &action {
                // The left-out cell's targets may be reached nowhere else.
                let kept: &[usize] = match &self.cells[index].action {
                    Action::Move(kept) => kept,
                    _ => &[],
                };
                if dropped.iter().any(|t| !kept.contains(t)) {
                    self.incomplete = true;
                }
            }
            return;
        }
        keys.cells.insert((state, message), self.cells.len());
        self.cells.push(Cell {
            state,
            message,
            action,
            keyword: spec.keyword.clone(),
            message_span: syn::spanned::Spanned::span(&spec.message),
        });
    }

    /// The cell of (state, message), if declared.
    pub fn cell(&self, state: usize, message: usize) -> Option<&Cell> {
        let index = *self.lookup.get(state * self.messages.len() + message)?;
        self.cells.get(usize::try_from(index).ok()?)
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
