//! Replies answered later: a handler returns a [`Later`] as its reply and keeps the [`Answer`],
//! to answer from a later state.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use tokio::sync::oneshot;

/// A reply that a handler answers later. See [`later`].
#[derive(Debug)]
pub struct Later<T>(oneshot::Receiver<T>);

/// The other end of a [`Later`]: kept by the machine (in its context or a state's data), and
/// answered when the answer is known.
#[derive(Debug)]
pub struct Answer<T>(oneshot::Sender<T>);

/// The answer was dropped without being sent: the machine went on without answering (or its
/// actor stopped, dropping the state that kept it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Unanswered;

impl core::fmt::Display for Unanswered {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("the machine dropped the answer without answering")
    }
}

impl std::error::Error for Unanswered {}

/// A reply to be answered later: give the [`Later`] as the message's reply
/// (`#[message(reply = Later<T>)]`), keep the [`Answer`] and [`send`](Answer::send) it from a
/// later state. The asker awaits twice: once for the machine to take the request, once for the
/// answer.
#[must_use]
pub fn later<T>() -> (Answer<T>, Later<T>) {
    let (tx, rx) = oneshot::channel();
    (Answer(tx), Later(rx))
}

impl<T> Answer<T> {
    /// Answers. Hands the value back if the asker stopped waiting.
    ///
    /// # Errors
    /// The asker dropped its [`Later`].
    pub fn send(self, value: T) -> Result<(), T> {
        self.0.send(value)
    }

    /// Whether the asker still waits.
    #[must_use]
    pub fn is_waiting(&self) -> bool {
        !self.0.is_closed()
    }
}

impl<T> Future for Later<T> {
    type Output = Result<T, Unanswered>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx).map_err(|_| Unanswered)
    }
}
