//! The race checker: runs a machine's real dispatch, handlers and context under every
//! interleaving of concurrent senders, and prints the shortest trace that breaks a property.
//!
//! ```
//! use lockstep::check::{Explorer, Network};
//! use lockstep::{Machine, Message};
//!
//! #[derive(Message, Clone, Debug)] #[message(reply = u32)] pub struct Get;
//! #[derive(Message, Clone, Debug)] pub struct Set(pub u32);
//! #[derive(Message, Clone, Debug)] pub struct Increment;
//!
//! #[derive(Clone, Default, Hash)]
//! pub struct Store { pub count: u32 }
//!
//! /// Read, then write back: two clients can both read 0 and both write 1.
//! #[derive(Machine, Clone, Hash)]
//! #[machine(context = Store)]
//! pub enum Counter {
//!     #[initial] #[on(Get)] #[on(Set)] #[on(Increment)] Ready,
//! }
//! impl CounterHandlers for Store {
//!     fn ready_on_get(&mut self, _: Get) -> u32 { self.count }
//!     fn ready_on_set(&mut self, set: Set) { self.count = set.0 }
//!     fn ready_on_increment(&mut self, _: Increment) { self.count += 1 }
//! }
//!
//! let racy = Explorer::new(Counter::Ready, Store::default())
//!     .client("alice", |c| c.ask(Get).then(|n| c.tell(Set(n + 1)))) // the next message depends on the reply
//!     .client("bob", |c| c.ask(Get).then(|n| c.tell(Set(n + 1))))
//!     .at_end("no lost update", |_, store| store.count == 2)
//!     .network(Network::Ordered)
//!     .run();
//! assert!(!racy.is_ok());
//! println!("{racy}"); // the shortest trace: both read 0, both write 1
//!
//! let fixed = Explorer::new(Counter::Ready, Store::default())
//!     .clients(2, "client", |c| c.tell(Increment))
//!     .at_end("no lost update", |_, store| store.count == 2)
//!     .run();
//! fixed.assert_ok(); // panics with the numbered trace if a property fails
//! assert!(fixed.complete);
//! ```
//!
//! - [`Explorer`] configures and runs the search: clients ([`Client`], [`Script`]),
//!   properties ([`always`](Explorer::always), [`each_step`](Explorer::each_step),
//!   [`at_end`](Explorer::at_end)), the [`Network`] model, [`Replay`] of deferred messages,
//!   bounds, and [`random_walks`](Explorer::random_walks) for spaces too large to exhaust.
//! - [`Report`] says what was explored, whether the search was complete, each [`Violation`] with
//!   its [`Trace`], and the [`Coverage`] of the state × message matrix.
//! - With the `proptest` feature, [`strategy`] generates message sequences the spec accepts.
//!
//! The book's "Finding races" chapter is the guide.

mod coverage;
mod explorer;
mod fingerprint;
mod network;
mod report;
mod script;
#[cfg(feature = "proptest")]
pub mod strategy;
mod walk;
mod world;

pub use coverage::{Coverage, CoveredCell};
pub use explorer::{Explorer, MAX_STATES, TREE_DEPTH, TREE_STATES};
pub use network::{Network, Replay};
pub use report::{Limit, Mode, PropertyKind, Report, Trace, TraceStep, Violation};
pub use script::{Ask, Client, Kind, Script};
pub use walk::WALK_STEPS;
