//! Fingerprints: a fast, seedless, deterministic 64-bit hasher, and the visited set that keeps
//! nothing but one fingerprint per state.

use core::hash::{Hash, Hasher};

const K0: u64 = 0x9e37_79b9_7f4a_7c15;
const K1: u64 = 0xa076_1d64_78bd_642f;
const K2: u64 = 0xe703_7ed1_a0b4_28db;

/// The high and low halves of a 128-bit product, folded: the mixing step of wyhash and foldhash.
#[inline]
fn fold(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    #[allow(clippy::cast_possible_truncation)]
    let (high, low) = ((product >> 64) as u64, product as u64);
    high ^ low
}

/// Mixes two words into one, order-sensitively.
#[inline]
pub(crate) fn mix(a: u64, b: u64) -> u64 {
    fold(a ^ K0, b ^ K1).wrapping_add(a.rotate_left(23))
}

/// A fast deterministic hasher (no random seed: the same state has the same fingerprint in every
/// run, which keeps exploration reproducible).
#[derive(Debug, Clone, Copy)]
pub(crate) struct FpHasher {
    state: u64,
}

impl FpHasher {
    pub(crate) const fn new(seed: u64) -> Self {
        Self { state: seed ^ K2 }
    }
}

impl Hasher for FpHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0; 8];
            word.copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.write_u64(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 59));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.write_u64(u64::from(i));
    }

    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.write_u64(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.write_u64(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.state = fold(self.state ^ i, K0);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        fold(self.state ^ K1, K2)
    }
}

/// Hashes one value with the fingerprint hasher.
pub(crate) fn hash_one<T: Hash + ?Sized>(value: &T, seed: u64) -> u64 {
    let mut hasher = FpHasher::new(seed);
    value.hash(&mut hasher);
    hasher.finish()
}

/// The visited set: an open-addressing table of bare 64-bit fingerprints with linear probing,
/// each slot with a one-byte tag.
///
/// A probe reads tags, eight at a time (one `u64`, compared bytewise with bit tricks), and reads
/// a fingerprint only where its tag matches: seven bits of it, so a wrong fingerprint is read one
/// time in 128. The tags take a ninth of the table and mostly stay in the cache; the fingerprints
/// outgrow it, and reading one is a cache miss, paid only for a state met again long after it
/// was first found (one met soon after is still in the cache) and never for a new state.
///
/// A slot is 9 bytes (and the first [`GROUP`] tags are kept twice). The table grows by half when
/// it is 55/64 full, so it is between 55/96 and 55/64 full once past its first growth: 10.5 to
/// 16 bytes per state.
#[derive(Debug)]
pub(crate) struct Visited {
    /// One per slot, then the first [`GROUP`] again, so that a group read at any slot is in
    /// bounds (and wraps around).
    tags: Vec<u8>,
    slots: Vec<u64>,
    len: usize,
    /// Fingerprints set aside while the table grows (see [`grow`](Self::grow)).
    aside: Vec<u64>,
}

/// Tags read at once.
const GROUP: usize = 8;
/// The tag of an empty slot; a taken slot's tag has its high bit set.
const EMPTY: u8 = 0;
const LOW_BITS: u64 = 0x0101_0101_0101_0101;
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// The first byte of a group whose high bit is set in `bits` (not 0).
#[inline]
fn first_byte(bits: u64) -> usize {
    bits.trailing_zeros() as usize / 8
}

impl Visited {
    pub(crate) fn new() -> Self {
        Self::with_slots(16)
    }

    fn with_slots(capacity: usize) -> Self {
        Self {
            tags: vec![EMPTY; capacity + GROUP],
            slots: vec![0; capacity],
            len: 0,
            aside: Vec::new(),
        }
    }

    /// How many fingerprints are stored.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The bytes the table holds.
    pub(crate) fn bytes(&self) -> usize {
        self.tags.len() + self.slots.len() * core::mem::size_of::<u64>()
    }

    #[inline]
    fn home(fingerprint: u64, capacity: usize) -> usize {
        // Multiply-shift maps the fingerprint onto a capacity that need not be a power of two.
        // It uses the fingerprint's high bits; the tag, its low ones.
        #[allow(clippy::cast_possible_truncation)]
        let slot = ((u128::from(fingerprint) * capacity as u128) >> 64) as usize;
        slot
    }

    #[inline]
    fn tag(fingerprint: u64) -> u8 {
        #[allow(clippy::cast_possible_truncation)]
        let low = (fingerprint & 0x7f) as u8;
        0x80 | low
    }

    /// The tags of the group of slots that starts at `slot`, one per byte, the first lowest.
    #[inline]
    fn group(&self, slot: usize) -> u64 {
        let mut word = [0; GROUP];
        word.copy_from_slice(&self.tags[slot..slot + GROUP]);
        u64::from_le_bytes(word)
    }

    /// The slot `offset` after `slot`, wrapping around.
    #[inline]
    fn after(&self, slot: usize, offset: usize) -> usize {
        let slot = slot + offset;
        if slot >= self.slots.len() {
            slot - self.slots.len()
        } else {
            slot
        }
    }

    #[inline]
    fn set(&mut self, slot: usize, tag: u8, fingerprint: u64) {
        self.tags[slot] = tag;
        if slot < GROUP {
            let mirror = self.slots.len() + slot;
            self.tags[mirror] = tag;
        }
        self.slots[slot] = fingerprint;
    }

