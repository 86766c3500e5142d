//! The exactly-once crash test's child process (`tests/crash_resend.rs`): a persisted
//! `ExactlyOnce` ledger in a redb file, fed numbered envelopes by several senders. The parent
//! kills it with SIGKILL and starts it again with, per sender, the first number it never saw
//! acknowledged: that number may have been committed before the kill, so the child resends it,
//! and the ledger must answer it from its recorded window instead of applying it twice.
//!
//! `cargo run --example crash_resend --features persist -- STORE --from N,N,.. [--dump]`
//!
//! Output, one line each:
//! - `ACK sender seq total`: the envelope was acknowledged (durable) with this reply;
//! - `DUPS n`: after the resends, how many envelopes the ledger answered from its window;
//! - `READY`: the senders flood;
//! - `STATE count total total..` (with `--dump`, after the resends, instead of flooding).

use std::io::Write as _;
use std::process::ExitCode;

use lockstep::actor::Actor;
use lockstep::persist::RedbStore;
use lockstep::{Envelope, ExactlyOnce, Machine, Message, SenderId};
use serde::{Deserialize, Serialize};

/// Credits `amount` to `sender`'s total; replies the new total.
#[derive(Message, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[message(reply = u64)]
pub struct Credit {
    /// Which sender (0-based).
    pub sender: usize,
    /// How much.
    pub amount: u64,
}

/// Reads the totals (the dump asks it under a sender id of its own).
#[derive(Message, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[message(reply = (u64, Vec<u64>))]
pub struct Totals;

/// How often a credit was applied, and each sender's total. No deduplication of its own: that
/// is the wrapper's job under test.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Books {
    /// Credits applied.
    pub count: u64,
    /// Per sender, the sum of its credits.
    pub totals: Vec<u64>,
}

/// The ledger.
#[derive(Machine, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[machine(context = Books, derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize))]
pub enum Ledger {
    /// Takes credits.
    #[initial]
    #[on(Credit)]
    #[on(Totals)]
    Open,
}

impl LedgerHandlers for Books {
    fn open_on_credit(&mut self, credit: Credit) -> u64 {
        if self.totals.len() <= credit.sender {
            self.totals.resize(credit.sender + 1, 0);
        }
        self.count += 1;
        self.totals[credit.sender] += credit.amount;
        self.totals[credit.sender]
    }
    fn open_on_totals(&mut self, _: Totals) -> (u64, Vec<u64>) {
        (self.count, self.totals.clone())
    }
}

/// The amount of number `seq` of `sender`: distinct enough that a doubled credit shows.
#[must_use]
pub fn amount(sender: usize, seq: u64) -> u64 {
    (sender as u64 + 1) * 1_000 + seq * 7 % 101
}

/// One line, written and flushed at once: the parent must see every acknowledgement that
/// happened before the kill.
fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(line.as_bytes());
    let _ = out.write_all(b"\n");
    let _ = out.flush();
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: crash_resend STORE --from N,N,.. [--dump]");
        return ExitCode::from(2);
    };
    let (mut from, mut dump) = (Vec::new(), false);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--from" => {
                from = args
                    .next()
                    .unwrap_or_default()
                    .split(',')
                    .filter_map(|n| n.parse::<u64>().ok())
                    .collect();
            }
            "--dump" => dump = true,
            other => {
                eprintln!("unknown argument {other}");
                return ExitCode::from(2);
            }
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(run(&path, &from, dump))
}

/// Asks one envelope and prints its acknowledgement; exits on anything but a reply.
async fn credit(ledger: &Actor<ExactlyOnce<Ledger>>, sender: usize, seq: u64) {
    let envelope = Envelope::new(
        SenderId(sender as u64),
        seq,
        Credit {
            sender,
            amount: amount(sender, seq),
        },
    );
    match ledger.ask(envelope).await {
        Ok(total) => say(&format!("ACK {sender} {seq} {total}")),
        Err(error) => {
            say(&format!("ERROR ask {sender} {seq} {error}"));
            std::process::exit(3);
        }
    }
}

async fn run(path: &str, from: &[u64], dump: bool) -> ExitCode {
    let store = match RedbStore::open(path) {
        Ok(store) => store,
        Err(error) => {
            say(&format!("ERROR open {error}"));
            return ExitCode::from(3);
        }
    };
    let spawned = Actor::builder(ExactlyOnce::new(Ledger::Open), Books::default())
        .persist(store, "ledger")
        .spawn()
        .await;
    let (ledger, _join) = match spawned {
        Ok(spawned) => spawned,
        Err(error) => {
            say(&format!("ERROR spawn {error}"));
            return ExitCode::from(3);
        }
    };
    // The resends: the first number of each sender the parent never saw acknowledged.
    for (sender, &seq) in from.iter().enumerate() {
        credit(&ledger, sender, seq).await;
    }
    say(&format!("DUPS {}", ledger.metrics().discarded));
    if dump {
        // A reader of its own: one number, never reused (the dump runs once).
        let reader = SenderId(u64::MAX);
        match ledger.ask(Envelope::new(reader, 0, Totals)).await {
            Ok((count, totals)) => {
                let totals: Vec<String> = totals.iter().map(ToString::to_string).collect();
                say(&format!("STATE {count} {}", totals.join(" ")));
                return ExitCode::SUCCESS;
            }
            Err(error) => {
                say(&format!("ERROR totals {error}"));
                return ExitCode::from(3);
            }
        }
    }
    say("READY");
    let mut tasks = Vec::new();
    for (sender, &seq) in from.iter().enumerate() {
        let ledger = ledger.clone();
        tasks.push(tokio::spawn(async move {
            for seq in seq + 1.. {
                credit(&ledger, sender, seq).await;
            }
        }));
    }
    // Runs until killed.
    for task in tasks {
        let _ = task.await;
    }
    ExitCode::SUCCESS
}
