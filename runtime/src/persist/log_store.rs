//! An append-only log: every commit is one frame appended at the end of one file and made
//! durable by one `fdatasync`, so a commit costs what the disk's fsync costs and little more.
//!
//! ```text
//! file header   "LKSPLOG\0" (8 bytes), format u32 LE (1), reserved u32 (0)
//! frame         "LKFR", body length u32 LE, CRC-32 u32 LE (over magic, length and body), body
//! body          entry count u32 LE, then per entry:
//!                 kind u8 (0 = acquire, 1 = record), epoch u64 LE, key length u16 LE, key,
//!                 for a record: record length u32 LE, record
//! ```
//!
//! After the last frame the file holds zeros: it grows in preallocated, zero-filled chunks, so an
//! append writes into blocks that already exist and `fdatasync` has no extent or size change to
//! flush with it.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write as _};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use super::record::crc32;
use super::store::{Epoch, Store, StoreError, Write};

const FILE_MAGIC: &[u8; 8] = b"LKSPLOG\0";
const LOG_FORMAT: u32 = 1;
const FILE_HEADER: usize = 16;
const FRAME_MAGIC: &[u8; 4] = b"LKFR";
const FRAME_HEADER: usize = 12;
const KIND_ACQUIRE: u8 = 0;
const KIND_RECORD: u8 = 1;

/// How a [`LogStore`] grows its file and when it compacts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct LogOptions {
    /// The file grows by this many bytes at a time (default 4 MiB).
    pub chunk_bytes: u64,
    /// Write the new chunk's zeros (default) instead of only setting the file's length. A chunk
    /// made by `set_len` is a hole: every append into it allocates blocks, and `fdatasync` must
    /// then flush that extent change too (see the book's Performance chapter for the cost).
    pub zero_fill: bool,
    /// Compact once the log is this many times larger than its live records (default 4)...
    pub compact_ratio: u64,
    /// ...and larger than this many bytes (default 64 MiB), so a small log is never rewritten.
    pub compact_min_bytes: u64,
}

impl Default for LogOptions {
    fn default() -> Self {
        LogOptions {
            chunk_bytes: 4 << 20,
            zero_fill: true,
            compact_ratio: 4,
            compact_min_bytes: 64 << 20,
        }
    }
}

impl LogOptions {
    /// The defaults.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets [`chunk_bytes`](Self::chunk_bytes) (at least 4 KiB).
    #[must_use]
    pub fn chunk_bytes(mut self, bytes: u64) -> Self {
        self.chunk_bytes = bytes.max(4096);
        self
    }
    /// Sets [`zero_fill`](Self::zero_fill).
    #[must_use]
    pub fn zero_fill(mut self, zero_fill: bool) -> Self {
        self.zero_fill = zero_fill;
        self
    }
    /// Sets [`compact_ratio`](Self::compact_ratio) (at least 2) and
    /// [`compact_min_bytes`](Self::compact_min_bytes).
    #[must_use]
    pub fn compact_when(mut self, ratio: u64, min_bytes: u64) -> Self {
        self.compact_ratio = ratio.max(2);
        self.compact_min_bytes = min_bytes;
        self
    }
}

/// What [`LogStore::open`] found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Recovery {
    /// Intact frames read.
    pub frames: usize,
    /// Keys known (acquired or written).
    pub keys: usize,
    /// A damaged last frame that was cut off: the bytes it spanned. Only an append interrupted by
    /// a crash leaves one, and such a commit was never acknowledged (a commit is acknowledged
    /// only after its frame is whole on disk).
    pub torn_tail: Option<Range<u64>>,
    /// A compaction's temporary file left by a crash before its rename, removed (the log itself
    /// was still whole).
    pub removed_compaction: bool,
}

/// What [`LogStore::salvage`] recovered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LogSalvaged {
    /// Keys with a record in the new store.
    pub recovered: Vec<String>,
    /// Intact frames kept.
    pub frames: usize,
    /// The byte ranges that held no intact frame and were skipped.
    pub damaged: Vec<Range<u64>>,
}

