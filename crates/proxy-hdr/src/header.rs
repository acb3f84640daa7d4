//! The version-independent view of a header.

use core::net::SocketAddr;

use crate::v2::Tlvs;
use crate::{Addresses, Protocol, WriteError, v1, v2};

/// The protocol version of a header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum Version {
    /// The text line (§2.1).
    V1,
    /// The binary header (§2.2).
    V2,
}

/// What the connection is, per the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum Command {
    /// The proxy opened the connection itself (e.g. a health check): use the
    /// socket's addresses.
    Local,
    /// The proxy relays a client: the header's addresses are the real ones.
    Proxy,
}

/// A header of either version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Header<'a> {
    /// A v1 text header.
    V1(v1::Header),
    /// A v2 binary header.
    V2(v2::Header<'a>),
}

impl<'a> Header<'a> {
    /// The protocol version.
    pub const fn version(&self) -> Version {
        match self {
            Header::V1(_) => Version::V1,
            Header::V2(_) => Version::V2,
        }
    }

    /// LOCAL or PROXY; a v1 header always relays (`UNKNOWN` included).
    pub const fn command(&self) -> Command {
        match self {
            Header::V1(_) => Command::Proxy,
            Header::V2(h) => h.command(),
        }
    }

    /// The relayed connection's addresses: `None` for LOCAL, v2 UNSPEC and
    /// v1 `UNKNOWN`, where the receiver uses the socket's own.
    #[inline]
    pub const fn addresses(&self) -> Option<Addresses<'a>> {
        match self {
            Header::V1(h) => h.addresses(),
            Header::V2(h) => h.addresses(),
        }
    }

    /// The relayed connection's transport (v1 is always TCP), when the
    /// header reports addresses.
    pub const fn protocol(&self) -> Option<Protocol> {
        match self {
            Header::V1(h) if h.is_unknown() => None,
            Header::V1(_) => Some(Protocol::Stream),
            Header::V2(h) => h.protocol(),
        }
    }

    /// The real client's IP address and port, when the header carries them.
    #[inline]
    pub const fn source(&self) -> Option<SocketAddr> {
        match self {
            Header::V1(h) => h.source(),
            Header::V2(h) => h.source(),
        }
    }

    /// The address the client connected to, when the header carries it.
    #[inline]
    pub const fn destination(&self) -> Option<SocketAddr> {
        match self {
            Header::V1(h) => h.destination(),
            Header::V2(h) => h.destination(),
        }
    }

    /// The TLVs (always empty for v1).
    pub const fn tlvs(&self) -> Tlvs<'a> {
        match self {
            Header::V1(_) => Tlvs::EMPTY,
            Header::V2(h) => h.tlvs(),
        }
    }

    /// The length of the header [`write`](Self::write) produces.
    pub fn encoded_len(&self) -> usize {
        match self {
            Header::V1(h) => h.encoded_len(),
            Header::V2(h) => h.encoded_len(),
        }
    }

    /// Writes the header into `out` and returns its length; `out` is left
    /// untouched on error. Parsing the output gives back an equal header.
    pub fn write(&self, out: &mut [u8]) -> Result<usize, WriteError> {
        match self {
            Header::V1(h) => h.write(out),
            Header::V2(h) => h.write(out),
        }
    }
}

impl From<v1::Header> for Header<'_> {
    fn from(h: v1::Header) -> Self {
        Header::V1(h)
    }
}

impl<'a> From<v2::Header<'a>> for Header<'a> {
    fn from(h: v2::Header<'a>) -> Self {
        Header::V2(h)
    }
}
