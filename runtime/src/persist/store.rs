//! The storage contract: many actors' records keyed by id, loaded one key at a time, committed
//! in atomic, durable batches, and fenced by an epoch so that two owners of one key never both
//! write.

use core::fmt;
use std::sync::Arc;

/// The ownership generation of a key, handed out by [`Store::acquire`]. A commit carries the
/// epoch its writer acquired; the store refuses it once a later owner acquired the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Epoch(pub u64);

/// One record to write: a key, the epoch its writer holds, the encoded record.
#[derive(Debug, Clone, Copy)]
pub struct Write<'a> {
    /// The actor's key.
    pub key: &'a str,
    /// The epoch the writer acquired the key with.
    pub epoch: Epoch,
    /// The encoded record (header, payload, checksum): opaque to the store.
    pub record: &'a [u8],
}

/// Where persisted actors keep their records.
///
/// A store holds the last record of many keys. It is object safe and lockstep holds it as an
/// `Arc<dyn Store>`: one store serves actors of every machine type, its backend can be chosen at
/// run time (a file in production, memory in tests), and the virtual call costs nothing next to
/// the fsync behind it. Records are bytes: the typed layer (header, fingerprint, checksum,
/// serde) is lockstep's, so a backend only moves bytes.
///
/// # Contract
/// - [`acquire`](Store::acquire) makes the caller the key's only writer: it durably records and
///   returns an epoch greater than any handed out before for that key.
/// - [`commit`](Store::commit) writes every record of the batch or none, and returns only once
///   they survive a crash of the process or the machine (what "acknowledged" rests on). It
///   refuses the whole batch with [`StoreError::Fenced`] if any write's epoch is not the key's
///   current one, checked in the same transaction as the write.
/// - [`load`](Store::load) returns the last committed record of a key, or `None`.
/// - A backend that finds its own data damaged reports [`StoreError::Corrupt`], never a
///   made-up record, and never panics.
pub trait Store: Send + Sync + 'static {
    /// Becomes the key's writer: returns a new epoch, greater than every earlier one for the key.
    ///
    /// # Errors
    /// The backend's failure.
    fn acquire(&self, key: &str) -> Result<Epoch, StoreError>;

    /// The last committed record of `key`.
    ///
    /// # Errors
    /// The backend's failure, or [`StoreError::Corrupt`] if what it holds for the key is damaged.
    fn load(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// Writes the records atomically and durably.
    ///
    /// # Errors
    /// [`StoreError::Fenced`] if a later owner acquired one of the keys (nothing is written), or
    /// the backend's failure (nothing is written either: the transaction is not committed).
    fn commit(&self, writes: &[Write<'_>]) -> Result<(), StoreError>;
}

impl<S: Store + ?Sized> Store for Arc<S> {
    fn acquire(&self, key: &str) -> Result<Epoch, StoreError> {
        (**self).acquire(key)
    }
    fn load(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        (**self).load(key)
    }
    fn commit(&self, writes: &[Write<'_>]) -> Result<(), StoreError> {
        (**self).commit(writes)
    }
}

/// A store that failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum StoreError {
    /// Another owner acquired the key after this writer did: this writer must stop, its memory
    /// is no longer the key's truth.
    Fenced {
        /// The key.
        key: String,
        /// The epoch this writer holds.
        held: Epoch,
        /// The key's current epoch.
        current: Epoch,
    },
    /// The store's data is damaged (a checksum failed, the file is truncated): what was
    /// damaged, in the backend's words.
    Corrupt(String),
    /// The store's file is open in another process (or another store of this one): one owner
    /// per file. The path is the store's.
    Locked(std::path::PathBuf),
    /// Any other failure of the backend (I/O, a full disk, the file locked by another process).
    Backend(Box<dyn std::error::Error + Send + Sync>),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Fenced { key, held, current } => write!(
                f,
                "key `{key}` was taken over (epoch {} held, {} current): this writer is fenced off",
                held.0, current.0
            ),
            Self::Corrupt(what) => write!(f, "the store is corrupt: {what}"),
            Self::Locked(path) => write!(
                f,
                "{} is open in another process (one owner per store file)",
                path.display()
            ),
            Self::Backend(error) => write!(f, "the store failed: {error}"),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Backend(error) => Some(&**error),
            _ => None,
        }
    }
}
