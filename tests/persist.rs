//! Persisted actors: resume, group commit, failed commits, fencing, versioned records,
//! migration, damaged records, panics inside a batch.
#![cfg(feature = "persist")]
#![allow(missing_docs)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use lockstep::actor::{Actor, AskError, Failed, Restart, StopCause, Unrecorded};
use lockstep::persist::{
    Damage, Epoch, LogStore, MemoryStore, PersistError, RecordHeader, RedbStore, Store, StoreError,
    Write, fingerprint, read_header,
};
use lockstep::{Machine, Message};
use serde::{Deserialize, Serialize};

#[derive(Message, Debug)]
#[message(reply = u64)]
pub struct Deposit(pub u64);

#[derive(Message, Debug)]
#[message(reply = u64)]
pub struct Withdraw(pub u64);

#[derive(Message, Debug)]
pub struct Freeze;

#[derive(Message, Debug)]
pub struct Boom;

/// The context: the balance, and how often the enter hook of `Open` ran.
#[derive(Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Books {
    pub balance: u64,
    pub entered: u32,
}

#[derive(Machine, Serialize, Deserialize, Debug, PartialEq, Eq)]
#[machine(context = Books)]
pub enum Account {
    #[initial]
    #[enter]
    #[on(Deposit)]
    #[on(Withdraw)]
    #[on(Freeze => Frozen)]
    #[on(Boom)]
    Open,
    #[on(Deposit)]
    Frozen,
}

impl AccountHandlers for Books {
    fn enter_open(&mut self) {
        self.entered += 1;
    }
    fn open_on_deposit(&mut self, d: Deposit) -> u64 {
        self.balance += d.0;
        self.balance
    }
    fn open_on_withdraw(&mut self, w: Withdraw) -> u64 {
        self.balance -= w.0.min(self.balance);
        self.balance
    }
    fn open_on_boom(&mut self, _: Boom) {
        panic!("boom");
    }
    fn frozen_on_deposit(&mut self, d: Deposit) -> u64 {
        self.balance += d.0;
        self.balance
    }
}

fn account(store: impl Store, key: &str) -> lockstep::persist::Persisted<Account> {
    Actor::builder(Account::Open, Books::default()).persist(store, key)
}

/// A store that counts commits and can be told to fail them.
#[derive(Clone, Default)]
struct Probe {
    inner: MemoryStore,
    commits: Arc<AtomicUsize>,
    records: Arc<AtomicUsize>,
    fail_after: Arc<AtomicUsize>,
}

impl Probe {
    fn failing_after(commits: usize) -> Self {
        let probe = Probe::default();
        probe.fail_after.store(commits, Ordering::SeqCst);
        probe
    }
}

