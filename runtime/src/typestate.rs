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

/// A message that state `S` handles now: [`Transition`] written on the message (`M: HandledBy<S>`),
/// implemented for every `M` with `S: Transition<M>`. It is the bound of the typestate `send` and
/// of an actor session's `ask`.
///
/// Written on the message rather than as `S: Transition<M>` so that the compiler takes `M` from
/// the argument: with the bound on the state, a state with a single cell makes rustc read `M` off
/// that one impl and report "expected `Coin`, found `Push`" instead of [`Transition`]'s "state does
/// not accept" error.
pub trait HandledBy<S>: Message {
    /// The state's context.
    type Context;
    /// The state after the message.
    type Next;
    /// Runs `state`'s cell for this message.
    #[doc(hidden)]
    fn send_to(
        self,
        state: S,
        context: &mut <Self as HandledBy<S>>::Context,
    ) -> Self::WithReply<<Self as HandledBy<S>>::Next>;
}

impl<M: Message, S: Transition<M>> HandledBy<S> for M {
    type Context = S::Context;
    type Next = S::Next;
    #[inline]
    fn send_to(self, state: S, context: &mut S::Context) -> M::WithReply<S::Next> {
        state.send(context, self)
    }
}
