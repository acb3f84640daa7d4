//! `Arbitrary` headers for fuzzers (feature `arbitrary`): every shape a
//! header can take (both versions, LOCAL, UNSPEC, every family and
//! protocol, unix paths, TLV lists).
//!
//! `Command`, `Version`, `Family` and `Protocol` derive `Arbitrary`; the
//! types below are written by hand because their invariants (no flow label,
//! paths without NUL, validated TLVs) are not what a derive would produce.

use core::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};

use arbitrary::{Arbitrary, Result, Unstructured};

use crate::v2::Tlvs;
use crate::{Addresses, Header, UnixAddr, v1, v2};

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
            0 => v1::Header::tcp4(v4(u)?, v4(u)?),
            1 => v1::Header::tcp6(v6(u)?, v6(u)?),
            _ => v1::Header::UNKNOWN,
        })
    }
}

impl<'a> Arbitrary<'a> for UnixAddr<'a> {
    /// Up to 108 bytes, cut at the first NUL, as [`UnixAddr::new`] accepts.
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let len = u.int_in_range(0..=crate::UNIX_ADDR_LEN)?;
        let bytes = u.bytes(len.min(u.len()))?;
        let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
        Ok(UnixAddr::from_field(bytes.get(..end).unwrap_or_default()))
    }
}

impl<'a> Arbitrary<'a> for Addresses<'a> {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(match u.choose_index(3)? {
            0 => Addresses::Inet { source: v4(u)?, destination: v4(u)? },
            1 => Addresses::Inet6 { source: v6(u)?, destination: v6(u)? },
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
    /// LOCAL, PROXY with UNSPEC, or PROXY with a transport and addresses,
    /// with arbitrary valid TLVs.
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let header = match u.choose_index(4)? {
            0 => v2::Header::local(),
            1 => v2::Header::proxy_unspec(),
            _ => v2::Header::proxy(u.arbitrary()?, u.arbitrary()?),
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
            // An AUTHORITY that is not UTF-8 is kept (text is checked when read).
            (b"\x01\x00\x01x\x02\x00\x01\xff\x04\x00\x00", 11),
            // A UNIQUE_ID over 128 bytes ends the list.
            (&[&b"\x04\x00\x00\x05\x00\x81"[..], &[0u8; 129]].concat(), 3),
            // A CRC32C of the wrong length ends it too.
            (b"\x03\x00\x03abc", 0),
        ];
        for (bytes, kept) in cases {
            let tlvs = Tlvs::valid_prefix(bytes);
            assert_eq!(tlvs.as_bytes(), &bytes[..*kept], "{bytes:02x?}");
            assert!(Tlvs::new(tlvs.as_bytes()).is_ok());
        }
    }

    /// Every header the generator makes from some bytes is written and
    /// parsed back equal.
    #[test]
    fn generated_headers_round_trip() {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut data = [0u8; 600];
        let mut written = 0;
        for _ in 0..2000 {
            for b in data.iter_mut() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                *b = state as u8;
            }
            let Ok(header) = Header::arbitrary(&mut Unstructured::new(&data)) else { continue };
            let mut out = [0u8; 2048];
            let n = header.write(&mut out).unwrap();
            written += 1;
            let parsed = crate::parse(&out[..n]);
            assert_eq!(parsed, Ok(crate::Status::Complete { header, len: n }));
        }
        assert!(written > 1000, "{written} written");
    }
}
