//! The record format: a versioned header that says whose record it is and of which spec, the
//! serde payload, and a checksum over both.
//!
//! ```text
//! "LKSP"                      4 bytes, magic
//! format                      u16 LE, this layout's version (1)
//! schema                      u32 LE, the user's schema version
//! fingerprint                 u64 LE, the machine's spec (see `fingerprint`)
//! machine name length, name   u16 LE, UTF-8
//! key length, key             u16 LE, UTF-8: the record knows whose it is
//! payload length, payload     u32 LE, postcard of (machine, context)
//! checksum                    u32 LE, CRC-32 (IEEE) of every byte before it
//! ```

use core::fmt;

use crate::machine::Machine;

/// The version of the layout above. A reader refuses a record of a later layout.
pub const FORMAT: u16 = 1;
const MAGIC: &[u8; 4] = b"LKSP";

/// What a record says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RecordHeader {
    /// The record layout's version ([`FORMAT`] when written by this lockstep).
    pub format: u16,
    /// The machine's type name ([`Machine::NAME`]).
    pub machine: String,
    /// The machine's spec fingerprint ([`fingerprint`]).
    pub fingerprint: u64,
    /// The user's schema version (`Persisted::schema`, 0 by default).
    pub schema: u32,
}

impl RecordHeader {
    /// The header this build writes for machine `Mc` with schema version `schema`.
    #[must_use]
    pub fn of<Mc: Machine>(schema: u32) -> Self {
        RecordHeader {
            format: FORMAT,
            machine: Mc::NAME.to_owned(),
            fingerprint: fingerprint::<Mc>(),
            schema,
        }
    }
}

impl fmt::Display for RecordHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (spec {:016x}, schema {}, format {})",
            self.machine, self.fingerprint, self.schema, self.format
        )
    }
}

/// The spec fingerprint of `Mc`: FNV-1a (64 bits) over its state names, in declaration order
/// (a superstate's machine's states included, nested).
///
/// It covers exactly what the encoding of the machine value depends on: serde encodes a variant
/// by its position, so renaming, adding, removing or reordering a state changes what a stored
/// record means. Cells and messages are left out on purpose: adding a handler or a message does
/// not make a stored state unreadable, and a record must not be refused for it. The data inside
/// the states and the context are the user's types, which lockstep cannot see: their layout is
/// what the user's schema version is for. A wrapper whose record holds more than the machine
/// (`ExactlyOnce<Mc>`, with its delivery bookkeeping) adds its mark: its records and `Mc`'s are
/// refused for each other, and wrapping a persisted machine goes through a migration.
#[must_use]
pub fn fingerprint<Mc: Machine>() -> u64 {
    let mut hash = hash_states(0xcbf2_9ce4_8422_2325, Mc::STATES);
    // A wrapper that records more than the states (`ExactlyOnce`); 0, a derived machine, leaves
    // the hash as it was, so records written before this existed still match.
    if Mc::RECORD_LAYOUT != 0 {
        hash = mix(hash, &Mc::RECORD_LAYOUT.to_le_bytes());
    }
    hash
}

/// FNV-1a over the state names, each followed by 0xff. A superstate's data is a machine whose
/// variants serde also encodes by position, so its states follow the superstate's name between
/// 0xfe and 0xfd (bytes no name contains); a flat machine hashes its names alone.
fn hash_states(mut hash: u64, states: &[crate::machine::StateInfo]) -> u64 {
    for state in states {
        // A separator no name contains: ["AB", "C"] and ["A", "BC"] differ.
        hash = mix(hash, state.name.as_bytes());
        hash = mix(hash, &[0xff]);
        if let Some(inner) = state.substates {
            hash = mix(hash, &[0xfe]);
            hash = hash_states(hash, inner.states);
            hash = mix(hash, &[0xfd]);
        }
    }
    hash
}

fn mix(mut hash: u64, bytes: &[u8]) -> u64 {
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// Why a stored record cannot be read as a record at all.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Damage {
    /// Shorter than its header and lengths say (truncated).
    Truncated,
    /// Not a lockstep record (wrong magic bytes).
    NotARecord,
    /// The checksum does not match: some byte changed after it was written.
    Checksum {
        /// The checksum the record carries.
        stored: u32,
        /// The checksum of its bytes.
        computed: u32,
    },
    /// A layout newer than this lockstep reads.
    UnknownFormat(u16),
    /// A sound record, but of another key: the store filed it under the wrong one.
    WrongKey {
        /// The key the record says it belongs to.
        found: String,
    },
}

impl fmt::Display for Damage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated => f.write_str("the record is truncated"),
            Self::NotARecord => f.write_str("not a lockstep record"),
            Self::Checksum { stored, computed } => write!(
                f,
                "checksum mismatch (stored {stored:08x}, computed {computed:08x})"
            ),
            Self::UnknownFormat(v) => write!(
                f,
                "record format {v} is newer than this lockstep reads ({FORMAT})"
            ),
            Self::WrongKey { found } => write!(f, "the record belongs to key `{found}`"),
        }
    }
}

