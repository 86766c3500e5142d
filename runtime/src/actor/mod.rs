//! The actor (feature `actor`): a tokio task that owns a machine and runs its dispatch one
//! message at a time.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use lockstep::actor::Spawn;
//! use lockstep::{Machine, Message};
//!
//! #[derive(Message)] pub struct Coin { pub cents: u32 }
//! #[derive(Message)] #[message(reply = u32)] pub struct Refund;
//!
//! #[derive(Machine)]
//! pub enum Turnstile {
//!     #[initial] #[on(Coin => Unlocked)] Locked,
//!     #[on(Refund => Locked)] Unlocked(u32),
//! }
//! impl TurnstileHandlers for () {
//!     fn locked_on_coin(&mut self, coin: Coin) -> u32 { coin.cents }
//!     fn unlocked_on_refund(&mut self, paid: u32, _: Refund) -> u32 { paid }
//! }
//!
//! let (turnstile, join) = Turnstile::Locked.spawn(());
//! assert!(turnstile.ask(Refund).await.is_err()); // `Locked` has nothing to refund
//! turnstile.tell(Coin { cents: 50 }).await?;
//! assert_eq!(turnstile.ask(Refund).await?, 50);
//! drop(turnstile);
//! assert_eq!(join.await?.machine.state_name(), "Locked");
//! # Ok(())
//! # }
//! ```
//!
//! The book's "Actor" chapter is the guide.

mod builder;
mod error;
mod handle;
#[cfg(feature = "persist")]
pub(crate) mod journal;
mod later;
pub(crate) mod mail;
mod me;
mod run;
mod session;
mod shared;

pub use builder::{Builder, DEFAULT_ASK_TIMEOUT, DEFAULT_MAILBOX, Overflow, Restart};
#[cfg(feature = "persist")]
pub use error::Unrecorded;
pub use error::{AskError, Failed, Panicked, StopCause, TellError};
pub use handle::{Actor, Final, Join};
#[cfg(feature = "persist")]
pub use journal::{Held, HeldAnswer};
pub use later::{Answer, Later, Unanswered, later};
pub use mail::{Asked, Envelope};
pub use me::Me;
pub use session::{Refused, Session, SessionError};
pub use shared::{DeadLetter, DeadReason, Metrics};

use crate::machine::Machine;

/// Spawns a machine as an actor: `Turnstile::Locked.spawn(till)`, or
/// `Turnstile::spawn(Turnstile::Locked, till)`.
pub trait Spawn: Machine + Send + 'static
where
    Self::Context: Send + 'static,
    Self::Input<Asked>: Send + 'static,
{
    /// Spawns the actor with the default settings on the current tokio runtime (see
    /// [`Builder::spawn`]).
    fn spawn(self, context: Self::Context) -> (Actor<Self>, Join<Self>) {
        Actor::builder(self, context).spawn()
    }

    /// A [`Builder`] to configure the actor before spawning it.
    fn actor(self, context: Self::Context) -> Builder<Self> {
        Actor::builder(self, context)
    }
}

impl<Mc: Machine + Send + 'static> Spawn for Mc
where
    Mc::Context: Send + 'static,
    Mc::Input<Asked>: Send + 'static,
{
}
