//! Client scripts: what each concurrent sender sends, where the next message may depend on the
//! replies to earlier ones.
//!
//! A script is a sequence of steps. [`tell`](Client::tell) sends and goes on at once;
//! [`ask`](Client::ask) sends and waits for the reply, and [`Ask::then`] computes the rest of the
//! client's work from it. Sending is instantaneous and local; what the checker interleaves is the
//! *delivery* of the messages in flight, under the chosen [`Network`](super::Network).

use alloc::boxed::Box;
use alloc::format;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::{self, Debug};
use core::hash::Hash;
use core::marker::PhantomData;

use super::fingerprint::hash_one;
use crate::machine::{Accepts, Machine, MessageId, StateId};
use crate::message::Message;
use crate::outcome::Outcome;

/// The handle a client's script is written with: `|c| c.ask(Get).then(|n| c.tell(Set(n + 1)))`.
///
/// It holds nothing; it is handed out as a `&'static` so that the closures given to
/// [`Ask::then`] can use it without `move`.
pub struct Client<Mc> {
    machine: PhantomData<fn() -> Mc>,
}

impl<Mc> Debug for Client<Mc> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Client")
    }
}

impl<Mc: Machine + 'static> Client<Mc> {
    /// A handle. It is zero-sized, so leaking its box allocates nothing.
    pub(crate) fn handle() -> &'static Self {
        Box::leak(Box::new(Self {
            machine: PhantomData,
        }))
    }

    /// Sends `message` and goes on without waiting; its reply, if any, is shown in traces and
    /// otherwise ignored.
    pub fn tell<M>(&self, message: M) -> Script<Mc>
    where
        Mc: Accepts<M>,
        M: Message + Clone + Debug + 'static,
        M::Reply: Debug,
    {
        Script::nothing().tell(message)
    }

    /// Sends `message` and waits for its reply; [`then`](Ask::then) says what to do with it. An
    /// `Ask` used as a script waits for the reply and ignores it.
    pub fn ask<M>(&self, message: M) -> Ask<Mc, M>
    where
        Mc: Accepts<M>,
        M: Message + Clone + Debug + 'static,
        M::Reply: Debug,
    {
        Script::nothing().ask(message)
    }

    /// A script that sends nothing: for the branch of a `then` that stops.
    #[must_use]
    pub fn nothing(&self) -> Script<Mc> {
        Script::nothing()
    }

    /// The scripts one after the other.
    pub fn seq<S: Into<Script<Mc>>>(&self, scripts: impl IntoIterator<Item = S>) -> Script<Mc> {
        scripts
            .into_iter()
            .fold(Script::nothing(), Script::followed_by)
    }
}

/// What a client sends, in order. Built from a [`Client`] handle.
pub struct Script<Mc: Machine> {
    pub(crate) steps: Vec<Rc<dyn Envelope<Mc>>>,
}

impl<Mc: Machine> Clone for Script<Mc> {
    fn clone(&self) -> Self {
        Self {
            steps: self.steps.clone(),
        }
    }
}

impl<Mc: Machine> Debug for Script<Mc> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.steps.iter().map(|step| Described(step.describe())))
            .finish()
    }
}

struct Described(String);

impl Debug for Described {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<Mc: Machine + 'static> Script<Mc> {
    fn nothing() -> Self {
        Self { steps: Vec::new() }
    }

    /// Then sends `message` without waiting.
    #[must_use]
    pub fn tell<M>(mut self, message: M) -> Self
    where
        Mc: Accepts<M>,
        M: Message + Clone + Debug + 'static,
        M::Reply: Debug,
    {
        self.steps.push(Rc::new(Plain {
            message,
            waits: false,
        }));
        self
    }

    /// Then sends `message` and waits for its reply.
    pub fn ask<M>(self, message: M) -> Ask<Mc, M>
    where
        Mc: Accepts<M>,
        M: Message + Clone + Debug + 'static,
        M::Reply: Debug,
    {
        Ask {
            before: self,
            message,
        }
    }

    /// Then runs `next`.
    #[must_use]
    pub fn followed_by(mut self, next: impl Into<Self>) -> Self {
        self.steps.extend(next.into().steps);
        self
    }

    /// The script `times` times over.
    #[must_use]
    pub fn repeat(self, times: usize) -> Self {
        let mut steps = Vec::with_capacity(self.steps.len() * times);
        for _ in 0..times {
            steps.extend(self.steps.iter().cloned());
        }
        Self { steps }
    }

