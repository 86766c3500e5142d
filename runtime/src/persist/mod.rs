//! Persisted actors (feature `persist`): an actor whose state and context are committed to a
//! [`Store`] before it answers, and that resumes from its last commit when spawned again.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use lockstep::actor::Actor;
//! use lockstep::persist::MemoryStore;
//! use lockstep::{Machine, Message};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Message)] #[message(reply = u64)] pub struct Deposit(pub u64);
//!
//! #[derive(Machine, Serialize, Deserialize)]
//! #[machine(context = u64)]
//! pub enum Account { #[initial] #[on(Deposit)] Open }
//! impl AccountHandlers for u64 {
//!     fn open_on_deposit(&mut self, deposit: Deposit) -> u64 { *self += deposit.0; *self }
//! }
//!
//! let store = MemoryStore::new();
//! let (account, _) = Actor::builder(Account::Open, 0).persist(store.clone(), "acct-7").spawn().await?;
//! assert_eq!(account.ask(Deposit(5)).await?, 5); // answered once committed
//! account.stop().await;
//!
//! // Spawned again under the same key, it resumes from the store, not from the builder's 0.
//! let (account, _) = Actor::builder(Account::Open, 0).persist(store, "acct-7").spawn().await?;
//! assert_eq!(account.ask(Deposit(1)).await?, 6);
//! # Ok(())
//! # }
//! ```
//!
//! The book's "Durability" chapter is the guide.

mod actor;
mod log_store;
mod memory;
mod record;
mod redb_store;
mod store;

pub use actor::{DEFAULT_MAX_BATCH, OldRecord, PersistError, Persisted};
pub use log_store::{LogOptions, LogSalvaged, LogStore, Recovery};
pub use memory::MemoryStore;
pub use record::{Damage, FORMAT, RecordHeader, fingerprint};
pub use redb_store::{RedbStore, Salvaged};
pub use store::{Epoch, Store, StoreError, Write};

/// Reads the header of an encoded record (as [`Store::load`] returns it), checking its frame
/// and checksum: for tools and tests that look into a store.
///
/// # Errors
/// The [`Damage`] found.
pub fn read_header(record: &[u8]) -> Result<RecordHeader, Damage> {
    record::decode(record).map(|decoded| decoded.header)
}
