//! Exactly-once effect over at-least-once delivery: [`Envelope`]s numbered per sender, and the
//! [`ExactlyOnce`] wrapper machine that runs each number's handler once, answers a duplicate with
//! the reply it kept, and waits for (or rejects) a number that arrives ahead of its turn.
//!
//! The bookkeeping (per sender: the next number expected and the last replies) lives in the
//! wrapper's value, next to the wrapped machine, so whatever stores or fingerprints the machine
//! (a persisted actor's commit, the race checker) takes it along with the state.

use alloc::collections::{BTreeMap, VecDeque};
use core::fmt;
use core::hash::{Hash, Hasher};
use core::marker::PhantomData;

use crate::machine::{Accepts, Carrier, Machine, MessageId, StateId, StateInfo, Visit};
use crate::message::Message;
use crate::outcome::{Outcome, Reason};

/// Who sent an [`Envelope`]: sequence numbers count per sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SenderId(pub u64);

/// A message with its sender and sequence number: what an [`ExactlyOnce`] machine takes.
///
/// A sender numbers its messages `0, 1, 2, …` (a [`Sequencer`] does it) and, over a network that
/// may lose or repeat them, resends an envelope unchanged until it gets the reply. Its reply is
/// the message's own. Its `Debug` text is short for traces: `1#0 Pay { cents: 500 }` is number 0
/// of sender 1.
#[derive(Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Envelope<M> {
    /// Who sent it.
    pub sender: SenderId,
    /// Its number among the sender's messages, from 0.
    pub seq: u64,
    /// The message.
    pub message: M,
}

impl<M> Envelope<M> {
    /// `message`, number `seq` of `sender`.
    pub const fn new(sender: SenderId, seq: u64, message: M) -> Self {
        Self {
            sender,
            seq,
            message,
        }
    }

    /// Takes the message out (of a rejection, say).
    pub fn into_message(self) -> M {
        self.message
    }
}

impl<M: fmt::Debug> fmt::Debug for Envelope<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{} {:?}", self.sender.0, self.seq, self.message)
    }
}

// Not listed among "other types implementing `Message`" when a user forgets the derive.
#[diagnostic::do_not_recommend]
impl<M: Message> Message for Envelope<M> {
    type Reply = M::Reply;
    type WithReply<T> = M::WithReply<T>;
    const NAME: &'static str = M::NAME;

    fn split_reply<T>(with: Self::WithReply<T>) -> (T, Self::Reply) {
        M::split_reply(with)
    }

    fn join_reply<T>(value: T, reply: Self::Reply) -> Self::WithReply<T> {
        M::join_reply(value, reply)
    }

    fn __provided_reply<H: ?Sized>() -> Self::Reply {
        M::__provided_reply::<H>()
    }
}

/// Numbers one sender's messages: `stamp` wraps each in an [`Envelope`] with the next sequence
/// number. Resend a stamped envelope as it is (clone it) to retry; never stamp a retry anew.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Sequencer {
    sender: SenderId,
    next: u64,
}

impl Sequencer {
    /// A sender that starts at number 0.
    #[must_use]
    pub const fn new(sender: SenderId) -> Self {
        Self::resume(sender, 0)
    }

    /// A sender that goes on from `next` (after a restart, from a number it kept).
    #[must_use]
    pub const fn resume(sender: SenderId, next: u64) -> Self {
        Self { sender, next }
    }

    /// Wraps `message` with the next number.
    pub fn stamp<M>(&mut self, message: M) -> Envelope<M> {
        let seq = self.next;
        // Wrapping, not `+=`: a sender resumed at `u64::MAX` (or from a crafted record) must not
        // panic a debug build; 2^64 messages from one sender do not happen otherwise.
        self.next = self.next.wrapping_add(1);
        Envelope::new(self.sender, seq, message)
    }

    /// The sender.
    #[must_use]
    pub const fn sender(&self) -> SenderId {
        self.sender
    }

    /// The number the next `stamp` gives.
    #[must_use]
    pub const fn next(&self) -> u64 {
        self.next
    }
}

