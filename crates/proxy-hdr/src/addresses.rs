//! The addresses a header reports, for both versions.

use core::net::{SocketAddr, SocketAddrV4, SocketAddrV6};

/// The length of a unix address in the v2 address block (§2.2).
pub const UNIX_ADDR_LEN: usize = 108;

/// The transport of the relayed connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum Protocol {
    /// SOCK_STREAM: TCP, or a unix stream socket.
    Stream,
    /// SOCK_DGRAM: UDP, or a unix datagram socket.
    Dgram,
}

/// A unix socket path: at most 108 bytes, no NUL (the bytes of a v2 address
/// field up to its first NUL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UnixAddr<'a>(&'a [u8]);

impl<'a> UnixAddr<'a> {
    /// A path; `None` if it is longer than 108 bytes or holds a NUL (it would
    /// not read back the same).
    pub fn new(path: &'a [u8]) -> Option<Self> {
        (path.len() <= UNIX_ADDR_LEN && !path.contains(&0)).then_some(UnixAddr(path))
    }

    /// The path bytes (no NUL).
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.0
    }

    /// The path of a 108-byte address field: its bytes up to the first NUL.
    pub(crate) fn from_field(field: &'a [u8]) -> Self {
        let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
        UnixAddr(field.get(..end.min(UNIX_ADDR_LEN)).unwrap_or_default())
    }
}

/// The source and destination of a relayed connection.
///
/// Only the address and port travel in a header: an IPv6 address's flow
/// label and scope id are not sent, so they read back as zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Addresses<'a> {
    /// IPv4 (v1 `TCP4`, v2 INET).
    Inet {
        /// The client's address, as the proxy saw it.
        source: SocketAddrV4,
        /// The address the client connected to.
        destination: SocketAddrV4,
    },
    /// IPv6 (v1 `TCP6`, v2 INET6).
    Inet6 {
        /// The client's address, as the proxy saw it.
        source: SocketAddrV6,
        /// The address the client connected to.
        destination: SocketAddrV6,
    },
    /// Unix sockets (v2 UNIX).
    Unix {
        /// The client's socket path.
        source: UnixAddr<'a>,
        /// The path the client connected to.
        destination: UnixAddr<'a>,
    },
}

impl<'a> Addresses<'a> {
    /// IP addresses from a pair of socket addresses of one family; `None`
    /// when one is IPv4 and the other IPv6. An IPv4-mapped IPv6 pair (what a
    /// dual-stack socket reports for IPv4 peers) is sent as IPv4.
    pub fn from_sockets(source: SocketAddr, destination: SocketAddr) -> Option<Self> {
        match (canonical(source), canonical(destination)) {
            (SocketAddr::V4(source), SocketAddr::V4(destination)) => {
                Some(Addresses::Inet { source, destination })
            }
            (SocketAddr::V6(source), SocketAddr::V6(destination)) => {
                Some(Addresses::Inet6 { source, destination })
            }
            _ => None,
        }
    }

    /// The client's IP address and port; `None` for unix sockets.
    #[inline]
    pub fn source(&self) -> Option<SocketAddr> {
        match self {
            Addresses::Inet { source, .. } => Some(SocketAddr::V4(*source)),
            Addresses::Inet6 { source, .. } => Some(SocketAddr::V6(*source)),
            Addresses::Unix { .. } => None,
        }
    }

    /// The address the client connected to; `None` for unix sockets.
    #[inline]
    pub fn destination(&self) -> Option<SocketAddr> {
        match self {
            Addresses::Inet { destination, .. } => Some(SocketAddr::V4(*destination)),
            Addresses::Inet6 { destination, .. } => Some(SocketAddr::V6(*destination)),
            Addresses::Unix { .. } => None,
        }
    }
}

/// `::ffff:a.b.c.d` as `a.b.c.d`; other addresses unchanged.
fn canonical(addr: SocketAddr) -> SocketAddr {
    match addr {
        SocketAddr::V6(v6) => match v6.ip().to_ipv4_mapped() {
            Some(v4) => SocketAddr::V4(SocketAddrV4::new(v4, v6.port())),
            None => addr,
        },
        v4 => v4,
    }
}
