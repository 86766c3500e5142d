//! Paths the generated code uses. Not public API: no semver guarantees.

pub use core;
pub use core::marker::PhantomData;
pub use core::option::Option::{self, None, Some};
pub use core::result::Result::{self, Err, Ok};

/// The reply of a discarded message: `()`. The bound is the check: only [`Tell`](crate::Tell) messages
/// may be discarded, and the error is spanned on the user's `#[discard(..)]`.
#[inline(always)]
#[must_use]
pub fn discarded<M: crate::Tell>() -> M::Reply {}

/// The bound of a typestate value's `send`, written on the message (`M: Sent<State>`) rather than
/// on the state (`State: Transition<M>`): the compiler then learns `M` from the argument. With the
/// bound on the state, a state with a single cell makes rustc take `M` from that one impl and report
/// "expected `Coin`, found `Push`" instead of [`Transition`](crate::Transition)'s "state does not
/// accept" error.
pub trait Sent<S>: crate::Message {
    /// The state's context.
    type Context;
    /// The state after the message.
    type Next;
    /// Runs `state`'s cell for this message.
    fn send_to(
        self,
        state: S,
        context: &mut <Self as Sent<S>>::Context,
    ) -> Self::WithReply<<Self as Sent<S>>::Next>;
}

impl<M: crate::Message, S: crate::Transition<M>> Sent<S> for M {
    type Context = S::Context;
    type Next = S::Next;
    #[inline]
    fn send_to(self, state: S, context: &mut S::Context) -> M::WithReply<S::Next> {
        state.send(context, self)
    }
}
