//! The actor: accounting under flood, lifecycle, panics and restarts, defer order, state timeouts
//! (on tokio's paused clock), effects, raised events, later replies, sessions.
#![cfg(feature = "actor")]
#![allow(missing_docs)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lockstep::actor::{
    Actor, Answer, AskError, DeadReason, Failed, Later, Me, Overflow, Refused, Restart, Spawn,
    StopCause, TellError, later,
};
use lockstep::{Machine, Message, Reason, Timeout};

// ---------------------------------------------------------------- a gate with every kind of cell

#[derive(Message, Debug, PartialEq)]
pub struct Open;
#[derive(Message, Debug, PartialEq)]
pub struct Close;
#[derive(Message, Debug, PartialEq)]
#[message(reply = u64)]
pub struct Count;
#[derive(Message, Debug, PartialEq)]
pub struct Knock(pub u64);
#[derive(Message, Debug, PartialEq)]
pub struct Boom;

#[derive(Default)]
pub struct Ledger {
    pub passed: u64,
    pub knocks: Vec<u64>,
}

#[derive(Machine, Debug)]
#[machine(context = Ledger, derive(Debug))]
pub enum Gate {
    #[initial]
    #[on(Open => Opened)]
    #[on(Count)]
    #[defer(Knock)]
    #[discard(Close)]
    Closed,
    #[on(Close => Closed)]
    #[on(Knock)]
    #[on(Boom)]
    Opened,
}

impl GateHandlers for Ledger {
    fn closed_on_count(&mut self, _: Count) -> u64 {
        self.passed
    }
    fn opened_on_knock(&mut self, knock: Knock) {
        self.passed += 1;
        self.knocks.push(knock.0);
    }
    fn opened_on_boom(&mut self, _: Boom) {
        panic!("boom")
    }
}

fn flood(flavor_multi: bool) {
    let runtime = if flavor_multi {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    }
    .unwrap();
    runtime.block_on(async {
        const SENDERS: u64 = 16;
        const EACH: u64 = 100_000;
        let dead = Arc::new(AtomicU64::new(0));
        let seen = Arc::clone(&dead);
        let (gate, join) = Gate::Closed
            .actor(Ledger::default())
            .mailbox(64)
            .defer_capacity(32)
            .ask_timeout(None)
            .dead_letters(move |_| {
                seen.fetch_add(1, Ordering::Relaxed);
            })
            .spawn();
        let mut tasks = Vec::new();
        for sender in 0..SENDERS {
            let gate = gate.clone();
            tasks.push(tokio::spawn(async move {
                // (sent, ok asks, rejected asks)
                let mut sent = (0u64, 0u64, 0u64);
                for i in 0..EACH {
                    match (i + sender) % 5 {
                        0 => gate.tell(Open).await.unwrap(),
                        1 => gate.tell(Close).await.unwrap(),
                        2 => gate.tell(Knock(i)).await.unwrap(),
                        3 => match gate.ask(Count).await {
                            Ok(_) => sent.1 += 1,
                            Err(AskError::Rejected(r)) => {
                                assert_eq!(r.state, "Opened");
                                assert_eq!(r.reason, Reason::NotAccepted);
                                assert_eq!(r.message, Count);
                                sent.2 += 1;
                            }
                            Err(other) => panic!("unexpected {other}"),
                        },
                        _ => match gate.ask(Open).await {
                            Ok(()) => sent.1 += 1,
                            Err(AskError::Rejected(r)) => {
                                assert_eq!(r.message, Open);
                                sent.2 += 1;
                            }
                            Err(other) => panic!("unexpected {other}"),
                        },
                    }
                    sent.0 += 1;
                }
                sent
            }));
        }
        let mut sent = 0;
        let mut rejected_asks = 0;
        for task in tasks {
            let (s, _, r) = task.await.unwrap();
            sent += s;
            rejected_asks += r;
        }
        assert_eq!(sent, SENDERS * EACH);
        drop(gate);
        let done = join.await.unwrap();
        let m = done.metrics;
        // Every message ends in exactly one place.
        assert_eq!(
            m.processed + m.discarded + m.rejected + m.dead_lettered,
            sent,
            "{m:?}"
        );
        assert_eq!(m.rejected, rejected_asks);
        assert_eq!(m.dead_lettered, dead.load(Ordering::Relaxed));
        assert!(
            m.deferred > 0 && m.dead_lettered > 0 && m.discarded > 0,
            "{m:?}"
        );
        // The knocks the gate let through are in the order each was first taken: every knock
        // the context saw was processed, none twice.
        assert_eq!(done.context.knocks.len() as u64, done.context.passed);
    });
}

