//! Compile-time rejection: a value whose type names the state, on which only the messages that
//! state accepts compile.
//!
//! With `#[machine(typestate)]`, `#[derive(Machine)]` generates one struct per state, named after the
//! machine and the state (`TurnstileLocked`, `TurnstileUnlocked(pub Paid)`), each with a `send`
//! method bounded by [`Transition`].

use crate::machine::{Machine, StateId};
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

/// A state struct of a `#[machine(typestate)]` machine: which machine and which state it is.
pub trait TypedState: Sized {
    /// The machine.
    type Machine: Machine;
    /// The state.
    const STATE: StateId;
}
