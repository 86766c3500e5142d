//! The default store: one redb database file holding every key's last record and epoch.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::Arc;

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};

use super::store::{Epoch, Store, StoreError, Write};

/// Each key's last record.
const RECORDS: TableDefinition<'static, &str, &[u8]> = TableDefinition::new("lockstep_records");
/// Each key's current epoch (see [`Store::acquire`]).
const EPOCHS: TableDefinition<'static, &str, u64> = TableDefinition::new("lockstep_epochs");

/// A [`Store`] in one [redb](https://docs.rs/redb) database file.
///
/// Every commit is one redb write transaction with `Durability::Immediate` in redb's default
/// one-phase mode: the pages are written with checksums, the commit slot is flipped, and one
/// `fsync` makes it durable before [`commit`](Store::commit) returns. After a crash redb opens
/// the last commit whose checksums hold. The file is opened with redb's integrity check on, so a
/// file damaged outside redb is reported as [`StoreError::Corrupt`] when it is opened instead of
/// being trusted; a damage that escapes it and makes redb panic is caught and reported the same
/// way. One process at a time may open the file (redb locks it): a second `open` fails with
/// [`StoreError::Backend`].
///
/// Clones share the database.
#[derive(Clone)]
pub struct RedbStore {
    db: Arc<Database>,
}

impl core::fmt::Debug for RedbStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RedbStore").finish_non_exhaustive()
    }
}

impl RedbStore {
    /// Opens the database at `path`, creating it if it does not exist, and checks its integrity.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] if the file is damaged (a failed checksum, a truncated file),
    /// [`StoreError::Backend`] if it cannot be opened (I/O, locked by another process, not a
    /// redb file).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref();
        let db = guarded(|| {
            let mut builder = Database::builder();
            // Without it redb trusts a cleanly closed file and may panic on a damaged one.
            builder.set_check_integrity_on_open(true);
            builder
                .create(path)
                .map_err(redb::Error::from)
                .map_err(from_redb)
        })?;
        let store = RedbStore { db: Arc::new(db) };
        // Both tables exist from the start, so that reads never meet a missing table.
        store.transact(|txn| {
            txn.open_table(RECORDS)?;
            txn.open_table(EPOCHS)?;
            Ok(())
        })?;
        Ok(store)
    }

    /// Copies every sound record of a damaged database file into a new store at `into`.
    ///
    /// [`open`](Self::open) refuses a file whose checksums fail as a whole: redb cannot tell which
    /// of its pages are still right. Salvage reads the file without that check and keeps a record
    /// only if lockstep's own checksum holds, under the key the record itself names (so a
    /// damaged key cannot hand one actor's record to another). Records on a damaged page are
    /// reported, not guessed; the others survive. Every salvaged key starts again at epoch 1.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] or [`StoreError::Backend`] if the damaged file cannot be read at
    /// all (a truncated file, whose layout redb refuses before reading a record), or `into`
    /// cannot be created.
    pub fn salvage(
        damaged: impl AsRef<Path>,
        into: impl AsRef<Path>,
    ) -> Result<(Self, Salvaged), StoreError> {
        let damaged = damaged.as_ref();
        let mut found: Vec<(String, Vec<u8>)> = Vec::new();
        let mut report = Salvaged::default();
        let read = guarded(|| {
            let db = Database::builder()
                .open_read_only(damaged)
                .map_err(|e| from_redb(e.into()))?;
            let txn = db.begin_read().map_err(|e| from_redb(e.into()))?;
            let records = txn.open_table(RECORDS).map_err(|e| from_redb(e.into()))?;
            let entries = records.range::<&str>(..).map_err(|e| from_redb(e.into()))?;
            for entry in entries {
                let Ok((_, record)) = entry else {
                    report.damaged += 1;
                    continue;
                };
                let bytes = record.value().to_vec();
                match super::record::decode(&bytes) {
                    Ok(decoded) => found.push((decoded.key, bytes)),
                    Err(_) => report.damaged += 1,
                }
            }
            Ok(())
        });
        // A panic in the middle of the walk leaves what was read before it.
        if let Err(error) = read {
            if found.is_empty() && report.damaged == 0 {
                return Err(error);
            }
            report.cut_short = Some(error.to_string());
        }
        let store = RedbStore::open(into)?;
        for (key, record) in &found {
            let epoch = store.acquire(key)?;
            store.commit(&[Write { key, epoch, record }])?;
        }
        report.recovered = found.into_iter().map(|(key, _)| key).collect();
        Ok((store, report))
    }

    /// Runs `body` in one write transaction and commits it durably.
    fn transact<T>(
        &self,
        body: impl FnOnce(&redb::WriteTransaction) -> Result<T, TxnError>,
    ) -> Result<T, StoreError> {
        guarded(|| {
            let txn = self.db.begin_write().map_err(|e| from_redb(e.into()))?;
            let value = match body(&txn) {
                Ok(value) => value,
                Err(TxnError::Store(error)) => return Err(error),
                Err(TxnError::Redb(error)) => return Err(from_redb(error)),
            };
            txn.commit().map_err(|e| from_redb(e.into()))?;
            Ok(value)
        })
    }
}

