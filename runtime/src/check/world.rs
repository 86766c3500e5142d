//! One explored state ("world"): the machine, its context, every client's position, the messages
//! in flight and the machine's deferred queue; the events enabled in it and how each one runs.
//!
//! Everything but the machine and context is plain data (`Copy`): scripts live once in an
//! [`Arena`], interned by the hash that identifies them, and a world refers to them by index. So
//! copying a world is a `memcpy` of its vectors, and a continuation (`then`) runs once per
//! distinct (ask, reply), not once per transition that reaches it.

use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;
use core::hash::{BuildHasher, Hash};
use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use super::coverage::Coverage;
use super::fingerprint::{FpHasher, hash_one, mix};
use super::network::{Network, Replay};
use super::script::{Envelope, Kind, Script, Steps};
use crate::machine::{Machine, StateId};

/// "None" for the `u32` indices below.
const NONE: u32 = u32::MAX;

/// Where a client is in one script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Frame {
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
pub(crate) enum Status {
    /// Waiting for the reply to an ask.
    Waiting,
    /// Sent everything.
    Done,
    /// An ask of its was rejected: it gets no reply, and stops.
    GaveUp,
}

/// A client's position: the frame it runs and the stack under it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClientState {
    top: Frame,
    /// The frames under `top` (`NONE`: none), and their hash.
    outer: u32,
    outer_hash: u64,
    status: Status,
}

/// A message sent and not yet delivered (or parked in the deferred queue).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Letter {
    /// Identifies the step that sent it (frame id and step index).
    origin: u64,
    pub(crate) client: u32,
    script: u32,
    step: u32,
    /// The sender waits for this reply (an ask whose reply has not come yet).
    awaited: bool,
    /// Extra deliveries still possible (at-least-once network).
    copies: u8,
}

/// One explored state.
pub(crate) struct World<Mc: Machine> {
    /// `None` only after a handler panicked.
    pub(crate) machine: Option<Mc>,
    pub(crate) context: Mc::Context,
    clients: Vec<ClientState>,
    pub(crate) flight: Vec<Letter>,
    pub(crate) deferred: Vec<Letter>,
    /// The deferred message to replay next, when a replay is due (after a state change).
    pub(crate) replay: Option<u32>,
}

impl<Mc: Machine + Clone> Clone for World<Mc>
where
    Mc::Context: Clone,
{
    fn clone(&self) -> Self {
        Self {
            machine: self.machine.clone(),
            context: self.context.clone(),
            clients: self.clients.clone(),
            flight: self.flight.clone(),
            deferred: self.deferred.clone(),
            replay: self.replay,
        }
    }

    fn clone_from(&mut self, source: &Self) {
        self.machine.clone_from(&source.machine);
        self.context.clone_from(&source.context);
        self.clients.clone_from(&source.clients);
        self.flight.clone_from(&source.flight);
        self.deferred.clone_from(&source.deferred);
        self.replay = source.replay;
    }
}

/// Breadth-first levels, stored flat: each state's plain-data parts are spans of level-wide
/// vectors, so a level is read and written sequentially (no allocation per state, and the
/// hardware prefetches what the next state needs).
pub(crate) struct Level<Mc: Machine> {
    heads: Vec<Head<Mc>>,
    clients: Vec<ClientState>,
    letters: Vec<Letter>,
    paths: Vec<u8>,
    /// Clients per state.
    width: usize,
}

struct Head<Mc: Machine> {
    machine: Option<Mc>,
    context: Mc::Context,
    replay: Option<u32>,
    letters: usize,
    flight: u32,
    deferred: u32,
    path: usize,
    path_len: u32,
}