    /// How many messages the script sends before its first continuation runs.
    #[must_use]
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// Whether the script sends nothing.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

/// A message sent with [`ask`](Client::ask): the client waits for its reply.
pub struct Ask<Mc: Machine, M> {
    before: Script<Mc>,
    message: M,
}

impl<Mc: Machine, M: Debug> Debug for Ask<Mc, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ask")
            .field("before", &self.before)
            .field("message", &self.message)
            .finish()
    }
}

impl<Mc, M> Ask<Mc, M>
where
    Mc: Machine + Accepts<M> + 'static,
    M: Message + Clone + Debug + 'static,
    M::Reply: Debug,
{
    /// What the client does with the reply: `then` returns the rest of the client's work (use
    /// [`Client::nothing`] to stop). The closure must be a pure function of the reply: the checker
    /// calls it again whenever it reaches the same point, and identifies the continuation by the
    /// reply's hash.
    pub fn then<S, F>(self, next: F) -> Script<Mc>
    where
        M::Reply: Hash,
        F: Fn(M::Reply) -> S + 'static,
        S: Into<Script<Mc>>,
    {
        let mut script = self.before;
        script.steps.push(Rc::new(AskThen {
            message: self.message,
            then: Box::new(move |reply| next(reply).into()),
        }));
        script
    }

    /// Then sends `message` without waiting (the reply to this ask is awaited and ignored).
    #[must_use]
    pub fn tell<N>(self, message: N) -> Script<Mc>
    where
        Mc: Accepts<N>,
        N: Message + Clone + Debug + 'static,
        N::Reply: Debug,
    {
        Script::from(self).tell(message)
    }

    /// Then runs `next` (the reply to this ask is awaited and ignored).
    #[must_use]
    pub fn followed_by(self, next: impl Into<Script<Mc>>) -> Script<Mc> {
        Script::from(self).followed_by(next)
    }

    /// The ask `times` times over, each waiting for its reply.
    #[must_use]
    pub fn repeat(self, times: usize) -> Script<Mc> {
        Script::from(self).repeat(times)
    }
}

impl<Mc, M> From<Ask<Mc, M>> for Script<Mc>
where
    Mc: Machine + Accepts<M> + 'static,
    M: Message + Clone + Debug + 'static,
    M::Reply: Debug,
{
    fn from(ask: Ask<Mc, M>) -> Self {
        let mut script = ask.before;
        script.steps.push(Rc::new(Plain {
            message: ask.message,
            waits: true,
        }));
        script
    }
}

/// A script's steps, shared.
pub(crate) type Steps<Mc> = Rc<[Rc<dyn Envelope<Mc>>]>;

/// The reply side of one delivery: what the explorer tells the envelope, and what the envelope
/// hands back besides the machine. Passed by reference, so that what a delivery returns through
/// the panic guard stays a few words: most deliveries hand back nothing else.
pub(crate) struct Reply<'a, Mc: Machine> {
    /// The sender waits for this reply, so its continuation, if any, runs.
    pub(crate) awaited: bool,
    /// Render the reply as text (traces).
    pub(crate) text: bool,
    /// The index of the continuation interned for a reply's hash, if that reply came before.
    pub(crate) known: &'a dyn Fn(u64) -> Option<u32>,
    /// Where the reply sends its sender.
    pub(crate) next: Next,
    /// The continuation's script, when `next` is [`Next::Fresh`].
    pub(crate) script: Option<Script<Mc>>,
    /// The reply as text, when asked for (`None` for `()`).
    pub(crate) shown: Option<String>,
}

/// Where an awaited reply sends its client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    /// On with the script it was running: the ask has no continuation (or nobody waits).
    Resume,
    /// Into the continuation this reply (hashed as `key`) chose before, interned at `index`.
    Interned { key: u64, index: u32 },
    /// Into the continuation this reply (hashed as `key`) chooses, met for the first time: its
    /// script is in [`Reply::script`].
    Fresh { key: u64 },
}

/// The kind of an [`Outcome`], without its payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A handler ran and the machine moved.
    Moved,
    /// A handler ran and the machine stayed.
    Stayed,
    /// The state discards the message.
    Discarded,
    /// The state defers the message until its state changes.
    Deferred,
    /// The state has no cell for the message.
    Rejected,
    /// The handler panicked (the machine's state is lost).
    Panicked,
}

impl Kind {
    /// `moved`, `stayed`, `discarded`, `deferred` or `rejected`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Moved => "moved",
            Self::Stayed => "stayed",
            Self::Discarded => "discarded",
            Self::Deferred => "deferred",
            Self::Rejected => "rejected",
            Self::Panicked => "panicked",
        }
    }

    /// Whether a handler ran or the message was dropped on purpose: the message is used up.
    #[must_use]
    pub fn handled(self) -> bool {
        matches!(self, Self::Moved | Self::Stayed | Self::Discarded)
    }
}

