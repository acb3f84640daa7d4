//! A pair of IP socket addresses kept as plain integers, for both versions'
//! headers.
//!
//! `SocketAddrV4`/`V6` hold their addresses as byte arrays of alignment 1
//! or 2. Built field by field inside a header that the caller then reads
//! back at other widths, they cost a failed store forward per address
//! (measured: half of a v2 TCP4 parse). Integers stay in registers; the
//! socket addresses are made when asked for.

use core::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use crate::Addresses;

/// Source and destination: addresses as their big-endian integer value,
/// then the ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum IpBlock {
    /// IPv4.
    V4 { source: u32, destination: u32, ports: [u16; 2] },
    /// IPv6; no flow label or scope id, which no header carries. Each
    /// address as its high and low halves: `u128`'s 16-byte alignment
    /// padded every header and the results around it.
    V6 { source: [u64; 2], destination: [u64; 2], ports: [u16; 2] },
}

impl IpBlock {
    /// An IPv4 pair.
    pub(crate) const fn v4(source: SocketAddrV4, destination: SocketAddrV4) -> Self {
        IpBlock::V4 {
            source: source.ip().to_bits(),
            destination: destination.ip().to_bits(),
            ports: [source.port(), destination.port()],
        }
    }

    /// An IPv6 pair; flow labels and scope ids are dropped.
    pub(crate) const fn v6(source: SocketAddrV6, destination: SocketAddrV6) -> Self {
        IpBlock::V6 {
            source: halves(source.ip().to_bits()),
            destination: halves(destination.ip().to_bits()),
            ports: [source.port(), destination.port()],
        }
    }

    /// The pair of `addresses`; `None` for unix paths.
    pub(crate) const fn new(addresses: Addresses<'_>) -> Option<Self> {
        match addresses {
            Addresses::Inet { source, destination } => Some(IpBlock::v4(source, destination)),
            Addresses::Inet6 { source, destination } => Some(IpBlock::v6(source, destination)),
            Addresses::Unix { .. } => None,
        }
    }

    /// The addresses, decoded.
    #[inline]
    pub(crate) const fn addresses(self) -> Addresses<'static> {
        match self {
            IpBlock::V4 { source, destination, ports: [s, d] } => Addresses::Inet {
                source: SocketAddrV4::new(Ipv4Addr::from_bits(source), s),
                destination: SocketAddrV4::new(Ipv4Addr::from_bits(destination), d),
            },
            IpBlock::V6 { source, destination, ports: [s, d] } => Addresses::Inet6 {
                source: SocketAddrV6::new(v6(source), s, 0, 0),
                destination: SocketAddrV6::new(v6(destination), d, 0, 0),
            },
        }
    }

    /// The source address and port.
    #[inline]
    pub(crate) const fn source(self) -> SocketAddr {
        match self {
            IpBlock::V4 { source, ports: [port, _], .. } => {
                SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::from_bits(source), port))
            }
            IpBlock::V6 { source, ports: [port, _], .. } => {
                SocketAddr::V6(SocketAddrV6::new(v6(source), port, 0, 0))
            }
        }
    }

    /// The destination address and port.
    #[inline]
    pub(crate) const fn destination(self) -> SocketAddr {
        match self {
            IpBlock::V4 { destination, ports: [_, port], .. } => {
                SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::from_bits(destination), port))
            }
            IpBlock::V6 { destination, ports: [_, port], .. } => {
                SocketAddr::V6(SocketAddrV6::new(v6(destination), port, 0, 0))
            }
        }
    }
}

/// An IPv6 address's bits as high and low halves.
pub(crate) const fn halves(bits: u128) -> [u64; 2] {
    [(bits >> 64) as u64, bits as u64]
}

/// The bits `halves` split.
pub(crate) const fn join([high, low]: [u64; 2]) -> u128 {
    ((high as u128) << 64) | low as u128
}

const fn v6(halves: [u64; 2]) -> Ipv6Addr {
    Ipv6Addr::from_bits(join(halves))
}
