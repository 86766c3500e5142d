//! Spawning a persisted actor: load or create its record, commit each batch before answering.

use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::record::{self, Damage, RecordHeader};
use super::store::{Epoch, Store, StoreError, Write};
use crate::actor::journal::{Commit, Held, Journal, Release, finish_commit};
use crate::actor::mail::Asked;
use crate::actor::{Actor, Builder, Join, Unrecorded};
use crate::machine::Machine;

/// How many messages one commit covers at most, by default.
pub const DEFAULT_MAX_BATCH: usize = 256;

type Migration<Mc> =
    Box<dyn FnOnce(OldRecord<'_>) -> Result<(Mc, <Mc as Machine>::Context), String> + Send>;

/// A persisted actor, configured and not yet spawned: made by [`Builder::persist`].
#[must_use = "a persisted builder does nothing until `spawn`"]
pub struct Persisted<Mc: Machine> {
    builder: Builder<Mc>,
    store: Arc<dyn Store>,
    key: String,
    schema: u32,
    max_batch: usize,
    migrate: Option<Migration<Mc>>,
}

impl<Mc: Machine> core::fmt::Debug for Persisted<Mc> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Persisted")
            .field("builder", &self.builder)
            .field("key", &self.key)
            .field("schema", &self.schema)
            .field("max_batch", &self.max_batch)
            .field("migrate", &self.migrate.is_some())
            .finish_non_exhaustive()
    }
}

impl<Mc: Machine> Builder<Mc> {
    /// Makes the actor persisted (feature `persist`): kept in `store` under `key`. See
    /// [`Persisted::spawn`] for what is loaded and committed when.
    pub fn persist(self, store: impl Store, key: impl Into<String>) -> Persisted<Mc> {
        Persisted {
            builder: self,
            store: Arc::new(store),
            key: key.into(),
            schema: 0,
            max_batch: DEFAULT_MAX_BATCH,
            migrate: None,
        }
    }
}

/// A stored record of another spec or schema, handed to the migration hook
/// ([`Persisted::migrate`]).
#[derive(Debug, Clone, Copy)]
pub struct OldRecord<'a> {
    /// What the record says it is.
    pub header: &'a RecordHeader,
    /// Its payload: the postcard encoding of `(machine, context)` as they were when it was
    /// written.
    pub payload: &'a [u8],
}

impl OldRecord<'_> {
    /// Decodes the payload as `T`: usually `(OldMachine, OldContext)`, copies of the types as
    /// they were at that schema version.
    ///
    /// # Errors
    /// The payload is not a `T`.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, String> {
        decode_exact(self.payload)
    }
}

/// Why a persisted actor could not be spawned.
#[derive(Debug)]
#[non_exhaustive]
pub enum PersistError {
    /// The store failed (including [`StoreError::Corrupt`] for damage the store itself found).
    Store(StoreError),
    /// The key's record is damaged: lockstep's own frame or checksum failed.
    Damaged {
        /// The key.
        key: String,
        /// What is wrong with it.
        damage: Damage,
    },
    /// The record was written by another machine, spec or schema, and no migration hook is set.
    Incompatible {
        /// The key.
        key: String,
        /// What the record says it is.
        found: RecordHeader,
        /// What this build writes.
        expected: RecordHeader,
    },
    /// The migration hook refused the record.
    Migration {
        /// The key.
        key: String,
        /// What the record says it is.
        found: RecordHeader,
        /// What the hook said.
        reason: String,
    },
    /// The record's payload does not decode as this machine and context, though its header
    /// matches: the state or context types changed without a new schema version.
    Decode {
        /// The key.
        key: String,
        /// What the decoder said.
        reason: String,
    },
    /// The first record (a new key's, or a migrated one) could not be committed.
    Unrecorded(Unrecorded),
}

impl core::fmt::Display for PersistError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Store(error) => write!(f, "{error}"),
            Self::Damaged { key, damage } => {
                write!(f, "the record of `{key}` is damaged: {damage}")
            }
            Self::Incompatible {
                key,
                found,
                expected,
            } => write!(
                f,
                "the record of `{key}` is of {found}, this build is {expected}: add a migration \
                 hook (`Persisted::migrate`) that reads the old record, or run the build that \
                 wrote it"
            ),
            Self::Migration { key, found, reason } => {
                write!(
                    f,
                    "migrating the record of `{key}` from {found} failed: {reason}"
                )
            }
            Self::Decode { key, reason } => write!(
                f,
                "the record of `{key}` does not decode ({reason}): if the state or context types \
                 changed, raise the schema version (`Persisted::schema`) and add a migration hook"
            ),
            Self::Unrecorded(why) => write!(f, "the first record could not be committed: {why}"),
        }
    }
}