/// One message of a script, with its type erased: the explorer delivers it through the machine's
/// real [`Accepts::dispatch`].
pub(crate) trait Envelope<Mc: Machine> {
    /// The message's id in [`Machine::MESSAGES`].
    fn message(&self) -> MessageId;
    /// The message, as its `Debug` text.
    fn describe(&self) -> String;
    /// Whether the sender waits for the reply.
    fn waits(&self) -> bool;
    /// Dispatches a copy of the message; returns the machine, what the dispatch did, the state
    /// it left the machine in and the level it moved at (see `Outcome::Moved::level`). `reply` says whether the sender waits for the reply (then the
    /// continuation runs, unless `reply.known` gives the index of the script it returned before for
    /// this reply's hash) and gets where the sender goes next.
    fn deliver(
        &self,
        machine: Mc,
        context: &mut Mc::Context,
        reply: &mut Reply<'_, Mc>,
    ) -> (Mc, Kind, StateId, u8);
}

fn reply_text<R: Debug>(reply: &R) -> Option<String> {
    let text = format!("{reply:?}");
    (text != "()").then_some(text)
}

/// Runs the dispatch and splits the outcome: the machine, the kind, the state it is in, the level
/// a move happened at and the reply of a handled message.
pub(crate) fn dispatch<Mc, M>(
    machine: Mc,
    context: &mut Mc::Context,
    message: M,
) -> (Mc, Kind, StateId, u8, Option<M::Reply>)
where
    Mc: Accepts<M>,
    M: Message,
{
    let (machine, outcome) = machine.dispatch(context, message);
    let (kind, to, level, reply) = match outcome {
        Outcome::Moved {
            to, level, reply, ..
        } => (Kind::Moved, to, level, Some(reply)),
        Outcome::Stayed { state, reply } => (Kind::Stayed, state, 0, Some(reply)),
        Outcome::Discarded { state, reply } => (Kind::Discarded, state, 0, Some(reply)),
        Outcome::Deferred { state, .. } => (Kind::Deferred, state, 0, None),
        Outcome::Rejected { state, .. } => (Kind::Rejected, state, 0, None),
    };
    (machine, kind, to, level, reply)
}

/// A message whose reply, if any, nothing depends on: a tell, or an ask without a continuation
/// (which still makes its client wait for the reply).
struct Plain<M> {
    message: M,
    waits: bool,
}

impl<Mc, M> Envelope<Mc> for Plain<M>
where
    Mc: Accepts<M>,
    M: Message + Clone + Debug,
    M::Reply: Debug,
{
    fn message(&self) -> MessageId {
        <Mc as Accepts<M>>::MESSAGE
    }

    fn describe(&self) -> String {
        format!("{:?}", self.message)
    }

    fn waits(&self) -> bool {
        self.waits
    }

    fn deliver(
        &self,
        machine: Mc,
        context: &mut Mc::Context,
        reply: &mut Reply<'_, Mc>,
    ) -> (Mc, Kind, StateId, u8) {
        let (machine, kind, to, level, answer) = dispatch(machine, context, self.message.clone());
        if reply.text
            && let Some(answer) = &answer
        {
            reply.shown = reply_text(answer);
        }
        (machine, kind, to, level)
    }
}

type Continuation<Mc, R> = Box<dyn Fn(R) -> Script<Mc>>;

struct AskThen<Mc: Machine, M: Message> {
    message: M,
    then: Continuation<Mc, M::Reply>,
}

impl<Mc, M> Envelope<Mc> for AskThen<Mc, M>
where
    Mc: Accepts<M>,
    M: Message + Clone + Debug,
    M::Reply: Debug + Hash,
{
    fn message(&self) -> MessageId {
        <Mc as Accepts<M>>::MESSAGE
    }

    fn describe(&self) -> String {
        format!("{:?}", self.message)
    }

    fn waits(&self) -> bool {
        true
    }

    fn deliver(
        &self,
        machine: Mc,
        context: &mut Mc::Context,
        reply: &mut Reply<'_, Mc>,
    ) -> (Mc, Kind, StateId, u8) {
        let (machine, kind, to, level, answer) = dispatch(machine, context, self.message.clone());
        if let Some(answer) = answer {
            if reply.text {
                reply.shown = reply_text(&answer);
            }
            if reply.awaited {
                let key = hash_one(&answer, 0x7e91);
                reply.next = if let Some(index) = (reply.known)(key) {
                    Next::Interned { key, index }
                } else {
                    reply.script = Some((self.then)(answer));
                    Next::Fresh { key }
                };
            }
        }
        (machine, kind, to, level)
    }
}