    /// Inserts a fingerprint; `true` if it was not there.
    #[inline]
    pub(crate) fn insert(&mut self, fingerprint: u64) -> bool {
        if (self.len + 1) * 64 > self.slots.len() * 55 {
            self.grow();
        }
        let tag = Self::tag(fingerprint);
        let tags = LOW_BITS * u64::from(tag);
        let mut slot = Self::home(fingerprint, self.slots.len());
        loop {
            let group = self.group(slot);
            // High bit of each byte: the slot is empty; the slot's tag may be `tag` (the usual
            // zero-byte test, exact but for a byte above an exact match, which costs a look).
            let empty = !group & HIGH_BITS;
            let same = group ^ tags;
            let mut matches = same.wrapping_sub(LOW_BITS) & !same & HIGH_BITS;
            if empty != 0 {
                // Linear probing: the fingerprint is nowhere past the first empty slot.
                matches &= (empty & empty.wrapping_neg()) - 1;
            }
            while matches != 0 {
                if self.slots[self.after(slot, first_byte(matches))] == fingerprint {
                    return false;
                }
                matches &= matches - 1;
            }
            if empty != 0 {
                self.set(self.after(slot, first_byte(empty)), tag, fingerprint);
                self.len += 1;
                return true;
            }
            slot = self.after(slot, GROUP);
        }
    }

    /// Grows the table by half, in place: the vectors are extended (which lets the allocator
    /// move their pages instead of copying them, and spares the page faults of a new table
    /// each time) and the fingerprints are moved within them.
    ///
    /// Homes are the fingerprints' high bits scaled to the capacity, so a fingerprint's new home
    /// is about 1.5 times its old one, and beyond its old slot. The old slots are read from the
    /// last to the first, and each fingerprint whose new home is at or beyond its old slot is
    /// placed by linear probing from there: every slot from there on has been read already (or
    /// is new), so nothing not yet read is in the way, and nothing placed is ever moved again.
    /// The few others (near the start, or whose probe would wrap around) are set aside and
    /// inserted at the end.
    fn grow(&mut self) {
        let old = self.slots.len();
        let capacity = old + old / 2;
        self.slots.reserve_exact(capacity - old);
        self.slots.resize(capacity, 0);
        self.tags.truncate(old);
        self.tags.reserve_exact(capacity + GROUP - old);
        self.tags.resize(capacity + GROUP, EMPTY);
        let mut aside = core::mem::take(&mut self.aside);
        // The taken slots, a group at a time and the last first, found by bitmask: no branch per
        // slot. (Placing one may fill a slot of the same group, but only one already read.)
        for start in (0..old.div_ceil(GROUP)).rev().map(|group| group * GROUP) {
            let mut taken = self.group(start) & HIGH_BITS;
            let past = old - start;
            if past < GROUP {
                taken &= (1 << (8 * past)) - 1;
            }
            while taken != 0 {
                let from = start + taken.ilog2() as usize / 8;
                taken &= !(0x80 << (8 * (from - start)));
                let tag = core::mem::replace(&mut self.tags[from], EMPTY);
                let fingerprint = self.slots[from];
                let mut slot = Self::home(fingerprint, capacity);
                if slot < from {
                    aside.push(fingerprint);
                    continue;
                }
                while slot < capacity && self.tags[slot] != EMPTY {
                    slot += 1;
                }
                if slot == capacity {
                    aside.push(fingerprint);
                    continue;
                }
                self.tags[slot] = tag;
                self.slots[slot] = fingerprint;
            }
        }
        let (tags, mirror) = self.tags.split_at_mut(capacity);
        mirror.copy_from_slice(&tags[..GROUP]);
        for fingerprint in aside.drain(..) {
            let mut slot = Self::home(fingerprint, capacity);
            loop {
                let empty = !self.group(slot) & HIGH_BITS;
                if empty != 0 {
                    let slot = self.after(slot, first_byte(empty));
                    self.set(slot, Self::tag(fingerprint), fingerprint);
                    break;
                }
                slot = self.after(slot, GROUP);
            }
        }
        self.aside = aside;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visited_set_dedups_and_stays_compact() {
        let mut visited = Visited::new();
        for i in 0..100_000u64 {
            assert!(visited.insert(hash_one(&i, 1)));
            if visited.slots.len() > 16 {
                assert!(visited.bytes() <= 16 * visited.len(), "{i}");
            }
        }
        for i in 0..100_000u64 {
            assert!(!visited.insert(hash_one(&i, 1)));
        }
        assert!(visited.insert(0));
        assert!(!visited.insert(0));
        // Same tag, same home, another fingerprint.
        assert!(visited.insert(1 << 7));
        assert!(!visited.insert(1 << 7));
        assert_eq!(visited.len(), 100_002);
        assert!(visited.bytes() <= 16 * visited.len());
    }

    #[test]
    fn hashing_is_deterministic_and_order_sensitive() {
        assert_eq!(hash_one(&(1u32, 2u32), 0), hash_one(&(1u32, 2u32), 0));
        assert_ne!(hash_one(&(1u32, 2u32), 0), hash_one(&(2u32, 1u32), 0));
        assert_ne!(mix(1, 2), mix(2, 1));
    }
}
