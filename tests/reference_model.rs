//! Random message sequences through the generated machine (driven by `Driver`) and through a
//! hand-written model of the same machine; every outcome, state, context and queue must agree.

mod common;

use std::collections::VecDeque;

use common::*;
use lockstep::{Driver, Posted, Reason};
use proptest::prelude::*;

#[derive(Debug, Clone, PartialEq)]
enum Msg {
    Open,
    Close,
    Knock,
    Count,
    Deliver(u32),
    Slam(bool),
    Ring,
}

/// How a message is sent: `send` (answer now) or `post` (tells only: defer into the queue).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Via {
    Send,
    Post,
}

/// What the caller sees, in a form both sides can produce.
#[derive(Debug, Clone, PartialEq)]
enum Seen {
    Reply(String),
    Posted(Posted),
    Refused(Reason, &'static str, Msg),
}

// ---- the hand-written model --------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum State {
    Closed,
    Opened(Vec<u32>),
    Jammed,
}

impl State {
    fn name(&self) -> &'static str {
        match self {
            State::Closed => "Closed",
            State::Opened(_) => "Opened",
            State::Jammed => "Jammed",
        }
    }
}

enum Step {
    Reply(String, bool),
    Discarded,
    Deferred,
    Rejected,
}

struct Model {
    state: State,
    house: House,
    deferred: VecDeque<Msg>,
    dead: Vec<Msg>,
}

impl Model {
    /// The matrix, written by hand.
    fn step(&mut self, msg: &Msg) -> Step {
        let state = std::mem::replace(&mut self.state, State::Closed);
        let (next, step) = match (state, msg) {
            (State::Closed | State::Jammed, Msg::Open) => {
                (State::Opened(vec![]), Step::Reply("()".into(), true))
            }
            (State::Closed, Msg::Knock) => {
                self.house.knocks += 1;
                (State::Closed, Step::Reply("()".into(), false))
            }
            (State::Closed, Msg::Close) => (State::Closed, Step::Discarded),
            (s @ (State::Closed | State::Jammed), Msg::Deliver(_)) => (s, Step::Deferred),
            (State::Jammed, Msg::Ring) => (State::Jammed, Step::Deferred),
            (State::Opened(p), Msg::Close) => {
                self.house.stored.extend(p);
                (State::Closed, Step::Reply("()".into(), true))
            }
            (State::Opened(mut p), Msg::Deliver(n)) => {
                p.push(*n);
                (State::Opened(p), Step::Reply("()".into(), false))
            }
            (State::Opened(p), Msg::Count) => {
                let n = p.len();
                (State::Opened(p), Step::Reply(n.to_string(), false))
            }
            (State::Opened(p), Msg::Slam(hard)) => {
                self.house.stored.extend(p);
                let next = if *hard { State::Jammed } else { State::Closed };
                (next, Step::Reply(hard.to_string(), true))
            }
            (s, _) => (s, Step::Rejected),
        };
        self.state = next;
        step
    }

    fn replay(&mut self) {
        let mut next = 0;
        while next < self.deferred.len() {
            let msg = self.deferred.remove(next).unwrap();
            match self.step(&msg) {
                Step::Deferred => {
                    self.deferred.insert(next, msg);
                    next += 1;
                }
                Step::Rejected => self.dead.push(msg),
                Step::Reply(_, true) => next = 0,
                Step::Reply(_, false) | Step::Discarded => {}
            }
        }
    }

    fn deliver(&mut self, msg: Msg, via: Via) -> Seen {
        let state = self.state.name();
        match (self.step(&msg), via) {
            (Step::Reply(reply, changed), Via::Send) => {
                if changed {
                    self.replay();
                }
                Seen::Reply(reply)
            }
            (Step::Reply(_, changed), Via::Post) => {
                if changed {
                    self.replay();
                }
                Seen::Posted(Posted::Handled)
            }
            (Step::Discarded, Via::Send) => Seen::Reply("()".into()),
            (Step::Discarded, Via::Post) => Seen::Posted(Posted::Handled),
            (Step::Deferred, Via::Send) => Seen::Refused(Reason::Deferred, state, msg),
            (Step::Deferred, Via::Post) => {
                self.deferred.push_back(msg);
                Seen::Posted(Posted::Deferred)
            }
            (Step::Rejected, _) => Seen::Refused(Reason::NotAccepted, state, msg),
        }
    }
}

