//! Persisted actors against the disk's own limit.
//!
//! - fsync bound: one small write (64 bytes, in place) and `fsync` of a file in the same
//!   directory as the store, repeated; its inverse is the most single commits a second any store
//!   can make. (`fdatasync`, which redb calls, is measured beside it for the explanation.)
//! - single: one sender, ask after ask: every message is its own commit.
//! - batched: 16 senders asking concurrently: messages that meet in the mailbox share a commit.
//!
//! Every store is measured in the same run, side by side, each as a ratio to the fsync bound:
//! [`RedbStore`], [`LogStore`] (zero-filled preallocation, the default) and `LogStore` grown by
//! `set_len` alone (holes). Each lives in a fresh directory under the build's target directory
//! (on the disk, not a tmpfs). Each figure is the median of `ROUNDS` rounds. The runtime is a multi-thread
//! tokio runtime with 2 workers; commits run on its blocking pool.
//!
//! Run it: `cargo bench -p lockstep-benches --bench persist`. It ends with
//! `RESULT persist fsync_bound_per_s=F msgs_per_s_single=S single_vs_bound=S/F
//! msgs_per_s_batched=B batch_gain=B/S commit_p99_us=P store=NAME ...` (one line) for the
//! default store NAME, where P is the 99th percentile of one ask's round trip in the single run
//! (encode, commit, fsync, reply), followed by every store's `single_vs_bound`.

// Counts and byte patterns: small numbers, far from where the casts lose anything.
#![allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]

