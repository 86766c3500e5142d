//! The explorer: the builder users configure, and the breadth-first search over every
//! interleaving of the clients' deliveries.

use alloc::boxed::Box;
use alloc::format;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::hash::Hash;
use core::time::Duration;
use std::time::Instant;

use super::coverage::Coverage;
use super::fingerprint::{Visited, mix};
use super::network::{Network, Replay};
use super::report::{Limit, Mode, PropertyKind, Report, Trace, TraceStep, Violation};
use super::script::{Client, Kind, Script, Steps};
use super::world::{Event, Level, Parts, Print, Setup, Step, View, World, hash_state, push_varint};
use crate::StatePath;
use crate::machine::Machine;

type StateCheck<Mc> = Box<dyn Fn(&Mc, &<Mc as Machine>::Context) -> bool>;
type StepCheck<Mc> =
    Box<dyn Fn((&Mc, &<Mc as Machine>::Context), (&Mc, &<Mc as Machine>::Context)) -> bool>;

/// Explores every interleaving of concurrent clients' messages through a machine's real dispatch,
/// handlers and context, and reports the shortest trace that breaks a property.
///
/// ```
/// use lockstep::check::Explorer;
/// use lockstep::{Machine, Message};
///
/// #[derive(Message, Clone, Debug)] #[message(reply = u32)] pub struct Get;
/// #[derive(Message, Clone, Debug)] pub struct Set(pub u32);
///
/// #[derive(Clone, Default, Hash)]
/// pub struct Store { pub count: u32 }
///
/// #[derive(Machine, Clone, Hash)]
/// #[machine(context = Store)]
/// pub enum Counter {
///     #[initial] #[on(Get)] #[on(Set)] Ready,
/// }
/// impl CounterHandlers for Store {
///     fn ready_on_get(&mut self, _: Get) -> u32 { self.count }
///     fn ready_on_set(&mut self, set: Set) { self.count = set.0 }
/// }
///
/// let report = Explorer::new(Counter::Ready, Store::default())
///     .client("alice", |c| c.ask(Get).then(|n| c.tell(Set(n + 1))))
///     .client("bob", |c| c.ask(Get).then(|n| c.tell(Set(n + 1))))
///     .at_end("no lost update", |_, store| store.count == 2)
///     .run();
/// let violation = report.violation().expect("the race is found");
/// assert_eq!(violation.trace.len(), 4); // Get, Get, Set(1), Set(1)
/// ```
pub struct Explorer<Mc: Machine> {
    pub(super) machine: Mc,
    pub(super) context: Mc::Context,
    pub(super) names: Vec<String>,
    pub(super) groups: Vec<usize>,
    pub(super) scripts: Vec<Steps<Mc>>,
    pub(super) symmetry: bool,
    pub(super) network: Network,
    pub(super) replay: Replay,
    pub(super) redeliveries: u8,
    pub(super) timeouts: bool,
    pub(super) always: Vec<(String, StateCheck<Mc>)>,
    pub(super) each_step: Vec<(String, StepCheck<Mc>)>,
    pub(super) at_end: Vec<(String, StateCheck<Mc>)>,
    pub(super) max_depth: Option<usize>,
    pub(super) max_states: Option<u64>,
    pub(super) time_limit: Option<Duration>,
    pub(super) find_all: bool,
    pub(super) hash_state: Option<fn(&Mc, &Mc::Context) -> u64>,
}

impl<Mc: Machine> core::fmt::Debug for Explorer<Mc> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Explorer")
            .field("machine", &Mc::NAME)
            .field("clients", &self.names)
            .field("network", &self.network)
            .field("replay", &self.replay)
            .field("fingerprints", &self.hash_state.is_some())
            .finish_non_exhaustive()
    }
}

/// The default bound on depth when states cannot be fingerprinted (tree search).
pub const TREE_DEPTH: usize = 24;

/// The default bound on distinct states.
pub const MAX_STATES: u64 = 50_000_000;

/// The default bound on states in tree search (no fingerprints), where the way to each is kept.
pub const TREE_STATES: u64 = 2_000_000;

impl<Mc> Explorer<Mc>
where
    Mc: Machine + Clone + Hash + 'static,
    Mc::Context: Clone + Hash + 'static,
{
    /// An explorer of `machine` (its starting state) with `context`, deduplicating visited states
    /// by fingerprint. Add clients and properties, then [`run`](Self::run).
    pub fn new(machine: Mc, context: Mc::Context) -> Self {
        let mut explorer = Self::unhashed(machine, context);
        explorer.hash_state = Some(hash_state::<Mc>);
        explorer
    }
}

