//! The v2 binary header (§2.2): a 16-byte prefix, an address block sized by
//! the family, then TLVs.
//!
//! Only the prefix is parsed as it streams in, so a bad version, command,
//! family or length is reported as soon as its byte arrives. The body is
//! examined once all `16 + len` bytes are present, with complete parsers
//! over exactly that slice: a truncation inside it is invalid, never partial.

mod ssl;
mod tlv;

pub use ssl::{ClientFlags, Ssl};
pub use tlv::{Tlv, TlvIter, TlvType, TlvWriter, Tlvs};

use tlv::CrcFields;

use core::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};
use core::num::NonZeroUsize;

use crate::crc32c::Crc32c;
use crate::parser::{Fail, PResult, signature};
use crate::{Command, Error, Status, WriteError};

/// The 12-byte v2 signature (§2.2).
pub const SIGNATURE: [u8; 12] = *b"\r\n\r\n\0\r\nQUIT\n";

/// Signature, version/command, family/protocol and length.
pub const PREFIX_LEN: usize = 16;

/// The longest v2 header: the prefix plus a 16-bit length.
pub const MAX_LEN: usize = PREFIX_LEN + u16::MAX as usize;

/// The length of a unix address in the address block (§2.2).
pub const UNIX_ADDR_LEN: usize = 108;

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
            Family::Unix => 2 * UNIX_ADDR_LEN,
        }
    }

    const fn from_nibble(n: u8) -> Option<Self> {
        match n {
            0 => Some(Family::Unspec),
            1 => Some(Family::Inet),
            2 => Some(Family::Inet6),
            3 => Some(Family::Unix),
            _ => None,
        }
    }

    const fn nibble(self) -> u8 {
        match self {
            Family::Unspec => 0,
            Family::Inet => 1,
            Family::Inet6 => 2,
            Family::Unix => 3,
        }
    }
}

/// The transport protocol, low nibble of byte 14.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum Protocol {
    /// Unknown or unspecified: addresses, if any, are not reported.
    Unspec,
    /// SOCK_STREAM: TCP or a unix stream socket.
    Stream,
    /// SOCK_DGRAM: UDP or a unix datagram socket.
    Dgram,
}

impl Protocol {
    const fn from_nibble(n: u8) -> Option<Self> {
        match n {
            0 => Some(Protocol::Unspec),
            1 => Some(Protocol::Stream),
            2 => Some(Protocol::Dgram),
            _ => None,
        }
    }

    const fn nibble(self) -> u8 {
        match self {
            Protocol::Unspec => 0,
            Protocol::Stream => 1,
            Protocol::Dgram => 2,
        }
    }
}

/// A unix socket path: the address bytes up to the first NUL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UnixAddr<'a>(&'a [u8]);

impl<'a> UnixAddr<'a> {
    /// A path for writing; `None` if it is longer than 108 bytes or holds a
    /// NUL (it would not read back the same).
    pub fn new(path: &'a [u8]) -> Option<Self> {
        (path.len() <= UNIX_ADDR_LEN && !path.contains(&0)).then_some(UnixAddr(path))
    }

    /// The path bytes (no NUL).
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.0
    }

    /// A path known to be valid (copied from a parsed address).
    pub(crate) const fn from_path(path: &'a [u8]) -> Self {
        UnixAddr(path)
    }

    fn from_field(field: &'a [u8]) -> Self {
        let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
        UnixAddr(field.get(..end).unwrap_or_default())
    }
}

/// The addresses a PROXY header reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Addresses<'a> {
    /// None: a LOCAL header, or an UNSPEC family or protocol.
    None,
    /// TCP or UDP over IPv4.
    Inet {
        /// The client's address.
        source: SocketAddrV4,
        /// The address the client connected to.
        destination: SocketAddrV4,
    },
    /// TCP or UDP over IPv6.
    Inet6 {
        /// The client's address.
        source: SocketAddrV6,
        /// The address the client connected to.
        destination: SocketAddrV6,
    },
    /// Unix stream or datagram sockets.
    Unix {
        /// The client's socket path.
        source: UnixAddr<'a>,
        /// The path the client connected to.
        destination: UnixAddr<'a>,
    },
}

