//! The race checker against stateright on the same lost-update scenario: K clients, each doing R
//! rounds of get → set (the set writes what the get read, plus one), one message processed at a
//! time. Both explore the whole space breadth-first on one thread (no stop at the violation the
//! lost update is), and count distinct states.
//!
//! Run it: `cargo bench -p lockstep-benches --bench explore`. It ends with
//! `RESULT explore k=4 r=3 lockstep_states=N stateright_states=N lockstep_ms=T stateright_ms=T speedup=Z`
//! (speedup = stateright's time / lockstep's time). Lockstep runs as a user gets it: the K clients
//! are declared identical (`clients(K, ..)`), so symmetry reduction explores one state per
//! permutation class (20,432 of the 361,775) and proves the same property. The lines above RESULT
//! give lockstep without reduction, visiting the same 361,775 states as stateright, and, for scale,
//! a hand-specialized search over the state packed in one word.

use std::hint::black_box;
use std::time::{Duration, Instant};

use lockstep::check::{Explorer, Report};
use lockstep::{Machine, Message};
use stateright::{Checker, HasDiscoveries, Model, Property};

const K: usize = 4;
const R: usize = 3;
/// Runs of each checker; the fastest counts (the least disturbed by the machine).
const RUNS: usize = 5;

// ---- lockstep: the real machine, handlers and context --------------------------------------

/// Reads the count.
#[derive(Message, Clone, Debug)]
#[message(reply = u8)]
pub struct Get;

/// Overwrites the count.
#[derive(Message, Clone, Debug)]
pub struct Set(pub u8);

/// The shared data.
#[derive(Clone, Debug, Default, Hash)]
pub struct Store {
    /// The count.
    pub count: u8,
}

/// The naive counter.
#[derive(Machine, Clone, Debug, Hash)]
#[machine(context = Store)]
pub enum Counter {
    /// Serves reads and writes.
    #[initial]
    #[on(Get)]
    #[on(Set)]
    Ready,
}

impl CounterHandlers for Store {
    fn ready_on_get(&mut self, _: Get) -> u8 {
        self.count
    }
    fn ready_on_set(&mut self, set: Set) {
        self.count = set.0;
    }
}

fn lockstep(symmetry: bool) -> Report {
    #[allow(clippy::cast_possible_truncation)]
    let total = (K * R) as u8;
    Explorer::new(Counter::Ready, Store::default())
        .clients(K, "client", |c| {
            c.ask(Get).then(|n| c.tell(Set(n + 1))).repeat(R)
        })
        .symmetry(symmetry)
        .at_end("no lost update", move |_, store| store.count == total)
        .find_all()
        .run()
}

