//! CRC-32C (Castagnoli), as RFC 4960 Appendix B, for the v2 CRC32C TLV (§2.2.3).
//!
//! Three implementations, chosen by feature: the default is table-driven
//! slice-by-16 (16 KiB of tables, about a cycle per byte); `crc32c-compact`
//! uses one 1 KiB table, a byte at a time, for small flash; `crc32c-hw`
//! uses the CPU's CRC32C instruction (SSE4.2 on x86_64, the CRC extension
//! on aarch64) through the `crc32c` crate, which detects it at run time and
//! falls back to software. Calling the instruction needs `unsafe`, which
//! this crate forbids, so that feature needs `std` (for the detection).

#[cfg(any(test, all(feature = "crc32c-compact", not(feature = "crc32c-hw"))))]
mod compact;
#[cfg(any(test, not(any(feature = "crc32c-compact", feature = "crc32c-hw"))))]
mod slice16;

/// The reflected Castagnoli polynomial.
#[cfg(any(test, not(feature = "crc32c-hw")))]
const POLY: u32 = 0x82F6_3B78;

/// A running CRC-32C, for checksums computed over several slices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Crc32c(u32);

impl Crc32c {
    /// A checksum over no bytes yet.
    pub const fn new() -> Self {
        Crc32c(0)
    }

    /// Adds `data` to the checksum.
    #[inline]
    pub fn update(&mut self, data: &[u8]) {
        self.0 = append(self.0, data);
    }

    /// The checksum of everything added.
    pub const fn finish(self) -> u32 {
        self.0
    }
}

#[cfg(feature = "crc32c-hw")]
#[inline]
fn append(crc: u32, data: &[u8]) -> u32 {
    ::crc32c::crc32c_append(crc, data)
}

#[cfg(all(feature = "crc32c-compact", not(feature = "crc32c-hw")))]
#[inline]
fn append(crc: u32, data: &[u8]) -> u32 {
    !compact::update(!crc, data)
}

#[cfg(not(any(feature = "crc32c-compact", feature = "crc32c-hw")))]
#[inline]
fn append(crc: u32, data: &[u8]) -> u32 {
    !slice16::update(!crc, data)
}

/// The CRC-32C of `data` in one call.
///
/// ```
/// assert_eq!(proxy_hdr::crc32c::checksum(b"123456789"), 0xE306_9283);
/// ```
pub fn checksum(data: &[u8]) -> u32 {
    append(0, data)
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

    /// Every implementation (the one in use, and both tables) agrees with
    /// the reference at every length and every split into two updates.
    #[test]
    fn matches_the_bitwise_reference_at_every_length_and_split() {
        let data: [u8; 131] = core::array::from_fn(|i| (i as u8).wrapping_mul(37).wrapping_add(11));
        for len in 0..data.len() {
            let want = reference(&data[..len]);
            assert_eq!(checksum(&data[..len]), want, "len {len}");
            assert_eq!(!slice16::update(!0, &data[..len]), want, "slice-by-16, len {len}");
            assert_eq!(!compact::update(!0, &data[..len]), want, "compact, len {len}");
            for split in 0..=len {
                let mut crc = Crc32c::new();
                crc.update(&data[..split]);
                crc.update(&data[split..len]);
                assert_eq!(crc.finish(), want, "len {len} split {split}");
            }
        }
    }
}
