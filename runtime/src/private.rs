//! Paths the generated code uses. Not public API: no semver guarantees.

pub use core;
pub use core::marker::PhantomData;
pub use core::option::Option::{self, None, Some};
pub use core::result::Result::{self, Err, Ok};
pub use core::time::Duration;

/// The reply of a discarded message: `()`. The bound is the check: only [`Tell`](crate::Tell) messages
/// may be discarded, and the error is spanned on the user's `#[discard(..)]`.
#[inline]
#[must_use]
pub fn discarded<M: crate::Tell>() -> M::Reply {}

/// The body of a provided handler method: drops the state's data and the message, and replies `()`
/// (a message with a reply fails the build here instead, naming the message).
#[inline]
pub fn provided<H: ?Sized, M: crate::Message, S>(state: S, message: M) -> M::Reply {
    drop((state, message));
    M::__provided_reply::<H>()
}

// Short constructors, so each of the ~1,000 arms of a large machine's dispatch is a few tokens:
// the proc-macro bridge and rustc's parser pay per token on every build.

/// `Outcome::Moved`.
#[inline]
pub const fn moved<M: crate::Message>(from: u16, to: u16, reply: M::Reply) -> crate::Outcome<M> {
    crate::Outcome::Moved {
        from: crate::StateId(from),
        to: crate::StateId(to),
        level: 0,
        reply,
    }
}

pub use crate::hierarchy::{ForwardedTo, SubstatesOf, all_listed, ctx, forward, forward_timeout};

/// The timeout for the substate machine one level down, or `None` (with the timeout handed back)
/// when it is this level's own.
#[inline]
pub fn deeper(timeout: crate::Timeout) -> Result<crate::Timeout, crate::Timeout> {
    timeout.deeper().ok_or(timeout)
}

/// `Outcome::Stayed`.
#[inline]
pub const fn stayed<M: crate::Message>(state: u16, reply: M::Reply) -> crate::Outcome<M> {
    crate::Outcome::Stayed {
        state: crate::StateId(state),
        reply,
    }
}

/// `Outcome::Discarded`; the bound is the check that only `Tell` messages are discarded.
#[inline]
pub fn discard<M: crate::Tell>(state: u16, message: M) -> crate::Outcome<M> {
    drop(message);
    crate::Outcome::Discarded {
        state: crate::StateId(state),
        reply: (),
    }
}

/// `Outcome::Deferred`.
#[inline]
pub const fn deferred<M: crate::Message>(state: u16, message: M) -> crate::Outcome<M> {
    crate::Outcome::Deferred {
        state: crate::StateId(state),
        message,
    }
}

/// `Outcome::Rejected` in the machine's current state.
#[inline]
pub fn reject<Mc: crate::Machine, M: crate::Message>(
    machine: Mc,
    message: M,
) -> (Mc, crate::Outcome<M>) {
    let state = machine.state();
    (machine, crate::Outcome::Rejected { state, message })
}

/// `Message::split_reply`, with the message type named once.
#[inline]
pub fn split<M: crate::Message, T>(with: M::WithReply<T>) -> (T, M::Reply) {
    M::split_reply(with)
}

/// `Message::join_reply`, with the message type named once.
#[inline]
pub fn join<M: crate::Message, T>(value: T, reply: M::Reply) -> M::WithReply<T> {
    M::join_reply(value, reply)
}

/// What carrier `C` keeps for message `M`.
pub type Of<C, M> = <C as crate::Carrier>::Of<M>;
