#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
// A no_std crate reaches for core and alloc first.
#![warn(clippy::std_instead_of_core, clippy::std_instead_of_alloc)]
// "Never panics" made mechanical: no unwrap, expect, panic or unchecked index.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)
)]

// `arbitrary`'s derive expands to `std` items; the feature is for fuzzing only.
#[cfg(feature = "arbitrary")]
extern crate std;

// Unit tests use `alloc` (to_string, vec!) whatever features are on, so
// `cargo test -p proxy-hdr` works with none.
#[cfg(any(feature = "alloc", test))]
extern crate alloc;

mod addresses;
mod codepoint;
pub mod crc32c;
mod error;
mod frame;
#[cfg(feature = "arbitrary")]
mod fuzzing;
mod header;
mod ip_block;
mod owned;
mod stop;
mod text;
pub mod v1;
pub mod v2;

pub use addresses::{Addresses, Protocol, UNIX_ADDR_LEN, UnixAddr};
pub use error::{Error, WriteError};
pub use frame::{Frame, Framed, frame};
pub use header::{Command, Header, Version};
#[cfg(feature = "alloc")]
pub use owned::BoxedHeader;
pub use owned::{CapacityError, InlineHeader, OwnedHeader, Storage};
pub use text::{Escaped, Text};

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

/// Parses a v1 or v2 PROXY header at the start of `buf`: [`frame`], then
/// [`Framed::header`].
///
/// The version is decided by the first byte: `P` starts a v1 line, `\r` the
/// v2 signature, anything else is [`Error::NotProxy`]. A strict prefix of
/// either signature is [`Status::Incomplete`].
#[inline]
pub fn parse(buf: &[u8]) -> Result<Status<Header<'_>>, Error> {
    match frame(buf)? {
        Frame::Whole(framed) => {
            let len = framed.len();
            Ok(Status::Complete { header: framed.header()?, len })
        }
        Frame::Partial { needed, .. } => Ok(Status::Incomplete { needed }),
    }
}
