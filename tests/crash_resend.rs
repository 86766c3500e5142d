//! Exactly once over SIGKILL, with real processes: `examples/crash_resend.rs` feeds a persisted
//! `ExactlyOnce` ledger numbered envelopes from several senders; this test kills it at random
//! (seeded) points and starts it again, resending per sender the first number it never saw
//! acknowledged. The kill may have come after that number's commit: then the ledger must answer
//! it from the window it recorded in the same transaction, not credit it again.
//!
//! Every acknowledgement carries the sender's running total, which this test computes itself: a
//! number applied twice, or lost, makes every later total of that sender wrong.
//!
//! `LOCKSTEP_CRASH_SEED=N` replays a run; `LOCKSTEP_CRASH_KILLS=N` changes the number of kills.
//! A focused `cargo test --test crash_resend` does not rebuild examples: after changing the
//! code, build the child first (`cargo build --example crash_resend --features persist`), or it
//! tests the old one. A plain `cargo test` builds both.
#![cfg(all(feature = "persist", unix))]
#![allow(
    clippy::cast_possible_truncation,
    clippy::needless_range_loop,
    clippy::similar_names
)]

mod child;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use child::{Rng, example_binary};

const SENDERS: usize = 3;
const DEFAULT_KILLS: u32 = 12;

fn amount(sender: usize, seq: u64) -> u64 {
    // The child's `amount`, repeated: the reference must not trust the code under test.
    (sender as u64 + 1) * 1_000 + seq * 7 % 101
}

/// The running total of `sender` once numbers `0..=seq` were each applied once.
fn total(sender: usize, seq: u64) -> u64 {
    (0..=seq).map(|n| amount(sender, n)).sum()
}

fn start(binary: &Path, store: &Path, next: &[u64], dump: bool) -> (Child, mpsc::Receiver<String>) {
    let from: Vec<String> = next.iter().map(ToString::to_string).collect();
    let mut command = Command::new(binary);
    command
        .arg(store)
        .args(["--from", &from.join(",")])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if dump {
        command.arg("--dump");
    }
    let mut child = command.spawn().expect("the crash child starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    // On a thread, so that waiting for a line can time out: a stuck child fails the test.
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

/// Waits for a line starting with `word`, keeping every line seen.
fn wait_for(
    lines: &mpsc::Receiver<String>,
    child: &mut Child,
    word: &str,
    seen: &mut Vec<String>,
) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let Ok(line) = lines.recv_timeout(deadline.saturating_duration_since(Instant::now()))
        else {
            let _ = child.kill();
            panic!("the child printed no {word} in 20 s: {seen:?}");
        };
        seen.push(line.clone());
        if line.starts_with(word) {
            return line;
        }
    }
}

/// Checks one run's acknowledgements against the reference and moves `next` past them.
fn check_acks(seen: &[String], next: &mut [u64], context: &str) {
    for line in seen {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["ACK", sender, seq, reply] => {
                let (sender, seq, reply): (usize, u64, u64) = (
                    sender.parse().unwrap(),
                    seq.parse().unwrap(),
                    reply.parse().unwrap(),
                );
                // A sender asks one number at a time, from the first it never saw acknowledged.
                assert_eq!(seq, next[sender], "{context}: sender {sender}'s order");
                assert_eq!(
                    reply,
                    total(sender, seq),
                    "{context}: sender {sender} number {seq} was applied twice or lost one \
                     before it"
                );
                next[sender] = seq + 1;
            }
            ["DUPS", _] | ["READY"] => {}
            [first, ..] if first.starts_with("STATE") => {}
            _ => panic!("{context}: {line}"),
        }
    }
}

#[test]
fn a_resent_envelope_after_sigkill_is_answered_from_the_recorded_window_never_applied_twice() {
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
    println!("resend crash test: seed {seed} (LOCKSTEP_CRASH_SEED={seed}), {kills} kills");
    let mut rng = Rng(seed);
    let binary = example_binary("crash_resend");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("crash-resend-{}-{seed}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let store = dir.join("ledger.redb");

    // Per sender, the first number never seen acknowledged: what the next run resends.
    let mut next = [0u64; SENDERS];
    let mut dups = 0u64;
    for kill in 0..kills {
        let (mut child, lines) = start(&binary, &store, &next, false);
        let mut seen = Vec::new();
        let dup_line = wait_for(&lines, &mut child, "DUPS", &mut seen);
        dups += dup_line[5..].parse::<u64>().unwrap();
        wait_for(&lines, &mut child, "READY", &mut seen);
        std::thread::sleep(Duration::from_millis(rng.between(5, 150)));
        child.kill().expect("SIGKILL");
        child.wait().expect("the child is reaped");
        // The reader ends at EOF: every line the child wrote before it died.
        seen.extend(lines.iter());
        check_acks(&seen, &mut next, &format!("run {kill} (seed {seed})"));
    }

    // A last run resends what is in flight, then reads the books.
    let (mut child, lines) = start(&binary, &store, &next, true);
    let mut seen = Vec::new();
    let state = wait_for(&lines, &mut child, "STATE", &mut seen);
    child.wait().expect("the dump ends");
    check_acks(&seen, &mut next, &format!("the final run (seed {seed})"));
    let words: Vec<u64> = state
        .split_whitespace()
        .skip(1)
        .map(|w| w.parse().unwrap())
        .collect();
    // Every number acknowledged, each applied once: the count and every total are the
    // reference's, whatever the kills interrupted.
    assert_eq!(words[0], next.iter().sum::<u64>(), "credits applied");
    for sender in 0..SENDERS {
        assert_eq!(
            words[1 + sender],
            total(sender, next[sender] - 1),
            "sender {sender}'s total"
        );
    }
    println!(
        "resend crash test: seed {seed}, {kills} kills, {} credits, {dups} resends answered \
         from the recorded window",
        words[0]
    );
    let _ = std::fs::remove_dir_all(&dir);
}
