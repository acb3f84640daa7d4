//! Parsing a v2 header: the 16-byte prefix, each byte checked as soon as it
//! arrives, then the body over exactly its declared length.

use core::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};
use core::num::NonZeroUsize;

use super::tlv::{CrcFields, Tlvs};
use super::{Family, Header, PREFIX_LEN, SIGNATURE};
use crate::stop::{Stop, signature};
use crate::{Addresses, Command, Error, Protocol, Status, UNIX_ADDR_LEN, UnixAddr};

/// The decoded 16-byte prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Prefix {
    command: Command,
    /// The family nibble, when known (always, under PROXY).
    family: Option<Family>,
    /// The protocol nibble; `None` for UNSPEC (and any value under LOCAL,
    /// where it is not used).
    protocol: Option<Protocol>,
    body_len: u16,
}

impl Prefix {
    /// The header's whole length: the prefix and its body.
    pub(crate) const fn total_len(&self) -> usize {
        PREFIX_LEN + self.body_len as usize
    }

    /// The transport a PROXY header reports.
    pub(crate) const fn protocol(&self) -> Option<Protocol> {
        match self.command {
            Command::Proxy => self.protocol,
            Command::Local => None,
        }
    }
}

/// Parses a v2 header at the start of `buf`.
#[inline]
pub fn parse(buf: &[u8]) -> Result<Status<Header<'_>>, Error> {
    let prefix = match prefix(buf) {
        Ok(prefix) => prefix,
        Err(Stop::Incomplete) => return Ok(incomplete(buf.len(), PREFIX_LEN)),
        Err(Stop::Invalid(e)) => return Err(e),
    };
    let len = prefix.total_len();
    match buf.get(..len) {
        Some(header) => Ok(Status::Complete { header: body(header, prefix)?, len }),
        None => Ok(incomplete(buf.len(), len)),
    }
}

fn incomplete<H>(have: usize, want: usize) -> Status<H> {
    Status::Incomplete { needed: NonZeroUsize::new(want.saturating_sub(have)) }
}

/// The 16-byte prefix, each byte checked as soon as it is there.
#[inline]
pub(crate) fn prefix(input: &[u8]) -> Result<Prefix, Stop> {
    // The usual case, the whole prefix at hand: decode it as one array,
    // with the same checks in the same order as the streaming path below.
    if let Some(&[.., vc, fp, l0, l1]) = input.first_chunk::<PREFIX_LEN>() {
        if input.get(..SIGNATURE.len()) != Some(&SIGNATURE[..]) {
            return Err(Stop::Invalid(Error::NotProxy));
        }
        let command = version_command(vc)?;
        let (family, protocol) = address_type(command, fp)?;
        let body_len = body_len(command, family, u16::from_be_bytes([l0, l1]))?;
        return Ok(Prefix { command, family, protocol, body_len });
    }
    prefix_streaming(input)
}

/// The prefix when fewer than 16 bytes are at hand: every byte there is
/// checked, then it is a valid prefix (the length field is the last two).
#[cold]
#[inline(never)]
fn prefix_streaming(input: &[u8]) -> Result<Prefix, Stop> {
    let (rest, ()) = signature(input, &SIGNATURE)?;
    if let [vc, rest @ ..] = rest {
        let command = version_command(*vc)?;
        if let [fp, ..] = rest {
            address_type(command, *fp)?;
        }
    }
    Err(Stop::Incomplete)
}

/// Byte 13: version 2, command LOCAL or PROXY.
#[inline(always)]
fn version_command(byte: u8) -> Result<Command, Error> {
    if byte >> 4 != 2 {
        return Err(Error::V2UnsupportedVersion);
    }
    match byte & 0x0f {
        0 => Ok(Command::Local),
        1 => Ok(Command::Proxy),
        _ => Err(Error::V2UnknownCommand),
    }
}

/// Byte 14: family and protocol. Under PROXY only the listed combinations
/// are valid (§2.2); a LOCAL receiver discards the whole protocol block,
/// this byte included, so any value goes (its family, when known, still
/// says where TLVs start).
#[inline(always)]
fn address_type(command: Command, byte: u8) -> Result<(Option<Family>, Option<Protocol>), Error> {
    use Protocol::{Dgram, Stream};
    if command == Command::Local {
        return Ok((Family::from_nibble(byte >> 4), None));
    }
    // The seven listed bytes as one match (a table), the rules after.
    let (family, protocol) = match byte {
        0x00 => (Family::Unspec, None),
        0x11 => (Family::Inet, Some(Stream)),
        0x12 => (Family::Inet, Some(Dgram)),
        0x21 => (Family::Inet6, Some(Stream)),
        0x22 => (Family::Inet6, Some(Dgram)),
        0x31 => (Family::Unix, Some(Stream)),
        0x32 => (Family::Unix, Some(Dgram)),
        b if b >> 4 > 3 => return Err(Error::V2UnknownFamily),
        b if b & 0x0f > 2 => return Err(Error::V2UnknownProtocol),
        _ => return Err(Error::V2UnlistedAddressType),
    };
    Ok((Some(family), protocol))
}