/// A [`Store`] in one append-only log file.
///
/// A commit (a whole batch) is one frame written at the end of the file, then one
/// `fdatasync`; [`commit`](Store::commit) returns after it. [`acquire`](Store::acquire) appends a
/// small frame the same way. Reads come from an in-memory index of each key's last record, built
/// when the file is opened.
///
/// On [`open`](Self::open) every frame is checked (magic, length, CRC-32). A damaged last frame
/// is what a crash during an append leaves: it is cut off and reported in
/// [`recovery`](Self::recovery), everything before it is kept. Damage followed by intact frames
/// cannot come from a crash: `open` refuses the file with [`StoreError::Corrupt`] naming the
/// offset, and [`salvage`](Self::salvage) copies every intact frame into a new log.
///
/// The file is compacted (its live records rewritten to a new file that is renamed over it) when
/// it outgrows its live data by [`LogOptions::compact_ratio`]. A write that fails leaves the store
/// refusing every later write, since what reached the disk is then unknown: reopen it.
///
/// One process at a time: the store holds an exclusive lock on `<path>.lock`, and a second
/// `open` of the same log fails with [`StoreError::Locked`]. Clones share the log.
///
/// ```
/// use lockstep::persist::{LogStore, Store, StoreError, Write};
///
/// let dir = std::env::temp_dir().join(format!("lockstep-logstore-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("accounts.log");
/// {
///     let store = LogStore::open(&path)?;
///     let epoch = store.acquire("acct-1")?;
///     store.commit(&[Write { key: "acct-1", epoch, record: b"opaque bytes" }])?;
///     assert!(matches!(LogStore::open(&path), Err(StoreError::Locked(_))));
/// }
/// let store = LogStore::open(&path)?;
/// assert_eq!(store.recovery().torn_tail, None);
/// assert_eq!(store.load("acct-1")?.as_deref(), Some(&b"opaque bytes"[..]));
/// # drop(store);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct LogStore {
    inner: Arc<Mutex<Inner>>,
    recovery: Arc<Recovery>,
}

impl core::fmt::Debug for LogStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("LogStore")
            .field("recovery", &self.recovery)
            .finish_non_exhaustive()
    }
}

struct Inner {
    path: PathBuf,
    file: File,
    /// Held for its lock: released when the store is dropped.
    _lock: File,
    options: LogOptions,
    index: HashMap<String, Slot>,
    /// Where the next frame goes.
    end: u64,
    /// The file's length: zeros from `end` to here.
    allocated: u64,
    /// What a compacted log of the current keys would take.
    live: u64,
    /// Set when a write or sync failed: nothing more is written.
    failed: Option<String>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    epoch: u64,
    /// The record's place in the file.
    record: Option<(u64, u32)>,
}

/// One entry of a frame, as read.
struct Entry<'a> {
    kind: u8,
    epoch: u64,
    key: &'a str,
    /// The record and its offset within the body.
    record: Option<(usize, &'a [u8])>,
}

