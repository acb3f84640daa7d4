//! `Arbitrary` headers for fuzzers (feature `arbitrary`): every shape the
//! writer accepts (both versions, every command, family and protocol, unix
//! paths, TLV lists), plus field combinations it must refuse cleanly.
//!
//! `Command`, `Version`, `Family` and `Protocol` derive `Arbitrary`; the
//! types below are written by hand because their invariants (no flow label,
//! paths without NUL, validated TLVs) are not what a derive would produce.

use core::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};

use arbitrary::{Arbitrary, Result, Unstructured};

use crate::v2::{Addresses, Family, Protocol, Tlvs, UnixAddr};
use crate::{Command, Header, v1, v2};

/// Enough TLV bytes for every type at once and an SSL TLV with a few
/// sub-TLVs, small enough to keep fuzz inputs short.
const MAX_TLV_BYTES: usize = 1024;

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
    /// Up to 108 bytes, cut at the first NUL, as [`UnixAddr::new`] accepts.
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
    /// Raw bytes cut to their longest run of whole, valid TLVs: any type,
    /// length and value the parser accepts, SSL sub-TLVs included, with no
    /// allocation. A CRC32C TLV keeps whatever value it had;
    /// [`v2::Header::write`] puts the real checksum in.
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let len = u.int_in_range(0..=MAX_TLV_BYTES)?;
        let bytes = u.bytes(len.min(u.len()))?;
        Ok(Tlvs::valid_prefix(bytes))
    }
}

impl<'a> Arbitrary<'a> for v2::Header<'a> {
    /// Mostly consistent headers (as [`v2::Header::proxy`] and
    /// [`v2::Header::local`] build them), sometimes raw field combinations,
    /// most of which the writer must refuse without touching its output.
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let protocol = u.arbitrary()?;
        let addresses: Addresses<'a> = u.arbitrary()?;
        let header = match u.choose_index(8)? {
            0 => v2::Header::local(),
            // A LOCAL header may announce a family; the writer zeroes its block.
            1 => v2::Header { family: u.arbitrary()?, protocol, ..v2::Header::local() },
            2 => v2::Header {
                command: u.arbitrary::<Command>()?,
                family: u.arbitrary::<Family>()?,
                protocol,
                addresses,
                tlvs: Tlvs::EMPTY,
            },
            _ => match v2::Header::proxy(protocol, addresses) {
                // Addresses under UNSPEC are not reported (§2.2), so they are
                // not part of the value; the family and its block stay.
                h if protocol == Protocol::Unspec => v2::Header { addresses: Addresses::None, ..h },
                h => h,
            },
        };
        Ok(header.with_tlvs(u.arbitrary()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Raw bytes keep exactly their valid leading TLVs.
    #[test]
    fn tlvs_keep_the_valid_prefix() {
        let cases: &[(&[u8], usize)] = &[
            (b"", 0),
            (b"\x04\x00\x00", 3),
            (b"\x04\x00\x00\x01\x00\x02h2", 8),
            // A truncated second TLV is dropped.
            (b"\x04\x00\x00\x01\x00\x09h2", 3),
            // Trailing bytes too short for a TLV header are dropped.
            (b"\x04\x00\x00\xff", 3),
            // An AUTHORITY that is not UTF-8 ends the list.
            (b"\x01\x00\x01x\x02\x00\x01\xff\x04\x00\x00", 4),
            // A CRC32C of the wrong length ends it too.
            (b"\x03\x00\x03abc", 0),
        ];
        for (bytes, kept) in cases {
            let tlvs = Tlvs::valid_prefix(bytes);
            assert_eq!(tlvs.as_bytes(), &bytes[..*kept], "{bytes:02x?}");
            assert!(Tlvs::new(tlvs.as_bytes()).is_ok());
        }
    }

    /// Every header the generator makes from some bytes is either written
    /// and parsed back equal, or refused.
    #[test]
    fn generated_headers_round_trip_or_are_refused() {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut data = [0u8; 600];
        let (mut written, mut refused) = (0, 0);
        for _ in 0..2000 {
            for b in data.iter_mut() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                *b = state as u8;
            }
            let Ok(header) = Header::arbitrary(&mut Unstructured::new(&data)) else { continue };
            let mut out = [0u8; 2048];
            match header.write(&mut out) {
                Ok(n) => {
                    written += 1;
                    let parsed = crate::parse(&out[..n]);
                    assert_eq!(parsed, Ok(crate::Status::Complete { header, len: n }));
                }
                Err(_) => refused += 1,
            }
        }
        assert!(written > 1000 && refused > 0, "{written} written, {refused} refused");
    }
}
