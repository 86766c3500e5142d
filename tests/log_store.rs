//! The log store's own promises: a torn last frame is cut and everything before it kept, damage
//! in the middle is a typed error and salvage keeps every intact frame, compaction keeps the
//! live records and epochs and survives a crash before its rename, one process per log.
#![cfg(feature = "persist")]
#![allow(missing_docs)]
// Offsets into small test files.
#![allow(clippy::cast_possible_truncation)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use lockstep::persist::{Epoch, LogOptions, LogStore, Store, StoreError, Write};

fn fresh(name: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "log-{name}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("store.log")
}

/// Small chunks: the tests open many logs and need not write 4 MiB of zeros for each.
fn small() -> LogOptions {
    LogOptions::new().chunk_bytes(4096)
}

fn put(store: &LogStore, key: &str, epoch: Epoch, record: &[u8]) {
    store.commit(&[Write { key, epoch, record }]).unwrap();
}

/// A log with keys a, b, c acquired, then one commit each; returns the path, the epochs, and
/// where the frames of the three commits start (and the end of the last).
fn three_commits(name: &str) -> (PathBuf, [u64; 4]) {
    let path = fresh(name);
    let store = LogStore::open_with(&path, small()).unwrap();
    let epochs: Vec<Epoch> = ["a", "b", "c"]
        .iter()
        .map(|k| store.acquire(k).unwrap())
        .collect();
    let mut marks = [0; 4];
    for (i, key) in ["a", "b", "c"].iter().enumerate() {
        marks[i] = store.log_bytes();
        put(
            &store,
            key,
            epochs[i],
            format!("record of {key}").as_bytes(),
        );
    }
    marks[3] = store.log_bytes();
    (path, marks)
}

/// A copy of the log at `path` with `edit` applied to its bytes, in a directory of its own.
fn damaged_copy(path: &Path, name: &str, edit: impl FnOnce(&mut Vec<u8>)) -> PathBuf {
    let mut bytes = std::fs::read(path).unwrap();
    edit(&mut bytes);
    let copy = fresh(name);
    std::fs::write(&copy, bytes).unwrap();
    copy
}

fn load(store: &LogStore, key: &str) -> Option<String> {
    store
        .load(key)
        .unwrap()
        .map(|r| String::from_utf8(r).unwrap())
}

#[test]
fn a_log_reopens_with_every_key_its_last_record_and_its_epoch() {
    let path = fresh("reopen");
    {
        let store = LogStore::open_with(&path, small()).unwrap();
        let a = store.acquire("a").unwrap();
        put(&store, "a", a, b"one");
        put(&store, "a", a, b"two");
        let b = store.acquire("b").unwrap();
        // A batch is one frame: both or neither.
        store
            .commit(&[
                Write {
                    key: "a",
                    epoch: a,
                    record: b"three",
                },
                Write {
                    key: "b",
                    epoch: b,
                    record: b"bee",
                },
            ])
            .unwrap();
        assert_eq!(store.acquire("only-acquired").unwrap(), Epoch(1));
    }
    let store = LogStore::open_with(&path, small()).unwrap();
    assert_eq!(store.recovery().torn_tail, None);
    assert_eq!(store.recovery().keys, 3);
    assert_eq!(load(&store, "a").as_deref(), Some("three"));
    assert_eq!(load(&store, "b").as_deref(), Some("bee"));
    assert_eq!(load(&store, "only-acquired"), None);
    // Epochs survived: the old owner is fenced, the next acquire is later than all before.
    assert!(matches!(
        store.commit(&[Write {
            key: "a",
            epoch: Epoch(0),
            record: b"x"
        }]),
        Err(StoreError::Fenced {
            current: Epoch(1),
            ..
        })
    ));
    assert_eq!(store.acquire("a").unwrap(), Epoch(2));
    assert_eq!(store.acquire("only-acquired").unwrap(), Epoch(2));
}

#[test]
fn a_fenced_batch_writes_nothing() {
    let store = LogStore::open_with(fresh("fenced"), small()).unwrap();
    let a = store.acquire("a").unwrap();
    let b = store.acquire("b").unwrap();
    let _later = store.acquire("b").unwrap();
    let before = store.log_bytes();
    let refused = store.commit(&[
        Write {
            key: "a",
            epoch: a,
            record: b"a",
        },
        Write {
            key: "b",
            epoch: b,
            record: b"b",
        },
    ]);
    assert!(matches!(
        refused,
        Err(StoreError::Fenced {
            held: Epoch(1),
            current: Epoch(2),
            ..
        })
    ));
    assert_eq!(store.log_bytes(), before, "nothing appended");
    assert_eq!(load(&store, "a"), None);
}