impl LogStore {
    /// Opens the log at `path` with the default [`LogOptions`], creating it if it does not exist.
    ///
    /// # Errors
    /// See [`open_with`](Self::open_with).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_with(path, LogOptions::default())
    }

    /// Opens the log at `path`, creating it if it does not exist, and indexes it.
    ///
    /// # Errors
    /// [`StoreError::Locked`] if another process (or another store in this one) has it open,
    /// [`StoreError::Corrupt`] if it is not a log or a frame before the last is damaged (the
    /// message names the offset; see [`salvage`](Self::salvage)), [`StoreError::Backend`] on I/O
    /// failure.
    pub fn open_with(path: impl AsRef<Path>, options: LogOptions) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let lock = lock(&path)?;
        let mut recovery = Recovery::default();
        let temporary = compaction_path(&path);
        if temporary.exists() {
            // A compaction renames its file over the log as its last step; a temporary file
            // still here was never renamed, so the log is the truth.
            std::fs::remove_file(&temporary).map_err(io_error)?;
            recovery.removed_compaction = true;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io_error)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io_error)?;
        if bytes.is_empty() {
            file.write_all(&file_header()).map_err(io_error)?;
            file.sync_all().map_err(io_error)?;
            sync_dir(&path)?;
            bytes = file_header().to_vec();
        }
        check_file_header(&bytes, &path)?;
        let mut scan = Scan::default();
        let mut pos = FILE_HEADER;
        let end = loop {
            if let Some(len) = frame_at(&bytes, pos) {
                scan.apply(&bytes, pos, len);
                pos += len;
                continue;
            }
            if let Some(next) = next_frame(&bytes, pos + 1) {
                return Err(StoreError::Corrupt(format!(
                    "log {}: the frame at byte {pos} is damaged and intact frames follow it \
                     (from byte {next}); a crash cannot do that. `LogStore::salvage` copies every \
                     intact frame into a new log",
                    path.display()
                )));
            }
            if let Some(last) = bytes[pos..].iter().rposition(|&b| b != 0) {
                // The torn tail: zeroed, so a shorter frame appended here later is not followed
                // by its leftovers.
                let cut = pos as u64..(pos + last + 1) as u64;
                file.seek(SeekFrom::Start(cut.start)).map_err(io_error)?;
                file.write_all(
                    &bytes[pos..=pos + last]
                        .iter()
                        .map(|_| 0)
                        .collect::<Vec<u8>>(),
                )
                .map_err(io_error)?;
                file.sync_data().map_err(io_error)?;
                recovery.torn_tail = Some(cut);
            }
            break pos as u64;
        };
        recovery.frames = scan.frames;
        recovery.keys = scan.index.len();
        let mut inner = Inner {
            path,
            file,
            _lock: lock,
            options,
            live: live_bytes(&scan.index),
            index: scan.index,
            end,
            allocated: bytes.len() as u64,
            failed: None,
        };
        inner.grow(0)?;
        Ok(LogStore {
            inner: Arc::new(Mutex::new(inner)),
            recovery: Arc::new(recovery),
        })
    }

    /// What opening the log found: frames, keys, a torn tail cut off.
    #[must_use]
    pub fn recovery(&self) -> &Recovery {
        &self.recovery
    }

    /// Copies every intact frame of a damaged log into a new, compacted log at `into`.
    ///
    /// Damaged bytes are skipped up to the next intact frame and reported; a key's record is the
    /// last one found in an intact frame, so a key whose latest commit was in a damaged frame
    /// comes back with an earlier record. Epochs are kept as found.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] if `damaged` is not a log at all, [`StoreError::Backend`] on I/O
    /// failure or if `into` exists, [`StoreError::Locked`] if `into` is open.
    pub fn salvage(
        damaged: impl AsRef<Path>,
        into: impl AsRef<Path>,
    ) -> Result<(Self, LogSalvaged), StoreError> {
        let damaged = damaged.as_ref();
        let bytes = std::fs::read(damaged).map_err(io_error)?;
        check_file_header(&bytes, damaged)?;
        let mut scan = Scan::default();
        let mut report = LogSalvaged::default();
        let mut pos = FILE_HEADER;
        while pos < bytes.len() {
            if let Some(len) = frame_at(&bytes, pos) {
                scan.apply(&bytes, pos, len);
                pos += len;
                continue;
            }
            let next = next_frame(&bytes, pos + 1);
            let stop = next.unwrap_or(bytes.len());
            if bytes[pos..stop].iter().any(|&b| b != 0) {
                report.damaged.push(pos as u64..stop as u64);
            }
            pos = stop;
        }
        report.frames = scan.frames;
        let mut entries = Vec::new();
        let mut keys: Vec<&String> = scan.index.keys().collect();
        keys.sort();
        for key in keys {
            let slot = scan.index[key];
            let record = slot.record.map(|(at, len)| {
                #[allow(clippy::cast_possible_truncation)] // offsets within a file read whole
                let at = at as usize;
                &bytes[at..at + len as usize]
            });
            if record.is_some() {
                report.recovered.push(key.clone());
            }
            entries.push((key.as_str(), slot.epoch, record));
        }
        let into = into.as_ref();
        if into.exists() {
            // Salvage writes a new log; it never overwrites a file that may be someone's data.
            return Err(StoreError::Backend(
                format!("{} exists: salvage writes a new log", into.display()).into(),
            ));
        }
        drop(lock(into)?);
        write_compacted(into, &entries, LogOptions::default().chunk_bytes, true)?;
        sync_dir(into)?;
        let store = LogStore::open(into)?;
        Ok((store, report))
    }

    /// Rewrites the live records to a new file and renames it over the log now, whatever its
    /// size (commits compact on their own past [`LogOptions::compact_ratio`]).
    ///
    /// # Errors
    /// [`StoreError::Backend`] on I/O failure: before the rename the log is untouched, after it a
    /// failure leaves the store refusing writes.
    pub fn compact(&self) -> Result<(), StoreError> {
        self.lock().compact()
    }

    /// The log file's used bytes (header and frames, not the preallocated zeros).
    #[must_use]
    pub fn log_bytes(&self) -> u64 {
        self.lock().end
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Store for LogStore {
    fn acquire(&self, key: &str) -> Result<Epoch, StoreError> {
        let mut inner = self.lock();
        let next = inner.index.get(key).map_or(0, |slot| slot.epoch) + 1;
        let mut body = Vec::new();
        body.extend_from_slice(&1u32.to_le_bytes());
        put_entry(&mut body, KIND_ACQUIRE, next, key, None)?;
        inner.append(&body)?;
        let slot = inner.index.entry(key.to_owned()).or_default();
        let known = slot.epoch > 0 || slot.record.is_some();
        slot.epoch = next;
        if !known {
            inner.live += entry_size(key, None);
        }
        Ok(Epoch(next))
    }

    fn load(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let mut inner = self.lock();
        let Some((at, len)) = inner.index.get(key).and_then(|slot| slot.record) else {
            return Ok(None);
        };
        let mut record = vec![0; len as usize];
        inner.file.seek(SeekFrom::Start(at)).map_err(io_error)?;
        inner.file.read_exact(&mut record).map_err(io_error)?;
        Ok(Some(record))
    }

    fn commit(&self, writes: &[Write<'_>]) -> Result<(), StoreError> {
        let mut inner = self.lock();
        // All fences first: a batch is written whole or not at all.
        for write in writes {
            let current = inner.index.get(write.key).map_or(0, |slot| slot.epoch);
            if current != write.epoch.0 {
                return Err(StoreError::Fenced {
                    key: write.key.to_owned(),
                    held: write.epoch,
                    current: Epoch(current),
                });
            }
        }
        let count = u32::try_from(writes.len()).map_err(|_| too_large("batch"))?;
        let mut body = Vec::new();
        body.extend_from_slice(&count.to_le_bytes());
        let mut places = Vec::with_capacity(writes.len());
        for write in writes {
            places.push(body.len() + record_place(write.key));
            put_entry(
                &mut body,
                KIND_RECORD,
                write.epoch.0,
                write.key,
                Some(write.record),
            )?;
        }
        let at = inner.append(&body)? + FRAME_HEADER as u64;
        for (write, place) in writes.iter().zip(places) {
            #[allow(clippy::cast_possible_truncation)] // checked by `put_entry`
            let len = write.record.len() as u32;
            let new = entry_size(write.key, Some(write.record));
            let slot = inner.index.entry(write.key.to_owned()).or_default();
            let old = slot.record.map_or(entry_size(write.key, None), |(_, len)| {
                entry_size(write.key, None) + 4 + u64::from(len)
            });
            slot.record = Some((at + place as u64, len));
            inner.live = inner.live - old.min(inner.live) + new;
        }
        let options = inner.options;
        if inner.end > options.compact_min_bytes
            && inner.end > options.compact_ratio.saturating_mul(inner.live)
        {
            // The batch is committed already; a compaction that fails before its rename leaves
            // the log as it was, and one that fails after it has marked the store failed.
            let _ = inner.compact();
        }
        Ok(())
    }
}

impl Inner {
    /// Appends one frame with `body` and makes it durable; returns the frame's offset.
    fn append(&mut self, body: &[u8]) -> Result<u64, StoreError> {
        if let Some(why) = &self.failed {
            return Err(StoreError::Backend(
                format!("an earlier write to the log failed ({why}); reopen the store").into(),
            ));
        }
        let frame = frame(body)?;
        let at = self.end;
        self.grow(frame.len() as u64)?;
        let written = self
            .file
            .seek(SeekFrom::Start(at))
            .and_then(|_| self.file.write_all(&frame))
            .and_then(|()| self.file.sync_data());
        if let Err(error) = written {
            // After a failed write or fsync the page cache and the disk may disagree: trust
            // neither (the fsync lesson PostgreSQL learnt in 2018).
            self.failed = Some(error.to_string());
            return Err(io_error(error));
        }
        self.end = at + frame.len() as u64;
        Ok(at)
    }

    /// Makes room for `more` bytes after `end`, a whole chunk at a time.
    fn grow(&mut self, more: u64) -> Result<(), StoreError> {
        if self.end + more <= self.allocated && self.allocated > self.end {
            return Ok(());
        }
        let chunk = self.options.chunk_bytes;
        let target = (self.end + more).div_ceil(chunk) * chunk + chunk;
        let grown = extend(
            &mut self.file,
            self.allocated,
            target,
            self.options.zero_fill,
        )
        .and_then(|()| self.file.sync_all());
        if let Err(error) = grown {
            self.failed = Some(error.to_string());
            return Err(io_error(error));
        }
        self.allocated = target;
        Ok(())
    }

    fn compact(&mut self) -> Result<(), StoreError> {
        if let Some(why) = &self.failed {
            return Err(StoreError::Backend(
                format!("an earlier write to the log failed ({why}); reopen the store").into(),
            ));
        }
        let mut keys: Vec<(String, Slot)> =
            self.index.iter().map(|(k, s)| (k.clone(), *s)).collect();
        keys.sort_by(|a, b| a.0.cmp(&b.0));
        let mut records = Vec::with_capacity(keys.len());
        for (_, slot) in &keys {
            records.push(match slot.record {
                Some((at, len)) => {
                    let mut record = vec![0; len as usize];
                    self.file.seek(SeekFrom::Start(at)).map_err(io_error)?;
                    self.file.read_exact(&mut record).map_err(io_error)?;
                    Some(record)
                }
                None => None,
            });
        }
        let entries: Vec<(&str, u64, Option<&[u8]>)> = keys
            .iter()
            .zip(&records)
            .map(|((key, slot), record)| (key.as_str(), slot.epoch, record.as_deref()))
            .collect();
        let temporary = compaction_path(&self.path);
        let (file, end, allocated, places) = write_compacted(
            &temporary,
            &entries,
            self.options.chunk_bytes,
            self.options.zero_fill,
        )?;
        // The rename is the commit point: before it the old log is whole, after it the new one.
        if let Err(error) = std::fs::rename(&temporary, &self.path) {
            let _ = std::fs::remove_file(&temporary);
            return Err(io_error(error));
        }
        self.file = file;
        self.end = end;
        self.allocated = allocated;
        for ((key, _), place) in keys.iter().zip(places) {
            if let (Some(slot), Some(place)) = (self.index.get_mut(key), place) {
                slot.record = Some(place);
            }
        }
        if let Err(error) = sync_dir(&self.path) {
            // Commits after this would go to a file whose name might not survive a crash.
            self.failed = Some(error.to_string());
            return Err(error);
        }
        Ok(())
    }
}

/// Writes a new log at `path` holding `entries` in one frame, preallocated and synced.
/// Returns the open file, its end, its length and each entry's record place.
#[allow(clippy::type_complexity)]
fn write_compacted(
    path: &Path,
    entries: &[(&str, u64, Option<&[u8]>)],
    chunk: u64,
    zero_fill: bool,
) -> Result<(File, u64, u64, Vec<Option<(u64, u32)>>), StoreError> {
    let count = u32::try_from(entries.len()).map_err(|_| too_large("key count"))?;
    let mut body = Vec::new();
    body.extend_from_slice(&count.to_le_bytes());
    let mut places = Vec::with_capacity(entries.len());
    let base = (FILE_HEADER + FRAME_HEADER) as u64;
    for &(key, epoch, record) in entries {
        let kind = if record.is_some() {
            KIND_RECORD
        } else {
            KIND_ACQUIRE
        };
        let place = base + (body.len() + record_place(key)) as u64;
        put_entry(&mut body, kind, epoch, key, record)?;
        #[allow(clippy::cast_possible_truncation)] // checked by `put_entry`
        places.push(record.map(|r| (place, r.len() as u32)));
    }
    let mut bytes = file_header().to_vec();
    if !entries.is_empty() {
        bytes.extend_from_slice(&frame(&body)?);
    }
    let end = bytes.len() as u64;
    let allocated = end.div_ceil(chunk) * chunk + chunk;
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .map_err(io_error)?;
    file.write_all(&bytes)
        .and_then(|()| extend(&mut file, end, allocated, zero_fill))
        .and_then(|()| file.sync_all())
        .map_err(io_error)?;
    Ok((file, end, allocated, places))
}

static ZEROS: [u8; 64 * 1024] = [0; 64 * 1024];

/// Extends `file` from `from` to `to` bytes: with written zeros, or as a hole.
fn extend(file: &mut File, from: u64, to: u64, zero_fill: bool) -> io::Result<()> {
    if !zero_fill {
        return file.set_len(to);
    }
    file.seek(SeekFrom::Start(from))?;
    let mut left = to.saturating_sub(from);
    while left > 0 {
        let n = left.min(ZEROS.len() as u64);
        #[allow(clippy::cast_possible_truncation)] // at most 64 KiB
        file.write_all(&ZEROS[..n as usize])?;
        left -= n;
    }
    Ok(())
}

/// The state a scan of frames builds.
#[derive(Default)]
struct Scan {
    index: HashMap<String, Slot>,
    frames: usize,
}

impl Scan {
    /// Applies the intact frame of `len` bytes at `pos`.
    fn apply(&mut self, bytes: &[u8], pos: usize, len: usize) {
        let body = &bytes[pos + FRAME_HEADER..pos + len];
        self.frames += 1;
        for entry in entries(body).unwrap_or_default() {
            let slot = self.index.entry(entry.key.to_owned()).or_default();
            slot.epoch = slot.epoch.max(entry.epoch);
            if let (KIND_RECORD, Some((at, record))) = (entry.kind, entry.record) {
                #[allow(clippy::cast_possible_truncation)] // checked when the frame was written
                let len = record.len() as u32;
                slot.record = Some(((pos + FRAME_HEADER + at) as u64, len));
            }
        }
    }
}

/// The length of the intact frame at `pos`, if there is one: magic, length within the file,
/// CRC, and a body that parses.
fn frame_at(bytes: &[u8], pos: usize) -> Option<usize> {
    let header = bytes.get(pos..pos + FRAME_HEADER)?;
    if &header[..4] != FRAME_MAGIC {
        return None;
    }
    let len = u32::from_le_bytes(header[4..8].try_into().ok()?) as usize;
    let stored = u32::from_le_bytes(header[8..12].try_into().ok()?);
    let body = bytes.get(pos + FRAME_HEADER..pos + FRAME_HEADER + len)?;
    let mut covered = header[..8].to_vec();
    covered.extend_from_slice(body);
    (crc32(&covered) == stored && entries(body).is_some()).then_some(FRAME_HEADER + len)
}

/// The offset of the first intact frame at or after `from`.
fn next_frame(bytes: &[u8], from: usize) -> Option<usize> {
    (from..bytes.len().saturating_sub(FRAME_HEADER - 1))
        .filter(|&at| bytes[at..].starts_with(FRAME_MAGIC))
        .find(|&at| frame_at(bytes, at).is_some())
}

fn entries(body: &[u8]) -> Option<Vec<Entry<'_>>> {
    let mut at = 0usize;
    let mut take = |n: usize| -> Option<(usize, &[u8])> {
        let start = at;
        let slice = body.get(at..at.checked_add(n)?)?;
        at += n;
        Some((start, slice))
    };
    let count = u32::from_le_bytes(take(4)?.1.try_into().ok()?);
    let mut out = Vec::new();
    for _ in 0..count {
        let kind = take(1)?.1[0];
        let epoch = u64::from_le_bytes(take(8)?.1.try_into().ok()?);
        let key_len = u16::from_le_bytes(take(2)?.1.try_into().ok()?);
        let key = std::str::from_utf8(take(usize::from(key_len))?.1).ok()?;
        let record = match kind {
            KIND_ACQUIRE => None,
            KIND_RECORD => {
                let len = u32::from_le_bytes(take(4)?.1.try_into().ok()?);
                Some(take(len as usize)?)
            }
            _ => return None,
        };
        out.push(Entry {
            kind,
            epoch,
            key,
            record,
        });
    }
    (at == body.len()).then_some(out)
}

fn put_entry(
    body: &mut Vec<u8>,
    kind: u8,
    epoch: u64,
    key: &str,
    record: Option<&[u8]>,
) -> Result<(), StoreError> {
    let key_len = u16::try_from(key.len()).map_err(|_| too_large("key"))?;
    body.push(kind);
    body.extend_from_slice(&epoch.to_le_bytes());
    body.extend_from_slice(&key_len.to_le_bytes());
    body.extend_from_slice(key.as_bytes());
    if let Some(record) = record {
        let len = u32::try_from(record.len()).map_err(|_| too_large("record"))?;
        body.extend_from_slice(&len.to_le_bytes());
        body.extend_from_slice(record);
    }
    Ok(())
}

/// An entry's encoded size without its record (and its record's length field).
fn entry_size(key: &str, record: Option<&[u8]>) -> u64 {
    (1 + 8 + 2 + key.len() + record.map_or(0, |r| 4 + r.len())) as u64
}

/// Where an entry's record starts, counted from the entry's start.
fn record_place(key: &str) -> usize {
    1 + 8 + 2 + key.len() + 4
}

fn live_bytes(index: &HashMap<String, Slot>) -> u64 {
    index
        .iter()
        .map(|(key, slot)| {
            entry_size(key, None) + slot.record.map_or(0, |(_, len)| 4 + u64::from(len))
        })
        .sum()
}

fn frame(body: &[u8]) -> Result<Vec<u8>, StoreError> {
    let len = u32::try_from(body.len()).map_err(|_| too_large("frame"))?;
    let mut frame = Vec::with_capacity(FRAME_HEADER + body.len());
    frame.extend_from_slice(FRAME_MAGIC);
    frame.extend_from_slice(&len.to_le_bytes());
    let mut covered = frame.clone();
    covered.extend_from_slice(body);
    frame.extend_from_slice(&crc32(&covered).to_le_bytes());
    frame.extend_from_slice(body);
    Ok(frame)
}

fn file_header() -> [u8; FILE_HEADER] {
    let mut header = [0; FILE_HEADER];
    header[..8].copy_from_slice(FILE_MAGIC);
    header[8..12].copy_from_slice(&LOG_FORMAT.to_le_bytes());
    header
}

fn check_file_header(bytes: &[u8], path: &Path) -> Result<(), StoreError> {
    if bytes.len() < FILE_HEADER || &bytes[..8] != FILE_MAGIC {
        return Err(StoreError::Corrupt(format!(
            "{} is not a lockstep log (its first bytes are not the log header)",
            path.display()
        )));
    }
    let format = u32::from_le_bytes(bytes[8..12].try_into().unwrap_or_default());
    if format != LOG_FORMAT {
        return Err(StoreError::Corrupt(format!(
            "{}: log format {format}, this lockstep reads format {LOG_FORMAT}",
            path.display()
        )));
    }
    Ok(())
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn compaction_path(path: &Path) -> PathBuf {
    with_suffix(path, ".compact")
}

/// Takes the exclusive lock on `<path>.lock`: the log itself is replaced by compaction, so its
/// own inode cannot carry the lock.
fn lock(path: &Path) -> Result<File, StoreError> {
    let lock_path = with_suffix(path, ".lock");
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock_path)
        .map_err(io_error)?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::Locked(path.to_path_buf())),
        Err(std::fs::TryLockError::Error(error)) => Err(io_error(error)),
    }
}

/// Makes a file's creation or rename in its directory durable.
fn sync_dir(path: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        File::open(dir)
            .and_then(|dir| dir.sync_all())
            .map_err(io_error)?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

fn io_error(error: io::Error) -> StoreError {
    StoreError::Backend(Box::new(error))
}

fn too_large(what: &str) -> StoreError {
    StoreError::Backend(format!("the {what} is too large for the log's frame format").into())
}
