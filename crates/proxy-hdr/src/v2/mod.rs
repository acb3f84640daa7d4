//! The v2 binary header (§2.2): a 16-byte prefix, an address block sized by
//! the family, then TLVs.
//!
//! Only the prefix is parsed as it streams in, so a bad version, command,
//! family or length is reported as soon as its byte arrives. The body is
//! examined once all `16 + len` bytes are present, with complete parsers
//! over exactly that slice: a truncation inside it is invalid, never partial.

mod block;
mod cloud;
mod parse;
mod ssl;
mod tlv;
mod tlv_writer;
mod write;

pub use cloud::{Aws, AwsSubtype, Azure, AzureSubtype};
pub use parse::parse;
pub(crate) use parse::{Prefix, body, prefix};
pub use ssl::{ClientFlags, Ssl, SslSubTlv, SslSubTlvs, SslSubtype};
pub use tlv::{Tlv, TlvIter, TlvType, TlvView, Tlvs, UNIQUE_ID_MAX};
pub use tlv_writer::TlvWriter;

use core::fmt;
use core::net::SocketAddr;

pub(crate) use block::Block;

use crate::{Addresses, Command, Protocol};

/// The 12-byte v2 signature (§2.2).
pub const SIGNATURE: [u8; 12] = *b"\r\n\r\n\0\r\nQUIT\n";

/// Signature, version/command, family/protocol and length.
pub const PREFIX_LEN: usize = 16;

/// The longest v2 header: the prefix plus a 16-bit length.
pub const MAX_LEN: usize = PREFIX_LEN + u16::MAX as usize;

/// The address family, high nibble of byte 14.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum Family {
    /// AF_UNSPEC: no address block.
    Unspec,
    /// AF_INET: IPv4, 12-byte block.
    Inet,
    /// AF_INET6: IPv6, 36-byte block.
    Inet6,
    /// AF_UNIX: two 108-byte paths.
    Unix,
}

impl Family {
    /// The size of this family's address block (§2.2).
    pub const fn address_len(self) -> usize {
        match self {
            Family::Unspec => 0,
            Family::Inet => 12,
            Family::Inet6 => 36,
            Family::Unix => 2 * crate::UNIX_ADDR_LEN,
        }
    }

    pub(crate) const fn from_nibble(n: u8) -> Option<Self> {
        match n {
            0 => Some(Family::Unspec),
            1 => Some(Family::Inet),
            2 => Some(Family::Inet6),
            3 => Some(Family::Unix),
            _ => None,
        }
    }

    pub(crate) const fn nibble(self) -> u8 {
        match self {
            Family::Unspec => 0,
            Family::Inet => 1,
            Family::Inet6 => 2,
            Family::Unix => 3,
        }
    }
}

impl Addresses<'_> {
    /// The v2 address family these addresses are sent with.
    pub const fn family(&self) -> Family {
        match self {
            Addresses::Inet { .. } => Family::Inet,
            Addresses::Inet6 { .. } => Family::Inet6,
            Addresses::Unix { .. } => Family::Unix,
        }
    }
}

/// A v2 header, borrowing its unix paths and TLVs from the input.
///
/// Its parts cannot disagree: a LOCAL header has no addresses, a PROXY
/// header has either none (UNSPEC, `0x00`) or a transport and addresses of
/// one family, and the TLVs are validated. Every value can be written, and
/// parses back equal.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header<'a> {
    command: Command,
    connection: Option<(Protocol, Block<'a>)>,
    tlvs: Tlvs<'a>,
}

impl<'a> Header<'a> {
    /// A PROXY header relaying a `protocol` connection between `addresses`.
    pub const fn proxy(protocol: Protocol, addresses: Addresses<'a>) -> Self {
        Header {
            command: Command::Proxy,
            connection: Some((protocol, Block::new(addresses))),
            tlvs: Tlvs::EMPTY,
        }
    }

    /// A PROXY header whose addresses are unknown (family and protocol
    /// UNSPEC, `0x00`): the receiver uses the socket's, as for v1 `UNKNOWN`.
    pub const fn proxy_unspec() -> Self {
        Header { command: Command::Proxy, connection: None, tlvs: Tlvs::EMPTY }
    }

    /// A LOCAL header, as proxies send for health checks: the receiver uses
    /// the socket's own addresses (§2.2).
    pub const fn local() -> Self {
        Header { command: Command::Local, connection: None, tlvs: Tlvs::EMPTY }
    }

    /// The same header carrying `tlvs`.
    pub const fn with_tlvs(self, tlvs: Tlvs<'a>) -> Self {
        Header { tlvs, ..self }
    }

    /// LOCAL (a connection of the proxy's own) or PROXY (a relayed client).
    pub const fn command(&self) -> Command {
        self.command
    }

    /// The relayed connection's transport, when the header reports one.
    pub const fn protocol(&self) -> Option<Protocol> {
        match self.connection {
            Some((protocol, _)) => Some(protocol),
            None => None,
        }
    }

    /// The relayed connection's addresses: `None` for LOCAL and UNSPEC.
    #[inline]
    pub const fn addresses(&self) -> Option<Addresses<'a>> {
        match &self.connection {
            Some((_, block)) => Some(block.addresses()),
            None => None,
        }
    }

    /// The family the header is written with.
    pub const fn family(&self) -> Family {
        match &self.connection {
            Some((_, block)) => block.family(),
            None => Family::Unspec,
        }
    }

    /// The TLVs after the address block, validated.
    pub const fn tlvs(&self) -> Tlvs<'a> {
        self.tlvs
    }

    /// The client's IP address and port, when the header carries them.
    #[inline]
    pub const fn source(&self) -> Option<SocketAddr> {
        match &self.connection {
            Some((_, block)) => block.source(),
            None => None,
        }
    }

    /// The address the client connected to, when the header carries it.
    #[inline]
    pub const fn destination(&self) -> Option<SocketAddr> {
        match &self.connection {
            Some((_, block)) => block.destination(),
            None => None,
        }
    }

    /// The length of the header [`write`](Self::write) produces.
    pub const fn encoded_len(&self) -> usize {
        PREFIX_LEN + self.family().address_len() + self.tlvs.as_bytes().len()
    }

    /// The family/protocol byte (byte 14) as written.
    pub(crate) const fn address_type(&self) -> u8 {
        let protocol = match self.protocol() {
            None => 0,
            Some(Protocol::Stream) => 1,
            Some(Protocol::Dgram) => 2,
        };
        (self.family().nibble() << 4) | protocol
    }

    /// A header the parser decoded (its parts already agree).
    pub(crate) const fn parsed(
        command: Command,
        connection: Option<(Protocol, Block<'a>)>,
        tlvs: Tlvs<'a>,
    ) -> Self {
        Header { command, connection, tlvs }
    }

    /// The address block in wire form, for the writer.
    pub(crate) const fn block(&self) -> Option<&Block<'a>> {
        match &self.connection {
            Some((_, block)) => Some(block),
            None => None,
        }
    }
}

impl fmt::Debug for Header<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Header")
            .field("command", &self.command)
            .field("protocol", &self.protocol())
            .field("addresses", &self.addresses())
            .field("tlvs", &self.tlvs)
            .finish()
    }
}

#[cfg(test)]
mod tests;