use std::fs::OpenOptions;
use std::io::{Seek, SeekFrom, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lockstep::actor::Actor;
use lockstep::persist::{LogOptions, LogStore, RedbStore, Store, Write};
use lockstep::{Machine, Message};
use serde::{Deserialize, Serialize};

/// Fsyncs, raw commits and single asks, one of each in turn: the disk is shared with other
/// work and its speed drifts; interleaving makes all of them see the same disk.
const CHUNKS: usize = 20;
const PER_CHUNK: usize = 100;
const SENDERS: usize = 16;
const PER_SENDER: usize = 400;
/// Asks each batched sender keeps in flight: 1 (ask after ask) and a pipelining sender.
const WINDOWS: [usize; 2] = [1, 4];

/// Adds to the balance; replies the new balance.
#[derive(Message)]
#[message(reply = u64)]
pub struct Deposit(pub u64);

/// An account: one state, the balance in the context.
#[derive(Machine, Serialize, Deserialize)]
#[machine(context = u64)]
pub enum Account {
    /// Takes deposits.
    #[initial]
    #[on(Deposit)]
    Open,
}

impl AccountHandlers for u64 {
    fn open_on_deposit(&mut self, deposit: Deposit) -> u64 {
        *self += deposit.0;
        *self
    }
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort_unstable();
    values[values.len() / 2]
}

fn percentile(mut values: Vec<Duration>, pct: usize) -> Duration {
    values.sort_unstable();
    values[(values.len() * pct / 100).min(values.len() - 1)]
}

fn per_second(each: Duration) -> f64 {
    1.0 / each.as_secs_f64()
}

/// A 4 KiB file to overwrite in place, as a commit overwrites pages.
fn sync_file(dir: &Path) -> std::fs::File {
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(dir.join("fsync.bin"))
        .expect("a file to sync");
    file.write_all(&[0u8; 4096]).unwrap();
    file.sync_all().unwrap();
    file
}

/// One small write in place and a sync: how long it took.
fn sync_once(file: &mut std::fs::File, i: usize, data_only: bool) -> Duration {
    let started = Instant::now();
    file.seek(SeekFrom::Start(0)).unwrap();
    file.write_all(&[i as u8; 64]).unwrap();
    if data_only {
        file.sync_data().unwrap();
    } else {
        file.sync_all().unwrap();
    }
    started.elapsed()
}

/// Five 4 KiB pages written at scattered offsets of a 1 MiB file, then one `fdatasync`: what a
/// redb commit hands the disk (it writes about 20 KiB per commit).
fn sync_pages(file: &mut std::fs::File, i: usize) -> Duration {
    let started = Instant::now();
    for page in [0u64, 37, 101, 163, 229] {
        file.seek(SeekFrom::Start(page * 4096)).unwrap();
        file.write_all(&[i as u8; 4096]).unwrap();
    }
    file.sync_data().unwrap();
    started.elapsed()
}

/// The stores compared; the first is lockstep's default.
const STORES: [&str; 3] = ["log", "redb", "log_set_len"];

fn open(dir: &Path, kind: &str, name: &str) -> Arc<dyn Store> {
    let path = dir.join(format!("{name}.{kind}"));
    match kind {
        "redb" => Arc::new(RedbStore::open(path).unwrap()),
        "log" => Arc::new(LogStore::open(path).unwrap()),
        "log_set_len" => {
            Arc::new(LogStore::open_with(path, LogOptions::new().zero_fill(false)).unwrap())
        }
        other => unreachable!("no store {other}"),
    }
}

/// A persisted account in its own store file, past its start-up commits.
async fn account(
    dir: &Path,
    kind: &str,
    name: &str,
) -> (Actor<Account>, lockstep::actor::Join<Account>) {
    let store = open(dir, kind, name);
    let (account, join) = Actor::builder(Account::Open, 0)
        .persist(store, name)
        .spawn()
        .await
        .unwrap();
    account.ask(Deposit(0)).await.unwrap();
    (account, join)
}

/// `SENDERS` concurrent senders, each with `window` asks in flight: messages per second.
async fn batched(dir: &Path, kind: &str, window: usize) -> f64 {
    let (account, join) = account(dir, kind, &format!("batched-{window}")).await;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..SENDERS {
        let account = account.clone();
        tasks.push(tokio::spawn(async move {
            let mut in_flight = tokio::task::JoinSet::new();
            for sent in 0..PER_SENDER {
                if sent >= window {
                    in_flight.join_next().await.unwrap().unwrap();
                }
                let account = account.clone();
                in_flight.spawn(async move { account.ask(Deposit(1)).await.unwrap() });
            }
            while let Some(done) = in_flight.join_next().await {
                done.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let rate = (SENDERS * PER_SENDER) as f64 / started.elapsed().as_secs_f64();
    assert_eq!(
        account.ask(Deposit(0)).await.unwrap(),
        (SENDERS * PER_SENDER) as u64
    );
    drop(account);
    join.await.unwrap();
    rate
}

/// The bytes this process has passed to write calls so far (Linux `/proc/self/io`).
fn written_bytes() -> Option<u64> {
    let io = std::fs::read_to_string("/proc/self/io").ok()?;
    io.lines()
        .find_map(|line| line.strip_prefix("wchar: "))
        .and_then(|n| n.trim().parse().ok())
}

fn workdir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("persist-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

// One run, read top to bottom: the interleaved loop and the report belong together.
#[allow(clippy::too_many_lines)]
fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = workdir();
    println!("store directory: {}", dir.display());
    let mut file = sync_file(&dir);
    let mut pages_file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(dir.join("pages.bin"))
        .unwrap();
    pages_file.write_all(&vec![0u8; 1 << 20]).unwrap();
    pages_file.sync_all().unwrap();
    let mut page_syncs = Vec::new();
    let mut singles: Vec<_> = STORES
        .iter()
        .map(|kind| runtime.block_on(account(&dir, kind, "single")))
        .collect();
    let (mut fsyncs, mut datasyncs) = (Vec::new(), Vec::new());
    let mut asks = vec![Vec::new(); STORES.len()];
    let mut single_time = vec![Duration::ZERO; STORES.len()];
    // The stores alone, without the actor: where a commit's time goes.
    let raws: Vec<_> = STORES
        .iter()
        .map(|kind| {
            let raw = open(&dir, kind, "raw");
            let epoch = raw.acquire("raw").unwrap();
            (raw, epoch)
        })
        .collect();
    let mut raw_commits = vec![Vec::new(); STORES.len()];
    let mut fsync_time = Duration::ZERO;
    let mut expected = 0u64;
    // One of each in turn, so that all of them meet the same disk.
    for i in 0..CHUNKS * PER_CHUNK {
        let took = sync_once(&mut file, i, false);
        fsync_time += took;
        fsyncs.push(took);
        datasyncs.push(sync_once(&mut file, i, true));
        page_syncs.push(sync_pages(&mut pages_file, i));
        let record = [i as u8; 60];
        for (s, (raw, epoch)) in raws.iter().enumerate() {
            let started = Instant::now();
            raw.commit(&[Write {
                key: "raw",
                epoch: *epoch,
                record: &record,
            }])
            .unwrap();
            raw_commits[s].push(started.elapsed());
        }
        expected += 1;
        for (s, (single, _)) in singles.iter().enumerate() {
            let started = Instant::now();
            let balance = runtime.block_on(single.ask(Deposit(1))).unwrap();
            assert_eq!(balance, expected);
            let took = started.elapsed();
            single_time[s] += took;
            asks[s].push(took);
        }
        if i % 500 == 499 {
            let medians: Vec<String> = STORES
                .iter()
                .zip(&asks)
                .map(|(kind, asks)| format!("{kind} {} us", median(asks.clone()).as_micros()))
                .collect();
            println!(
                "after {}: fsync median {} us, ask medians: {}",
                i + 1,
                median(fsyncs.clone()).as_micros(),
                medians.join(", ")
            );
        }
    }
    for (single, join) in singles.drain(..) {
        drop(single);
        runtime.block_on(join).unwrap();
    }

    let fsync_median = median(fsyncs.clone());
    let bound = per_second(fsync_median);
    let n = (CHUNKS * PER_CHUNK) as f64;
    println!(
        "fsync: median {} us, p99 {} us, {:.0}/s by total time; fdatasync: median {} us",
        fsync_median.as_micros(),
        percentile(fsyncs, 99).as_micros(),
        n / fsync_time.as_secs_f64(),
        median(datasyncs).as_micros()
    );
    println!(
        "five scattered 4 KiB pages + fdatasync: median {} us",
        median(page_syncs).as_micros()
    );
    let mut results = Vec::new();
    for (s, kind) in STORES.iter().enumerate() {
        // What one commit hands the kernel: `wchar` counts the bytes of write calls.
        let (raw, epoch) = &raws[s];
        let before = written_bytes();
        for i in 0..100u8 {
            raw.commit(&[Write {
                key: "raw",
                epoch: *epoch,
                record: &[i; 60],
            }])
            .unwrap();
        }
        let per_commit = written_bytes()
            .zip(before)
            .map(|(after, before)| (after - before) / 100);
        println!(
            "{kind}: commit alone (one 60-byte record): median {} us, {} bytes written per commit",
            median(raw_commits[s].clone()).as_micros(),
            per_commit.map_or("?".to_owned(), |b| b.to_string())
        );
        let single = per_second(median(asks[s].clone()));
        let p99 = percentile(asks[s].clone(), 99);
        println!(
            "{kind}: single ask (one commit each): median {} us, p99 {} us, {:.0} msgs/s by total time, {:.2} of the fsync bound",
            median(asks[s].clone()).as_micros(),
            p99.as_micros(),
            n / single_time[s].as_secs_f64(),
            single / bound
        );
        let mut batched_rate = 0.0;
        for window in WINDOWS {
            let rate = runtime.block_on(batched(&dir, kind, window));
            println!(
                "{kind}: batched: {SENDERS} senders x {window} asks in flight: {rate:.0} msgs/s ({:.1}x single)",
                rate / single
            );
            batched_rate = rate;
        }
        results.push((kind, single, batched_rate, p99));
    }
    drop(raws);
    let _ = std::fs::remove_dir_all(&dir);
    let (kind, single, batched_rate, p99) = results[0];
    let others: Vec<String> = results
        .iter()
        .map(|(kind, single, _, _)| format!("{kind}_single_vs_bound={:.2}", single / bound))
        .collect();
    println!(
        "RESULT persist fsync_bound_per_s={bound:.0} msgs_per_s_single={single:.0} single_vs_bound={:.2} msgs_per_s_batched={batched_rate:.0} batch_gain={:.1} commit_p99_us={} store={kind} {}",
        single / bound,
        batched_rate / single,
        p99.as_micros(),
        others.join(" ")
    );
}
