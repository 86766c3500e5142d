//! What a machine's context keeps to act through its own actor: effects whose results come back
//! as messages, and internal events that run before the next mailbox message.

use core::future::Future;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::sync::mpsc;

use super::handle::Actor;
use super::mail::{Asked, Envelope, Mail};
use super::shared::{DeadReason, Shared};
use crate::machine::{AcceptedBy, Bare, Machine};

/// The actor as its own machine sees it. Given to the context's factory
/// ([`Actor::builder_with`](super::Actor::builder_with)); keep it in the context to start effects
/// and raise events from handlers.
///
/// It does not keep the actor alive: an actor whose handles are all dropped ends even if its
/// context holds a `Me`.
pub struct Me<Mc: Machine> {
    pub(crate) mailbox: mpsc::WeakSender<Mail<Mc>>,
    pub(crate) shared: Arc<Shared<Mc>>,
}

impl<Mc: Machine> Clone for Me<Mc> {
    fn clone(&self) -> Self {
        Me {
            mailbox: self.mailbox.clone(),
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<Mc: Machine> core::fmt::Debug for Me<Mc> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Me")
            .field("machine", &Mc::NAME)
            .finish_non_exhaustive()
    }
}

impl<Mc: Machine> Me<Mc> {
    /// Raises an internal event: `message` runs right after the current handler's message (and
    /// any events raised before it), before the next message from the mailbox. Meant for
    /// handlers; raised from elsewhere (an effect, another task), it runs after the message the
    /// actor is running, or at once if the actor is idle.
    ///
    /// # Errors
    /// Hands the message back if the queue of raised events is full (it has the deferred
    /// queue's capacity), or the actor has ended.
    pub fn raise<M: AcceptedBy<Mc>>(&self, message: M) -> Result<(), M> {
        let mut raised = self
            .shared
            .raised
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if raised.len() >= self.shared.queue_capacity || self.shared.ended.load(Ordering::Acquire) {
            return Err(message);
        }
        raised.push_back(M::input::<Asked>(Envelope {
            message,
            reply: None,
        }));
        self.shared.raised_any.store(true, Ordering::Release);
        drop(raised);
        // Raised from a handler, the event runs right after it; raised from elsewhere, the actor
        // may be idle: a wake-up makes it look. (If the mailbox is full, the actor is busy and
        // looks after its next message anyway.)
        if let Some(mailbox) = self.mailbox.upgrade() {
            let _ = mailbox.try_send(Mail::Wake);
        }
        Ok(())
    }

    /// Starts async work on the current tokio runtime; its result comes back through the
    /// mailbox as a message, so no handler awaits while it holds the state. Until it finishes,
    /// the work keeps the actor alive. If the actor has stopped by then, the result goes to the
    /// dead-letter hook.
    pub fn spawn<M, F>(&self, work: F)
    where
        M: AcceptedBy<Mc> + Send + 'static,
        F: Future<Output = M> + Send + 'static,
        Mc: 'static,
        Mc::Input<Asked>: Send,
        Mc::Input<Bare>: Send,
    {
        let mailbox = self.mailbox.upgrade();
        let shared = Arc::clone(&self.shared);
        tokio::spawn(async move {
            let message = work.await;
            let permit = match &mailbox {
                Some(mailbox) => mailbox.reserve().await.ok(),
                None => None,
            };
            match permit {
                Some(permit) => permit.send(Mail::Message(M::input::<Asked>(Envelope {
                    message,
                    reply: None,
                }))),
                None => {
                    shared
                        .dead_letter_outside(M::input::<Bare>(message), DeadReason::Undeliverable);
                }
            }
        });
    }

    /// A handle to the actor, if it still runs (e.g. to give to another actor as a reply address).
    #[must_use]
    pub fn actor(&self) -> Option<Actor<Mc>> {
        Some(Actor {
            mailbox: self.mailbox.upgrade()?,
            shared: Arc::clone(&self.shared),
        })
    }
}