/// What an [`ExactlyOnce`] machine does with an envelope whose number is past the next one
/// expected from its sender (an earlier one is late or lost).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Gaps {
    /// Defers it until the numbers before it have been applied: each sender's messages take
    /// effect in the order it numbered them. A driver keeps it in its deferred queue (a
    /// synchronous `send` cannot wait: `post` it, or use an actor).
    #[default]
    Wait,
    /// Rejects it with [`Reason::Gap`], which names the number expected: the sender resends
    /// from there.
    Reject,
}

/// The default number of replies an [`ExactlyOnce`] machine keeps per sender.
pub const DEFAULT_WINDOW: u32 = 32;

/// Carries a message's reply: `Mc::Input<Replies>` holds the reply of any of `Mc`'s messages, in
/// one type ([`ExactlyOnce`] keeps its window of replies so).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Replies;

impl Carrier for Replies {
    type Of<M: Message> = M::Reply;
}

/// Carries what `C` carries for an [`Envelope`] of the message: the carrier of an
/// [`ExactlyOnce`] machine's input, which is the wrapped machine's input over envelopes.
pub struct Enveloped<C>(PhantomData<fn() -> C>);

impl<C: Carrier> Carrier for Enveloped<C> {
    type Of<M: Message> = C::Of<Envelope<M>>;
}

/// One sender's bookkeeping: the next number expected, and what the last numbers before it got
/// (`kept[i]` is number `next - kept.len() + i`): the reply, or the reason it was rejected.
struct Log<Mc: Machine> {
    next: u64,
    kept: VecDeque<Result<Mc::Input<Replies>, Reason>>,
}

/// `Mc`, taking [`Envelope`]s of its messages: each sender's number runs its handler once.
///
/// - The number expected next from the envelope's sender: the wrapped machine's dispatch runs,
///   and what it answered is kept (the last [`window`](Self::window) per sender).
/// - A number already applied: answered with the kept reply, without running anything
///   ([`Outcome::Discarded`] carrying the original reply); if the first one was rejected, it is
///   rejected again for the same reason. Older than the window: rejected with
///   [`Reason::DuplicateTooOld`].
/// - A number ahead of the one expected: deferred until its turn, or rejected with
///   [`Reason::Gap`], as [`gaps`](Self::gaps) declares.
///
/// A number is used up when its message is applied, discarded or rejected by the wrapped
/// machine; a message the wrapped machine defers (`#[defer]`) keeps it, and the sender's later
/// numbers wait behind it.
///
/// The kept replies are read back through `Mc`'s input enum over [`Replies`], so it must be
/// `Clone` (and `Hash` for the race checker): `#[machine(derive(Clone, Hash))]` on `Mc`, with
/// replies that implement them. State timeouts of `Mc` do not fire in the wrapper (a timeout has
/// no sender).
///
/// ```
/// use lockstep::{Driver, Envelope, ExactlyOnce, Machine, Message, SenderId};
///
/// #[derive(Message, Clone, Debug)] #[message(reply = u32)] pub struct Pay { pub cents: u32 }
///
/// #[derive(Default)] pub struct Ledger { pub charged: u32 }
///
/// #[derive(Machine)]
/// #[machine(context = Ledger, derive(Clone))]
/// pub enum Billing { #[initial] #[on(Pay)] Open }
/// impl BillingHandlers for Ledger {
///     fn open_on_pay(&mut self, pay: Pay) -> u32 { self.charged += pay.cents; self.charged }
/// }
///
/// let mut ledger = Ledger::default();
/// let mut billing = Driver::new(ExactlyOnce::new(Billing::Open).window(8));
/// let shop = SenderId(1);
/// let pay = Envelope::new(shop, 0, Pay { cents: 500 });
/// assert_eq!(billing.send(&mut ledger, pay.clone())?, 500);
/// assert_eq!(billing.send(&mut ledger, pay)?, 500); // the retry: same reply, not charged again
/// assert_eq!(ledger.charged, 500);
/// # Ok::<(), lockstep::Rejected<Envelope<Pay>>>(())
/// ```
pub struct ExactlyOnce<Mc: Machine> {
    machine: Mc,
    window: u32,
    gaps: Gaps,
    senders: BTreeMap<SenderId, Log<Mc>>,
    /// How many numbers were used up, over all senders: the wrapper's
    /// [`progress`](Machine::progress), which lets drivers retry deferred envelopes.
    applied: u64,
}

