//! What a reader of rustdoc sees on the machine's page: the state × message table, each state's
//! messages and the user's own docs, a Mermaid diagram; plus `MERMAID` and `DOT` constants for tools.
//! A derive cannot add docs to the enum itself, so they go on an inherent impl block, which rustdoc
//! shows on the enum's page.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use proc_macro2::TokenStream;
use quote::quote;

use super::Names;
use crate::model::{Action, Model};

pub(super) fn emit(names: &Names<'_>) -> TokenStream {
    let model = names.model;
    let impl_generics = &names.impl_generics;
    let machine_ty = &names.machine_ty;
    let where_clause = &names.where_clause;
    let doc = page(model);
    let mermaid = mermaid(model);
    let dot = dot(model);
    quote! {
        #[doc = #doc]
        #[automatically_derived]
        impl #impl_generics #machine_ty #where_clause {
            /// The state diagram in Mermaid syntax (`stateDiagram-v2`).
            pub const MERMAID: &'static str = #mermaid;
            /// The state diagram in Graphviz DOT syntax.
            pub const DOT: &'static str = #dot;
        }
    }
}

fn cell_text(model: &Model, state: usize, message: usize) -> String {
    let own = own_cell_text(model, state, message);
    // Where the cell is decided: a superstate's substates first, then its own cell.
    match (
        &model.states[state].data_text,
        model.forwards(state, message),
    ) {
        (Some(inner), true) => format!("`{}` first, else {own}", inner.replace(' ', "")),
        _ => own,
    }
}

fn own_cell_text(model: &Model, state: usize, message: usize) -> String {
    match model.cell(state, message).map(|c| &c.action) {
        Some(Action::Move(targets)) => {
            let names: Vec<String> = targets
                .iter()
                .map(|&t| model.states[t].name.clone())
                .collect();
            format!("→ {}", names.join(" \\| "))
        }
        Some(Action::Stay) => "stay".into(),
        Some(Action::Discard) => "discard".into(),
        Some(Action::Defer) => "defer".into(),
        None => "reject".into(),
    }
}

fn state_label(model: &Model, index: usize) -> String {
    let state = &model.states[index];
    let mut label = format!("`{}`", state.name);
    if index == model.initial {
        label.push_str(" (initial)");
    }
    if state.terminal.is_some() {
        label.push_str(" (terminal)");
    }
    label
}

/// The messages the docs show: not the `Timeout` a superstate takes only to reach its substate
/// machine's timers, when no state of this machine has a timeout of its own.
fn shown_messages(model: &Model) -> Vec<usize> {
    (0..model.messages.len())
        .filter(|&m| !model.messages[m].is_timeout() || model.cells_of_message(m).next().is_some())
        .collect()
}

fn table_with(model: &Model, header: impl Fn(usize) -> String) -> String {
    let shown = shown_messages(model);
    let mut out = String::from("| state \\ message |");
    for &m in &shown {
        let _ = write!(out, " {} |", header(m));
    }
    out.push_str("\n|---|");
    for _ in &shown {
        out.push_str("---|");
    }
    for s in 0..model.states.len() {
        let _ = write!(out, "\n| {} |", state_label(model, s));
        for &m in &shown {
            let _ = write!(out, " {} |", cell_text(model, s, m));
        }
    }
    out.push('\n');
    out
}

/// Up to this many state × message cells, the rustdoc page shows the whole table (24 × 24).
const TABLE_CELLS: usize = 576;

