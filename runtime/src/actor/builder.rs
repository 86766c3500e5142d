//! Spawning an actor: mailbox size, overflow policy, timeouts, restarts, dead letters.

use std::collections::VecDeque;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;

use super::handle::{Actor, Join};
use super::mail::Asked;
use super::me::Me;
use super::run::Core;
use super::shared::{Counters, DeadLetter, DeadLetterHook, Shared, log_dead_letter};
use crate::machine::Machine;

/// Default mailbox capacity.
pub const DEFAULT_MAILBOX: usize = 1024;
/// Default ask timeout (as Erlang's `gen_server:call`).
pub const DEFAULT_ASK_TIMEOUT: Duration = Duration::from_secs(5);

/// What a sender does when the mailbox is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Overflow {
    /// Wait for room (backpressure). The default.
    #[default]
    Wait,
    /// Fail at once, handing the message back.
    FailFast,
}

/// How often an actor may restart after a handler panicked: at most `max` times within any
/// window of `within`. Each restart starts from the restart factory's state and context.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Restart {
    pub(crate) max: u32,
    pub(crate) within: Duration,
}

impl Restart {
    /// At most `max` restarts within `within` (Erlang's supervisor intensity and period).
    #[must_use]
    pub const fn at_most(max: u32, within: Duration) -> Self {
        Restart { max, within }
    }

    /// The most restarts within a window.
    #[must_use]
    pub const fn max(&self) -> u32 {
        self.max
    }

    /// The window.
    #[must_use]
    pub const fn within(&self) -> Duration {
        self.within
    }
}

pub(crate) type Factory<Mc> = Box<dyn FnMut(&Me<Mc>) -> (Mc, <Mc as Machine>::Context) + Send>;

type First<Mc> = Box<dyn FnOnce(&Me<Mc>) -> (Mc, <Mc as Machine>::Context) + Send>;

/// Configures and spawns an actor. Made by [`Actor::builder`] or [`Actor::builder_with`].
#[must_use = "a builder does nothing until `spawn`"]
pub struct Builder<Mc: Machine> {
    first: First<Mc>,
    mailbox: usize,
    overflow: Overflow,
    defer_capacity: usize,
    ask_timeout: Option<Duration>,
    restart: Option<(Restart, Factory<Mc>)>,
    dead_letters: Option<DeadLetterHook<Mc>>,
}

impl<Mc: Machine> core::fmt::Debug for Builder<Mc> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Builder")
            .field("machine", &Mc::NAME)
            .field("mailbox", &self.mailbox)
            .field("overflow", &self.overflow)
            .field("defer_capacity", &self.defer_capacity)
            .field("ask_timeout", &self.ask_timeout)
            .field("restart", &self.restart.as_ref().map(|(r, _)| r))
            .finish_non_exhaustive()
    }
}