/// Writes a record of `key`. Fails only for what the frame cannot hold: a name or key over
/// 64 KiB, a payload over 4 GiB.
pub(crate) fn encode(header: &RecordHeader, key: &str, payload: &[u8]) -> Result<Vec<u8>, String> {
    let name = header.machine.as_bytes();
    let name_len = u16::try_from(name.len()).map_err(|_| "the machine name is over 64 KiB")?;
    let key_len = u16::try_from(key.len()).map_err(|_| "the key is over 64 KiB")?;
    let payload_len =
        u32::try_from(payload.len()).map_err(|_| "the encoded state is over 4 GiB".to_owned())?;
    let mut out = Vec::with_capacity(4 + 2 + 4 + 8 + 2 + name.len() + 4 + payload.len() + 4);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&header.format.to_le_bytes());
    out.extend_from_slice(&header.schema.to_le_bytes());
    out.extend_from_slice(&header.fingerprint.to_le_bytes());
    out.extend_from_slice(&name_len.to_le_bytes());
    out.extend_from_slice(name);
    out.extend_from_slice(&key_len.to_le_bytes());
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(&payload_len.to_le_bytes());
    out.extend_from_slice(payload);
    let crc = crc32(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    Ok(out)
}

/// A record read back: its header, its key, its payload.
pub(crate) struct Decoded<'a> {
    pub(crate) header: RecordHeader,
    pub(crate) key: String,
    pub(crate) payload: &'a [u8],
}

/// Reads a record's header, key and payload, checking its frame and checksum.
pub(crate) fn decode(bytes: &[u8]) -> Result<Decoded<'_>, Damage> {
    let (body, crc) = bytes.split_last_chunk::<4>().ok_or(Damage::Truncated)?;
    let mut reader = Reader(body);
    if reader.take(4)? != MAGIC {
        return Err(Damage::NotARecord);
    }
    // The checksum is checked before anything else is believed, lengths included.
    let (stored, computed) = (u32::from_le_bytes(*crc), crc32(body));
    if stored != computed {
        return Err(Damage::Checksum { stored, computed });
    }
    let format = u16::from_le_bytes(reader.array()?);
    if format != FORMAT {
        return Err(Damage::UnknownFormat(format));
    }
    let schema = u32::from_le_bytes(reader.array()?);
    let fingerprint = u64::from_le_bytes(reader.array()?);
    let name_len = u16::from_le_bytes(reader.array()?);
    let machine = String::from_utf8_lossy(reader.take(usize::from(name_len))?).into_owned();
    let key_len = u16::from_le_bytes(reader.array()?);
    let key = String::from_utf8_lossy(reader.take(usize::from(key_len))?).into_owned();
    let payload_len = u32::from_le_bytes(reader.array()?);
    let payload = reader.take(payload_len as usize)?;
    if !reader.0.is_empty() {
        return Err(Damage::Truncated);
    }
    Ok(Decoded {
        header: RecordHeader {
            format,
            machine,
            fingerprint,
            schema,
        },
        key,
        payload,
    })
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Damage> {
        let (head, rest) = self.0.split_at_checked(n).ok_or(Damage::Truncated)?;
        self.0 = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Damage> {
        let (head, rest) = self.0.split_first_chunk::<N>().ok_or(Damage::Truncated)?;
        self.0 = rest;
        Ok(*head)
    }
}

/// CRC-32 (IEEE 802.3, reflected, as zlib's): catches every burst of up to 32 flipped bits.
/// Table-driven; the table is built at compile time, so no dependency for 20 lines.
pub(crate) fn crc32(bytes: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut table = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            #[allow(clippy::cast_possible_truncation)] // i < 256
            let mut c = i as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 == 1 {
                    0xedb8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
                k += 1;
            }
            table[i] = c;
            i += 1;
        }
        table
    };
    let mut crc = !0u32;
    for &byte in bytes {
        crc = TABLE[((crc ^ u32::from(byte)) & 0xff) as usize] ^ (crc >> 8);
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
    }

    fn sample() -> Vec<u8> {
        let header = RecordHeader {
            format: FORMAT,
            machine: "Account".into(),
            fingerprint: 42,
            schema: 3,
        };
        encode(&header, "acct-1", b"payload").unwrap()
    }

    #[test]
    fn a_record_reads_back() {
        let bytes = sample();
        let Decoded {
            header,
            key,
            payload,
        } = decode(&bytes).unwrap();
        assert_eq!(
            (header.machine.as_str(), header.schema, header.fingerprint),
            ("Account", 3, 42)
        );
        assert_eq!((key.as_str(), payload), ("acct-1", &b"payload"[..]));
    }

    #[test]
    fn every_flipped_bit_and_every_truncation_is_detected() {
        let bytes = sample();
        for at in 0..bytes.len() {
            for bit in 0..8 {
                let mut flipped = bytes.clone();
                flipped[at] ^= 1 << bit;
                assert!(
                    decode(&flipped).is_err(),
                    "flip of bit {bit} at {at} went unnoticed"
                );
            }
        }
        for len in 0..bytes.len() {
            assert!(
                decode(&bytes[..len]).is_err(),
                "truncation to {len} went unnoticed"
            );
        }
    }
}