impl<Mc: Machine> ExactlyOnce<Mc> {
    /// `machine`, keeping [`DEFAULT_WINDOW`] replies per sender and waiting at gaps
    /// ([`Gaps::Wait`]).
    pub fn new(machine: Mc) -> Self {
        Self {
            machine,
            window: DEFAULT_WINDOW,
            gaps: Gaps::Wait,
            senders: BTreeMap::new(),
            applied: 0,
        }
    }

    /// Keeps the replies of the last `replies` numbers of each sender: a duplicate that old or
    /// younger is answered; an older one is rejected ([`Reason::DuplicateTooOld`]). Size it to
    /// how far behind a retry may arrive (a sender's messages in flight at once). `0` keeps none.
    #[must_use]
    pub fn window(mut self, replies: u32) -> Self {
        self.window = replies;
        for log in self.senders.values_mut() {
            log.trim(replies);
        }
        self
    }

    /// What to do with a number ahead of its turn (default [`Gaps::Wait`]).
    #[must_use]
    pub fn gaps(mut self, gaps: Gaps) -> Self {
        self.gaps = gaps;
        self
    }

    /// The wrapped machine.
    pub fn machine(&self) -> &Mc {
        &self.machine
    }

    /// The wrapped machine, without the bookkeeping.
    pub fn into_inner(self) -> Mc {
        self.machine
    }

    /// The number expected next from `sender` (0 for a sender never heard from).
    pub fn expected(&self, sender: SenderId) -> u64 {
        self.senders.get(&sender).map_or(0, |log| log.next)
    }

    /// How many replies are kept for `sender`.
    pub fn kept(&self, sender: SenderId) -> usize {
        self.senders.get(&sender).map_or(0, |log| log.kept.len())
    }

    /// The senders heard from, in order.
    pub fn senders(&self) -> impl ExactSizeIterator<Item = SenderId> + '_ {
        self.senders.keys().copied()
    }

    /// Forgets a sender that is gone for good: its bookkeeping grows the machine's value (and
    /// every record of it) until then. A message from it afterwards starts again from number 0.
    pub fn forget(&mut self, sender: SenderId) {
        self.senders.remove(&sender);
    }

    /// The window of replies kept per sender.
    pub fn replies_kept(&self) -> u32 {
        self.window
    }

    /// What this machine does at a gap.
    pub fn on_gaps(&self) -> Gaps {
        self.gaps
    }
}

impl<Mc: Machine> Log<Mc> {
    fn trim(&mut self, window: u32) {
        while self.kept.len() > window as usize {
            self.kept.pop_front();
        }
    }

    /// Number `next` is used up with `fate`.
    fn record(&mut self, fate: Result<Mc::Input<Replies>, Reason>, window: u32) {
        // Wrapping for the same reason as `Sequencer::stamp`: a record is input, and must not panic.
        self.next = self.next.wrapping_add(1);
        if window > 0 {
            self.kept.push_back(fate);
            self.trim(window);
        }
    }

    /// What number `seq` (below `next`) got, if it is still kept.
    fn fate(&self, seq: u64) -> Option<&Result<Mc::Input<Replies>, Reason>> {
        let back = usize::try_from(self.next - seq).ok()?;
        let index = self.kept.len().checked_sub(back)?;
        self.kept.get(index)
    }
}

