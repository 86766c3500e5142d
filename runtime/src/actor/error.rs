//! What an actor hands back when it cannot take a message, and how an actor ends badly.

use core::fmt;
use std::time::Duration;

use crate::outcome::Rejected;

/// A handler panicked: where, and on what.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Panicked {
    /// The machine's type name.
    pub machine: &'static str,
    /// The state the machine was in when the handler ran.
    pub state: &'static str,
    /// The message the handler was given (`"<start>"` for the first state's enter hook,
    /// `"<restart factory>"` when the restart factory panicked).
    pub message: &'static str,
    /// The panic's message, if it was a string.
    pub payload: String,
}

impl fmt::Display for Panicked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} panicked in state `{}` handling `{}`: {}",
            self.machine, self.state, self.message, self.payload
        )
    }
}

impl std::error::Error for Panicked {}

/// Why an actor stopped taking messages.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StopCause {
    /// [`Actor::stop`](super::Actor::stop) was called.
    Requested,
    /// A handler panicked, and no restart was left.
    Panicked(Panicked),
    /// The machine entered a `#[terminal]` state, which accepts nothing.
    Finished {
        /// The terminal state.
        state: &'static str,
    },
    /// Every handle was dropped, or the actor's task was cancelled (its runtime shut down).
    Ended,
    /// A persisted actor could not commit: its memory is ahead of its store, so it stopped.
    /// Spawn it again to resume from the last commit.
    #[cfg(feature = "persist")]
    Unrecorded(Unrecorded),
}

impl fmt::Display for StopCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Requested => f.write_str("it was asked to stop"),
            Self::Panicked(panic) => write!(f, "{panic}"),
            Self::Finished { state } => write!(f, "it reached the terminal state `{state}`"),
            Self::Ended => f.write_str("it ended"),
            #[cfg(feature = "persist")]
            Self::Unrecorded(why) => write!(f, "{why}"),
        }
    }
}

/// A `tell` that did not reach the mailbox; the message is handed back.
#[non_exhaustive]
pub enum TellError<M> {
    /// The mailbox is full and the actor fails fast ([`Overflow::FailFast`](super::Overflow)).
    MailboxFull(M),
    /// The actor has stopped.
    Stopped(M),
}

impl<M> TellError<M> {
    /// Takes the message back.
    pub fn into_message(self) -> M {
        match self {
            Self::MailboxFull(m) | Self::Stopped(m) => m,
        }
    }
}

impl<M> fmt::Debug for TellError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MailboxFull(_) => f.write_str("MailboxFull(..)"),
            Self::Stopped(_) => f.write_str("Stopped(..)"),
        }
    }
}

impl<M> fmt::Display for TellError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MailboxFull(_) => f.write_str("the actor's mailbox is full"),
            Self::Stopped(_) => f.write_str("the actor has stopped"),
        }
    }
}

impl<M> std::error::Error for TellError<M> {}

/// An `ask` that got no reply. Every variant that still has the message hands it back.
#[non_exhaustive]
pub enum AskError<M> {
    /// The current state does not take the message (or defers it and the deferred queue is
    /// full): its name, what it accepts, and the message.
    Rejected(Rejected<M>),
    /// The message did not get into the mailbox: it was full and the actor fails fast
    /// ([`Overflow::FailFast`](super::Overflow)), or the ask's timeout passed while it waited
    /// for room.
    MailboxFull(M),
    /// The actor stopped before it ran the message: the message is handed back if the actor
    /// still had it (it always does, unless the actor's task was cancelled).
    Stopped {
        /// The message, if the actor gave it back.
        message: Option<M>,
        /// Why the actor stopped.
        cause: StopCause,
    },
    /// No reply within the ask's timeout. The message is still in the actor's queue and may yet
    /// run; its reply is then dropped.
    Timeout(Duration),
    /// This message's handler panicked (and took the message with it).
    Panicked(Panicked),
    /// A persisted actor ran the message but could not make the result durable, so the reply is
    /// withheld: the message may or may not be reflected in the store (see [`Unrecorded`]).
    #[cfg(feature = "persist")]
    Unrecorded(Unrecorded),
}

