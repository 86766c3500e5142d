//! What an exploration found: counts, completeness, coverage, and each violated property with
//! its shortest trace.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::time::Duration;

use super::coverage::Coverage;
use super::network::Network;
use super::script::Kind;

/// What kind of property was violated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PropertyKind {
    /// [`always`](super::Explorer::always): must hold in every reachable state.
    Always,
    /// [`each_step`](super::Explorer::each_step): must hold across every step.
    EachStep,
    /// [`at_end`](super::Explorer::at_end): must hold once nothing more can happen.
    AtEnd,
    /// A handler panicked.
    NoPanic,
}

impl PropertyKind {
    fn describe(self) -> &'static str {
        match self {
            Self::Always => "always",
            Self::EachStep => "each step",
            Self::AtEnd => "at the end",
            Self::NoPanic => "no handler panics",
        }
    }
}

/// How the space was searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Breadth-first with a visited set of 64-bit fingerprints: each distinct state once.
    Fingerprints,
    /// Breadth-first without a visited set (the machine or context has no `Hash`): every
    /// interleaving is walked as a tree, so the same state may be counted many times.
    Tree,
    /// Seeded random walks: not exhaustive.
    RandomWalks {
        /// The seed.
        seed: u64,
        /// How many walks ran.
        walks: u64,
    },
}

/// Which bound stopped the search before it was complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Limit {
    /// States at the depth bound had successors that were not explored.
    Depth(usize),
    /// The state bound was reached.
    States(u64),
    /// The time bound ran out.
    Time(Duration),
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Depth(depth) => write!(f, "depth bound {depth} reached"),
            Self::States(states) => write!(f, "state bound {states} reached"),
            Self::Time(time) => write!(f, "time bound {time:?} ran out"),
        }
    }
}

/// One step of a trace: a delivery (or a replay of a deferred message) and what it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceStep {
    /// 1-based.
    pub step: usize,
    /// The client that sent the message.
    pub client: String,
    /// The message, as its `Debug` text.
    pub message: String,
    /// The state before, every level of it (`Active/Streaming`).
    pub from: crate::StatePath,
    /// The state after.
    pub to: crate::StatePath,
    /// What the dispatch did.
    pub kind: Kind,
    /// The reply, as its `Debug` text (`None` for `()`, or when no handler ran).
    pub reply: Option<String>,
    /// A deferred message replayed after a state change, not a fresh delivery.
    pub replayed: bool,
    /// A duplicate of the message stayed in flight (at-least-once network).
    pub duplicate_kept: bool,
    /// A second (or later) delivery of the same message.
    pub redelivery: bool,
}

impl fmt::Display for TraceStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:>3}. {}: {} {} → {} {}",
            self.step,
            self.client,
            self.message,
            self.from,
            self.to,
            self.kind.name()
        )?;
        if let Some(reply) = &self.reply {
            write!(f, ", reply {reply}")?;
        }
        if self.replayed {
            f.write_str(" (replayed)")?;
        }
        if self.redelivery {
            f.write_str(" (redelivered)")?;
        }
        if self.duplicate_kept {
            f.write_str(" (a duplicate stays in flight)")?;
        }
        Ok(())
    }
}

/// A numbered sequence of steps from the initial state.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Trace {
    /// The steps, in order.
    pub steps: Vec<TraceStep>,
}

impl Trace {
    /// How many steps.
    #[must_use]
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// Whether the property failed in the initial state.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

impl fmt::Display for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Align the columns: client, message and states.
        let client = self.steps.iter().map(|s| s.client.len()).max().unwrap_or(0);
        let message = self
            .steps
            .iter()
            .map(|s| s.message.len())
            .max()
            .unwrap_or(0);
        let width = |path: &crate::StatePath| path.to_string().chars().count();
        let from = self.steps.iter().map(|s| width(&s.from)).max().unwrap_or(0);
        let to = self.steps.iter().map(|s| width(&s.to)).max().unwrap_or(0);
        if self.steps.is_empty() {
            return f.write_str("    (the initial state)");
        }
        for (i, s) in self.steps.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(
                f,
                "{:>4}. {:<client$}  {:<message$}  {:<from$} → {:<to$}  {}",
                s.step,
                s.client,
                s.message,
                s.from.to_string(),
                s.to.to_string(),
                s.kind.name(),
            )?;
            if let Some(reply) = &s.reply {
                write!(f, ", reply {reply}")?;
            }
            if s.replayed {
                f.write_str(" (replayed)")?;
            }
            if s.redelivery {
                f.write_str(" (redelivered)")?;
            }
            if s.duplicate_kept {
                f.write_str(" (a duplicate stays in flight)")?;
            }
        }
        Ok(())
    }
}