/// A parsed v2 header, borrowing its unix paths and TLVs from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header<'a> {
    /// LOCAL (a health check by the proxy itself) or PROXY (a relayed client).
    pub command: Command,
    /// The address family byte, as sent.
    pub family: Family,
    /// The transport protocol, as sent.
    pub protocol: Protocol,
    /// The addresses: reported only for PROXY with a known family and protocol.
    pub addresses: Addresses<'a>,
    /// The TLVs after the address block, validated.
    pub tlvs: Tlvs<'a>,
}

impl<'a> Header<'a> {
    /// A PROXY header for `addresses`, with the family they imply and no TLVs.
    pub fn proxy(protocol: Protocol, addresses: Addresses<'a>) -> Self {
        let family = match addresses {
            Addresses::None => Family::Unspec,
            Addresses::Inet { .. } => Family::Inet,
            Addresses::Inet6 { .. } => Family::Inet6,
            Addresses::Unix { .. } => Family::Unix,
        };
        Header { command: Command::Proxy, family, protocol, addresses, tlvs: Tlvs::EMPTY }
    }

    /// A LOCAL header (UNSPEC, no addresses), as proxies send for health checks.
    pub const fn local() -> Self {
        Header {
            command: Command::Local,
            family: Family::Unspec,
            protocol: Protocol::Unspec,
            addresses: Addresses::None,
            tlvs: Tlvs::EMPTY,
        }
    }

    /// The same header carrying `tlvs`.
    pub const fn with_tlvs(self, tlvs: Tlvs<'a>) -> Self {
        Header { tlvs, ..self }
    }

    /// The length of the header [`write`](Self::write) produces.
    pub fn encoded_len(&self) -> usize {
        PREFIX_LEN + self.family.address_len() + self.tlvs.as_bytes().len()
    }

    /// Writes the header into `out` and returns its length.
    ///
    /// Any CRC32C TLV gets the checksum of the written header, so a header
    /// that includes one (see [`TlvWriter::crc32c`]) is written verifiable.
    /// On error `out` is left untouched.
    pub fn write(&self, out: &mut [u8]) -> Result<usize, WriteError> {
        self.check_writable()?;
        let needed = self.encoded_len();
        let body_len = u16::try_from(needed - PREFIX_LEN).map_err(|_| WriteError::TooLong)?;
        let Some(out) = out.get_mut(..needed) else {
            return Err(WriteError::BufferTooSmall { needed });
        };
        let [len_hi, len_lo] = body_len.to_be_bytes();
        let version_command = 0x20 | self.command.nibble();
        let family_protocol = (self.family.nibble() << 4) | self.protocol.nibble();
        let (prefix, rest) = out.split_at_mut(PREFIX_LEN.min(needed));
        let (signature, fields) = prefix.split_at_mut(SIGNATURE.len().min(prefix.len()));
        signature.copy_from_slice(&SIGNATURE);
        fields.copy_from_slice(&[version_command, family_protocol, len_hi, len_lo]);
        let (block, tlv_out) = rest.split_at_mut(self.family.address_len().min(rest.len()));
        write_addresses(&self.addresses, block);
        tlv_out.copy_from_slice(self.tlvs.as_bytes());

        let tlv_start = PREFIX_LEN + self.family.address_len();
        if let Some(crc) = checksum(out, tlv_start, self.tlvs) {
            for offset in self.tlvs.crc32c_offsets(tlv_start) {
                if let Some(field) = out.get_mut(offset..offset + 4) {
                    field.copy_from_slice(&crc.to_be_bytes());
                }
            }
        }
        Ok(needed)
    }

    /// Rejects headers that would not parse back to themselves.
    fn check_writable(&self) -> Result<(), WriteError> {
        let reported =
            matches!(self.command, Command::Proxy) && !matches!(self.protocol, Protocol::Unspec);
        let matches = match (self.addresses, self.family) {
            (Addresses::None, family) => !reported || family == Family::Unspec,
            (Addresses::Inet { .. }, Family::Inet)
            | (Addresses::Inet6 { .. }, Family::Inet6)
            | (Addresses::Unix { .. }, Family::Unix) => reported,
            _ => false,
        };
        if !matches {
            return Err(WriteError::AddressMismatch);
        }
        if let Addresses::Unix { source, destination } = self.addresses
            && (UnixAddr::new(source.0).is_none() || UnixAddr::new(destination.0).is_none())
        {
            return Err(WriteError::InvalidUnixPath);
        }
        if self.encoded_len() > MAX_LEN {
            return Err(WriteError::TooLong);
        }
        Ok(())
    }
}

