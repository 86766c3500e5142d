//! One explored state ("world"): the machine, its context, every client's position, the messages
//! in flight and the machine's deferred queue; the events enabled in it and how each one runs.
//!
//! Everything but the machine and context is a handful of `u32`s: scripts, client positions and
//! letters (messages sent) live once in an [`Arena`], interned, and a state refers to them by
//! index. So a state is small to store and to copy, the hashes of its parts are computed once
//! per distinct part, and a continuation (`then`) runs once per distinct (ask, reply), not once
//! per transition that reaches it.
//!
//! An event does not run on a copy of the state it starts from. [`Setup::step`] reads that state
//! through a [`View`], runs the dispatch on copies of the machine and context only, and describes
//! the rest of what changes as a [`Step`]: the one client whose letter was delivered, its new
//! position, the letter taken out, the letters that client sent next, the deferred queue's
//! change. It computes the fingerprint of the state reached from the [`Parts`] of the state left
//! and the step alone, in a few additions; the state is written out ([`Step::write`]) only if it
//! is new: most transitions reach a state already visited.

use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;
use core::hash::{BuildHasher, Hash, Hasher};
use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use super::coverage::Coverage;
use super::fingerprint::{FpHasher, hash_one, mix};
use super::network::{Network, Replay};
use super::script::{Envelope, Kind, Next, Reply, Script, Steps};
use crate::machine::{Machine, MessageId, StateId};

/// "None" for the `u32` indices below.
const NONE: u32 = u32::MAX;

/// Where a client is in one script.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Frame {
    /// The script, in the arena (`NONE`: the client has finished).
    script: u32,
    /// The next step to send.
    next: u32,
    /// Identifies the script: the client's seed for its own script, else a hash of the ask whose
    /// reply produced it and of that reply.
    id: u64,
}

impl Frame {
    const DONE: Self = Self {
        script: NONE,
        next: 0,
        id: 0,
    };

    fn hash(self) -> u64 {
        mix(self.id, u64::from(self.next))
    }
}

/// A frame under the top one, with the frames under it: interned in the arena.
#[derive(Debug, Clone, Copy)]
struct Outer {
    frame: Frame,
    parent: u32,
    parent_hash: u64,
}

/// How a client stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Status {
    /// Waiting for the reply to an ask.
    Waiting,
    /// Sent everything.
    Done,
    /// An ask of its was rejected: it gets no reply, and stops.
    GaveUp,
}

/// A client's position: the frame it runs and the stack under it. Interned: a state holds its
/// index ([`Position`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct ClientState {
    top: Frame,
    /// The frames under `top` (`NONE`: none), and their hash.
    outer: u32,
    outer_hash: u64,
    status: Status,
}

impl ClientState {
    /// The position's hash, without the client's seed.
    fn hash(&self) -> u64 {
        mix(mix(self.status as u64, self.top.hash()), self.outer_hash)
    }
}

/// A message sent and not yet delivered (or parked in the deferred queue). Interned: a state
/// holds its index ([`LetterId`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Letter {
    /// Identifies the step that sent it (frame id and step index).
    origin: u64,
    pub(crate) client: u32,
    /// The step, in [`Arena::steps`].
    at: u32,
    /// The sender waits for this reply (an ask whose reply has not come yet).
    awaited: bool,
    /// Extra deliveries still possible (at-least-once network).
    copies: u8,
}

/// Only what identifies a letter: the step is implied by its origin and sender.
impl Hash for Letter {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.origin);
        state.write_u64(
            u64::from(self.client) << 16 | u64::from(self.copies) << 1 | u64::from(self.awaited),
        );
    }
}

impl Letter {
    /// The copy that stays in flight when a duplicating network delivers this letter: one
    /// redelivery fewer, and nobody waits for its reply (the sender takes the first one).
    fn kept(self) -> Self {
        Self {
            copies: self.copies.saturating_sub(1),
            awaited: false,
            ..self
        }
    }

    /// What the letter adds to its sender's slot while in flight.
    ///
    /// A client's letters are summed, as a multiset, under every network. Under
    /// [`Network::Ordered`] their order is implied: an ask blocks its client and is delivered
    /// after all its older letters, so a client's letters in flight are always part of what it
    /// sent in one burst since its last reply, in the order its script sends them; and two letters
    /// of a burst sent by different frames are in the order of those frames on the client's stack,
    /// which each frame's id (derived from the ids of the frames under it) fixes. A sum lets a step
    /// update the slot (take the delivered letter out, add what was sent) without reading the
    /// others.
    fn flight_hash(&self) -> u64 {
        mix(
            self.origin,
            u64::from(self.copies) << 1 | u64::from(self.awaited),
        )
    }
}

/// A client position, by its index in the arena.
type Position = u32;
/// A letter, by its index in the arena.
pub(crate) type LetterId = u32;

/// One state, owned: the initial state, and the state a trace or a random walk is in.
pub(crate) struct World<Mc: Machine> {
    /// `None` only after a handler panicked.
    pub(crate) machine: Option<Mc>,
    pub(crate) context: Mc::Context,
    /// The clients' positions, the letters in flight, then the deferred queue.
    words: Vec<u32>,
    /// How many clients.
    width: usize,
    /// How many letters are in flight.
    flight: usize,
    /// The deferred message to replay next, when a replay is due (after a state change).
    pub(crate) replay: Option<u32>,
    /// Which levels' timeouts are armed (bit `n`: level `n` of the state path; one bit for a flat
    /// machine): entered by a move into a state that declares one, spent
    /// when it fires (a staying timeout does not re-arm, as in the actor).
    pub(crate) armed: u8,
}

impl<Mc: Machine + Clone> Clone for World<Mc>
where
    Mc::Context: Clone,
{
    fn clone(&self) -> Self {
        Self {
            machine: self.machine.clone(),
            context: self.context.clone(),
            words: self.words.clone(),
            width: self.width,
            flight: self.flight,
            replay: self.replay,
            armed: self.armed,
        }
    }
}

impl<Mc: Machine> World<Mc> {
    /// The letters in flight.
    pub(crate) fn flight(&self) -> &[LetterId] {
        &self.words[self.width..self.width + self.flight]
    }

    /// The deferred queue.
    pub(crate) fn deferred(&self) -> &[LetterId] {
        &self.words[self.width + self.flight..]
    }

    /// The machine and context, unless a handler panicked.
    pub(crate) fn pair(&self) -> Option<(&Mc, &Mc::Context)> {
        Some((self.machine.as_ref()?, &self.context))
    }

