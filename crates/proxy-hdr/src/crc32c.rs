//! CRC-32C (Castagnoli), as RFC 4960 Appendix B, for the v2 CRC32C TLV (§2.2.3).
//!
//! Table-driven slice-by-16: sixteen 256-entry tables (16 KiB) built at
//! compile time. Each 16-byte block costs sixteen independent lookups, so
//! the dependency chain is one lookup-and-xor per 16 bytes. No `unsafe`, no
//! platform intrinsics (the CRC32 instruction needs `unsafe` to call).
#![allow(clippy::indexing_slicing)] // every index is a byte, masked to 0..=255, into a 256-entry table

const POLY: u32 = 0x82F6_3B78; // reflected Castagnoli polynomial

const LANES: usize = 16;

static TABLES: [[u32; 256]; LANES] = tables();

const fn tables() -> [[u32; 256]; LANES] {
    let mut t = [[0u32; 256]; LANES];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { (c >> 1) ^ POLY } else { c >> 1 };
            k += 1;
        }
        t[0][i] = c;
        i += 1;
    }
    let mut i = 0;
    while i < 256 {
        let mut j = 1;
        while j < LANES {
            let prev = t[j - 1][i];
            t[j][i] = (prev >> 8) ^ t[0][(prev & 0xff) as usize];
            j += 1;
        }
        i += 1;
    }
    t
}

/// A running CRC-32C, for checksums computed over several slices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Crc32c(u32);

impl Default for Crc32c {
    fn default() -> Self {
        Self::new()
    }
}

impl Crc32c {
    /// A checksum over no bytes yet.
    pub const fn new() -> Self {
        Crc32c(!0)
    }

    /// Adds `data` to the checksum.
    pub fn update(&mut self, data: &[u8]) {
        let t = &TABLES;
        let mut crc = self.0;
        let mut chunks = data.chunks_exact(LANES);
        for chunk in &mut chunks {
            let c = crc.to_le_bytes();
            crc = t[15][usize::from(chunk[0] ^ c[0])]
                ^ t[14][usize::from(chunk[1] ^ c[1])]
                ^ t[13][usize::from(chunk[2] ^ c[2])]
                ^ t[12][usize::from(chunk[3] ^ c[3])]
                ^ t[11][usize::from(chunk[4])]
                ^ t[10][usize::from(chunk[5])]
                ^ t[9][usize::from(chunk[6])]
                ^ t[8][usize::from(chunk[7])]
                ^ t[7][usize::from(chunk[8])]
                ^ t[6][usize::from(chunk[9])]
                ^ t[5][usize::from(chunk[10])]
                ^ t[4][usize::from(chunk[11])]
                ^ t[3][usize::from(chunk[12])]
                ^ t[2][usize::from(chunk[13])]
                ^ t[1][usize::from(chunk[14])]
                ^ t[0][usize::from(chunk[15])];
        }
        for &b in chunks.remainder() {
            crc = t[0][((crc ^ u32::from(b)) & 0xff) as usize] ^ (crc >> 8);
        }
        self.0 = crc;
    }

    /// The checksum of everything added.
    pub const fn finish(self) -> u32 {
        !self.0
    }
}

/// The CRC-32C of `data` in one call.
///
/// ```
/// assert_eq!(proxy_hdr::crc32c::checksum(b"123456789"), 0xE306_9283);
/// ```
pub fn checksum(data: &[u8]) -> u32 {
    let mut crc = Crc32c::new();
    crc.update(data);
    crc.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bit-at-a-time reference, straight from the polynomial.
    fn reference(data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 != 0 { (crc >> 1) ^ POLY } else { crc >> 1 };
            }
        }
        !crc
    }

    #[test]
    fn known_answers() {
        // The CRC catalogue's check value for CRC-32/ISCSI.
        assert_eq!(checksum(b"123456789"), 0xE306_9283);
        // RFC 3720 B.4: 32 bytes of zeros, and of 0xFF.
        assert_eq!(checksum(&[0u8; 32]), 0x8A91_36AA);
        assert_eq!(checksum(&[0xFFu8; 32]), 0x62A8_AB43);
        assert_eq!(checksum(b""), 0);
    }

    #[test]
    fn matches_the_bitwise_reference_at_every_length_and_split() {
        let data: [u8; 131] = core::array::from_fn(|i| (i as u8).wrapping_mul(37).wrapping_add(11));
        for len in 0..data.len() {
            let want = reference(&data[..len]);
            assert_eq!(checksum(&data[..len]), want, "len {len}");
            for split in 0..=len {
                let mut crc = Crc32c::new();
                crc.update(&data[..split]);
                crc.update(&data[split..len]);
                assert_eq!(crc.finish(), want, "len {len} split {split}");
            }
        }
    }
}
