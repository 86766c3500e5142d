//! The handle senders hold, and the join handle that yields how the actor ended.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::builder::Builder;
use super::error::{AskError, Failed, TellError};
use super::mail::{Asked, Envelope, Mail};
use super::me::Me;
use super::shared::{Metrics, Shared};
use crate::machine::{AcceptedBy, Machine, StateId};

/// A handle to a running actor: send it messages. Clone it for more senders; the actor ends when
/// every handle is dropped (after running what is queued).
///
/// `tell` and `ask` take only the message types the machine accepts in some state; `ask` returns
/// the message's reply type.
pub struct Actor<Mc: Machine> {
    pub(crate) mailbox: mpsc::Sender<Mail<Mc>>,
    pub(crate) shared: Arc<Shared<Mc>>,
}

impl<Mc: Machine> Clone for Actor<Mc> {
    fn clone(&self) -> Self {
        Actor {
            mailbox: self.mailbox.clone(),
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<Mc: Machine> core::fmt::Debug for Actor<Mc> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Actor")
            .field("machine", &Mc::NAME)
            .field("stopped", &self.mailbox.is_closed())
            .finish_non_exhaustive()
    }
}

impl<Mc: Machine + Send + 'static> Actor<Mc>
where
    Mc::Context: Send + 'static,
    Mc::Input<Asked>: Send + 'static,
{
    /// A builder for an actor starting in `state` with `context`.
    pub fn builder(state: Mc, context: Mc::Context) -> Builder<Mc> {
        Builder::new(Box::new(move |_: &Me<Mc>| (state, context)))
    }

    /// A builder whose first state and context are made by `first`, which gets the actor's
    /// [`Me`] to keep in the context (for effects and raised events).
    pub fn builder_with(
        first: impl FnOnce(&Me<Mc>) -> (Mc, Mc::Context) + Send + 'static,
    ) -> Builder<Mc> {
        Builder::new(Box::new(first))
    }
}

impl<Mc: Machine> Actor<Mc> {
    /// Sends a message without waiting for it to run. With [`Overflow::Wait`](super::Overflow)
    /// (the default) this waits for room in the mailbox. A message with a reply may be told: the
    /// reply is dropped.
    ///
    /// # Errors
    /// Hands the message back if the actor has stopped, or the mailbox is full and the actor
    /// fails fast. Once in the mailbox, a message no state takes goes to the dead-letter hook.
    pub async fn tell<M: AcceptedBy<Mc>>(&self, message: M) -> Result<(), TellError<M>> {
        let permit = if self.shared.fail_fast {
            match self.mailbox.try_reserve() {
                Ok(permit) => permit,
                Err(mpsc::error::TrySendError::Full(())) => {
                    return Err(TellError::MailboxFull(message));
                }
                Err(mpsc::error::TrySendError::Closed(())) => {
                    return Err(TellError::Stopped(message));
                }
            }
        } else {
            match self.mailbox.reserve().await {
                Ok(permit) => permit,
                Err(_) => return Err(TellError::Stopped(message)),
            }
        };
        permit.send(Mail::Message(M::input::<Asked>(Envelope {
            message,
            reply: None,
        })));
        Ok(())
    }

    /// Sends a message if the mailbox has room now, whatever the overflow policy: for callers
    /// that cannot wait (a synchronous callback, a `Drop`).
    ///
    /// # Errors
    /// Hands the message back if the mailbox is full or the actor has stopped.
    pub fn try_tell<M: AcceptedBy<Mc>>(&self, message: M) -> Result<(), TellError<M>> {
        match self.mailbox.try_reserve() {
            Ok(permit) => {
                permit.send(Mail::Message(M::input::<Asked>(Envelope {
                    message,
                    reply: None,
                })));
                Ok(())
            }
            Err(mpsc::error::TrySendError::Full(())) => Err(TellError::MailboxFull(message)),
            Err(mpsc::error::TrySendError::Closed(())) => Err(TellError::Stopped(message)),
        }
    }

