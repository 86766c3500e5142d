//! The actor against the synchronous driver as a reference: random sequences of tells and asks
//! from one sender, through both; every reply, rejection, the final state, the context and the
//! accounting must agree. (One sender keeps the order deterministic; the flood tests in
//! `tests/actor.rs` cover many.)
#![cfg(feature = "actor")]
#![allow(missing_docs)]

use lockstep::actor::{AskError, Spawn};
use lockstep::{Driver, Machine, Message, Reason};
use proptest::prelude::*;

#[derive(Message, Debug, Clone, PartialEq)]
pub struct Open;
#[derive(Message, Debug, Clone, PartialEq)]
pub struct Close;
#[derive(Message, Debug, Clone, PartialEq)]
pub struct Knock(pub u8);
#[derive(Message, Debug, Clone, PartialEq)]
#[message(reply = usize)]
pub struct Count;
#[derive(Message, Debug, Clone, PartialEq)]
pub struct Lock;

#[derive(Default, Clone, Debug, PartialEq)]
pub struct Log {
    pub knocks: Vec<u8>,
    pub closes: u32,
}

/// Every cell kind: moves, a stay with a reply, defer, discard, rejection, a terminal state.
#[derive(Machine, Debug, PartialEq)]
#[machine(context = Log)]
pub enum Door {
    #[initial]
    #[on(Open => Opened)]
    #[on(Count)]
    #[defer(Knock)]
    #[discard(Close)]
    #[on(Lock => Locked)]
    Closed,
    #[on(Close => Closed)]
    #[on(Knock)]
    #[on(Count)]
    Opened,
    #[terminal]
    Locked,
}

impl DoorHandlers for Log {
    fn closed_on_count(&mut self, _: Count) -> usize {
        self.knocks.len()
    }
    fn opened_on_close(&mut self, _: Close) {
        self.closes += 1;
    }
    fn opened_on_knock(&mut self, knock: Knock) {
        self.knocks.push(knock.0);
    }
    fn opened_on_count(&mut self, _: Count) -> usize {
        self.knocks.len() + 100
    }
}

#[derive(Debug, Clone)]
enum Op {
    Open,
    Close,
    Knock(u8),
    Count,
    Lock,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::Open),
        3 => Just(Op::Close),
        4 => any::<u8>().prop_map(Op::Knock),
        3 => Just(Op::Count),
        1 => Just(Op::Lock),
    ]
}

/// What the sender saw of one message.
#[derive(Debug, PartialEq)]
enum Seen {
    Sent,
    Reply(usize),
    Rejected(&'static str),
    /// The actor had ended (a terminal state) and handed the message back.
    Ended,
}

/// Through the driver: tells are posted (deferred ones queued), asks sent. After the machine
/// reached its terminal state the actor hands messages back at the door, so the reference does
/// too.
fn reference(ops: &[Op]) -> (Vec<Seen>, &'static str, Log, u64) {
    let mut log = Log::default();
    let mut door = Driver::new(Door::Closed);
    let mut dead = 0u64;
    let mut seen = Vec::new();
    for op in ops {
        if door.state_name() == "Locked" {
            seen.push(Seen::Ended);
            continue;
        }
        let told = |r: Result<lockstep::Posted, lockstep::Rejected<_>>, dead: &mut u64| {
            if r.is_err() {
                *dead += 1;
            }
            Seen::Sent
        };
        seen.push(match op {
            Op::Open => told(
                door.post(&mut log, Open).map_err(|r| r.map(|_| ())),
                &mut dead,
            ),
            Op::Close => told(
                door.post(&mut log, Close).map_err(|r| r.map(|_| ())),
                &mut dead,
            ),
            Op::Knock(n) => told(
                door.post(&mut log, Knock(*n)).map_err(|r| r.map(|_| ())),
                &mut dead,
            ),
            Op::Lock => told(
                door.post(&mut log, Lock).map_err(|r| r.map(|_| ())),
                &mut dead,
            ),
            Op::Count => match door.send(&mut log, Count) {
                Ok(n) => Seen::Reply(n),
                Err(r) => {
                    assert_eq!(r.reason, Reason::NotAccepted);
                    Seen::Rejected(r.state.innermost().name)
                }
            },
        });
        dead += door.take_dead_letters().len() as u64;
    }
    // The actor dead-letters what is still deferred when it ends.
    dead += door.deferred().len() as u64;
    (seen, door.state_name(), log, dead)
}

fn through_actor(ops: &[Op]) -> (Vec<Seen>, &'static str, Log, u64) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (door, join) = Door::Closed.spawn(Log::default());
        let mut seen = Vec::new();
        for op in ops {
            let told = |ok: bool| if ok { Seen::Sent } else { Seen::Ended };
            seen.push(match op {
                Op::Open => told(door.tell(Open).await.is_ok()),
                Op::Close => told(door.tell(Close).await.is_ok()),
                Op::Knock(n) => told(door.tell(Knock(*n)).await.is_ok()),
                Op::Lock => told(door.tell(Lock).await.is_ok()),
                Op::Count => match door.ask(Count).await {
                    Ok(n) => Seen::Reply(n),
                    Err(AskError::Rejected(r)) => Seen::Rejected(r.state.innermost().name),
                    Err(AskError::Stopped {
                        message: Some(Count),
                        ..
                    }) => Seen::Ended,
                    Err(other) => panic!("unexpected {other}"),
                },
            });
            // A tell returns before it runs: let the actor catch up, so that a tell after the
            // terminal state is refused at the door, as the reference has it.
            let _ = door.state().await;
        }
        drop(door);
        let done = join.await.unwrap();
        let m = done.metrics;
        (
            seen,
            done.machine.state_name(),
            done.context,
            m.dead_lettered,
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_actor_agrees_with_the_driver(ops in proptest::collection::vec(op(), 0..40)) {
        prop_assert_eq!(through_actor(&ops), reference(&ops));
    }
}