impl Store for RedbStore {
    fn acquire(&self, key: &str) -> Result<Epoch, StoreError> {
        self.transact(|txn| {
            let mut epochs = txn.open_table(EPOCHS)?;
            let next = epochs.get(key)?.map_or(0, |e| e.value()) + 1;
            epochs.insert(key, next)?;
            Ok(Epoch(next))
        })
    }

    fn load(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        guarded(|| {
            let txn = self.db.begin_read().map_err(|e| from_redb(e.into()))?;
            let records = txn.open_table(RECORDS).map_err(|e| from_redb(e.into()))?;
            let record = records.get(key).map_err(|e| from_redb(e.into()))?;
            Ok(record.map(|r| r.value().to_vec()))
        })
    }

    fn commit(&self, writes: &[Write<'_>]) -> Result<(), StoreError> {
        self.transact(|txn| {
            // The fence and the write in one transaction: no other writer can slip in between.
            {
                let epochs = txn.open_table(EPOCHS)?;
                for write in writes {
                    let current = epochs.get(write.key)?.map_or(0, |e| e.value());
                    if current != write.epoch.0 {
                        return Err(TxnError::Store(StoreError::Fenced {
                            key: write.key.to_owned(),
                            held: write.epoch,
                            current: Epoch(current),
                        }));
                    }
                }
            }
            let mut records = txn.open_table(RECORDS)?;
            for write in writes {
                records.insert(write.key, write.record)?;
            }
            Ok(())
        })
    }
}

/// A failure inside a transaction body: redb's, or the store's own verdict (a fence).
enum TxnError {
    Redb(redb::Error),
    Store(StoreError),
}

impl<E: Into<redb::Error>> From<E> for TxnError {
    fn from(error: E) -> Self {
        TxnError::Redb(error.into())
    }
}

fn from_redb(error: redb::Error) -> StoreError {
    match error {
        redb::Error::Corrupted(what) => StoreError::Corrupt(what),
        other => StoreError::Backend(Box::new(other)),
    }
}

/// redb checks some invariants with assertions (in debug builds, on purpose, for a backtrace).
/// A damaged file can trip one; the store reports it as damage instead of unwinding into the
/// actor.
fn guarded<T>(body: impl FnOnce() -> Result<T, StoreError>) -> Result<T, StoreError> {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|payload| {
        let text = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(StoreError::Corrupt(format!(
            "the database panicked: {text}"
        )))
    })
}

/// What [`RedbStore::salvage`] recovered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Salvaged {
    /// The keys whose records were sound, now in the new store.
    pub recovered: Vec<String>,
    /// Records that could not be read or failed lockstep's checksum.
    pub damaged: usize,
    /// The walk over the file stopped early (redb failed in the middle): why. Records after that
    /// point in key order were not reached.
    pub cut_short: Option<String>,
}
