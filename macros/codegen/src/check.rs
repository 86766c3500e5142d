//! Rules over the whole matrix and the state graph: exactly one initial state, every state
//! reachable from it, terminal states accepting nothing, `exhaustive` machines deciding every cell,
//! and generated names that do not collide.

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::errors::Errors;
use crate::model::{Action, Cell, Model};

pub(crate) fn run(model: &Model, errors: &mut Errors) {
    if model.states.is_empty() {
        return;
    }
    initial(model, errors);
    terminal(model, errors);
    reachability(model, errors);
    exhaustive(model, errors);
    handler_names(model, errors);
    sizes(model, errors);
}

fn initial(model: &Model, errors: &mut Errors) {
    let marked: Vec<_> = model
        .states
        .iter()
        .filter_map(|s| s.initial.map(|span| (s, span)))
        .collect();
    match marked.as_slice() {
        [] => errors.at(
            model.ident.span(),
            format!(
                "`{}` has no initial state: mark the state it starts in with `#[initial]`",
                model.ident
            ),
        ),
        [_] => {}
        [(first, _), rest @ ..] => {
            for (state, span) in rest {
                let mut error = syn::Error::new(
                    *span,
                    format!(
                        "`{}` has several initial states (`{}` and `{}`): keep `#[initial]` on one",
                        model.ident, first.ident, state.ident
                    ),
                );
                error.combine(syn::Error::new(
                    first.initial.unwrap_or_else(|| first.ident.span()),
                    "first marked here",
                ));
                errors.push(error);
            }
        }
    }
}

fn terminal(model: &Model, errors: &mut Errors) {
    for (index, state) in model.states.iter().enumerate() {
        if state.terminal.is_none() {
            continue;
        }
        if let Some(cell) = model.cells_of_state(index).next() {
            errors.at(
                cell.keyword.span(),
                format!(
                    "`{}` is `#[terminal]`, so it accepts no message: remove this cell, or remove \
                     `#[terminal]`",
                    state.ident
                ),
            );
        }
    }
}

fn reachability(model: &Model, errors: &mut Errors) {
    if model.states.iter().filter(|s| s.initial.is_some()).count() != 1 || model.incomplete {
        // Already reported: reachability from a guessed start, or over a graph missing the
        // cells that could not be read, would mislead.
        return;
    }
    let mut reached = vec![false; model.states.len()];
    let mut stack = vec![model.initial];
    reached[model.initial] = true;
    while let Some(state) = stack.pop() {
        for cell in model.cells_of_state(state) {
            if let Action::Move(targets) = &cell.action {
                for &t in targets {
                    if !reached[t] {
                        reached[t] = true;
                        stack.push(t);
                    }
                }
            }
        }
    }
    let initial = &model.states[model.initial].ident;
    for (state, _) in model.states.iter().zip(&reached).filter(|(_, r)| !**r) {
        errors.spanned(
            &state.ident,
            format!(
                "`{}` cannot be reached from the initial state `{initial}`: add a cell that moves \
                 into it (`#[on(Message => {})]` on a reachable state), or remove it",
                state.ident, state.ident
            ),
        );
    }
}

fn exhaustive(model: &Model, errors: &mut Errors) {
    let Some(span) = model.exhaustive else {
        return;
    };
    if model.incomplete {
        return; // cells that could not be read would be listed as undecided
    }
    let mut missing = String::new();
    let mut count = 0;
    for (s, state) in model.states.iter().enumerate() {
        if state.terminal.is_some() {
            continue; // a terminal state decides every cell: it rejects
        }
        for (m, message) in model.messages.iter().enumerate() {
            if model.cell(s, m).is_none() {
                count += 1;
                let _ = write!(missing, "\n  - `{}` × `{}`", state.ident, message.name);
            }
        }
    }
    if count > 0 {
        errors.at(
            span,
            format!(
                "`{}` is `exhaustive`, but {count} cell{} {} undecided; decide each with `on`, \
                 `discard` or `defer` (or mark a state `#[terminal]`):{missing}",
                model.ident,
                if count == 1 { "" } else { "s" },
                if count == 1 { "is" } else { "are" },
            ),
        );
    }
}

fn handler_names(model: &Model, errors: &mut Errors) {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (index, state) in model.states.iter().enumerate() {
        if let Some(&other) = seen.get(&state.snake) {
            errors.spanned(
                &state.ident,
                format!(
                    "`{}` and `{}` give handler methods the same name (`{}_on_..`): rename one",
                    model.states[other].ident, state.ident, state.snake
                ),
            );
        } else {
            seen.insert(state.snake.clone(), index);
        }
    }
    // Different states and messages can still meet in one name (`HTTPGet` and `HttpGet` are both
    // `http_get`); states that collide on their own are reported above.
    let mut methods: HashMap<String, &Cell> = HashMap::new();
    for cell in model.cells.iter().filter(|c| Model::has_handler(c)) {
        let name = model.handler_name(cell).to_string();
        match methods.get(name.as_str()) {
            Some(first)
                if model.states[first.state].ident == model.states[cell.state].ident
                    || model.states[first.state].snake != model.states[cell.state].snake =>
            {
                let describe = |c: &Cell| {
                    format!(
                        "(`{}`, `{}`)",
                        model.states[c.state].ident, model.messages[c.message].name
                    )
                };
                errors.at(
                    cell.message_span,
                    format!(
                        "the cells {} and {} would both get the handler method `{name}`: rename a \
                         message or a state",
                        describe(first),
                        describe(cell)
                    ),
                );
            }
            Some(_) => {}
            None => {
                methods.insert(name, cell);
            }
        }
    }
}

fn sizes(model: &Model, errors: &mut Errors) {
    if model.states.len() > usize::from(u16::MAX) || model.messages.len() > usize::from(u16::MAX) {
        errors.spanned(
            &model.ident,
            "a machine has at most 65535 states and 65535 message types",
        );
    }
}