#[allow(clippy::indexing_slicing)] // `block` is exactly the family's address length
fn write_addresses(addresses: &Addresses<'_>, block: &mut [u8]) {
    block.fill(0);
    match addresses {
        Addresses::None => {}
        Addresses::Inet { source, destination } => {
            block[0..4].copy_from_slice(&source.ip().octets());
            block[4..8].copy_from_slice(&destination.ip().octets());
            block[8..10].copy_from_slice(&source.port().to_be_bytes());
            block[10..12].copy_from_slice(&destination.port().to_be_bytes());
        }
        Addresses::Inet6 { source, destination } => {
            block[0..16].copy_from_slice(&source.ip().octets());
            block[16..32].copy_from_slice(&destination.ip().octets());
            block[32..34].copy_from_slice(&source.port().to_be_bytes());
            block[34..36].copy_from_slice(&destination.port().to_be_bytes());
        }
        Addresses::Unix { source, destination } => {
            block[..source.0.len()].copy_from_slice(source.0);
            let dst = &mut block[UNIX_ADDR_LEN..];
            dst[..destination.0.len()].copy_from_slice(destination.0);
        }
    }
}

/// The CRC-32C of `header` with the 4 bytes at `at` taken as zero.
fn checksum_with_zeroed(header: &[u8], at: usize) -> u32 {
    let mut crc = Crc32c::new();
    crc.update(header.get(..at).unwrap_or_default());
    crc.update(&[0; 4]);
    crc.update(header.get(at + 4..).unwrap_or_default());
    crc.finish()
}

/// The CRC-32C of `header` with every CRC32C TLV value taken as zero, or
/// `None` when there is no such TLV.
fn checksum(header: &[u8], tlv_start: usize, tlvs: Tlvs<'_>) -> Option<u32> {
    let mut offsets = tlvs.crc32c_offsets(tlv_start).peekable();
    offsets.peek()?;
    let mut crc = Crc32c::new();
    let mut done = 0;
    for offset in offsets {
        crc.update(header.get(done..offset).unwrap_or_default());
        crc.update(&[0; 4]);
        done = offset + 4;
    }
    crc.update(header.get(done..).unwrap_or_default());
    Some(crc.finish())
}

/// Parses a v2 header at the start of `buf`.
#[inline]
pub fn parse(buf: &[u8]) -> Result<Status<Header<'_>>, Error> {
    parse_into(buf, |header| header)
}

/// [`parse`], with the header wrapped by `wrap` where it is built: the
/// version-independent [`crate::parse`] gets its `Header::V2` without a
/// second copy of the whole value (a copy costs more than the parse).
#[inline(always)]
pub(crate) fn parse_into<'a, H>(
    buf: &'a [u8],
    wrap: impl FnOnce(Header<'a>) -> H,
) -> Result<Status<H>, Error> {
    let incomplete = |have: usize, want: usize| Status::Incomplete {
        needed: NonZeroUsize::new(want.saturating_sub(have)),
    };
    let (command, family, protocol, body_len) = match prefix(buf) {
        Ok((_, fields)) => fields,
        Err(nom::Err::Incomplete(_)) => return Ok(incomplete(buf.len(), PREFIX_LEN)),
        Err(nom::Err::Error(Fail(e)) | nom::Err::Failure(Fail(e))) => return Err(e),
    };
    let len = PREFIX_LEN + usize::from(body_len);
    let Some(header) = buf.get(..len) else {
        return Ok(incomplete(buf.len(), len));
    };
    let body = header.get(PREFIX_LEN..).unwrap_or_default();
    let parsed = body_fields(header, body, command, family, protocol)?;
    Ok(Status::Complete { header: wrap(parsed), len })
}

/// The decoded 16-byte prefix: command, family, protocol, body length.
type Prefix = (Command, Family, Protocol, u16);