    /// The world, borrowed (`None` after a handler panicked: nothing more can happen).
    pub(crate) fn view(&self) -> Option<View<'_, Mc>> {
        Some(View {
            machine: self.machine.as_ref()?,
            context: &self.context,
            words: &self.words,
            clients: &self.words[..self.width],
            flight: self.flight(),
            deferred: self.deferred(),
            replay: self.replay,
            armed: self.armed,
        })
    }
}

/// A state, borrowed: from a [`World`], or from a breadth-first [`Level`] where it is stored flat.
pub(crate) struct View<'a, Mc: Machine> {
    pub(crate) machine: &'a Mc,
    pub(crate) context: &'a Mc::Context,
    /// The clients' positions, the letters in flight and the deferred queue, one after the
    /// other; and each of them.
    words: &'a [u32],
    clients: &'a [Position],
    flight: &'a [LetterId],
    deferred: &'a [LetterId],
    replay: Option<u32>,
    armed: u8,
}

impl<Mc: Machine> Clone for View<'_, Mc> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<Mc: Machine> Copy for View<'_, Mc> {}

/// How an event took its letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Taken {
    /// Out of the flight, at this index.
    Removed(u32),
    /// A copy of the letter at this index, which stays in flight as the second letter
    /// ([`Letter::kept`]).
    Copied(u32, LetterId),
    /// From the deferred queue (a replay); its place there is in [`Step::queue`].
    Replayed,
    /// No letter: a state timeout fired.
    Elapsed,
}

/// What an event does to the deferred queue.
#[derive(Debug, Clone, Copy)]
enum Queue {
    Same,
    Push(LetterId),
    Remove(u32),
}

/// What one event changes in the state it runs in, but the machine and context (which the event
/// changes in place, on copies): only the client whose letter it delivers can move, so a step
/// is that client's new position, how the letter was taken, what the client sent next and the
/// change to the deferred queue. A buffer, reused from one event to the next.
pub(crate) struct Step {
    client: u32,
    position: Position,
    taken: Taken,
    /// The letters the client sent after the delivery, appended to the flight.
    sent: Vec<LetterId>,
    queue: Queue,
    replay: Option<u32>,
    armed: u8,
    /// The fingerprint of the state reached, when [`Setup::step`] was given the parts of the
    /// parent's; and the parts of the state reached: the client's slot, the clients' sum and the
    /// deferred queue's hash.
    fingerprint: Option<u64>,
    slot: u64,
    clients: u64,
    queue_hash: u64,
    /// The cell of the state × message matrix the event exercised.
    cell: (StateId, MessageId),
    /// What happened, when the event ran with `text`.
    happened: Option<Happened>,
}

impl Step {
    pub(crate) fn new() -> Self {
        Self {
            client: 0,
            position: 0,
            taken: Taken::Replayed,
            sent: Vec::new(),
            queue: Queue::Same,
            replay: None,
            armed: 0,
            fingerprint: None,
            slot: 0,
            clients: 0,
            queue_hash: 0,
            cell: (StateId(0), MessageId(0)),
            happened: None,
        }
    }

    /// Records the cell the event exercised (in `coverage` too), and with `text` what happened.
    fn exercised(
        &mut self,
        coverage: Option<&mut Coverage>,
        (from, message): (StateId, MessageId),
        text: bool,
        happened: impl FnOnce() -> Happened,
    ) {
        if let Some(coverage) = coverage {
            coverage.mark(from, message);
        }
        self.cell = (from, message);
        if text {
            self.happened = Some(happened());
        }
    }

    /// The cell of the state × message matrix the event exercised (unless its handler panicked).
    pub(crate) fn cell(&self) -> (StateId, MessageId) {
        self.cell
    }

    /// The fingerprint of the state reached (see [`Setup::step`]).
    pub(crate) fn fingerprint(&self) -> Option<u64> {
        self.fingerprint
    }

    /// Appends the plain data of the state reached from `parent` to `out`: the clients'
    /// positions, the letters in flight, then the deferred queue; returns how many letters are in
    /// flight.
    fn write(&self, parent: &View<'_, impl Machine>, out: &mut Vec<u32>) -> usize {
        // The parent's words are copied in as few pieces as the step allows (two, usually): a
        // state is a few dozen bytes, where each copy's call costs more than its bytes.
        let width = parent.clients.len();
        let flight_end = width + parent.flight.len();
        let start = out.len();
        out.reserve(parent.words.len() + self.sent.len() + 1);
        match self.taken {
            Taken::Removed(index) => {
                let cut = width + index as usize;
                out.extend_from_slice(&parent.words[..cut]);
                out.extend_from_slice(&parent.words[cut + 1..flight_end]);
            }
            Taken::Copied(index, kept) => {
                out.extend_from_slice(&parent.words[..flight_end]);
                // The copy that stays in flight takes the delivered letter's place.
                out[start + width + index as usize] = kept;
            }
            Taken::Replayed | Taken::Elapsed => {
                out.extend_from_slice(&parent.words[..flight_end]);
            }
        }
        out[start + self.client as usize] = self.position;
        if !self.sent.is_empty() {
            out.extend_from_slice(&self.sent);
        }
        let flight = out.len() - start - width;
        if !parent.deferred.is_empty() {
            out.extend_from_slice(parent.deferred);
        }
        match self.queue {
            Queue::Same => {}
            Queue::Push(letter) => out.push(letter),
            Queue::Remove(index) => {
                out.remove(start + width + flight + index as usize);
            }
        }
        flight
    }

    /// The deferred queue after the step.
    fn deferred<'a>(
        &'a self,
        parent: &View<'a, impl Machine>,
    ) -> impl Iterator<Item = LetterId> + 'a {
        let (removed, pushed) = match self.queue {
            Queue::Same => (NONE, None),
            Queue::Push(letter) => (NONE, Some(letter)),
            Queue::Remove(index) => (index, None),
        };
        parent
            .deferred
            .iter()
            .zip(0u32..)
            .filter(move |(_, index)| *index != removed)
            .map(|(&letter, _)| letter)
            .chain(pushed)
    }
}

/// The parts of a state's fingerprint that a step can change, kept with the state: each client's
/// "slot" (its position and its letters in flight, hashed), the sum of what the slots add to the
/// fingerprint, and the hash of the deferred queue. A step changes one client's slot, so the
/// fingerprint of the state it reaches costs a few additions, whatever the number of clients and
/// letters.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Parts<'a> {
    slots: &'a [u64],
    clients: u64,
    queue: u64,
}

