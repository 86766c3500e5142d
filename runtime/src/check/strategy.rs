//! A proptest strategy of message sequences the spec accepts (feature `proptest`).
//!
//! [`accepted_sequences`] draws candidate messages and keeps, in order, those the machine does not
//! reject in the state the earlier ones led to, running the real handlers on a copy of the machine
//! and context to know that state. Proptest shrinks the candidates (dropping and simplifying them)
//! and the filter runs again on each shrunk candidate list, so a failing sequence shrinks to a
//! minimal one that the spec still accepts.
//!
//! ```
//! use lockstep::check::strategy::{accepted_sequences, run_sequence};
//! use lockstep::{Machine, Message};
//! use proptest::prelude::*;
//!
//! #[derive(Message, Clone, Debug)] pub struct Coin;
//! #[derive(Message, Clone, Debug)] pub struct Push;
//!
//! #[derive(Machine, Clone, Debug)]
//! #[machine(derive(Clone, Debug))] // `Clone` and `Debug` for `TurnstileInput` too: proptest needs them
//! pub enum Turnstile {
//!     #[initial] #[on(Coin => Unlocked)] Locked,
//!     #[on(Push => Locked)] Unlocked,
//! }
//! impl TurnstileHandlers for () {}
//!
//! let messages = prop_oneof![
//!     Just(TurnstileInput::Coin(Coin)),
//!     Just(TurnstileInput::Push(Push)),
//! ];
//! proptest!(|(sequence in accepted_sequences(Turnstile::Locked, (), messages, 0..20))| {
//!     // Every message is accepted: coins and pushes alternate, starting with a coin.
//!     let (_, _, outcomes) = run_sequence(Turnstile::Locked, (), sequence);
//!     prop_assert!(outcomes.iter().all(|kind| kind.handled()));
//! });
//! ```

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::fmt::Debug;

use proptest::collection::{SizeRange, vec};
use proptest::strategy::Strategy;

use super::script::Kind;
use crate::machine::{Bare, DispatchBare, Machine, Replayed};

/// Dispatches one input as the [`Driver`](crate::Driver) would (`post`, for a message of any
/// type): a deferred message is kept in `deferred` and replayed, oldest first, after the next state
/// change. Returns the machine and what happened to this message.
fn step<Mc: Machine>(
    machine: Mc,
    context: &mut Mc::Context,
    deferred: &mut VecDeque<Mc::Input<Bare>>,
    input: Mc::Input<Bare>,
) -> (Mc, Kind) {
    let (mut machine, replayed) = Mc::route(input, DispatchBare { machine, context });
    let kind = match replayed {
        Replayed::Deferred(input) => {
            deferred.push_back(input);
            return (machine, Kind::Deferred);
        }
        Replayed::Rejected(_) => return (machine, Kind::Rejected),
        Replayed::Done { changed: true } => Kind::Moved,
        Replayed::Done { changed: false } => Kind::Stayed,
    };
    if kind == Kind::Moved {
        // The driver's replay: retry oldest first; any state change restarts from the oldest.
        let mut next = 0;
        while next < deferred.len() {
            let Some(input) = deferred.remove(next) else {
                break;
            };
            let (after, replayed) = Mc::route(input, DispatchBare { machine, context });
            machine = after;
            match replayed {
                Replayed::Deferred(input) => {
                    deferred.insert(next, input);
                    next += 1;
                }
                Replayed::Done { changed: true } => next = 0,
                Replayed::Rejected(_) | Replayed::Done { changed: false } => {}
            }
        }
    }
    (machine, kind)
}

/// Runs `sequence` from `machine` with `context` through the machine's real dispatch, as the
/// driver would, and returns the machine, the context and what happened to each message (`Moved` for any handled message that changed state, `Stayed`
/// otherwise, `Deferred` or `Rejected`).
pub fn run_sequence<Mc: Machine>(
    machine: Mc,
    mut context: Mc::Context,
    sequence: impl IntoIterator<Item = Mc::Input<Bare>>,
) -> (Mc, Mc::Context, Vec<Kind>) {
    let mut deferred = VecDeque::new();
    let mut outcomes = Vec::new();
    let mut machine = machine;
    for input in sequence {
        let (after, kind) = step(machine, &mut context, &mut deferred, input);
        machine = after;
        outcomes.push(kind);
    }
    (machine, context, outcomes)
}

/// A strategy of message sequences the spec accepts from `machine` with `context`: candidates
/// drawn from `messages` (a strategy of the machine's [`Input`](Machine::Input)s, e.g.
/// `prop_oneof![Just(CounterInput::Get(Get)), (0..9u32).prop_map(|n| CounterInput::Set(Set(n)))]`),
/// `length` of them, keeping in order those that the state reached so far does not reject
/// (deferred ones are kept and replayed, as the driver does). Failures shrink to minimal accepted
/// sequences.
pub fn accepted_sequences<Mc, S>(
    machine: Mc,
    context: Mc::Context,
    messages: S,
    length: impl Into<SizeRange>,
) -> impl Strategy<Value = Vec<Mc::Input<Bare>>>
where
    Mc: Machine + Clone + 'static,
    Mc::Context: Clone + 'static,
    Mc::Input<Bare>: Clone + Debug + 'static,
    S: Strategy<Value = Mc::Input<Bare>>,
{
    vec(messages, length).prop_map(move |candidates| {
        let mut machine = machine.clone();
        let mut context = context.clone();
        let mut deferred = VecDeque::new();
        let mut accepted = Vec::with_capacity(candidates.len());
        for input in candidates {
            let (after, kind) = step(machine, &mut context, &mut deferred, input.clone());
            machine = after;
            if kind != Kind::Rejected {
                accepted.push(input);
            }
        }
        accepted
    })
}
