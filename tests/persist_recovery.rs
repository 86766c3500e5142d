//! Persisted actors across the paths a batch can end by: a restart after a panic, a commit that
//! reached the disk but whose reply was lost, an `ExactlyOnce` machine resumed after a crash.
#![cfg(feature = "persist")]
#![allow(missing_docs)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use lockstep::actor::{Actor, AskError, Restart, Unrecorded};
use lockstep::persist::{Epoch, MemoryStore, Store, StoreError, Write};
use lockstep::{Envelope, ExactlyOnce, Machine, Message, SenderId};
use serde::{Deserialize, Serialize};

/// Bounds a wait that must end: a hang fails the test instead of stalling the run. Not a timing
/// assertion: the answer comes in microseconds, and nothing is measured.
async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(20), future)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer (the actor holds it)"))
}

// ------------------------------------------------------------- a restart replays deferred asks

#[derive(Message, Debug)]
#[message(reply = u64)]
pub struct Add(pub u64);

#[derive(Message, Debug)]
pub struct Hold;

#[derive(Message, Debug)]
pub struct Boom;

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Sum(pub u64);

#[derive(Machine, Serialize, Deserialize, Debug)]
#[machine(context = Sum)]
pub enum Gate {
    #[initial]
    #[on(Add)]
    #[on(Hold => Held)]
    Open,
    #[defer(Add)]
    #[on(Boom)]
    Held,
}

impl GateHandlers for Sum {
    fn open_on_add(&mut self, add: Add) -> u64 {
        self.0 += add.0;
        self.0
    }
    fn held_on_boom(&mut self, _: Boom) {
        panic!("boom");
    }
}

#[tokio::test]
async fn an_ask_replayed_after_a_restart_is_committed_and_answered_without_another_message() {
    let store = MemoryStore::new();
    let (gate, _join) = Actor::builder(Gate::Open, Sum::default())
        .restart(Restart::at_most(3, Duration::from_mins(1)), |_| {
            (Gate::Open, Sum::default())
        })
        .persist(store.clone(), "g")
        .spawn()
        .await
        .unwrap();
    assert_eq!(gate.ask(Add(10)).await.unwrap(), 10);
    // One batch (current-thread runtime: the actor runs only when this task waits): `Hold`
    // moves to `Held`, which defers the `Add`, then `Boom` panics. The batch is abandoned, the
    // restart reloads `Open` from the store, and the deferred `Add` is replayed there.
    let (told, add, boom) = tokio::join!(
        gate.tell(Hold),
        within("the replayed ask", gate.ask(Add(5))),
        gate.ask(Boom)
    );
    told.unwrap();
    assert!(matches!(boom, Err(AskError::Panicked(_))), "{boom:?}");
    assert_eq!(add.unwrap(), 15);
    // Answered means durable: the record says 15 before anything else is sent.
    let (again, _join) = Actor::builder(Gate::Open, Sum::default())
        .persist(store, "g")
        .spawn()
        .await
        .unwrap();
    assert_eq!(again.ask(Add(0)).await.unwrap(), 15);
}

// ------------------------------------------------------------------ exactly once over a crash

#[derive(Message, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[message(reply = u32)]
pub struct Pay(pub u32);

/// The charges made, and how often a handler ran.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Card {
    pub charged: Vec<u32>,
}

#[derive(Machine, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[machine(context = Card, derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize))]
pub enum Billing {
    #[initial]
    #[on(Pay)]
    Open,
}

impl BillingHandlers for Card {
    fn open_on_pay(&mut self, pay: Pay) -> u32 {
        self.charged.push(pay.0);
        u32::try_from(self.charged.len()).unwrap_or(u32::MAX)
    }
}

/// A store whose next commit reaches the records and then reports failure: the process "died"
/// between the durable write and the reply.
#[derive(Clone, Default)]
struct LostReply {
    inner: MemoryStore,
    armed: Arc<AtomicBool>,
}

