//! # lockstep
//!
//! State machines written as plain Rust enums. One `#[derive(Machine)]` spec gives an exhaustive
//! dispatch (every state × message cell decided), handlers that can only reach declared states,
//! rejection of messages invalid in the current state — at compile time (typestate, opt-in with
//! `#[machine(typestate)]`) or at run time (a [`Rejected`] that hands the message back) — and
//! generated docs and diagrams.
//!
//! ```
//! use lockstep::{Driver, Machine, Message};
//!
//! #[derive(Message)] pub struct Coin { pub cents: u32 }
//! #[derive(Message)] pub struct Push;
//! #[derive(Message)] #[message(reply = u32)] pub struct Refund;
//!
//! pub struct Paid { pub cents: u32 }
//!
//! #[derive(Default)]
//! pub struct Till { pub total: u64 }
//!
//! /// A coin-operated turnstile.
//! #[derive(Machine)]
//! #[machine(context = Till)]
//! pub enum Turnstile {
//!     /// The arm is locked until someone pays.
//!     #[initial]
//!     #[on(Coin => Unlocked)]
//!     #[discard(Push)]
//!     Locked,
//!     /// Paid: one person may pass, or take the money back.
//!     #[on(Push => Locked)]
//!     #[on(Coin)]
//!     #[on(Refund => Locked)]
//!     Unlocked(Paid),
//! }
//!
//! impl TurnstileHandlers for Till {
//!     fn locked_on_coin(&mut self, coin: Coin) -> Paid { Paid { cents: coin.cents } }
//!     fn unlocked_on_push(&mut self, paid: Paid, _: Push) { self.total += u64::from(paid.cents) }
//!     fn unlocked_on_coin(&mut self, paid: &mut Paid, coin: Coin) { paid.cents += coin.cents }
//!     fn unlocked_on_refund(&mut self, paid: Paid, _: Refund) -> u32 { paid.cents }
//! }
//!
//! let mut till = Till::default();
//! let mut turnstile = Driver::new(Turnstile::Locked);
//! assert!(turnstile.send(&mut till, Refund).is_err()); // Locked has nothing to refund
//! turnstile.send(&mut till, Coin { cents: 50 })?;
//! assert_eq!(turnstile.send(&mut till, Refund)?, 50);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The book (in `book/`) is the guide; this page is the reference.
#![cfg_attr(not(feature = "std"), no_std)]

#[cfg(feature = "alloc")]
extern crate alloc;

mod hierarchy;
mod machine;
mod message;
mod outcome;
mod typestate;

#[cfg(feature = "alloc")]
mod describe;
#[cfg(feature = "alloc")]
mod driver;
#[cfg(feature = "alloc")]
pub mod exactly_once;

#[cfg(feature = "check")]
pub mod check;

#[cfg(feature = "actor")]
pub mod actor;

#[cfg(feature = "persist")]
pub mod persist;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use hierarchy::{MAX_DEPTH, MachineInfo, StatePath};
pub use machine::{
    AcceptedBy, Accepts, Bare, Carrier, Cell, CellKind, Cells, Machine, MessageId, StateId,
    StateInfo, Targets, Visit,
};
pub use message::{Message, Reply, Tell, Timeout, WithReply};
pub use outcome::{Outcome, Reason, Rejected};
pub use typestate::{HandledBy, Transition, TypedState};

#[cfg(feature = "alloc")]
pub use describe::{mermaid, table};
#[cfg(feature = "alloc")]
pub use driver::{DEFAULT_DEFER_CAPACITY, Driver, Posted};
#[cfg(feature = "alloc")]
pub use exactly_once::{Envelope, ExactlyOnce, Gaps, SenderId, Sequencer};

/// Derives [`Machine`], [`Accepts`] for every message a cell mentions, the handler trait
/// (`{Machine}Handlers`), the input enum (`{Machine}Input`), one enum per multi-target cell, the
/// machine's docs and its `MERMAID` and `DOT` constants; with `#[machine(typestate)]`, one struct
/// per state and [`Transition`] impls. See the book's spec reference.
#[cfg(feature = "derive")]
pub use lockstep_macros::Machine;

/// Derives [`Message`]. `#[message(reply = R)]` sets the reply type (default `()`).
#[cfg(feature = "derive")]
pub use lockstep_macros::Message;

// Every ```rust block of the README and the book compiles and runs as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
mod readme {}
#[cfg(doctest)]
#[doc = include_str!("../../book/src/introduction.md")]
mod book_introduction {}
#[cfg(doctest)]
#[doc = include_str!("../../book/src/getting-started.md")]
mod book_getting_started {}
#[cfg(doctest)]
#[doc = include_str!("../../book/src/spec.md")]
mod book_spec {}
#[cfg(doctest)]
#[doc = include_str!("../../book/src/typestate.md")]
mod book_typestate {}
#[cfg(doctest)]
#[doc = include_str!("../../book/src/driver.md")]
mod book_driver {}
#[cfg(all(doctest, feature = "actor"))]
#[doc = include_str!("../../book/src/actor.md")]
mod book_actor {}
#[cfg(doctest)]
#[doc = include_str!("../../book/src/design-notes.md")]
mod book_design_notes {}
#[cfg(doctest)]
#[doc = include_str!("../../book/src/finding-races.md")]
mod book_finding_races {}
#[cfg(doctest)]
#[doc = include_str!("../../book/src/exactly-once.md")]
mod book_exactly_once {}
#[cfg(doctest)]
#[doc = include_str!("../../book/src/hierarchy.md")]
mod book_hierarchy {}
#[cfg(doctest)]
#[doc = include_str!("../../book/src/testing.md")]
mod book_testing {}
#[cfg(all(doctest, feature = "persist"))]
#[doc = include_str!("../../book/src/durability.md")]
mod book_durability {}
