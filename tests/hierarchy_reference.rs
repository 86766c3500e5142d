//! Random message and timeout sequences through the generated three-level machine
//! (`examples/session/mod.rs`, driven by `Driver`) and through a hand-written nested `match` of
//! the same machine: every reply, rejection (with its state path), state path, hook order, queue
//! and dead letter must agree.
#![allow(missing_docs)]

#[path = "../examples/session/mod.rs"]
mod session;

use std::collections::VecDeque;

use lockstep::{Driver, Posted};
use proptest::prelude::*;
use session::{Bye, Chunk, Connect, Disconnect, Hello, Log, Pause, Ping, Resume, Session};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Connect,
    Disconnect,
    Ping,
    Hello,
    Bye,
    Chunk(u32),
    Pause,
    Resume,
    /// The timeout of the state at this level of the path elapses.
    Elapse(usize),
}

/// What the caller sees, in a form both sides produce.
#[derive(Debug, Clone, PartialEq)]
enum Seen {
    Reply(&'static str),
    Posted(Posted),
    Refused(String),
    Elapsed(bool),
}

// ---- the hand-written reference -----------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Flow {
    Running(u32),
    Paused(u32),
}

#[derive(Debug, Clone, PartialEq)]
enum Phase {
    Handshaking,
    Streaming(Flow),
    Draining,
}

#[derive(Debug, Clone, PartialEq)]
enum State {
    Idle,
    Active(Phase),
}

#[derive(Default)]
struct Reference {
    state: Option<State>,
    log: Vec<String>,
    deferred: VecDeque<u32>,
    dead: usize,
}

impl Reference {
    fn state(&self) -> &State {
        self.state.as_ref().unwrap_or(&State::Idle)
    }

    fn path(&self) -> String {
        match self.state() {
            State::Idle => "Idle".into(),
            State::Active(Phase::Handshaking) => "Active/Handshaking".into(),
            State::Active(Phase::Draining) => "Active/Draining".into(),
            State::Active(Phase::Streaming(Flow::Running(_))) => "Active/Streaming/Running".into(),
            State::Active(Phase::Streaming(Flow::Paused(_))) => "Active/Streaming/Paused".into(),
        }
    }

    fn note(&mut self, events: &[&str]) {
        self.log.extend(events.iter().map(|e| (*e).to_owned()));
    }

    /// The exit hooks of everything inside Active, innermost first.
    fn leave_phase(&mut self, phase: &Phase) {
        match phase {
            Phase::Handshaking => self.note(&["exit Handshaking"]),
            Phase::Streaming(flow) => {
                self.leave_flow(flow);
                self.note(&["exit Streaming"]);
            }
            Phase::Draining => {}
        }
    }

    fn leave_flow(&mut self, flow: &Flow) {
        match flow {
            Flow::Running(_) => self.note(&["exit Running"]),
            Flow::Paused(_) => self.note(&["exit Paused"]),
        }
    }

    fn refused(&self) -> Seen {
        Seen::Refused(self.path())
    }

    /// One operation; `Some(next)` when the state changed (then deferred chunks are replayed).
    fn apply(&mut self, op: Op) -> Seen {
        let state = self.state().clone();
        let (seen, next) = match (op, state) {
            (Op::Connect, State::Idle) => {
                self.note(&["connect", "enter Active", "enter Handshaking"]);
                (
                    Seen::Posted(Posted::Handled),
                    Some(State::Active(Phase::Handshaking)),
                )
            }
            (Op::Disconnect, State::Active(phase)) => {
                self.leave_phase(&phase);
                self.note(&["exit Active", "disconnect"]);
                (Seen::Posted(Posted::Handled), Some(State::Idle))
            }
            (Op::Ping, State::Active(Phase::Streaming(_))) => (Seen::Reply("phase"), None),
            (Op::Ping, State::Active(_)) => (Seen::Reply("session"), None),
            (Op::Hello, State::Active(Phase::Handshaking)) => {
                self.note(&[
                    "exit Handshaking",
                    "hello",
                    "enter Streaming",
                    "enter Running",
                ]);
                (
                    Seen::Posted(Posted::Handled),
                    Some(State::Active(Phase::Streaming(Flow::Running(0)))),
                )
            }
            (Op::Bye, State::Active(Phase::Streaming(flow))) => {
                self.leave_flow(&flow);
                self.note(&["exit Streaming", "bye", "enter Draining"]);
                (
                    Seen::Posted(Posted::Handled),
                    Some(State::Active(Phase::Draining)),
                )
            }
            (Op::Chunk(n), state) => return self.chunk(n, &state),
            (Op::Pause, State::Active(Phase::Streaming(Flow::Running(n)))) => {
                self.note(&["exit Running", "enter Paused"]);
                (
                    Seen::Posted(Posted::Handled),
                    Some(State::Active(Phase::Streaming(Flow::Paused(n)))),
                )
            }
            (Op::Resume, State::Active(Phase::Streaming(Flow::Paused(n)))) => {
                self.note(&["exit Paused", "enter Running"]);
                (
                    Seen::Posted(Posted::Handled),
                    Some(State::Active(Phase::Streaming(Flow::Running(n)))),
                )
            }
            (Op::Elapse(0), State::Active(phase)) => {
                self.leave_phase(&phase);
                self.note(&["exit Active", "session timeout"]);
                (Seen::Elapsed(true), Some(State::Idle))
            }
            (Op::Elapse(1), State::Active(Phase::Handshaking)) => {
                self.note(&["exit Handshaking", "handshake timeout", "enter Draining"]);
                (Seen::Elapsed(true), Some(State::Active(Phase::Draining)))
            }
            (Op::Elapse(2), State::Active(Phase::Streaming(Flow::Paused(n)))) => {
                self.note(&["exit Paused", "pause timeout", "enter Running"]);
                (
                    Seen::Elapsed(true),
                    Some(State::Active(Phase::Streaming(Flow::Running(n)))),
                )
            }
            (Op::Elapse(_), _) => (Seen::Elapsed(false), None),
            _ => (self.refused(), None),
        };
        if let Some(next) = next {
            self.state = Some(next);
            self.replay();
        }
        seen
    }