#[test]
fn a_second_open_of_the_same_log_is_a_typed_error_until_the_first_is_dropped() {
    let path = fresh("locked");
    let first = LogStore::open_with(&path, small()).unwrap();
    match LogStore::open_with(&path, small()) {
        Err(StoreError::Locked(locked)) => assert_eq!(locked, path),
        other => panic!("expected Locked, got {other:?}"),
    }
    let clone = first.clone();
    drop(first);
    // A clone still holds the log.
    assert!(matches!(LogStore::open(&path), Err(StoreError::Locked(_))));
    drop(clone);
    LogStore::open_with(&path, small()).unwrap();
}

#[test]
fn a_log_cut_at_every_byte_of_its_last_frame_keeps_every_earlier_commit() {
    let (path, [_, _, last, end]) = three_commits("torn");
    let original = std::fs::read(&path).unwrap();
    for cut in last..end {
        // The cut reported spans the torn frame's bytes up to its last one that is not zero.
        let expected = original[last as usize..cut as usize]
            .iter()
            .rposition(|&b| b != 0)
            .map(|at| last..last + at as u64 + 1);
        // What a crash mid-append leaves: the frame's first bytes, zeros after them.
        let copy = damaged_copy(&path, "torn-copy", |bytes| {
            bytes[cut as usize..end as usize].fill(0);
        });
        let store = LogStore::open_with(&copy, small()).unwrap();
        assert_eq!(store.recovery().torn_tail, expected, "cut at {cut}");
        assert_eq!(load(&store, "a").as_deref(), Some("record of a"));
        assert_eq!(load(&store, "b").as_deref(), Some("record of b"));
        assert_eq!(
            load(&store, "c"),
            None,
            "the torn commit is gone (cut at {cut})"
        );
        // The log goes on where the torn frame began, and a reopen sees no damage.
        put(&store, "c", Epoch(1), b"again");
        drop(store);
        let store = LogStore::open_with(&copy, small()).unwrap();
        assert_eq!(store.recovery().torn_tail, None, "cut at {cut}");
        assert_eq!(load(&store, "c").as_deref(), Some("again"));
    }
    // A file cut short (no preallocated zeros at all) is the same case.
    let copy = damaged_copy(&path, "torn-short", |bytes| {
        bytes.truncate(end as usize - 1);
    });
    let store = LogStore::open_with(&copy, small()).unwrap();
    assert_eq!(store.recovery().torn_tail, Some(last..end - 1));
    assert_eq!(load(&store, "c"), None);
}

#[test]
fn a_flipped_byte_in_the_last_frame_is_a_torn_tail() {
    let (path, [_, _, last, end]) = three_commits("last-flip");
    for at in last..end {
        let copy = damaged_copy(&path, "last-flip-copy", |bytes| bytes[at as usize] ^= 0x40);
        let store = LogStore::open_with(&copy, small()).unwrap();
        assert_eq!(store.recovery().torn_tail, Some(last..end), "flip at {at}");
        assert_eq!(load(&store, "b").as_deref(), Some("record of b"));
        assert_eq!(load(&store, "c"), None);
    }
}

#[test]
fn damage_in_the_middle_is_a_typed_error_naming_the_offset_and_salvage_keeps_every_intact_frame() {
    let (path, [_, middle, last, _]) = three_commits("middle");
    for at in middle..last {
        let copy = damaged_copy(&path, "middle-copy", |bytes| bytes[at as usize] ^= 0x01);
        match LogStore::open_with(&copy, small()) {
            Err(StoreError::Corrupt(what)) => {
                assert!(
                    what.contains(&format!("frame at byte {middle} is damaged")),
                    "{what}"
                );
                assert!(what.contains(&format!("from byte {last}")), "{what}");
                assert!(what.contains("salvage"), "{what}");
            }
            other => panic!("flip at {at}: expected Corrupt, got {other:?}"),
        }
        let into = fresh("salvaged");
        let (store, report) = LogStore::salvage(&copy, &into).unwrap();
        assert_eq!(report.damaged, vec![middle..last], "flip at {at}");
        assert_eq!(report.recovered, vec!["a".to_owned(), "c".to_owned()]);
        assert_eq!(load(&store, "a").as_deref(), Some("record of a"));
        assert_eq!(load(&store, "b"), None, "b's only commit was damaged");
        assert_eq!(load(&store, "c").as_deref(), Some("record of c"));
        // Epochs came along: b was acquired in an intact frame.
        assert_eq!(store.acquire("b").unwrap(), Epoch(2));
        // Salvage never writes over an existing file.
        assert!(matches!(
            LogStore::salvage(&copy, &into),
            Err(StoreError::Backend(e)) if e.to_string().contains("exists")
        ));
        // The damaged file is left as it was, for whoever wants to look at it.
        assert!(matches!(
            LogStore::open_with(&copy, small()),
            Err(StoreError::Corrupt(_))
        ));
    }
}