impl<Mc> Explorer<Mc>
where
    Mc: Machine + Clone + 'static,
    Mc::Context: Clone + 'static,
{
    /// An explorer for a machine or context without `Hash`: with no fingerprints there is no
    /// visited set, so every interleaving is walked as a tree, bounded by depth
    /// ([`TREE_DEPTH`] unless [`max_depth`](Self::max_depth) says otherwise). The report says so.
    pub fn unhashed(machine: Mc, context: Mc::Context) -> Self {
        Self {
            machine,
            context,
            names: Vec::new(),
            groups: Vec::new(),
            scripts: Vec::new(),
            symmetry: true,
            network: Network::Ordered,
            replay: Replay::Immediate,
            redeliveries: 1,
            timeouts: true,
            always: Vec::new(),
            each_step: Vec::new(),
            at_end: Vec::new(),
            max_depth: None,
            max_states: None,
            time_limit: None,
            find_all: false,
            hash_state: None,
        }
    }

    /// Adds a client named `name` whose script `build` writes with the handle `c`:
    /// `|c| c.ask(Get).then(|n| c.tell(Set(n + 1)))`.
    #[must_use]
    pub fn client<S: Into<Script<Mc>>>(
        mut self,
        name: &str,
        build: impl FnOnce(&'static Client<Mc>) -> S,
    ) -> Self {
        let script: Script<Mc> = build(Client::handle()).into();
        self.groups.push(self.scripts.len());
        self.names.push(String::from(name));
        self.scripts.push(Rc::from(script.steps));
        self
    }

    /// Adds `count` identical clients, named `name1`, `name2`, …, all running the script `build`
    /// writes. Being identical, they are interchangeable: states that differ only by which of them
    /// is where are explored once (symmetry reduction; see [`symmetry`](Self::symmetry)).
    #[must_use]
    pub fn clients<S: Into<Script<Mc>>>(
        mut self,
        count: usize,
        name: &str,
        build: impl FnOnce(&'static Client<Mc>) -> S,
    ) -> Self {
        let script: Script<Mc> = build(Client::handle()).into();
        let steps: Steps<Mc> = Rc::from(script.steps);
        let group = self.scripts.len();
        for i in 1..=count {
            self.groups.push(group);
            self.names.push(format!("{name}{i}"));
            self.scripts.push(Rc::clone(&steps));
        }
        self
    }

    /// A property that must hold in every reachable state, the initial one included.
    #[must_use]
    pub fn always(
        mut self,
        name: &str,
        property: impl Fn(&Mc, &Mc::Context) -> bool + 'static,
    ) -> Self {
        self.always.push((String::from(name), Box::new(property)));
        self
    }

    /// A property of every step: it gets the machine and context before and after, e.g.
    /// `|(_, before), (_, after)| after.count >= before.count`.
    #[must_use]
    pub fn each_step(
        mut self,
        name: &str,
        property: impl Fn((&Mc, &Mc::Context), (&Mc, &Mc::Context)) -> bool + 'static,
    ) -> Self {
        self.each_step
            .push((String::from(name), Box::new(property)));
        self
    }

    /// A property that must hold once nothing more can happen but time passing: every client has
    /// finished (or waits for a reply that never comes), nothing is in flight and no replay is
    /// due. With a state timeout pending, it is checked before the timeout fires and after.
    #[must_use]
    pub fn at_end(
        mut self,
        name: &str,
        property: impl Fn(&Mc, &Mc::Context) -> bool + 'static,
    ) -> Self {
        self.at_end.push((String::from(name), Box::new(property)));
        self
    }

    /// The network model (default [`Network::Ordered`]).
    #[must_use]
    pub fn network(mut self, network: Network) -> Self {
        self.network = network;
        self
    }

    /// When deferred messages are replayed (default [`Replay::Immediate`], as the driver does).
    #[must_use]
    pub fn replay(mut self, replay: Replay) -> Self {
        self.replay = replay;
        self
    }

    /// Whether state timeouts (`#[timeout(..)]`) may fire (default `true`): in a state that
    /// declares one, time passing is one more event, possible between any two deliveries, so
    /// the exploration covers a timeout that fires before, between or after any of them. As in
    /// the actor, a timeout fires at most once per visit: entering the state arms it, firing
    /// spends it.
    #[must_use]
    pub fn timeouts(mut self, on: bool) -> Self {
        self.timeouts = on;
        self
    }

    /// Under [`Network::Duplicating`], how many extra times a message may arrive (default 1).
    #[must_use]
    pub fn redeliveries(mut self, extra: u8) -> Self {
        self.redeliveries = extra;
        self
    }

    /// Explores no deeper than `depth` steps; if that cuts anything, the report is incomplete.
    #[must_use]
    pub fn max_depth(mut self, depth: usize) -> Self {
        self.max_depth = Some(depth);
        self
    }

    /// Stops after `states` distinct states (default [`MAX_STATES`]); the report is then
    /// incomplete.
    #[must_use]
    pub fn max_states(mut self, states: u64) -> Self {
        self.max_states = Some(states);
        self
    }

    /// Stops after `limit` of wall time; the report is then incomplete (and, unlike the other
    /// bounds, how far it got depends on the machine it runs on).
    #[must_use]
    pub fn time_limit(mut self, limit: Duration) -> Self {
        self.time_limit = Some(limit);
        self
    }

    /// Keeps exploring after a violation, to the whole space, and reports a shortest trace for
    /// every property that fails. By default the search stops at the first violation.
    #[must_use]
    pub fn find_all(mut self) -> Self {
        self.find_all = true;
        self
    }

    /// Symmetry reduction between the identical clients of one [`clients`](Self::clients) call
    /// (default on). Off, every permutation of them is explored separately.
    #[must_use]
    pub fn symmetry(mut self, on: bool) -> Self {
        self.symmetry = on;
        self
    }

    pub(crate) fn setup(&self) -> Setup<Mc> {
        let mut setup = self.setup_untimed();
        setup.timeouts = self.timeouts;
        setup
    }

    fn setup_untimed(&self) -> Setup<Mc> {
        let seeds = self
            .groups
            .iter()
            .enumerate()
            .map(|(client, &group)| {
                let key = if self.symmetry { group } else { client };
                mix(0x5eed, key as u64)
            })
            .collect();
        Setup::new(
            self.names.clone(),
            seeds,
            &self.scripts,
            self.network,
            self.replay,
            if self.network == Network::Duplicating {
                self.redeliveries
            } else {
                0
            },
            self.hash_state,
        )
    }

    /// The initial world: the machine started (its first state's enter hook run), as an actor
    /// starts it. A panic there is not an interleaving, so it is not reported as a violation: it
    /// propagates.
    pub(crate) fn initial(&self, setup: &Setup<Mc>) -> World<Mc> {
        let (mut machine, mut context) = (self.machine.clone(), self.context.clone());
        machine.start(&mut context);
        setup.initial(machine, context)
    }

    /// The first property of `list` not skipped that `state` breaks.
    pub(super) fn check_state(
        list: &[(String, StateCheck<Mc>)],
        (machine, context): (&Mc, &Mc::Context),
        skip: &[bool],
    ) -> Option<usize> {
        list.iter()
            .enumerate()
            .find(|(i, (_, check))| !skip[*i] && !check(machine, context))
            .map(|(i, _)| i)
    }

    /// The first `each_step` property not skipped that the step from `before` to `after` breaks.
    pub(super) fn check_step(
        &self,
        before: (&Mc, &Mc::Context),
        after: (&Mc, &Mc::Context),
        skip: &[bool],
    ) -> Option<usize> {
        self.each_step
            .iter()
            .enumerate()
            .find(|(i, (_, check))| !skip[*i] && !check(before, after))
            .map(|(i, _)| i)
    }

    pub(crate) fn property(&self, found: Found) -> (String, PropertyKind) {
        match found {
            Found::Always(i) => (self.always[i].0.clone(), PropertyKind::Always),
            Found::EachStep(i) => (self.each_step[i].0.clone(), PropertyKind::EachStep),
            Found::AtEnd(i) => (self.at_end[i].0.clone(), PropertyKind::AtEnd),
            Found::Panic => (String::new(), PropertyKind::NoPanic),
        }
    }

    pub(crate) fn property_count(&self) -> usize {
        self.always.len() + self.each_step.len() + self.at_end.len()
    }

    /// Explores breadth-first, so the first violation found of each property has a shortest
    /// trace. Deterministic: the same explorer gives the same report (but for `elapsed`).
    #[must_use]
    pub fn run(&self) -> Report {
        let started = Instant::now();
        let setup = self.setup();
        let mut search = Search::new(self, &setup, started);
        search.run();
        let violations = search
            .found
            .iter()
            .map(|(found, path)| self.violation(&setup, *found, &decode(path)))
            .collect();
        Report {
            machine: Mc::NAME,
            mode: if setup.hash_state.is_some() {
                Mode::Fingerprints
            } else {
                Mode::Tree
            },
            network: self.network,
            clients: self.names.len(),
            states: search.states,
            transitions: search.transitions,
            depth: search.depth,
            complete: search.limit.is_none() && !search.stopped,
            limit: search.limit,
            stopped_at_violation: search.stopped,
            visited_bytes: if setup.hash_state.is_some() {
                search.visited.bytes()
            } else {
                0
            },
            elapsed: started.elapsed(),
            violations,
            properties: self.property_count(),
            coverage: search.coverage,
        }
    }

    /// The violation of `found`, with the trace of `path` (event indices from the initial state).
    pub(super) fn violation(&self, setup: &Setup<Mc>, found: Found, path: &[u32]) -> Violation {
        let (mut property, kind) = self.property(found);
        let (trace, panic) = replay_path(self, setup, path);
        if let Some(message) = panic {
            property = message;
        }
        Violation {
            property,
            kind,
            trace,
        }
    }
}

/// Which property failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Found {
    Always(usize),
    EachStep(usize),
    AtEnd(usize),
    Panic,
}

/// The way from the initial state to a state, as event indices in LEB128 varints.
type Path = Box<[u8]>;

fn extend(path: &[u8], index: u32) -> Path {
    let mut out = Vec::with_capacity(path.len() + 1);
    out.extend_from_slice(path);
    push_varint(&mut out, index);
    out.into_boxed_slice()
}

fn decode(path: &[u8]) -> Vec<u32> {
    let mut out = Vec::new();
    let (mut value, mut shift) = (0u32, 0);
    for &byte in path {
        value |= u32::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            out.push(value);
            value = 0;
            shift = 0;
        } else {
            shift += 7;
        }
    }
    out
}