#[test]
fn flood_accounting_multi_thread() {
    flood(true);
}

#[test]
fn flood_accounting_current_thread() {
    flood(false);
}

#[tokio::test]
async fn rejected_ask_hands_the_message_back_with_the_state() {
    let (gate, _join) = Gate::Closed.spawn(Ledger::default());
    gate.tell(Open).await.unwrap();
    let Err(AskError::Rejected(rejected)) = gate.ask(Count).await else {
        panic!("Opened takes no Count")
    };
    assert_eq!(rejected.machine, "Gate");
    assert_eq!(rejected.state, "Opened");
    assert_eq!(
        rejected.accepted().collect::<Vec<_>>(),
        ["Close", "Knock", "Boom"]
    );
    assert_eq!(rejected.into_message(), Count);
}

#[tokio::test]
async fn deferred_messages_run_oldest_first_after_the_state_changes() {
    let (gate, join) = Gate::Closed.spawn(Ledger::default());
    for i in 0..5 {
        gate.tell(Knock(i)).await.unwrap();
    }
    gate.tell(Open).await.unwrap();
    gate.tell(Knock(99)).await.unwrap();
    drop(gate);
    let done = join.await.unwrap();
    assert_eq!(done.context.knocks, [0, 1, 2, 3, 4, 99]);
    assert_eq!(done.metrics.deferred, 5);
}

#[tokio::test]
async fn a_full_deferred_queue_answers_like_a_rejection() {
    let letters = Arc::new(Mutex::new(Vec::new()));
    let kept = Arc::clone(&letters);
    let (gate, join) = Gate::Closed
        .actor(Ledger::default())
        .defer_capacity(2)
        .dead_letters(move |letter| {
            kept.lock()
                .unwrap()
                .push((letter.reason, letter.message_name()));
        })
        .spawn();
    for i in 0..3 {
        gate.tell(Knock(i)).await.unwrap();
    }
    drop(gate);
    let done = join.await.unwrap();
    // Two waited, then the actor ended: the third was refused at once, the two at the stop.
    assert_eq!(
        *letters.lock().unwrap(),
        [
            (DeadReason::DeferQueueFull, "Knock"),
            (DeadReason::Stopped, "Knock"),
            (DeadReason::Stopped, "Knock"),
        ]
    );
    assert_eq!(done.metrics.dead_lettered, 3);
}

#[tokio::test]
async fn stop_drains_what_was_queued_and_refuses_what_waits() {
    let (gate, join) = Gate::Closed.spawn(Ledger::default());
    let asker = gate.clone();
    gate.tell(Knock(1)).await.unwrap(); // deferred: Closed
    gate.stop().await;
    // Sent after the stop: refused, message back.
    match gate.tell(Open).await {
        Err(TellError::Stopped(Open)) => {}
        other => panic!("{other:?}"),
    }
    match asker.ask(Count).await {
        Err(AskError::Stopped {
            message: Some(Count),
            cause: StopCause::Requested,
        }) => {}
        other => panic!("{other:?}"),
    }
    let done = join.await.unwrap();
    assert_eq!(done.metrics.dead_lettered, 1); // the deferred knock
    assert!(gate.is_stopped());
}

/// Whether a tell entered the mailbox; with backpressure, only a stopped actor refuses one.
fn entered<M>(told: Result<(), TellError<M>>) -> bool {
    match told {
        Ok(()) => true,
        Err(TellError::Stopped(_)) => false,
        Err(other) => panic!("unexpected {other}"),
    }
}