    /// A chunk: counted while running, kept while handshaking or paused, dropped while draining.
    fn chunk(&mut self, n: u32, state: &State) -> Seen {
        match *state {
            State::Active(Phase::Streaming(Flow::Running(total))) => {
                self.log.push(format!("chunk {n}"));
                self.state = Some(State::Active(Phase::Streaming(Flow::Running(total + n))));
                Seen::Posted(Posted::Handled)
            }
            State::Active(Phase::Handshaking | Phase::Streaming(Flow::Paused(_))) => {
                self.deferred.push_back(n);
                Seen::Posted(Posted::Deferred)
            }
            State::Active(Phase::Draining) => Seen::Posted(Posted::Handled),
            State::Idle => self.refused(),
        }
    }

    /// After a state change every deferred chunk is retried, oldest first (a chunk changes no
    /// state, so one pass).
    fn replay(&mut self) {
        let waiting: Vec<u32> = self.deferred.drain(..).collect();
        for n in waiting {
            let state = self.state().clone();
            // Deferred again, it is back in the queue, in order.
            if let Seen::Refused(_) = self.chunk(n, &state) {
                self.dead += 1;
            }
        }
    }
}

// ---- the generated machine ----------------------------------------------------------------------

fn drive(driver: &mut Driver<Session>, log: &mut Log, op: Op) -> Seen {
    fn post<M: lockstep::Tell>(r: Result<Posted, lockstep::Rejected<M>>) -> Seen {
        r.map_or_else(|r| Seen::Refused(r.state.to_string()), Seen::Posted)
    }
    match op {
        Op::Connect => post(driver.post(log, Connect)),
        Op::Disconnect => post(driver.post(log, Disconnect)),
        Op::Ping => driver
            .send(log, Ping)
            .map_or_else(|r| Seen::Refused(r.state.to_string()), Seen::Reply),
        Op::Hello => post(driver.post(log, Hello)),
        Op::Bye => post(driver.post(log, Bye)),
        Op::Chunk(n) => post(driver.post(log, Chunk(n))),
        Op::Pause => post(driver.post(log, Pause)),
        Op::Resume => post(driver.post(log, Resume)),
        Op::Elapse(level) => Seen::Elapsed(driver.elapse_at(log, level)),
    }
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::Connect),
        1 => Just(Op::Disconnect),
        2 => Just(Op::Ping),
        3 => Just(Op::Hello),
        2 => Just(Op::Bye),
        4 => (1u32..10).prop_map(Op::Chunk),
        3 => Just(Op::Pause),
        3 => Just(Op::Resume),
        2 => (0usize..4).prop_map(Op::Elapse),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_generated_machine_agrees_with_a_nested_match(ops in proptest::collection::vec(op(), 0..40)) {
        let mut reference = Reference::default();
        let mut log = Log::default();
        let mut driver = Driver::new(Session::Idle);
        for (i, &op) in ops.iter().enumerate() {
            let expected = reference.apply(op);
            let seen = drive(&mut driver, &mut log, op);
            prop_assert_eq!(&seen, &expected, "step {} ({:?})", i, op);
            prop_assert_eq!(driver.state_path().to_string(), reference.path(), "step {}", i);
            prop_assert_eq!(&log.events, &reference.log, "step {}", i);
            let deferred: Vec<u32> = driver
                .deferred()
                .map(|input| match input {
                    session::SessionInput::Chunk(Chunk(n)) => *n,
                    _ => panic!("only chunks are deferred"),
                })
                .collect();
            prop_assert_eq!(deferred, reference.deferred.iter().copied().collect::<Vec<_>>());
        }
        prop_assert_eq!(driver.take_dead_letters().len(), reference.dead);
        // The byte count inside the innermost machine agrees too.
        if let (Some(Session::Active(session::Phase::Streaming(session::Flow::Running(n)))),
                State::Active(Phase::Streaming(Flow::Running(m)))) = (driver.machine(), reference.state()) {
            prop_assert_eq!(n, m);
        }
    }
}