impl<Mc: Machine + Send + 'static> Builder<Mc>
where
    Mc::Context: Send + 'static,
    Mc::Input<Asked>: Send + 'static,
{
    pub(crate) fn new(first: First<Mc>) -> Self {
        Builder {
            first,
            mailbox: DEFAULT_MAILBOX,
            overflow: Overflow::Wait,
            defer_capacity: crate::DEFAULT_DEFER_CAPACITY,
            ask_timeout: Some(DEFAULT_ASK_TIMEOUT),
            restart: None,
            dead_letters: None,
        }
    }

    /// The mailbox's capacity (default [`DEFAULT_MAILBOX`]; at least 1).
    pub fn mailbox(mut self, capacity: usize) -> Self {
        self.mailbox = capacity.max(1);
        self
    }

    /// What senders do when the mailbox is full (default [`Overflow::Wait`]).
    pub fn overflow(mut self, overflow: Overflow) -> Self {
        self.overflow = overflow;
        self
    }

    /// The cap of the deferred queue, and of the queue of raised events (default
    /// [`DEFAULT_DEFER_CAPACITY`](crate::DEFAULT_DEFER_CAPACITY)). A deferred message beyond it is
    /// answered like a rejection ([`Reason::DeferQueueFull`](crate::Reason)).
    pub fn defer_capacity(mut self, capacity: usize) -> Self {
        self.defer_capacity = capacity;
        self
    }

    /// How long an [`ask`](Actor::ask) waits by default (default [`DEFAULT_ASK_TIMEOUT`]; `None`
    /// waits as long as it takes). [`Actor::ask_within`] overrides it per call.
    pub fn ask_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.ask_timeout = timeout;
        self
    }

    /// Restarts after a handler panicked, from the state and context `factory` makes, at most as
    /// often as `policy` allows. The mailbox and the deferred messages are kept; the old context
    /// is dropped (a panic may have left it half-changed).
    pub fn restart(
        mut self,
        policy: Restart,
        factory: impl FnMut(&Me<Mc>) -> (Mc, Mc::Context) + Send + 'static,
    ) -> Self {
        self.restart = Some((policy, Box::new(factory)));
        self
    }

    /// Where told messages that no state took go (default: a `tracing` warning). Whatever the
    /// hook, [`Metrics::dead_lettered`](super::Metrics) counts them.
    pub fn dead_letters(mut self, hook: impl FnMut(DeadLetter<Mc>) + Send + 'static) -> Self {
        self.dead_letters = Some(Box::new(hook));
        self
    }

    /// Spawns the actor on the current tokio runtime. Returns a handle to send to it (clone it
    /// for more senders) and the [`Join`] that yields its final state and context.
    ///
    /// # Panics
    /// Outside a tokio runtime, as `tokio::spawn` does. The runtime needs its time driver
    /// (`enable_time`, or `#[tokio::main]`) for ask and state timeouts.
    pub fn spawn(self) -> (Actor<Mc>, Join<Mc>) {
        let parts = self.assemble(None);
        parts.launch()
    }

    /// Everything an actor is made of, before its task starts: the first state and context come
    /// from `first` unless `loaded` gives them (a persisted actor's record).
    pub(crate) fn assemble(self, loaded: Option<(Mc, Mc::Context)>) -> Parts<Mc> {
        let (tx, rx) = mpsc::channel(self.mailbox);
        let shared = Arc::new(Shared {
            counters: Counters::default(),
            dead_letters: Mutex::new(
                self.dead_letters
                    .unwrap_or_else(|| Box::new(log_dead_letter::<Mc>)),
            ),
            raised: Mutex::new(VecDeque::new()),
            raised_any: AtomicBool::new(false),
            ended: AtomicBool::new(false),
            queue_capacity: self.defer_capacity,
            ask_timeout: self.ask_timeout,
            fail_fast: self.overflow == Overflow::FailFast,
            cause: Mutex::new(None),
        });
        let me = Me {
            mailbox: tx.downgrade(),
            shared: Arc::clone(&shared),
        };
        let resumed = loaded.is_some();
        let (machine, context) = match loaded {
            Some(loaded) => loaded,
            None => (self.first)(&me),
        };
        let core = Core::new(
            machine,
            context,
            self.defer_capacity,
            Arc::clone(&shared),
            me,
            self.restart,
        );
        Parts {
            core,
            resumed,
            tx,
            rx,
        }
    }
}

/// An actor assembled by [`Builder::assemble`], not yet running.
pub(crate) struct Parts<Mc: Machine> {
    pub(crate) core: Core<Mc>,
    /// Its machine was loaded, not made by the builder's `first`.
    pub(crate) resumed: bool,
    tx: mpsc::Sender<super::mail::Mail<Mc>>,
    rx: mpsc::Receiver<super::mail::Mail<Mc>>,
}

impl<Mc: Machine + Send + 'static> Parts<Mc>
where
    Mc::Context: Send + 'static,
    Mc::Input<Asked>: Send + 'static,
{
    pub(crate) fn launch(mut self) -> (Actor<Mc>, Join<Mc>) {
        self.core.resumed = self.resumed;
        let shared = Arc::clone(&self.core.shared);
        let task = tokio::spawn(self.core.run(self.rx));
        (
            Actor {
                mailbox: self.tx,
                shared,
            },
            Join { task },
        )
    }
}