impl<Mc: Machine> Level<Mc> {
    pub(crate) fn new(width: usize) -> Self {
        Self {
            heads: Vec::new(),
            clients: Vec::new(),
            letters: Vec::new(),
            paths: Vec::new(),
            width,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.heads.len()
    }

    pub(crate) fn clear(&mut self) {
        self.heads.clear();
        self.clients.clear();
        self.letters.clear();
        self.paths.clear();
    }

    /// Appends a state (moving its machine and context out of `world`), reached by `path` then
    /// event `index`.
    pub(crate) fn push(
        &mut self,
        world: &mut World<Mc>,
        context: Mc::Context,
        path: &[u8],
        index: Option<u32>,
    ) {
        let start = self.paths.len();
        self.paths.extend_from_slice(path);
        if let Some(index) = index {
            push_varint(&mut self.paths, index);
        }
        let letters = self.letters.len();
        self.letters.extend_from_slice(&world.flight);
        self.letters.extend_from_slice(&world.deferred);
        self.clients.extend_from_slice(&world.clients);
        self.heads.push(Head {
            machine: world.machine.take(),
            context,
            replay: world.replay,
            letters,
            flight: u32::try_from(world.flight.len()).unwrap_or(NONE),
            deferred: u32::try_from(world.deferred.len()).unwrap_or(NONE),
            path: start,
            path_len: u32::try_from(self.paths.len() - start).unwrap_or(NONE),
        });
    }

    /// Takes the states out, oldest first: each is loaded into `world` (whose buffers are reused)
    /// and handed to `visit` with its path; `visit` returns `false` to stop.
    pub(crate) fn drain(
        &mut self,
        world: &mut World<Mc>,
        mut visit: impl FnMut(&mut World<Mc>, &[u8]) -> bool,
    ) {
        let heads = core::mem::take(&mut self.heads);
        for (i, head) in heads.into_iter().enumerate() {
            world.machine = head.machine;
            world.context = head.context;
            world.replay = head.replay;
            world.clients.clear();
            world
                .clients
                .extend_from_slice(&self.clients[i * self.width..(i + 1) * self.width]);
            let flight_end = head.letters + head.flight as usize;
            world.flight.clear();
            world
                .flight
                .extend_from_slice(&self.letters[head.letters..flight_end]);
            world.deferred.clear();
            world
                .deferred
                .extend_from_slice(&self.letters[flight_end..flight_end + head.deferred as usize]);
            let path = &self.paths[head.path..head.path + head.path_len as usize];
            if !visit(world, path) {
                break;
            }
        }
        self.clear();
    }
}

/// Appends `index` as a LEB128 varint.
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
}

#[derive(Debug, Clone, Copy, Default)]
struct FpBuild;

impl BuildHasher for FpBuild {
    type Hasher = FpHasher;
    fn build_hasher(&self) -> FpHasher {
        FpHasher::new(0x1d)
    }
}