// ---- stateright: the same system as a hand-written model ------------------------------------

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct Thread {
    /// 0, 2, 4, …: about to get; odd: about to set; 2R: done.
    pc: u8,
    /// What the last get read.
    read: u8,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct State {
    count: u8,
    threads: Vec<Thread>,
}

struct LostUpdate;

impl Model for LostUpdate {
    type State = State;
    type Action = usize;

    fn init_states(&self) -> Vec<State> {
        vec![State {
            count: 0,
            threads: vec![Thread { pc: 0, read: 0 }; K],
        }]
    }

    fn actions(&self, state: &State, actions: &mut Vec<usize>) {
        for (i, thread) in state.threads.iter().enumerate() {
            if usize::from(thread.pc) < 2 * R {
                actions.push(i);
            }
        }
    }

    fn next_state(&self, state: &State, thread: usize) -> Option<State> {
        let mut next = state.clone();
        let t = &mut next.threads[thread];
        if t.pc.is_multiple_of(2) {
            t.read = state.count;
        } else {
            next.count = t.read + 1;
            t.read = 0;
        }
        t.pc += 1;
        Some(next)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![Property::always("no lost update", |_, state: &State| {
            usize::from(state.count) == K * R
                || state.threads.iter().any(|t| usize::from(t.pc) < 2 * R)
        })]
    }
}

fn stateright() -> usize {
    let checker = LostUpdate
        .checker()
        // Explore everything: finish only on a discovery no property makes.
        .finish_when(HasDiscoveries::AllOf(std::iter::once("never").collect()))
        .spawn_bfs()
        .join();
    assert!(checker.discovery("no lost update").is_some());
    checker.unique_state_count()
}

// ---- a hand-specialized search: the floor a generic checker is measured against ------------

/// The whole state in one word: the count, then per thread its program counter and last read
/// (4 bits each: both stay below 16 at K = 4, R = 3).
fn hand_specialized() -> usize {
    fn pack(count: u8, threads: [(u8, u8); K]) -> u64 {
        threads.iter().fold(u64::from(count), |word, &(pc, read)| {
            (word << 8) | (u64::from(pc) << 4) | u64::from(read)
        })
    }
    let mut seen: std::collections::HashSet<u64, std::hash::BuildHasherDefault<Mix>> =
        std::collections::HashSet::default();
    let start = (0u8, [(0u8, 0u8); K]);
    seen.insert(pack(start.0, start.1));
    let mut level = vec![start];
    while !level.is_empty() {
        let mut next = Vec::new();
        for (count, threads) in level {
            for i in 0..K {
                let (pc, read) = threads[i];
                if usize::from(pc) == 2 * R {
                    continue;
                }
                let mut after = threads;
                let mut new_count = count;
                if pc.is_multiple_of(2) {
                    after[i] = (pc + 1, count);
                } else {
                    new_count = read + 1;
                    after[i] = (pc + 1, 0);
                }
                if seen.insert(pack(new_count, after)) {
                    next.push((new_count, after));
                }
            }
        }
        level = next;
    }
    seen.len()
}

/// A multiply-mix hasher for the hand-specialized search's `u64` keys.
#[derive(Default)]
struct Mix(u64);

impl std::hash::Hasher for Mix {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0 ^ i)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(29);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

fn fastest<T>(mut run: impl FnMut() -> T) -> (T, Duration) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..RUNS {
        let started = Instant::now();
        let out = black_box(run());
        best = best.min(started.elapsed());
        last = Some(out);
    }
    (last.expect("RUNS > 0"), best)
}

fn main() {
    // `EXPLORE_PROFILE=1`: only lockstep without reduction, for a profiler.
    if std::env::var_os("EXPLORE_PROFILE").is_some() {
        let (report, time) = fastest(|| lockstep(false));
        println!("{} states in {time:?}", report.states);
        return;
    }
    let (plain, plain_time) = fastest(|| lockstep(false));
    assert!(plain.complete, "lockstep explores the whole space");
    assert!(plain.violation_of("no lost update").is_some());
    let (reduced, reduced_time) = fastest(|| lockstep(true));
    assert!(reduced.complete);
    assert!(reduced.violation_of("no lost update").is_some());
    let (sr_states, sr_time) = fastest(stateright);
    let (hand_states, hand_time) = fastest(hand_specialized);
    assert_eq!(hand_states, sr_states);
    let ms = |d: Duration| d.as_secs_f64() * 1e3;

    println!("{reduced}\n");
    println!(
        "lockstep, symmetry (default): {:>7} states {:>8} transitions {:>7.1} ms  {:>5.1}x stateright  {:.1} B/state visited",
        reduced.states,
        reduced.transitions,
        ms(reduced_time),
        sr_time.as_secs_f64() / reduced_time.as_secs_f64(),
        reduced.bytes_per_state()
    );
    println!(
        "lockstep, no reduction:       {:>7} states {:>8} transitions {:>7.1} ms  {:>5.1}x stateright  {:.1} B/state visited",
        plain.states,
        plain.transitions,
        ms(plain_time),
        sr_time.as_secs_f64() / plain_time.as_secs_f64(),
        plain.bytes_per_state()
    );
    println!(
        "stateright 0.31 BFS:          {sr_states:>7} states {:>8}             {:>7.1} ms",
        "",
        ms(sr_time)
    );
    println!(
        "hand-specialized BFS:         {hand_states:>7} states {:>8}             {:>7.1} ms  {:>5.1}x stateright",
        "",
        ms(hand_time),
        sr_time.as_secs_f64() / hand_time.as_secs_f64()
    );
    println!(
        "RESULT explore k={K} r={R} lockstep_states={} stateright_states={sr_states} lockstep_ms={:.1} stateright_ms={:.1} speedup={:.1}",
        reduced.states,
        ms(reduced_time),
        ms(sr_time),
        sr_time.as_secs_f64() / reduced_time.as_secs_f64()
    );
}
