//! One 256-entry table (1 KiB), a byte at a time: for flash-constrained
//! targets, where sixteen tables (16 KiB) cost more than the speed is worth.
#![allow(clippy::indexing_slicing)] // every index is a byte, masked to 0..=255

use super::POLY;

static TABLE: [u32; 256] = table();

const fn table() -> [u32; 256] {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { (c >> 1) ^ POLY } else { c >> 1 };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
}

/// The CRC of `data` appended to a running `crc` (its inverted register).
pub(super) fn update(mut crc: u32, data: &[u8]) -> u32 {
    for &b in data {
        crc = TABLE[((crc ^ u32::from(b)) & 0xff) as usize] ^ (crc >> 8);
    }
    crc
}