/// Bytes 15-16: the body length, at least the address block under PROXY.
#[inline(always)]
fn body_len(command: Command, family: Option<Family>, len: u16) -> Result<u16, Error> {
    let block = family.map_or(0, Family::address_len);
    if command == Command::Proxy && usize::from(len) < block {
        return Err(Error::V2AddressBlockTooShort);
    }
    Ok(len)
}

/// The body of a header whose `prefix` was decoded from `header`, which is
/// exactly the header's bytes.
#[inline(always)]
pub(crate) fn body(header: &[u8], prefix: Prefix) -> Result<Header<'_>, Error> {
    let body = header.get(PREFIX_LEN..).unwrap_or_default();
    match prefix.command {
        Command::Proxy => {
            let family = prefix.family.unwrap_or(Family::Unspec);
            let (block, tlv_bytes) = body.split_at(family.address_len().min(body.len()));
            let connection = match (prefix.protocol, addresses(block, family)) {
                (Some(protocol), Some(addresses)) => Some((protocol, addresses)),
                _ => None,
            };
            let tlvs = tlvs(header, tlv_bytes)?;
            Ok(Header::parsed(Command::Proxy, connection, tlvs))
        }
        Command::Local => {
            Ok(Header::parsed(Command::Local, None, local_tlvs(header, body, prefix)))
        }
    }
}

/// A LOCAL header's TLVs: those after its address block when that block is
/// there and what follows is a valid TLV list with a matching checksum;
/// otherwise none, because a LOCAL header is never refused for its body.
#[inline]
fn local_tlvs<'a>(header: &'a [u8], body: &'a [u8], prefix: Prefix) -> Tlvs<'a> {
    let Some(family) = prefix.family else { return Tlvs::EMPTY };
    match body.get(family.address_len()..) {
        Some(tlv_bytes) => tlvs(header, tlv_bytes).unwrap_or(Tlvs::EMPTY),
        None => Tlvs::EMPTY,
    }
}

/// Validates the TLVs at the end of `header` and verifies any CRC32C.
#[inline(always)]
fn tlvs<'a>(header: &'a [u8], tlv_bytes: &'a [u8]) -> Result<Tlvs<'a>, Error> {
    let (tlvs, crc_fields) = Tlvs::validate(tlv_bytes)?;
    let tlv_start = header.len() - tlv_bytes.len();
    let matches = match crc_fields {
        CrcFields::None => return Ok(tlvs),
        CrcFields::One(at) => {
            let at = tlv_start + at;
            let sent = header.get(at..at + 4).and_then(|v| v.try_into().ok());
            sent.map(u32::from_be_bytes) == Some(super::write::checksum_with_zeroed(header, at))
        }
        CrcFields::Several => {
            let crc = super::write::checksum(header, tlv_start, tlvs);
            tlvs.crc32c_values().all(|sent| Some(sent) == crc)
        }
    };
    if matches { Ok(tlvs) } else { Err(Error::V2Crc32cMismatch) }
}

/// Decodes an address block whose length the prefix already checked.
#[inline(always)]
fn addresses(block: &[u8], family: Family) -> Option<Addresses<'_>> {
    let port = u16::from_be_bytes;
    match family {
        Family::Unspec => None,
        Family::Inet => {
            let &[s0, s1, s2, s3, d0, d1, d2, d3, sp0, sp1, dp0, dp1] = block.first_chunk()?;
            Some(Addresses::Inet {
                source: SocketAddrV4::new(Ipv4Addr::new(s0, s1, s2, s3), port([sp0, sp1])),
                destination: SocketAddrV4::new(Ipv4Addr::new(d0, d1, d2, d3), port([dp0, dp1])),
            })
        }
        Family::Inet6 => {
            let (source, rest) = block.split_first_chunk::<16>()?;
            let (destination, rest) = rest.split_first_chunk::<16>()?;
            let &[sp0, sp1, dp0, dp1] = rest.first_chunk()?;
            let ip = |octets: &[u8; 16]| Ipv6Addr::from(*octets);
            Some(Addresses::Inet6 {
                source: SocketAddrV6::new(ip(source), port([sp0, sp1]), 0, 0),
                destination: SocketAddrV6::new(ip(destination), port([dp0, dp1]), 0, 0),
            })
        }
        Family::Unix => {
            let (source, destination) = block.split_at(UNIX_ADDR_LEN.min(block.len()));
            Some(Addresses::Unix {
                source: UnixAddr::from_field(source),
                destination: UnixAddr::from_field(destination),
            })
        }
    }
}
