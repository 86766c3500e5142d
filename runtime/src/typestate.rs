//! Compile-time rejection: a value whose type names the state, on which only the messages that
//! state accepts compile.
//!
//! `#[derive(Machine)]` generates one struct per state, named after the machine and the state
//! (`TurnstileLocked`, `TurnstileUnlocked(Paid)`), each with a `send` method bounded by [`Transition`].

use crate::message::Message;

/// A state (as its generated struct) that accepts `M`, and what it becomes.
#[diagnostic::on_unimplemented(
    message = "state `{Self}` does not accept `{M}`",
    label = "`{Self}` has no `on` or `discard` cell for `{M}`",
    note = "a typestate value only takes the messages its state handles now; a deferred or undeclared message needs the dynamic machine (`Driver::send`, or `Accepts::dispatch` on the enum)"
)]
pub trait Transition<M: Message>: Sized {
    /// The machine's context, whose handlers run.
    type Context;
    /// The state (or the enum of possible states) after `M`.
    type Next;
    /// Runs the cell's handler.
    fn send(self, context: &mut Self::Context, message: M) -> M::WithReply<Self::Next>;
}

/// A state that a cell with several targets (`#[on(M => A | B)]`) may go to. The cell's enum is built
/// only from its declared targets.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a declared target of `{Cell}`",
    label = "this cell's `#[on(..)]` attribute does not list `{Self}`",
    note = "`{Cell}` can only be built from the states its `#[on(Message => A | B)]` lists; add the state there to allow the move"
)]
pub trait Target<Cell>: Sized {
    /// Wraps the state into the cell's enum.
    fn into_cell(self) -> Cell;
}
