//! What travels through an actor's mailbox: a message with its reply slot, or a control mail.

use tokio::sync::oneshot;

use super::error::AskError;
use crate::machine::{Carrier, Machine, StateId};
use crate::message::Message;

/// The [`Carrier`] of an actor's queues: each message travels with the slot its reply goes to
/// (none for a `tell`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Asked;

impl Carrier for Asked {
    type Of<M: Message> = Envelope<M>;
}

/// A message in an actor's mailbox, with the slot its reply goes to (none for a `tell`).
pub struct Envelope<M: Message> {
    pub(crate) message: M,
    pub(crate) reply: Option<ReplyTo<M>>,
}

impl<M: Message> Envelope<M> {
    /// The message.
    pub fn message(&self) -> &M {
        &self.message
    }

    /// Whether a caller waits for the reply (an `ask`).
    pub fn is_asked(&self) -> bool {
        self.reply.is_some()
    }
}

impl<M: Message + core::fmt::Debug> core::fmt::Debug for Envelope<M> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Envelope")
            .field("message", &self.message)
            .field("asked", &self.reply.is_some())
            .finish()
    }
}

/// The error is boxed: it is rare, and large (it carries the message); the reply is what every
/// round trip moves.
pub(crate) type ReplyTo<M> = oneshot::Sender<Result<<M as Message>::Reply, Box<AskError<M>>>>;

/// One item of the mailbox. Timers and stop requests travel in line with messages, so the loop
/// waits on one queue only, and a stop takes its place behind what was sent before it.
pub(crate) enum Mail<Mc: Machine> {
    Message(Mc::Input<Asked>),
    /// A state timeout armed in the visit numbered `epoch`.
    Timeout {
        epoch: u64,
    },
    /// Acknowledged once the mailbox is closed.
    Stop(oneshot::Sender<()>),
    State(oneshot::Sender<StateId>),
    /// An event was raised from outside a handler: run it even if no other mail comes.
    Wake,
}
