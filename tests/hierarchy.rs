//! Hierarchical states (`#[substates(..)]`) with the three-level machine of
//! `examples/session/mod.rs`: Session → Active(Phase) → Streaming(Flow). Hook order, substate
//! wins, fallback to the superstate, the path in rejections, deferral and timeouts across levels
//! with the synchronous driver and the actor, typestate, docs, and the race checker.
#![allow(missing_docs)]

#[path = "../examples/session/mod.rs"]
mod session;

use lockstep::{Accepts, Driver, Machine, Outcome, Posted, Reason, StateId};
use session::{
    Bye, Chunk, Connect, Disconnect, Flow, Hello, Log, Pause, Phase, Ping, Resume, Session,
};

const ACTIVE: StateId = StateId(1);

/// A driver in `Active/Handshaking`, the log cleared.
fn connected() -> (Driver<Session>, Log) {
    let mut log = Log::default();
    let mut driver = Driver::new(Session::Idle);
    driver.send(&mut log, Connect).unwrap();
    log.events.clear();
    (driver, log)
}

/// A driver in `Active/Streaming/Running`, the log cleared.
fn streaming() -> (Driver<Session>, Log) {
    let (mut driver, mut log) = connected();
    driver.send(&mut log, Hello).unwrap();
    log.events.clear();
    (driver, log)
}

// ---- entering and leaving -----------------------------------------------------------------------

#[test]
fn entering_runs_enter_hooks_outermost_first() {
    let mut log = Log::default();
    let mut driver = Driver::new(Session::Idle);
    driver.send(&mut log, Connect).unwrap();
    assert_eq!(log.events, ["connect", "enter Active", "enter Handshaking"]);
    assert_eq!(driver.state_path(), "Active/Handshaking");
    driver.send(&mut log, Hello).unwrap();
    assert_eq!(
        log.events[3..],
        [
            "exit Handshaking",
            "hello",
            "enter Streaming",
            "enter Running"
        ]
    );
    assert_eq!(driver.state_path(), "Active/Streaming/Running");
}

#[test]
fn a_move_between_substates_does_not_leave_the_superstate() {
    let (mut driver, mut log) = streaming();
    driver.send(&mut log, Pause).unwrap();
    assert_eq!(log.events, ["exit Running", "enter Paused"]);
    driver.send(&mut log, Bye).unwrap();
    // Leaving Streaming leaves its substate first; Active is not left.
    assert_eq!(
        log.events[2..],
        ["exit Paused", "exit Streaming", "bye", "enter Draining"]
    );
    assert_eq!(driver.state_path(), "Active/Draining");
}

#[test]
fn leaving_the_superstate_runs_exit_hooks_innermost_first() {
    let (mut driver, mut log) = streaming();
    driver.send(&mut log, Disconnect).unwrap();
    assert_eq!(
        log.events,
        [
            "exit Running",
            "exit Streaming",
            "exit Active",
            "disconnect"
        ]
    );
    assert_eq!(driver.state_path(), "Idle");
}

#[test]
fn start_enters_every_level_of_the_first_state() {
    let mut log = Log::default();
    let mut driver = Driver::new(Session::Active(Phase::Streaming(Flow::Paused(4))));
    driver.start(&mut log);
    assert_eq!(
        log.events,
        ["enter Active", "enter Streaming", "enter Paused"]
    );
    let mut machine = Session::Active(Phase::Streaming(Flow::Paused(4)));
    log.events.clear();
    machine.leave(&mut log);
    assert_eq!(log.events, ["exit Paused", "exit Streaming", "exit Active"]);
}

// ---- who decides --------------------------------------------------------------------------------

