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

/// The visited set: an open-addressing table of bare 64-bit fingerprints with linear probing.
///
/// It grows by half when three quarters full, so the table is always between half and three
/// quarters full once past its first growth: 8 bytes per slot is 10.7 to 16 bytes per state.
#[derive(Debug)]
pub(crate) struct Visited {
    slots: Vec<u64>,
    len: usize,
}

/// The fingerprint stored for a state whose fingerprint is 0 (0 marks an empty slot).
const ZERO_STANDIN: u64 = K0;

impl Visited {
    pub(crate) fn new() -> Self {
        Self {
            slots: vec![0; 16],
            len: 0,
        }
    }

    /// How many fingerprints are stored.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The bytes the table holds.
    pub(crate) fn bytes(&self) -> usize {
        self.slots.len() * core::mem::size_of::<u64>()
    }

    #[inline]
    fn home(fingerprint: u64, capacity: usize) -> usize {
        // Multiply-shift maps the fingerprint onto a capacity that need not be a power of two.
        #[allow(clippy::cast_possible_truncation)]
        let slot = ((u128::from(fingerprint) * capacity as u128) >> 64) as usize;
        slot
    }

    /// Inserts a fingerprint; `true` if it was not there.
    #[inline]
    pub(crate) fn insert(&mut self, fingerprint: u64) -> bool {
        let fingerprint = if fingerprint == 0 {
            ZERO_STANDIN
        } else {
            fingerprint
        };
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        let capacity = self.slots.len();
        let mut slot = Self::home(fingerprint, capacity);
        loop {
            let here = self.slots[slot];
            if here == fingerprint {
                return false;
            }
            if here == 0 {
                self.slots[slot] = fingerprint;
                self.len += 1;
                return true;
            }
            slot += 1;
            if slot == capacity {
                slot = 0;
            }
        }
    }

    fn grow(&mut self) {
        let capacity = self.slots.len() + self.slots.len() / 2;
        let old = core::mem::replace(&mut self.slots, vec![0; capacity]);
        for fingerprint in old.into_iter().filter(|&f| f != 0) {
            let mut slot = Self::home(fingerprint, capacity);
            while self.slots[slot] != 0 {
                slot += 1;
                if slot == capacity {
                    slot = 0;
                }
            }
            self.slots[slot] = fingerprint;
        }
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
        }
        for i in 0..100_000u64 {
            assert!(!visited.insert(hash_one(&i, 1)));
        }
        assert!(visited.insert(0));
        assert!(!visited.insert(0));
        assert_eq!(visited.len(), 100_001);
        assert!(visited.bytes() <= 16 * visited.len());
    }

    #[test]
    fn hashing_is_deterministic_and_order_sensitive() {
        assert_eq!(hash_one(&(1u32, 2u32), 0), hash_one(&(1u32, 2u32), 0));
        assert_ne!(hash_one(&(1u32, 2u32), 0), hash_one(&(2u32, 1u32), 0));
        assert_ne!(mix(1, 2), mix(2, 1));
    }
}