impl<Mc> Machine for ExactlyOnce<Mc>
where
    Mc: Machine,
    Mc::Input<Replies>: Clone,
{
    type Context = Mc::Context;
    type Input<C: Carrier> = Mc::Input<Enveloped<C>>;
    const NAME: &'static str = Mc::NAME;
    const STATES: &'static [StateInfo] = Mc::STATES;
    const MESSAGES: &'static [&'static str] = Mc::MESSAGES;
    const CELL_TABLE: &'static [u8] = Mc::CELL_TABLE;
    const INITIAL: StateId = Mc::INITIAL;
    // Its record holds the window and the senders after the machine: never the same bytes as
    // `Mc`'s, and an `ExactlyOnce<ExactlyOnce<Mc>>` differs from both. `| 1`: never 0.
    const RECORD_LAYOUT: u64 =
        (Mc::RECORD_LAYOUT.wrapping_mul(0x0100_0000_01b3) ^ 0x4578_6163_746c_794f) | 1;

    fn state(&self) -> StateId {
        self.machine.state()
    }

    fn state_path(&self) -> crate::StatePath {
        self.machine.state_path()
    }

    fn route<C: Carrier, V: Visit<Self, C>>(input: Self::Input<C>, visitor: V) -> V::Output {
        Mc::route(
            input,
            Unwrap {
                visitor,
                marker: PhantomData,
            },
        )
    }

    fn input_message<C: Carrier>(input: &Self::Input<C>) -> MessageId {
        Mc::input_message::<Enveloped<C>>(input)
    }

    fn progress(&self) -> u64 {
        self.applied.wrapping_add(self.machine.progress())
    }

    fn start(&mut self, context: &mut Self::Context) {
        self.machine.start(context);
    }

    fn leave(&mut self, context: &mut Self::Context) {
        self.machine.leave(context);
    }
}

/// Hands the wrapped machine's input over envelopes to a visitor of the wrapper.
struct Unwrap<Mc, C, V> {
    visitor: V,
    marker: PhantomData<fn() -> (Mc, C)>,
}

impl<Mc, C, V> Visit<Mc, Enveloped<C>> for Unwrap<Mc, C, V>
where
    Mc: Machine,
    Mc::Input<Replies>: Clone,
    C: Carrier,
    V: Visit<ExactlyOnce<Mc>, C>,
{
    type Output = V::Output;

    fn visit<M: Message>(self, item: C::Of<Envelope<M>>) -> V::Output
    where
        Mc: Accepts<M>,
    {
        self.visitor.visit::<Envelope<M>>(item)
    }
}

impl<Mc, M> Accepts<Envelope<M>> for ExactlyOnce<Mc>
where
    Mc: Accepts<M>,
    Mc::Input<Replies>: Clone,
    M: Message,
{
    const MESSAGE: MessageId = <Mc as Accepts<M>>::MESSAGE;

    fn dispatch(
        mut self,
        context: &mut Self::Context,
        envelope: Envelope<M>,
    ) -> (Self, Outcome<Envelope<M>>) {
        let state = self.machine.state();
        let expected = self.expected(envelope.sender);
        if envelope.seq < expected {
            let outcome = self.duplicate(state, envelope, expected);
            return (self, outcome);
        }
        if envelope.seq > expected {
            let outcome = match self.gaps {
                Gaps::Wait => Outcome::Deferred {
                    state,
                    message: envelope,
                },
                Gaps::Reject => Outcome::Rejected {
                    state,
                    message: envelope,
                    reason: Reason::Gap { expected },
                },
            };
            return (self, outcome);
        }
        let Envelope {
            sender,
            seq,
            message,
        } = envelope;
        let (machine, outcome) = self.machine.dispatch(context, message);
        self.machine = machine;
        let (reply, outcome) = match outcome {
            Outcome::Moved {
                from,
                to,
                level,
                reply,
            } => (reply, Stamp::Moved { from, to, level }),
            Outcome::Stayed { state, reply } => (reply, Stamp::Stayed { state }),
            Outcome::Discarded { state, reply } => (reply, Stamp::Discarded { state }),
            Outcome::Deferred { state, message } => {
                // Not its turn in the wrapped machine's state: the number stays unused, and the
                // sender's later numbers wait behind it.
                let message = Envelope::new(sender, seq, message);
                return (self, Outcome::Deferred { state, message });
            }
            Outcome::Rejected {
                state,
                message,
                reason,
            } => {
                self.use_up(sender, Err(reason));
                let message = Envelope::new(sender, seq, message);
                let outcome = Outcome::Rejected {
                    state,
                    message,
                    reason,
                };
                return (self, outcome);
            }
        };
        let kept = <Mc as Accepts<M>>::input::<Replies>(reply);
        // `take(input(reply))` is `Ok(reply)` for every derived machine. Only a hand-written
        // `Accepts` impl that breaks that law panics here, inside the dispatch, where the actor
        // and the checker catch it as they catch a handler's panic: its reply is already lost.
        let Ok(reply) = <Mc as Accepts<M>>::take::<Replies>(kept.clone()) else {
            unreachable!(
                "`{}::take` does not give back what its `input` wrapped",
                Mc::NAME
            )
        };
        self.use_up(sender, Ok(kept));
        (self, outcome.with(reply))
    }

    fn input<C: Carrier>(item: C::Of<Envelope<M>>) -> Self::Input<C> {
        <Mc as Accepts<M>>::input::<Enveloped<C>>(item)
    }

    fn take<C: Carrier>(input: Self::Input<C>) -> Result<C::Of<Envelope<M>>, Self::Input<C>> {
        <Mc as Accepts<M>>::take::<Enveloped<C>>(input)
    }
}