/// [`Parts`], owned: those of a [`World`].
#[derive(Debug, Clone, Default)]
pub(crate) struct Print {
    slots: Vec<u64>,
    clients: u64,
    queue: u64,
}

/// What a slot adds to the fingerprint. Slots are summed, so the clients of a symmetric group
/// (which share a seed) can be permuted without changing it; the mix keeps a slot's position and
/// letters together (two clients swapping only their letters is another state).
fn slot_term(slot: u64) -> u64 {
    mix(slot, 0xc1)
}

/// Breadth-first levels, stored flat: each state's plain-data parts are spans of level-wide
/// vectors, so a level is read and written sequentially (no allocation per state, and the
/// hardware prefetches what the next state needs). States are expanded where they lie, through a
/// [`View`], and a cleared level keeps its buffers for the level after next.
pub(crate) struct Level<Mc: Machine> {
    heads: Vec<Head<Mc>>,
    /// Per state, its clients' positions, its letters in flight and its deferred queue.
    words: Vec<u32>,
    /// Per state, its clients' slots ([`Parts`]), when states are fingerprinted.
    slots: Vec<u64>,
    paths: Vec<u8>,
    /// Clients per state.
    width: usize,
}

/// A state of a level, but for its spans of the level's vectors. Where they start is not
/// kept: a level is read in order, and each span starts where the one before ends.
struct Head<Mc: Machine> {
    machine: Mc,
    context: Mc::Context,
    replay: Option<u32>,
    armed: u8,
    flight: u32,
    deferred: u32,
    path_len: u32,
    clients: u64,
    queue: u64,
}

impl<Mc: Machine> Level<Mc> {
    pub(crate) fn new(width: usize) -> Self {
        Self {
            heads: Vec::new(),
            words: Vec::new(),
            slots: Vec::new(),
            paths: Vec::new(),
            width,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.heads.len()
    }

    pub(crate) fn clear(&mut self) {
        self.heads.clear();
        self.words.clear();
        self.slots.clear();
        self.paths.clear();
    }

    /// Appends the initial state (the empty path), with its fingerprint parts; a world whose
    /// handler panicked is not one.
    pub(crate) fn push_world(&mut self, world: World<Mc>, print: &Print) {
        let Some(machine) = world.machine else {
            return;
        };
        self.words.extend_from_slice(&world.words);
        self.slots.extend_from_slice(&print.slots);
        self.heads.push(Head {
            machine,
            context: world.context,
            replay: world.replay,
            armed: world.armed,
            flight: u32::try_from(world.flight).unwrap_or(NONE),
            deferred: u32::try_from(world.words.len() - world.width - world.flight).unwrap_or(NONE),
            path_len: 0,
            clients: print.clients,
            queue: print.queue,
        });
    }

    /// Appends the state `step` reaches from `parent` (whose fingerprint parts are `parts` and
    /// path is `path`) by its event number `index`, with the machine and context the step left.
    pub(crate) fn push_step(
        &mut self,
        (parent, parts, path): (&View<'_, Mc>, &Parts<'_>, &[u8]),
        step: &Step,
        (machine, context): (Mc, Mc::Context),
        index: u32,
    ) {
        let start = self.paths.len();
        self.paths.extend_from_slice(path);
        push_varint(&mut self.paths, index);
        let words = self.words.len();
        let flight = step.write(parent, &mut self.words);
        if !parts.slots.is_empty() {
            let first = self.slots.len();
            self.slots.extend_from_slice(parts.slots);
            self.slots[first + step.client as usize] = step.slot;
        }
        self.heads.push(Head {
            machine,
            context,
            replay: step.replay,
            armed: step.armed,
            flight: u32::try_from(flight).unwrap_or(NONE),
            deferred: u32::try_from(self.words.len() - words - self.width - flight).unwrap_or(NONE),
            path_len: u32::try_from(self.paths.len() - start).unwrap_or(NONE),
            clients: step.clients,
            queue: step.queue_hash,
        });
    }

    /// The states, in order, borrowed, each with its fingerprint parts and its path.
    pub(crate) fn states(&self) -> impl Iterator<Item = (View<'_, Mc>, Parts<'_>, &[u8])> {
        let width = self.width;
        let slots_width = if self.slots.is_empty() { 0 } else { width };
        let (mut words, mut slots, mut paths) = (&self.words[..], &self.slots[..], &self.paths[..]);
        self.heads.iter().map(move |head| {
            let (all, rest) = words.split_at(width + (head.flight + head.deferred) as usize);
            words = rest;
            let (clients, rest) = all.split_at(width);
            let (flight, rest) = rest.split_at(head.flight as usize);
            let deferred = rest;
            let (own, rest) = slots.split_at(slots_width);
            slots = rest;
            let (path, rest) = paths.split_at(head.path_len as usize);
            paths = rest;
            let view = View {
                machine: &head.machine,
                context: &head.context,
                words: all,
                clients,
                flight,
                deferred,
                replay: head.replay,
                armed: head.armed,
            };
            let parts = Parts {
                slots: own,
                clients: head.clients,
                queue: head.queue,
            };
            (view, parts, path)
        })
    }
}

/// Appends `index` as a LEB128 varint.
#[inline]
pub(crate) fn push_varint(out: &mut Vec<u8>, mut index: u32) {
    loop {
        #[allow(clippy::cast_possible_truncation)]
        let low = (index & 0x7f) as u8;
        index >>= 7;
        if index == 0 {
            out.push(low);
            return;
        }
        out.push(low | 0x80);
    }
}

/// Something that can happen next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Event {
    /// The network delivers in-flight letter `index`; with `keep`, a duplicate stays in flight.
    Deliver { index: u32, keep: bool },
    /// The machine replays the deferred message at the replay cursor.
    Replay,
    /// The `#[timeout(..)]` of the state at `level` of the state path fires: time passes, at any
    /// point between deliveries.
    Elapse { level: u8 },
}

