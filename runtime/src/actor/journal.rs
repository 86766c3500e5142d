//! The actor's side of persistence (feature `persist`): answers held until their batch is
//! durable, and the commit the loop awaits. The store, the record format and serde live in
//! `crate::persist`, which implements [`Journal`]; the loop only sees this object-safe face, so
//! an actor that is not persisted carries no serde bound.

use std::sync::Arc;

use super::error::{AskError, Unrecorded};
use super::mail::ReplyTo;
use crate::machine::{Accepts, Carrier, Machine, Visit};
use crate::message::Message;
use crate::outcome::{Reason, Rejected};
use crate::persist::StoreError;

/// The [`Carrier`] of answers a persisted actor holds until their batch is committed.
pub struct Held;

impl Carrier for Held {
    type Of<M: Message> = HeldAnswer<M>;
}

/// An answer waiting for its batch's commit: where it goes, and what it says if the commit
/// succeeds.
pub struct HeldAnswer<M: Message> {
    pub(crate) reply: ReplyTo<M>,
    pub(crate) answer: Result<M::Reply, Box<AskError<M>>>,
}

/// A commit in flight: the store's work runs on tokio's blocking pool.
pub(crate) type Commit = tokio::task::JoinHandle<Result<(), StoreError>>;

pub(crate) trait Journal<Mc: Machine>: Send {
    /// Keeps an answer until the batch it belongs to is durable.
    fn hold(&mut self, answer: Mc::Input<Held>);
    /// The most messages one commit covers.
    fn max_batch(&self) -> usize;
    /// Encodes the machine and the context and starts committing them.
    fn begin_commit(&mut self, machine: &Mc, context: &Mc::Context) -> Result<Commit, Unrecorded>;
    /// Sends the held answers: as they are if the batch is durable (`None`); otherwise every
    /// reply becomes [`AskError::Unrecorded`] (rejections, which applied nothing, go as they are,
    /// but for an envelope's rejection judged by its sender's numbering).
    fn release(&mut self, failed: Option<&Unrecorded>);
    /// The key's last commit, for a restart: `None` if nothing was committed yet (the restart
    /// then starts afresh, as an actor that is not persisted does); `Err` with why it cannot be
    /// read. A blocking read on the actor's task: restarts are rare.
    fn reload(&self) -> Result<Option<(Mc, Mc::Context)>, String>;
}

/// Waits for a commit started by [`Journal::begin_commit`].
pub(crate) async fn finish_commit(commit: Commit) -> Result<(), Unrecorded> {
    match commit.await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(Unrecorded::Commit(Arc::new(error))),
        // The store panicked on the blocking pool (or the runtime is shutting down): nothing
        // says the batch is on disk.
        Err(joined) => Err(Unrecorded::Commit(Arc::new(StoreError::Backend(
            format!("the commit did not finish: {joined}").into(),
        )))),
    }
}

/// Sends one held answer.
pub(crate) struct Release<'a>(pub(crate) Option<&'a Unrecorded>);

impl<Mc: Machine> Visit<Mc, Held> for Release<'_> {
    type Output = ();

    fn visit<M: Message>(self, held: HeldAnswer<M>)
    where
        Mc: Accepts<M>,
    {
        let HeldAnswer { reply, answer } = held;
        let answer = match (self.0, answer) {
            (Some(failed), Ok(_)) => Err(Box::new(AskError::Unrecorded(failed.clone()))),
            // An envelope judged against delivery bookkeeping that was not recorded: "applied
            // already" (or "resend from n") is not true of the store, and a sender that believed
            // it would never resend a message that is lost.
            (Some(failed), Err(error)) if judged_by_bookkeeping(&error) => {
                Err(Box::new(AskError::Unrecorded(failed.clone())))
            }
            (_, answer) => answer,
        };
        // The asker may have timed out and gone.
        let _ = reply.send(answer);
    }
}

/// A rejection that says where the sender's numbering stands, rather than only that the message
/// was not applied.
fn judged_by_bookkeeping<M: Message>(error: &AskError<M>) -> bool {
    matches!(
        error,
        AskError::Rejected(Rejected {
            reason: Reason::DuplicateTooOld { .. }
                | Reason::Gap { .. }
                | Reason::SequenceReused { .. },
            ..
        })
    )
}
