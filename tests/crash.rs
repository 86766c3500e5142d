//! Crash tests with real processes: `examples/crash_child.rs` floods a persisted ledger from
//! several senders and prints each acknowledgement; this test kills it with SIGKILL at random
//! (seeded) points, restarts it, and checks after every restart and at the end that every
//! acknowledged message is in the store exactly once, that nothing unacknowledged is half
//! applied, and that the final state equals the one computed from the acknowledged log.
//!
//! `LOCKSTEP_CRASH_SEED=N` replays a run; `LOCKSTEP_CRASH_KILLS=N` changes the number of kills.
#![cfg(all(feature = "persist", unix))]
// Small counts and byte patterns; per-sender tables indexed by sender; one test reads as one
// story from the first kill to the final check.
#![allow(
    clippy::cast_possible_truncation,
    clippy::needless_range_loop,
    clippy::too_many_lines,
    clippy::similar_names
)]

mod child;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use child::{Rng, example_binary};

const SENDERS: usize = 4;
const DEFAULT_KILLS: u32 = 24;

/// What one child printed.
#[derive(Debug, Default)]
struct Run {
    resume: Vec<u64>,
    acks: Vec<(usize, u64)>,
    errors: Vec<String>,
}

fn parse(lines: &[String]) -> Run {
    let mut run = Run {
        resume: vec![0; SENDERS],
        ..Run::default()
    };
    for line in lines {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["RESUME", sender, applied] => {
                run.resume[sender.parse::<usize>().unwrap()] = applied.parse().unwrap();
            }
            ["ACK", sender, seq] => run
                .acks
                .push((sender.parse().unwrap(), seq.parse().unwrap())),
            ["READY"] => {}
            _ => run.errors.push(line.clone()),
        }
    }
    run
}

