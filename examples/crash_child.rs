//! The crash tests' child process (`tests/crash.rs`): a persisted ledger flooded by several
//! concurrent senders, each acknowledged message printed (and flushed) the moment its ask
//! returns. The parent kills it with SIGKILL at random points and restarts it.
//!
//! `cargo run --example crash_child --features persist -- PATH [--senders N] [--store redb|log] [--dump]`
//!
//! Output, one line each:
//! - `RESUME sender applied`: where each sender starts (the store's per-sender position);
//! - `READY`: the senders start;
//! - `ACK sender seq`: the ask of `seq` returned `Ok` (so it is durable);
//! - `STATE state count sum applied...` (with `--dump`, instead of sending).

use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;

use lockstep::actor::Actor;
use lockstep::persist::{LogStore, RedbStore, Store};
use lockstep::{Machine, Message};
use serde::{Deserialize, Serialize};

/// Applies `seq` of `sender`, if it is the next one: replies the new sum, or the sequence
/// number the ledger expected.
#[derive(Message)]
#[message(reply = Result<u64, u64>)]
pub struct Add {
    /// Which sender (0-based).
    pub sender: usize,
    /// The sender's sequence number, from 1.
    pub seq: u64,
}

/// Each sender's last applied sequence number, the count and the sum.
#[derive(Message)]
#[message(reply = (Vec<u64>, u64, u64))]
pub struct Position;

/// Everything the ledger applied: per sender the last sequence number, the count and the sum.
/// The state's parity (`Even`/`Odd`) must equal the count's: three facts written together, so a
/// torn or half-applied commit shows.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Tally {
    /// Per sender, the last sequence number applied.
    pub applied: Vec<u64>,
    /// How many messages were applied.
    pub count: u64,
    /// The sum of their amounts.
    pub sum: u64,
}

/// The ledger: its state is the parity of the count.
#[derive(Machine, Serialize, Deserialize)]
#[machine(context = Tally)]
pub enum Ledger {
    /// An even number of messages applied.
    #[initial]
    #[on(Add => Even | Odd)]
    #[on(Position)]
    Even,
    /// An odd number.
    #[on(Add => Even | Odd)]
    #[on(Position)]
    Odd,
}

/// The amount message `seq` of `sender` adds: distinct enough that a lost, doubled or foreign
/// message changes the sum.
#[must_use]
pub fn amount(sender: usize, seq: u64) -> u64 {
    (sender as u64 + 1) * 1_000_000 + seq * 7 % 1_009
}

impl Tally {
    fn add(&mut self, add: &Add) -> Result<u64, u64> {
        if self.applied.len() <= add.sender {
            self.applied.resize(add.sender + 1, 0);
        }
        let expected = self.applied[add.sender] + 1;
        if add.seq != expected {
            return Err(expected);
        }
        self.applied[add.sender] = add.seq;
        self.count += 1;
        self.sum += amount(add.sender, add.seq);
        Ok(self.sum)
    }

    fn parity(&self) -> (LedgerEvenOnAdd, LedgerOddOnAdd) {
        if self.count.is_multiple_of(2) {
            (LedgerEvenOnAdd::Even, LedgerOddOnAdd::Even)
        } else {
            (LedgerEvenOnAdd::Odd, LedgerOddOnAdd::Odd)
        }
    }
}

impl LedgerHandlers for Tally {
    fn even_on_add(&mut self, add: Add) -> (LedgerEvenOnAdd, Result<u64, u64>) {
        let reply = self.add(&add);
        (self.parity().0, reply)
    }
    fn odd_on_add(&mut self, add: Add) -> (LedgerOddOnAdd, Result<u64, u64>) {
        let reply = self.add(&add);
        (self.parity().1, reply)
    }
    fn even_on_position(&mut self, _: Position) -> (Vec<u64>, u64, u64) {
        (self.applied.clone(), self.count, self.sum)
    }
    fn odd_on_position(&mut self, _: Position) -> (Vec<u64>, u64, u64) {
        (self.applied.clone(), self.count, self.sum)
    }
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
        eprintln!("usage: crash_child PATH [--senders N] [--store redb|log] [--dump]");
        return ExitCode::from(2);
    };
    let (mut senders, mut dump, mut kind) = (4usize, false, "redb".to_owned());
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--senders" => senders = args.next().and_then(|n| n.parse().ok()).unwrap_or(4),
            "--dump" => dump = true,
            "--store" => kind = args.next().unwrap_or_default(),
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
    runtime.block_on(run(&path, &kind, senders, dump))
}

async fn run(path: &str, kind: &str, senders: usize, dump: bool) -> ExitCode {
    let opened: Result<Arc<dyn Store>, _> = match kind {
        "redb" => RedbStore::open(path).map(|s| Arc::new(s) as Arc<dyn Store>),
        "log" => LogStore::open(path).map(|s| Arc::new(s) as Arc<dyn Store>),
        other => {
            say(&format!("ERROR unknown store {other}"));
            return ExitCode::from(2);
        }
    };
    let store = match opened {
        Ok(store) => store,
        Err(error) => {
            say(&format!("ERROR open {error}"));
            return ExitCode::from(3);
        }
    };
    let spawned = Actor::builder(Ledger::Even, Tally::default())
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
    let (applied, count, sum) = match ledger.ask(Position).await {
        Ok(position) => position,
        Err(error) => {
            say(&format!("ERROR position {error}"));
            return ExitCode::from(3);
        }
    };
    let at = |sender: usize| applied.get(sender).copied().unwrap_or(0);
    if dump {
        let state = ledger
            .state()
            .await
            .map_or("<stopped>", |s| Ledger::STATES[s.index()].name);
        let positions: Vec<String> = (0..senders).map(|s| at(s).to_string()).collect();
        say(&format!(
            "STATE {state} {count} {sum} {}",
            positions.join(" ")
        ));
        return ExitCode::SUCCESS;
    }
    for sender in 0..senders {
        say(&format!("RESUME {sender} {}", at(sender)));
    }
    say("READY");
    let mut tasks = Vec::new();
    for sender in 0..senders {
        let ledger = ledger.clone();
        let first = at(sender) + 1;
        tasks.push(tokio::spawn(async move {
            for seq in first.. {
                match ledger.ask(Add { sender, seq }).await {
                    Ok(Ok(_)) => say(&format!("ACK {sender} {seq}")),
                    Ok(Err(expected)) => {
                        say(&format!("GAP {sender} {seq} expected {expected}"));
                        std::process::exit(4);
                    }
                    Err(error) => {
                        say(&format!("ERROR ask {sender} {seq} {error}"));
                        std::process::exit(3);
                    }
                }
            }
        }));
    }
    // Runs until killed.
    for task in tasks {
        let _ = task.await;
    }
    ExitCode::SUCCESS
}
