//! Where a header ends, decided from the fewest bytes: the one place that
//! frames a header, for `parse` and for every driver.

use core::num::NonZeroUsize;

use crate::stop::Stop;
use crate::{Error, Header, Version, v1, v2};

/// What the bytes at hand say about the header at their start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame<'a> {
    /// The whole header is at hand; [`Framed::header`] decodes it.
    Whole(Framed<'a>),
    /// A valid prefix of a header: read more and frame again.
    Partial {
        /// A lower bound on the bytes still needed, when known (always for
        /// v2; for a v1 line only while it is shorter than the shortest line).
        needed: Option<NonZeroUsize>,
        /// The header's total length, once known: for v2 as soon as its
        /// 16-byte prefix is here, so a driver can refuse a header over its
        /// size limit before reading the body. A v1 line is at most
        /// [`v1::MAX_LEN`] bytes, but its length is known only at its CRLF.
        len: Option<usize>,
    },
}

/// A header known to be whole: its length is decided and its version's
/// framing rules hold. For v1 the line is parsed already; for v2 the body
/// is checked by [`header`](Self::header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Framed<'a>(Inner<'a>);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Inner<'a> {
    V1 { header: v1::Header, len: usize },
    V2 { prefix: v2::Prefix, bytes: &'a [u8] },
}

impl<'a> Framed<'a> {
    /// The header's length: the input's first `len()` bytes are the header.
    #[inline]
    pub const fn len(&self) -> usize {
        match self.0 {
            Inner::V1 { len, .. } => len,
            Inner::V2 { bytes, .. } => bytes.len(),
        }
    }

    /// Always false: a header has at least 15 bytes.
    pub const fn is_empty(&self) -> bool {
        false
    }

    /// The header's version.
    pub const fn version(&self) -> Version {
        match self.0 {
            Inner::V1 { .. } => Version::V1,
            Inner::V2 { .. } => Version::V2,
        }
    }

    /// The relayed connection's transport, as the framing saw it (`None` for
    /// LOCAL, UNSPEC and `UNKNOWN`): a datagram receiver refuses a STREAM
    /// header before looking at its body.
    pub const fn protocol(&self) -> Option<crate::Protocol> {
        match self.0 {
            Inner::V1 { header, .. } if header.is_unknown() => None,
            Inner::V1 { .. } => Some(crate::Protocol::Stream),
            Inner::V2 { prefix, .. } => prefix.protocol(),
        }
    }

    /// The parsed line, for a v1 header (its framing parses it whole).
    pub const fn v1(&self) -> Option<v1::Header> {
        match self.0 {
            Inner::V1 { header, .. } => Some(header),
            Inner::V2 { .. } => None,
        }
    }

    /// The header, with every rule of its body checked (v2 address block,
    /// TLVs, CRC32C). Only rules of the body can fail here: the header's
    /// extent is settled.
    #[inline(always)]
    pub fn header(self) -> Result<Header<'a>, Error> {
        match self.0 {
            Inner::V1 { header, .. } => Ok(Header::V1(header)),
            Inner::V2 { prefix, bytes } => v2::body(bytes, prefix).map(Header::V2),
        }
    }
}

/// Frames the header at the start of `buf`.
///
/// The version is decided by the first byte: `P` starts a v1 line, `\r` the
/// v2 signature, anything else is [`Error::NotProxy`]. Every byte that is
/// here is checked as far as the framing goes: a v1 line is parsed (a bad
/// byte is an error at once), a v2 prefix has each of its bytes checked.
///
/// ```
/// use proxy_hdr::{frame, Frame};
///
/// // A v2 prefix declaring a 5000-byte body: refuse it before reading on.
/// let prefix = b"\r\n\r\n\0\r\nQUIT\n\x21\x11\x13\x88";
/// let Ok(Frame::Partial { len: Some(len), .. }) = frame(prefix) else { panic!() };
/// assert_eq!(len, 5016);
/// ```
#[inline]
pub fn frame(buf: &[u8]) -> Result<Frame<'_>, Error> {
    match buf.first() {
        None => Ok(Frame::Partial { needed: NonZeroUsize::new(v1::MIN_LEN), len: None }),
        Some(b'P') => match v1::line(buf) {
            Ok((header, len)) => Ok(Frame::Whole(Framed(Inner::V1 { header, len }))),
            Err(Stop::Incomplete) => Ok(Frame::Partial {
                needed: NonZeroUsize::new(v1::MIN_LEN.saturating_sub(buf.len())),
                len: None,
            }),
            Err(Stop::Invalid(e)) => Err(e),
        },
        Some(b'\r') => match v2::prefix(buf) {
            Ok(prefix) => {
                let len = prefix.total_len();
                match buf.get(..len) {
                    Some(bytes) => Ok(Frame::Whole(Framed(Inner::V2 { prefix, bytes }))),
                    None => Ok(Frame::Partial {
                        needed: NonZeroUsize::new(len - buf.len()),
                        len: Some(len),
                    }),
                }
            }
            Err(Stop::Incomplete) => Ok(Frame::Partial {
                needed: NonZeroUsize::new(v2::PREFIX_LEN.saturating_sub(buf.len())),
                len: None,
            }),
            Err(Stop::Invalid(e)) => Err(e),
        },
        Some(_) => Err(Error::NotProxy),
    }
}
