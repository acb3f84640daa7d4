#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
// "Never panics" made mechanical: no unwrap, expect, panic or unchecked index.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)
)]

// `arbitrary`'s derive expands to `std` items; the feature is for fuzzing only.
#[cfg(feature = "arbitrary")]
extern crate std;

pub mod crc32c;
mod error;
#[cfg(feature = "arbitrary")]
mod fuzzing;
mod header;
mod owned;
mod parser;
pub mod v1;
pub mod v2;

pub use error::{Error, WriteError};
pub use header::{Command, Header, Version};
pub use owned::{CapacityError, OwnedHeader};

use core::num::NonZeroUsize;

/// The outcome of a parse that did not fail: a whole header, or a valid
/// prefix of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status<H> {
    /// A whole header. The input's first `len` bytes are the header; the rest
    /// (`&input[len..]`) belongs to the next protocol and was not examined.
    Complete {
        /// The parsed header.
        header: H,
        /// The header's length in bytes.
        len: usize,
    },
    /// The input is a valid prefix of a header; call again with more bytes.
    Incomplete {
        /// A lower bound on how many more bytes the header needs, when known
        /// (always for v2; for a v1 line only while it is shorter than the
        /// shortest possible line).
        needed: Option<NonZeroUsize>,
    },
}

impl<H> Status<H> {
    /// Applies `f` to the header of a complete status.
    pub fn map<T>(self, f: impl FnOnce(H) -> T) -> Status<T> {
        match self {
            Status::Complete { header, len } => Status::Complete { header: f(header), len },
            Status::Incomplete { needed } => Status::Incomplete { needed },
        }
    }

    /// True when the header is whole.
    pub const fn is_complete(&self) -> bool {
        matches!(self, Status::Complete { .. })
    }
}

/// Parses a v1 or v2 PROXY header at the start of `buf`.
///
/// The version is decided by the first byte: `P` starts a v1 line, `\r` the
/// v2 signature, anything else is [`Error::NotProxy`]. A strict prefix of
/// either signature is [`Status::Incomplete`].
#[inline]
pub fn parse(buf: &[u8]) -> Result<Status<Header<'_>>, Error> {
    match buf.first() {
        None => Ok(Status::Incomplete { needed: NonZeroUsize::new(v1::MIN_LEN) }),
        Some(b'P') => v1::parse_into(buf, Header::V1),
        Some(b'\r') => v2::parse_into(buf, Header::V2),
        Some(_) => Err(Error::NotProxy),
    }
}