/// The 16-byte prefix, each byte checked as soon as it is there.
#[inline]
fn prefix(input: &[u8]) -> PResult<'_, Prefix> {
    // The usual case, the whole prefix at hand: decode it as one array,
    // with the same checks in the same order as the streaming path below.
    if let Some((&[.., vc, fp, l0, l1], rest)) = input.split_first_chunk::<PREFIX_LEN>() {
        if input.get(..SIGNATURE.len()) != Some(&SIGNATURE[..]) {
            return Err(nom::Err::Error(Fail(Error::NotProxy)));
        }
        let fields = version_command(vc)
            .and_then(|command| family_protocol(command, fp))
            .and_then(|(c, f, p)| {
                body_len(c, f, u16::from_be_bytes([l0, l1])).map(|l| (c, f, p, l))
            })
            .map_err(crate::parser::fail)?;
        return Ok((rest, fields));
    }
    prefix_streaming(input)
}

/// The prefix when fewer than 16 bytes are at hand: nom's streaming parsers,
/// so a bad byte is reported as soon as it arrives.
#[cold]
#[inline(never)]
fn prefix_streaming(input: &[u8]) -> PResult<'_, Prefix> {
    use nom::number::streaming::{be_u8, be_u16 as be_u16_streaming};

    let (input, _) = signature(input, &SIGNATURE)?;
    let (input, vc) = be_u8(input)?;
    let command = version_command(vc).map_err(crate::parser::fail)?;
    let (input, fp) = be_u8(input)?;
    let (command, family, protocol) = family_protocol(command, fp).map_err(crate::parser::fail)?;
    let (input, len) = be_u16_streaming(input)?;
    let len = body_len(command, family, len).map_err(crate::parser::fail)?;
    Ok((input, (command, family, protocol, len)))
}

/// Byte 13: version 2, command LOCAL or PROXY.
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

/// Byte 14: family and protocol nibbles.
fn family_protocol(command: Command, byte: u8) -> Result<(Command, Family, Protocol), Error> {
    match (Family::from_nibble(byte >> 4), Protocol::from_nibble(byte & 0x0f), command) {
        (Some(f), Some(p), _) => Ok((command, f, p)),
        // §2.2: a LOCAL receiver discards the protocol block, family included.
        (_, _, Command::Local) => Ok((command, Family::Unspec, Protocol::Unspec)),
        (None, _, Command::Proxy) => Err(Error::V2UnknownFamily),
        (_, None, Command::Proxy) => Err(Error::V2UnknownProtocol),
    }
}

/// Bytes 15-16: the body length, at least the address block under PROXY.
fn body_len(command: Command, family: Family, len: u16) -> Result<u16, Error> {
    if matches!(command, Command::Proxy) && usize::from(len) < family.address_len() {
        return Err(Error::V2AddressBlockTooShort);
    }
    Ok(len)
}

#[inline(always)]
fn body_fields<'a>(
    header: &'a [u8],
    body: &'a [u8],
    command: Command,
    family: Family,
    protocol: Protocol,
) -> Result<Header<'a>, Error> {
    // LOCAL may announce a family yet send a shorter block (§2.2: the
    // receiver must skip by the length field, not assume anything).
    let block_len = family.address_len().min(body.len());
    let (block, tlv_bytes) = body.split_at(block_len);
    let reported = matches!(command, Command::Proxy) && !matches!(protocol, Protocol::Unspec);
    let addresses = if reported { addresses(block, family) } else { Addresses::None };
    let tlv_start = PREFIX_LEN + block_len;
    let (tlvs, crc_fields) = Tlvs::validate(tlv_bytes)?;
    match crc_fields {
        CrcFields::None => {}
        CrcFields::One(at) => {
            let at = tlv_start + at;
            let sent =
                header.get(at..at + 4).and_then(|v| v.try_into().ok()).map(u32::from_be_bytes);
            if sent != Some(checksum_with_zeroed(header, at)) {
                return Err(Error::V2Crc32cMismatch);
            }
        }
        CrcFields::Several => {
            let crc = checksum(header, tlv_start, tlvs);
            if tlvs.crc32c_values().any(|sent| Some(sent) != crc) {
                return Err(Error::V2Crc32cMismatch);
            }
        }
    }
    Ok(Header { command, family, protocol, addresses, tlvs })
}

