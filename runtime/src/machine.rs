//! The traits a `#[derive(Machine)]` implements, and the static description of the machine that
//! drivers, docs, the checker and coverage read.

use core::time::Duration;

use crate::hierarchy::{MachineInfo, StatePath};
use crate::message::{Message, Timeout};
use crate::outcome::Outcome;

/// A state of a machine, by its position in [`Machine::STATES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct StateId(pub u16);

impl StateId {
    /// The position in [`Machine::STATES`].
    #[must_use]
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

/// A message type of a machine, by its position in [`Machine::MESSAGES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MessageId(pub u16);

impl MessageId {
    /// The position in [`Machine::MESSAGES`].
    #[must_use]
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

/// What a state does with one message: one cell of the state × message matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CellKind {
    /// `#[on(M => T)]` or `#[on(M => A | B)]`: run the handler and move to one of the targets.
    Move,
    /// `#[on(M)]`: run the handler and stay.
    Stay,
    /// `#[discard(M)]`: drop the message on purpose.
    Discard,
    /// `#[defer(M)]`: keep the message until the state changes.
    Defer,
    /// No cell declared: the message is rejected and handed back. [`Machine::cells`] lists declared
    /// cells only, so it never yields this kind.
    Reject,
    /// A superstate's `#[substates(..)]` lists the message and the superstate declares no cell of
    /// its own for it: the substate machine decides. Reported by the race checker's coverage;
    /// [`Machine::cells`] never yields this kind.
    Forward,
}

/// One declared cell of the matrix, from [`Machine::cells`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cell {
    /// The state that declares it.
    pub state: StateId,
    /// The message it takes.
    pub message: MessageId,
    /// What it does.
    pub kind: CellKind,
    /// The states a [`CellKind::Move`] may go to (empty for the other kinds).
    pub targets: Targets,
}

/// The target states of a [`Cell`], in declared order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Targets(&'static [u8]);

impl Iterator for Targets {
    type Item = StateId;

    fn next(&mut self) -> Option<StateId> {
        let (&[lo, hi], rest) = self.0.split_first_chunk::<2>()?;
        self.0 = rest;
        Some(StateId(u16::from_le_bytes([lo, hi])))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.0.len() / 2, Some(self.0.len() / 2))
    }
}

impl ExactSizeIterator for Targets {}

/// Every declared cell of a machine, in declaration order: the iterator [`Machine::cells`] returns.
///
/// It decodes the byte table the derive generates (the hidden `Machine::CELL_TABLE`): per cell the
/// state and the message (`u16`, little endian), the kind (`0` move, `1` stay, `2` discard,
/// `3` defer), the number of targets (`u8`) and the targets (`u16` each, little endian).
#[derive(Debug, Clone)]
pub struct Cells(&'static [u8]);

impl Cells {
    /// The cells of a table in the format above. Decoding stops at the first incomplete cell.
    #[must_use]
    pub const fn new(table: &'static [u8]) -> Self {
        Cells(table)
    }
}

impl Iterator for Cells {
    type Item = Cell;

    fn next(&mut self) -> Option<Cell> {
        let (&[s0, s1, m0, m1, kind, count], rest) = self.0.split_first_chunk::<6>()?;
        let (targets, rest) = rest.split_at_checked(usize::from(count) * 2)?;
        self.0 = rest;
        let kind = match kind {
            0 => CellKind::Move,
            1 => CellKind::Stay,
            2 => CellKind::Discard,
            3 => CellKind::Defer,
            _ => CellKind::Reject,
        };
        Some(Cell {
            state: StateId(u16::from_le_bytes([s0, s1])),
            message: MessageId(u16::from_le_bytes([m0, m1])),
            kind,
            targets: Targets(targets),
        })
    }
}

/// The static description of one state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StateInfo {
    /// The variant's name.
    pub name: &'static str,
    /// The first line of the variant's doc comment, or `""`.
    pub doc: &'static str,
    /// Whether the state is `#[terminal]` (accepts nothing).
    pub is_terminal: bool,
    /// The messages this state runs a handler for (`on` cells), for error messages; not
    /// `Timeout`, which no sender can send.
    pub accepted: &'static [&'static str],
    /// For a superstate (`#[substates(..)]`), the description of the machine its data holds.
    pub substates: Option<&'static MachineInfo>,
}

