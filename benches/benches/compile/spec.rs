//! The benchmark's machine: 100 states × 100 messages, 1,000 declared cells, and a closed walk
//! through it for the dispatch count. Everything is drawn from a fixed-seed generator, so every run
//! benchmarks the same machine.

/// Number of states.
pub const STATES: usize = 100;
/// Number of message types.
pub const MESSAGES: usize = 100;
/// Cells declared per state (10 × 100 = 1,000 cells).
const CELLS_PER_STATE: usize = 10;

/// What one declared cell does.
#[derive(Clone, Copy)]
pub enum Kind {
    /// `#[on(M => T)]`.
    Move(usize),
    /// `#[on(M => A | B)]`: the handler picks `A` for an even payload, `B` for an odd one.
    Multi(usize, usize),
    /// `#[on(M)]`.
    Stay,
    /// `#[discard(M)]`.
    Discard,
    /// `#[defer(M)]`.
    Defer,
}

/// One declared cell.
#[derive(Clone, Copy)]
pub struct Cell {
    pub message: usize,
    pub kind: Kind,
}

/// One state: whether it carries data (`S2(D2)`), and its cells.
pub struct State {
    pub data: bool,
    pub cells: Vec<Cell>,
}

/// The whole machine.
pub struct Spec {
    pub states: Vec<State>,
    /// Per message: whether it has a reply (`#[message(reply = u32)]`).
    pub replies: Vec<bool>,
}

/// A small deterministic generator (xorshift64*), so the machine is the same on every run.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed | 1)
    }

    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32;
        // `x` < 2^32 and `n` is small: the product fits, the result is < n.
        usize::try_from((x * n as u64) >> 32).unwrap_or(0)
    }
}

impl Spec {
    /// State `i` declares 10 cells, for the messages `(7i + 13j) mod 100`, `j` in 0..10 (distinct,
    /// and together they mention every message):
    /// - `j = 0`: a move to state `i + 1` (a ring, so every state is reachable from `S0`);
    /// - `j = 1..=6`: a move to a random state;
    /// - `j = 7`: a stay;
    /// - `j = 8`: a discard on even states (a defer if the message has a reply), a defer on odd ones;
    /// - `j = 9`: a move to one of two random states.
    ///
    /// Every fifth state carries data (`S2(D2)`, `S7(D7)`, …); every tenth message replies a `u32`.
    pub fn generate() -> Self {
        let mut rng = Rng::new(0x10c5_7e9b_e4c4_0001);
        let replies: Vec<bool> = (0..MESSAGES).map(|m| m % 10 == 3).collect();
        let states = (0..STATES)
            .map(|i| {
                let cells = (0..CELLS_PER_STATE)
                    .map(|j| {
                        let message = (7 * i + 13 * j) % MESSAGES;
                        let kind = match j {
                            0 => Kind::Move((i + 1) % STATES),
                            1..=6 => Kind::Move(rng.below(STATES)),
                            7 => Kind::Stay,
                            8 if i % 2 == 0 && !replies[message] => Kind::Discard,
                            8 => Kind::Defer,
                            _ => {
                                let a = rng.below(STATES);
                                let b = (a + 1 + rng.below(STATES - 1)) % STATES;
                                Kind::Multi(a, b)
                            }
                        };
                        Cell { message, kind }
                    })
                    .collect();
                State {
                    data: i % 5 == 2,
                    cells,
                }
            })
            .collect();
        Self { states, replies }
    }

    pub fn cell_count(&self) -> usize {
        self.states.iter().map(|s| s.cells.len()).sum()
    }

    /// Counts of (moves, multi-target moves, stays, discards, defers).
    pub fn mix(&self) -> [usize; 5] {
        let mut mix = [0; 5];
        for cell in self.states.iter().flat_map(|s| &s.cells) {
            let slot = match cell.kind {
                Kind::Move(_) => 0,
                Kind::Multi(..) => 1,
                Kind::Stay => 2,
                Kind::Discard => 3,
                Kind::Defer => 4,
            };
            mix[slot] += 1;
        }
        mix
    }

    /// The state after `message` with `payload` in `state`.
    fn next(&self, state: usize, message: usize, payload: u32) -> usize {
        let cell = self.states[state]
            .cells
            .iter()
            .find(|c| c.message == message);
        match cell.map(|c| c.kind) {
            Some(Kind::Move(t)) => t,
            Some(Kind::Multi(a, b)) => {
                if payload.is_multiple_of(2) {
                    a
                } else {
                    b
                }
            }
            _ => state,
        }
    }

    /// A walk of about `len` messages from `S0` back to `S0`, as (message, payload): nine in ten
    /// messages are one the current state declares a cell for, one in ten is any message (most of
    /// those are rejected). The walk is closed along the ring, so it can be repeated.
    pub fn closed_walk(&self, len: usize) -> Vec<(usize, u32)> {
        let mut rng = Rng::new(0x005e_ed0f_3a1c);
        let mut walk = Vec::with_capacity(len + STATES);
        let mut state = 0;
        while walk.len() < len {
            let message = if rng.below(10) == 0 {
                rng.below(MESSAGES)
            } else {
                let cells = &self.states[state].cells;
                cells[rng.below(cells.len())].message
            };
            let payload = u32::try_from(rng.below(1000)).unwrap_or(0);
            walk.push((message, payload));
            state = self.next(state, message, payload);
        }
        // Back to S0 along the ring (cell j = 0 of every state moves to the next one).
        while state != 0 {
            let message = self.states[state].cells[0].message;
            walk.push((message, 0));
            state = self.next(state, message, 0);
        }
        walk
    }
}