fn page(model: &Model) -> String {
    let link = |m: usize| {
        let message = &model.messages[m];
        format!("[`{}`]({})", message.text, message.link)
    };
    let mut doc = format!(
        "# State machine\n\n`{}` is a state machine (`#[derive(Machine)]`): every state × message \
         cell is decided. A message a state does not accept is rejected with the message handed \
         back.\n\n",
        model.ident
    );
    if model.states.len() * model.messages.len() <= TABLE_CELLS {
        doc.push_str(&table_with(model, link));
    } else {
        // Past a few hundred cells a table is unreadable on the page, and its text is carried by
        // every build; the states below list every declared cell, and the rest reject.
        let _ = writeln!(
            doc,
            "With {} states × {} messages, the full table is not on this page: \
             `lockstep::table::<{}>()` builds it. Each state below lists its cells; every other \
             cell rejects.",
            model.states.len(),
            model.messages.len(),
            model.ident
        );
    }
    doc.push_str("\n## States\n");
    for (s, state) in model.states.iter().enumerate() {
        let _ = write!(doc, "\n### {}\n", state_label(model, s));
        let text: Vec<&str> = state
            .docs
            .iter()
            .map(|l| l.strip_prefix(' ').unwrap_or(l))
            .collect();
        if !text.is_empty() {
            let _ = write!(doc, "\n{}\n", text.join("\n"));
        }
        let cells: Vec<_> = model.cells_of_state(s).collect();
        if let (Some(list), Some(inner)) = (&state.substates, &state.data_text) {
            let forwarded: Vec<String> = list.messages.iter().map(|&(m, _)| link(m)).collect();
            let _ = write!(
                doc,
                "\nA superstate: its data is the machine `{}`, which decides {} first; the cells \
                 below decide what it rejects. `lockstep::mermaid::<{}>()` draws its substates.\n",
                inner.replace(' ', ""),
                forwarded.join(", "),
                model.ident
            );
        } else if cells.is_empty() {
            doc.push_str("\nAccepts no message.\n");
        }
        doc.push('\n');
        for cell in cells {
            let _ = writeln!(
                doc,
                "- {}: {}",
                link(cell.message),
                cell_text(model, s, cell.message).replace("\\|", "or")
            );
        }
    }
    let _ = write!(
        doc,
        "\n## Diagram\n\n```mermaid\n{}```\n\nThe same diagram is in [`MERMAID`](Self::MERMAID) and, \
         as Graphviz, in [`DOT`](Self::DOT).",
        mermaid(model)
    );
    doc
}

/// Edges grouped by (from, to), labelled with their messages in declaration order.
fn edges(model: &Model) -> BTreeMap<(usize, usize), Vec<String>> {
    let mut edges: BTreeMap<(usize, usize), Vec<String>> = BTreeMap::new();
    for cell in &model.cells {
        let mut name = model.messages[cell.message].text.clone();
        // A state's own timeout cell reads as the time it waits.
        if let (true, Some(after)) = (
            model.messages[cell.message].is_timeout(),
            &model.states[cell.state].timeout_text,
        ) {
            name = format!("after {after}");
        }
        match &cell.action {
            Action::Move(targets) => {
                for &t in targets {
                    edges.entry((cell.state, t)).or_default().push(name.clone());
                }
            }
            Action::Stay => edges
                .entry((cell.state, cell.state))
                .or_default()
                .push(format!("{name} (stay)")),
            Action::Discard | Action::Defer => {}
        }
    }
    edges
}

fn mermaid(model: &Model) -> String {
    let mut out = String::from("stateDiagram-v2\n");
    let _ = writeln!(out, "    [*] --> {}", model.states[model.initial].name);
    for ((from, to), labels) in edges(model) {
        let _ = writeln!(
            out,
            "    {} --> {}: {}",
            model.states[from].name,
            model.states[to].name,
            labels.join(", ")
        );
    }
    for state in model.states.iter().filter(|s| s.terminal.is_some()) {
        let _ = writeln!(out, "    {} --> [*]", state.name);
    }
    out
}

fn dot(model: &Model) -> String {
    let mut out = format!(
        "digraph {} {{\n    rankdir=LR;\n    node [shape=box, style=rounded];\n    __start [shape=point];\n",
        model.ident
    );
    let _ = writeln!(out, "    __start -> {};", model.states[model.initial].name);
    for state in model.states.iter().filter(|s| s.terminal.is_some()) {
        let _ = writeln!(out, "    {} [peripheries=2];", state.name);
    }
    for ((from, to), labels) in edges(model) {
        let _ = writeln!(
            out,
            "    {} -> {} [label=\"{}\"];",
            model.states[from].name,
            model.states[to].name,
            labels.join(", ")
        );
    }
    out.push_str("}\n");
    out
}
