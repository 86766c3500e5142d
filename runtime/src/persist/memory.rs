//! A store in memory: the contract without a disk, for tests and for what need not outlive the
//! process.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use super::store::{Epoch, Store, StoreError, Write};

/// A [`Store`] in memory. Clones share the same records, so a test can "restart" an actor by
/// spawning it again from a clone. Nothing survives the process: it is durable only in the
/// sense that the actor's own memory is not the store's.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    keys: Arc<Mutex<HashMap<String, Slot>>>,
}

#[derive(Debug, Default)]
struct Slot {
    epoch: u64,
    record: Option<Vec<u8>>,
}

impl MemoryStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }
}

impl Store for MemoryStore {
    fn acquire(&self, key: &str) -> Result<Epoch, StoreError> {
        let mut keys = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
        let slot = keys.entry(key.to_owned()).or_default();
        slot.epoch += 1;
        Ok(Epoch(slot.epoch))
    }

    fn load(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let keys = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(keys.get(key).and_then(|slot| slot.record.clone()))
    }

    fn commit(&self, writes: &[Write<'_>]) -> Result<(), StoreError> {
        let mut keys = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
        // All fences first: a batch is written whole or not at all.
        for write in writes {
            let current = keys.get(write.key).map_or(0, |slot| slot.epoch);
            if current != write.epoch.0 {
                return Err(StoreError::Fenced {
                    key: write.key.to_owned(),
                    held: write.epoch,
                    current: Epoch(current),
                });
            }
        }
        for write in writes {
            keys.entry(write.key.to_owned()).or_default().record = Some(write.record.to_vec());
        }
        Ok(())
    }
}