impl Store for LostReply {
    fn acquire(&self, key: &str) -> Result<Epoch, StoreError> {
        self.inner.acquire(key)
    }
    fn load(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.load(key)
    }
    fn commit(&self, writes: &[Write<'_>]) -> Result<(), StoreError> {
        self.inner.commit(writes)?;
        if self.armed.swap(false, Ordering::SeqCst) {
            return Err(StoreError::Backend("killed after the write (test)".into()));
        }
        Ok(())
    }
}

fn billing(store: impl Store) -> lockstep::persist::Persisted<ExactlyOnce<Billing>> {
    Actor::builder(ExactlyOnce::new(Billing::Open).window(8), Card::default())
        .persist(store, "card")
}

const SHOP: SenderId = SenderId(7);

#[tokio::test]
async fn a_retried_envelope_after_a_lost_reply_is_answered_from_the_record_not_charged_again() {
    let store = LostReply::default();
    let (card, join) = billing(store.clone()).spawn().await.unwrap();
    assert_eq!(card.ask(Envelope::new(SHOP, 0, Pay(100))).await.unwrap(), 1);
    // Number 1 is charged and committed, but its reply is lost with the "crash".
    store.armed.store(true, Ordering::SeqCst);
    let lost = card.ask(Envelope::new(SHOP, 1, Pay(250))).await;
    assert!(
        matches!(lost, Err(AskError::Unrecorded(Unrecorded::Commit(_)))),
        "{lost:?}"
    );
    assert!(join.await.is_err(), "a failed commit stops the actor");

    // The shop, unsure, resends number 1 to the recovered actor: the bookkeeping came back
    // with the charge, so it gets the original receipt and nothing is charged twice.
    let (card, join) = billing(store.clone()).spawn().await.unwrap();
    assert_eq!(card.ask(Envelope::new(SHOP, 1, Pay(250))).await.unwrap(), 2);
    assert_eq!(card.ask(Envelope::new(SHOP, 2, Pay(40))).await.unwrap(), 3);
    drop(card);
    let done = join.await.unwrap();
    assert_eq!(done.context.charged, [100, 250, 40]);
    assert_eq!(done.machine.expected(SHOP), 3);
}

#[tokio::test]
async fn a_resumed_exactly_once_actor_keeps_every_senders_window_and_position() {
    let store = MemoryStore::new();
    let (card, join) = billing(store.clone()).spawn().await.unwrap();
    let other = SenderId(8);
    for seq in 0..3 {
        card.ask(Envelope::new(SHOP, seq, Pay(10))).await.unwrap();
    }
    card.ask(Envelope::new(other, 0, Pay(99))).await.unwrap();
    // A crash: the task is cancelled at its next await, nothing drains.
    join.abort();
    let _ = join.await;

    let (card, join) = billing(store).spawn().await.unwrap();
    // Retries inside the window: the original receipts, in any order.
    assert_eq!(card.ask(Envelope::new(other, 0, Pay(99))).await.unwrap(), 4);
    assert_eq!(card.ask(Envelope::new(SHOP, 1, Pay(10))).await.unwrap(), 2);
    // A number ahead of its turn still waits for its predecessor (Gaps::Wait), which was
    // recorded as applied: number 3 is the next, and runs.
    assert_eq!(card.ask(Envelope::new(SHOP, 3, Pay(5))).await.unwrap(), 5);
    drop(card);
    let done = join.await.unwrap();
    assert_eq!(done.context.charged, [10, 10, 10, 99, 5]);
}

#[tokio::test]
async fn wrapping_a_persisted_machine_in_exactly_once_is_a_migration_not_a_silent_misread() {
    let store = MemoryStore::new();
    let (plain, join) = Actor::builder(Billing::Open, Card::default())
        .persist(store.clone(), "card")
        .spawn()
        .await
        .unwrap();
    // These charges encode, as `(Billing, Card)`, to bytes that also decode whole as an
    // `(ExactlyOnce<Billing>, Card)` with no charges at all.
    for cents in [1, 0, 0] {
        plain.ask(Pay(cents)).await.unwrap();
    }
    drop(plain);
    join.await.unwrap();

    // The wrapper records more than the machine: the same header would be a lie.
    let refused = billing(store.clone()).spawn().await;
    match refused {
        Err(lockstep::persist::PersistError::Incompatible {
            found, expected, ..
        }) => assert_ne!(found.fingerprint, expected.fingerprint),
        Err(other) => panic!("expected Incompatible, got {other}"),
        Ok(_) => panic!("a plain record was read as an ExactlyOnce one"),
    }

    // The migration wraps the old machine; the charges come along.
    let (card, join) = billing(store)
        .migrate(|old| {
            let (machine, card): (Billing, Card) = old.decode()?;
            Ok((ExactlyOnce::new(machine).window(8), card))
        })
        .spawn()
        .await
        .unwrap();
    assert_eq!(card.ask(Envelope::new(SHOP, 0, Pay(9))).await.unwrap(), 4);
    drop(card);
    assert_eq!(join.await.unwrap().context.charged, [1, 0, 0, 9]);
}

// ------------------------------------------------------- the first state's enter hook, exactly

#[derive(Message, Debug)]
#[message(reply = u32)]
pub struct Entered;

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Hooks {
    pub entered: u32,
    /// Panic in the first enter hook. Kept in the context, not in a static, so the tests of this
    /// file (run on parallel threads) cannot take each other's panic.
    #[serde(skip)]
    pub panic_on_enter: bool,
}

#[derive(Machine, Serialize, Deserialize, Debug)]
#[machine(context = Hooks)]
pub enum Lamp {
    #[initial]
    #[enter]
    #[on(Entered)]
    On,
}

impl LampHandlers for Hooks {
    fn enter_on(&mut self) {
        self.entered += 1;
        assert!(
            !std::mem::take(&mut self.panic_on_enter),
            "the first enter fails"
        );
    }
    fn on_on_entered(&mut self, _: Entered) -> u32 {
        self.entered
    }
}

/// Fails every commit from the `nth` (1-based) on, as a process killed before it: nothing of
/// those commits is written.
#[derive(Clone)]
struct DiesAt {
    inner: MemoryStore,
    nth: usize,
    seen: Arc<std::sync::atomic::AtomicUsize>,
}

impl Store for DiesAt {
    fn acquire(&self, key: &str) -> Result<Epoch, StoreError> {
        self.inner.acquire(key)
    }
    fn load(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.load(key)
    }
    fn commit(&self, writes: &[Write<'_>]) -> Result<(), StoreError> {
        if self.seen.fetch_add(1, Ordering::SeqCst) + 1 >= self.nth {
            return Err(StoreError::Backend("killed (test)".into()));
        }
        self.inner.commit(writes)
    }
}

#[tokio::test]
async fn a_crash_at_any_commit_of_the_start_leaves_no_record_or_one_whose_enter_hook_ran() {
    for nth in 1..=3 {
        let store = MemoryStore::new();
        let dying = DiesAt {
            inner: store.clone(),
            nth,
            seen: Arc::default(),
        };
        // Whatever the first life got to (it may fail at spawn, or at its first message) ...
        if let Ok((lamp, join)) = Actor::builder(Lamp::On, Hooks::default())
            .persist(dying, "lamp")
            .spawn()
            .await
        {
            let _ = lamp.ask(Entered).await;
            drop(lamp);
            let _ = join.await;
        }
        // ... the second sees the hook run exactly once: either it was committed, or nothing
        // was and it runs now.
        let (lamp, _join) = Actor::builder(Lamp::On, Hooks::default())
            .persist(store, "lamp")
            .spawn()
            .await
            .unwrap();
        assert_eq!(lamp.ask(Entered).await.unwrap(), 1, "dying at commit {nth}");
    }
}

#[tokio::test]
async fn a_restart_after_the_first_enter_hook_panicked_runs_the_hook_again() {
    let store = MemoryStore::new();
    let failing = Hooks {
        panic_on_enter: true,
        ..Hooks::default()
    };
    let spawned = Actor::builder(Lamp::On, failing)
        .restart(Restart::at_most(3, Duration::from_mins(1)), |_| {
            (Lamp::On, Hooks::default())
        })
        .persist(store.clone(), "lamp")
        .spawn()
        .await;
    let (lamp, _join) = spawned.unwrap();
    // The panicking run was not recorded; the restart entered `On` afresh, as an actor that is
    // not persisted does.
    assert_eq!(
        within("after the restart", lamp.ask(Entered))
            .await
            .unwrap(),
        1
    );
    assert_eq!(lamp.metrics().restarts, 1);
    let (again, _join) = Actor::builder(Lamp::On, Hooks::default())
        .persist(store, "lamp")
        .spawn()
        .await
        .unwrap();
    assert_eq!(again.ask(Entered).await.unwrap(), 1);
}

#[tokio::test]
async fn a_duplicate_too_old_for_the_window_is_not_reported_applied_when_its_batch_was_not_committed()
 {
    let store = MemoryStore::new();
    // Commit 1 is the start; commit 2, the batch below, dies.
    let dying = DiesAt {
        inner: store.clone(),
        nth: 2,
        seen: Arc::default(),
    };
    let (card, _join) = Actor::builder(ExactlyOnce::new(Billing::Open).window(1), Card::default())
        .persist(dying, "card")
        .spawn()
        .await
        .unwrap();
    // One batch: numbers 0 and 1, then a retry of 0, which the window (1) no longer answers.
    let (zero, one, retry) = tokio::join!(
        card.ask(Envelope::new(SHOP, 0, Pay(1))),
        card.ask(Envelope::new(SHOP, 1, Pay(2))),
        card.ask(Envelope::new(SHOP, 0, Pay(1))),
    );
    assert!(matches!(zero, Err(AskError::Unrecorded(_))), "{zero:?}");
    assert!(matches!(one, Err(AskError::Unrecorded(_))), "{one:?}");
    // "Applied, only the reply is gone" would be false: number 0 was never recorded, and a
    // sender that believed it would never resend it.
    assert!(
        matches!(retry, Err(AskError::Unrecorded(_))),
        "the retry must not claim number 0 was applied: {retry:?}"
    );
    let (card, join) = billing(store).spawn().await.unwrap();
    assert_eq!(card.ask(Envelope::new(SHOP, 0, Pay(1))).await.unwrap(), 1);
    drop(card);
    assert_eq!(join.await.unwrap().context.charged, [1]);
}

// ------------------------------------------------------------ a superstate's machine, fingerprinted

#[derive(Message, Debug)]
pub struct Go;

#[derive(Message, Debug)]
pub struct Step;

mod v1 {
    use super::{Go, Step, Sum};
    use lockstep::Machine;

