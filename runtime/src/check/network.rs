//! What the network between the clients and the machine may do with messages in flight.

/// How messages travel from the clients to the machine. Sending is instantaneous; each
/// *delivery* is one step of the exploration, and the network says which deliveries are possible.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Network {
    /// FIFO per sender, exactly once (the default): a client's messages arrive in the order it sent
    /// them; messages of different clients interleave in every possible way. What one actor's
    /// mailbox gives.
    #[default]
    Ordered,
    /// Exactly once, in any order: any message in flight may arrive next, even overtaking an
    /// earlier one from the same client.
    Unordered,
    /// At least once, in any order: like [`Unordered`](Network::Unordered), and a delivered
    /// message may also stay in flight and arrive again later (a retry, a redelivered queue
    /// message), up to [`Explorer::redeliveries`](super::Explorer::redeliveries) extra times
    /// (default 1). A duplicate's reply goes nowhere: the sender took the first one.
    Duplicating,
}

impl Network {
    /// `ordered`, `unordered` or `duplicating`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Ordered => "ordered",
            Self::Unordered => "unordered",
            Self::Duplicating => "duplicating",
        }
    }
}

/// When the machine retries its deferred messages (`#[defer(M)]`) after a state change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Replay {
    /// As the [`Driver`](crate::Driver) does (and `gen_statem`'s postpone): right after the state
    /// change, before any other delivery, oldest first. Each retry is its own step in a trace.
    #[default]
    Immediate,
    /// Each retry is an event that interleaves with deliveries: models a runtime that puts deferred
    /// messages back at the end of the mailbox.
    Interleaved,
}
