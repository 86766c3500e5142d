//! Descriptions of a machine built at run time from its static tables
//! ([`Machine::STATES`], [`Machine::MESSAGES`], [`Machine::cells`]), so they cost nothing to compile.

use alloc::string::String;
use core::fmt::Write as _;

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
        for cell in &cells[s * width..(s + 1) * width] {
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
                Some((CellKind::Reject, _)) | None => out.push_str(" reject |"),
            }
        }
    }
    out.push('\n');
    out
}