/// The successors of one state: its events and what each reached, run but not yet committed.
/// Reused from one state to the next.
struct Batch<Mc: Machine> {
    events: Vec<Event>,
    /// One per event run (grown as needed, never shrunk, so their own buffers are reused too).
    successors: Vec<Successor<Mc>>,
    /// How many events have run: what they reached is in `successors[..ran]`.
    ran: usize,
}

impl<Mc: Machine> Batch<Mc> {
    fn new() -> Self {
        Self {
            events: Vec::new(),
            successors: Vec::new(),
            ran: 0,
        }
    }
}

/// What one event of the state being expanded reached, computed but not yet committed.
struct Successor<Mc: Machine> {
    /// The machine the event left; `None` if it did not apply or its handler panicked.
    machine: Option<Mc>,
    /// The context the event ran on: a copy of the parent's.
    context: Mc::Context,
    step: Step,
    panicked: bool,
}

/// One breadth-first search.
struct Search<'e, Mc: Machine> {
    explorer: &'e Explorer<Mc>,
    setup: &'e Setup<Mc>,
    visited: Visited,
    coverage: Coverage,
    states: u64,
    transitions: u64,
    depth: usize,
    limit: Option<Limit>,
    stopped: bool,
    found: Vec<(Found, Path)>,
    /// Per property, whether it already failed (then it is checked no more).
    failed_always: Vec<bool>,
    failed_step: Vec<bool>,
    failed_end: Vec<bool>,
    panicked: bool,
    /// The bounds: states deeper than `max_depth` are not expanded; the search stops at
    /// `max_states`.
    max_depth: usize,
    max_states: u64,
    /// The depth of the states being expanded.
    level: usize,
    started: Instant,
}

