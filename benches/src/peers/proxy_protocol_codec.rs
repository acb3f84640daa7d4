//! proxy-protocol-codec: addresses and every TLV, but not inside SSL.
//!
//! Its decoders take exactly one header, no more: v1 rejects bytes after the
//! CRLF and v2 rejects bytes past its length field ("trailing data"). So the
//! adapter does what its docs ask of a caller: [`Version::peek`] to detect
//! the version, then for v1 the bytes up to the first `\n` (at most
//! [`v1::MAXIMUM_LENGTH`]), and for v2 the 16 fixed bytes first and, on
//! [`v2::Decoded::Partial`], again with the length it asked for.
//!
//! Not exposed: the SSL TLV is an extension like any other (type 0x20 and
//! the raw value; it has no SSL type and no way to iterate a sub-TLV block),
//! so the client, verify and sub-TLVs are not folded: SSL counts as one
//! opaque TLV and [`check`](crate::check) compares against proxy-hdr folded
//! the same way. It does not verify CRC32C (its CRC32C feature only encodes).

use std::net::SocketAddr;

use proxy_protocol_codec::{Version, v1, v2};

use crate::{Fold, Outcome};

/// Its version detection, then the matching decoder.
pub(crate) fn parse(buf: &[u8]) -> Option<Outcome> {
    match Version::peek(buf).ok()?? {
        Version::V1 => parse_v1(buf),
        Version::V2 => parse_v2(buf),
    }
}

fn parse_v1(buf: &[u8]) -> Option<Outcome> {
    let end = buf.iter().take(v1::MAXIMUM_LENGTH).position(|&b| b == b'\n')? + 1;
    let v1::Decoded::Some(header) = v1::Header::decode(&buf[..end]).ok()? else {
        return None;
    };
    let mut f = Fold(0);
    let source = match header.address_pair() {
        v1::AddressPair::Inet { src_ip, dst_ip, src_port, dst_port } => {
            let (s, d) =
                (SocketAddr::from((src_ip, src_port)), SocketAddr::from((dst_ip, dst_port)));
            f.addrs(s, d);
            Some(s)
        }
        v1::AddressPair::Inet6 { src_ip, dst_ip, src_port, dst_port } => {
            let (s, d) =
                (SocketAddr::from((src_ip, src_port)), SocketAddr::from((dst_ip, dst_port)));
            f.addrs(s, d);
            Some(s)
        }
        v1::AddressPair::Unspecified => None,
    };
    Some(Outcome { len: end, source, digest: f.0, walks_tlvs: true, walks_ssl: false })
}

fn parse_v2(buf: &[u8]) -> Option<Outcome> {
    // The fixed part first; a Partial says how many more bytes to hand it.
    let mut len = v2::HEADER_SIZE;
    let v2::DecodedHeader { header, extensions } = loop {
        match v2::HeaderDecoder::decode(buf.get(..len)?).ok()? {
            v2::Decoded::Some(decoded) => break decoded,
            v2::Decoded::Partial(more) => len += more.get(),
            v2::Decoded::None => return None,
        }
    };
    let mut f = Fold(0);
    // A LOCAL header decodes with unspecified addresses.
    let source = match *header.address_pair() {
        v2::AddressPair::Inet { src_ip, dst_ip, src_port, dst_port } => {
            let (s, d) =
                (SocketAddr::from((src_ip, src_port)), SocketAddr::from((dst_ip, dst_port)));
            f.addrs(s, d);
            Some(s)
        }
        v2::AddressPair::Inet6 { src_ip, dst_ip, src_port, dst_port } => {
            let (s, d) =
                (SocketAddr::from((src_ip, src_port)), SocketAddr::from((dst_ip, dst_port)));
            f.addrs(s, d);
            Some(s)
        }
        v2::AddressPair::Unspecified | v2::AddressPair::Unix { .. } => None,
    };
    for ext in extensions {
        let ext = ext.ok()?;
        // Known types come back as its enum, unknown ones (SSL too) as `Err(raw)`.
        let kind = ext.typ().map_or_else(|raw| raw, |t| t as u8);
        f.tlv(kind, ext.payload().len());
    }
    Some(Outcome { len, source, digest: f.0, walks_tlvs: true, walks_ssl: false })
}
