//! Seeded random walks: for spaces too large to exhaust. Each walk starts in the initial state
//! and picks one enabled event at random until nothing more can happen (or the depth bound);
//! a violation is reported with the same trace output as the breadth-first search.

use alloc::vec::Vec;
use std::time::Instant;

use super::coverage::Coverage;
use super::explorer::{Explorer, Found};
use super::report::{Limit, Mode, Report};
use super::world::{Event, World};
use crate::machine::Machine;

/// `SplitMix64`: a tiny, good, seedable generator; the same seed gives the same walks everywhere.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        #[allow(clippy::cast_possible_truncation)]
        let pick = ((u128::from(self.next_u64()) * n as u128) >> 64) as usize;
        pick
    }
}

/// The default number of steps a walk takes at most, when no depth bound is set.
pub const WALK_STEPS: usize = 1_000;

impl<Mc> Explorer<Mc>
where
    Mc: Machine + Clone + 'static,
    Mc::Context: Clone + 'static,
{
    /// Runs `walks` seeded random walks instead of the exhaustive search, each at most
    /// [`max_depth`](Self::max_depth) steps long ([`WALK_STEPS`] by default). Stops at the first
    /// violation (unless [`find_all`](Self::find_all)); its trace is the walk that found it, not
    /// necessarily a shortest one. The same seed gives the same walks and the same report.
    #[must_use]
    pub fn random_walks(&self, seed: u64, walks: u64) -> Report {
        let started = Instant::now();
        let setup = self.setup();
        let max_steps = self.max_depth.unwrap_or(WALK_STEPS);
        let mut rng = Rng::new(seed);
        let mut coverage = Coverage::new::<Mc>();
        let mut failures = Failures::new(self);
        let (mut states, mut transitions, mut depth, mut ran) = (0u64, 0u64, 0usize, 0u64);
        let mut cut = false;
        let mut events = Vec::new();
        let mut path: Vec<u32> = Vec::new();
        'walks: for _ in 0..walks {
            ran += 1;
            path.clear();
            let mut world = self.initial(&setup);
            states += 1;
            if let Some(state) = world.pair()
                && let Some(i) = Self::check_state(&self.always, state, &failures.always)
                && failures.record(Found::Always(i), &path)
            {
                break 'walks;
            }
            while let Some(view) = world.view() {
                setup.events(&view, &mut events);
                if Event::only_time(&events) {
                    if let Some(i) =
                        Self::check_state(&self.at_end, (view.machine, view.context), &failures.end)
                        && failures.record(Found::AtEnd(i), &path)
                    {
                        break 'walks;
                    }
                    if events.is_empty() {
                        break;
                    }
                }
                if path.len() >= max_steps {
                    cut = true;
                    break;
                }
                let pick = rng.below(events.len());
                #[allow(clippy::cast_possible_truncation)]
                path.push(pick as u32);
                depth = depth.max(path.len());
                let before = (!self.each_step.is_empty()).then(|| world.clone());
                transitions += 1;
                if setup
                    .apply(&mut world, events[pick], Some(&mut coverage), false)
                    .is_err()
                {
                    if !failures.panicked && failures.record(Found::Panic, &path) {
                        break 'walks;
                    }
                    break;
                }
                states += 1;
                let Some(after) = world.pair() else {
                    break;
                };
                if let Some(before) = before.as_ref().and_then(World::pair)
                    && let Some(i) = self.check_step(before, after, &failures.step)
                    && failures.record(Found::EachStep(i), &path)
                {
                    break 'walks;
                }
                if let Some(i) = Self::check_state(&self.always, after, &failures.always)
                    && failures.record(Found::Always(i), &path)
                {
                    break 'walks;
                }
            }
        }
        let found = failures.found;
        let violations: Vec<_> = found
            .iter()
            .map(|(which, path)| self.violation(&setup, *which, path))
            .collect();
        Report {
            machine: Mc::NAME,
            mode: Mode::RandomWalks { seed, walks: ran },
            network: self.network,
            clients: self.names.len(),
            states,
            transitions,
            depth,
            complete: false,
            limit: cut.then_some(Limit::Depth(max_steps)),
            stopped_at_violation: !self.find_all && !violations.is_empty(),
            visited_bytes: 0,
            elapsed: started.elapsed(),
            violations,
            properties: self.property_count(),
            coverage,
        }
    }
}

/// The properties that failed so far (checked no more), and the walks that broke them.
struct Failures {
    always: Vec<bool>,
    step: Vec<bool>,
    end: Vec<bool>,
    panicked: bool,
    find_all: bool,
    found: Vec<(Found, Vec<u32>)>,
}

impl Failures {
    fn new<Mc: Machine>(explorer: &Explorer<Mc>) -> Self {
        Self {
            always: alloc::vec![false; explorer.always.len()],
            step: alloc::vec![false; explorer.each_step.len()],
            end: alloc::vec![false; explorer.at_end.len()],
            panicked: false,
            find_all: explorer.find_all,
            found: Vec::new(),
        }
    }

    /// Records a failure; `true` if the walks should stop.
    fn record(&mut self, found: Found, path: &[u32]) -> bool {
        match found {
            Found::Always(i) => self.always[i] = true,
            Found::EachStep(i) => self.step[i] = true,
            Found::AtEnd(i) => self.end[i] = true,
            Found::Panic => self.panicked = true,
        }
        self.found.push((found, path.to_vec()));
        !self.find_all
    }
}
