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
    timeouts(model, errors);
    reachability(model, errors);
    exhaustive(model, errors);
    handler_names(model, errors);
    generated_names(model, errors);
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
                    format!("`{}` is the first state marked `#[initial]`", first.ident),
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
        let first_cell = model.cells_of_state(index).next();
        // One mistake (`#[terminal]` on the wrong state), one error, even when the state both
        // forwards and has cells (found by `tests/never_panics.rs`).
        if let Some(list) = &state.substates {
            let (cells, and_cells) = if first_cell.is_some() {
                (" accepts no message and", " and its cells")
            } else {
                ("", "")
            };
            errors.at(
                list.keyword.span(),
                format!(
                    "`{}` is `#[terminal]`, so it{cells} forwards no message to substates: remove \
                     `#[substates(..)]`{and_cells}, or remove `#[terminal]`",
                    state.ident
                ),
            );
        } else if let Some(cell) = first_cell {
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

/// `lockstep::Timeout` reaches only states that declare `#[timeout(..)]`: a cell on it written
/// by hand would never run.
fn timeouts(model: &Model, errors: &mut Errors) {
    for cell in &model.cells {
        let state = &model.states[cell.state];
        if model.messages[cell.message].is_timeout() && state.timeout.is_none() {
            errors.at(
                cell.message_span,
                format!(
                    "`lockstep::Timeout` is sent only to states with a timeout: declare the cell \
                     with `#[timeout(30s => Target)]` on `{}`, which also says how long",
                    state.ident
                ),
            );
        }
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
            // A state timeout reaches only the states that declare one. A message a superstate
            // forwards is decided by its substate machine, whose own derive judges it.
            if model.cell(s, m).is_none() && !message.is_timeout() && !model.forwards(s, m) {
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
    // Hooks (`enter_{state}`, `exit_{state}`) share the trait with the handlers: a state named
    // `OnHold` with `#[exit]` meets the handler of (`Exit`, `Hold`).
    for state in &model.states {
        for when in ["enter", "exit"] {
            let name = state.hook_name(when);
            if let (true, Some(cell)) = (state.has_hook(when), methods.get(name.as_str())) {
                errors.spanned(
                    &state.ident,
                    format!(
                        "the `#[{when}]` hook of `{}` would be named `{name}`, as the handler of \
                         (`{}`, `{}`) is: rename a state or a message",
                        state.ident,
                        model.states[cell.state].ident,
                        model.messages[cell.message].name
                    ),
                );
            }
        }
    }
}

/// The derive adds items named after the machine (`{Machine}Handlers`, `{Machine}Input`,
/// `{Machine}{State}`, `{Machine}{State}On{Message}`): a state named `Input` or `Handlers` would
/// give two items one name, and rustc's "defined multiple times" would not say why.
fn generated_names(model: &Model, errors: &mut Errors) {
    // State structs exist only with the typestate API.
    if !model.typestate {
        return;
    }
    let machine = &model.ident;
    let mut taken: HashMap<String, String> = HashMap::new();
    taken.insert(format!("{machine}Handlers"), "the handler trait".into());
    taken.insert(format!("{machine}Input"), "the input enum".into());
    for cell in &model.cells {
        if matches!(&cell.action, Action::Move(t) if t.len() > 1) {
            taken.insert(
                format!(
                    "{machine}{}On{}",
                    model.states[cell.state].ident, model.messages[cell.message].name
                ),
                format!(
                    "the target enum of (`{}`, `{}`)",
                    model.states[cell.state].ident, model.messages[cell.message].name
                ),
            );
        }
    }
    for state in &model.states {
        let name = format!("{machine}{}", state.ident);
        if let Some(owner) = taken.get(&name) {
            errors.spanned(
                &state.ident,
                format!(
                    "the state `{}` would get the struct `{name}`, which is already {owner}: \
                     rename the state",
                    state.ident
                ),
            );
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
    // The cell table stores a cell's target count in one byte.
    for cell in &model.cells {
        if matches!(&cell.action, Action::Move(t) if t.len() > usize::from(u8::MAX)) {
            errors.at(
                cell.keyword.span(),
                "a cell lists at most 255 target states; split the decision over two messages",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use proc_macro2::TokenStream;
    use quote::quote;

    use crate::errors::Errors;
    use crate::model::{Action, Model};

    /// Every error of parse, model and check, in order.
    fn errors(input: TokenStream) -> Vec<String> {
        build(input).1
    }

    fn build(input: TokenStream) -> (Option<Model>, Vec<String>) {
        let mut errors = Errors::default();
        let model = crate::parse::machine(input, &mut errors).map(|spec| {
            let model = Model::build(&spec, &mut errors);
            super::run(&model, &mut errors);
            model
        });
        (model, errors.messages())
    }

    #[test]
    fn a_valid_machine_has_no_error() {
        let errors = errors(quote!(
            #[machine(context = Till, exhaustive)]
            enum Turnstile {
                #[initial]
                #[on(Coin => Unlocked)]
                #[discard(Push)]
                Locked,
                #[on(Push => Locked | Unlocked)]
                #[on(Coin)]
                Unlocked,
            }
        ));
        assert!(errors.is_empty(), "{errors:?}");
    }

    #[test]
    fn initial_state_is_required_once() {
        assert_eq!(
            errors(quote!(
                enum Door {
                    Closed,
                }
            )),
            ["`Door` has no initial state: mark the state it starts in with `#[initial]`"]
        );
        assert_eq!(
            errors(quote!(
                enum Door {
                    #[initial]
                    #[on(Open => Opened)]
                    Closed,
                    #[initial]
                    Opened,
                }
            )),
            [
                "`Door` has several initial states (`Closed` and `Opened`): keep `#[initial]` on one",
                "`Closed` is the first state marked `#[initial]`",
            ]
        );
    }

    #[test]
    fn empty_enum() {
        assert_eq!(
            errors(quote!(
                enum Door {}
            )),
            ["the machine `Door` has no states: add at least one variant, marked `#[initial]`"]
        );
    }

    #[test]
    fn unreachable_states_are_reported() {
        let errors = errors(quote!(
            enum Door {
                #[initial]
                #[on(Open => Opened)]
                Closed,
                Opened,
                Locked,
            }
        ));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].starts_with("`Locked` cannot be reached from the initial state `Closed`")
        );
    }

    #[test]
    fn a_misspelled_target_is_read_as_the_closest_state_without_follow_on_errors() {
        let (model, errors) = build(quote!(
            enum Door {
                #[initial]
                #[on(Open => Opend)]
                Closed,
                #[on(Close => Closed)]
                Opened,
            }
        ));
        assert_eq!(
            errors,
            [
                "unknown target state `Opend`: `Door` has no variant named so; did you mean `Opened`?"
            ]
        );
        let model = model.unwrap();
        // The cell is kept, so `Opened` is reachable and the user's `closed_on_open` has its stub.
        assert!(matches!(&model.cells[0].action, Action::Move(t) if t == &[1]));
    }

    #[test]
    fn an_unknown_target_suspends_graph_rules() {
        // `Opened` looks unreachable only because the cell naming `Nowhere` is left out.
        let errors = errors(quote!(
            #[machine(exhaustive)]
            enum Door {
                #[initial]
                #[on(Open => Nowhere)]
                Closed,
                #[on(Close => Closed)]
                Opened,
            }
        ));
        assert_eq!(
            errors,
            ["unknown target state `Nowhere`: `Door` has no variant named so"]
        );
    }

    #[test]
    fn duplicate_and_conflicting_cells() {
        let (model, errors) = build(quote!(
            enum Door {
                #[initial]
                #[on(Open => Opened)]
                #[on(Open => Opened)]
                #[discard(Knock)]
                #[on(Knock)]
                Closed,
                #[on(Close => Closed)]
                Opened,
            }
        ));
        assert_eq!(
            errors,
            [
                "the cell (`Closed`, `Open`) is declared twice: keep one",
                "(`Closed`, `Open`) is first declared here",
                "`Closed` declares `Knock` both as `discard` and as `on(..)`: a state does one thing \
                 with a message; keep one",
                "(`Closed`, `Knock`) is first declared here",
            ]
        );
        // Of the conflicting pair the cell with a handler is kept, for the user's impl block.
        let model = model.unwrap();
        assert!(matches!(model.cells[1].action, Action::Stay));
    }

    #[test]
    fn a_target_listed_twice_is_read_once() {
        let (model, errors) = build(quote!(
            enum Door {
                #[initial]
                #[on(Open => Opened | Closed | Opened)]
                Closed,
                Opened,
            }
        ));
        assert_eq!(
            errors,
            ["`Opened` is listed twice in this cell's targets: remove one"]
        );
        assert!(matches!(&model.unwrap().cells[0].action, Action::Move(t) if t == &[1, 0]));
    }

    #[test]
    fn terminal_states_accept_nothing() {
        let errors = errors(quote!(
            enum Job {
                #[initial]
                #[on(Run => Done)]
                Pending,
                #[terminal]
                #[on(Retry => Pending)]
                #[defer(Run)]
                Done,
            }
        ));
        assert_eq!(
            errors,
            [
                "`Done` is `#[terminal]`, so it accepts no message: remove this cell, or remove `#[terminal]`"
            ]
        );
    }

    #[test]
    fn exhaustive_lists_every_undecided_cell() {
        let errors = errors(quote!(
            #[machine(exhaustive)]
            enum Job {
                #[initial]
                #[on(Run => Done)]
                Pending,
                #[on(Reset => Pending)]
                Done,
                #[terminal]
                Gone,
            }
        ));
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].starts_with("`Gone` cannot be reached"));
        // A terminal state decides every cell: it rejects.
        assert!(errors[1].starts_with("`Job` is `exhaustive`, but 2 cells are undecided"));
        assert!(errors[1].ends_with("\n  - `Pending` × `Reset`\n  - `Done` × `Run`"));
    }

    #[test]
    fn exhaustive_counts_a_forwarded_message_decided_by_the_substates() {
        let errors = errors(quote!(
            #[machine(exhaustive)]
            enum Session {
                #[initial]
                #[on(Connect => Active)]
                #[discard(Hello, Bye)]
                Idle,
                // `Hello` and `Bye` are the substate machine's to decide; `Connect` is not
                // forwarded, so `Active` must decide it itself.
                #[substates(Hello, Bye)]
                #[on(Disconnect => Idle)]
                Active(Phase),
            }
        ));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].ends_with("\n  - `Idle` × `Disconnect`\n  - `Active` × `Connect`"),
            "{errors:?}"
        );
    }

    #[test]
    fn substates_mistakes_are_one_error_each() {
        let errors = errors(quote!(
            enum Session {
                #[initial]
                #[on(Connect => Active)]
                #[substates(Hello)]
                Idle,
                #[substates(Hello, Hello, lockstep::Timeout, history)]
                #[substates(Bye)]
                Active(Phase),
            }
        ));
        assert_eq!(errors.len(), 5, "{errors:?}");
        assert!(errors[0].starts_with("`#[substates(..)]` goes on a state whose data"));
        assert!(errors[1].starts_with("lockstep keeps a superstate's history in data"));
        assert!(errors[2].starts_with("`#[substates(..)]` is written twice on this state"));
        assert!(errors[3].starts_with("`Hello` is listed twice"));
        assert!(errors[4].starts_with("a superstate forwards its substates' timeouts"));
        // The model still knows `Active` as a superstate forwarding `Hello`, so the stubs match.
        let (model, _) = build(quote!(
            enum Session {
                #[initial]
                #[on(Connect => Active)]
                Idle,
                #[substates(Hello, Hello)]
                Active(Phase),
            }
        ));
        let model = model.expect("a model");
        assert!(model.nested);
        let hello = model.messages.iter().position(|m| m.text == "Hello");
        assert!(model.forwards(1, hello.expect("Hello is a message")));
    }

    #[test]
    fn a_terminal_state_has_no_substates() {
        let errors = errors(quote!(
            enum Session {
                #[initial]
                #[on(Connect => Done)]
                Idle,
                #[terminal]
                #[substates(Hello)]
                Done(Phase),
            }
        ));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].starts_with("`Done` is `#[terminal]`, so it forwards no message"));
    }

    // The tests below pin what `tests/never_panics.rs` found once it generated superstates.

    #[test]
    fn a_terminal_superstate_with_cells_is_one_error() {
        let errors = errors(quote!(
            enum Session {
                #[initial]
                #[on(Connect => Done)]
                Idle,
                #[terminal]
                #[substates(Hello)]
                #[on(Disconnect => Idle)]
                Done(Phase),
            }
        ));
        assert_eq!(
            errors,
            [
                "`Done` is `#[terminal]`, so it accepts no message and forwards no message to \
                 substates: remove `#[substates(..)]` and its cells, or remove `#[terminal]`"
            ]
        );
    }

    #[test]
    fn a_raw_message_in_substates_is_the_message() {
        // `r#Hello` in the list and `Hello` in a cell were two messages: `exhaustive` asked
        // `Idle` to decide `r#Hello` and `Active` to decide `Hello`.
        let (model, errors) = build(quote!(
            #[machine(exhaustive)]
            enum Session {
                #[initial]
                #[on(Connect => Active)]
                #[discard(Hello)]
                Idle,
                #[substates(r#Hello)]
                #[discard(Connect)]
                Active(Phase),
            }
        ));
        assert!(errors.is_empty(), "{errors:?}");
        let model = model.expect("a model");
        let hello = model.messages.iter().position(|m| m.text == "Hello");
        assert!(model.forwards(1, hello.expect("Hello is a message")));
        assert_eq!(
            model.messages.iter().filter(|m| m.text == "Hello").count(),
            1
        );
    }

    #[test]
    fn timeout_in_substates_is_one_error_whatever_its_path() {
        for list in [quote!(Hello, Timeout), quote!(Hello, lockstep::Timeout)] {
            let errors = errors(quote!(
                enum Session {
                    #[initial]
                    #[on(Connect => Active)]
                    Idle,
                    #[substates(#list)]
                    Active(Phase),
                }
            ));
            // A plain `Timeout` was read as the user's own message, which then clashed with
            // lockstep's, reported at the call site.
            assert_eq!(
                errors,
                [
                    "a superstate forwards its substates' timeouts by itself: remove `Timeout` \
                     from the list"
                ],
                "{list}"
            );
        }
    }

    #[test]
    fn a_message_named_timeout_in_a_nested_machine_is_reported_on_it() {
        let (model, errors) = build(quote!(
            #[machine(exhaustive)]
            enum Session {
                #[initial]
                #[on(Connect => Active)]
                #[on(Timeout)]
                Idle,
                #[substates(Hello)]
                #[discard(Connect)]
                Active(Phase),
            }
        ));
        // One error (the clash, not also an undecided `Active` × `Timeout`), on the user's
        // `Timeout`: the message says what the user wrote clashes with.
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].contains("which a superstate forwards to its substates' timers"),
            "{errors:?}"
        );
        assert!(model.expect("a model").incomplete);
    }

    #[test]
    fn substates_on_a_state_of_a_bad_shape_is_not_reported_again() {
        let errors = errors(quote!(
            enum Session {
                #[initial]
                #[on(Connect => Active)]
                Idle,
                #[substates(Hello)]
                Active { phase: Phase },
            }
        ));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].starts_with("a state is a unit variant"),
            "{errors:?}"
        );
    }

    #[test]
    fn an_empty_substates_list_is_one_error_even_when_exhaustive() {
        let errors = errors(quote!(
            #[machine(exhaustive)]
            enum Session {
                #[initial]
                #[on(Connect => Active)]
                #[discard(Hello)]
                Idle,
                #[substates()]
                #[discard(Connect)]
                Active(Phase),
            }
        ));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].starts_with("`#[substates(..)]` lists at least one message"));
    }

    #[test]
    fn self_in_substates_names_no_message() {
        let errors = errors(quote!(
            enum Session {
                #[initial]
                #[on(Connect => Active)]
                Idle,
                #[substates(Hello, Self)]
                Active(Phase),
            }
        ));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].starts_with("`Self` names no message type"),
            "{errors:?}"
        );
    }

    #[test]
    fn exhaustive_does_not_ask_for_timeouts_where_none_is_declared() {
        let errors = errors(quote!(
            #[machine(exhaustive)]
            enum Booth {
                #[initial]
                #[on(Pay => Paid)]
                Idle,
                #[on(Pay)]
                #[timeout(30s => Idle)]
                Paid,
            }
        ));
        assert!(errors.is_empty(), "{errors:?}");
    }

    #[test]
    fn timeout_mistakes_are_one_error_each_and_keep_the_cell() {
        let timeout_cell = |model: &Option<Model>| {
            model
                .as_ref()
                .is_some_and(|m| m.cells.iter().any(|c| m.messages[c.message].is_timeout()))
        };
        // A bad duration: one error, and the cell is kept for the user's handler.
        let (model, found) = build(quote!(
            enum Booth {
                #[initial]
                #[on(Pay => Paid)]
                Idle,
                #[timeout(1.5e2s => Idle)]
                Paid,
            }
        ));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("without an exponent"), "{found:?}");
        assert!(timeout_cell(&model));
        // Finer than a nanosecond.
        let found = errors(quote!(
            enum Booth {
                #[initial]
                #[on(Pay => Paid)]
                Idle,
                #[timeout(0.0000000001s => Idle)]
                Paid,
            }
        ));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("finer than a nanosecond"), "{found:?}");
        // Written twice: one error, not three.
        let found = errors(quote!(
            enum Booth {
                #[initial]
                #[on(Pay => Paid)]
                Idle,
                #[timeout(30s => Idle)]
                #[timeout(1min => Idle)]
                Paid,
            }
        ));
        assert_eq!(
            found,
            ["a state has one timeout: `#[timeout(..)]` is written twice on this state"]
        );
    }

    #[test]
    fn timeout_is_lockstep_s_message() {
        // A user message named `Timeout` next to `#[timeout]`.
        let found = errors(quote!(
            enum Booth {
                #[initial]
                #[on(Timeout => Paid)]
                Idle,
                #[timeout(5s => Idle)]
                Paid,
            }
        ));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("`Timeout` is the name of lockstep's state-timeout message"));
        // A timeout cell written by hand would never run; `lockstep::Timeout` and
        // `::lockstep::Timeout` are one message.
        let found = errors(quote!(
            enum Booth {
                #[initial]
                #[on(lockstep::Timeout => Paid)]
                Idle,
                #[timeout(5s => Idle)]
                Paid,
            }
        ));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("`lockstep::Timeout` is sent only to states with a timeout"));
    }

    #[test]
    fn hook_names_must_not_collide_with_handlers() {
        let found = errors(quote!(
            enum Call {
                #[initial]
                #[on(Hold => OnHold)]
                Exit,
                #[exit]
                #[on(Resume => Exit)]
                OnHold,
            }
        ));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with("the `#[exit]` hook of `OnHold` would be named `exit_on_hold`"),
            "{found:?}"
        );
    }

    #[test]
    fn handler_names_must_not_collide() {
        assert_eq!(
            errors(quote!(
                enum Client {
                    #[initial]
                    #[on(Go => HttpGet)]
                    HTTPGet,
                    #[on(Go => HTTPGet)]
                    HttpGet,
                }
            )),
            [
                "`HTTPGet` and `HttpGet` give handler methods the same name (`http_get_on_..`): rename one"
            ]
        );
        assert_eq!(
            errors(quote!(
                enum Client {
                    #[initial]
                    #[on(HTTPGet)]
                    #[on(HttpGet)]
                    Idle,
                }
            )),
            [
                "the cells (`Idle`, `HTTPGet`) and (`Idle`, `HttpGet`) would both get the handler \
              method `idle_on_http_get`: rename a message or a state"
            ]
        );
    }

    #[test]
    fn messages_with_one_name_on_two_paths() {
        let errors = errors(quote!(
            enum Till {
                #[initial]
                #[on(euro::Coin)]
                #[on(dollar::Coin)]
                Open,
            }
        ));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].starts_with("`dollar::Coin` and `euro::Coin` are both named `Coin`"));
    }

    #[test]
    fn several_errors_at_once_without_follow_ons() {
        let errors = errors(quote!(
            #[machine(exhaustiv)]
            enum Turnstile {
                #[initial]
                #[on(Coin => Unlokced)]
                #[discard(Push)]
                Locked,
                #[on(Push => Locked)]
                #[on(Push => Locked)]
                Unlocked,
                Jammed(u8, u8),
            }
        ));
        // Five mistakes (no cell moves into `Jammed` either), five errors, the duplicate pointing
        // at both cells. The misspelled target is read as `Unlocked`, so `Unlocked` is reachable.
        assert_eq!(errors.len(), 6, "{errors:?}");
        assert!(errors[0].starts_with("unknown key `exhaustiv`"));
        assert!(errors[1].starts_with("a state is a unit variant (`Jammed`)"));
        assert!(errors[2].starts_with("unknown target state `Unlokced`"));
        assert!(errors[3].starts_with("the cell (`Unlocked`, `Push`) is declared twice"));
        assert!(errors[4].starts_with("(`Unlocked`, `Push`) is first declared here"));
        assert!(errors[5].starts_with("`Jammed` cannot be reached"));
    }

    #[test]
    fn expansion_with_errors_is_stubs_plus_compile_errors_and_never_panics() {
        let out = crate::expand_machine(quote!(
            enum Turnstile {
                #[initial]
                #[on(Coin => Unlokced)]
                Locked,
                Unlocked {
                    cents: u32,
                },
            }
        ))
        .to_string();
        assert!(out.contains("compile_error"));
        // The items the user's code names are still there.
        assert!(out.contains("trait TurnstileHandlers"));
        assert!(out.contains("fn locked_on_coin"));
        assert!(out.contains("enum TurnstileInput"));
        // Garbage in: errors out, no panic.
        for input in [
            quote!(),
            quote!(enum),
            quote!(enum X { A(,) }),
            quote!(
                fn f() {}
            ),
        ] {
            let out = crate::expand_machine(input).to_string();
            assert!(out.contains("compile_error"), "{out}");
        }
    }
}