    /// Sends a message and waits for its reply, at most the actor's default ask timeout.
    ///
    /// # Errors
    /// [`AskError`]: rejected in the current state (with the state's name and the message back),
    /// mailbox full (fail-fast actors), stopped, timed out, or the handler panicked.
    pub async fn ask<M: AcceptedBy<Mc>>(&self, message: M) -> Result<M::Reply, AskError<M>> {
        self.ask_until(message, self.shared.ask_timeout).await
    }

    /// [`ask`](Self::ask) with this call's own timeout.
    ///
    /// # Errors
    /// As [`ask`](Self::ask).
    pub async fn ask_within<M: AcceptedBy<Mc>>(
        &self,
        message: M,
        timeout: Duration,
    ) -> Result<M::Reply, AskError<M>> {
        self.ask_until(message, Some(timeout)).await
    }

    async fn ask_until<M: AcceptedBy<Mc>>(
        &self,
        message: M,
        timeout: Option<Duration>,
    ) -> Result<M::Reply, AskError<M>> {
        // The deadline covers waiting for room in the mailbox too; the message stays ours until
        // a slot is reserved, so a timeout there hands it back. The clock is read only when a
        // wait begins: an ask answered at once never reads it.
        let mut deadline: Option<tokio::time::Instant> = None;
        let mut deadline_at = |after: Duration| {
            // A timeout too far to add to now (`Duration::MAX`) is as good as none: a year.
            *deadline.get_or_insert_with(|| {
                let now = tokio::time::Instant::now();
                now.checked_add(after)
                    .unwrap_or_else(|| now + Duration::from_hours(365 * 24))
            })
        };
        let permit = match self.mailbox.try_reserve() {
            Ok(permit) => permit,
            Err(mpsc::error::TrySendError::Closed(())) => {
                return Err(self.stopped(message));
            }
            Err(mpsc::error::TrySendError::Full(())) if self.shared.fail_fast => {
                return Err(AskError::MailboxFull(message));
            }
            Err(mpsc::error::TrySendError::Full(())) => {
                let reserved = match timeout {
                    Some(after) => {
                        match tokio::time::timeout_at(deadline_at(after), self.mailbox.reserve())
                            .await
                        {
                            Ok(reserved) => reserved,
                            // It never entered the mailbox: hand it back.
                            Err(_) => return Err(AskError::MailboxFull(message)),
                        }
                    }
                    None => self.mailbox.reserve().await,
                };
                match reserved {
                    Ok(permit) => permit,
                    Err(_) => return Err(self.stopped(message)),
                }
            }
        };
        let (reply, answer) = oneshot::channel();
        permit.send(Mail::Message(M::input::<Asked>(Envelope {
            message,
            reply: Some(reply),
        })));
        let mut answer = answer;
        let answered = match timeout {
            // The actor was woken by the send and usually answers before this task runs again:
            // look once more before paying for a timer (registering and cancelling one costs
            // more than the whole round trip on a current-thread runtime).
            Some(after) => match second_look(&mut answer).await {
                Some(answered) => answered,
                None => match tokio::time::timeout_at(deadline_at(after), answer).await {
                    Ok(answered) => answered,
                    Err(_) => return Err(AskError::Timeout(after)),
                },
            },
            None => answer.await,
        };
        match answered {
            Ok(Ok(reply)) => Ok(reply),
            Ok(Err(error)) => Err(*error),
            // The actor dropped the reply slot without answering: its task was cancelled.
            Err(_) => Err(AskError::Stopped {
                message: None,
                cause: self.shared.cause(),
            }),
        }
    }

    fn stopped<M>(&self, message: M) -> AskError<M> {
        AskError::Stopped {
            message: Some(message),
            cause: self.shared.cause(),
        }
    }