impl<Mc> ExactlyOnce<Mc>
where
    Mc: Machine,
    Mc::Input<Replies>: Clone,
{
    fn use_up(&mut self, sender: SenderId, fate: Result<Mc::Input<Replies>, Reason>) {
        let window = self.window;
        self.senders
            .entry(sender)
            .or_insert_with(|| Log {
                next: 0,
                kept: VecDeque::new(),
            })
            .record(fate, window);
        self.applied = self.applied.wrapping_add(1);
    }

    /// The answer to number `seq`, already used up: what it got the first time, if kept.
    fn duplicate<M>(
        &self,
        state: StateId,
        envelope: Envelope<M>,
        expected: u64,
    ) -> Outcome<Envelope<M>>
    where
        Mc: Accepts<M>,
        M: Message,
    {
        let fate = self
            .senders
            .get(&envelope.sender)
            .and_then(|log| log.fate(envelope.seq));
        let reason = match fate {
            Some(Ok(kept)) => match <Mc as Accepts<M>>::take::<Replies>(kept.clone()) {
                Ok(reply) => return Outcome::Discarded { state, reply },
                Err(_) => Reason::SequenceReused { expected },
            },
            Some(Err(reason)) => *reason,
            None => Reason::DuplicateTooOld { expected },
        };
        Outcome::Rejected {
            state,
            message: envelope,
            reason,
        }
    }
}

/// An outcome that ran a handler, waiting for its reply.
enum Stamp {
    Moved {
        from: StateId,
        to: StateId,
        level: u8,
    },
    Stayed {
        state: StateId,
    },
    Discarded {
        state: StateId,
    },
}

impl Stamp {
    fn with<M: Message>(self, reply: M::Reply) -> Outcome<M> {
        match self {
            Self::Moved { from, to, level } => Outcome::Moved {
                from,
                to,
                level,
                reply,
            },
            Self::Stayed { state } => Outcome::Stayed { state, reply },
            Self::Discarded { state } => Outcome::Discarded { state, reply },
        }
    }
}

impl<Mc: Machine> Clone for Log<Mc>
where
    Mc::Input<Replies>: Clone,
{
    fn clone(&self) -> Self {
        Self {
            next: self.next,
            kept: self.kept.clone(),
        }
    }
}

impl<Mc: Machine> Clone for ExactlyOnce<Mc>
where
    Mc: Clone,
    Mc::Input<Replies>: Clone,
{
    fn clone(&self) -> Self {
        Self {
            machine: self.machine.clone(),
            window: self.window,
            gaps: self.gaps,
            senders: self.senders.clone(),
            applied: self.applied,
        }
    }
}

// Hash, Eq: by the machine and the bookkeeping, for the race checker's fingerprints and for
// tests. `applied` follows from the logs (the sum of their `next`), so it is left out.
impl<Mc: Machine + Hash> Hash for ExactlyOnce<Mc>
where
    Mc::Input<Replies>: Hash,
{
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.machine.hash(state);
        self.window.hash(state);
        self.gaps.hash(state);
        state.write_usize(self.senders.len());
        for (sender, log) in &self.senders {
            sender.hash(state);
            log.next.hash(state);
            log.kept.hash(state);
        }
    }
}