impl std::error::Error for PersistError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Store(error) => Some(error),
            Self::Unrecorded(why) => Some(why),
            _ => None,
        }
    }
}

impl From<StoreError> for PersistError {
    fn from(error: StoreError) -> Self {
        PersistError::Store(error)
    }
}

impl<Mc> Persisted<Mc>
where
    Mc: Machine + Serialize + DeserializeOwned + Send + 'static,
    Mc::Context: Serialize + DeserializeOwned + Send + 'static,
    Mc::Input<Asked>: Send + 'static,
    Mc::Input<Held>: Send + 'static,
{
    /// The user's schema version written in every record (default 0). Raise it when the data of
    /// a state or the context changes layout; records of another version go to the migration
    /// hook.
    pub fn schema(mut self, version: u32) -> Self {
        self.schema = version;
        self
    }

    /// The most messages one commit covers (default [`DEFAULT_MAX_BATCH`]; at least 1). 1
    /// commits every message on its own.
    pub fn max_batch(mut self, messages: usize) -> Self {
        self.max_batch = messages.max(1);
        self
    }

    /// Upgrades a record of another spec fingerprint, schema version or machine name: the hook
    /// gets the [`OldRecord`] and returns the machine and context to resume with (or why it
    /// cannot). The upgraded record is committed before the actor starts. Without a hook such a
    /// record is refused with [`PersistError::Incompatible`].
    pub fn migrate(
        mut self,
        hook: impl FnOnce(OldRecord<'_>) -> Result<(Mc, Mc::Context), String> + Send + 'static,
    ) -> Self {
        self.migrate = Some(Box::new(hook));
        self
    }

    /// Spawns the actor on the current tokio runtime.
    ///
    /// It acquires the key (a new [`Epoch`]: an older owner of the key is fenced off), then loads
    /// its record: if there is one, the actor resumes in the recorded state with the recorded
    /// context (the state's enter hook is not run again; its timeout, if any, starts afresh);
    /// otherwise it starts from the builder's state and context and runs the first state's
    /// enter hook, and the result is committed before this returns. From then on each batch of messages (what is in the mailbox when the actor
    /// looks, up to [`max_batch`](Self::max_batch)) is committed in one transaction before any
    /// of its askers gets an answer. A restart policy restarts from the last commit, not from the
    /// builder's factory (which only serves while nothing is committed).
    ///
    /// # Errors
    /// [`PersistError`]: the store failed, the record is damaged, incompatible (and not
    /// migrated), or does not decode, or the first commit failed.
    ///
    /// # Panics
    /// Outside a tokio runtime, as `tokio::spawn` does.
    pub async fn spawn(self) -> Result<(Actor<Mc>, Join<Mc>), PersistError> {
        let Persisted {
            builder,
            store,
            key,
            schema,
            max_batch,
            migrate,
        } = self;
        let key: Arc<str> = key.into();
        let (epoch, stored) = {
            let (store, key) = (Arc::clone(&store), Arc::clone(&key));
            blocking(move || Ok((store.acquire(&key)?, store.load(&key)?))).await?
        };
        let expected = RecordHeader::of::<Mc>(schema);
        let (loaded, migrated) = match stored {
            None => (None, false),
            Some(bytes) => {
                let (loaded, migrated) = read_record::<Mc>(&key, &bytes, &expected, migrate)?;
                (Some(loaded), migrated)
            }
        };
        let mut parts = builder.assemble(loaded);
        let mut journal = RecordJournal::<Mc> {
            store: Arc::clone(&store),
            key: Arc::clone(&key),
            epoch,
            header: expected.clone(),
            held: Vec::new(),
            max_batch,
        };
        // A migrated record is committed in its new form before anything runs. A new key's first
        // record is the loop's start commit, made after the first state's enter hook: a record
        // always holds a state that was entered, so a resumed machine rightly skips the hook,
        // and a process killed before that commit left no record and starts afresh.
        if migrated
            && let (Some(machine), Some(context)) =
                (parts.core.machine.as_ref(), parts.core.context.as_ref())
        {
            let commit = journal
                .begin_commit(machine, context)
                .map_err(PersistError::Unrecorded)?;
            finish_commit(commit)
                .await
                .map_err(PersistError::Unrecorded)?;
        }
        let (started, start) = tokio::sync::oneshot::channel();
        parts.core.started = Some(started);
        parts.core.journal = Some(Box::new(journal));
        let (actor, join) = parts.launch();
        match start.await {
            Ok(Ok(())) => Ok((actor, join)),
            Ok(Err(unrecorded)) => Err(PersistError::Unrecorded(unrecorded)),
            // The loop ended before its start commit (its runtime is shutting down).
            Err(_) => Err(PersistError::Unrecorded(Unrecorded::Commit(Arc::new(
                StoreError::Backend("the actor ended before its first commit".into()),
            )))),
        }
    }
}

/// Reads a record: checks its frame, then its header against this build's, and decodes or
/// migrates it. `true` if it was migrated (and must be committed in the new form).
fn read_record<Mc>(
    key: &str,
    bytes: &[u8],
    expected: &RecordHeader,
    migrate: Option<Migration<Mc>>,
) -> Result<((Mc, Mc::Context), bool), PersistError>
where
    Mc: Machine + DeserializeOwned,
    Mc::Context: DeserializeOwned,
{
    let damaged = |damage| PersistError::Damaged {
        key: key.to_owned(),
        damage,
    };
    let record::Decoded {
        header: found,
        key: owner,
        payload,
    } = record::decode(bytes).map_err(damaged)?;
    if owner != key {
        return Err(damaged(Damage::WrongKey { found: owner }));
    }
    if found == *expected {
        let loaded = decode_exact(payload).map_err(|reason| PersistError::Decode {
            key: key.to_owned(),
            reason,
        })?;
        return Ok((loaded, false));
    }
    let Some(migrate) = migrate else {
        return Err(PersistError::Incompatible {
            key: key.to_owned(),
            found,
            expected: expected.clone(),
        });
    };
    match migrate(OldRecord {
        header: &found,
        payload,
    }) {
        Ok(loaded) => Ok((loaded, true)),
        Err(reason) => Err(PersistError::Migration {
            key: key.to_owned(),
            found,
            reason,
        }),
    }
}

/// Decodes all of `payload` as `T`. postcard stops where `T` ends; bytes left over mean the
/// payload was written as another type that happened to begin like `T`.
fn decode_exact<T: DeserializeOwned>(payload: &[u8]) -> Result<T, String> {
    let (value, rest) = postcard::take_from_bytes(payload).map_err(|e| e.to_string())?;
    if rest.is_empty() {
        Ok(value)
    } else {
        Err(format!(
            "{} bytes left over: the payload is of another type",
            rest.len()
        ))
    }
}

/// Runs store work on tokio's blocking pool: a commit waits for an fsync, which must not hold a
/// runtime worker.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|joined| {
            Err(StoreError::Backend(
                format!("the store's work did not finish: {joined}").into(),
            ))
        })
}

