//! Test streams shared by the driver's test binaries.
#![allow(dead_code)] // each test binary uses a different part

use std::convert::Infallible;

/// An in-memory stream that hands out its bytes in the given chunk sizes
/// (cycling), then EOF; it records how many bytes were taken.
pub(crate) struct Chunked {
    pub data: Vec<u8>,
    pub pos: usize,
    pub sizes: Vec<usize>,
    pub next: usize,
}

impl Chunked {
    pub(crate) fn new(data: &[u8], sizes: &[usize]) -> Self {
        Chunked { data: data.to_vec(), pos: 0, sizes: sizes.to_vec(), next: 0 }
    }

    pub(crate) fn rest(&self) -> &[u8] {
        &self.data[self.pos..]
    }
}

impl embedded_io::ErrorType for Chunked {
    type Error = Infallible;
}

impl embedded_io::Read for Chunked {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
        let size = self.sizes[self.next % self.sizes.len()].max(1);
        self.next += 1;
        let n = size.min(buf.len()).min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

impl embedded_io_async::Read for Chunked {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
        embedded_io::Read::read(self, buf)
    }
}

/// A small xorshift generator for seeded random chunkings.
pub(crate) struct Rng(pub u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

pub(crate) const V1_TCP4: &[u8] = b"PROXY TCP4 192.0.2.7 198.51.100.1 56324 443\r\n";
pub(crate) const CLIENT_HELLO_START: &[u8] = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03";