// ---- the generated machine ------------------------------------------------------------------

fn refused<M>(r: lockstep::Rejected<M>, wrap: impl FnOnce(M) -> Msg) -> Seen {
    let (reason, state) = (r.reason, r.state.innermost().name);
    Seen::Refused(reason, state, wrap(r.message))
}

#[allow(clippy::needless_pass_by_value)] // mirrors `Model::deliver`, which consumes it
fn drive(door: &mut Driver<Door>, house: &mut House, msg: Msg, via: Via) -> Seen {
    macro_rules! tell {
        ($m:expr, $wrap:expr) => {
            match via {
                Via::Send => door
                    .send(house, $m)
                    .map_or_else(|r| refused(r, $wrap), |()| Seen::Reply("()".into())),
                Via::Post => door
                    .post(house, $m)
                    .map_or_else(|r| refused(r, $wrap), Seen::Posted),
            }
        };
    }
    match msg {
        Msg::Open => tell!(Open, |_| Msg::Open),
        Msg::Close => tell!(Close, |_| Msg::Close),
        Msg::Knock => tell!(Knock, |_| Msg::Knock),
        Msg::Ring => tell!(Ring, |_| Msg::Ring),
        Msg::Deliver(n) => tell!(Deliver(n), |d: Deliver| Msg::Deliver(d.0)),
        Msg::Count => door.send(house, Count).map_or_else(
            |r| refused(r, |_| Msg::Count),
            |n| Seen::Reply(n.to_string()),
        ),
        Msg::Slam(hard) => door.send(house, Slam { hard }).map_or_else(
            |r| refused(r, |s: Slam| Msg::Slam(s.hard)),
            |b| Seen::Reply(b.to_string()),
        ),
    }
}

fn as_model_state(door: &Door) -> State {
    match door {
        Door::Closed => State::Closed,
        Door::Opened(p) => State::Opened(p.clone()),
        Door::Jammed => State::Jammed,
    }
}

fn as_msg(input: &DoorInput) -> Msg {
    match input {
        DoorInput::Deliver(d) => Msg::Deliver(d.0),
        DoorInput::Ring(_) => Msg::Ring,
        other => panic!("only Deliver and Ring are ever deferred, got {other:?}"),
    }
}

fn message() -> impl Strategy<Value = (Msg, Via)> {
    let msg = prop_oneof![
        Just(Msg::Open),
        Just(Msg::Close),
        Just(Msg::Knock),
        Just(Msg::Count),
        (0u32..100).prop_map(Msg::Deliver),
        any::<bool>().prop_map(Msg::Slam),
        Just(Msg::Ring),
    ];
    (msg, prop_oneof![Just(Via::Send), Just(Via::Post)]).prop_map(|(msg, via)| {
        // Only tells can be posted.
        let via = if matches!(msg, Msg::Count | Msg::Slam(_)) {
            Via::Send
        } else {
            via
        };
        (msg, via)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn generated_machine_matches_the_hand_written_model(
        start in prop_oneof![
            Just(State::Closed),
            Just(State::Jammed),
            proptest::collection::vec(0u32..10, 0..3).prop_map(State::Opened),
        ],
        messages in proptest::collection::vec(message(), 0..60),
    ) {
        let initial = match &start {
            State::Closed => Door::Closed,
            State::Opened(p) => Door::Opened(p.clone()),
            State::Jammed => Door::Jammed,
        };
        let mut door = Driver::new(initial);
        let mut house = House::default();
        let mut model = Model { state: start, house: House::default(), deferred: VecDeque::new(), dead: vec![] };

        for (i, (msg, via)) in messages.into_iter().enumerate() {
            let expected = model.deliver(msg.clone(), via);
            let seen = drive(&mut door, &mut house, msg.clone(), via);
            prop_assert_eq!(&seen, &expected, "step {}: {:?} via {:?}", i, msg, via);
            prop_assert_eq!(as_model_state(door.machine().unwrap()), model.state.clone());
            prop_assert_eq!(&house, &model.house);
            let queued: Vec<Msg> = door.deferred().map(as_msg).collect();
            prop_assert_eq!(queued, model.deferred.iter().cloned().collect::<Vec<_>>());
            let dead: Vec<Msg> = door.take_dead_letters().iter().map(as_msg).collect();
            prop_assert_eq!(dead, std::mem::take(&mut model.dead));
        }
    }
}