impl StateInfo {
    /// A state with a name and nothing else, standing in where there is no state to name.
    #[must_use]
    pub const fn placeholder(name: &'static str) -> Self {
        StateInfo {
            name,
            doc: "",
            is_terminal: false,
            accepted: &[],
            substates: None,
        }
    }
}

/// A state machine: an enum with `#[derive(Machine)]`.
///
/// The generated code implements this trait, [`Accepts<M>`] for every message some state mentions,
/// and a handler trait (`<Name>Handlers`, e.g. `TurnstileHandlers`) that the
/// [context](Machine::Context) implements.
pub trait Machine: Sized {
    /// The data shared by every state (`#[machine(context = T)]`, default `()`). It implements the
    /// machine's handler trait.
    type Context;

    /// Every message this machine accepts in some state, as one enum whose variants carry
    /// `C::Of<M>`: the bare message ([`Bare`]), or the message with a reply slot (an actor), or
    /// whatever a driver needs to keep a message of any of the machine's types in one queue.
    type Input<C: Carrier>;

    /// The machine's type name.
    const NAME: &'static str;
    /// Every state, in declaration order.
    const STATES: &'static [StateInfo];
    /// Every message type some state mentions, in order of first mention.
    const MESSAGES: &'static [&'static str];
    /// Every declared cell, encoded: per cell the state and the message (`u16`, little endian),
    /// the kind (0 move, 1 stay, 2 discard, 3 defer), the number of targets (`u8`) and the targets
    /// (`u16` each). One byte-string literal instead of a thousand struct expressions keeps large
    /// machines cheap to compile; read it with [`cells`](Machine::cells).
    #[doc(hidden)]
    const CELL_TABLE: &'static [u8];
    /// The `#[initial]` state.
    const INITIAL: StateId;
    /// 0 for a derived machine. A wrapper whose serde form holds more than the wrapped machine
    /// (`ExactlyOnce`: the delivery bookkeeping) sets it to a nonzero mark, so that a persisted
    /// record of the bare machine is refused as another spec instead of being decoded as the
    /// wrapper's bytes.
    #[doc(hidden)]
    const RECORD_LAYOUT: u64 = 0;

    /// The state the machine is in.
    fn state(&self) -> StateId;

    /// Every declared cell, in declaration order (undeclared cells reject).
    #[must_use]
    fn cells() -> Cells {
        Cells(Self::CELL_TABLE)
    }

    /// The name of the state the machine is in (its outermost level: see
    /// [`state_path`](Machine::state_path) for a superstate's substates).
    fn state_name(&self) -> &'static str {
        Self::STATES[self.state().index()].name
    }

    /// The state the machine is in, level by level: `Active/Streaming` when the superstate
    /// `Active` holds a substate machine in `Streaming`. One level for a flat machine.
    fn state_path(&self) -> StatePath {
        StatePath::of(&Self::STATES[self.state().index()])
    }

    /// Hands an [`Input`](Machine::Input) to the visitor as its concrete message type, so a driver can
    /// dispatch a queued message without boxing or dynamic dispatch.
    fn route<C: Carrier, V: Visit<Self, C>>(input: Self::Input<C>, visitor: V) -> V::Output;

    /// The [`MessageId`] of the input's message.
    fn input_message<C: Carrier>(input: &Self::Input<C>) -> MessageId;

    /// How long the current state may last before its `#[timeout(..)]` cell runs, if it declares
    /// one. A driver with a clock arms a timer on entering the state and cancels it on leaving.
    fn timeout(&self) -> Option<Duration> {
        None
    }

    /// The timeout of the state at `level` of the [`state_path`](Machine::state_path) (0: this
    /// machine's own state, as [`timeout`](Machine::timeout); 1: its substate machine's state, …).
    /// A driver with a clock keeps one timer per level: a move at one level re-arms the timers of
    /// that level and the levels inside it, and leaves the outer ones running.
    fn timeout_at(&self, level: usize) -> Option<Duration> {
        if level == 0 { self.timeout() } else { None }
    }

    /// Runs the `#[timeout(..)]` cell of the level the [`Timeout`] was armed for; a machine with no
    /// timeout at any level rejects it.
    #[doc(hidden)]
    fn dispatch_timeout(
        self,
        context: &mut Self::Context,
        timeout: Timeout,
    ) -> (Self, Outcome<Timeout>) {
        let _ = context;
        let state = self.state();
        (
            self,
            Outcome::Rejected {
                state,
                message: timeout,
                reason: crate::Reason::NotAccepted,
            },
        )
    }

    /// Wraps the [`Timeout`] message as an input; `None` for a machine that declares no timeout.
    #[doc(hidden)]
    fn timeout_input<C: Carrier>(item: C::Of<Timeout>) -> Option<Self::Input<C>> {
        drop(item);
        None
    }

    /// A number that changes whenever the machine may now take a message it deferred although its
    /// state did not change. Drivers read it before and after each dispatch and, if it changed,
    /// retry their deferred messages as after a state change.
    ///
    /// Derived machines take or defer by state alone, so the default is a constant `0`. A wrapper
    /// whose answer depends on more than the state counts here:
    /// [`ExactlyOnce`](crate::ExactlyOnce) defers an envelope that arrived ahead of its turn, and
    /// its turn comes when another envelope is applied, not when the state changes.
    fn progress(&self) -> u64 {
        0
    }

    /// Runs the current state's `#[enter]` hook, if it has one. Dispatch runs the hooks of every
    /// transition; a driver calls this once when it starts running a machine in its first state.
    fn start(&mut self, context: &mut Self::Context) {
        let _ = context;
    }

    /// Runs the current state's `#[exit]` hooks, innermost first: what leaving this machine's
    /// state from outside runs. A superstate's dispatch calls it on its substate machine before
    /// the superstate's own exit hook when an outer cell moves out of the superstate.
    fn leave(&mut self, context: &mut Self::Context) {
        let _ = context;
    }
}

