//! Unit tests of the v2 parser and writer, as tables of cases.

extern crate std;
use alloc::vec::Vec;

use core::num::NonZeroUsize;

use super::*;
use crate::v2::tlv::TlvView;
use crate::{Error, Status, Text, UnixAddr};

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

fn inet() -> Addresses<'static> {
    Addresses::Inet {
        source: "127.0.0.1:12345".parse().unwrap(),
        destination: "10.0.0.2:443".parse().unwrap(),
    }
}

#[test]
fn inet_stream() {
    let buf = raw(0x21, 0x11, &INET);
    let h = complete(&buf);
    assert_eq!(h.command(), Command::Proxy);
    assert_eq!(h.protocol(), Some(Protocol::Stream));
    assert_eq!(h.addresses(), Some(inet()));
    assert_eq!(h, Header::proxy(Protocol::Stream, inet()));
}

/// §2.2: a LOCAL receiver discards the protocol block, family included:
/// no addresses, no transport, whatever byte 14 says, and the body never
/// makes the header invalid.
#[test]
fn local_discards_the_protocol_block() {
    let id = tlv(0x05, b"id-1");
    let cases: Vec<(u8, Vec<u8>, &[u8])> = std::vec![
        // An INET block is skipped; the TLVs after it are read.
        (0x11, [&INET[..], &id].concat(), b"id-1"),
        // HAProxy's health checks: UNSPEC, TLVs right after the prefix.
        (0x00, id.clone(), b"id-1"),
        // Unlisted, unknown or 0xff family/protocol bytes are fine.
        (0x01, id.clone(), b"id-1"),
        (0x15, [&INET[..], &id].concat(), b"id-1"),
        (0xff, id.clone(), b""),
        (0x41, id.clone(), b""),
        // A block shorter than its family's: opaque, no TLVs.
        (0x21, INET.to_vec(), b""),
        // An opaque body that is not a TLV list: accepted, no TLVs.
        (0x00, std::vec![0x05, 0x00, 0x09, b'x'], b""),
        (0x11, [&INET[..], &[0x03, 0x00]].concat(), b""),
        // A bad UNIQUE_ID or a wrong CRC32C: the TLVs are not exposed.
        (0x00, tlv(0x05, &[7; 129]), b""),
        (0x00, tlv(0x03, &[0; 4]), b""),
    ];
    for (fam, body, unique_id) in cases {
        let buf = raw(0x20, fam, &body);
        let h = complete(&buf);
        assert_eq!((h.command(), h.addresses(), h.protocol()), (Command::Local, None, None));
        assert_eq!(h.tlvs().unique_id().unwrap_or_default(), unique_id, "{fam:#04x} {body:02x?}");
        assert_eq!(h, Header::local().with_tlvs(h.tlvs()));
    }
}

#[test]
fn prefix_errors_are_reported_at_their_byte() {
    use Error::*;
    let sig = |tail: &[u8]| [&SIGNATURE[..], tail].concat();
    let cases: &[(Vec<u8>, Result<(), Error>)] = &[
        (std::vec![0x0d, 0x0a, 0x0d, 0x0b], Err(NotProxy)),
        (SIGNATURE[..7].to_vec(), Ok(())),
        (sig(&[0x31]), Err(V2UnsupportedVersion)),
        (sig(&[0x22]), Err(V2UnknownCommand)),
        (sig(&[0x21, 0x41]), Err(V2UnknownFamily)),
        (sig(&[0x21, 0x43]), Err(V2UnknownFamily)),
        (sig(&[0x21, 0x13]), Err(V2UnknownProtocol)),
        // §2.2 lists only 0x00, 0x11, 0x12, 0x21, 0x22, 0x31, 0x32.
        (sig(&[0x21, 0x01]), Err(V2UnlistedAddressType)),
        (sig(&[0x21, 0x02]), Err(V2UnlistedAddressType)),
        (sig(&[0x21, 0x10]), Err(V2UnlistedAddressType)),
        (sig(&[0x21, 0x20]), Err(V2UnlistedAddressType)),
        (sig(&[0x21, 0x30]), Err(V2UnlistedAddressType)),
        (sig(&[0x21, 0x00]), Ok(())),
        (sig(&[0x21, 0x32]), Ok(())),
        (sig(&[0x20, 0x43]), Ok(())),
        (sig(&[0x21, 0x21, 0, 35]), Err(V2AddressBlockTooShort)),
        (sig(&[0x21, 0x11, 0, 12]), Ok(())),
    ];
    for (input, want) in cases {
        let got = parse(input).map(|s| assert!(!s.is_complete()));
        assert_eq!(got, *want, "{input:02x?}");
    }
    assert_eq!(parse(&SIGNATURE[..5]), Ok(Status::Incomplete { needed: NonZeroUsize::new(11) }));
    let buf = raw(0x21, 0x11, &INET);
    assert_eq!(parse(&buf[..20]), Ok(Status::Incomplete { needed: NonZeroUsize::new(8) }));
}

