//! What an actor's handles, its loop and its effect tasks share: counters, the dead-letter hook,
//! the queue of raised events, and the settings callers read.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use super::error::StopCause;
use super::mail::Asked;
use crate::machine::{Bare, Machine};

/// What an actor has done so far. Read with [`Actor::metrics`](super::Actor::metrics).
///
/// Every message the actor takes in (told, asked, raised, an effect's result, a timeout of the
/// current visit) ends in exactly one of `processed`, `discarded`, `rejected`, `dead_lettered` or
/// `panicked` (or is still queued or deferred): that is the accounting the flood tests assert. A
/// stale timeout (`stale_timeouts`) is fenced off before it is taken in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Metrics {
    /// Messages whose handler ran (an `on` cell).
    pub processed: u64,
    /// Messages a state discards on purpose (`#[discard]`).
    pub discarded: u64,
    /// Asks answered with a rejection (the message went back to the caller).
    pub rejected: u64,
    /// Times a message was deferred (a message deferred twice counts twice).
    pub deferred: u64,
    /// Told messages no state took: rejected, dropped at stop, or refused by a full deferred queue.
    pub dead_lettered: u64,
    /// State timeouts that fired after their state had been left, and were fenced off.
    pub stale_timeouts: u64,
    /// Restarts after a handler panicked.
    pub restarts: u64,
    /// Messages whose handler panicked (the handler took the message with it).
    pub panicked: u64,
}

/// The loop's counters: it is their only writer, so it stores each as it changes (a plain store,
/// no read-modify-write). On a
/// cache line pair of their own: senders read the settings next to them on every send, and the
/// loop writes these after every message.
#[derive(Default)]
#[repr(align(128))]
pub(crate) struct Counters {
    pub(crate) processed: AtomicU64,
    pub(crate) discarded: AtomicU64,
    pub(crate) rejected: AtomicU64,
    pub(crate) deferred: AtomicU64,
    pub(crate) dead_lettered: AtomicU64,
    pub(crate) stale_timeouts: AtomicU64,
    pub(crate) restarts: AtomicU64,
    pub(crate) panicked: AtomicU64,
    /// Dead letters of effect tasks, which run beside the loop.
    dead_lettered_outside: AtomicU64,
}

impl Counters {
    pub(crate) fn read(&self) -> Metrics {
        Metrics {
            processed: self.processed.load(Relaxed),
            discarded: self.discarded.load(Relaxed),
            rejected: self.rejected.load(Relaxed),
            deferred: self.deferred.load(Relaxed),
            dead_lettered: self.dead_lettered.load(Relaxed)
                + self.dead_lettered_outside.load(Relaxed),
            stale_timeouts: self.stale_timeouts.load(Relaxed),
            restarts: self.restarts.load(Relaxed),
            panicked: self.panicked.load(Relaxed),
        }
    }
}

/// Why a told message became a dead letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DeadReason {
    /// The state it arrived in (or, for a deferred message, the state it was replayed in) has
    /// no cell for it.
    NotAccepted,
    /// The state defers it and the deferred queue is full.
    DeferQueueFull,
    /// The actor stopped (or panicked) before it could run it.
    Stopped,
    /// An effect finished after the actor ended.
    Undeliverable,
    /// The machine refused it for a reason other than its state: an
    /// [`ExactlyOnce`](crate::ExactlyOnce) machine's stale duplicate or gap.
    Refused(crate::Reason),
}

/// A told message no state took, handed to the dead-letter hook with where and why.
#[non_exhaustive]
pub struct DeadLetter<Mc: Machine> {
    /// The machine's type name.
    pub machine: &'static str,
    /// The state the actor was in (its last state, once it ended; `"<stopped>"` for an effect's
    /// result that arrived after the actor's task was gone).
    pub state: &'static str,
    /// Why it was not taken.
    pub reason: DeadReason,
    /// The message, as the machine's input enum: match on it to get the message back.
    pub input: Mc::Input<Bare>,
}

impl<Mc: Machine> DeadLetter<Mc> {
    /// The message's type name.
    pub fn message_name(&self) -> &'static str {
        Mc::MESSAGES[Mc::input_message(&self.input).index()]
    }
}

impl<Mc: Machine> core::fmt::Debug for DeadLetter<Mc> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DeadLetter")
            .field("machine", &self.machine)
            .field("state", &self.state)
            .field("reason", &self.reason)
            .field("message", &self.message_name())
            .finish_non_exhaustive()
    }
}

pub(crate) type DeadLetterHook<Mc> = Box<dyn FnMut(DeadLetter<Mc>) + Send>;

/// The default hook: a `tracing` warning (the counter is kept whatever the hook).
#[allow(clippy::needless_pass_by_value)] // the hook's signature: it takes the letter
pub(crate) fn log_dead_letter<Mc: Machine>(letter: DeadLetter<Mc>) {
    tracing::warn!(
        machine = letter.machine,
        state = letter.state,
        message = letter.message_name(),
        reason = ?letter.reason,
        "lockstep: dead letter"
    );
}

pub(crate) struct Shared<Mc: Machine> {
    pub(crate) counters: Counters,
    pub(crate) dead_letters: Mutex<DeadLetterHook<Mc>>,
    /// Events raised by handlers, run before the next mailbox message.
    pub(crate) raised: Mutex<VecDeque<Mc::Input<Asked>>>,
    pub(crate) raised_any: AtomicBool,
    /// The loop has ended: nothing drains the raised queue any more.
    pub(crate) ended: AtomicBool,
    /// Cap of the raised queue (the deferred queue's cap).
    pub(crate) queue_capacity: usize,
    pub(crate) ask_timeout: Option<Duration>,
    pub(crate) fail_fast: bool,
    pub(crate) cause: Mutex<Option<StopCause>>,
}

impl<Mc: Machine> Shared<Mc> {
    pub(crate) fn dead_letter(&self, letter: DeadLetter<Mc>) {
        let mut hook = self
            .dead_letters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // The hook is user code: its panic must not take the actor (and its queue) down. The
        // letter is counted already; the panic is reported.
        let (machine, message) = (letter.machine, letter.message_name());
        if let Err(payload) =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (*hook)(letter)))
        {
            let payload = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!(
                machine,
                message,
                payload,
                "lockstep: the dead-letter hook panicked"
            );
        }
    }

    /// A dead letter from outside the loop (an effect task).
    pub(crate) fn dead_letter_outside(&self, input: Mc::Input<Bare>, reason: DeadReason) {
        self.counters.dead_lettered_outside.fetch_add(1, Relaxed);
        self.dead_letter(DeadLetter {
            machine: Mc::NAME,
            state: "<stopped>",
            reason,
            input,
        });
    }

    pub(crate) fn cause(&self) -> StopCause {
        self.cause
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
            .unwrap_or(StopCause::Ended)
    }

    pub(crate) fn set_cause(&self, cause: StopCause) {
        let mut slot = self
            .cause
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if slot.is_none() {
            *slot = Some(cause);
        }
    }
}