#[test]
fn a_file_that_is_not_a_log_is_refused() {
    let path = fresh("not-a-log");
    std::fs::write(&path, b"SQLite format 3\0 and so on").unwrap();
    assert!(
        matches!(LogStore::open(&path), Err(StoreError::Corrupt(what)) if what.contains("not a lockstep log"))
    );
}

#[test]
fn compaction_keeps_the_live_records_and_epochs_and_bounds_the_file() {
    let path = fresh("compact");
    let options = small().compact_when(4, 16 * 1024);
    let record = [7u8; 200];
    {
        let store = LogStore::open_with(&path, options).unwrap();
        let epochs: Vec<Epoch> = (0..5)
            .map(|k| store.acquire(&format!("k{k}")).unwrap())
            .collect();
        for round in 0..500u32 {
            for (k, epoch) in epochs.iter().enumerate() {
                let mut record = record.to_vec();
                record.extend_from_slice(&round.to_le_bytes());
                put(&store, &format!("k{k}"), *epoch, &record);
            }
            // Live data is about 1.1 KiB: the log never grows far past the 16 KiB floor.
            assert!(
                store.log_bytes() < 20 * 1024,
                "round {round}: {}",
                store.log_bytes()
            );
        }
    }
    let store = LogStore::open_with(&path, options).unwrap();
    assert_eq!(store.recovery().torn_tail, None);
    for k in 0..5 {
        let loaded = store.load(&format!("k{k}")).unwrap().unwrap();
        assert_eq!(&loaded[200..], &499u32.to_le_bytes());
    }
    assert!(matches!(
        store.commit(&[Write {
            key: "k0",
            epoch: Epoch(0),
            record: b"x"
        }]),
        Err(StoreError::Fenced {
            current: Epoch(1),
            ..
        })
    ));
    assert_eq!(store.acquire("k0").unwrap(), Epoch(2));
}

#[test]
fn a_crash_before_the_compaction_rename_leaves_the_log_whole_and_the_temporary_file_removed() {
    let (path, _) = three_commits("compact-crash");
    // A compaction interrupted at each step before its rename: an empty temporary file, a
    // half-written one, a whole one (written and synced, not renamed).
    let whole = {
        let into = fresh("compact-whole");
        let (store, _) = LogStore::salvage(&path, &into).unwrap();
        drop(store);
        std::fs::read(&into).unwrap()
    };
    for leftover in [Vec::new(), whole[..whole.len() / 3].to_vec(), whole.clone()] {
        let copy = damaged_copy(&path, "compact-crash-copy", |_| {});
        let temporary = PathBuf::from(format!("{}.compact", copy.display()));
        std::fs::write(&temporary, &leftover).unwrap();
        let store = LogStore::open_with(&copy, small()).unwrap();
        assert!(store.recovery().removed_compaction);
        assert!(!temporary.exists());
        for key in ["a", "b", "c"] {
            assert_eq!(load(&store, key), Some(format!("record of {key}")));
        }
    }
    // A crash after the rename leaves the compacted log, which reads the same.
    let store = LogStore::open_with(&path, small()).unwrap();
    store.compact().unwrap();
    drop(store);
    let store = LogStore::open_with(&path, small()).unwrap();
    assert!(!store.recovery().removed_compaction);
    assert_eq!(store.recovery().frames, 1);
    for key in ["a", "b", "c"] {
        assert_eq!(load(&store, key), Some(format!("record of {key}")));
    }
    assert_eq!(store.acquire("a").unwrap(), Epoch(2));
}

#[test]
fn a_log_grown_by_set_len_keeps_the_same_contract() {
    let path = fresh("sparse");
    let options = small().zero_fill(false);
    {
        let store = LogStore::open_with(&path, options).unwrap();
        let a = store.acquire("a").unwrap();
        for n in 0..50u32 {
            put(&store, "a", a, &n.to_le_bytes().repeat(100));
        }
    }
    let store = LogStore::open_with(&path, options).unwrap();
    assert_eq!(store.recovery().torn_tail, None);
    assert_eq!(
        store.load("a").unwrap().unwrap(),
        49u32.to_le_bytes().repeat(100)
    );
}
