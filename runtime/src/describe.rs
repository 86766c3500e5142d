//! Descriptions of a machine built at run time from its static tables
//! ([`Machine::STATES`], [`Machine::MESSAGES`], [`Machine::cells`]), so they cost nothing to compile.

use alloc::string::String;
use core::fmt::Write as _;

use crate::hierarchy::MachineInfo;
use crate::machine::{CellKind, Machine};

/// The state × message table in Markdown: `→ Target` (or `→ A \| B`), `stay`, `discard`, `defer`,
/// `reject`; the initial and terminal states are marked. The machine's rustdoc page shows the same
/// table (with the messages linked) when it has at most 24 × 24 cells; this function builds it at
/// run time for any size.
///
/// ```
/// # use lockstep::{Machine, Message};
/// # #[derive(Message)] struct Coin;
/// # #[derive(Message)] struct Push;
/// #[derive(Machine)]
/// enum Turnstile {
///     #[initial] #[on(Coin => Unlocked)] #[discard(Push)] Locked,
///     #[on(Push => Locked)] Unlocked,
/// }
/// # impl TurnstileHandlers for () {}
/// assert_eq!(
///     lockstep::table::<Turnstile>(),
///     "| state \\ message | `Coin` | `Push` |\n\
///      |---|---|---|\n\
///      | `Locked` (initial) | → Unlocked | discard |\n\
///      | `Unlocked` | reject | → Locked |\n"
/// );
/// ```
#[must_use]
pub fn table<Mc: Machine>() -> String {
    let width = Mc::MESSAGES.len();
    let mut cells = alloc::vec![None; Mc::STATES.len() * width];
    for cell in Mc::cells() {
        let slot = cell.state.index() * width + cell.message.index();
        cells[slot] = Some(cell);
    }
    let mut out = String::from("| state \\ message |");
    for message in Mc::MESSAGES {
        let _ = write!(out, " `{message}` |");
    }
    out.push_str("\n|---|");
    for _ in Mc::MESSAGES {
        out.push_str("---|");
    }
    for (s, state) in Mc::STATES.iter().enumerate() {
        let _ = write!(out, "\n| `{}`", state.name);
        if s == Mc::INITIAL.index() {
            out.push_str(" (initial)");
        }
        if state.is_terminal {
            out.push_str(" (terminal)");
        }
        out.push_str(" |");
        for (m, cell) in cells[s * width..(s + 1) * width].iter().enumerate() {
            // A superstate offers the messages its substate machine takes to it first.
            if let Some(inner) = state.substates
                && Mc::MESSAGES[m] != "Timeout"
                && inner.messages.contains(&Mc::MESSAGES[m])
            {
                let _ = write!(out, " `{}` first, else", inner.name);
            }
            match cell.as_ref().map(|c| (c.kind, c.targets.clone())) {
                Some((CellKind::Move, targets)) => {
                    out.push_str(" →");
                    for (i, t) in targets.enumerate() {
                        let sep = if i == 0 { " " } else { " \\| " };
                        let _ = write!(out, "{sep}{}", Mc::STATES[t.index()].name);
                    }
                    out.push_str(" |");
                }
                Some((CellKind::Stay, _)) => out.push_str(" stay |"),
                Some((CellKind::Discard, _)) => out.push_str(" discard |"),
                Some((CellKind::Defer, _)) => out.push_str(" defer |"),
                Some((CellKind::Reject | CellKind::Forward, _)) | None => {
                    out.push_str(" reject |");
                }
            }
        }
    }
    out.push('\n');
    out
}

/// The state diagram in Mermaid syntax (`stateDiagram-v2`), with every superstate drawn as a
/// composite state holding its substate machine's diagram (`state Active { .. }`), to any depth.
/// For a flat machine it is the derive's `MERMAID` constant; a derive sees one enum, so only this
/// run-time walk of [`StateInfo::substates`](crate::StateInfo::substates) can draw the substates.
///
/// A state's own timeout is labelled `Timeout` (the derive's constant writes its duration).
#[must_use]
pub fn mermaid<Mc: Machine>() -> String {
    let mut out = String::from("stateDiagram-v2\n");
    diagram(&MachineInfo::of::<Mc>(), 1, &mut out);
    out
}

fn diagram(machine: &MachineInfo, depth: usize, out: &mut String) {
    let indent = "    ".repeat(depth);
    let name = |i: crate::StateId| machine.states[i.index()].name;
    let _ = writeln!(out, "{indent}[*] --> {}", name(machine.initial));
    // One edge per (from, to), its labels in declaration order, as the derive draws them.
    let mut edges: alloc::vec::Vec<(crate::StateId, crate::StateId, String)> = alloc::vec![];
    let mut label =
        |from, to, text: &str| match edges.iter_mut().find(|(f, t, _)| *f == from && *t == to) {
            Some((_, _, labels)) => {
                labels.push_str(", ");
                labels.push_str(text);
            }
            None => edges.push((from, to, String::from(text))),
        };
    for cell in machine.cells() {
        let message = machine.messages[cell.message.index()];
        match cell.kind {
            CellKind::Move => {
                for to in cell.targets {
                    label(cell.state, to, message);
                }
            }
            CellKind::Stay => label(cell.state, cell.state, &alloc::format!("{message} (stay)")),
            _ => {}
        }
    }
    for (from, to, labels) in &edges {
        let _ = writeln!(out, "{indent}{} --> {}: {labels}", name(*from), name(*to));
    }
    for state in machine.states.iter().filter(|s| s.is_terminal) {
        let _ = writeln!(out, "{indent}{} --> [*]", state.name);
    }
    for state in machine.states {
        if let Some(inner) = state.substates {
            let _ = writeln!(out, "{indent}state {} {{", state.name);
            diagram(inner, depth + 1, out);
            let _ = writeln!(out, "{indent}}}");
        }
    }
}
