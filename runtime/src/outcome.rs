//! What one dispatch did, and the typed rejection that hands a message back.

use core::fmt;

use crate::hierarchy::StatePath;
use crate::machine::StateId;
use crate::message::Message;

/// What dispatching one message did. Returned by [`Accepts::dispatch`](crate::Accepts::dispatch)
/// together with the machine.
///
/// Every variant that did not run a handler hands the message back, so nothing is lost.
#[must_use = "an outcome may hand a deferred or rejected message back"]
pub enum Outcome<M: Message> {
    /// A cell `#[on(M => T)]` ran and the machine moved (possibly to the same state: a
    /// self-transition, which exits and re-enters).
    Moved {
        /// The state before.
        from: StateId,
        /// The state after.
        to: StateId,
        /// Where the move happened: 0 when this machine's own state changed; `n` when the
        /// substate machine `n` levels in moved and every level outside it stayed (then `from`
        /// and `to` are both the superstate). A driver re-arms the timers of this level and
        /// the levels inside it, and keeps the outer ones running.
        level: u8,
        /// The handler's reply.
        reply: M::Reply,
    },
    /// A cell `#[on(M)]` ran and the machine stayed in its state.
    Stayed {
        /// The state the machine is in.
        state: StateId,
        /// The handler's reply.
        reply: M::Reply,
    },
    /// The state discards `M` on purpose (`#[discard(M)]`); the message was dropped. Only messages
    /// without a reply can be discarded by a cell, so there `reply` is `()`. An
    /// [`ExactlyOnce`](crate::ExactlyOnce) machine also drops a duplicate envelope this way, with
    /// the reply the first delivery got.
    Discarded {
        /// The state the machine is in.
        state: StateId,
        /// `()` for a discard cell; the original reply for a duplicate envelope.
        reply: M::Reply,
    },
    /// The state defers `M` (`#[defer(M)]`): keep it and retry after the next state change.
    Deferred {
        /// The state the machine is in.
        state: StateId,
        /// The message, handed back to whoever keeps the deferred queue.
        message: M,
    },
    /// The machine did not take `M`: the state declares no cell for it ([`Reason::NotAccepted`]),
    /// or a wrapper such as [`ExactlyOnce`](crate::ExactlyOnce) refused it for another
    /// [`Reason`] (a duplicate whose reply is no longer kept, a gap in the sequence).
    Rejected {
        /// The state the machine is in.
        state: StateId,
        /// The message, handed back intact.
        message: M,
        /// Why it was not taken.
        reason: Reason,
    },
}

impl<M: Message> Outcome<M> {
    /// The state the machine is in after the dispatch.
    pub fn state(&self) -> StateId {
        match self {
            Self::Moved { to, .. } => *to,
            Self::Stayed { state, .. }
            | Self::Discarded { state, .. }
            | Self::Deferred { state, .. }
            | Self::Rejected { state, .. } => *state,
        }
    }

    /// Whether the machine changed state (a self-transition counts: it left and re-entered), at
    /// any level.
    pub fn changed_state(&self) -> bool {
        matches!(self, Self::Moved { .. })
    }

    /// The outermost level whose state changed (see [`Outcome::Moved::level`]), or `None`.
    pub fn changed_level(&self) -> Option<usize> {
        match self {
            Self::Moved { level, .. } => Some(usize::from(*level)),
            _ => None,
        }
    }

    /// The short name of the outcome's kind, for traces and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Moved { .. } => "moved",
            Self::Stayed { .. } => "stayed",
            Self::Discarded { .. } => "discarded",
            Self::Deferred { .. } => "deferred",
            Self::Rejected { .. } => "rejected",
        }
    }
}

impl<M: Message> fmt::Debug for Outcome<M>
where
    M::Reply: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Moved {
                from,
                to,
                level,
                reply,
            } => f
                .debug_struct("Moved")
                .field("from", from)
                .field("to", to)
                .field("level", level)
                .field("reply", reply)
                .finish(),
            Self::Stayed { state, reply } => f
                .debug_struct("Stayed")
                .field("state", state)
                .field("reply", reply)
                .finish(),
            Self::Discarded { state, .. } => {
                f.debug_struct("Discarded").field("state", state).finish()
            }
            Self::Deferred { state, .. } => f
                .debug_struct("Deferred")
                .field("state", state)
                .field("message", &M::NAME)
                .finish_non_exhaustive(),
            Self::Rejected { state, .. } => f
                .debug_struct("Rejected")
                .field("state", state)
                .field("message", &M::NAME)
                .finish_non_exhaustive(),
        }
    }
}