/// A machine that has a cell for `M` in at least one state. Sending a message to a machine that
/// accepts it nowhere does not compile.
#[diagnostic::on_unimplemented(
    message = "`{Self}` accepts no `{M}` in any state",
    label = "no state of `{Self}` declares a cell for `{M}`",
    note = "add `#[on({M} => Target)]`, `#[on({M})]`, `#[defer({M})]` or `#[discard({M})]` to a state of `{Self}`"
)]
pub trait Accepts<M: Message>: Machine {
    /// `M`'s position in [`Machine::MESSAGES`].
    const MESSAGE: MessageId;

    /// Runs the cell of (current state, `M`): the exhaustive, panic-free dispatch that every driver
    /// shares. Takes the machine by value because handlers take the state's data by value; it is
    /// always handed back. If a handler panics, the machine is consumed by the unwind: a driver
    /// that kept it in an `Option` sees `None` and reports itself poisoned, never a half-moved state.
    fn dispatch(self, context: &mut Self::Context, message: M) -> (Self, Outcome<M>);

    /// Wraps `M` as an [`Input`](Machine::Input).
    fn input<C: Carrier>(item: C::Of<M>) -> Self::Input<C>;

    /// Unwraps an [`Input`](Machine::Input) that holds an `M`, or hands it back if it holds
    /// another message: `take(input(item))` is `Ok(item)`. With the [`Bare`] carrier, picks the
    /// messages of one type out of a queue (dead letters, say); [`ExactlyOnce`](crate::ExactlyOnce)
    /// reads a kept reply back through it.
    ///
    /// # Errors
    /// The input, unchanged, when it holds a message of another type.
    fn take<C: Carrier>(input: Self::Input<C>) -> Result<C::Of<M>, Self::Input<C>>;
}