    #[derive(Machine, serde::Serialize, serde::Deserialize)]
    #[machine(context = Sum)]
    pub enum Job {
        #[initial]
        #[on(Go => Running)]
        Idle,
        #[substates(Step)]
        Running(Phase),
    }

    #[derive(Machine, serde::Serialize, serde::Deserialize)]
    #[machine(context = Sum)]
    pub enum Phase {
        #[initial]
        #[on(Step => Checking)]
        Loading,
        Checking,
    }

    impl JobHandlers for Sum {
        fn idle_on_go(&mut self, _: Go) -> Phase {
            Phase::Loading
        }
    }
    impl PhaseHandlers for Sum {}
}

mod v2 {
    use super::{Go, Step, Sum};
    use lockstep::Machine;

    #[derive(Machine, serde::Serialize, serde::Deserialize)]
    #[machine(context = Sum)]
    pub enum Job {
        #[initial]
        #[on(Go => Running)]
        Idle,
        #[substates(Step)]
        Running(Phase),
    }

    /// The substates reordered: a stored `Loading` (variant 0) would read as `Checking`.
    #[derive(Machine, serde::Serialize, serde::Deserialize)]
    #[machine(context = Sum)]
    pub enum Phase {
        Checking,
        #[initial]
        #[on(Step => Checking)]
        Loading,
    }