#[test]
fn stop_while_flooded_accounts_for_every_message() {
    #[derive(Default, Clone, Copy)]
    struct Sent {
        /// Tells that entered the mailbox (a tell is refused only at the door).
        told: u64,
        /// Tells handed back at the door after the stop.
        refused: u64,
        /// Asks answered by a handler, or rejected by a state.
        answered: u64,
        /// Asks answered `Stopped` with their message: refused at the door, or queued and
        /// refused when the actor stopped. Both hand the message back.
        stopped: u64,
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (gate, join) = Gate::Closed.actor(Ledger::default()).mailbox(16).spawn();
        let mut senders = Vec::new();
        for sender in 0..8u64 {
            let gate = gate.clone();
            senders.push(tokio::spawn(async move {
                let mut sent = Sent::default();
                for i in 0..50_000u64 {
                    let told = match (i + sender) % 4 {
                        0 => entered(gate.tell(Open).await),
                        1 => entered(gate.tell(Close).await),
                        2 => entered(gate.tell(Knock(i)).await),
                        _ => {
                            match gate.ask(Count).await {
                                Ok(_) | Err(AskError::Rejected(_)) => sent.answered += 1,
                                Err(AskError::Stopped {
                                    message: Some(Count),
                                    cause: StopCause::Requested,
                                }) => sent.stopped += 1,
                                Err(other) => panic!("unexpected {other}"),
                            }
                            continue;
                        }
                    };
                    if told {
                        sent.told += 1;
                    } else {
                        sent.refused += 1;
                    }
                }
                sent
            }));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        gate.stop().await;
        assert!(gate.is_stopped());
        let mut total = Sent::default();
        for sender in senders {
            let sent = sender.await.unwrap();
            total.told += sent.told;
            total.refused += sent.refused;
            total.answered += sent.answered;
            total.stopped += sent.stopped;
        }
        assert_eq!(
            total.told + total.refused + total.answered + total.stopped,
            8 * 50_000
        );
        assert!(total.refused > 0, "the stop came before the flood ended");
        let m = join.await.unwrap().metrics;
        // Every message that entered the mailbox ended in exactly one place; the asks among
        // them that the stop refused are counted as rejected (handed back).
        let settled = m.processed + m.discarded + m.rejected + m.dead_lettered;
        let stopped_inside = settled - total.told - total.answered;
        assert!(stopped_inside <= total.stopped, "{m:?}");
    });
}

#[tokio::test]
async fn a_deferred_ask_is_answered_stopped_with_its_message() {
    #[derive(Message, Debug, PartialEq)]
    #[message(reply = u32)]
    pub struct Later;
    #[derive(Machine)]
    enum Wait {
        #[initial]
        #[defer(Later)]
        #[on(Close => Done)]
        Waiting,
        #[on(Later)]
        Done,
    }
    impl WaitHandlers for () {
        fn done_on_later(&mut self, _: Later) -> u32 {
            7
        }
    }
    let (wait, join) = Wait::Waiting.spawn(());
    let asker = wait.clone();
    let pending = tokio::spawn(async move { asker.ask(Later).await });
    tokio::task::yield_now().await;
    wait.stop().await;
    drop(wait);
    match pending.await.unwrap() {
        Err(AskError::Stopped {
            message: Some(Later),
            cause: StopCause::Requested,
        }) => {}
        other => panic!("{other:?}"),
    }
    join.await.unwrap();
}

#[tokio::test]
async fn the_actor_ends_when_every_handle_is_dropped_and_yields_its_state() {
    let (gate, join) = Gate::Closed.spawn(Ledger::default());
    let other = gate.clone();
    gate.tell(Open).await.unwrap();
    other.tell(Knock(3)).await.unwrap();
    drop(gate);
    drop(other);
    let done = join.await.unwrap();
    assert_eq!(done.machine.state_name(), "Opened");
    assert_eq!(done.context.knocks, [3]);
}