/// The journal of one persisted actor: its key, epoch and header, and the answers of the batch
/// being run.
struct RecordJournal<Mc: Machine> {
    store: Arc<dyn Store>,
    key: Arc<str>,
    epoch: Epoch,
    header: RecordHeader,
    held: Vec<Mc::Input<Held>>,
    max_batch: usize,
}

impl<Mc> Journal<Mc> for RecordJournal<Mc>
where
    Mc: Machine + Serialize + DeserializeOwned,
    Mc::Context: Serialize + DeserializeOwned,
    Mc::Input<Held>: Send,
{
    fn hold(&mut self, answer: Mc::Input<Held>) {
        self.held.push(answer);
    }

    fn max_batch(&self) -> usize {
        self.max_batch
    }

    fn begin_commit(&mut self, machine: &Mc, context: &Mc::Context) -> Result<Commit, Unrecorded> {
        let payload = postcard::to_allocvec(&(machine, context))
            .map_err(|e| Unrecorded::Encode(e.to_string().into()))?;
        let bytes = record::encode(&self.header, &self.key, &payload)
            .map_err(|e| Unrecorded::Encode(e.into()))?;
        let (store, key, epoch) = (Arc::clone(&self.store), Arc::clone(&self.key), self.epoch);
        Ok(tokio::task::spawn_blocking(move || {
            store.commit(&[Write {
                key: &key,
                epoch,
                record: &bytes,
            }])
        }))
    }

    fn release(&mut self, failed: Option<&Unrecorded>) {
        for answer in self.held.drain(..) {
            Mc::route(answer, Release(failed));
        }
    }

    fn reload(&self) -> Result<Option<(Mc, Mc::Context)>, String> {
        // The store and the `Deserialize` impls are not ours: a panic in them must end the actor
        // as a failed restart does (queued askers get their messages back), not unwind its task.
        let reload = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let bytes = self.store.load(&self.key).map_err(|e| e.to_string())?;
            bytes
                .map(|bytes| {
                    read_record::<Mc>(&self.key, &bytes, &self.header, None)
                        .map(|(loaded, _)| loaded)
                        .map_err(|e| e.to_string())
                })
                .transpose()
        }));
        reload.unwrap_or_else(|payload| {
            let text = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(format!("the store panicked while reloading: {text}"))
        })
    }
}
