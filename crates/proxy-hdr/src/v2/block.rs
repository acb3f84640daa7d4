//! The v2 address block (§2.2): IP addresses as integers ([`IpBlock`]),
//! unix paths borrowed from the input.
//!
//! A built header holds what its parse will: an IPv6 flow label or scope
//! id, which no header carries, is dropped when the header is built, not
//! when it is read back.

use core::net::SocketAddr;

use super::Family;
use crate::ip_block::{IpBlock, halves, join};
use crate::{Addresses, UNIX_ADDR_LEN, UnixAddr};

/// An address block of one family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Block<'a> {
    /// IPv4 or IPv6.
    Ip(IpBlock),
    /// Two paths.
    Unix(UnixAddr<'a>, UnixAddr<'a>),
}

impl<'a> Block<'a> {
    /// The block of `addresses`.
    pub(crate) const fn new(addresses: Addresses<'a>) -> Self {
        match addresses {
            Addresses::Inet { source, destination } => Block::Ip(IpBlock::v4(source, destination)),
            Addresses::Inet6 { source, destination } => Block::Ip(IpBlock::v6(source, destination)),
            Addresses::Unix { source, destination } => Block::Unix(source, destination),
        }
    }

    /// The block at the start of `bytes`, which the prefix sized for
    /// `family`; `None` for UNSPEC.
    #[inline(always)]
    pub(crate) fn parse(family: Family, bytes: &'a [u8]) -> Option<Self> {
        let port = u16::from_be_bytes;
        match family {
            Family::Unspec => None,
            Family::Inet => {
                let (source, rest) = bytes.split_first_chunk()?;
                let (destination, rest) = rest.split_first_chunk()?;
                let &[s0, s1, d0, d1] = rest.first_chunk()?;
                Some(Block::Ip(IpBlock::V4 {
                    source: u32::from_be_bytes(*source),
                    destination: u32::from_be_bytes(*destination),
                    ports: [port([s0, s1]), port([d0, d1])],
                }))
            }
            Family::Inet6 => {
                let (source, rest) = bytes.split_first_chunk()?;
                let (destination, rest) = rest.split_first_chunk()?;
                let &[s0, s1, d0, d1] = rest.first_chunk()?;
                Some(Block::Ip(IpBlock::V6 {
                    source: halves(u128::from_be_bytes(*source)),
                    destination: halves(u128::from_be_bytes(*destination)),
                    ports: [port([s0, s1]), port([d0, d1])],
                }))
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
            Block::Ip(IpBlock::V4 { .. }) => Family::Inet,
            Block::Ip(IpBlock::V6 { .. }) => Family::Inet6,
            Block::Unix(..) => Family::Unix,
        }
    }

    /// The addresses, decoded.
    #[inline]
    pub(crate) const fn addresses(&self) -> Addresses<'a> {
        match *self {
            Block::Ip(ip) => ip.addresses(),
            Block::Unix(source, destination) => Addresses::Unix { source, destination },
        }
    }

    /// The source IP address and port; `None` for unix paths.
    #[inline]
    pub(crate) const fn source(&self) -> Option<SocketAddr> {
        match *self {
            Block::Ip(ip) => Some(ip.source()),
            Block::Unix(..) => None,
        }
    }

    /// The destination IP address and port; `None` for unix paths.
    #[inline]
    pub(crate) const fn destination(&self) -> Option<SocketAddr> {
        match *self {
            Block::Ip(ip) => Some(ip.destination()),
            Block::Unix(..) => None,
        }
    }

    /// Writes the block into `out`, which is the family's address length.
    pub(crate) fn write(&self, out: &mut [u8]) {
        let fields: [&[u8]; 4] = match *self {
            Block::Ip(IpBlock::V4 { source, destination, ports: [s, d] }) => [
                &source.to_be_bytes(),
                &destination.to_be_bytes(),
                &s.to_be_bytes(),
                &d.to_be_bytes(),
            ],
            Block::Ip(IpBlock::V6 { source, destination, ports: [s, d] }) => [
                &join(source).to_be_bytes(),
                &join(destination).to_be_bytes(),
                &s.to_be_bytes(),
                &d.to_be_bytes(),
            ],
            // Paths are NUL-padded; the IP fields below fill every byte.
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
        let mut rest = out;
        for field in fields {
            let (to, tail) = rest.split_at_mut(field.len().min(rest.len()));
            to.copy_from_slice(field.get(..to.len()).unwrap_or_default());
            rest = tail;
        }
    }
}