    /// Asks the actor to stop, in line, and returns once its mailbox is closed: everything sent
    /// before the stop runs, and so does what other senders queued meanwhile; anything sent after
    /// this returns is handed back. Deferred asks are then answered `Stopped` and deferred tells
    /// go to the dead letters. Await the [`Join`] for the final state.
    pub async fn stop(&self) {
        let (closed, on_close) = oneshot::channel();
        // An actor that already ended has nothing to stop.
        if self.mailbox.send(Mail::Stop(closed)).await.is_ok() {
            let _ = on_close.await;
        }
    }

    /// The state the actor is in once the messages sent before this call have run, or `None`
    /// if it has stopped.
    pub async fn state(&self) -> Option<StateId> {
        let (tx, rx) = oneshot::channel();
        self.mailbox.send(Mail::State(tx)).await.ok()?;
        rx.await.ok()
    }

    /// What the actor has done so far.
    #[must_use]
    pub fn metrics(&self) -> Metrics {
        self.shared.counters.read()
    }

    /// Whether the actor has stopped taking messages.
    #[must_use]
    pub fn is_stopped(&self) -> bool {
        self.mailbox.is_closed()
    }

    /// How many handles to this actor exist (this one included, and running effects).
    #[must_use]
    pub fn handles(&self) -> usize {
        self.mailbox.strong_count()
    }
}

/// How an actor that ended well left its machine.
#[non_exhaustive]
pub struct Final<Mc: Machine> {
    /// The machine in its last state.
    pub machine: Mc,
    /// The context.
    pub context: Mc::Context,
    /// What the actor did.
    pub metrics: Metrics,
}

impl<Mc: Machine> core::fmt::Debug for Final<Mc> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Final")
            .field("state", &self.machine.state_name())
            .field("metrics", &self.metrics)
            .finish_non_exhaustive()
    }
}

/// Resolves when the actor ends: to its final state and context, or to how it failed.
/// Dropping it does not stop the actor.
#[must_use = "await it for the final state, or drop it to let the actor run detached"]
pub struct Join<Mc: Machine> {
    pub(crate) task: JoinHandle<Result<Final<Mc>, Failed>>,
}

impl<Mc: Machine> core::fmt::Debug for Join<Mc> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Join")
            .field("machine", &Mc::NAME)
            .finish_non_exhaustive()
    }
}

impl<Mc: Machine> Join<Mc> {
    /// Whether the actor has ended.
    #[must_use]
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// Cancels the actor's task at its next await, without draining: what is queued and
    /// deferred is dropped, waiting askers get `AskError::Stopped` without their message, and
    /// this `Join` yields `Failed::Aborted`. For shutting down in a hurry; prefer
    /// [`Actor::stop`].
    pub fn abort(&self) {
        self.task.abort();
    }
}

impl<Mc: Machine> Future for Join<Mc> {
    type Output = Result<Final<Mc>, Failed>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.task)
            .poll(cx)
            .map(|joined| joined.unwrap_or(Err(Failed::Aborted)))
    }
}

/// The answer if it is ready now, or after this task yielded once (behind the actor it just
/// woke); `None` if it is still not ready then. `yield_now` defers this task's wake-up until the
/// scheduler has run the others, so on a multi-thread runtime it does not take the slot the
/// actor was woken into.
async fn second_look<T>(
    answer: &mut oneshot::Receiver<T>,
) -> Option<Result<T, oneshot::error::RecvError>> {
    if let Some(answered) = look(answer).await {
        return Some(answered);
    }
    tokio::task::yield_now().await;
    look(answer).await
}

/// The answer if it is ready, without waiting.
async fn look<T>(
    answer: &mut oneshot::Receiver<T>,
) -> Option<Result<T, oneshot::error::RecvError>> {
    core::future::poll_fn(|cx| match Pin::new(&mut *answer).poll(cx) {
        Poll::Ready(answered) => Poll::Ready(Some(answered)),
        Poll::Pending => Poll::Ready(None),
    })
    .await
}
