//! The synchronous driver: owns a machine, dispatches messages one at a time, keeps deferred
//! messages and replays them after each state change, and reports a poisoned machine after a
//! handler panicked.

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::fmt;

use crate::machine::{Accepts, Bare, DispatchBare, Machine, Replayed};
use crate::message::{Message, Tell};
use crate::outcome::{Outcome, Reason, Rejected};

/// Default cap of the deferred queue.
pub const DEFAULT_DEFER_CAPACITY: usize = 1024;

/// Owns a machine and runs messages through its dispatch, one at a time.
///
/// ```
/// # use lockstep::{Machine, Message, Driver};
/// #[derive(Message)] struct Coin;
/// #[derive(Message)] struct Push;
///
/// #[derive(Machine)]
/// enum Turnstile {
///     #[initial] #[on(Coin => Unlocked)] #[discard(Push)] Locked,
///     #[on(Push => Locked)] Unlocked,
/// }
/// impl TurnstileHandlers for () {}
///
/// let mut turnstile = Driver::new(Turnstile::Locked);
/// turnstile.send(&mut (), Coin)?;
/// assert_eq!(turnstile.state_name(), "Unlocked");
/// # Ok::<(), lockstep::Rejected<Coin>>(())
/// ```
pub struct Driver<Mc: Machine> {
    machine: Option<Mc>,
    deferred: VecDeque<Mc::Input<Bare>>,
    defer_capacity: usize,
    dead_letters: Vec<Mc::Input<Bare>>,
}

impl<Mc: Machine> Driver<Mc> {
    /// A driver starting in `state`.
    pub fn new(state: Mc) -> Self {
        Self {
            machine: Some(state),
            deferred: VecDeque::new(),
            defer_capacity: DEFAULT_DEFER_CAPACITY,
            dead_letters: Vec::new(),
        }
    }

    /// Caps the deferred queue (default [`DEFAULT_DEFER_CAPACITY`]); `post` of a deferred message
    /// beyond it is rejected with [`Reason::DeferQueueFull`].
    #[must_use]
    pub fn with_defer_capacity(mut self, capacity: usize) -> Self {
        self.defer_capacity = capacity;
        self
    }

    /// The machine, or `None` if a handler panicked and took the state with it.
    pub fn machine(&self) -> Option<&Mc> {
        self.machine.as_ref()
    }

    /// Whether a handler panicked during an earlier dispatch.
    pub fn is_poisoned(&self) -> bool {
        self.machine.is_none()
    }

