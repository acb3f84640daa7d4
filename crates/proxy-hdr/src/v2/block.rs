//! The address block kept as it travels (§2.2): IP addresses and ports as
//! their wire bytes, decoded when read.
//!
//! Decoding socket addresses while parsing built them field by field in a
//! stack slot that the caller then re-read at other widths, a store-forward
//! stall per address. Kept as bytes, parsing is a copy, writing is a copy,
//! and an accessor is a few loads. It also makes a built header equal to
//! its parse: an IPv6 flow label or scope id, which no header carries, is
//! dropped when the header is built, not when it is read back.

use core::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use super::Family;
use crate::{Addresses, UNIX_ADDR_LEN, UnixAddr};

/// An address block of one family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Block<'a> {
    /// IPv4: source and destination address, then both ports.
    Inet { source: u32, destination: u32, ports: [u16; 2] },
    /// IPv6, the same.
    Inet6 { source: u128, destination: u128, ports: [u16; 2] },
    /// Two paths, borrowed.
    Unix(UnixAddr<'a>, UnixAddr<'a>),
}

impl<'a> Block<'a> {
    /// The wire form of `addresses`.
    pub(crate) const fn new(addresses: Addresses<'a>) -> Self {
        match addresses {
            Addresses::Inet { source, destination } => Block::Inet {
                source: source.ip().to_bits(),
                destination: destination.ip().to_bits(),
                ports: [source.port(), destination.port()],
            },
            Addresses::Inet6 { source, destination } => Block::Inet6 {
                source: source.ip().to_bits(),
                destination: destination.ip().to_bits(),
                ports: [source.port(), destination.port()],
            },
            Addresses::Unix { source, destination } => Block::Unix(source, destination),
        }
    }

    /// The block at the start of `bytes`, which the prefix sized for
    /// `family`; `None` for UNSPEC.
    #[inline(always)]
    pub(crate) fn parse(family: Family, bytes: &'a [u8]) -> Option<Self> {
        match family {
            Family::Unspec => None,
            Family::Inet => {
                let (source, rest) = bytes.split_first_chunk()?;
                let (destination, rest) = rest.split_first_chunk()?;
                let &[s0, s1, d0, d1] = rest.first_chunk()?;
                Some(Block::Inet {
                    source: u32::from_be_bytes(*source),
                    destination: u32::from_be_bytes(*destination),
                    ports: [u16::from_be_bytes([s0, s1]), u16::from_be_bytes([d0, d1])],
                })
            }
            Family::Inet6 => {
                let (source, rest) = bytes.split_first_chunk()?;
                let (destination, rest) = rest.split_first_chunk()?;
                let &[s0, s1, d0, d1] = rest.first_chunk()?;
                Some(Block::Inet6 {
                    source: u128::from_be_bytes(*source),
                    destination: u128::from_be_bytes(*destination),
                    ports: [u16::from_be_bytes([s0, s1]), u16::from_be_bytes([d0, d1])],
                })
            }
            Family::Unix => {
                let (source, destination) = bytes.split_at(UNIX_ADDR_LEN.min(bytes.len()));
                Some(Block::Unix(UnixAddr::from_field(source), UnixAddr::from_field(destination)))
            }
        }
    }

    /// The family these addresses are sent with.
    pub(crate) const fn family(&self) -> Family {
        match self {
            Block::Inet { .. } => Family::Inet,
            Block::Inet6 { .. } => Family::Inet6,
            Block::Unix(..) => Family::Unix,
        }
    }

    /// The addresses, decoded.
    #[inline]
    pub(crate) const fn addresses(&self) -> Addresses<'a> {
        match *self {
            Block::Inet { source, destination, ports: [s, d] } => {
                Addresses::Inet { source: v4(source, s), destination: v4(destination, d) }
            }
            Block::Inet6 { source, destination, ports: [s, d] } => {
                Addresses::Inet6 { source: v6(source, s), destination: v6(destination, d) }
            }
            Block::Unix(source, destination) => Addresses::Unix { source, destination },
        }
    }

    /// The source IP address and port; `None` for unix paths.
    #[inline]
    pub(crate) const fn source(&self) -> Option<SocketAddr> {
        match *self {
            Block::Inet { source, ports: [port, _], .. } => Some(SocketAddr::V4(v4(source, port))),
            Block::Inet6 { source, ports: [port, _], .. } => Some(SocketAddr::V6(v6(source, port))),
            Block::Unix(..) => None,
        }
    }

    /// The destination IP address and port; `None` for unix paths.
    #[inline]
    pub(crate) const fn destination(&self) -> Option<SocketAddr> {
        match *self {
            Block::Inet { destination, ports: [_, port], .. } => {
                Some(SocketAddr::V4(v4(destination, port)))
            }
            Block::Inet6 { destination, ports: [_, port], .. } => {
                Some(SocketAddr::V6(v6(destination, port)))
            }
            Block::Unix(..) => None,
        }
    }

    /// Writes the block into `out`, which is the family's address length.
    pub(crate) fn write(&self, out: &mut [u8]) {
        let mut block = [0; 36];
        let wire: &[u8] = match *self {
            Block::Inet { source, destination, ports } => {
                put(&mut block, &[&source.to_be_bytes(), &destination.to_be_bytes()], ports)
            }
            Block::Inet6 { source, destination, ports } => {
                put(&mut block, &[&source.to_be_bytes(), &destination.to_be_bytes()], ports)
            }
            Block::Unix(source, destination) => {
                out.fill(0);
                let (src, dst) = out.split_at_mut(UNIX_ADDR_LEN.min(out.len()));
                for (field, path) in [(src, source), (dst, destination)] {
                    // A path is at most 108 bytes (`UnixAddr` guarantees it).
                    if let Some(field) = field.get_mut(..path.as_bytes().len()) {
                        field.copy_from_slice(path.as_bytes());
                    }
                }
                return;
            }
        };
        out.copy_from_slice(wire.get(..out.len()).unwrap_or_default());
    }
}

/// Lays `ips` then `ports` out in `block`; the bytes written.
fn put<'b>(block: &'b mut [u8; 36], ips: &[&[u8]; 2], [s, d]: [u16; 2]) -> &'b [u8] {
    let mut len = 0;
    for field in [ips[0], ips[1], &s.to_be_bytes(), &d.to_be_bytes()] {
        if let Some(to) = block.get_mut(len..len + field.len()) {
            to.copy_from_slice(field);
        }
        len += field.len();
    }
    block.get(..len).unwrap_or_default()
}

const fn v4(ip: u32, port: u16) -> SocketAddrV4 {
    SocketAddrV4::new(Ipv4Addr::from_bits(ip), port)
}

const fn v6(ip: u128, port: u16) -> SocketAddrV6 {
    SocketAddrV6::new(Ipv6Addr::from_bits(ip), port, 0, 0)
}