#[test]
fn the_substate_wins_and_the_superstate_decides_what_it_rejects() {
    let (mut driver, mut log) = connected();
    // Handshaking has no cell for Ping: the session answers.
    assert_eq!(driver.send(&mut log, Ping).unwrap(), "session");
    driver.send(&mut log, Hello).unwrap();
    // Streaming answers Ping itself, though Active has a cell for it too.
    assert_eq!(driver.send(&mut log, Ping).unwrap(), "phase");
    driver.send(&mut log, Bye).unwrap();
    // Draining has no cell for Ping: back to the session.
    assert_eq!(driver.send(&mut log, Ping).unwrap(), "session");
}

#[test]
fn outcomes_say_at_which_level_the_machine_moved() {
    let mut log = Log::default();
    let machine = Session::Idle;
    let (machine, outcome) = machine.dispatch(&mut log, Connect);
    assert!(matches!(
        outcome,
        Outcome::Moved {
            from: StateId(0),
            to: ACTIVE,
            level: 0,
            ..
        }
    ));
    let (machine, outcome) = machine.dispatch(&mut log, Hello);
    assert!(matches!(
        outcome,
        Outcome::Moved {
            from: ACTIVE,
            to: ACTIVE,
            level: 1,
            ..
        }
    ));
    assert_eq!(outcome.changed_level(), Some(1));
    let (machine, outcome) = machine.dispatch(&mut log, Pause);
    assert_eq!(outcome.changed_level(), Some(2));
    let (machine, outcome) = machine.dispatch(&mut log, Ping);
    assert!(matches!(
        outcome,
        Outcome::Stayed {
            state: ACTIVE,
            reply: "phase"
        }
    ));
    let (_, outcome) = machine.dispatch(&mut log, Disconnect);
    assert_eq!(outcome.changed_level(), Some(0));
}

#[test]
fn a_rejection_names_the_full_path_and_what_every_level_accepts() {
    let (mut driver, mut log) = streaming();
    driver.send(&mut log, Pause).unwrap();
    let rejected = driver.send(&mut log, Hello).unwrap_err();
    assert_eq!(rejected.reason, Reason::NotAccepted);
    assert_eq!(rejected.state, "Active/Streaming/Paused");
    assert_eq!(rejected.state.to_string(), "Active/Streaming/Paused");
    assert_eq!(rejected.state.depth(), 3);
    assert_eq!(rejected.state.innermost().name, "Paused");
    // Innermost first; `Ping`, which Streaming and Active both take, once (Streaming decides it).
    assert_eq!(
        rejected.accepted().collect::<Vec<_>>(),
        ["Resume", "Bye", "Ping", "Disconnect"]
    );
    assert_eq!(
        rejected.to_string(),
        "Session in state `Active/Streaming/Paused` does not accept `Hello`; \
         `Active/Streaming/Paused` accepts `Resume`, `Bye`, `Ping`, `Disconnect`"
    );
    // The message comes back intact.
    assert_eq!(rejected.into_message(), Hello);
    // The path compares by its joined text, not by a prefix of it.
    assert_ne!(driver.state_path(), "Active/Streaming");
    assert_ne!(driver.state_path(), "Active/Streaming/Paused/");
}

#[test]
fn a_discarding_substate_and_a_terminal_flat_state() {
    let (mut driver, mut log) = streaming();
    driver.send(&mut log, Bye).unwrap();
    // Draining discards Chunk: the substate decides, the message is dropped.
    assert!(matches!(
        driver.post(&mut log, Chunk(1)),
        Ok(Posted::Handled)
    ));
    assert!(!log.events.iter().any(|e| e.starts_with("chunk")));
    // Idle has no substates: a forwarded message is rejected there like any other.
    driver.send(&mut log, Disconnect).unwrap();
    let rejected = driver.send(&mut log, Hello).unwrap_err();
    assert_eq!(rejected.state, "Idle");
    assert_eq!(rejected.accepted().collect::<Vec<_>>(), ["Connect"]);
}

// ---- deferral -----------------------------------------------------------------------------------