#[tokio::test]
async fn a_panic_stops_the_actor_and_every_waiting_asker_hears_why() {
    let (gate, join) = Gate::Closed.actor(Ledger::default()).mailbox(8).spawn();
    gate.tell(Open).await.unwrap();
    // Queue asks behind the panic, from other tasks.
    let boom = gate.ask(Boom);
    let mut waiting = Vec::new();
    for _ in 0..4 {
        let gate = gate.clone();
        waiting.push(tokio::spawn(async move { gate.ask(Close).await }));
    }
    match boom.await {
        Err(AskError::Panicked(p)) => {
            assert_eq!((p.machine, p.state, p.message), ("Gate", "Opened", "Boom"));
            assert_eq!(p.payload, "boom");
        }
        other => panic!("{other:?}"),
    }
    for asker in waiting {
        match asker.await.unwrap() {
            Err(AskError::Stopped {
                message: Some(Close),
                cause: StopCause::Panicked(p),
            }) => {
                assert_eq!(p.state, "Opened");
            }
            // An ask that lost the race and ran before the panic.
            Ok(()) => {}
            other => panic!("{other:?}"),
        }
    }
    match gate.tell(Open).await {
        Err(TellError::Stopped(_)) => {}
        other => panic!("{other:?}"),
    }
    match join.await {
        Err(Failed::Panicked { panic, restarts: 0 }) => assert_eq!(panic.message, "Boom"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn restarts_at_most_n_times_within_the_window() {
    let (gate, join) = Gate::Closed
        .actor(Ledger::default())
        .restart(Restart::at_most(2, Duration::from_secs(10)), |_| {
            (Gate::Closed, Ledger::default())
        })
        .spawn();
    for round in 0..2 {
        gate.tell(Open).await.unwrap();
        assert!(matches!(gate.ask(Boom).await, Err(AskError::Panicked(_))));
        // Restarted from the factory: Closed, a fresh ledger.
        assert_eq!(gate.ask(Count).await.unwrap(), 0, "round {round}");
    }
    assert_eq!(gate.metrics().restarts, 2);
    // A third panic within 10 s: no restart left.
    gate.tell(Open).await.unwrap();
    assert!(matches!(gate.ask(Boom).await, Err(AskError::Panicked(_))));
    assert!(matches!(
        join.await,
        Err(Failed::Panicked { restarts: 2, .. })
    ));
}

#[tokio::test(start_paused = true)]
async fn a_restart_window_that_passed_is_forgotten() {
    let (gate, join) = Gate::Closed
        .actor(Ledger::default())
        .restart(Restart::at_most(1, Duration::from_secs(10)), |_| {
            (Gate::Closed, Ledger::default())
        })
        .spawn();
    for _ in 0..3 {
        gate.tell(Open).await.unwrap();
        assert!(matches!(gate.ask(Boom).await, Err(AskError::Panicked(_))));
        tokio::time::sleep(Duration::from_secs(11)).await;
    }
    assert_eq!(gate.ask(Count).await.unwrap(), 0);
    drop(gate);
    assert_eq!(join.await.unwrap().metrics.restarts, 3);
}

#[tokio::test(start_paused = true)]
async fn ask_timeout_default_and_per_call() {
    #[derive(Message, Debug, PartialEq)]
    pub struct Ping;
    // A state that defers `Ping` forever: an asker waits until its timeout.
    #[derive(Machine)]
    enum Stuck {
        #[initial]
        #[defer(Ping)]
        Here,
    }
    let (stuck, _join) = Stuck::Here
        .actor(())
        .ask_timeout(Some(Duration::from_millis(50)))
        .spawn();
    let started = tokio::time::Instant::now();
    match stuck.ask(Ping).await {
        Err(AskError::Timeout(after)) => assert_eq!(after, Duration::from_millis(50)),
        other => panic!("{other:?}"),
    }
    assert_eq!(started.elapsed(), Duration::from_millis(50));
    match stuck.ask_within(Ping, Duration::from_secs(3)).await {
        Err(AskError::Timeout(after)) => assert_eq!(after, Duration::from_secs(3)),
        other => panic!("{other:?}"),
    }
    assert_eq!(started.elapsed(), Duration::from_millis(3050));
}

#[tokio::test]
async fn fail_fast_hands_the_message_back_when_the_mailbox_is_full() {
    let (gate, _join) = Gate::Closed
        .actor(Ledger::default())
        .mailbox(2)
        .overflow(Overflow::FailFast)
        .spawn();
    // The actor task has not run yet on this current-thread runtime: two fit, the third not.
    gate.tell(Knock(1)).await.unwrap();
    gate.tell(Knock(2)).await.unwrap();
    match gate.tell(Knock(3)).await {
        Err(TellError::MailboxFull(Knock(3))) => {}
        other => panic!("{other:?}"),
    }
    match gate.ask(Count).await {
        Err(AskError::MailboxFull(Count)) => {}
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn try_tell_never_waits() {
    // Backpressure for `tell`; `try_tell` still fails at once.
    let (gate, join) = Gate::Closed.actor(Ledger::default()).mailbox(1).spawn();
    gate.try_tell(Open).unwrap();
    match gate.try_tell(Knock(1)) {
        Err(TellError::MailboxFull(Knock(1))) => {}
        other => panic!("{other:?}"),
    }
    gate.tell(Knock(2)).await.unwrap(); // waits for the actor to take `Open`
    gate.stop().await;
    match gate.try_tell(Knock(3)) {
        Err(TellError::Stopped(Knock(3))) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(join.await.unwrap().context.knocks, [2]);
}

// ---------------------------------------------------------------- state timeouts, hooks

#[derive(Message)]
pub struct Pay;
#[derive(Message)]
pub struct Pass;

#[derive(Default)]
pub struct Trail(Vec<&'static str>);

#[derive(Machine)]
#[machine(context = Trail)]
pub enum Booth {
    #[initial]
    #[enter]
    #[on(Pay => Paid)]
    Idle,
    #[enter]
    #[exit]
    #[on(Pay)]
    #[on(Pass => Idle)]
    #[timeout(30s => Idle)]
    Paid,
}

impl BoothHandlers for Trail {
    fn paid_on_pay(&mut self, _: Pay) {
        self.0.push("pay again");
    }
    fn paid_on_timeout(&mut self, _: Timeout) {
        self.0.push("timeout");
    }
    fn enter_idle(&mut self) {
        self.0.push("enter idle");
    }
    fn enter_paid(&mut self) {
        self.0.push("enter paid");
    }
    fn exit_paid(&mut self) {
        self.0.push("exit paid");
    }
}

#[tokio::test(start_paused = true)]
async fn a_state_timeout_fires_after_its_duration() {
    let (booth, join) = Booth::Idle.spawn(Trail::default());
    booth.tell(Pay).await.unwrap();
    tokio::time::sleep(Duration::from_secs(29)).await;
    booth.tell(Pay).await.unwrap(); // staying does not re-arm
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(booth.state().await, Some(lockstep::StateId(0)));
    drop(booth);
    let done = join.await.unwrap();
    assert_eq!(
        done.context.0,
        [
            "enter idle",
            "enter paid",
            "pay again",
            "exit paid",
            "timeout",
            "enter idle"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn leaving_the_state_cancels_its_timer_and_stale_timers_are_fenced() {
    let (booth, join) = Booth::Idle.spawn(Trail::default());
    booth.tell(Pay).await.unwrap();
    tokio::time::sleep(Duration::from_secs(20)).await;
    booth.tell(Pass).await.unwrap(); // leaves Paid: its timer is cancelled
    booth.tell(Pay).await.unwrap(); // a new visit: a new 30 s
    tokio::time::sleep(Duration::from_secs(20)).await;
    // 40 s after the first visit began, 20 s into the second: no timeout yet.
    assert_eq!(booth.state().await, Some(lockstep::StateId(1)));
    tokio::time::sleep(Duration::from_secs(11)).await;
    assert_eq!(booth.state().await, Some(lockstep::StateId(0)));
    drop(booth);
    let done = join.await.unwrap();
    assert_eq!(
        done.context.0.iter().filter(|e| **e == "timeout").count(),
        1
    );
}

#[tokio::test(start_paused = true)]
async fn a_timer_queued_behind_a_state_change_is_fenced() {
    // The timer fires while the mailbox is full of messages that leave and re-enter the state:
    // its mail arrives after the visit it was armed in has ended.
    let (booth, join) = Booth::Idle.actor(Trail::default()).mailbox(1).spawn();
    booth.tell(Pay).await.unwrap();
    tokio::time::sleep(Duration::from_secs(29)).await;
    let sender = booth.clone();
    let flood = tokio::spawn(async move {
        for _ in 0..50 {
            sender.tell(Pass).await.unwrap();
            sender.tell(Pay).await.unwrap();
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    flood.await.unwrap();
    drop(booth);
    let done = join.await.unwrap();
    // Every visit lasted less than 30 s: no timeout ran.
    assert!(!done.context.0.contains(&"timeout"), "{:?}", done.context.0);
}

// ---------------------------------------------------------------- effects, raised events, later replies

#[derive(Message)]
#[message(reply = Later<u64>)]
pub struct Fetch;
#[derive(Message)]
pub struct Fetched(pub u64);
#[derive(Message)]
pub struct Audit;
#[derive(Message)]
#[message(reply = u64)]
pub struct Audits;

pub struct Cache {
    me: Me<Loader>,
    waiting: Vec<Answer<u64>>,
    audits: u64,
}

#[derive(Machine)]
#[machine(context = Cache)]
pub enum Loader {
    #[initial]
    #[on(Fetch => Loading)]
    #[on(Audit)]
    #[on(Audits)]
    Empty,
    #[on(Fetch)]
    #[on(Fetched => Ready)]
    #[on(Audit)]
    #[on(Audits)]
    Loading,
    #[on(Fetch)]
    #[on(Audit)]
    #[on(Audits)]
    Ready(u64),
}

impl LoaderHandlers for Cache {
    fn empty_on_fetch(&mut self, _: Fetch) -> Later<u64> {
        // The slow part runs outside the handler; its result comes back as `Fetched`.
        self.me.spawn(async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            Fetched(42)
        });
        let (answer, reply) = later();
        self.waiting.push(answer);
        reply
    }
    fn loading_on_fetch(&mut self, _: Fetch) -> Later<u64> {
        let (answer, reply) = later();
        self.waiting.push(answer);
        reply
    }
    fn loading_on_fetched(&mut self, fetched: Fetched) -> u64 {
        for answer in self.waiting.drain(..) {
            let _ = answer.send(fetched.0);
        }
        // An internal event: runs before anything else in the mailbox.
        self.me
            .raise(Audit)
            .unwrap_or_else(|_| panic!("raised queue full"));
        fetched.0
    }
    fn ready_on_fetch(&mut self, value: &mut u64, _: Fetch) -> Later<u64> {
        let (answer, reply) = later();
        let _ = answer.send(*value);
        reply
    }
    fn empty_on_audit(&mut self, _: Audit) {
        self.audits += 1;
    }
    fn loading_on_audit(&mut self, _: Audit) {
        self.audits += 1;
    }
    fn ready_on_audit(&mut self, _: &mut u64, _: Audit) {
        self.audits += 100;
    }
    fn empty_on_audits(&mut self, _: Audits) -> u64 {
        self.audits
    }
    fn loading_on_audits(&mut self, _: Audits) -> u64 {
        self.audits
    }
    fn ready_on_audits(&mut self, _: &mut u64, _: Audits) -> u64 {
        self.audits
    }
}

#[tokio::test(start_paused = true)]
async fn effects_come_back_as_messages_and_replies_are_answered_later() {
    let (loader, join) = Actor::builder_with(|me: &Me<Loader>| {
        (
            Loader::Empty,
            Cache {
                me: me.clone(),
                waiting: Vec::new(),
                audits: 0,
            },
        )
    })
    .spawn();
    // Two asks wait for the same load; neither blocks the actor meanwhile.
    let first = loader.ask(Fetch).await.unwrap();
    let second = loader.ask(Fetch).await.unwrap();
    assert_eq!(loader.ask(Audits).await.unwrap(), 0);
    assert_eq!(first.await, Ok(42));
    assert_eq!(second.await, Ok(42));
    // The raised audit ran in `Ready`, right after `Fetched`.
    assert_eq!(loader.ask(Audits).await.unwrap(), 100);
    assert_eq!(loader.ask(Fetch).await.unwrap().await, Ok(42));
    drop(loader);
    assert_eq!(join.await.unwrap().machine.state_name(), "Ready");
}

#[tokio::test]
async fn an_answer_dropped_unanswered_is_reported() {
    let (loader, join) = Actor::builder_with(|me: &Me<Loader>| {
        (
            Loader::Loading,
            Cache {
                me: me.clone(),
                waiting: Vec::new(),
                audits: 0,
            },
        )
    })
    .spawn();
    let pending = loader.ask(Fetch).await.unwrap();
    drop(loader);
    drop(join.await.unwrap()); // the context, with the answer, is dropped
    assert!(pending.await.is_err());
}

// ---------------------------------------------------------------- sessions

#[derive(Message)]
pub struct Insert(pub u32);
#[derive(Message)]
#[message(reply = u32)]
pub struct Eject;

#[derive(Machine)]
#[machine(typestate)]
pub enum Vending {
    #[initial]
    #[on(Insert => HasCoin)]
    Ready,
    #[on(Eject => Ready)]
    HasCoin(u32),
}

impl VendingHandlers for () {
    fn ready_on_insert(&mut self, coin: Insert) -> u32 {
        coin.0
    }
    fn has_coin_on_eject(&mut self, coin: u32, _: Eject) -> u32 {
        coin
    }
}

#[tokio::test]
async fn a_session_is_typed_by_the_state() {
    let (vending, join) = Vending::Ready.spawn(());
    let session = vending.session::<VendingReady>().await.unwrap();
    let ((), session) = session.ask(Insert(25)).await.unwrap();
    let (coin, session) = session.ask(Eject).await.unwrap();
    assert_eq!(coin, 25);
    let _: lockstep::actor::Session<Vending, VendingReady> = session;
    drop(session);
    join.await.unwrap();
}

#[tokio::test]
async fn a_session_needs_the_only_handle_and_the_right_state() {
    let (vending, _join) = Vending::Ready.spawn(());
    let other = vending.clone();
    let Err(Refused::Shared { actor, handles: 2 }) = vending.session::<VendingReady>().await else {
        panic!("two handles")
    };
    drop(other);
    let Err(Refused::OtherState { actor, .. }) = actor.session::<VendingHasCoin>().await else {
        panic!("in Ready")
    };
    assert!(actor.session::<VendingReady>().await.is_ok());
}

// ---------------------------------------------------------------- terminal states end the actor

#[derive(Message, Debug, PartialEq)]
pub struct Finish;
#[derive(Message, Debug, PartialEq)]
#[message(reply = u32)]
pub struct Status;

#[derive(Machine)]
pub enum Job {
    #[initial]
    #[on(Finish => Done)]
    #[on(Status)]
    Running,
    #[terminal]
    Done,
}

impl JobHandlers for () {
    fn running_on_status(&mut self, _: Status) -> u32 {
        1
    }
}

#[tokio::test]
async fn reaching_a_terminal_state_stops_the_actor() {
    let (job, join) = Job::Running.spawn(());
    let asker = job.clone();
    assert_eq!(job.ask(Status).await.unwrap(), 1);
    job.tell(Finish).await.unwrap();
    let done = join.await.unwrap();
    assert_eq!(done.machine.state_name(), "Done");
    // The handles still exist, but the actor has ended: what is sent now comes back.
    match asker.ask(Status).await {
        Err(AskError::Stopped {
            message: Some(Status),
            cause: StopCause::Finished { state: "Done" },
        }) => {}
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        job.tell(Finish).await,
        Err(TellError::Stopped(Finish))
    ));
}

// ---------------------------------------------------------------- panics in every place, raises at the edges

#[derive(Message, Debug, PartialEq)]
pub struct Poke;
#[derive(Message, Debug, PartialEq)]
#[message(reply = Vec<&'static str>)]
pub struct Seen;
#[derive(Message, Debug, PartialEq)]
pub struct Crash;

pub struct Probe {
    me: Me<Fragile>,
    seen: Vec<&'static str>,
    /// The enter hook panics (a restart that fails at once).
    broken_start: bool,
    /// `Crash` raises a `Poke` before it panics.
    raise_then_crash: bool,
}

#[derive(Machine)]
#[machine(context = Probe)]
pub enum Fragile {
    #[initial]
    #[enter]
    #[on(Poke)]
    #[on(Seen)]
    #[on(Crash)]
    Up,
}

impl FragileHandlers for Probe {
    fn enter_up(&mut self) {
        assert!(!self.broken_start, "broken start");
        self.seen.push("enter");
        let _ = self.me.raise(Poke);
    }
    fn up_on_poke(&mut self, _: Poke) {
        self.seen.push("poke");
    }
    fn up_on_seen(&mut self, _: Seen) -> Vec<&'static str> {
        self.seen.clone()
    }
    fn up_on_crash(&mut self, _: Crash) {
        if self.raise_then_crash {
            let _ = self.me.raise(Poke);
        }
        panic!("crash")
    }
}

fn probe(me: &Me<Fragile>) -> Probe {
    Probe {
        me: me.clone(),
        seen: Vec::new(),
        broken_start: false,
        raise_then_crash: true,
    }
}

#[tokio::test]
async fn events_raised_by_the_first_enter_hook_run_before_any_mail() {
    let (fragile, _join) = Actor::builder_with(|me| (Fragile::Up, probe(me))).spawn();
    fragile.tell(Poke).await.unwrap();
    assert_eq!(fragile.ask(Seen).await.unwrap(), ["enter", "poke", "poke"]);
}

#[tokio::test(start_paused = true)]
async fn a_restart_that_panics_again_restarts_again_and_nothing_is_refused_meanwhile() {
    let restarts = Arc::new(AtomicU64::new(0));
    let made = Arc::clone(&restarts);
    let (fragile, join) = Actor::builder_with(|me| (Fragile::Up, probe(me)))
        .restart(Restart::at_most(5, Duration::from_mins(1)), move |me| {
            // The first restart's enter hook panics; the second one works.
            let first = made.fetch_add(1, Ordering::Relaxed) == 0;
            let mut probe = probe(me);
            probe.broken_start = first;
            (Fragile::Up, probe)
        })
        .spawn();
    assert!(matches!(
        fragile.ask(Crash).await,
        Err(AskError::Panicked(_))
    ));
    // Answered by the twice-restarted machine, not refused in between. The `Poke` the crashed
    // handler raised was dropped with its context (a dead letter), not run in the new one.
    assert_eq!(fragile.ask(Seen).await.unwrap(), ["enter", "poke"]);
    let m = fragile.metrics();
    assert_eq!((m.restarts, m.panicked, m.dead_lettered), (2, 1, 1));
    drop(fragile);
    let done = join.await.unwrap();
    assert_eq!(restarts.load(Ordering::Relaxed), 2);
    assert_eq!(done.metrics.processed, 3); // the two raised pokes, and `Seen`
}

#[tokio::test(start_paused = true)]
async fn the_restart_window_slides() {
    let (fragile, join) = Actor::builder_with(|me| (Fragile::Up, probe(me)))
        .restart(Restart::at_most(2, Duration::from_secs(10)), |me| {
            (Fragile::Up, probe(me))
        })
        .spawn();
    // Panics at 0 s, 9.9 s and 10.1 s: at most two in any 10 s, so all restart. At 10.2 s,
    // the last two are 0.3 s apart: no restart left.
    for wait in [0, 9_900, 200] {
        tokio::time::sleep(Duration::from_millis(wait)).await;
        assert!(matches!(
            fragile.ask(Crash).await,
            Err(AskError::Panicked(_))
        ));
        assert!(fragile.ask(Seen).await.is_ok());
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(matches!(
        fragile.ask(Crash).await,
        Err(AskError::Panicked(_))
    ));
    assert!(matches!(
        join.await,
        Err(Failed::Panicked { restarts: 3, .. })
    ));
}

#[tokio::test]
async fn a_panicking_restart_factory_ends_the_actor_with_its_own_panic() {
    let (fragile, join) = Actor::builder_with(|me| (Fragile::Up, probe(me)))
        .restart(
            Restart::at_most(1, Duration::from_secs(10)),
            |_| -> (Fragile, Probe) { panic!("no factory today") },
        )
        .spawn();
    assert!(matches!(
        fragile.ask(Crash).await,
        Err(AskError::Panicked(_))
    ));
    match join.await {
        Err(Failed::Panicked { panic, restarts: 0 }) => {
            assert_eq!(panic.message, "<restart factory>");
            assert_eq!(panic.payload, "no factory today");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_panicking_dead_letter_hook_does_not_take_the_actor_down() {
    let (gate, join) = Gate::Closed
        .actor(Ledger::default())
        .dead_letters(|_| panic!("hook"))
        .spawn();
    gate.tell(Open).await.unwrap();
    gate.tell(Open).await.unwrap(); // `Opened` takes no `Open`: a dead letter, and the hook panics
    gate.tell(Knock(7)).await.unwrap();
    drop(gate);
    let done = join.await.unwrap();
    assert_eq!(done.context.knocks, [7]);
    assert_eq!(done.metrics.dead_lettered, 1);
}

#[tokio::test]
async fn a_raise_after_the_actor_ended_is_handed_back() {
    let kept = Arc::new(Mutex::new(None));
    let keep = Arc::clone(&kept);
    let (fragile, join) = Actor::builder_with(move |me| {
        *keep.lock().unwrap() = Some(me.clone());
        (Fragile::Up, probe(me))
    })
    .spawn();
    drop(fragile);
    join.await.unwrap();
    let me = kept.lock().unwrap().take().unwrap();
    assert_eq!(me.raise(Poke), Err(Poke));
    assert!(me.actor().is_none());
}

#[tokio::test(start_paused = true)]
async fn an_ask_may_wait_forever_without_overflowing_the_clock() {
    let (gate, _join) = Gate::Closed.spawn(Ledger::default());
    let opener = gate.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_hours(1)).await;
        opener.tell(Open).await.unwrap();
    });
    // `Closed` defers `Knock`: the ask waits for the gate to open, an hour later.
    gate.ask_within(Knock(1), Duration::MAX).await.unwrap();
}

#[tokio::test]
async fn a_raise_from_outside_a_handler_wakes_an_idle_actor() {
    let kept = Arc::new(Mutex::new(None));
    let keep = Arc::clone(&kept);
    let (fragile, _join) = Actor::builder_with(move |me| {
        *keep.lock().unwrap() = Some(me.clone());
        (Fragile::Up, probe(me))
    })
    .spawn();
    let me = kept.lock().unwrap().take().unwrap();
    tokio::task::yield_now().await; // the actor has started and is idle
    let processed = fragile.metrics().processed;
    me.raise(Poke).unwrap();
    // No other mail: the raise itself wakes the actor.
    for _ in 0..100 {
        if fragile.metrics().processed > processed {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert_eq!(fragile.metrics().processed, processed + 1);
}

#[tokio::test]
async fn abort_cancels_without_draining_and_nobody_hangs() {
    let (gate, join) = Gate::Closed.spawn(Ledger::default());
    let asker = gate.clone();
    gate.tell(Knock(1)).await.unwrap(); // deferred in `Closed`
    let waiting = tokio::spawn(async move { asker.ask(Knock(2)).await });
    tokio::task::yield_now().await;
    assert!(!join.is_finished());
    join.abort();
    match waiting.await.unwrap() {
        Err(AskError::Stopped { message: None, .. }) => {}
        other => panic!("{other:?}"),
    }
    assert!(matches!(join.await, Err(Failed::Aborted)));
    assert!(matches!(
        gate.tell(Open).await,
        Err(TellError::Stopped(Open))
    ));
}