impl Event {
    /// Whether `events` leave nothing to happen but time passing: the clients are done and
    /// nothing is in flight or due for replay. `at_end` properties are checked there — before a
    /// pending timeout fires and after — so a machine that times out in a cycle is checked too.
    pub(crate) fn only_time(events: &[Event]) -> bool {
        events
            .iter()
            .all(|event| matches!(event, Event::Elapse { .. }))
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct FpBuild;

impl BuildHasher for FpBuild {
    type Hasher = FpHasher;
    fn build_hasher(&self) -> FpHasher {
        FpHasher::new(0x1d)
    }
}

/// Consecutive entries of a vector: a script's steps in [`Arena::steps`], the letters of a
/// [`Resumed`].
#[derive(Debug, Clone, Copy)]
struct Span {
    start: u32,
    len: u32,
}

/// Values interned by index, each with its hash.
struct Interned<T> {
    values: Vec<(T, u64)>,
    index: HashMap<T, u32, FpBuild>,
}

impl<T: Copy + Eq + Hash> Interned<T> {
    fn new() -> Self {
        Self {
            values: Vec::new(),
            index: HashMap::with_hasher(FpBuild),
        }
    }

    /// The index of `value`, added (with `hash(&value)`) if new.
    fn intern(&mut self, value: T, hash: impl FnOnce(&T) -> u64) -> u32 {
        let next = u32::try_from(self.values.len()).unwrap_or(NONE);
        let index = *self.index.entry(value).or_insert(next);
        if index == next {
            self.values.push((value, hash(&value)));
        }
        index
    }

    fn get(&self, index: u32) -> T {
        self.values[index as usize].0
    }

    fn hash(&self, index: u32) -> u64 {
        self.values[index as usize].1
    }
}

/// Every script the clients run, each once: the clients' own, and the continuations' results
/// interned by the id of the frame that runs them; the stacks of frames under a top one; and the
/// client positions and letters the states refer to.
pub(crate) struct Arena<Mc: Machine> {
    /// The steps of every script, one after the other; a script is a [`Span`] of them, and a
    /// letter knows its step's place here, so reaching it touches no reference count.
    steps: Vec<Rc<dyn Envelope<Mc>>>,
    /// Per step, whether its sender waits for the reply, and its message: read as the client
    /// sends and as the message is delivered, with no virtual call.
    waits: Vec<bool>,
    messages: Vec<MessageId>,
    scripts: Vec<Span>,
    by_id: HashMap<u64, u32, FpBuild>,
    outers: Vec<Outer>,
    outer_by_hash: HashMap<u64, u32, FpBuild>,
    positions: Interned<ClientState>,
    letters: Interned<Letter>,
    /// Where a reply took its client: what [`Setup::resume`] did, by what it depends on.
    resumed: HashMap<Resumption, Resumed, FpBuild>,
    /// The letters of every [`Resumed`], one after the other.
    resumed_sent: Vec<LetterId>,
}

/// What a reply does to its client depends on nothing else: where the client was, the letter
/// replied to and the reply's hash (`None`: the ask has no continuation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Resumption {
    position: Position,
    letter: LetterId,
    reply: Option<u64>,
}

/// Where a reply took its client, and what the client sent next (a [`Span`] of
/// [`Arena::resumed_sent`]).
#[derive(Debug, Clone, Copy)]
struct Resumed {
    position: Position,
    sent: Span,
}

impl<Mc: Machine> Arena<Mc> {
    fn intern_outer(&mut self, outer: Outer) -> (u32, u64) {
        let hash = mix(outer.frame.hash(), outer.parent_hash);
        let next = u32::try_from(self.outers.len()).unwrap_or(NONE);
        let index = *self.outer_by_hash.entry(hash).or_insert(next);
        if index == next {
            self.outers.push(outer);
        }
        (index, hash)
    }

    /// Adds a script; returns its index.
    fn push_script(&mut self, steps: impl IntoIterator<Item = Rc<dyn Envelope<Mc>>>) -> u32 {
        let start = self.steps.len();
        for step in steps {
            self.waits.push(step.waits());
            self.messages.push(step.message());
            self.steps.push(step);
        }
        self.scripts.push(Span {
            start: u32::try_from(start).unwrap_or(NONE),
            len: u32::try_from(self.steps.len() - start).unwrap_or(NONE),
        });
        u32::try_from(self.scripts.len() - 1).unwrap_or(NONE)
    }

    /// Where step `step` of script `script` is in [`steps`](Self::steps), if it exists.
    fn step(&self, script: u32, step: u32) -> Option<usize> {
        let span = self.scripts.get(script as usize)?;
        (step < span.len).then(|| (span.start + step) as usize)
    }

    fn envelope(&self, letter: &Letter) -> Option<&Rc<dyn Envelope<Mc>>> {
        self.steps.get(letter.at as usize)
    }

    fn position(&mut self, state: ClientState) -> Position {
        self.positions.intern(state, ClientState::hash)
    }