#[test]
fn tlv_rules() {
    use Error::*;
    let ssl_ok = [&[0x01, 0, 0, 0, 0][..], &tlv(0x21, b"TLSv1.3")].concat();
    let cases: Vec<(Vec<u8>, Result<(), Error>)> = std::vec![
        (tlv(0x01, b"h2"), Ok(())),
        ([tlv(0x01, b"h2"), std::vec![0x04]].concat(), Err(V2TlvTrailingBytes)),
        ([tlv(0x01, b"h2"), std::vec![0x04, 0x00]].concat(), Err(V2TlvTrailingBytes)),
        (std::vec![0x01, 0x00, 0x05, b'h'], Err(V2TlvTruncated)),
        // Text is checked when it is read, never by the parser.
        (tlv(0x02, &[0xff, 0xfe]), Ok(())),
        (tlv(0x03, &[0, 0, 0]), Err(V2Crc32cLength)),
        (tlv(0x05, &[7; 128]), Ok(())),
        (tlv(0x05, &[]), Ok(())),
        (tlv(0x05, &[7; 129]), Err(V2UniqueIdTooLong)),
        (tlv(0x20, &[1, 0, 0, 0]), Err(V2SslTooShort)),
        (tlv(0x20, &ssl_ok), Ok(())),
        (tlv(0x20, &[&ssl_ok[..], &[0x22]].concat()), Err(V2SslSubTlvFraming)),
        (tlv(0x20, &[&ssl_ok[..], &tlv(0x22, &[0xc3])].concat()), Ok(())),
        (tlv(0x30, &[0x80]), Ok(())),
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

/// A BMPString CN as HAProxy copies it, and other text that is not UTF-8:
/// the header is valid, the raw bytes are there, the text view says no.
#[test]
fn text_that_is_not_utf8_is_carried() {
    let cn = b"\x00J\x00\xfc\x00r";
    let ssl = [&[0x03, 0, 0, 0, 0][..], &tlv(0x22, cn)].concat();
    let body =
        [&INET[..], &tlv(0x02, b"\xffhost"), &tlv(0x20, &ssl), &tlv(0x30, b"ns\xc0")].concat();
    let buf = raw(0x21, 0x11, &body);
    let t = complete(&buf).tlvs();
    assert_eq!(t.authority().map(|a| a.as_bytes()), Some(&b"\xffhost"[..]));
    assert_eq!(t.authority().and_then(|a| a.as_str()), None);
    let cn = t.ssl().and_then(|s| s.cn()).unwrap();
    assert_eq!(cn.as_bytes(), b"\x00J\x00\xfc\x00r");
    assert!(cn.to_str().is_err());
    assert_eq!(t.netns().map(|n| n.as_bytes()), Some(&b"ns\xc0"[..]));
}

#[test]
fn typed_accessors_and_views() {
    let mut storage = [0u8; 256];
    let mut w = TlvWriter::new(&mut storage);
    w.push(TlvType::Alpn, b"h2").unwrap();
    w.push(TlvType::Authority, b"example.com").unwrap();
    w.push(TlvType::UniqueId, b"abc").unwrap();
    w.ssl(
        ClientFlags::SSL | ClientFlags::CERT_CONN,
        0,
        &[
            (SslSubtype::Version, b"TLSv1.3"),
            (SslSubtype::Cn, b"client"),
            (SslSubtype::Cipher, b"TLS_AES_128_GCM_SHA256"),
        ],
    )
    .unwrap();
    w.push(TlvType::Netns, b"blue").unwrap();
    w.push(TlvType::Aws, b"\x01vpce-0123").unwrap();
    w.push(TlvType::Azure, &[0x01, 0x78, 0x56, 0x34, 0x12]).unwrap();
    w.push(TlvType::Gcp, &42u64.to_be_bytes()).unwrap();
    w.crc32c().unwrap();
    let tlvs = w.finish().unwrap();
    let header = Header::proxy(Protocol::Stream, inet()).with_tlvs(tlvs);
    let mut out = [0u8; 512];
    let len = header.write(&mut out).unwrap();
    let parsed = complete(&out[..len]);
    assert_eq!(parsed, header);
    let t = parsed.tlvs();
    assert_eq!(t.alpn(), Some(&b"h2"[..]));
    assert_eq!(t.authority(), Some(Text::new(b"example.com")));
    assert_eq!(t.unique_id(), Some(&b"abc"[..]));
    let ssl = t.ssl().unwrap();
    assert!(ssl.client().contains(ClientFlags::CERT_CONN));
    assert!(ssl.is_verified());
    assert_eq!(ssl.version().and_then(|v| v.as_str()), Some("TLSv1.3"));
    assert_eq!(ssl.cn().and_then(|v| v.as_str()), Some("client"));
    assert_eq!(ssl.cipher().and_then(|v| v.as_str()), Some("TLS_AES_128_GCM_SHA256"));
    assert_eq!(ssl.key_alg(), None);
    let subtypes: Vec<SslSubtype> = ssl.sub_tlvs().map(|s| s.kind()).collect();
    assert_eq!(subtypes, [SslSubtype::Version, SslSubtype::Cn, SslSubtype::Cipher]);
    assert_eq!(t.netns().and_then(|n| n.as_str()), Some("blue"));
    assert_eq!(t.aws_vpc_endpoint_id().and_then(|v| v.as_str()), Some("vpce-0123"));
    assert_eq!(t.azure_private_endpoint_link_id(), Some(0x1234_5678));
    assert_eq!(t.gcp_psc_connection_id(), Some(42));
    // The writer computed a checksum the parser verified.
    let crc = t.crc32c().unwrap();
    let mut zeroed = Vec::from(&out[..len]);
    zeroed[len - 4..].fill(0);
    assert_eq!(crc, crate::crc32c::checksum(&zeroed));
    // Each TLV met while iterating has its typed view.
    let kinds: Vec<TlvType> = t.iter().map(|t| t.kind()).collect();
    assert_eq!(
        kinds,
        [
            TlvType::Alpn,
            TlvType::Authority,
            TlvType::UniqueId,
            TlvType::Ssl,
            TlvType::Netns,
            TlvType::Aws,
            TlvType::Azure,
            TlvType::Gcp,
            TlvType::Crc32c
        ]
    );
    let ssl_item = t.iter().find_map(|t| t.ssl()).unwrap();
    assert_eq!(ssl_item, ssl);
    assert!(matches!(t.iter().last().map(|t| t.view()), Some(TlvView::Crc32c(c)) if c == crc));
    assert_eq!(TlvType::from(0xE5), TlvType::Unknown(0xE5));
    assert!(TlvType::from(0xE5).is_custom() && TlvType::Aws.is_custom());
    assert_eq!(TlvType::Unknown(0x01), TlvType::Alpn, "equal by byte");
}

#[test]
fn every_header_writes_and_reads_back() {
    let unix = Addresses::Unix {
        source: UnixAddr::new(b"/run/haproxy.sock").unwrap(),
        destination: UnixAddr::new(&[b'd'; 108]).unwrap(),
    };
    let v6 = Addresses::from_sockets(
        "[2001:db8::1]:1".parse().unwrap(),
        "[2001:db8::2]:2".parse().unwrap(),
    )
    .unwrap();
    let headers = [
        Header::local(),
        Header::proxy_unspec(),
        Header::proxy(Protocol::Stream, inet()),
        Header::proxy(Protocol::Dgram, inet()),
        Header::proxy(Protocol::Dgram, v6),
        Header::proxy(Protocol::Stream, unix),
        Header::proxy(Protocol::Dgram, unix),
    ];
    for h in headers {
        let mut out = [9u8; 512];
        let n = h.write(&mut out).unwrap();
        assert_eq!(n, h.encoded_len());
        assert_eq!(complete(&out[..n]), h);
        let mut small = [9u8; 512];
        assert_eq!(
            h.write(&mut small[..n - 1]),
            Err(crate::WriteError::BufferTooSmall { needed: n })
        );
        assert!(small.iter().all(|&b| b == 9), "untouched on error");
    }
    assert!(UnixAddr::new(b"a\0b").is_none());
    assert!(UnixAddr::new(&[b'a'; 109]).is_none());
    // A dual-stack socket's IPv4-mapped pair is sent as IPv4.
    let mapped = Addresses::from_sockets(
        "[::ffff:192.0.2.1]:1".parse().unwrap(),
        "[::ffff:192.0.2.2]:2".parse().unwrap(),
    );
    assert_eq!(mapped.map(|a| a.family()), Some(Family::Inet));
}

#[test]
fn unix_paths_stop_at_nul() {
    let mut body = std::vec![0u8; 216];
    body[..4].copy_from_slice(b"/src");
    body[108..112].copy_from_slice(b"/dst");
    body[113] = b'x'; // after the NUL: not part of the path
    let buf = raw(0x21, 0x31, &body);
    let h = complete(&buf);
    let Some(Addresses::Unix { source, destination }) = h.addresses() else { panic!() };
    assert_eq!(source.as_bytes(), b"/src");
    assert_eq!(destination.as_bytes(), b"/dst");
}

#[test]
fn owned_copy_outlives_the_buffer() {
    let mut body = std::vec![0u8; 216];
    body[..4].copy_from_slice(b"/src");
    body.extend(tlv(0x02, b"example.org"));
    let owned = {
        let buf = raw(0x21, 0x32, &body);
        let h = crate::Header::V2(complete(&buf));
        let small: Result<crate::InlineHeader<8>, _> = crate::OwnedHeader::new(&h);
        assert_eq!(small.unwrap_err().needed, 18);
        let owned = crate::InlineHeader::<64>::new(&h).unwrap();
        assert_eq!(owned.header(), h);
        owned
    };
    let header = owned.header();
    assert_eq!(header.tlvs().authority(), Some(Text::new(b"example.org")));
    assert_eq!(header.protocol(), Some(Protocol::Dgram));
    let Some(Addresses::Unix { source, destination }) = header.addresses() else { panic!() };
    assert_eq!((source.as_bytes(), destination.as_bytes()), (&b"/src"[..], &b""[..]));
}

/// The block is kept in wire form, so a built header already is what its
/// parse will be: an IPv6 flow label and scope id are not sent, and a
/// header built with them equals the header read back.
#[test]
fn a_built_header_equals_its_parse() {
    use core::net::{Ipv6Addr, SocketAddrV6};
    let with_extras = |flow, scope| Addresses::Inet6 {
        source: SocketAddrV6::new(
            Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1),
            56324,
            flow,
            scope,
        ),
        destination: SocketAddrV6::new(Ipv6Addr::LOCALHOST, 443, flow, scope),
    };
    let built = Header::proxy(Protocol::Stream, with_extras(7, 3));
    // A dirty buffer: the writer must set every byte of the block.
    let mut out = [0xAA; 64];
    let len = built.write(&mut out).unwrap();
    let parsed = complete(&out[..len]);
    assert_eq!(parsed, built);
    assert_eq!(parsed.addresses(), Some(with_extras(0, 0)));
    assert_eq!(parsed.source(), Some("[2001:db8::1]:56324".parse().unwrap()));
    assert_eq!(parsed.destination(), Some("[::1]:443".parse().unwrap()));
    for h in [Header::proxy(Protocol::Dgram, inet()), Header::local(), Header::proxy_unspec()] {
        let len = h.write(&mut out).unwrap();
        assert_eq!(complete(&out[..len]), h);
    }
}

/// Debug shows the decoded addresses, not the wire bytes.
#[test]
fn debug_shows_addresses() {
    let shown = std::format!("{:?}", Header::proxy(Protocol::Stream, inet()));
    assert!(shown.contains("127.0.0.1:12345") && shown.contains("10.0.0.2:443"), "{shown}");
}