impl Store for Probe {
    fn acquire(&self, key: &str) -> Result<Epoch, StoreError> {
        self.inner.acquire(key)
    }
    fn load(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.load(key)
    }
    fn commit(&self, writes: &[Write<'_>]) -> Result<(), StoreError> {
        let done = self.commits.fetch_add(1, Ordering::SeqCst);
        let limit = self.fail_after.load(Ordering::SeqCst);
        if limit != 0 && done >= limit {
            return Err(StoreError::Backend("disk full (test)".into()));
        }
        self.records.fetch_add(writes.len(), Ordering::SeqCst);
        // Slow enough that senders queue up behind a commit, as behind an fsync.
        std::thread::sleep(Duration::from_millis(2));
        self.inner.commit(writes)
    }
}

async fn a_new_key_starts_from_the_builder_and_a_known_key_resumes(store: Arc<dyn Store>) {
    let (acct, join) = account(store.clone(), "a").spawn().await.unwrap();
    assert_eq!(acct.ask(Deposit(10)).await.unwrap(), 10);
    assert_eq!(acct.ask(Withdraw(3)).await.unwrap(), 7);
    drop(acct);
    let last = join.await.unwrap();
    assert_eq!(last.context.entered, 1);

    // The builder's state and context are ignored: the store has the key.
    let (acct, join) = Actor::builder(
        Account::Frozen,
        Books {
            balance: 999,
            entered: 0,
        },
    )
    .persist(store.clone(), "a")
    .spawn()
    .await
    .unwrap();
    assert_eq!(
        acct.state().await.map(lockstep::StateId::index),
        Some(0),
        "resumed in Open"
    );
    assert_eq!(acct.ask(Deposit(1)).await.unwrap(), 8);
    drop(acct);
    let last = join.await.unwrap();
    // The enter hook ran when `Open` was entered, not again on resume.
    assert_eq!(
        last.context,
        Books {
            balance: 8,
            entered: 1
        }
    );

    // Other keys are other actors.
    let (other, _) = account(store, "b").spawn().await.unwrap();
    assert_eq!(other.ask(Deposit(1)).await.unwrap(), 1);
}

async fn an_acknowledged_reply_is_already_in_the_store(store: Arc<dyn Store>) {
    let (acct, _) = account(store.clone(), "a").spawn().await.unwrap();
    for n in 1..=20u64 {
        acct.ask(Deposit(1)).await.unwrap();
        // Read behind the actor's back: the record already says `n`.
        let bytes = store.load("a").unwrap().expect("a record");
        let (header, payload) = split(&bytes);
        assert_eq!(header, RecordHeader::of::<Account>(0));
        let (state, books): (Account, Books) = postcard_decode(payload);
        assert_eq!((state, books.balance), (Account::Open, n));
    }
}

/// The payload of a record, for the test that looks inside (the frame is documented).
fn split(bytes: &[u8]) -> (RecordHeader, &[u8]) {
    let header = read_header(bytes).unwrap();
    let name = header.machine.len();
    let key_at = 4 + 2 + 4 + 8 + 2 + name;
    let key_len = u16::from_le_bytes([bytes[key_at], bytes[key_at + 1]]) as usize;
    let len_at = key_at + 2 + key_len;
    let len = u32::from_le_bytes(bytes[len_at..len_at + 4].try_into().unwrap()) as usize;
    (header, &bytes[len_at + 4..len_at + 4 + len])
}

fn postcard_decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> T {
    lockstep::persist::OldRecord {
        header: &RecordHeader::of::<Account>(0),
        payload: bytes,
    }
    .decode()
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_askers_share_commits_and_each_gets_its_own_reply() {
    let probe = Probe::default();
    let (acct, join) = account(probe.clone(), "a").spawn().await.unwrap();
    let before = probe.commits.load(Ordering::SeqCst);
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let acct = acct.clone();
        tasks.push(tokio::spawn(async move {
            let mut replies = Vec::new();
            for _ in 0..20 {
                replies.push(acct.ask(Deposit(1)).await.unwrap());
            }
            replies
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        let replies = task.await.unwrap();
        assert!(replies.windows(2).all(|w| w[0] < w[1]), "{replies:?}");
        all.extend(replies);
    }
    all.sort_unstable();
    assert_eq!(
        all,
        (1..=320).collect::<Vec<u64>>(),
        "each deposit ran once"
    );
    let commits = probe.commits.load(Ordering::SeqCst) - before;
    assert!(
        commits < 320 / 2,
        "{commits} commits for 320 messages from 16 concurrent askers: no group commit"
    );
    drop(acct);
    assert_eq!(join.await.unwrap().context.balance, 320);
}

#[tokio::test]
async fn max_batch_one_commits_every_message() {
    let probe = Probe::default();
    let (acct, _) = account(probe.clone(), "a")
        .max_batch(1)
        .spawn()
        .await
        .unwrap();
    // Past the start-up commit (the first record, after the enter hook).
    assert_eq!(acct.ask(Deposit(0)).await.unwrap(), 0);
    let before = probe.commits.load(Ordering::SeqCst);
    for _ in 0..5 {
        acct.tell(Deposit(1)).await.unwrap();
    }
    assert_eq!(acct.ask(Deposit(1)).await.unwrap(), 6);
    assert_eq!(probe.commits.load(Ordering::SeqCst) - before, 6);
}

#[tokio::test]
async fn a_failed_commit_withholds_the_reply_stops_the_actor_and_the_store_keeps_the_last_commit() {
    // Commit 1 is the new key's first record (made after the enter hook), 2 the first deposit;
    // the third fails.
    let probe = Probe::failing_after(2);
    let (acct, join) = account(probe.clone(), "a").spawn().await.unwrap();
    assert_eq!(acct.ask(Deposit(5)).await.unwrap(), 5);
    match acct.ask(Deposit(7)).await {
        Err(AskError::Unrecorded(Unrecorded::Commit(error))) => {
            assert!(error.to_string().contains("disk full"), "{error}");
        }
        other => panic!("expected Unrecorded, got {other:?}"),
    }
    // Stopped: later messages are handed back, not run on a memory ahead of the disk.
    match acct.ask(Deposit(9)).await {
        Err(AskError::Stopped {
            message: Some(Deposit(9)),
            cause: StopCause::Unrecorded(_),
        }) => {}
        other => panic!("expected Stopped with the message, got {other:?}"),
    }
    assert!(matches!(
        join.await,
        Err(Failed::Unrecorded(Unrecorded::Commit(_)))
    ));

    // Respawned, it resumes from the last commit: the 7 was never acknowledged and is not there.
    probe.fail_after.store(0, Ordering::SeqCst);
    let (acct, _) = account(probe, "a").spawn().await.unwrap();
    assert_eq!(acct.ask(Deposit(0)).await.unwrap(), 5);
}

async fn a_second_owner_of_a_key_fences_the_first_off(store: Arc<dyn Store>) {
    let (first, first_join) = account(store.clone(), "a").spawn().await.unwrap();
    assert_eq!(first.ask(Deposit(1)).await.unwrap(), 1);
    let (second, _) = account(store.clone(), "a").spawn().await.unwrap();
    match first.ask(Deposit(100)).await {
        Err(AskError::Unrecorded(Unrecorded::Commit(error))) => {
            assert!(
                matches!(
                    *error,
                    StoreError::Fenced {
                        held: Epoch(1),
                        current: Epoch(2),
                        ..
                    }
                ),
                "{error:?}"
            );
        }
        other => panic!("expected the first owner fenced off, got {other:?}"),
    }
    assert!(matches!(first_join.await, Err(Failed::Unrecorded(_))));
    // The fenced write never reached the store.
    assert_eq!(second.ask(Deposit(1)).await.unwrap(), 2);
}

async fn a_panic_in_a_batch_abandons_the_batch_and_a_restart_reloads_the_last_commit(
    store: Arc<dyn Store>,
) {
    let (acct, _) = Actor::builder(Account::Open, Books::default())
        .restart(Restart::at_most(3, Duration::from_mins(1)), |_| {
            (
                Account::Frozen,
                Books {
                    balance: 12345,
                    entered: 0,
                },
            )
        })
        .persist(store.clone(), "a")
        .spawn()
        .await
        .unwrap();
    assert_eq!(acct.ask(Deposit(10)).await.unwrap(), 10);
    // One batch: a deposit, then a panic. The deposit ran, but the batch is not committed.
    let (a, b) = tokio::join!(acct.ask(Deposit(5)), acct.ask(Boom));
    match (a, b) {
        (Err(AskError::Unrecorded(Unrecorded::Abandoned(panic))), Err(AskError::Panicked(_))) => {
            assert_eq!(panic.message, "Boom");
        }
        // The two may land in separate batches: then the deposit was committed and answered.
        (Ok(15), Err(AskError::Panicked(_))) => {}
        other => panic!("unexpected {other:?}"),
    }
    // The restart reloaded the store, not the factory's 12345 / Frozen.
    let balance = acct.ask(Deposit(0)).await.unwrap();
    assert!(balance == 10 || balance == 15, "{balance}");
    assert_eq!(acct.state().await.map(lockstep::StateId::index), Some(0));
    assert_eq!(acct.metrics().restarts, 1);
}

async fn a_deterministic_abandoned_batch(store: Arc<dyn Store>) {
    let (acct, _) = Actor::builder(Account::Open, Books::default())
        .restart(Restart::at_most(3, Duration::from_mins(1)), |_| {
            (Account::Open, Books::default())
        })
        .persist(store.clone(), "a")
        .spawn()
        .await
        .unwrap();
    acct.ask(Deposit(10)).await.unwrap();
    // Queued before the actor looks (current-thread runtime: it runs only when this task
    // waits), so the three share one batch.
    let tell = acct.tell(Deposit(1));
    let (told, deposit, boom) = tokio::join!(tell, acct.ask(Deposit(5)), acct.ask(Boom));
    told.unwrap();
    assert!(
        matches!(deposit, Err(AskError::Unrecorded(Unrecorded::Abandoned(_)))),
        "{deposit:?}"
    );
    assert!(matches!(boom, Err(AskError::Panicked(_))), "{boom:?}");
    assert_eq!(
        acct.ask(Deposit(0)).await.unwrap(),
        10,
        "nothing of the batch is kept"
    );
}

async fn a_record_of_another_spec_is_refused_without_a_migration(store: Arc<dyn Store>) {
    let (old, _) = Actor::builder(v1::Account::Open, 3u64)
        .persist(store.clone(), "a")
        .spawn()
        .await
        .unwrap();
    old.ask(v1::Deposit(4)).await.unwrap();
    old.stop().await;

    match account(store.clone(), "a").spawn().await {
        Err(PersistError::Incompatible {
            found, expected, ..
        }) => {
            assert_eq!(found.fingerprint, fingerprint::<v1::Account>());
            assert_eq!(expected.fingerprint, fingerprint::<Account>());
            assert_ne!(found.fingerprint, expected.fingerprint);
        }
        other => panic!("expected Incompatible, got {:?}", other.map(|_| ())),
    }

    // A migration hook reads the old record as the old types and upgrades it.
    let (acct, join) = account(store.clone(), "a")
        .migrate(|old| {
            assert_eq!(old.header.machine, "Account");
            let (state, balance): (v1::Account, u64) = old.decode()?;
            let v1::Account::Open = state;
            Ok((
                Account::Open,
                Books {
                    balance,
                    entered: 1,
                },
            ))
        })
        .spawn()
        .await
        .unwrap();
    assert_eq!(acct.ask(Deposit(1)).await.unwrap(), 8);
    drop(acct);
    join.await.unwrap();
    // The upgraded record was committed: a spawn without the hook now reads it.
    let (acct, _) = account(store, "a").spawn().await.unwrap();
    assert_eq!(acct.ask(Deposit(0)).await.unwrap(), 8);
}

async fn a_new_schema_version_goes_through_the_migration_hook(store: Arc<dyn Store>) {
    let (acct, _) = account(store.clone(), "a").spawn().await.unwrap();
    acct.ask(Deposit(2)).await.unwrap();
    acct.stop().await;
    match account(store.clone(), "a").schema(2).spawn().await {
        Err(PersistError::Incompatible {
            found, expected, ..
        }) => {
            assert_eq!((found.schema, expected.schema), (0, 2));
        }
        other => panic!("expected Incompatible, got {:?}", other.map(|_| ())),
    }
    match account(store.clone(), "a")
        .schema(2)
        .migrate(|_| Err("no path from schema 0".into()))
        .spawn()
        .await
    {
        Err(PersistError::Migration { reason, .. }) => assert_eq!(reason, "no path from schema 0"),
        other => panic!("expected Migration, got {:?}", other.map(|_| ())),
    }
    let (acct, _) = account(store.clone(), "a")
        .schema(2)
        .migrate(|old| {
            assert_eq!(old.header.schema, 0);
            let (state, mut books): (Account, Books) = old.decode()?;
            books.balance *= 100; // schema 2 counts cents
            Ok((state, books))
        })
        .spawn()
        .await
        .unwrap();
    assert_eq!(acct.ask(Deposit(0)).await.unwrap(), 200);
}

async fn a_record_whose_payload_no_longer_decodes_is_a_typed_error(store: Arc<dyn Store>) {
    // Same machine name and states, but a context of another type and the same schema.
    let (acct, _) = Actor::builder(v2::Account::Open, String::from("not a Books"))
        .persist(store.clone(), "a")
        .spawn()
        .await
        .unwrap();
    acct.stop().await;
    assert_eq!(fingerprint::<v2::Account>(), fingerprint::<Account>());
    match account(store, "a").spawn().await {
        Err(PersistError::Decode { key, .. }) => assert_eq!(key, "a"),
        other => panic!("expected Decode, got {:?}", other.map(|_| ())),
    }
}

async fn a_damaged_record_is_reported_and_the_other_keys_are_untouched(store: Arc<dyn Store>) {
    for key in ["a", "b"] {
        let (acct, _) = account(store.clone(), key).spawn().await.unwrap();
        acct.ask(Deposit(1)).await.unwrap();
        acct.stop().await;
    }
    let mut bytes = store.load("a").unwrap().unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x10;
    let epoch = store.acquire("a").unwrap();
    store
        .commit(&[Write {
            key: "a",
            epoch,
            record: &bytes,
        }])
        .unwrap();
    match account(store.clone(), "a").spawn().await {
        Err(PersistError::Damaged {
            key,
            damage: Damage::Checksum { .. },
        }) => assert_eq!(key, "a"),
        other => panic!("expected a checksum error, got {:?}", other.map(|_| ())),
    }
    // Truncated.
    let epoch = store.acquire("a").unwrap();
    store
        .commit(&[Write {
            key: "a",
            epoch,
            record: &bytes[..bytes.len() - 3],
        }])
        .unwrap();
    assert!(matches!(
        account(store.clone(), "a").spawn().await,
        Err(PersistError::Damaged { .. })
    ));
    // A sound record filed under the wrong key is refused, not adopted.
    let b = store.load("b").unwrap().unwrap();
    let epoch = store.acquire("a").unwrap();
    store
        .commit(&[Write {
            key: "a",
            epoch,
            record: &b,
        }])
        .unwrap();
    match account(store.clone(), "a").spawn().await {
        Err(PersistError::Damaged {
            damage: Damage::WrongKey { found },
            ..
        }) => assert_eq!(found, "b"),
        other => panic!("expected WrongKey, got {:?}", other.map(|_| ())),
    }
    let (b, _) = account(store, "b").spawn().await.unwrap();
    assert_eq!(b.ask(Deposit(0)).await.unwrap(), 1);
}

#[tokio::test]
async fn the_redb_store_resumes_across_reopening_the_file() {
    let dir = tempdir("reopen");
    let path = dir.join("store.redb");
    {
        let store = RedbStore::open(&path).unwrap();
        let (acct, join) = account(store.clone(), "a").spawn().await.unwrap();
        assert_eq!(acct.ask(Deposit(41)).await.unwrap(), 41);
        drop(acct);
        join.await.unwrap();
        // redb locks the file: a second open in this process fails with a typed error.
        assert!(matches!(
            RedbStore::open(&path),
            Err(StoreError::Backend(_))
        ));
    }
    let store = RedbStore::open(&path).unwrap();
    let (acct, _) = account(store.clone(), "a").spawn().await.unwrap();
    assert_eq!(acct.ask(Deposit(1)).await.unwrap(), 42);
    // Fencing holds in redb too.
    let (_second, _) = account(store, "a").spawn().await.unwrap();
    assert!(matches!(
        acct.ask(Deposit(1)).await,
        Err(AskError::Unrecorded(Unrecorded::Commit(_)))
    ));
    let _ = std::fs::remove_dir_all(dir);
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("persist-{name}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The account as it was before `Frozen` was added: another spec fingerprint.
mod v1 {
    use lockstep::{Machine, Message};
    use serde::{Deserialize, Serialize};

    #[derive(Message)]
    #[message(reply = u64)]
    pub struct Deposit(pub u64);

    #[derive(Machine, Serialize, Deserialize)]
    #[machine(context = u64)]
    pub enum Account {
        #[initial]
        #[on(Deposit)]
        Open,
    }

    impl AccountHandlers for u64 {
        fn open_on_deposit(&mut self, d: Deposit) -> u64 {
            *self += d.0;
            *self
        }
    }
}

/// Same name and states as the account, another context type.
mod v2 {
    use lockstep::{Machine, Message};
    use serde::{Deserialize, Serialize};

    #[derive(Message)]
    pub struct Poke;

    #[derive(Machine, Serialize, Deserialize)]
    #[machine(context = String)]
    pub enum Account {
        #[initial]
        #[on(Poke => Frozen)]
        Open,
        #[on(Poke)]
        Frozen,
    }

    impl AccountHandlers for String {}
}

/// A booth whose `Paid` state times out back to `Idle`.
mod booth {
    use lockstep::{Machine, Message, Timeout};
    use serde::{Deserialize, Serialize};

    #[derive(Message)]
    pub struct Pay;

    #[derive(Default, Serialize, Deserialize)]
    pub struct Trail {
        pub entered_paid: u32,
        pub timed_out: u32,
    }

    #[derive(Machine, Serialize, Deserialize)]
    #[machine(context = Trail)]
    pub enum Booth {
        #[initial]
        #[on(Pay => Paid)]
        Idle,
        #[enter]
        #[timeout(100ms => Idle)]
        Paid,
    }

    impl BoothHandlers for Trail {
        fn enter_paid(&mut self) {
            self.entered_paid += 1;
        }
        fn paid_on_timeout(&mut self, _: Timeout) {
            self.timed_out += 1;
        }
    }
}

async fn a_resumed_state_arms_its_timeout_afresh_and_the_timeout_is_committed(
    store: Arc<dyn Store>,
) {
    use booth::{Booth, Pay, Trail};
    let (first, _) = Actor::builder(Booth::Idle, Trail::default())
        .persist(store.clone(), "booth")
        .spawn()
        .await
        .unwrap();
    first.ask(Pay).await.unwrap();
    // Gone before its timeout: the record says `Paid`.
    first.stop().await;
    drop(first);

    let (booth, join) = Actor::builder(Booth::Idle, Trail::default())
        .persist(store.clone(), "booth")
        .spawn()
        .await
        .unwrap();
    assert_eq!(
        booth.state().await,
        Some(lockstep::StateId(1)),
        "resumed in Paid"
    );
    // The timer was armed on resuming: the booth goes back to `Idle` by itself.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while booth.state().await != Some(lockstep::StateId(0)) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the resumed timeout never fired"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(booth);
    let last = join.await.unwrap();
    // Entered once (not again on resume), timed out once.
    assert_eq!((last.context.entered_paid, last.context.timed_out), (1, 1));
    // And the timeout's move was committed like a message's.
    let (again, _) = Actor::builder(Booth::Paid, Trail::default())
        .persist(store, "booth")
        .spawn()
        .await
        .unwrap();
    assert_eq!(again.state().await, Some(lockstep::StateId(0)));
}

/// The store contract tests above, run against every store: each store gets a module with one
/// `#[tokio::test]` per contract test, over a fresh store of its kind.
macro_rules! against {
    ($module:ident, $fresh:expr, [$($name:ident),* $(,)?]) => {
        mod $module {
            use super::*;
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($fresh).await;
                }
            )*
        }
    };
}

macro_rules! against_every_store {
    ($names:tt) => {
        against!(memory, Arc::new(MemoryStore::new()), $names);
        against!(
            redb,
            Arc::new(RedbStore::open(fresh_file("redb")).unwrap()),
            $names
        );
        against!(
            log,
            Arc::new(LogStore::open(fresh_file("log")).unwrap()),
            $names
        );
    };
}

against_every_store!([
    a_new_key_starts_from_the_builder_and_a_known_key_resumes,
    an_acknowledged_reply_is_already_in_the_store,
    a_second_owner_of_a_key_fences_the_first_off,
    a_panic_in_a_batch_abandons_the_batch_and_a_restart_reloads_the_last_commit,
    a_deterministic_abandoned_batch,
    a_record_of_another_spec_is_refused_without_a_migration,
    a_new_schema_version_goes_through_the_migration_hook,
    a_record_whose_payload_no_longer_decodes_is_a_typed_error,
    a_damaged_record_is_reported_and_the_other_keys_are_untouched,
    a_resumed_state_arms_its_timeout_afresh_and_the_timeout_is_committed,
]);

/// A path in a directory of its own, for one store file.
fn fresh_file(kind: &str) -> std::path::PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    tempdir(&format!("{kind}-{}", NEXT.fetch_add(1, Ordering::SeqCst))).join("store")
}