impl<'e, Mc> Search<'e, Mc>
where
    Mc: Machine + Clone + 'static,
    Mc::Context: Clone + 'static,
{
    fn new(explorer: &'e Explorer<Mc>, setup: &'e Setup<Mc>, started: Instant) -> Self {
        let hashed = setup.hash_state.is_some();
        Self {
            explorer,
            setup,
            visited: Visited::new(),
            coverage: Coverage::new::<Mc>(),
            states: 0,
            transitions: 0,
            depth: 0,
            limit: None,
            stopped: false,
            found: Vec::new(),
            failed_always: vec![false; explorer.always.len()],
            failed_step: vec![false; explorer.each_step.len()],
            failed_end: vec![false; explorer.at_end.len()],
            panicked: false,
            max_depth: explorer
                .max_depth
                .unwrap_or(if hashed { usize::MAX } else { TREE_DEPTH }),
            max_states: explorer.max_states.unwrap_or(if hashed {
                MAX_STATES
            } else {
                TREE_STATES
            }),
            level: 0,
            started,
        }
    }

    /// Records a violation; `true` if the search should stop.
    fn report(&mut self, found: Found, path: Path) -> bool {
        match found {
            Found::Always(i) => self.failed_always[i] = true,
            Found::EachStep(i) => self.failed_step[i] = true,
            Found::AtEnd(i) => self.failed_end[i] = true,
            Found::Panic => self.panicked = true,
        }
        self.found.push((found, path));
        if !self.explorer.find_all {
            self.stopped = true;
        }
        self.stopped
    }

    fn run(&mut self) {
        let explorer = self.explorer;
        let setup = self.setup;
        let initial = explorer.initial(setup);
        let Some(view) = initial.view() else {
            return;
        };
        let mut print = Print::default();
        if let Some(fp) = setup.fingerprint(&view, &mut print) {
            self.visited.insert(fp);
        }
        self.states = 1;
        if let Some(i) = Explorer::check_state(
            &explorer.always,
            (view.machine, view.context),
            &self.failed_always,
        ) && self.report(Found::Always(i), Path::default())
        {
            return;
        }
        let width = setup.names.len();
        let mut current = Level::new(width);
        current.push_world(initial, &print);
        let mut next = Level::new(width);
        let mut batch = Batch::new();
        while current.len() > 0 {
            // Each state is expanded in two passes: all its events run (`compute`), then what
            // they reached is committed in order (`commit`). Committing is mostly probing the
            // visited set, a cache miss each once it outgrows the cache: one probe after the
            // other, with little between them, the processor overlaps the misses instead of
            // stalling on each between two dispatches. Commits stay in event order, so counts,
            // reports and traces are those of one pass; the only difference is that when the
            // search stops at an event, the handlers of the state's later events have run too
            // (what they did is dropped, but a panic among them reaches the panic hook).
            for state in current.states() {
                self.compute(state, &mut batch);
                if self.commit(state, &mut batch, &mut next) {
                    return;
                }
            }
            current.clear();
            core::mem::swap(&mut current, &mut next);
            self.level += 1;
        }
    }

    /// Lists the events of `world` and runs each, unless `world` is not to be expanded (nothing
    /// can happen in it, or it is as deep as the search goes): on copies of the machine and
    /// context only (the rest of the state it reaches is described by its step), fingerprinting
    /// what it reaches.
    fn compute(&self, (world, parts, _): (View<'_, Mc>, Parts<'_>, &[u8]), batch: &mut Batch<Mc>) {
        let setup = self.setup;
        let Batch {
            events,
            successors,
            ran,
        } = batch;
        setup.events(&world, events);
        *ran = 0;
        if self.level >= self.max_depth {
            return;
        }
        for &event in events.iter() {
            if successors.len() == *ran {
                successors.push(Successor {
                    machine: None,
                    context: world.context.clone(),
                    step: Step::new(),
                    panicked: false,
                });
            }
            let successor = &mut successors[*ran];
            *ran += 1;
            successor.context.clone_from(world.context);
            let stepped = setup.step(
                (&world, Some(&parts)),
                event,
                (world.machine.clone(), &mut successor.context),
                (None, false),
                &mut successor.step,
            );
            successor.panicked = stepped.is_err();
            successor.machine = stepped.ok().flatten();
            #[cfg(debug_assertions)]
            if let Some(machine) = &successor.machine {
                debug_assert_eq!(
                    successor.step.fingerprint(),
                    setup.fingerprint_written(
                        &world,
                        &successor.step,
                        (machine, &successor.context)
                    ),
                    "a successor's fingerprint computed from its parent's differs from its own"
                );
            }
        }
    }

    /// Commits the successors of `world` in order: counts, checks, the visited set, and the new
    /// states written out to `next`; `true` if the search should stop.
    fn commit(
        &mut self,
        (world, parts, path): (View<'_, Mc>, Parts<'_>, &[u8]),
        batch: &mut Batch<Mc>,
        next: &mut Level<Mc>,
    ) -> bool {
        let explorer = self.explorer;
        let before = (world.machine, world.context);
        // The end: nothing can happen but time passing (see `Event::only_time`).
        if Event::only_time(&batch.events) {
            if Explorer::check_state(&explorer.at_end, before, &self.failed_end)
                .is_some_and(|i| self.report(Found::AtEnd(i), path.into()))
            {
                return true;
            }
            if batch.events.is_empty() {
                return false;
            }
        }
        if self.level >= self.max_depth {
            self.limit = Some(Limit::Depth(self.max_depth));
            return false;
        }
        for (index, successor) in batch.successors[..batch.ran].iter_mut().enumerate() {
            let index = u32::try_from(index).unwrap_or(u32::MAX);
            self.transitions += 1;
            if successor.panicked {
                if !self.panicked && self.report(Found::Panic, extend(path, index)) {
                    return true;
                }
                continue;
            }
            let Some(machine) = successor.machine.take() else {
                continue;
            };
            let (from, message) = successor.step.cell();
            self.coverage.mark(from, message);
            let after = (&machine, &successor.context);
            if let Some(i) = explorer.check_step(before, after, &self.failed_step)
                && self.report(Found::EachStep(i), extend(path, index))
            {
                return true;
            }
            if let Some(fp) = successor.step.fingerprint()
                && !self.visited.insert(fp)
            {
                continue;
            }
            self.states += 1;
            self.depth = self.level + 1;
            if let Some(i) = Explorer::check_state(&explorer.always, after, &self.failed_always)
                && self.report(Found::Always(i), extend(path, index))
            {
                return true;
            }
            let context = successor.context.clone();
            next.push_step(
                (&world, &parts, path),
                &successor.step,
                (machine, context),
                index,
            );
            if self.states >= self.max_states {
                self.limit = Some(Limit::States(self.max_states));
                return true;
            }
            if self.states.is_multiple_of(4096)
                && let Some(limit) = explorer.time_limit
                && self.started.elapsed() >= limit
            {
                self.limit = Some(Limit::Time(limit));
                return true;
            }
        }
        false
    }
}