    fn letter(&mut self, letter: Letter) -> LetterId {
        self.letters.intern(letter, Letter::flight_hash)
    }
}

/// The static part of a run: how the clients start and what the network may do.
pub(crate) struct Setup<Mc: Machine> {
    pub(crate) names: Vec<String>,
    /// Per client: its seed (shared by the clients of a symmetric group) and its script.
    pub(crate) seeds: Vec<u64>,
    roots: Vec<u32>,
    arena: RefCell<Arena<Mc>>,
    pub(crate) network: Network,
    pub(crate) replay: Replay,
    pub(crate) redeliveries: u8,
    pub(crate) hash_state: Option<fn(&Mc, &Mc::Context) -> u64>,
    /// Whether a state's `#[timeout(..)]` may fire (an event whenever the machine is in a state
    /// that declares one).
    pub(crate) timeouts: bool,
}

/// What one event did, for traces.
#[derive(Debug, Clone)]
pub(crate) struct Happened {
    pub(crate) from: StateId,
    pub(crate) to: StateId,
    pub(crate) kind: Kind,
    pub(crate) reply: Option<String>,
    pub(crate) replayed: bool,
    pub(crate) duplicate_kept: bool,
    pub(crate) redelivery: bool,
}

/// A handler panicked: its message, as text.
#[derive(Debug, Clone)]
pub(crate) struct Panicked {
    pub(crate) message: String,
}

impl Panicked {
    #[allow(clippy::needless_pass_by_value)] // `map_err` hands the payload over by value
    fn from_payload(payload: Box<dyn core::any::Any + Send>) -> Self {
        Panicked {
            message: panic_text(payload.as_ref()),
        }
    }
}

fn panic_text(payload: &(dyn core::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        String::from(*text)
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        String::from("a handler panicked")
    }
}

impl<Mc: Machine> Setup<Mc>
where
    Mc: Clone,
    Mc::Context: Clone,
{
    pub(crate) fn new(
        names: Vec<String>,
        seeds: Vec<u64>,
        scripts: &[Steps<Mc>],
        network: Network,
        replay: Replay,
        redeliveries: u8,
        hash_state: Option<fn(&Mc, &Mc::Context) -> u64>,
    ) -> Self {
        let mut arena = Arena {
            steps: Vec::new(),
            waits: Vec::new(),
            messages: Vec::new(),
            scripts: Vec::new(),
            by_id: HashMap::with_hasher(FpBuild),
            outers: Vec::new(),
            outer_by_hash: HashMap::with_hasher(FpBuild),
            positions: Interned::new(),
            letters: Interned::new(),
            resumed: HashMap::with_hasher(FpBuild),
            resumed_sent: Vec::new(),
        };
        let mut roots: Vec<u32> = Vec::with_capacity(scripts.len());
        for (client, script) in scripts.iter().enumerate() {
            // Identical clients share their script (by pointer), and so its index.
            let index = scripts[..client]
                .iter()
                .position(|known| Rc::ptr_eq(known, script))
                .map_or_else(|| arena.push_script(script.iter().cloned()), |i| roots[i]);
            roots.push(index);
        }
        Self {
            names,
            seeds,
            roots,
            arena: RefCell::new(arena),
            network,
            replay,
            redeliveries,
            hash_state,
            timeouts: true,
        }
    }

    /// The letter `id` stands for.
    pub(crate) fn letter(&self, id: LetterId) -> Letter {
        self.arena.borrow().letters.get(id)
    }

    /// The envelope a letter carries.
    pub(crate) fn envelope(&self, letter: &Letter) -> Option<Rc<dyn Envelope<Mc>>> {
        self.arena.borrow().envelope(letter).cloned()
    }

    /// The world before anything is delivered: every client has sent what it sends before its
    /// first ask.
    pub(crate) fn initial(&self, machine: Mc, context: Mc::Context) -> World<Mc> {
        let mut clients = Vec::with_capacity(self.roots.len());
        let mut letters = Vec::new();
        let mut arena = self.arena.borrow_mut();
        for (index, &script) in self.roots.iter().enumerate() {
            let mut state = ClientState {
                top: Frame {
                    script,
                    next: 0,
                    id: self.seeds[index],
                },
                outer: NONE,
                outer_hash: 0,
                status: Status::Done,
            };
            let client = u32::try_from(index).unwrap_or(NONE);
            self.run_client(&mut arena, &mut state, client, &mut letters);
            clients.push(arena.position(state));
        }
        let (width, flight) = (clients.len(), letters.len());
        clients.append(&mut letters);
        // The first state is entered at the start: its timeout is armed.
        let armed = self.arms(&machine, 0);
        World {
            machine: Some(machine),
            context,
            words: clients,
            width,
            flight,
            replay: None,
            armed,
        }
    }

    /// Sends step `step` (at `at` in [`Arena::steps`]) of the frame with id `id`, for `client`:
    /// interns the letter.
    fn send(
        &self,
        arena: &mut Arena<Mc>,
        (client, id): (u32, u64),
        (step, at): (u32, usize),
    ) -> LetterId {
        arena.letter(Letter {
            origin: mix(id, u64::from(step)),
            client,
            at: u32::try_from(at).unwrap_or(NONE),
            awaited: arena.waits[at],
            copies: self.redeliveries,
        })
    }

    /// Runs a client until it waits for a reply or has sent everything; what it sends goes to
    /// `out`.
    fn run_client(
        &self,
        arena: &mut Arena<Mc>,
        state: &mut ClientState,
        client: u32,
        out: &mut Vec<LetterId>,
    ) {
        loop {
            if state.top.script == NONE {
                state.status = Status::Done;
                return;
            }
            let Some(at) = arena.step(state.top.script, state.top.next) else {
                // This frame is finished: go back to the one under it.
                match arena.outers.get(state.outer as usize) {
                    Some(outer) => {
                        state.top = outer.frame;
                        state.outer = outer.parent;
                        state.outer_hash = outer.parent_hash;
                    }
                    None => state.top = Frame::DONE,
                }
                continue;
            };
            let waits = arena.waits[at];
            let top = state.top;
            out.push(self.send(arena, (client, top.id), (top.next, at)));
            state.top.next += 1;
            if waits {
                state.status = Status::Waiting;
                return;
            }
        }
    }

    /// Starts the continuation `script` (frame `id`): sends its steps up to its first ask. Only a
    /// script that waits before its last step stays as a frame, so the form is canonical, as
    /// fingerprints need.
    fn start(
        &self,
        arena: &mut Arena<Mc>,
        state: &mut ClientState,
        (client, script, id): (u32, u32, u64),
        out: &mut Vec<LetterId>,
    ) {
        let Some(&span) = arena.scripts.get(script as usize) else {
            self.run_client(arena, state, client, out);
            return;
        };
        for index in 0..span.len {
            let at = (span.start + index) as usize;
            let waits = arena.waits[at];
            out.push(self.send(arena, (client, id), (index, at)));
            if waits {
                state.status = Status::Waiting;
                if index + 1 < span.len {
                    let top = state.top;
                    if arena.step(top.script, top.next).is_some() {
                        let (outer, hash) = arena.intern_outer(Outer {
                            frame: top,
                            parent: state.outer,
                            parent_hash: state.outer_hash,
                        });
                        state.outer = outer;
                        state.outer_hash = hash;
                    }
                    state.top = Frame {
                        script,
                        next: index + 1,
                        id,
                    };
                }
                return;
            }
        }
        self.run_client(arena, state, client, out);
    }

    /// The events enabled in `world`, in a fixed order.
    pub(crate) fn events(&self, world: &View<'_, Mc>, out: &mut Vec<Event>) {
        out.clear();
        if world.replay.is_some() {
            out.push(Event::Replay);
            if self.replay == Replay::Immediate {
                return;
            }
        }
        // Time may pass between any two deliveries: a state's timeout is one more event. (Not
        // without clients: the fingerprint's parts are per client.)
        if world.armed != 0 && !world.clients.is_empty() {
            // Each level's timer is its own event: a superstate's may fire before or after its
            // substate's.
            for level in 0..8 {
                if world.armed & (1 << level) != 0 {
                    out.push(Event::Elapse { level });
                }
            }
        }
        let arena = self.arena.borrow();
        let letters = &arena.letters;
        match self.network {
            Network::Ordered => {
                // FIFO per sender: only each client's oldest letter can arrive.
                let mut seen: u128 = 0;
                for (index, &id) in world.flight.iter().enumerate() {
                    let client = letters.get(id).client;
                    let first = if client < 128 {
                        let bit = 1u128 << client;
                        let first = seen & bit == 0;
                        seen |= bit;
                        first
                    } else {
                        !world.flight[..index]
                            .iter()
                            .any(|&earlier| letters.get(earlier).client == client)
                    };
                    if first {
                        let index = u32::try_from(index).unwrap_or(NONE);
                        out.push(Event::Deliver { index, keep: false });
                    }
                }
            }
            Network::Unordered => {
                for index in 0..world.flight.len() {
                    let index = u32::try_from(index).unwrap_or(NONE);
                    out.push(Event::Deliver { index, keep: false });
                }
            }
            Network::Duplicating => {
                for (index, &id) in world.flight.iter().enumerate() {
                    let index = u32::try_from(index).unwrap_or(NONE);
                    out.push(Event::Deliver { index, keep: false });
                    if letters.get(id).copies > 0 {
                        out.push(Event::Deliver { index, keep: true });
                    }
                }
            }
        }
    }

    /// Runs `event` in `parent`, on `machine` and `context` (copies of the parent's, which the
    /// dispatch changes), and describes the rest of what changes in `step`; returns the machine
    /// the dispatch left, or `None` if the event does not apply to `parent`. With `coverage`,
    /// marks the cell it exercised; with `text`, says what happened in `step.happened`. With the
    /// fingerprint parts of `parent` (`parts`), computes the fingerprint of the state reached
    /// from them and the step alone, as [`fingerprint`](Self::fingerprint) of that state would
    /// be, so that nothing needs to be copied first.
    pub(crate) fn step(
        &self,
        (parent, parts): (&View<'_, Mc>, Option<&Parts<'_>>),
        event: Event,
        (machine, context): (Mc, &mut Mc::Context),
        (coverage, text): (Option<&mut Coverage>, bool),
        step: &mut Step,
    ) -> Result<Option<Mc>, Panicked> {
        let (id, taken) = match event {
            Event::Elapse { level } => {
                return self.elapse(
                    (parent, parts),
                    (machine, context, level),
                    (coverage, text),
                    step,
                );
            }
            Event::Deliver { index, keep } => {
                let Some(&id) = parent.flight.get(index as usize) else {
                    return Ok(None);
                };
                let taken = if keep {
                    Taken::Copied(index, NONE)
                } else {
                    Taken::Removed(index)
                };
                (id, taken)
            }
            Event::Replay => {
                let cursor = parent.replay.unwrap_or(0);
                let Some(&id) = parent.deferred.get(cursor as usize) else {
                    return Ok(None);
                };
                (id, Taken::Replayed)
            }
        };
        // One borrow for the whole event: the user's code that runs meanwhile (handlers, the
        // continuation) cannot reach the arena.
        let mut arena = self.arena.borrow_mut();
        let letter = arena.letters.get(id);
        let replayed = taken == Taken::Replayed;
        let from = machine.state();
        let progress = machine.progress();
        let awaited = letter.awaited;
        let Some(envelope) = arena.envelope(&letter) else {
            return Ok(None);
        };
        // A continuation already interned for this reply is not run again.
        let known = |key: u64| arena.by_id.get(&mix(letter.origin, key)).copied();
        let mut reply = Reply {
            awaited,
            text,
            known: &known,
            next: Next::Resume,
            script: None,
            shown: None,
        };
        let delivered = catch_unwind(AssertUnwindSafe(|| {
            envelope.deliver(machine, context, &mut reply)
        }));
        let message = arena.messages[letter.at as usize];
        let Reply {
            next,
            script,
            shown,
            ..
        } = reply;
        let (machine, kind, to, level) = delivered.map_err(Panicked::from_payload)?;
        step.exercised(coverage, (from, message), text, || Happened {
            from,
            to,
            kind,
            reply: shown,
            replayed,
            duplicate_kept: matches!(taken, Taken::Copied(..)),
            redelivery: !replayed && letter.copies < self.redeliveries,
        });
        self.settle(
            &mut arena,
            parent,
            (id, letter, taken),
            (kind, next, script, machine.progress() != progress),
            step,
        );
        // A move enters a state at some level: the timeouts of that level and the ones inside it
        // are armed anew, the outer ones keep running; otherwise they stay as they were.
        step.armed = if kind == Kind::Moved {
            (parent.armed & below(level)) | self.arms(&machine, level)
        } else {
            parent.armed
        };
        step.fingerprint =
            self.fingerprint_after(&arena, (parent, parts), step, (&machine, context));
        Ok(Some(machine))
    }

    /// The timeouts that entering the state `machine` is in, from `level` in, arms (bit `n`:
    /// level `n`), of those the exploration lets fire.
    fn arms(&self, machine: &Mc, level: u8) -> u8 {
        if !self.timeouts {
            return 0;
        }
        let depth = machine.state_path().depth().min(8);
        (usize::from(level)..depth)
            .filter(|&at| machine.timeout_at(at).is_some())
            .fold(0, |bits, at| bits | (1 << at))
    }

    /// [`step`](Self::step) for [`Event::Elapse`]: the current state's timeout cell runs. No
    /// client moves and nothing is sent; a move starts the replay of the deferred queue.
    fn elapse(
        &self,
        (parent, parts): (&View<'_, Mc>, Option<&Parts<'_>>),
        (machine, context, level): (Mc, &mut Mc::Context, u8),
        (coverage, text): (Option<&mut Coverage>, bool),
        step: &mut Step,
    ) -> Result<Option<Mc>, Panicked> {
        let timeout = crate::Timeout::at_level(usize::from(level));
        let Some(input) = Mc::timeout_input::<crate::Bare>(timeout) else {
            return Ok(None);
        };
        let message = Mc::input_message(&input);
        let from = machine.state();
        let progress = machine.progress();
        let delivered = catch_unwind(AssertUnwindSafe(|| {
            Mc::route(input, Elapse { machine, context })
        }));
        let (machine, kind, to, moved) = delivered.map_err(Panicked::from_payload)?;
        // No letter: nothing was replayed, kept or redelivered, and a timeout has no reply.
        step.exercised(coverage, (from, message), text, || Happened {
            from,
            to,
            kind,
            reply: None,
            replayed: false,
            duplicate_kept: false,
            redelivery: false,
        });
        // Client 0 stands for "no client": its position does not change, so its slot does not.
        step.client = 0;
        step.position = parent.clients[0];
        step.taken = Taken::Elapsed;
        step.sent.clear();
        step.queue = Queue::Same;
        step.replay = if kind == Kind::Moved || machine.progress() != progress {
            (!parent.deferred.is_empty()).then_some(0)
        } else {
            parent.replay
        };
        // Fired: spent, unless it moved into a state (perhaps the same) that arms one anew; a
        // move re-arms its level and the ones inside it.
        let kept = parent.armed & !(1 << level);
        step.armed = if kind == Kind::Moved {
            (kept & below(moved)) | self.arms(&machine, moved)
        } else {
            kept
        };
        let arena = self.arena.borrow();
        step.fingerprint =
            self.fingerprint_after(&arena, (parent, parts), step, (&machine, context));
        Ok(Some(machine))
    }

    /// What the delivery of `letter` (`id`, taken as `taken`) in `parent` changes besides the
    /// machine and context, now that the dispatch did `kind` (and the machine
    /// [progressed](Machine::progress) or not): the sender's position and what it sends next,
    /// the deferred queue and the replay cursor, into `step`.
    #[inline]
    fn settle(
        &self,
        arena: &mut Arena<Mc>,
        parent: &View<'_, Mc>,
        (id, letter, taken): (LetterId, Letter, Taken),
        (kind, next, script, progressed): (Kind, Next, Option<Script<Mc>>, bool),
        step: &mut Step,
    ) {
        let (replayed, awaited) = (taken == Taken::Replayed, letter.awaited);
        step.client = letter.client;
        step.position = parent.clients[letter.client as usize];
        step.taken = match taken {
            Taken::Copied(index, _) => Taken::Copied(index, arena.letter(letter.kept())),
            other => other,
        };
        step.sent.clear();
        step.queue = Queue::Same;
        step.replay = parent.replay;
        let cursor = parent.replay.unwrap_or(0);
        // The deferred queue without the replayed letter.
        let deferred = parent.deferred.len() - usize::from(replayed);
        match kind {
            Kind::Moved | Kind::Stayed | Kind::Discarded => {
                if awaited {
                    self.resume(arena, step, (id, &letter), (next, script));
                }
                if replayed {
                    step.queue = Queue::Remove(cursor);
                }
                if kind == Kind::Moved || progressed {
                    step.replay = (deferred > 0).then_some(0);
                } else if replayed {
                    step.replay = ((cursor as usize) < deferred).then_some(cursor);
                }
            }
            Kind::Deferred => {
                if replayed {
                    // Back where it was (a parked letter has no redeliveries left already): the
                    // replay moves on to the next one.
                    step.replay = ((cursor as usize) < deferred).then_some(cursor + 1);
                } else {
                    let mut parked = letter;
                    parked.copies = 0;
                    step.queue = Queue::Push(arena.letter(parked));
                }
            }
            Kind::Rejected | Kind::Panicked => {
                if awaited {
                    // It waits for a reply that never comes: it stops, its script forgotten.
                    step.position = arena.position(ClientState {
                        top: Frame::DONE,
                        outer: NONE,
                        outer_hash: 0,
                        status: Status::GaveUp,
                    });
                }
                if replayed {
                    step.queue = Queue::Remove(cursor);
                    step.replay = ((cursor as usize) < deferred).then_some(cursor);
                }
                // A refusal can progress too (an `ExactlyOnce` uses a number up when the wrapped
                // machine rejects it): what waited for that number is retried from the oldest.
                if progressed {
                    step.replay = (deferred > 0).then_some(0);
                }
            }
        }
    }

    /// The sender of `letter` got its reply: runs its continuation, if any, then goes on. The
    /// first time only: what this does is remembered, since the same client position, letter and
    /// reply meet again in many interleavings.
    fn resume(
        &self,
        arena: &mut Arena<Mc>,
        step: &mut Step,
        (id, letter): (LetterId, &Letter),
        (next, script): (Next, Option<Script<Mc>>),
    ) {
        let resumption = Resumption {
            position: step.position,
            letter: id,
            reply: match next {
                Next::Resume => None,
                Next::Interned { key, .. } | Next::Fresh { key } => Some(key),
            },
        };
        if let Some(resumed) = arena.resumed.get(&resumption) {
            let sent =
                resumed.sent.start as usize..(resumed.sent.start + resumed.sent.len) as usize;
            step.position = resumed.position;
            step.sent.extend_from_slice(&arena.resumed_sent[sent]);
            return;
        }
        let mut state = arena.positions.get(step.position);
        match next {
            Next::Resume => {
                self.run_client(arena, &mut state, letter.client, &mut step.sent);
            }
            Next::Interned { key, index } => {
                let frame = (letter.client, index, mix(letter.origin, key));
                self.start(arena, &mut state, frame, &mut step.sent);
            }
            Next::Fresh { key } => {
                let index = arena.push_script(script.map(|s| s.steps).unwrap_or_default());
                arena.by_id.insert(mix(letter.origin, key), index);
                let frame = (letter.client, index, mix(letter.origin, key));
                self.start(arena, &mut state, frame, &mut step.sent);
            }
        }
        step.position = arena.position(state);
        let start = arena.resumed_sent.len();
        arena.resumed_sent.extend_from_slice(&step.sent);
        let resumed = Resumed {
            position: step.position,
            sent: Span {
                start: u32::try_from(start).unwrap_or(NONE),
                len: u32::try_from(step.sent.len()).unwrap_or(NONE),
            },
        };
        arena.resumed.insert(resumption, resumed);
    }

    /// Runs `event` on `world` in place. With `coverage`, marks the cell it exercised; with
    /// `text`, says what happened. For traces and random walks: the search does not copy states.
    pub(crate) fn apply(
        &self,
        world: &mut World<Mc>,
        event: Event,
        coverage: Option<&mut Coverage>,
        text: bool,
    ) -> Result<Option<Happened>, Panicked> {
        let Some(view) = world.view() else {
            return Ok(None);
        };
        let mut context = view.context.clone();
        let mut step = Step::new();
        let machine = match self.step(
            (&view, None),
            event,
            (view.machine.clone(), &mut context),
            (coverage, text),
            &mut step,
        ) {
            Ok(Some(machine)) => machine,
            Ok(None) => return Ok(None),
            Err(panic) => {
                world.machine = None;
                return Err(panic);
            }
        };
        let mut words = Vec::new();
        world.flight = step.write(&view, &mut words);
        world.words = words;
        world.machine = Some(machine);
        world.context = context;
        world.replay = step.replay;
        world.armed = step.armed;
        Ok(step.happened.take())
    }

    /// What client `client`'s position adds to its slot.
    fn position_hash(&self, arena: &Arena<Mc>, client: usize, position: Position) -> u64 {
        mix(self.seeds[client], arena.positions.hash(position))
    }

    fn queue_hash(&self, arena: &Arena<Mc>, deferred: impl Iterator<Item = LetterId>) -> u64 {
        deferred.fold(0xdef, |queue, id| {
            let letter = arena.letters.get(id);
            mix(
                queue,
                mix(
                    mix(letter.origin, self.seeds[letter.client as usize]),
                    u64::from(letter.awaited),
                ),
            )
        })
    }

    /// The fingerprint of a state with these parts, whose machine and context hash to `state`.
    fn total(state: u64, clients: u64, queue: u64, (replay, armed): (Option<u32>, u8)) -> u64 {
        state
            .wrapping_add(clients)
            .wrapping_add(mix(queue, replay.map_or(u64::MAX, u64::from)))
            .wrapping_add(u64::from(armed).wrapping_mul(0x9e37_79b9_7f4a_7c15))
    }

    /// The world's fingerprint: the machine and context (through their `Hash`), each client's
    /// position with the letters it has in flight, and the deferred queue. The clients of a
    /// symmetric group share a seed and are summed, so permuting them gives the same fingerprint.
    /// Its parts are left in `print`.
    pub(crate) fn fingerprint(&self, world: &View<'_, Mc>, print: &mut Print) -> Option<u64> {
        let hash_state = self.hash_state?;
        let arena = self.arena.borrow();
        print.slots.clear();
        print.slots.extend(
            world
                .clients
                .iter()
                .enumerate()
                .map(|(client, &position)| self.position_hash(&arena, client, position)),
        );
        for &id in world.flight {
            let slot = &mut print.slots[arena.letters.get(id).client as usize];
            *slot = slot.wrapping_add(arena.letters.hash(id));
        }
        print.clients = print
            .slots
            .iter()
            .fold(0, |sum, &slot| sum.wrapping_add(slot_term(slot)));
        print.queue = self.queue_hash(&arena, world.deferred.iter().copied());
        Some(Self::total(
            hash_state(world.machine, world.context),
            print.clients,
            print.queue,
            (world.replay, world.armed),
        ))
    }

    /// The fingerprint of the state `step` reached, if states are hashed and the parent's parts
    /// are known.
    fn fingerprint_after(
        &self,
        arena: &Arena<Mc>,
        (parent, parts): (&View<'_, Mc>, Option<&Parts<'_>>),
        step: &mut Step,
        (machine, context): (&Mc, &Mc::Context),
    ) -> Option<u64> {
        match (self.hash_state, parts) {
            (Some(hash_state), Some(parts)) => Some(self.fingerprint_step(
                arena,
                (parent, parts),
                step,
                hash_state(machine, context),
            )),
            _ => None,
        }
    }

    /// The fingerprint of the state `step` reaches from `parent` (whose parts are `parts`), where
    /// the machine and context hash to `state`. Leaves the parts of the state reached in `step`.
    #[inline]
    fn fingerprint_step(
        &self,
        arena: &Arena<Mc>,
        (parent, parts): (&View<'_, Mc>, &Parts<'_>),
        step: &mut Step,
        state: u64,
    ) -> u64 {
        let client = step.client as usize;
        let before = parts.slots[client];
        let mut slot = before;
        let position = parent.clients[client];
        if position != step.position {
            slot = slot
                .wrapping_sub(self.position_hash(arena, client, position))
                .wrapping_add(self.position_hash(arena, client, step.position));
        }
        let letters = &arena.letters;
        match step.taken {
            Taken::Removed(index) => {
                slot = slot.wrapping_sub(letters.hash(parent.flight[index as usize]));
            }
            Taken::Copied(index, kept) => {
                slot = slot
                    .wrapping_sub(letters.hash(parent.flight[index as usize]))
                    .wrapping_add(letters.hash(kept));
            }
            Taken::Replayed | Taken::Elapsed => {}
        }
        for &id in &step.sent {
            slot = slot.wrapping_add(letters.hash(id));
        }
        step.slot = slot;
        step.clients = parts
            .clients
            .wrapping_sub(slot_term(before))
            .wrapping_add(slot_term(slot));
        step.queue_hash = match step.queue {
            Queue::Same => parts.queue,
            Queue::Push(_) | Queue::Remove(_) => self.queue_hash(arena, step.deferred(parent)),
        };
        Self::total(
            state,
            step.clients,
            step.queue_hash,
            (step.replay, step.armed),
        )
    }

    /// [`fingerprint`](Self::fingerprint) of the state `step` reaches, written out: what
    /// [`step`](Self::step) computed must equal it (checked in debug builds).
    #[cfg(debug_assertions)]
    pub(crate) fn fingerprint_written(
        &self,
        parent: &View<'_, Mc>,
        step: &Step,
        (machine, context): (&Mc, &Mc::Context),
    ) -> Option<u64> {
        let mut words = Vec::new();
        let flight = step.write(parent, &mut words);
        let width = parent.clients.len();
        let view = View {
            machine,
            context,
            words: &words,
            clients: &words[..width],
            flight: &words[width..width + flight],
            deferred: &words[width + flight..],
            replay: step.replay,
            armed: step.armed,
        };
        self.fingerprint(&view, &mut Print::default())
    }
}

/// Hashes the machine and its context together.
pub(crate) fn hash_state<Mc: Machine + Hash>(machine: &Mc, context: &Mc::Context) -> u64
where
    Mc::Context: Hash,
{
    hash_one(&(machine, context), 0x57a7e)
}

/// Dispatches the timeout input, as a delivery's envelope dispatches its message.
struct Elapse<'a, Mc: Machine> {
    machine: Mc,
    context: &'a mut Mc::Context,
}

impl<Mc: Machine> crate::machine::Visit<Mc, crate::Bare> for Elapse<'_, Mc> {
    type Output = (Mc, Kind, StateId, u8);

    fn visit<M: crate::Message>(self, message: M) -> Self::Output
    where
        Mc: crate::Accepts<M>,
    {
        let (machine, kind, to, level, _) =
            super::script::dispatch(self.machine, self.context, message);
        (machine, kind, to, level)
    }
}

/// The levels outside `level` (bits below it).
fn below(level: u8) -> u8 {
    if level >= 8 {
        u8::MAX
    } else {
        (1u8 << level) - 1
    }
}