    impl JobHandlers for Sum {
        fn idle_on_go(&mut self, _: Go) -> Phase {
            Phase::Loading
        }
    }
    impl PhaseHandlers for Sum {}
}

#[test]
fn reordering_a_superstates_substates_changes_the_spec_fingerprint() {
    use lockstep::persist::fingerprint;
    // The outer states are the same; what a record of `Running(..)` means is not.
    assert_ne!(fingerprint::<v1::Job>(), fingerprint::<v2::Job>());
    // A flat machine's fingerprint is its state names alone, as before.
    assert_eq!(
        fingerprint::<v1::Phase>(),
        fingerprint_of(&["Loading", "Checking"])
    );
}

/// FNV-1a over the names, each followed by 0xff: the documented flat fingerprint.
fn fingerprint_of(names: &[&str]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for name in names {
        for &byte in name.as_bytes().iter().chain(&[0xff]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

// ------------------------------------------------------------ a store that panics on a restart

/// Panics on `load` once armed: a custom backend with a bug.
#[derive(Clone, Default)]
struct PanicsOnLoad {
    inner: MemoryStore,
    armed: Arc<AtomicBool>,
}

impl Store for PanicsOnLoad {
    fn acquire(&self, key: &str) -> Result<Epoch, StoreError> {
        self.inner.acquire(key)
    }
    fn load(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        assert!(
            !self.armed.load(Ordering::SeqCst),
            "the backend's load panicked"
        );
        self.inner.load(key)
    }
    fn commit(&self, writes: &[Write<'_>]) -> Result<(), StoreError> {
        self.inner.commit(writes)
    }
}

#[tokio::test]
async fn a_store_that_panics_while_reloading_for_a_restart_ends_the_actor_with_a_typed_failure() {
    let store = PanicsOnLoad::default();
    let (gate, join) = Actor::builder(Gate::Open, Sum::default())
        .restart(Restart::at_most(3, Duration::from_mins(1)), |_| {
            (Gate::Open, Sum::default())
        })
        .persist(store.clone(), "g")
        .spawn()
        .await
        .unwrap();
    assert_eq!(gate.ask(Add(1)).await.unwrap(), 1);
    store.armed.store(true, Ordering::SeqCst);
    // `Boom` panics in `Held`; the restart's reload panics in the store; the `Add` queued
    // behind them must come back with its message, not vanish with a panicking task.
    let (told, boom, queued) = tokio::join!(gate.tell(Hold), gate.ask(Boom), gate.ask(Add(2)));
    told.unwrap();
    assert!(matches!(boom, Err(AskError::Panicked(_))), "{boom:?}");
    assert!(
        matches!(
            queued,
            Err(AskError::Stopped {
                message: Some(Add(2)),
                ..
            })
        ),
        "{queued:?}"
    );
    match join.await {
        Err(lockstep::actor::Failed::Panicked { panic, .. }) => {
            assert!(panic.payload.contains("load panicked"), "{}", panic.payload);
        }
        other => panic!("expected a typed failure, got {other:?}"),
    }
}