/// Runs the events of `path` from the initial state, describing each: the trace. Returns the
/// panic message if the last step panicked.
pub(crate) fn replay_path<Mc>(
    explorer: &Explorer<Mc>,
    setup: &Setup<Mc>,
    path: &[u32],
) -> (Trace, Option<String>)
where
    Mc: Machine + Clone + 'static,
    Mc::Context: Clone + 'static,
{
    let mut world = explorer.initial(setup);
    let mut events = Vec::new();
    let mut trace = Trace::default();
    for (step, &index) in path.iter().enumerate() {
        let Some(view) = world.view() else {
            break;
        };
        setup.events(&view, &mut events);
        let Some(&event) = events.get(index as usize) else {
            break;
        };
        // Every level of the state (`Active/Streaming`), read off the machine itself.
        let before = world.machine.as_ref().map(Machine::state_path);
        let letter = match event {
            Event::Deliver { index, .. } => world.flight().get(index as usize),
            Event::Replay => world
                .replay
                .and_then(|cursor| world.deferred().get(cursor as usize)),
            Event::Elapse { .. } => None,
        };
        let nobody = if matches!(event, Event::Elapse { .. }) {
            (String::from("clock"), String::from("Timeout"))
        } else {
            (String::new(), String::new())
        };
        let (client, message) = letter.map_or(nobody, |&id| {
            let letter = setup.letter(id);
            let message = setup
                .envelope(&letter)
                .map(|e| e.describe())
                .unwrap_or_default();
            (setup.names[letter.client as usize].clone(), message)
        });
        match setup.apply(&mut world, event, None, true) {
            Ok(Some(happened)) => trace.steps.push(TraceStep {
                step: step + 1,
                client,
                message,
                from: before.unwrap_or_else(|| StatePath::of(&Mc::STATES[happened.from.index()])),
                to: world.machine.as_ref().map_or_else(
                    || StatePath::of(&Mc::STATES[happened.to.index()]),
                    Machine::state_path,
                ),
                kind: happened.kind,
                reply: happened.reply,
                replayed: happened.replayed,
                duplicate_kept: happened.duplicate_kept,
                redelivery: happened.redelivery,
            }),
            Ok(None) => {}
            Err(panic) => {
                let from = before.unwrap_or_else(StatePath::poisoned);
                trace.steps.push(TraceStep {
                    step: step + 1,
                    client,
                    message,
                    from,
                    to: from,
                    kind: Kind::Panicked,
                    reply: None,
                    replayed: matches!(event, Event::Replay),
                    duplicate_kept: false,
                    redelivery: false,
                });
                return (trace, Some(panic.message));
            }
        }
    }
    (trace, None)
}