impl<M> AskError<M> {
    /// The message, if this error carries it.
    pub fn into_message(self) -> Option<M> {
        match self {
            Self::Rejected(r) => Some(r.message),
            Self::MailboxFull(m) => Some(m),
            Self::Stopped { message, .. } => message,
            Self::Timeout(_) | Self::Panicked(_) => None,
            #[cfg(feature = "persist")]
            Self::Unrecorded(_) => None,
        }
    }
}

impl<M> fmt::Debug for AskError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rejected(r) => f.debug_tuple("Rejected").field(r).finish(),
            Self::MailboxFull(_) => f.write_str("MailboxFull(..)"),
            Self::Stopped { message, cause } => f
                .debug_struct("Stopped")
                .field("message", &message.as_ref().map(|_| ".."))
                .field("cause", cause)
                .finish(),
            Self::Timeout(d) => f.debug_tuple("Timeout").field(d).finish(),
            Self::Panicked(p) => f.debug_tuple("Panicked").field(p).finish(),
            #[cfg(feature = "persist")]
            Self::Unrecorded(u) => f.debug_tuple("Unrecorded").field(u).finish(),
        }
    }
}

impl<M> fmt::Display for AskError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rejected(r) => write!(f, "{r}"),
            Self::MailboxFull(_) => f.write_str("the actor's mailbox is full"),
            Self::Stopped { cause, .. } => write!(f, "the actor stopped: {cause}"),
            Self::Timeout(d) => write!(f, "no reply within {d:?}"),
            Self::Panicked(p) => write!(f, "{p}"),
            #[cfg(feature = "persist")]
            Self::Unrecorded(u) => write!(f, "{u}"),
        }
    }
}

impl<M> std::error::Error for AskError<M> {}

/// How an actor ended badly: what its [`Join`](super::Join) yields instead of the final state.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failed {
    /// A handler (or the restart factory) panicked and no restart was left.
    Panicked {
        /// The last panic.
        panic: Panicked,
        /// How many times the actor was restarted before.
        restarts: u32,
    },
    /// The actor's task was cancelled (its runtime shut down).
    Aborted,
    /// A persisted actor could not commit and stopped; the store holds its last commit.
    #[cfg(feature = "persist")]
    Unrecorded(Unrecorded),
}

impl fmt::Display for Failed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Panicked { panic, restarts } => {
                write!(f, "{panic} (after {restarts} restarts)")
            }
            Self::Aborted => f.write_str("the actor's task was cancelled or panicked"),
            #[cfg(feature = "persist")]
            Self::Unrecorded(u) => write!(f, "{u}"),
        }
    }
}

impl std::error::Error for Failed {}

/// Why a persisted actor withheld a reply: the message ran, but its result is not known to be
/// durable. Cheap to clone (the store's error is shared).
#[cfg(feature = "persist")]
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Unrecorded {
    /// The store failed the commit of the message's batch (or fenced this actor off: another
    /// owner took its key). The actor stopped. Whether the batch reached the disk is unknown
    /// only if the store failed in the middle of its own commit; a fenced or refused commit wrote
    /// nothing.
    Commit(std::sync::Arc<crate::persist::StoreError>),
    /// The machine or its context could not be encoded (a `Serialize` impl failed). Nothing was
    /// written; the actor stopped.
    Encode(std::sync::Arc<str>),
    /// A later message of the same batch panicked before the batch was committed, so none of it
    /// was: the actor restarts from its last commit (with a restart policy) or stops.
    Abandoned(Panicked),
}

#[cfg(feature = "persist")]
impl PartialEq for Unrecorded {
    /// Same kind and same text: store errors are compared by what they say.
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Commit(a), Self::Commit(b)) => a.to_string() == b.to_string(),
            (Self::Encode(a), Self::Encode(b)) => a == b,
            (Self::Abandoned(a), Self::Abandoned(b)) => a == b,
            _ => false,
        }
    }
}

#[cfg(feature = "persist")]
impl Eq for Unrecorded {}

#[cfg(feature = "persist")]
impl fmt::Display for Unrecorded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Commit(error) => write!(f, "the commit failed: {error}"),
            Self::Encode(error) => write!(f, "the state could not be encoded: {error}"),
            Self::Abandoned(panic) => write!(
                f,
                "not committed: a later message of the same batch panicked ({panic})"
            ),
        }
    }
}

#[cfg(feature = "persist")]
impl std::error::Error for Unrecorded {}
