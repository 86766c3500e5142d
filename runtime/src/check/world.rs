//! One explored state ("world"): the machine, its context, every client's position, the messages
//! in flight and the machine's deferred queue; the events enabled in it and how each one runs.

use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::hash::Hash;
use std::panic::{AssertUnwindSafe, catch_unwind};

use super::coverage::Coverage;
use super::fingerprint::{hash_one, mix};
use super::network::{Network, Replay};
use super::script::{Envelope, Kind, Script};
use crate::machine::{Machine, StateId};

/// Where a client is in its script: a stack of frames, the top one being run.
pub(crate) struct Frame<Mc: Machine> {
    steps: Rc<[Rc<dyn Envelope<Mc>>]>,
    /// Identifies the script: the client's seed for its own script, else a hash of the ask whose
    /// reply produced it and of that reply.
    id: u64,
    /// The next step to send.
    next: u32,
}

impl<Mc: Machine> Clone for Frame<Mc> {
    fn clone(&self) -> Self {
        Self {
            steps: Rc::clone(&self.steps),
            id: self.id,
            next: self.next,
        }
    }
}

/// The frames under the top one: an immutable list, shared between the worlds that have it.
pub(crate) struct Outer<Mc: Machine> {
    frame: Frame<Mc>,
    parent: Option<Rc<Outer<Mc>>>,
    /// Hash of this frame and everything under it.
    hash: u64,
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

pub(crate) struct ClientState<Mc: Machine> {
    top: Option<Frame<Mc>>,
    outer: Option<Rc<Outer<Mc>>>,
    pub(crate) status: Status,
}

impl<Mc: Machine> Clone for ClientState<Mc> {
    fn clone(&self) -> Self {
        Self {
            top: self.top.clone(),
            outer: self.outer.clone(),
            status: self.status,
        }
    }
}

/// A message sent and not yet delivered (or parked in the deferred queue).
pub(crate) struct Letter<Mc: Machine> {
    pub(crate) client: u32,
    /// Identifies the step that sent it (frame id and step index).
    origin: u64,
    pub(crate) envelope: Rc<dyn Envelope<Mc>>,
    /// The sender waits for this reply (an ask whose reply has not come yet).
    awaited: bool,
    /// Extra deliveries still possible (at-least-once network).
    copies: u8,
}

impl<Mc: Machine> Clone for Letter<Mc> {
    fn clone(&self) -> Self {
        Self {
            client: self.client,
            origin: self.origin,
            envelope: Rc::clone(&self.envelope),
            awaited: self.awaited,
            copies: self.copies,
        }
    }
}

/// One explored state.
pub(crate) struct World<Mc: Machine> {
    /// `None` only after a handler panicked.
    pub(crate) machine: Option<Mc>,
    pub(crate) context: Mc::Context,
    pub(crate) clients: Vec<ClientState<Mc>>,
    pub(crate) flight: Vec<Letter<Mc>>,
    pub(crate) deferred: Vec<Letter<Mc>>,
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

/// Something that can happen next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Event {
    /// The network delivers in-flight letter `index`; with `keep`, a duplicate stays in flight.
    Deliver { index: u32, keep: bool },
    /// The machine replays the deferred message at the replay cursor.
    Replay,
}

/// The static part of a run: how the clients start and what the network may do.
pub(crate) struct Setup<Mc: Machine> {
    pub(crate) names: Vec<String>,
    /// Per client: its seed (shared by the clients of a symmetric group) and its script.
    pub(crate) seeds: Vec<u64>,
    pub(crate) scripts: Vec<Rc<[Rc<dyn Envelope<Mc>>]>>,
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
    /// The world before anything is delivered: every client has sent what it sends before its
    /// first ask.
    pub(crate) fn initial(&self, machine: Mc, context: Mc::Context) -> World<Mc> {
        let mut world = World {
            machine: Some(machine),
            context,
            clients: Vec::with_capacity(self.scripts.len()),
            flight: Vec::new(),
            deferred: Vec::new(),
            replay: None,
        };
        for (index, steps) in self.scripts.iter().enumerate() {
            world.clients.push(ClientState {
                top: Some(Frame {
                    steps: Rc::clone(steps),
                    id: self.seeds[index],
                    next: 0,
                }),
                outer: None,
                status: Status::Done,
            });
            #[allow(clippy::cast_possible_truncation)]
            self.run_client(&mut world, index as u32);
        }
        world
    }

    /// Runs a client until it waits for a reply or has sent everything.
    fn run_client(&self, world: &mut World<Mc>, client: u32) {
        let state = &mut world.clients[client as usize];
        loop {
            let Some(top) = &mut state.top else {
                state.status = Status::Done;
                return;
            };
            let Some(envelope) = top.steps.get(top.next as usize) else {
                // This frame is finished: go back to the one under it.
                match state.outer.take() {
                    Some(outer) => {
                        state.top = Some(outer.frame.clone());
                        state.outer.clone_from(&outer.parent);
                    }
                    None => state.top = None,
                }
                continue;
            };
            let envelope = Rc::clone(envelope);
            let origin = mix(top.id, u64::from(top.next));
            top.next += 1;
            let waits = envelope.waits();
            world.flight.push(Letter {
                client,
                origin,
                envelope,
                awaited: waits,
                copies: self.redeliveries,
            });
            if waits {
                state.status = Status::Waiting;
                return;
            }
        }
    }