/// Why a message was handed back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum Reason {
    /// The current state declares no cell for the message.
    NotAccepted,
    /// The current state defers the message, and this caller cannot wait for the state to change
    /// (a synchronous `send`; use `post` to queue it instead).
    Deferred,
    /// The deferred queue is full.
    DeferQueueFull,
    /// A handler panicked earlier and the machine's state was lost with it.
    Poisoned,
    /// An [`Envelope`](crate::Envelope) whose sequence number its sender used already, and
    /// whose reply [`ExactlyOnce`](crate::ExactlyOnce) no longer keeps (it is older than the
    /// window). The message *was* applied once; only its reply is lost.
    DuplicateTooOld {
        /// The next sequence number the machine expects from that sender.
        expected: u64,
    },
    /// An [`Envelope`](crate::Envelope) whose sequence number is past the next one expected from
    /// its sender, to a machine that rejects gaps ([`Gaps::Reject`](crate::Gaps::Reject)):
    /// resend from `expected`.
    Gap {
        /// The next sequence number the machine expects from that sender.
        expected: u64,
    },
    /// An [`Envelope`](crate::Envelope) whose sequence number its sender used already for a
    /// message of another type: the sender numbers its messages wrongly.
    SequenceReused {
        /// The next sequence number the machine expects from that sender.
        expected: u64,
    },
}

/// A message the machine did not take, handed back with where and why.
///
/// ```
/// # use lockstep::{Rejected, Reason};
/// # struct Refund;
/// # fn demo(rejected: Rejected<Refund>) {
/// let Rejected { state, message, .. } = rejected; // the message is yours again
/// # let _ = (state, message);
/// # }
/// ```
pub struct Rejected<M> {
    /// The machine's type name.
    pub machine: &'static str,
    /// The state the machine was in, every level of it (`Active/Streaming`; `<poisoned>` when
    /// [`Reason::Poisoned`]). Compares with a `&str`: `rejected.state == "Locked"`.
    pub state: StatePath,
    /// Why the message was not taken.
    pub reason: Reason,
    /// The message, intact.
    pub message: M,
}

impl<M> Rejected<M> {
    /// The messages the state takes (`on` cells), to say what would have worked: every level's,
    /// innermost first.
    pub fn accepted(&self) -> impl Iterator<Item = &'static str> + use<M> {
        self.state.accepted()
    }

    /// Takes the message back.
    pub fn into_message(self) -> M {
        self.message
    }

    /// The same rejection carrying another value, e.g. to erase the message for an error chain.
    pub fn map<N>(self, f: impl FnOnce(M) -> N) -> Rejected<N> {
        Rejected {
            machine: self.machine,
            state: self.state,
            reason: self.reason,
            message: f(self.message),
        }
    }
}

fn type_name_tail<M>() -> &'static str {
    // An envelope is named by the message it carries: "does not accept `Pay`", not `Envelope`.
    let full = core::any::type_name::<M>();
    let full = full
        .strip_prefix("lockstep::exactly_once::Envelope<")
        .and_then(|inner| inner.strip_suffix('>'))
        .unwrap_or(full);
    let head = full.split('<').next().unwrap_or(full);
    head.rsplit("::").next().unwrap_or(head)
}

impl<M> fmt::Display for Rejected<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let message = type_name_tail::<M>();
        let (machine, state) = (self.machine, self.state);
        match self.reason {
            Reason::NotAccepted => {
                write!(
                    f,
                    "{machine} in state `{state}` does not accept `{message}`"
                )?;
                if self.accepted().next().is_none() {
                    write!(f, "; `{state}` accepts no message")
                } else {
                    write!(f, "; `{state}` accepts ")?;
                    for (i, name) in self.accepted().enumerate() {
                        let sep = if i == 0 { "" } else { ", " };
                        write!(f, "{sep}`{name}`")?;
                    }
                    Ok(())
                }
            }
            Reason::Deferred => write!(
                f,
                "{machine} in state `{state}` defers `{message}` until its state changes; \
                 queue it with `post` or send it after the state changed"
            ),
            Reason::DeferQueueFull => write!(
                f,
                "{machine} in state `{state}` defers `{message}`, but its deferred queue is full"
            ),
            Reason::Poisoned => write!(
                f,
                "{machine} cannot take `{message}`: a handler panicked earlier and its state was lost"
            ),
            Reason::DuplicateTooOld { expected } => write!(
                f,
                "{machine} applied this `{message}` already, and its reply is older than the \
                 window it keeps (the sender's next expected sequence number is {expected})"
            ),
            Reason::Gap { expected } => write!(
                f,
                "{machine} rejects this `{message}`: its sequence number skips ahead, and the \
                 next one expected from its sender is {expected}; resend from there"
            ),
            Reason::SequenceReused { expected } => write!(
                f,
                "{machine} rejects this `{message}`: its sender used its sequence number already \
                 for another message type (next expected: {expected})"
            ),
        }
    }
}

impl<M> fmt::Debug for Rejected<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rejected")
            .field("machine", &self.machine)
            .field("state", &self.state)
            .field("reason", &self.reason)
            .field("message", &type_name_tail::<M>())
            .finish_non_exhaustive()
    }
}

impl<M> core::error::Error for Rejected<M> {}

// By every field, so a test can compare a whole `Result<Reply, Rejected<M>>`.
impl<M: PartialEq> PartialEq for Rejected<M> {
    fn eq(&self, other: &Self) -> bool {
        self.machine == other.machine
            && self.state == other.state
            && self.reason == other.reason
            && self.message == other.message
    }
}

impl<M: Eq> Eq for Rejected<M> {}