/// A property that does not hold, with a shortest trace that breaks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The property's name (for a panic: the panic message).
    pub property: String,
    /// Its kind.
    pub kind: PropertyKind,
    /// The steps from the initial state to the state (or step) that breaks it. Breadth-first
    /// search finds a shortest one; a random walk's is the walk that found it.
    pub trace: Trace,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let steps = self.trace.len();
        let plural = if steps == 1 { "" } else { "s" };
        match self.kind {
            PropertyKind::NoPanic => writeln!(
                f,
                "a handler panicked ({}), after {steps} step{plural}:",
                self.property
            )?,
            kind => writeln!(
                f,
                "property \"{}\" ({}) is violated after {steps} step{plural}:",
                self.property,
                kind.describe()
            )?,
        }
        write!(f, "{}", self.trace)
    }
}

/// What [`Explorer::run`](super::Explorer::run) found.
#[derive(Debug, Clone)]
pub struct Report {
    /// The machine's type name.
    pub machine: &'static str,
    /// How the space was searched.
    pub mode: Mode,
    /// The network model.
    pub network: Network,
    /// How many clients.
    pub clients: usize,
    /// Distinct states visited (in tree mode: nodes; in random walks: steps taken plus one per walk).
    pub states: u64,
    /// Events run, including those that led to an already visited state.
    pub transitions: u64,
    /// How many steps from the initial state the deepest visited state is.
    pub depth: usize,
    /// Whether every reachable state was explored (no bound cut the search, it did not stop at a
    /// violation, and it was not a random walk).
    pub complete: bool,
    /// The bound that cut the search, if any.
    pub limit: Option<Limit>,
    /// Whether the search stopped at the first violation (so it is not complete).
    pub stopped_at_violation: bool,
    /// Bytes of the visited set (fingerprint mode): at most 16 per state.
    pub visited_bytes: usize,
    /// Wall time.
    pub elapsed: Duration,
    /// The properties that failed, each with a shortest trace, in the order found.
    pub violations: Vec<Violation>,
    /// How many properties were checked (not counting "no handler panics").
    pub properties: usize,
    /// Which cells were exercised.
    pub coverage: Coverage,
}

impl Report {
    /// Whether no property was violated.
    #[must_use]
    pub fn is_ok(&self) -> bool {
        self.violations.is_empty()
    }

    /// The first violation found (the shortest, in breadth-first mode).
    #[must_use]
    pub fn violation(&self) -> Option<&Violation> {
        self.violations.first()
    }

    /// The violation of the property named `property`.
    #[must_use]
    pub fn violation_of(&self, property: &str) -> Option<&Violation> {
        self.violations.iter().find(|v| v.property == property)
    }

    /// Visited-set bytes per distinct state (fingerprint mode; 0 otherwise).
    #[must_use]
    pub fn bytes_per_state(&self) -> f64 {
        if self.states == 0 || self.mode != Mode::Fingerprints {
            return 0.0;
        }
        #[allow(clippy::cast_precision_loss)]
        let ratio = self.visited_bytes as f64 / self.states as f64;
        ratio
    }

    /// Panics with the report, the shortest counterexample as a numbered trace, if a property
    /// was violated.
    ///
    /// # Panics
    /// If a property was violated: that is its purpose, in tests.
    #[track_caller]
    pub fn assert_ok(&self) {
        assert!(self.is_ok(), "\n{self}");
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural = if self.clients == 1 { "" } else { "s" };
        writeln!(
            f,
            "{}: {} client{plural}, {} network",
            self.machine,
            self.clients,
            self.network.name()
        )?;
        let how = match self.mode {
            Mode::Fingerprints => String::from("distinct states"),
            Mode::Tree => String::from("states (tree search: no Hash, so no deduplication)"),
            Mode::RandomWalks { seed, walks } => {
                alloc::format!("states on {walks} random walks (seed {seed})")
            }
        };
        write!(
            f,
            "  explored {} {how}, {} transitions, depth {}, in {:.1?}",
            self.states, self.transitions, self.depth, self.elapsed
        )?;
        if self.mode == Mode::Fingerprints {
            write!(
                f,
                " ({:.1} bytes per visited state)",
                self.bytes_per_state()
            )?;
        }
        writeln!(f)?;
        if self.complete {
            writeln!(f, "  complete: every reachable state was explored")?;
        } else if let Some(limit) = &self.limit {
            writeln!(f, "  incomplete: {limit}")?;
        } else if self.stopped_at_violation {
            writeln!(f, "  stopped at the first violation")?;
        } else {
            writeln!(f, "  incomplete: random walks sample the space")?;
        }
        if self.violations.is_empty() {
            let plural = if self.properties == 1 { "y" } else { "ies" };
            writeln!(f, "  no violation of {} propert{plural}", self.properties)?;
        }
        for violation in &self.violations {
            writeln!(f, "{violation}")?;
        }
        write!(f, "{}", self.coverage)
    }
}