/// Decodes an address block whose length `prefix` already checked.
#[inline(always)]
fn addresses(block: &[u8], family: Family) -> Addresses<'_> {
    let port = |b: [u8; 2]| u16::from_be_bytes(b);
    match family {
        Family::Unspec => Addresses::None,
        Family::Inet => match block.first_chunk::<12>() {
            Some(&[s0, s1, s2, s3, d0, d1, d2, d3, sp0, sp1, dp0, dp1]) => Addresses::Inet {
                source: SocketAddrV4::new(Ipv4Addr::new(s0, s1, s2, s3), port([sp0, sp1])),
                destination: SocketAddrV4::new(Ipv4Addr::new(d0, d1, d2, d3), port([dp0, dp1])),
            },
            None => Addresses::None,
        },
        Family::Inet6 => {
            let Some((source, rest)) = block.split_first_chunk::<16>() else {
                return Addresses::None;
            };
            let Some((destination, rest)) = rest.split_first_chunk::<16>() else {
                return Addresses::None;
            };
            let Some(&[sp0, sp1, dp0, dp1]) = rest.first_chunk::<4>() else {
                return Addresses::None;
            };
            Addresses::Inet6 {
                source: SocketAddrV6::new(Ipv6Addr::from(*source), port([sp0, sp1]), 0, 0),
                destination: SocketAddrV6::new(
                    Ipv6Addr::from(*destination),
                    port([dp0, dp1]),
                    0,
                    0,
                ),
            }
        }
        Family::Unix => {
            let (source, destination) = block.split_at(UNIX_ADDR_LEN.min(block.len()));
            Addresses::Unix {
                source: UnixAddr::from_field(source),
                destination: UnixAddr::from_field(destination),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v2::{ClientFlags, Ssl, TlvType, TlvWriter};

    extern crate std;
    use std::vec::Vec;

    fn raw(ver_cmd: u8, fam: u8, body: &[u8]) -> Vec<u8> {
        let mut v = Vec::from(SIGNATURE);
        v.extend_from_slice(&[ver_cmd, fam]);
        v.extend_from_slice(&(body.len() as u16).to_be_bytes());
        v.extend_from_slice(body);
        v
    }

    fn tlv(kind: u8, value: &[u8]) -> Vec<u8> {
        let mut v = std::vec![kind];
        v.extend_from_slice(&(value.len() as u16).to_be_bytes());
        v.extend_from_slice(value);
        v
    }

    const INET: [u8; 12] = [127, 0, 0, 1, 10, 0, 0, 2, 0x30, 0x39, 0x01, 0xbb];

    fn complete(buf: &[u8]) -> Header<'_> {
        match parse(buf) {
            Ok(Status::Complete { header, len }) => {
                assert_eq!(len, buf.len());
                header
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn inet_stream() {
        let buf = raw(0x21, 0x11, &INET);
        let h = complete(&buf);
        assert_eq!(h.command, Command::Proxy);
        assert_eq!(
            h.addresses,
            Addresses::Inet {
                source: "127.0.0.1:12345".parse().unwrap(),
                destination: "10.0.0.2:443".parse().unwrap()
            }
        );
    }

    #[test]
    fn local_skips_the_block_and_keeps_tlvs() {
        let mut body = Vec::from(INET);
        body.extend(tlv(0x05, b"id-1"));
        let buf = raw(0x20, 0x11, &body);
        let h = complete(&buf);
        assert_eq!(h.addresses, Addresses::None);
        assert_eq!(h.tlvs.unique_id(), Some(&b"id-1"[..]));
        // HAProxy's health checks: LOCAL, UNSPEC, TLVs right after the prefix.
        let buf = raw(0x20, 0x00, &tlv(0x05, b"x"));
        assert_eq!(complete(&buf).tlvs.unique_id(), Some(&b"x"[..]));
    }

    #[test]
    fn prefix_errors_are_reported_at_their_byte() {
        use Error::*;
        let cases: &[(&[u8], Result<(), Error>)] = &[
            (&[0x0d, 0x0a, 0x0d, 0x0b], Err(NotProxy)),
            (&SIGNATURE[..7], Ok(())),
            (&[&SIGNATURE[..], &[0x31]].concat(), Err(V2UnsupportedVersion)),
            (&[&SIGNATURE[..], &[0x22]].concat(), Err(V2UnknownCommand)),
            (&[&SIGNATURE[..], &[0x21, 0x41]].concat(), Err(V2UnknownFamily)),
            (&[&SIGNATURE[..], &[0x21, 0x13]].concat(), Err(V2UnknownProtocol)),
            (&[&SIGNATURE[..], &[0x20, 0x43]].concat(), Ok(())),
            (&[&SIGNATURE[..], &[0x21, 0x21, 0, 35]].concat(), Err(V2AddressBlockTooShort)),
            (&[&SIGNATURE[..], &[0x21, 0x11, 0, 12]].concat(), Ok(())),
        ];
        for (input, want) in cases {
            let got = parse(input).map(|s| assert!(!s.is_complete()));
            assert_eq!(got, *want, "{input:02x?}");
        }
        assert_eq!(
            parse(&SIGNATURE[..5]),
            Ok(Status::Incomplete { needed: NonZeroUsize::new(11) })
        );
        let buf = raw(0x21, 0x11, &INET);
        assert_eq!(parse(&buf[..20]), Ok(Status::Incomplete { needed: NonZeroUsize::new(8) }));
    }

    #[test]
    fn tlv_rules() {
        use Error::*;
        let ssl_ok = [&[0x01, 0, 0, 0, 0][..], &tlv(Ssl::VERSION, b"TLSv1.3")].concat();
        let cases: Vec<(Vec<u8>, Result<(), Error>)> = std::vec![
            (tlv(0x01, b"h2"), Ok(())),
            ([tlv(0x01, b"h2"), std::vec![0x04]].concat(), Err(V2TlvTrailingBytes)),
            ([tlv(0x01, b"h2"), std::vec![0x04, 0x00]].concat(), Err(V2TlvTrailingBytes)),
            (std::vec![0x01, 0x00, 0x05, b'h'], Err(V2TlvTruncated)),
            (tlv(0x02, &[0xff, 0xfe]), Err(V2AuthorityNotUtf8)),
            (tlv(0x03, &[0, 0, 0]), Err(V2Crc32cLength)),
            (tlv(0x05, &[7; 128]), Ok(())),
            (tlv(0x05, &[]), Ok(())),
            (tlv(0x05, &[7; 129]), Err(V2UniqueIdTooLong)),
            (tlv(0x20, &[1, 0, 0, 0]), Err(V2SslTooShort)),
            (tlv(0x20, &ssl_ok), Ok(())),
            (tlv(0x20, &[&ssl_ok[..], &[0x22]].concat()), Err(V2SslSubTlvFraming)),
            (tlv(0x20, &[&ssl_ok[..], &tlv(0x22, &[0xc3])].concat()), Err(V2SslTextNotUtf8)),
            (tlv(0x20, &[&ssl_ok[..], &tlv(0x28, &[0xc3])].concat()), Ok(())),
            (tlv(0x30, &[0x80]), Err(V2NetnsNotUtf8)),
            (tlv(0xEA, &[0x01]), Ok(())),
            (tlv(0x99, &[0xff; 3]), Ok(())),
            (tlv(0x03, &[0, 0, 0, 0]), Err(V2Crc32cMismatch)),
        ];
        for (tlvs, want) in cases {
            let mut body = Vec::from(INET);
            body.extend(&tlvs);
            let got = parse(&raw(0x21, 0x11, &body)).map(|s| assert!(s.is_complete()));
            assert_eq!(got, want, "{tlvs:02x?}");
        }
    }

    #[test]
    fn typed_accessors() {
        let mut storage = [0u8; 256];
        let mut w = TlvWriter::new(&mut storage);
        w.push(TlvType::Alpn, b"h2").unwrap();
        w.push(TlvType::Authority, b"example.com").unwrap();
        w.push(TlvType::UniqueId, b"abc").unwrap();
        w.ssl(
            ClientFlags::SSL | ClientFlags::CERT_CONN,
            0,
            &[
                (Ssl::VERSION, b"TLSv1.3"),
                (Ssl::CN, b"client"),
                (Ssl::CIPHER, b"TLS_AES_128_GCM_SHA256"),
            ],
        )
        .unwrap();
        w.push(TlvType::Netns, b"blue").unwrap();
        w.push(TlvType::Custom(TlvType::AWS), b"\x01vpce-0123").unwrap();
        w.push(TlvType::Custom(TlvType::AZURE), &[0x01, 0x78, 0x56, 0x34, 0x12]).unwrap();
        w.push(TlvType::Custom(TlvType::GCP), &42u64.to_be_bytes()).unwrap();
        w.crc32c().unwrap();
        let tlvs = w.finish().unwrap();
        let header = Header::proxy(
            Protocol::Stream,
            Addresses::Inet {
                source: "192.0.2.1:1".parse().unwrap(),
                destination: "192.0.2.2:2".parse().unwrap(),
            },
        )
        .with_tlvs(tlvs);
        let mut out = [0u8; 512];
        let len = header.write(&mut out).unwrap();
        let parsed = complete(&out[..len]);
        assert_eq!(parsed, header);
        let t = parsed.tlvs;
        assert_eq!(t.alpn(), Some(&b"h2"[..]));
        assert_eq!(t.authority(), Some("example.com"));
        assert_eq!(t.unique_id(), Some(&b"abc"[..]));
        let ssl = t.ssl().unwrap();
        assert!(ssl.client().contains(ClientFlags::CERT_CONN));
        assert!(ssl.is_verified());
        assert_eq!(ssl.version(), Some("TLSv1.3"));
        assert_eq!(ssl.cn(), Some("client"));
        assert_eq!(ssl.cipher(), Some("TLS_AES_128_GCM_SHA256"));
        assert_eq!(ssl.key_alg(), None);
        assert_eq!(t.netns(), Some("blue"));
        assert_eq!(t.aws_vpc_endpoint_id(), Some("vpce-0123"));
        assert_eq!(t.azure_private_endpoint_link_id(), Some(0x1234_5678));
        assert_eq!(t.gcp_psc_connection_id(), Some(42));
        // The writer computed a checksum the parser verified.
        let crc = t.crc32c().unwrap();
        let mut zeroed = Vec::from(&out[..len]);
        zeroed[len - 4..].fill(0);
        assert_eq!(crc, crate::crc32c::checksum(&zeroed));
        assert_eq!(t.iter().count(), 9);
    }

    #[test]
    fn writer_refuses_what_would_not_read_back() {
        let inet = Addresses::Inet {
            source: "192.0.2.1:1".parse().unwrap(),
            destination: "192.0.2.2:2".parse().unwrap(),
        };
        let mut out = [9u8; 64];
        let local_with_addresses =
            Header { command: Command::Local, ..Header::proxy(Protocol::Stream, inet) };
        assert_eq!(local_with_addresses.write(&mut out), Err(WriteError::AddressMismatch));
        let wrong_family =
            Header { family: Family::Inet6, ..Header::proxy(Protocol::Stream, inet) };
        assert_eq!(wrong_family.write(&mut out), Err(WriteError::AddressMismatch));
        let unspec_protocol = Header::proxy(Protocol::Unspec, inet);
        assert_eq!(unspec_protocol.write(&mut out), Err(WriteError::AddressMismatch));
        assert_eq!(
            Header::proxy(Protocol::Stream, inet).write(&mut out[..27]),
            Err(WriteError::BufferTooSmall { needed: 28 })
        );
        assert_eq!(out, [9u8; 64], "untouched on error");
        assert!(UnixAddr::new(b"a\0b").is_none());
        assert!(UnixAddr::new(&[b'a'; 109]).is_none());
    }

    #[test]
    fn unix_paths_stop_at_nul() {
        let mut body = std::vec![0u8; 216];
        body[..4].copy_from_slice(b"/src");
        body[108..112].copy_from_slice(b"/dst");
        body[113] = b'x'; // after the NUL: not part of the path
        let buf = raw(0x21, 0x31, &body);
        let h = complete(&buf);
        let Addresses::Unix { source, destination } = h.addresses else { panic!() };
        assert_eq!(source.as_bytes(), b"/src");
        assert_eq!(destination.as_bytes(), b"/dst");
    }

    #[test]
    fn owned_copy_outlives_the_buffer() {
        let mut body = Vec::from(INET);
        body.extend(tlv(0x02, b"example.org"));
        let owned = {
            let buf = raw(0x21, 0x11, &body);
            let h = crate::Header::V2(complete(&buf));
            let small: Result<crate::OwnedHeader<8>, _> = crate::OwnedHeader::try_from(&h);
            assert_eq!(small.unwrap_err().needed, 14);
            crate::OwnedHeader::<64>::try_from(&h).unwrap()
        };
        assert_eq!(owned.header().tlvs().authority(), Some("example.org"));
        assert_eq!(owned.header().source(), Some("127.0.0.1:12345".parse().unwrap()));
    }
}