/// Reads the child's stdout on a thread, so waiting for a line can time out: a stuck child
/// fails the test instead of hanging it.
fn lines_of(child: &mut Child) -> mpsc::Receiver<String> {
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn start(binary: &Path, kind: &str, store: &Path, dump: bool) -> Child {
    let mut command = Command::new(binary);
    command
        .arg(store)
        .args(["--senders", &SENDERS.to_string(), "--store", kind])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if dump {
        command.arg("--dump");
    }
    command.spawn().expect("the crash child starts")
}

fn amount(sender: usize, seq: u64) -> u64 {
    // The child's `amount`, repeated here: the reference must not trust the code under test.
    (sender as u64 + 1) * 1_000_000 + seq * 7 % 1_009
}

#[test]
fn sigkill_at_random_points_loses_no_acknowledged_message_and_applies_nothing_twice_redb() {
    crash_run("redb");
}

#[test]
fn sigkill_at_random_points_loses_no_acknowledged_message_and_applies_nothing_twice_log() {
    crash_run("log");
}

/// The crash run against one kind of store (`redb` or `log`, the child's `--store`).
fn crash_run(kind: &str) {
    let seed = std::env::var("LOCKSTEP_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
                | 1
        });
    let kills: u32 = std::env::var("LOCKSTEP_CRASH_KILLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_KILLS);
    println!(
        "crash test ({kind}): seed {seed} (LOCKSTEP_CRASH_SEED={seed} replays it), {kills} kills"
    );
    let mut rng = Rng(seed);
    let binary = example_binary("crash_child");
    let dir = tempdir();
    let store = dir.join(format!("ledger.{kind}"));

    // The last acknowledged sequence number of each sender, over all runs.
    let mut acked = [0u64; SENDERS];
    let mut total_acks = 0usize;
    let mut committed_unacked = 0u64;
    let started = Instant::now();
    for kill in 0..kills {
        let mut child = start(&binary, kind, &store, false);
        let lines = lines_of(&mut child);
        let mut seen = Vec::new();
        // Wait for READY, then let the senders run for a random while.
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let line = lines
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .unwrap_or_else(|_| {
                    let _ = child.kill();
                    panic!("run {kill}: the child printed no READY in 20 s: {seen:?}")
                });
            let ready = line == "READY";
            seen.push(line);
            if ready {
                break;
            }
        }
        let after = Duration::from_millis(rng.between(5, 200));
        std::thread::sleep(after);
        child.kill().expect("SIGKILL");
        child.wait().expect("the child is reaped");
        // The reader ends at EOF: every line the child wrote before it died.
        seen.extend(lines.iter());
        let run = parse(&seen);
        assert!(
            run.errors.is_empty(),
            "run {kill} (seed {seed}): {:?}",
            run.errors
        );
        for sender in 0..SENDERS {
            let resumed = run.resume[sender];
            // Every acknowledged message survived the kill before ...
            assert!(
                resumed >= acked[sender],
                "run {kill} (seed {seed}): sender {sender} resumed at {resumed}, but {} was acknowledged",
                acked[sender]
            );
            // ... and at most the one in flight was committed without its acknowledgement
            // being seen (a sender asks one message at a time).
            assert!(
                resumed <= acked[sender] + 1,
                "run {kill} (seed {seed}): sender {sender} resumed at {resumed}, past {} acknowledged + 1 in flight",
                acked[sender]
            );
            committed_unacked += resumed - acked[sender];
            // Acknowledgements of this run come in order, each exactly once, from the resume point.
            let mine: Vec<u64> = run
                .acks
                .iter()
                .filter(|(s, _)| *s == sender)
                .map(|(_, seq)| *seq)
                .collect();
            let expected: Vec<u64> = (resumed + 1..=resumed + mine.len() as u64).collect();
            assert_eq!(
                mine, expected,
                "run {kill} (seed {seed}): sender {sender}'s acknowledgements"
            );
            if let Some(&last) = mine.last() {
                acked[sender] = last;
            } else {
                acked[sender] = resumed;
            }
        }
        total_acks += run.acks.len();
    }

    // The final state, read back by a child that only loads and prints.
    let mut child = start(&binary, kind, &store, true);
    let lines = lines_of(&mut child);
    let state = lines
        .recv_timeout(Duration::from_secs(20))
        .expect("the dump prints its state");
    child.wait().expect("the dump ends");
    let words: Vec<&str> = state.split_whitespace().collect();
    assert_eq!(words.first(), Some(&"STATE"), "{state}");
    let name = words[1];
    let count: u64 = words[2].parse().unwrap();
    let sum: u64 = words[3].parse().unwrap();
    let applied: Vec<u64> = words[4..].iter().map(|w| w.parse().unwrap()).collect();

    // The reference: the acknowledged log, plus the last in-flight message of each sender if
    // the store has it (allowed, checked above to be at most one).
    for sender in 0..SENDERS {
        assert!(
            applied[sender] == acked[sender] || applied[sender] == acked[sender] + 1,
            "sender {sender}: store {} vs acknowledged {}",
            applied[sender],
            acked[sender]
        );
    }
    let reference_count: u64 = applied.iter().sum();
    let reference_sum: u64 = (0..SENDERS)
        .map(|s| (1..=applied[s]).map(|seq| amount(s, seq)).sum::<u64>())
        .sum();
    assert_eq!(
        count, reference_count,
        "count vs the sequence numbers applied"
    );
    assert_eq!(sum, reference_sum, "sum vs the reference from the log");
    assert_eq!(
        name,
        if count.is_multiple_of(2) {
            "Even"
        } else {
            "Odd"
        },
        "the state's parity is the count's"
    );
    assert!(
        total_acks >= kills as usize,
        "too few acknowledgements to prove anything: {total_acks}"
    );
    println!(
        "crash test ({kind}): seed {seed}, {kills} kills, {total_acks} acknowledged, \
         {committed_unacked} committed but killed before acknowledging, final count {count}, {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A fresh directory under `target/` (on the disk the tests build on, not a tmpfs).
fn tempdir() -> PathBuf {
    let base = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let dir = base.join(format!("crash-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}

/// Damage to the redb file itself: a truncated file and flipped bytes are reported with a typed
/// error, never served as a record; and the records that were not on the damaged page survive,
/// through [`RedbStore::salvage`] when redb refuses the file as a whole.
#[test]
fn a_truncated_or_corrupted_store_file_is_reported_and_the_other_records_survive() {
    use lockstep::persist::{RedbStore, Store, StoreError, Write};

    const KEYS: usize = 60;
    let dir = tempdir();
    let path = dir.join("store.redb");
    // Records in lockstep's frame, as persisted actors write them; several commits per key so
    // that the file holds old, freed pages as well as live ones.
    let record = |key: usize, round: usize| -> Vec<u8> {
        sealed(
            &format!("key-{key}"),
            &vec![(key * 7 + round) as u8; 40 + key * 5],
        )
    };
    {
        let store = RedbStore::open(&path).unwrap();
        for key in 0..KEYS {
            let name = format!("key-{key}");
            let epoch = store.acquire(&name).unwrap();
            for round in 0..3 {
                let bytes = record(key, round);
                store
                    .commit(&[Write {
                        key: &name,
                        epoch,
                        record: &bytes,
                    }])
                    .unwrap();
            }
        }
    }
    let original = std::fs::read(&path).unwrap();
    let latest = |key: usize| record(key, 2);

    // Truncated anywhere: redb refuses the file (its layout says how long it must be).
    for cut in [1, 100, 4096, original.len() / 2] {
        let damaged = dir.join(format!("truncated-{cut}.redb"));
        std::fs::write(&damaged, &original[..original.len() - cut]).unwrap();
        match RedbStore::open(&damaged) {
            Err(StoreError::Corrupt(what)) => assert!(what.contains("truncated"), "{what}"),
            Err(other) => panic!("truncated by {cut}: expected Corrupt, got {other}"),
            Ok(_) => panic!("truncated by {cut}: opened"),
        }
    }

    // One byte flipped, at every 509th position of the file (past redb's own header).
    let (mut salvaged, mut unsalvageable, mut harmless, mut lost_to_damage) = (0, 0, 0, 0usize);
    let mut at = 512;
    while at < original.len() {
        let mut bytes = original.clone();
        bytes[at] ^= 0x5a;
        let damaged = dir.join("flipped.redb");
        let _ = std::fs::remove_file(&damaged);
        std::fs::write(&damaged, &bytes).unwrap();
        match RedbStore::open(&damaged) {
            Ok(store) => {
                // The byte was in a page no commit uses any more: everything reads back.
                harmless += 1;
                for key in 0..KEYS {
                    let loaded = store.load(&format!("key-{key}")).unwrap();
                    assert_eq!(loaded, Some(latest(key)), "flip at {at}: key-{key}");
                }
            }
            Err(StoreError::Corrupt(_)) => {
                let into = dir.join("salvaged.redb");
                let _ = std::fs::remove_file(&into);
                let (store, report) = match RedbStore::salvage(&damaged, &into) {
                    Ok(salvage) => salvage,
                    // The flip hit redb's own bookkeeping (its allocator state): redb cannot
                    // open the file even to read it. Reported, typed; nothing is made up.
                    Err(StoreError::Corrupt(_)) => {
                        unsalvageable += 1;
                        at += 509;
                        continue;
                    }
                    Err(other) => panic!("flip at {at}: expected Corrupt, got {other}"),
                };
                salvaged += 1;
                // What is recovered is exactly what was committed last, never a damaged or
                // misplaced record.
                for key in &report.recovered {
                    let number: usize = key.trim_start_matches("key-").parse().unwrap();
                    assert_eq!(
                        store.load(key).unwrap(),
                        Some(latest(number)),
                        "flip at {at}: {key}"
                    );
                }
                // One flipped byte damages one page: the records of the other pages survive.
                let lost = KEYS - report.recovered.len();
                assert!(
                    lost <= KEYS / 2,
                    "flip at {at}: only {} of {KEYS} recovered ({report:?})",
                    report.recovered.len()
                );
                lost_to_damage = lost_to_damage.max(lost);
            }
            Err(other) => panic!("flip at {at}: expected Corrupt, got {other}"),
        }
        at += 509;
    }
    println!(
        "store damage: {} flips: {harmless} in unused pages (no effect); {salvaged} refused by \
         redb and salvaged (at most {lost_to_damage} of {KEYS} records lost to one flip); \
         {unsalvageable} in redb's own bookkeeping (refused, not salvageable)",
        salvaged + unsalvageable + harmless
    );
    assert!(
        salvaged > 0,
        "no flip hit a page of records: the test proves nothing"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A record in lockstep's frame (see `runtime/src/persist/record.rs`), so that salvage can
/// check it: written through a persisted actor's encoder would need a machine per key.
fn sealed(key: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(b"LKSP");
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&0u64.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(b"Test");
    out.extend_from_slice(&(key.len() as u16).to_le_bytes());
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(payload);
    let crc = crc32(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    assert!(lockstep::persist::read_header(&out).is_ok());
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                0xedb8_8320 ^ (crc >> 1)
            } else {
                crc >> 1
            };
        }
    }
    !crc
}
