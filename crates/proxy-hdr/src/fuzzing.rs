//! `Arbitrary` headers for fuzzers (feature `arbitrary`): every shape the
//! writer accepts, plus field combinations it must refuse cleanly.

use core::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};

use arbitrary::{Arbitrary, Result, Unstructured};

use crate::v2::{Addresses, Family, Protocol, Tlvs, UnixAddr};
use crate::{Command, Header, v1, v2};

impl<'a> Arbitrary<'a> for Header<'a> {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(if u.arbitrary()? { Header::V1(u.arbitrary()?) } else { Header::V2(u.arbitrary()?) })
    }
}

fn v4(u: &mut Unstructured<'_>) -> Result<SocketAddrV4> {
    Ok(SocketAddrV4::new(Ipv4Addr::from_bits(u.arbitrary()?), u.arbitrary()?))
}

/// No flow label or scope: neither travels in a PROXY header.
fn v6(u: &mut Unstructured<'_>) -> Result<SocketAddrV6> {
    Ok(SocketAddrV6::new(Ipv6Addr::from_bits(u.arbitrary()?), u.arbitrary()?, 0, 0))
}

impl<'a> Arbitrary<'a> for v1::Header {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(match u.choose_index(3)? {
            0 => v1::Header::Tcp4 { source: v4(u)?, destination: v4(u)? },
            1 => v1::Header::Tcp6 { source: v6(u)?, destination: v6(u)? },
            _ => v1::Header::Unknown,
        })
    }
}

impl<'a> Arbitrary<'a> for UnixAddr<'a> {
    /// Up to 108 bytes without a NUL, as [`UnixAddr::new`] accepts.
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let len = u.int_in_range(0..=v2::UNIX_ADDR_LEN)?;
        let bytes = u.bytes(len.min(u.len()))?;
        let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
        Ok(UnixAddr::new(bytes.get(..end).unwrap_or_default()).unwrap_or(UnixAddr::from_path(&[])))
    }
}

impl<'a> Arbitrary<'a> for Addresses<'a> {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(match u.choose_index(4)? {
            0 => Addresses::None,
            1 => Addresses::Inet { source: v4(u)?, destination: v4(u)? },
            2 => Addresses::Inet6 { source: v6(u)?, destination: v6(u)? },
            _ => Addresses::Unix { source: u.arbitrary()?, destination: u.arbitrary()? },
        })
    }
}

impl<'a> Arbitrary<'a> for Tlvs<'a> {
    /// Bytes that validate as a TLV list, else none. Fuzzers that want rich
    /// lists build them with [`v2::TlvWriter`] (which also computes CRC32C).
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let len = u.int_in_range(0..=512)?;
        let bytes = u.bytes(len.min(u.len()))?;
        Ok(Tlvs::new(bytes).unwrap_or(Tlvs::EMPTY))
    }
}

impl<'a> Arbitrary<'a> for v2::Header<'a> {
    /// Mostly consistent headers (as [`v2::Header::proxy`] and
    /// [`v2::Header::local`] build them), sometimes raw field combinations
    /// the writer must refuse without touching its output.
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let protocol = *u.choose(&[Protocol::Unspec, Protocol::Stream, Protocol::Dgram])?;
        let addresses: Addresses<'a> = u.arbitrary()?;
        let header = match u.choose_index(8)? {
            0 => v2::Header::local(),
            1 => v2::Header {
                command: *u.choose(&[Command::Local, Command::Proxy])?,
                family: *u.choose(&[Family::Unspec, Family::Inet, Family::Inet6, Family::Unix])?,
                protocol,
                addresses,
                tlvs: Tlvs::EMPTY,
            },
            _ => v2::Header::proxy(protocol, addresses),
        };
        Ok(header.with_tlvs(u.arbitrary()?))
    }
}