/// A message some state of `Mc` takes: the bound drivers put on what they send
/// (`M: AcceptedBy<Mc>`), implemented for every `M` with `Mc: Accepts<M>`.
///
/// Written on the message rather than as `Mc: Accepts<M>` so that the compiler takes `M` from the
/// argument: with the bound on the machine, a machine with a single message type makes rustc
/// read `M` off that one impl and report "expected `Coin`, found `Kick`" instead of
/// "`Turnstile` accepts no `Kick` in any state".
#[diagnostic::on_unimplemented(
    message = "`{Mc}` accepts no `{Self}` in any state",
    label = "no state of `{Mc}` declares a cell for `{Self}`",
    note = "add `#[on({Self} => Target)]`, `#[on({Self})]`, `#[defer({Self})]` or `#[discard({Self})]` to a state of `{Mc}`"
)]
pub trait AcceptedBy<Mc: Machine>: Message {
    /// [`Accepts::input`].
    fn input<C: Carrier>(item: C::Of<Self>) -> Mc::Input<C>;
}

#[diagnostic::do_not_recommend]
impl<Mc: Accepts<M>, M: Message> AcceptedBy<Mc> for M {
    #[inline]
    fn input<C: Carrier>(item: C::Of<M>) -> Mc::Input<C> {
        Mc::input::<C>(item)
    }
}

/// How a driver carries a message in a queue: [`Bare`] keeps the message alone; an actor keeps it
/// with its reply slot.
pub trait Carrier {
    /// What is kept for a message of type `M`.
    type Of<M: Message>;
}

/// Keeps the message alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Bare;

impl Carrier for Bare {
    type Of<M: Message> = M;
}

/// Receives the concrete message type of an [`Input`](Machine::Input) from [`Machine::route`].
pub trait Visit<Mc: Machine, C: Carrier> {
    /// What the visit returns.
    type Output;
    /// Called once, with `M` the message type the input holds.
    fn visit<M: Message>(self, item: C::Of<M>) -> Self::Output
    where
        Mc: Accepts<M>;
}

/// Dispatches a [`Bare`] input: the machine's dispatch for whichever message type it holds, with the
/// outcome reduced to what a queue keeper needs.
#[cfg(feature = "alloc")]
pub(crate) struct DispatchBare<'a, Mc: Machine> {
    pub(crate) machine: Mc,
    pub(crate) context: &'a mut Mc::Context,
}

/// The outcome of dispatching an [`Input`](Machine::Input) of unknown message type.
#[cfg(feature = "alloc")]
pub(crate) enum Replayed<Mc: Machine> {
    /// Deferred again: keep it.
    Deferred(Mc::Input<Bare>),
    /// The new state has no cell for it: a dead letter.
    Rejected(Mc::Input<Bare>),
    /// Anything else; `true` if the state changed or the machine [progressed](Machine::progress).
    Done { changed: bool },
}

#[cfg(feature = "alloc")]
impl<Mc: Machine> Visit<Mc, Bare> for DispatchBare<'_, Mc> {
    type Output = (Mc, Replayed<Mc>);

    fn visit<M: Message>(self, message: M) -> Self::Output
    where
        Mc: Accepts<M>,
    {
        let progress = self.machine.progress();
        let (machine, outcome) = self.machine.dispatch(self.context, message);
        let replayed = match outcome {
            Outcome::Deferred { message, .. } => Replayed::Deferred(Mc::input::<Bare>(message)),
            Outcome::Rejected { message, .. } => Replayed::Rejected(Mc::input::<Bare>(message)),
            other => Replayed::Done {
                changed: other.changed_state() || machine.progress() != progress,
            },
        };
        (machine, replayed)
    }
}