#[test]
fn a_message_deferred_by_a_substate_is_replayed_after_a_move_inside() {
    let (mut driver, mut log) = connected();
    assert!(matches!(
        driver.post(&mut log, Chunk(3)),
        Ok(Posted::Deferred)
    ));
    assert!(matches!(
        driver.post(&mut log, Chunk(4)),
        Ok(Posted::Deferred)
    ));
    assert_eq!(driver.deferred().len(), 2);
    // Hello moves Handshaking → Streaming (level 1): a state change, so the replay runs, oldest
    // first, into Streaming/Running.
    driver.send(&mut log, Hello).unwrap();
    assert_eq!(driver.deferred().len(), 0);
    assert_eq!(
        log.events,
        [
            "exit Handshaking",
            "hello",
            "enter Streaming",
            "enter Running",
            "chunk 3",
            "chunk 4"
        ]
    );
    // Paused (level 2) defers too, and a move at level 2 replays.
    driver.send(&mut log, Pause).unwrap();
    assert!(matches!(
        driver.post(&mut log, Chunk(5)),
        Ok(Posted::Deferred)
    ));
    driver.send(&mut log, Resume).unwrap();
    assert_eq!(log.events.last().map(String::as_str), Some("chunk 5"));
    let Some(Session::Active(Phase::Streaming(Flow::Running(total)))) = driver.machine() else {
        panic!(
            "expected Active/Streaming/Running, got {}",
            driver.state_path()
        );
    };
    assert_eq!(*total, 12);
}

#[test]
fn a_deferred_message_goes_to_the_dead_letters_when_the_outer_state_rejects_it() {
    let (mut driver, mut log) = connected();
    assert!(matches!(
        driver.post(&mut log, Chunk(3)),
        Ok(Posted::Deferred)
    ));
    // The session leaves Active: Idle has no cell for Chunk.
    driver.send(&mut log, Disconnect).unwrap();
    assert_eq!(driver.deferred().len(), 0);
    assert_eq!(driver.take_dead_letters().len(), 1);
}

// ---- timeouts -----------------------------------------------------------------------------------

#[test]
fn each_level_has_its_own_timeout() {
    let (mut driver, mut log) = streaming();
    let machine = driver.machine().unwrap();
    assert_eq!(
        machine.timeout_at(0),
        Some(std::time::Duration::from_secs(30))
    );
    assert_eq!(machine.timeout_at(1), None); // Streaming declares none
    assert_eq!(machine.timeout_at(2), None); // Running neither
    driver.send(&mut log, Pause).unwrap();
    let machine = driver.machine().unwrap();
    assert_eq!(
        machine.timeout_at(2),
        Some(std::time::Duration::from_secs(1))
    );
    assert_eq!(machine.timeout_at(3), None);
    // The level-2 timeout reaches Paused, not Active (which has a timeout cell too).
    log.events.clear();
    assert!(driver.elapse_at(&mut log, 2));
    assert_eq!(
        log.events,
        ["exit Paused", "pause timeout", "enter Running"]
    );
    assert_eq!(driver.state_path(), "Active/Streaming/Running");
    // No timeout at level 1 or 2 now: nothing happens.
    assert!(!driver.elapse_at(&mut log, 1));
    assert!(!driver.elapse_at(&mut log, 2));
    // `elapse` fires the outermost level's: the session's.
    assert!(driver.elapse(&mut log));
    assert_eq!(driver.state_path(), "Idle");
    assert_eq!(
        log.events[3..],
        [
            "exit Running",
            "exit Streaming",
            "exit Active",
            "session timeout"
        ]
    );
}

#[test]
fn a_substate_timeout_in_the_first_phase() {
    let (mut driver, mut log) = connected();
    assert!(driver.elapse_at(&mut log, 1));
    assert_eq!(driver.state_path(), "Active/Draining");
    assert_eq!(
        log.events,
        ["exit Handshaking", "handshake timeout", "enter Draining"]
    );
}

mod actor {
    use std::time::Duration;

