//! Transition coverage: which state × message cells an exploration exercised.

use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use crate::machine::{CellKind, Machine, MessageId, StateId};

/// Which cells of the state × message matrix the exploration ran, and which declared cells it
/// never reached. Undeclared cells (rejections) appear only when some delivery hit them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    machine: &'static str,
    states: Vec<&'static str>,
    messages: Vec<&'static str>,
    /// `kinds[state * messages + message]`: the declared kind, `Reject` when undeclared.
    kinds: Vec<CellKind>,
    hits: Vec<bool>,
}

/// One cell of the matrix, as coverage reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CoveredCell {
    /// The state's name.
    pub state: &'static str,
    /// The message's name.
    pub message: &'static str,
    /// What the cell does (`Reject` for an undeclared cell).
    pub kind: CellKind,
}

impl fmt::Display for CoveredCell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            CellKind::Move => "move",
            CellKind::Stay => "stay",
            CellKind::Discard => "discard",
            CellKind::Defer => "defer",
            CellKind::Reject => "reject",
            CellKind::Forward => "to the substates",
        };
        write!(f, "{} × {} ({kind})", self.state, self.message)
    }
}

impl Coverage {
    pub(crate) fn new<Mc: Machine>() -> Self {
        let width = Mc::MESSAGES.len();
        let mut kinds = vec![CellKind::Reject; Mc::STATES.len() * width];
        // A superstate's forwarded messages are its cells too (the substate machine decides
        // them); the substate machine's own cells are not in this matrix.
        for (s, state) in Mc::STATES.iter().enumerate() {
            let Some(inner) = state.substates else {
                continue;
            };
            for (m, message) in Mc::MESSAGES.iter().enumerate() {
                if *message != "Timeout" && inner.messages.contains(message) {
                    kinds[s * width + m] = CellKind::Forward;
                }
            }
        }
        for cell in Mc::cells() {
            kinds[cell.state.index() * width + cell.message.index()] = cell.kind;
        }
        Self {
            machine: Mc::NAME,
            states: Mc::STATES.iter().map(|s| s.name).collect(),
            messages: Mc::MESSAGES.to_vec(),
            hits: vec![false; kinds.len()],
            kinds,
        }
    }

    #[inline]
    pub(crate) fn mark(&mut self, state: StateId, message: MessageId) {
        let slot = state.index() * self.messages.len() + message.index();
        if let Some(hit) = self.hits.get_mut(slot) {
            *hit = true;
        }
    }

    fn cell(&self, slot: usize) -> CoveredCell {
        CoveredCell {
            state: self.states[slot / self.messages.len()],
            message: self.messages[slot % self.messages.len()],
            kind: self.kinds[slot],
        }
    }

    /// Every cell some delivery ran, declared or not, in state-then-message order.
    pub fn exercised(&self) -> impl Iterator<Item = CoveredCell> + '_ {
        (0..self.hits.len())
            .filter(|&slot| self.hits[slot])
            .map(|slot| self.cell(slot))
    }

    /// The declared cells no delivery ran: parts of the spec this exploration never tested.
    pub fn missed(&self) -> impl Iterator<Item = CoveredCell> + '_ {
        (0..self.hits.len())
            .filter(|&slot| !self.hits[slot] && self.kinds[slot] != CellKind::Reject)
            .map(|slot| self.cell(slot))
    }

    /// Undeclared cells that some delivery hit: messages the machine rejected.
    pub fn rejections(&self) -> impl Iterator<Item = CoveredCell> + '_ {
        self.exercised().filter(|c| c.kind == CellKind::Reject)
    }

    /// How many declared cells there are.
    #[must_use]
    pub fn declared(&self) -> usize {
        self.kinds
            .iter()
            .filter(|k| **k != CellKind::Reject)
            .count()
    }

    /// How many declared cells were exercised.
    #[must_use]
    pub fn declared_exercised(&self) -> usize {
        self.exercised()
            .filter(|c| c.kind != CellKind::Reject)
            .count()
    }

    /// Whether `state × message` was exercised.
    #[must_use]
    pub fn hit(&self, state: &str, message: &str) -> bool {
        self.exercised()
            .any(|c| c.state == state && c.message == message)
    }
}

impl fmt::Display for Coverage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "coverage of {}: {} of {} declared cells exercised",
            self.machine,
            self.declared_exercised(),
            self.declared()
        )?;
        let missed: Vec<CoveredCell> = self.missed().collect();
        if !missed.is_empty() {
            write!(f, "\n  never exercised:")?;
            for cell in &missed {
                write!(f, "\n    {cell}")?;
            }
        }
        let rejected: Vec<CoveredCell> = self.rejections().collect();
        if !rejected.is_empty() {
            write!(f, "\n  rejected (undeclared cells hit):")?;
            for cell in &rejected {
                write!(f, "\n    {} × {}", cell.state, cell.message)?;
            }
        }
        Ok(())
    }
}