    /// The current state's name (`"<poisoned>"` after a handler panicked).
    pub fn state_name(&self) -> &'static str {
        self.machine
            .as_ref()
            .map_or("<poisoned>", Machine::state_name)
    }

    /// The current state, every level of it (`Active/Streaming`; `<poisoned>` after a handler
    /// panicked).
    pub fn state_path(&self) -> crate::StatePath {
        self.machine
            .as_ref()
            .map_or_else(crate::StatePath::poisoned, Machine::state_path)
    }

    /// Messages waiting for a state change, oldest first.
    pub fn deferred(&self) -> impl ExactSizeIterator<Item = &Mc::Input<Bare>> {
        self.deferred.iter()
    }

    /// Takes the deferred messages that were rejected when replayed in a later state.
    pub fn take_dead_letters(&mut self) -> Vec<Mc::Input<Bare>> {
        core::mem::take(&mut self.dead_letters)
    }

    /// Gives the machine back, with the messages still deferred.
    pub fn into_parts(self) -> (Option<Mc>, VecDeque<Mc::Input<Bare>>) {
        (self.machine, self.deferred)
    }

    /// Dispatches `message` now and returns its reply.
    ///
    /// # Errors
    /// The message is handed back in a [`Rejected`] if the current state has no cell for it
    /// ([`Reason::NotAccepted`]), defers it ([`Reason::Deferred`]: a synchronous caller cannot wait for
    /// the reply; [`post`](Self::post) queues it instead), or a handler panicked earlier
    /// ([`Reason::Poisoned`]). A discarded message replies `()`.
    pub fn send<M: Message>(
        &mut self,
        context: &mut Mc::Context,
        message: M,
    ) -> Result<M::Reply, Rejected<M>>
    where
        Mc: Accepts<M>,
    {
        match self.step(context, message)? {
            Outcome::Moved { reply, .. }
            | Outcome::Stayed { reply, .. }
            | Outcome::Discarded { reply, .. } => Ok(reply),
            Outcome::Deferred { message, .. } => Err(self.rejection(message, Reason::Deferred)),
            Outcome::Rejected {
                message, reason, ..
            } => Err(self.rejection(message, reason)),
        }
    }

    /// Dispatches a message that has no reply; if the current state defers it, keeps it and replays it
    /// after the next state change (oldest first, before anything sent later is dispatched).
    ///
    /// # Errors
    /// Hands the message back if the current state has no cell for it, the deferred queue is full,
    /// or the machine is poisoned.
    pub fn post<M: Tell>(
        &mut self,
        context: &mut Mc::Context,
        message: M,
    ) -> Result<Posted, Rejected<M>>
    where
        Mc: Accepts<M>,
    {
        match self.step(context, message)? {
            Outcome::Moved { .. } | Outcome::Stayed { .. } | Outcome::Discarded { .. } => {
                Ok(Posted::Handled)
            }
            Outcome::Deferred { message, .. } => {
                if self.deferred.len() >= self.defer_capacity {
                    return Err(self.rejection(message, Reason::DeferQueueFull));
                }
                self.deferred.push_back(Mc::input::<Bare>(message));
                Ok(Posted::Deferred)
            }
            Outcome::Rejected {
                message, reason, ..
            } => Err(self.rejection(message, reason)),
        }
    }

    /// Dispatches `message` and returns the raw [`Outcome`]; replays the deferred queue if the state
    /// changed. The caller decides what to do with a deferred message.
    ///
    /// # Errors
    /// Hands the message back if the machine is poisoned.
    pub fn step<M: Message>(
        &mut self,
        context: &mut Mc::Context,
        message: M,
    ) -> Result<Outcome<M>, Rejected<M>>
    where
        Mc: Accepts<M>,
    {
        let Some(machine) = self.machine.take() else {
            return Err(self.rejection(message, Reason::Poisoned));
        };
        let progress = machine.progress();
        // If the handler panics, `self.machine` stays `None`: the driver is poisoned, and no
        // half-moved state can be observed.
        let (machine, outcome) = machine.dispatch(context, message);
        let progressed = machine.progress() != progress;
        self.machine = Some(machine);
        if outcome.changed_state() || progressed {
            self.replay_deferred(context);
        }
        Ok(outcome)
    }

    /// The current state's `#[timeout(..)]` elapsed: runs its timeout cell. The synchronous driver
    /// has no clock, so tests and simulations say when time is up. Returns `false` (and does
    /// nothing) if the current state declares no timeout, or the machine is poisoned.
    ///
    /// In nested machines this is the outermost level that declares a timeout; see
    /// [`elapse_at`](Self::elapse_at) for a given level.
    pub fn elapse(&mut self, context: &mut Mc::Context) -> bool {
        let Some(machine) = self.machine.as_ref() else {
            return false;
        };
        let depth = machine.state_path().depth();
        match (0..depth).find(|&level| machine.timeout_at(level).is_some()) {
            Some(level) => self.elapse_at(context, level),
            None => false,
        }
    }

    /// The `#[timeout(..)]` of the state at `level` of the [state path](Self::state_path)
    /// elapsed (0: the outermost machine's state): runs that level's timeout cell, even while a
    /// state inside it declares a timeout too. Returns `false` (and does nothing) if that state
    /// declares no timeout, or the machine is poisoned.
    pub fn elapse_at(&mut self, context: &mut Mc::Context, level: usize) -> bool {
        let Some(machine) = self.machine.take() else {
            return false;
        };
        let input = match machine.timeout_at(level) {
            Some(_) => Mc::timeout_input::<Bare>(crate::Timeout::at_level(level)),
            None => None,
        };
        let Some(input) = input else {
            self.machine = Some(machine);
            return false;
        };
        let (machine, replayed) = Mc::route(input, DispatchBare { machine, context });
        self.machine = Some(machine);
        if let Replayed::Done { changed: true } = replayed {
            self.replay_deferred(context);
        }
        true
    }

    /// Runs the first state's `#[enter]` hook ([`Machine::start`]); call it once before the first
    /// message if the machine has enter hooks.
    pub fn start(&mut self, context: &mut Mc::Context) {
        if let Some(machine) = self.machine.as_mut() {
            machine.start(context);
        }
    }

    /// `gen_statem`'s postpone: after a state change (or [progress](Machine::progress)), every
    /// deferred message is retried oldest first; one deferred again keeps its place, and any
    /// further change restarts from the oldest.
    fn replay_deferred(&mut self, context: &mut Mc::Context) {
        let mut next = 0;
        while next < self.deferred.len() {
            let Some(input) = self.deferred.remove(next) else {
                break;
            };
            let Some(machine) = self.machine.take() else {
                return;
            };
            let progress = machine.progress();
            let (machine, replayed) = Mc::route(input, DispatchBare { machine, context });
            // A refusal can progress too: an `ExactlyOnce` uses a number up when the wrapped
            // machine rejects it, and the sender's next number, deferred earlier, may run now.
            let progressed = machine.progress() != progress;
            self.machine = Some(machine);
            match replayed {
                Replayed::Deferred(input) => {
                    self.deferred.insert(next, input);
                    next += 1;
                }
                Replayed::Rejected(input) => {
                    self.dead_letters.push(input);
                    if progressed {
                        next = 0;
                    }
                }
                Replayed::Done { changed: true } => next = 0,
                Replayed::Done { changed: false } => {}
            }
        }
    }

    fn rejection<M>(&self, message: M, reason: Reason) -> Rejected<M> {
        Rejected {
            machine: Mc::NAME,
            state: self.state_path(),
            reason,
            message,
        }
    }
}

/// What [`Driver::post`] did with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Posted {
    /// Dispatched now (moved, stayed or discarded).
    Handled,
    /// Kept until the state changes.
    Deferred,
}

impl<Mc: Machine + fmt::Debug> fmt::Debug for Driver<Mc> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Driver")
            .field("machine", &self.machine)
            .field("deferred", &self.deferred.len())
            .field("dead_letters", &self.dead_letters.len())
            .finish_non_exhaustive()
    }
}