    /// Starts the continuation `script`, produced by the reply to the ask `origin`: sends its
    /// steps up to its first ask. Only a script that waits before its last step becomes a frame
    /// (so a continuation that just tells allocates no frame); either way the form is canonical,
    /// as fingerprints need.
    fn start(&self, world: &mut World<Mc>, client: u32, origin: u64, key: u64, script: Script<Mc>) {
        let id = mix(origin, key);
        let steps = script.steps;
        for (index, envelope) in steps.iter().enumerate() {
            let waits = envelope.waits();
            world.flight.push(Letter {
                client,
                origin: mix(id, index as u64),
                envelope: Rc::clone(envelope),
                awaited: waits,
                copies: self.redeliveries,
            });
            if waits {
                let state = &mut world.clients[client as usize];
                state.status = Status::Waiting;
                if index + 1 < steps.len() {
                    #[allow(clippy::cast_possible_truncation)]
                    let frame = Frame {
                        steps: Rc::from(steps),
                        id,
                        next: index as u32 + 1,
                    };
                    if let Some(top) = state.top.take()
                        && (top.next as usize) < top.steps.len()
                    {
                        let below = state.outer.take();
                        let hash = mix(frame_hash(&top), below.as_ref().map_or(0, |o| o.hash));
                        state.outer = Some(Rc::new(Outer {
                            frame: top,
                            parent: below,
                            hash,
                        }));
                    }
                    state.top = Some(frame);
                }
                return;
            }
        }
        self.run_client(world, client);
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
        for (index, letter) in world.flight.iter().enumerate() {
            #[allow(clippy::cast_possible_truncation)]
            let index = index as u32;
            match self.network {
                Network::Ordered => {
                    let first = !world.flight[..index as usize]
                        .iter()
                        .any(|earlier| earlier.client == letter.client);
                    if first {
                        out.push(Event::Deliver { index, keep: false });
                    }
                }
                Network::Unordered => out.push(Event::Deliver { index, keep: false }),
                Network::Duplicating => {
                    out.push(Event::Deliver { index, keep: false });
                    if letter.copies > 0 {
                        out.push(Event::Deliver { index, keep: true });
                    }
                }
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
        let (letter, replayed, duplicate_kept, redelivery) = match event {
            Event::Deliver { index, keep } => {
                let index = index as usize;
                let letter = if keep {
                    let letter = world.flight[index].clone();
                    let kept = &mut world.flight[index];
                    kept.copies = kept.copies.saturating_sub(1);
                    kept.awaited = false;
                    letter
                } else {
                    world.flight.remove(index)
                };
                let redelivery = letter.copies < self.redeliveries;
                (letter, false, keep, redelivery)
            }
            Event::Replay => {
                let cursor = world.replay.unwrap_or(0) as usize;
                if cursor >= world.deferred.len() {
                    world.replay = None;
                    return Ok(None);
                }
                (world.deferred.remove(cursor), true, false, false)
            }
        };
        let Some(machine) = world.machine.take() else {
            return Ok(None);
        };
        let from = machine.state();
        let envelope = Rc::clone(&letter.envelope);
        let context = &mut world.context;
        let awaited = letter.awaited;
        let delivered = catch_unwind(AssertUnwindSafe(|| {
            envelope.deliver(machine, context, awaited, text)
        }));
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
                    match delivery.next {
                        Some(script) => {
                            self.start(world, client, letter.origin, delivery.reply_key, script);
                        }
                        None => self.run_client(world, client),
                    }
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
                    world.clients[client as usize].status = Status::GaveUp;
                    // Forget the rest of its script: it is waiting for a reply that never comes.
                    world.clients[client as usize].top = None;
                    world.clients[client as usize].outer = None;
                }
                if replayed {
                    world.replay = ((cursor as usize) < world.deferred.len()).then_some(cursor);
                }
            }
        }
        Ok(happened)
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
            let mut h = mix(*seed, state.status as u64);
            if let Some(top) = &state.top {
                h = mix(h, frame_hash(top));
            }
            if let Some(outer) = &state.outer {
                h = mix(h, outer.hash);
            }
            scratch.push(h);
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

fn frame_hash<Mc: Machine>(frame: &Frame<Mc>) -> u64 {
    mix(frame.id, u64::from(frame.next))
}

/// Hashes the machine and its context together.
pub(crate) fn hash_state<Mc: Machine + Hash>(machine: &Mc, context: &Mc::Context) -> u64
where
    Mc::Context: Hash,
{
    hash_one(&(machine, context), 0x57a7e)
}
