//! Table-driven slice-by-16: sixteen 256-entry tables (16 KiB) built at
//! compile time. Each 16-byte block costs sixteen lookups, of which only the
//! four on the first word depend on the previous block, so the chain from
//! block to block is one lookup and two xors.
#![allow(clippy::indexing_slicing)] // every index is a byte, masked to 0..=255, into a 256-entry table

use super::POLY;

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

/// The CRC of `data` appended to a running `crc` (its inverted register).
#[inline]
pub(super) fn update(crc: u32, data: &[u8]) -> u32 {
    let t = &TABLES;
    // Byte `shift / 8` of `word`, looked up in table `n`.
    let at = |n: usize, word: u32, shift: u32| t[n][((word >> shift) & 0xff) as usize];
    let mut crc = crc;
    let mut blocks = data.chunks_exact(LANES);
    for block in &mut blocks {
        let [w0, w1, w2, w3] = words(block);
        // The last twelve bytes do not depend on the running CRC: their
        // lookups run while the previous block finishes, and only the
        // four lookups of the first word wait for it (a short chain).
        let independent = ((at(11, w1, 0) ^ at(10, w1, 8)) ^ (at(9, w1, 16) ^ at(8, w1, 24)))
            ^ ((at(7, w2, 0) ^ at(6, w2, 8)) ^ (at(5, w2, 16) ^ at(4, w2, 24)))
            ^ ((at(3, w3, 0) ^ at(2, w3, 8)) ^ (at(1, w3, 16) ^ at(0, w3, 24)));
        let w0 = w0 ^ crc;
        crc = independent ^ ((at(15, w0, 0) ^ at(14, w0, 8)) ^ (at(13, w0, 16) ^ at(12, w0, 24)));
    }
    let mut rest = blocks.remainder();
    // Four bytes at a time (slice-by-4 on the same tables), then bytes.
    while let Some((word, tail)) = rest.split_first_chunk::<4>() {
        let w = u32::from_le_bytes(*word) ^ crc;
        crc = (at(3, w, 0) ^ at(2, w, 8)) ^ (at(1, w, 16) ^ at(0, w, 24));
        rest = tail;
    }
    for &b in rest {
        crc = t[0][((crc ^ u32::from(b)) & 0xff) as usize] ^ (crc >> 8);
    }
    crc
}

/// A 16-byte block as four little-endian words.
fn words(block: &[u8]) -> [u32; 4] {
    let word = |i: usize| {
        block.get(i..i + 4).and_then(|w| w.try_into().ok()).map_or(0, u32::from_le_bytes)
    };
    [word(0), word(4), word(8), word(12)]
}