    use lockstep::Machine;
    use lockstep::actor::Spawn;

    use super::session::{Chunk, Connect, Hello, Log, Pause, Session};

    /// The session's 30 s keep running while the phase and the flow change; the flow's 1 s and
    /// the handshake's 5 s are armed and cancelled at their own levels.
    #[tokio::test(start_paused = true)]
    async fn a_superstate_timeout_keeps_running_while_its_substates_change() {
        let (session, join) = Session::Idle.spawn(Log::default());
        session.tell(Connect).await.unwrap(); // t = 0: Active (30 s), Handshaking (5 s)
        tokio::time::sleep(Duration::from_secs(2)).await;
        session.tell(Hello).await.unwrap(); // t = 2: Handshaking's 5 s is cancelled
        tokio::time::sleep(Duration::from_secs(8)).await;
        session.tell(Pause).await.unwrap(); // t = 10: Paused (1 s)
        session.tell(Chunk(7)).await.unwrap(); // deferred by Paused
        tokio::time::sleep(Duration::from_secs(5)).await; // t = 15: Paused timed out at 11
        assert_eq!(session.state().await, Some(super::ACTIVE));
        tokio::time::sleep(Duration::from_secs(14)).await; // t = 29
        assert_eq!(session.state().await, Some(super::ACTIVE));
        tokio::time::sleep(Duration::from_secs(2)).await; // t = 31: the session's 30 s are up
        assert_eq!(session.state().await, Some(lockstep::StateId(0)));
        drop(session);
        let done = join.await.unwrap();
        assert_eq!(done.machine.state_path(), "Idle");
        assert_eq!(
            done.context.events,
            [
                "connect",
                "enter Active",
                "enter Handshaking",
                "exit Handshaking",
                "hello",
                "enter Streaming",
                "enter Running",
                "exit Running",
                "enter Paused",
                "exit Paused",
                "pause timeout",
                "enter Running",
                "chunk 7",
                "exit Running",
                "exit Streaming",
                "exit Active",
                "session timeout",
            ]
        );
        // No timer fired into a visit it was not armed in.
        assert_eq!(done.metrics.stale_timeouts, 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_substate_timeout_fires_at_its_level() {
        let (session, join) = Session::Idle.spawn(Log::default());
        session.tell(Connect).await.unwrap();
        tokio::time::sleep(Duration::from_secs(6)).await; // Handshaking's 5 s
        assert_eq!(session.state().await, Some(super::ACTIVE));
        let rejected = session.ask(Hello).await.unwrap_err();
        let lockstep::actor::AskError::Rejected(rejected) = rejected else {
            panic!("expected a rejection, got {rejected}");
        };
        assert_eq!(rejected.state, "Active/Draining");
        drop(session);
        let done = join.await.unwrap();
        assert!(
            done.context
                .events
                .contains(&"handshake timeout".to_owned())
        );
        assert!(!done.context.events.contains(&"session timeout".to_owned()));
    }
}

// ---- docs ---------------------------------------------------------------------------------------

#[test]
fn the_static_description_walks_nested_machines() {
    let active = &Session::STATES[1];
    let phase = active.substates.expect("Active is a superstate");
    assert_eq!(phase.name, "Phase");
    let streaming = &phase.states[1];
    assert_eq!(streaming.substates.map(|f| f.name), Some("Flow"));
    assert_eq!(Session::STATES[0].substates, None);
    // The session accepts what it forwards, and Timeout for the timers inside.
    assert!(Session::MESSAGES.contains(&"Hello"));
    assert!(Session::MESSAGES.contains(&"Timeout"));
}

#[test]
fn the_table_says_where_each_cell_is_decided() {
    let table = lockstep::table::<Session>();
    let active = table.lines().find(|l| l.starts_with("| `Active`")).unwrap();
    assert!(active.contains("| `Phase` first, else stay |"), "{active}"); // Ping
    assert!(
        active.contains("| `Phase` first, else reject |"),
        "{active}"
    ); // Hello
    assert!(active.contains("| → Idle |"), "{active}"); // Disconnect: the session alone
    let phase = lockstep::table::<Phase>();
    assert!(phase.contains("| `Flow` first, else reject |"), "{phase}");
}

#[test]
fn the_diagram_draws_composite_states() {
    let mermaid = lockstep::mermaid::<Session>();
    assert!(mermaid.starts_with("stateDiagram-v2\n    [*] --> Idle\n"));
    assert!(mermaid.contains("\n    state Active {\n        [*] --> Handshaking\n"));
    assert!(mermaid.contains("\n        state Streaming {\n            [*] --> Running\n"));
    assert!(mermaid.contains("            Paused --> Running: Resume, Timeout\n"));
    // A flat machine's diagram is the derive's constant.
    assert_eq!(
        lockstep::mermaid::<Flow>(),
        Flow::MERMAID.replace("after 1s", "Timeout")
    );
}

// ---- typestate ----------------------------------------------------------------------------------

mod typestate {
    use lockstep::{Machine, Message};

    #[derive(Message)]
    pub struct Open;
    #[derive(Message)]
    pub struct Close;
    #[derive(Message)]
    pub struct Lock;
    #[derive(Message)]
    pub struct Unlock;

    #[derive(Default)]
    pub struct Trail(Vec<&'static str>);

    #[derive(Machine)]
    #[machine(context = Trail, typestate)]
    pub enum Door {
        #[initial]
        #[on(Open => Opened)]
        Closed(Latch),
        #[on(Close => Closed)]
        Opened,
    }

    #[derive(Machine)]
    #[machine(context = Trail)]
    pub enum Latch {
        #[initial]
        #[on(Lock => Locked)]
        #[exit]
        Free,
        #[on(Unlock => Free)]
        #[exit]
        Locked,
    }

    // `Closed` is a superstate: its typed value holds the latch machine.
    #[derive(Machine)]
    #[machine(context = Trail, typestate)]
    pub enum Room {
        #[initial]
        #[substates(Lock, Unlock)]
        #[on(Open => Ajar)]
        #[enter]
        #[exit]
        Shut(Latch),
        #[on(Close => Shut)]
        Ajar,
    }

    impl DoorHandlers for Trail {
        fn closed_on_open(&mut self, _: Latch, _: Open) {}
        fn opened_on_close(&mut self, _: Close) -> Latch {
            Latch::Free
        }
    }
    impl LatchHandlers for Trail {
        fn exit_free(&mut self) {
            self.0.push("exit Free");
        }
        fn exit_locked(&mut self) {
            self.0.push("exit Locked");
        }
    }
    impl RoomHandlers for Trail {
        fn shut_on_open(&mut self, _: Latch, _: Open) {
            self.0.push("open");
        }
        fn ajar_on_close(&mut self, _: Close) -> Latch {
            Latch::Locked
        }
        fn enter_shut(&mut self, _: &mut Latch) {
            self.0.push("enter Shut");
        }
        fn exit_shut(&mut self, _: &mut Latch) {
            self.0.push("exit Shut");
        }
    }

    #[test]
    fn a_typed_superstate_leaves_and_enters_its_substates() {
        let mut trail = Trail::default();
        // The superstate's own cell, sent through the typestate: the latch is left first.
        let ajar = RoomShut(Latch::Free).send(&mut trail, Open);
        assert_eq!(trail.0, ["exit Free", "exit Shut", "open"]);
        let RoomShut(latch) = ajar.send(&mut trail, Close);
        assert!(matches!(latch, Latch::Locked));
        assert_eq!(trail.0[3..], ["enter Shut"]);
        // A machine whose superstate is not the one typed: the door's latch is plain data to it.
        let _ = Door::NAME;
        let _ = DoorClosed(Latch::Free).send(&mut trail, Open);
    }
}

// ---- the race checker ---------------------------------------------------------------------------

mod races {
    use lockstep::check::Explorer;
    use lockstep::{Machine, Message};

    use super::session::{Chunk, Hello, Log, Pause, Phase, Resume, Session};

    fn chunks(log: &Log) -> usize {
        log.events.iter().filter(|e| e.starts_with("chunk")).count()
    }

    /// A peer says hello while another client streams a chunk: in either order the chunk is
    /// counted, because Handshaking defers it and the move into Streaming replays it.
    #[test]
    fn no_chunk_is_lost_when_it_overtakes_the_hello() {
        let report = Explorer::new(Session::Active(Phase::Handshaking), Log::default())
            .client("peer", |c| c.tell(Hello))
            .client("data", |c| c.tell(Chunk(1)))
            .timeouts(false)
            .at_end("every chunk counted", |_, log| chunks(log) == 1)
            .always("a valid path", |session, _| {
                matches!(
                    session.state_path().to_string().as_str(),
                    "Active/Handshaking" | "Active/Streaming/Running"
                )
            })
            .run();
        report.assert_ok();
        assert!(report.complete);
        // Coverage counts what the superstate forwards as its own cells, decided by the substates.
        let coverage = &report.coverage;
        assert!(coverage.hit("Active", "Hello"));
        assert!(coverage.hit("Active", "Chunk"));
        let missed: Vec<String> = coverage.missed().map(|c| c.to_string()).collect();
        assert!(
            missed.contains(&"Active × Pause (to the substates)".to_owned()),
            "{missed:?}"
        );
        assert_eq!(coverage.rejections().count(), 0, "{coverage}");
    }

    fn steps(report: &lockstep::check::Report) -> Vec<String> {
        let violation = report.violation().expect("a violation");
        violation
            .trace
            .steps
            .iter()
            .map(|s| format!("{} {}: {} → {}", s.client, s.message, s.from, s.to))
            .collect()
    }

    /// Each level's timer is an event of its own: the flow's fires into Paused, at level 2.
    #[test]
    fn a_substate_timeout_fires_at_its_own_level() {
        let report = Explorer::new(
            Session::Active(Phase::Streaming(super::Flow::Running(0))),
            Log::default(),
        )
        .client("c", |c| c.tell(Pause))
        .always("the clock never resumes the flow", |_, log| {
            !log.events.iter().any(|e| e == "pause timeout")
        })
        .run();
        assert_eq!(
            steps(&report),
            [
                "c Pause: Active/Streaming/Running → Active/Streaming/Paused",
                "clock Timeout: Active/Streaming/Paused → Active/Streaming/Running"
            ]
        );
    }

    /// The session's timer is armed from the start and keeps running while the flow moves: it
    /// can still fire after the flow paused and came back (a move inside re-arms only the levels
    /// inside).
    #[test]
    fn a_superstate_timeout_survives_moves_inside_it() {
        let report = Explorer::new(
            Session::Active(Phase::Streaming(super::Flow::Running(0))),
            Log::default(),
        )
        .client("c", |c| c.tell(Pause).tell(Resume))
        .always(
            "the session never times out once the flow resumed",
            |_, log| {
                let paused = log.events.iter().position(|e| e == "enter Paused");
                let resumed = log.events.iter().rposition(|e| e == "enter Running");
                !(paused < resumed
                    && paused.is_some()
                    && log.events.last().is_some_and(|e| e == "session timeout"))
            },
        )
        .run();
        let steps = steps(&report);
        assert_eq!(steps.len(), 3, "{steps:?}");
        assert_eq!(
            steps[0],
            "c Pause: Active/Streaming/Running → Active/Streaming/Paused"
        );
        assert_eq!(steps[2], "clock Timeout: Active/Streaming/Running → Idle");
    }

    // The same phase without `#[defer(Chunk)]` on its handshake.
    #[derive(Message, Debug, Clone, PartialEq)]
    pub struct Never;

    #[derive(Machine, Debug, Clone, PartialEq, Eq, Hash)]
    #[machine(context = Log)]
    pub enum Hasty {
        #[initial]
        #[substates(Hello, Chunk, Pause, Resume)]
        #[on(Never => Gone)]
        Active(HastyPhase),
        #[on(Never => Active)]
        Gone,
    }

    #[derive(Machine, Debug, Clone, PartialEq, Eq, Hash)]
    #[machine(context = Log)]
    pub enum HastyPhase {
        #[initial]
        #[on(Hello => Streaming)]
        Handshaking,
        #[substates(Chunk, Pause, Resume)]
        Streaming(super::Flow),
    }

    impl HastyHandlers for Log {
        fn active_on_never(&mut self, _: HastyPhase, _: Never) {}
        fn gone_on_never(&mut self, _: Never) -> HastyPhase {
            HastyPhase::Handshaking
        }
    }
    impl HastyPhaseHandlers for Log {
        fn handshaking_on_hello(&mut self, _: Hello) -> super::Flow {
            super::Flow::Running(0)
        }
    }

    #[test]
    fn a_chunk_that_overtakes_the_hello_is_lost_without_deferral() {
        let report = Explorer::new(Hasty::Active(HastyPhase::Handshaking), Log::default())
            .client("peer", |c| c.tell(Hello))
            .client("data", |c| c.tell(Chunk(1)))
            .at_end("every chunk counted", |_, log| chunks(log) == 1)
            .run();
        let violation = report.violation().expect("the race is found");
        let steps: Vec<String> = violation
            .trace
            .steps
            .iter()
            .map(|s| format!("{} {}", s.client, s.message))
            .collect();
        assert_eq!(steps, ["data Chunk(1)", "peer Hello"]);
        let text = report.to_string();
        assert!(text.contains("Active/Handshaking"), "{text}");
    }
}

// ---- the superstate's own defer and discard as the fallback -------------------------------------

mod fallback {
    use lockstep::{Driver, Machine, Message, Posted};

    #[derive(Message)]
    pub struct Go;
    #[derive(Message)]
    pub struct Job(pub u32);
    #[derive(Message)]
    pub struct Noise;

    #[derive(Default)]
    pub struct Done(pub Vec<u32>);

    #[derive(Machine)]
    #[machine(context = Done)]
    pub enum Stage {
        /// Takes no job yet: the superstate defers it.
        #[initial]
        #[on(Go => Working)]
        Warming,
        #[on(Job)]
        #[discard(Noise)]
        Working,
    }

    impl StageHandlers for Done {
        fn working_on_job(&mut self, job: Job) {
            self.0.push(job.0);
        }
    }

    #[derive(Machine)]
    #[machine(context = Done)]
    pub enum Plant {
        #[initial]
        #[substates(Go, Job, Noise)]
        #[defer(Job)]
        #[discard(Noise)]
        On(Stage),
    }

    impl PlantHandlers for Done {}

    #[test]
    fn a_superstate_defers_what_its_substate_rejects_until_a_move_inside() {
        let mut done = Done::default();
        let mut plant = Driver::new(Plant::On(Stage::Warming));
        // `Warming` rejects both: the superstate's own cells decide.
        assert_eq!(plant.post(&mut done, Job(1)).ok(), Some(Posted::Deferred));
        assert_eq!(plant.post(&mut done, Noise).ok(), Some(Posted::Handled));
        assert_eq!(plant.deferred().len(), 1);
        // A move between substates replays the job, which `Working` now takes.
        plant.send(&mut done, Go).unwrap();
        assert_eq!(plant.state_path(), "On/Working");
        assert_eq!(done.0, [1]);
        assert_eq!(plant.deferred().len(), 0);
        assert!(plant.take_dead_letters().is_empty());
    }
}