/// Every script the clients run, each once: the clients' own, and the continuations' results
/// interned by the id of the frame that runs them; and the stacks of frames under a top one.
pub(crate) struct Arena<Mc: Machine> {
    scripts: Vec<Steps<Mc>>,
    by_id: HashMap<u64, u32, FpBuild>,
    outers: Vec<Outer>,
    outer_by_hash: HashMap<u64, u32, FpBuild>,
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
            scripts: Vec::new(),
            by_id: HashMap::with_hasher(FpBuild),
            outers: Vec::new(),
            outer_by_hash: HashMap::with_hasher(FpBuild),
        };
        let mut roots = Vec::with_capacity(scripts.len());
        for script in scripts {
            // Identical clients share their script (by pointer), and so its index.
            let index = arena
                .scripts
                .iter()
                .position(|known| Rc::ptr_eq(known, script))
                .unwrap_or_else(|| {
                    arena.scripts.push(Rc::clone(script));
                    arena.scripts.len() - 1
                });
            roots.push(u32::try_from(index).unwrap_or(NONE));
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
        }
    }

    /// The envelope a letter carries.
    pub(crate) fn envelope(&self, letter: &Letter) -> Option<Rc<dyn Envelope<Mc>>> {
        let arena = self.arena.borrow();
        let steps = arena.scripts.get(letter.script as usize)?;
        steps.get(letter.step as usize).cloned()
    }

    /// The world before anything is delivered: every client has sent what it sends before its
    /// first ask.
    pub(crate) fn initial(&self, machine: Mc, context: Mc::Context) -> World<Mc> {
        let mut world = World {
            machine: Some(machine),
            context,
            clients: Vec::with_capacity(self.roots.len()),
            flight: Vec::new(),
            deferred: Vec::new(),
            replay: None,
        };
        for (index, &script) in self.roots.iter().enumerate() {
            world.clients.push(ClientState {
                top: Frame {
                    script,
                    next: 0,
                    id: self.seeds[index],
                },
                outer: NONE,
                outer_hash: 0,
                status: Status::Done,
            });
            let client = u32::try_from(index).unwrap_or(NONE);
            self.run_client(&self.arena.borrow(), &mut world, client);
        }
        world
    }

    /// Runs a client until it waits for a reply or has sent everything.
    fn run_client(&self, arena: &Arena<Mc>, world: &mut World<Mc>, client: u32) {
        let state = &mut world.clients[client as usize];
        loop {
            let Some(steps) = arena.scripts.get(state.top.script as usize) else {
                state.status = Status::Done;
                return;
            };
            let Some(envelope) = steps.get(state.top.next as usize) else {
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
            let waits = envelope.waits();
            world.flight.push(Letter {
                origin: mix(state.top.id, u64::from(state.top.next)),
                client,
                script: state.top.script,
                step: state.top.next,
                awaited: waits,
                copies: self.redeliveries,
            });
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
        world: &mut World<Mc>,
        client: u32,
        script: u32,
        id: u64,
    ) {
        let Some(steps) = arena.scripts.get(script as usize).cloned() else {
            self.run_client(arena, world, client);
            return;
        };
        for (index, envelope) in steps.iter().enumerate() {
            let index = u32::try_from(index).unwrap_or(NONE);
            let waits = envelope.waits();
            world.flight.push(Letter {
                origin: mix(id, u64::from(index)),
                client,
                script,
                step: index,
                awaited: waits,
                copies: self.redeliveries,
            });
            if waits {
                let state = &mut world.clients[client as usize];
                state.status = Status::Waiting;
                if (index as usize) + 1 < steps.len() {
                    let top = state.top;
                    let live = arena
                        .scripts
                        .get(top.script as usize)
                        .is_some_and(|s| (top.next as usize) < s.len());
                    if live {
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
        self.run_client(arena, world, client);
    }

    /// The events enabled in `world`, in a fixed order.
    pub(crate) fn events(&self, world: &World<Mc>, out: &mut Vec<Event>) {
        out.clear();
        if world.machine.is_none() {
            return;
        }
        if world.replay.is_some() {
            out.push(Event::Replay);
            if self.replay == Replay::Immediate {
                return;
            }
        }
        match self.network {
            Network::Ordered => {
                // FIFO per sender: only each client's oldest letter can arrive.
                let mut seen: u128 = 0;
                for (index, letter) in world.flight.iter().enumerate() {
                    let first = if letter.client < 128 {
                        let bit = 1u128 << letter.client;
                        let first = seen & bit == 0;
                        seen |= bit;
                        first
                    } else {
                        !world.flight[..index]
                            .iter()
                            .any(|earlier| earlier.client == letter.client)
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
                for (index, letter) in world.flight.iter().enumerate() {
                    let index = u32::try_from(index).unwrap_or(NONE);
                    out.push(Event::Deliver { index, keep: false });
                    if letter.copies > 0 {
                        out.push(Event::Deliver { index, keep: true });
                    }
                }
            }
        }
    }

    /// Takes the letter `event` delivers out of the network (or the deferred queue); `None` if the
    /// event does not apply to `world`.
    fn take(world: &mut World<Mc>, event: Event) -> Option<(Letter, bool, bool)> {
        match event {
            Event::Deliver { index, keep } => {
                let index = index as usize;
                if index >= world.flight.len() {
                    return None;
                }
                let letter = if keep {
                    let letter = world.flight[index];
                    let kept = &mut world.flight[index];
                    kept.copies = kept.copies.saturating_sub(1);
                    kept.awaited = false;
                    letter
                } else {
                    world.flight.remove(index)
                };
                Some((letter, false, keep))
            }
            Event::Replay => {
                let cursor = world.replay.unwrap_or(0) as usize;
                if cursor >= world.deferred.len() {
                    world.replay = None;
                    return None;
                }
                Some((world.deferred.remove(cursor), true, false))
            }
        }
    }

    /// Runs `event` on `world`. With `coverage`, marks the cell it exercised; with `text`, says
    /// what happened.
    pub(crate) fn apply(
        &self,
        world: &mut World<Mc>,
        event: Event,
        coverage: Option<&mut Coverage>,
        text: bool,
    ) -> Result<Option<Happened>, Panicked> {
        let Some((letter, replayed, duplicate_kept)) = Self::take(world, event) else {
            return Ok(None);
        };
        let redelivery = !replayed && letter.copies < self.redeliveries;
        let Some(envelope) = self.envelope(&letter) else {
            return Ok(None);
        };
        let Some(machine) = world.machine.take() else {
            return Ok(None);
        };
        let from = machine.state();
        let context = &mut world.context;
        let awaited = letter.awaited;
        let delivered = {
            let arena = self.arena.borrow();
            // A continuation already interned for this reply is not run again.
            let mut known = |key: u64| arena.by_id.contains_key(&mix(letter.origin, key));
            catch_unwind(AssertUnwindSafe(|| {
                envelope.deliver(machine, context, awaited, &mut known, text)
            }))
        };
        let (machine, delivery) = match delivered {
            Ok(done) => done,
            Err(payload) => {
                return Err(Panicked {
                    message: panic_text(payload.as_ref()),
                });
            }
        };
        world.machine = Some(machine);
        if let Some(coverage) = coverage {
            coverage.mark(from, envelope.message());
        }
        let client = letter.client;
        let kind = delivery.kind;
        let happened = text.then(|| Happened {
            from,
            to: delivery.to,
            kind,
            reply: delivery.reply_text.clone(),
            replayed,
            duplicate_kept,
            redelivery,
        });
        let cursor = if replayed {
            world.replay.unwrap_or(0)
        } else {
            0
        };
        match kind {
            Kind::Moved | Kind::Stayed | Kind::Discarded => {
                if awaited {
                    self.resume(
                        world,
                        &letter,
                        delivery.continues,
                        delivery.reply_key,
                        delivery.next,
                    );
                }
                if kind == Kind::Moved {
                    world.replay = (!world.deferred.is_empty()).then_some(0);
                } else if replayed {
                    world.replay = ((cursor as usize) < world.deferred.len()).then_some(cursor);
                }
            }
            Kind::Deferred => {
                let mut parked = letter;
                parked.copies = 0;
                if replayed {
                    world.deferred.insert(cursor as usize, parked);
                    world.replay =
                        ((cursor as usize + 1) < world.deferred.len()).then_some(cursor + 1);
                } else {
                    world.deferred.push(parked);
                }
            }
            Kind::Rejected | Kind::Panicked => {
                if awaited {
                    // It waits for a reply that never comes: it stops, its script forgotten.
                    let state = &mut world.clients[client as usize];
                    state.status = Status::GaveUp;
                    state.top = Frame::DONE;
                    state.outer = NONE;
                    state.outer_hash = 0;
                }
                if replayed {
                    world.replay = ((cursor as usize) < world.deferred.len()).then_some(cursor);
                }
            }
        }
        Ok(happened)
    }

    /// The sender of `letter` got its reply: runs its continuation, if any, then goes on.
    fn resume(
        &self,
        world: &mut World<Mc>,
        letter: &Letter,
        continues: bool,
        key: u64,
        script: Option<Script<Mc>>,
    ) {
        let mut arena = self.arena.borrow_mut();
        if !continues {
            self.run_client(&arena, world, letter.client);
            return;
        }
        let id = mix(letter.origin, key);
        let index = if let Some(&index) = arena.by_id.get(&id) {
            index
        } else {
            let steps: Steps<Mc> = Rc::from(script.map(|s| s.steps).unwrap_or_default());
            let index = u32::try_from(arena.scripts.len()).unwrap_or(NONE);
            arena.scripts.push(steps);
            arena.by_id.insert(id, index);
            index
        };
        self.start(&mut arena, world, letter.client, index, id);
    }

    /// The world's fingerprint: the machine and context (through their `Hash`), each client's
    /// position with the letters it has in flight, and the deferred queue. The clients of a
    /// symmetric group share a seed and are summed, so permuting them gives the same fingerprint.
    pub(crate) fn fingerprint(&self, world: &World<Mc>, scratch: &mut Vec<u64>) -> Option<u64> {
        let hash_state = self.hash_state?;
        let machine = world.machine.as_ref()?;
        let mut total = hash_state(machine, &world.context);
        scratch.clear();
        for (state, seed) in world.clients.iter().zip(&self.seeds) {
            let h = mix(*seed, state.status as u64);
            scratch.push(mix(mix(h, state.top.hash()), state.outer_hash));
        }
        for letter in &world.flight {
            let slot = &mut scratch[letter.client as usize];
            let one = mix(
                letter.origin,
                u64::from(letter.copies) << 1 | u64::from(letter.awaited),
            );
            *slot = match self.network {
                // FIFO per sender: the order of a client's letters is part of its state.
                Network::Ordered => mix(*slot, one),
                Network::Unordered | Network::Duplicating => {
                    slot.wrapping_add(mix(one, 0x001e_77e4))
                }
            };
        }
        for h in scratch.iter() {
            total = total.wrapping_add(mix(*h, 0xc1));
        }
        let mut queue = 0xdef_u64;
        for letter in &world.deferred {
            queue = mix(
                queue,
                mix(
                    mix(letter.origin, self.seeds[letter.client as usize]),
                    u64::from(letter.awaited),
                ),
            );
        }
        total = total.wrapping_add(mix(queue, world.replay.map_or(u64::MAX, u64::from)));
        Some(total)
    }
}

/// Hashes the machine and its context together.
pub(crate) fn hash_state<Mc: Machine + Hash>(machine: &Mc, context: &Mc::Context) -> u64
where
    Mc::Context: Hash,
{
    hash_one(&(machine, context), 0x57a7e)
}