impl<Mc: Machine + PartialEq> PartialEq for ExactlyOnce<Mc>
where
    Mc::Input<Replies>: PartialEq,
{
    fn eq(&self, other: &Self) -> bool {
        self.machine == other.machine
            && self.window == other.window
            && self.gaps == other.gaps
            && self.senders.len() == other.senders.len()
            && self
                .senders
                .iter()
                .zip(&other.senders)
                .all(|((a, x), (b, y))| a == b && x.next == y.next && x.kept == y.kept)
    }
}

impl<Mc: Machine + Eq> Eq for ExactlyOnce<Mc> where Mc::Input<Replies>: Eq {}

impl<Mc: Machine + fmt::Debug> fmt::Debug for ExactlyOnce<Mc> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Expected<'a, Mc: Machine>(&'a BTreeMap<SenderId, Log<Mc>>);
        impl<Mc: Machine> fmt::Debug for Expected<'_, Mc> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_map()
                    .entries(self.0.iter().map(|(sender, log)| (sender.0, log.next)))
                    .finish()
            }
        }
        f.debug_struct("ExactlyOnce")
            .field("machine", &self.machine)
            .field("window", &self.window)
            .field("gaps", &self.gaps)
            .field("expected", &Expected(&self.senders))
            .finish_non_exhaustive()
    }
}

/// The bookkeeping as a store records it: the machine, the window, the gap policy, and per sender
/// the next number and the kept answers. A record restores to the same machine, kept replies
/// included, so a duplicate that arrives after a restart is still answered, not applied again.
#[cfg(feature = "serde")]
mod record {
    use alloc::collections::{BTreeMap, VecDeque};
    use alloc::vec::Vec;

    use serde::de::{Deserialize, Deserializer};
    use serde::ser::{Serialize, SerializeStruct, Serializer};

    use super::{ExactlyOnce, Gaps, Log, Replies, SenderId};
    use crate::machine::Machine;
    use crate::outcome::Reason;

    type Kept<Mc> = VecDeque<Result<<Mc as Machine>::Input<Replies>, Reason>>;

    struct Senders<'a, Mc: Machine>(&'a BTreeMap<SenderId, Log<Mc>>);

    impl<Mc: Machine> Serialize for Senders<'_, Mc>
    where
        Mc::Input<Replies>: Serialize,
    {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.collect_seq(
                self.0
                    .iter()
                    .map(|(sender, log)| (sender, log.next, &log.kept)),
            )
        }
    }

    impl<Mc> Serialize for ExactlyOnce<Mc>
    where
        Mc: Machine + Serialize,
        Mc::Input<Replies>: Serialize,
    {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let mut record = serializer.serialize_struct("ExactlyOnce", 4)?;
            record.serialize_field("machine", &self.machine)?;
            record.serialize_field("window", &self.window)?;
            record.serialize_field("gaps", &self.gaps)?;
            record.serialize_field("senders", &Senders(&self.senders))?;
            record.end()
        }
    }

    #[derive(serde::Deserialize)]
    #[serde(
        rename = "ExactlyOnce",
        bound(deserialize = "Mc: Deserialize<'de>, Mc::Input<Replies>: Deserialize<'de>")
    )]
    struct Owned<Mc: Machine> {
        machine: Mc,
        window: u32,
        gaps: Gaps,
        senders: Vec<(SenderId, u64, Kept<Mc>)>,
    }

    impl<'de, Mc> Deserialize<'de> for ExactlyOnce<Mc>
    where
        Mc: Machine + Deserialize<'de>,
        Mc::Input<Replies>: Deserialize<'de>,
    {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            let owned = Owned::<Mc>::deserialize(deserializer)?;
            let applied = owned
                .senders
                .iter()
                .fold(0u64, |sum, (_, next, _)| sum.wrapping_add(*next));
            let senders = owned
                .senders
                .into_iter()
                .map(|(sender, next, kept)| (sender, Log { next, kept }))
                .collect();
            Ok(Self {
                machine: owned.machine,
                window: owned.window,
                gaps: owned.gaps,
                senders,
                applied,
            })
        }
    }
}
