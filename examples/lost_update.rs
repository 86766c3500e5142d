//! The lost update, found and fixed: two clients read a counter and write back what they read plus
//! one. The race checker runs the machine's real handlers under every interleaving of their
//! messages and prints the shortest trace that loses an update; then it checks the fix (one
//! `Increment` message instead of a read and a write) over the whole state space.
//!
//! Run it: `cargo run --example lost_update`.

use lockstep::check::{Explorer, Network};
use lockstep::{Machine, Message};

/// Reads the count.
#[derive(Message, Clone, Debug)]
#[message(reply = u32)]
pub struct Get;

/// Overwrites the count.
#[derive(Message, Clone, Debug)]
pub struct Set(pub u32);

/// Adds one to the count, in the machine: the read and the write cannot be split.
#[derive(Message, Clone, Debug)]
#[message(reply = u32)]
pub struct Increment;

/// The shared data.
#[derive(Clone, Debug, Default, Hash)]
pub struct Store {
    /// The count.
    pub count: u32,
}

/// The naive counter: a client reads, computes and writes back.
#[derive(Machine, Clone, Debug, Hash)]
#[machine(context = Store)]
pub enum Counter {
    /// Serves reads and writes.
    #[initial]
    #[on(Get)]
    #[on(Set)]
    Ready,
}

impl CounterHandlers for Store {
    fn ready_on_get(&mut self, _: Get) -> u32 {
        self.count
    }
    fn ready_on_set(&mut self, set: Set) {
        self.count = set.0;
    }
}

/// The shared data of the fixed counter.
#[derive(Clone, Debug, Default, Hash)]
pub struct Tally {
    /// The count.
    pub count: u32,
}

/// The fix: the increment is one message, so one handler does the read and the write.
#[derive(Machine, Clone, Debug, Hash)]
#[machine(context = Tally)]
pub enum AtomicCounter {
    /// Serves reads and increments.
    #[initial]
    #[on(Get)]
    #[on(Increment)]
    Ready,
}

impl AtomicCounterHandlers for Tally {
    fn ready_on_get(&mut self, _: Get) -> u32 {
        self.count
    }
    fn ready_on_increment(&mut self, _: Increment) -> u32 {
        self.count += 1;
        self.count
    }
}

fn main() {
    println!("== the naive counter: Get, then Set(n + 1) ==\n");
    let naive = Explorer::new(Counter::Ready, Store::default())
        .client("alice", |c| c.ask(Get).then(|n| c.tell(Set(n + 1))))
        .client("bob", |c| c.ask(Get).then(|n| c.tell(Set(n + 1))))
        .at_end("no lost update", |_, store| store.count == 2)
        .network(Network::Ordered)
        .run();
    println!("{naive}\n");

    println!("== the fix: one Increment message ==\n");
    let fixed = Explorer::new(AtomicCounter::Ready, Tally::default())
        .client("alice", |c| c.ask(Increment).followed_by(c.ask(Get)))
        .client("bob", |c| c.ask(Increment).followed_by(c.ask(Get)))
        .clients(2, "worker", |c| c.tell(Increment))
        .at_end("no lost update", |_, tally| tally.count == 4)
        .run();
    println!("{fixed}");
    fixed.assert_ok();
}
