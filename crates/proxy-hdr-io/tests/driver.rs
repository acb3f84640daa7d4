//! The driver over in-memory streams: policy, trust, limits, end of stream
//! and replay, with blocking and async read loops.

mod common;

use std::net::IpAddr;

use common::{CLIENT_HELLO_START, Chunked, V1_TCP4};
use proxy_hdr_io::{
    Accepted, AnyPeer, CidrList, Config, Error, Policy, Rewind, Untrusted, read_header,
    read_header_async,
};

fn concat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// Reads everything a stream still has.
fn drain(stream: &mut impl embedded_io::Read) -> Vec<u8> {
    let mut out = Vec::new();
    let mut chunk = [0u8; 7];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return out,
            Ok(n) => out.extend_from_slice(&chunk[..n]),
        }
    }
}

#[test]
fn header_then_every_byte_after_it() {
    let input = concat(&[V1_TCP4, CLIENT_HELLO_START]);
    for sizes in [&[1][..], &[3, 5], &[64], &[45, 1]] {
        let mut stream = Chunked::new(&input, sizes);
        let mut buf = [0u8; 256];
        let accepted = read_header(&mut stream, None, &mut buf, &Config::new()).unwrap();
        let header = accepted.header.unwrap();
        assert_eq!(header.source(), Some("192.0.2.7:56324".parse().unwrap()), "{sizes:?}");
        assert_eq!(accepted.header_len, V1_TCP4.len());
        // The leftover, then the stream, is exactly what followed the header.
        let mut rest = Rewind::new(&mut stream, accepted.leftover);
        assert_eq!(drain(&mut rest), CLIENT_HELLO_START, "{sizes:?}");
    }
}

#[test]
fn policies() {
    let tls = CLIENT_HELLO_START;
    let http = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    let with_header = concat(&[V1_TCP4, http]);
    let run = |input: &[u8], policy| {
        let mut stream = Chunked::new(input, &[4]);
        let mut buf = [0u8; 256];
        let config = Config::new().with_policy(policy);
        read_header(&mut stream, None, &mut buf, &config)
            .map(|a| (a.header.is_some(), a.leftover.to_vec()))
    };
    assert!(matches!(run(tls, Policy::Require), Err(Error::NotProxy { received: 4 })));
    // Optional decides from the first byte and returns it as leftover.
    assert_eq!(run(tls, Policy::Optional).unwrap(), (false, tls[..4].to_vec()));
    assert_eq!(run(http, Policy::Optional).unwrap(), (false, http[..4].to_vec()));
    assert!(run(&with_header, Policy::Optional).unwrap().0);
    // Ignore drops a header but still skips it.
    let (used, leftover) = run(&with_header, Policy::Ignore).unwrap();
    assert!(!used);
    assert!(http.starts_with(&leftover));
    // A request that starts with `P` and holds a CRLF in its first read is
    // not a v1 line (regression: it was framed as one and reported invalid).
    let post = b"POST / HTTP/1.1\r\nHost: x\r\n\r\n";
    let mut stream = Chunked::new(post, &[64]);
    let mut buf = [0u8; 256];
    let optional = Config::new().with_policy(Policy::Optional);
    let got = read_header(&mut stream, None, &mut buf, &optional).unwrap();
    assert_eq!((got.header, got.leftover), (None, &post[..]));
    // A broken header is an error under every policy.
    for policy in [Policy::Require, Policy::Optional, Policy::Ignore] {
        let got = run(b"PROXY TCP4 1.2.3.999 ", policy);
        assert!(matches!(got, Err(Error::Invalid(proxy_hdr::Error::V1InvalidIpv4))), "{policy:?}");
    }
    // Refuse: the PROXY protocol is off, and a header says the proxy in
    // front sends it anyway (the seed's failure), named at its signature.
    let v2 = concat(&[&proxy_hdr::v2::SIGNATURE, b"\x21"]);
    let refused = [(&with_header[..], 1), (b"PROXY TCP4 1.2.3.999 ", 1), (&v2[..], 2)];
    for (input, version) in refused {
        let got = run(input, Policy::Refuse);
        let want = if version == 1 { proxy_hdr::Version::V1 } else { proxy_hdr::Version::V2 };
        assert!(matches!(got, Err(Error::Unexpected { version: v }) if v == want), "{got:?}");
    }
    assert_eq!(run(tls, Policy::Refuse).unwrap(), (false, tls[..4].to_vec()));
    assert_eq!(run(post, Policy::Refuse).unwrap(), (false, post[..4].to_vec()));
    let e = run(&with_header, Policy::Refuse).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the peer sent a PROXY v1 header, but this listener does not accept the PROXY protocol: \
         enable it, or stop the proxy sending it"
    );
}

/// Refuse names a header by its signature, before its length: a v2 header
/// declaring more than the limit (and a v1 line longer than it) is the same
/// `Unexpected` read whole or a byte at a time, on a stream or a datagram
/// (regression: read whole, the declared length was checked first and gave
/// `TooLarge`; found by the driver_chunked fuzz target).
#[test]
fn refuse_names_a_header_whatever_its_size() {
    let v2_huge = concat(&[&proxy_hdr::v2::SIGNATURE, b"\x21\x11\x25\x00", &[0; 64]]);
    let cases =
        [(&v2_huge[..], 1024, proxy_hdr::Version::V2), (V1_TCP4, 20, proxy_hdr::Version::V1)];
    for (input, limit, want) in cases {
        let config = Config::new().with_policy(Policy::Refuse).with_max_header_len(limit);
        for sizes in [&[1][..], &[4], &[13], &[usize::MAX]] {
            let mut stream = Chunked::new(input, sizes);
            let mut buf = [0u8; 1024];
            let got = read_header(&mut stream, None, &mut buf, &config);
            assert!(
                matches!(got, Err(Error::Unexpected { version }) if version == want),
                "{want:?} in {sizes:?}: {got:?}"
            );
        }
        let got = proxy_hdr_io::split_datagram(input, None, &config);
        assert!(matches!(got, Err(Error::Unexpected { version }) if version == want), "{got:?}");
    }
    // Not refused for its size alone: the same v2 header under Require is too large.
    let require = Config::new().with_max_header_len(1024);
    let mut buf = [0u8; 1024];
    let got = read_header(&mut Chunked::new(&v2_huge, &[usize::MAX]), None, &mut buf, &require);
    assert!(matches!(got, Err(Error::TooLarge { limit: 1024 })), "{got:?}");
}

/// Only the first `limit` bytes decide: a v1 line that has no CRLF within a
/// 40-byte limit is too large however much one read brings (regression: a
/// single read of the whole input saw 107 bytes without a CRLF and reported
/// the line invalid; found by the capi fuzz target, which compares the C
/// reader with this driver).
#[test]
fn only_the_first_limit_bytes_decide() {
    let input = concat(&[b"PROXY UNKNOWN\r/", &[0x8d; 120]]);
    for policy in [Policy::Require, Policy::Optional] {
        let config = Config::new().with_policy(policy).with_max_header_len(40);
        for sizes in [&[1][..], &[40], &[usize::MAX]] {
            let mut buf = [0u8; 512];
            let got = read_header(&mut Chunked::new(&input, sizes), None, &mut buf, &config);
            assert!(matches!(got, Err(Error::TooLarge { limit: 40 })), "{sizes:?}: {got:?}");
        }
    }
}

#[test]
fn trust() {
    let input = concat(&[V1_TCP4, b"data"]);
    let proxies: CidrList<2> = CidrList::parse(["10.0.0.0/8"]).unwrap();
    let inside: IpAddr = "10.1.1.1".parse().unwrap();
    let outside: IpAddr = "203.0.113.5".parse().unwrap();
    let mut buf = [0u8; 128];

    let config = Config::new().with_trusted(proxies.clone(), Untrusted::Reject);
    let got = read_header(&mut Chunked::new(&input, &[99]), Some(inside), &mut buf, &config);
    assert!(got.unwrap().header.is_some());
    let got = read_header(&mut Chunked::new(&input, &[99]), Some(outside), &mut buf, &config);
    assert!(matches!(got, Err(Error::Untrusted { peer }) if peer == Some(outside)));

    // Treated as absent: skipped, but its addresses are never reported.
    let config = Config::new().with_trusted(proxies, Untrusted::TreatAsAbsent);
    let got = read_header(&mut Chunked::new(&input, &[99]), Some(outside), &mut buf, &config);
    let got = got.unwrap();
    assert_eq!((got.header, got.leftover), (None, &b"data"[..]));

    // A closure works as a predicate.
    let config = Config::new().with_trusted(|ip: IpAddr| ip.is_loopback(), Untrusted::Reject);
    let loopback = Some("127.0.0.1".parse().unwrap());
    assert!(read_header(&mut Chunked::new(&input, &[99]), loopback, &mut buf, &config).is_ok());
}

/// A trust list fails closed: with no peer address (a unix socket, an
/// in-memory stream) a forged header is refused, unless every peer is
/// trusted. Found: every reader without a peer accepted it.
#[test]
fn trust_fails_closed_without_a_peer() {
    let input = concat(&[V1_TCP4, b"data"]);
    let mut buf = [0u8; 128];
    let proxies: CidrList<2> = CidrList::parse(["10.0.0.0/8"]).unwrap();
    for untrusted in [Untrusted::Reject, Untrusted::TreatAsAbsent] {
        let config = Config::new().with_trusted(proxies.clone(), untrusted);
        let got = read_header(&mut Chunked::new(&input, &[99]), None, &mut buf, &config);
        match untrusted {
            Untrusted::Reject => assert!(matches!(got, Err(Error::Untrusted { peer: None }))),
            Untrusted::TreatAsAbsent => assert_eq!(got.unwrap().header, None),
        }
    }
    let closure = Config::new().with_trusted(|_: IpAddr| true, Untrusted::Reject);
    let got = read_header(&mut Chunked::new(&input, &[99]), None, &mut buf, &closure);
    assert!(matches!(got, Err(Error::Untrusted { peer: None })), "{got:?}");
    let any = Config::new().with_trusted(AnyPeer, Untrusted::Reject);
    let got = read_header(&mut Chunked::new(&input, &[99]), None, &mut buf, &any);
    assert!(got.unwrap().header.is_some());
    // A dual-stack socket's peer is compared and reported in IPv4 form.
    let config = Config::new().with_trusted(proxies, Untrusted::Reject);
    let mapped = Some("::ffff:203.0.113.5".parse().unwrap());
    let got = read_header(&mut Chunked::new(&input, &[99]), mapped, &mut buf, &config);
    let want: IpAddr = "203.0.113.5".parse().unwrap();
    assert!(matches!(got, Err(Error::Untrusted { peer: Some(p) }) if p == want), "{got:?}");
    let inside = Some("::ffff:10.0.0.1".parse().unwrap());
    let got = read_header(&mut Chunked::new(&input, &[99]), inside, &mut buf, &config);
    assert!(got.unwrap().header.is_some());
}

/// `Ignore` drops a header whoever sent it: its addresses are never used,
/// so an untrusted peer is not refused for it.
#[test]
fn ignore_does_not_check_trust() {
    let input = concat(&[V1_TCP4, b"data"]);
    let mut buf = [0u8; 128];
    let proxies: CidrList<2> = CidrList::parse(["10.0.0.0/8"]).unwrap();
    let config = Config::new().with_policy(Policy::Ignore).with_trusted(proxies, Untrusted::Reject);
    let outside = Some("203.0.113.5".parse().unwrap());
    let got = read_header(&mut Chunked::new(&input, &[99]), outside, &mut buf, &config).unwrap();
    assert_eq!((got.header, got.header_len, got.leftover), (None, V1_TCP4.len(), &b"data"[..]));
    // It is skipped by its framing: a v2 body that breaks a TLV rule is not
    // examined (found by fuzzing: the documented behaviour had changed).
    let mut bad_body = proxy_hdr::v2::SIGNATURE.to_vec();
    bad_body.extend_from_slice(&[0x21, 0x00, 0x00, 0x02, 0x04, 0x00]);
    bad_body.extend_from_slice(b"data");
    let config = Config::new().with_policy(Policy::Ignore);
    let got = read_header(&mut Chunked::new(&bad_body, &[99]), None, &mut buf, &config).unwrap();
    assert_eq!((got.header, got.header_len, got.leftover), (None, 18, &b"data"[..]));
}

/// A read interrupted by a signal is retried, not the end of the header.
#[test]
fn interrupted_reads_are_retried() {
    struct Interrupting(Chunked, bool);
    impl embedded_io::ErrorType for Interrupting {
        type Error = embedded_io::ErrorKind;
    }
    impl embedded_io::Read for Interrupting {
        fn read(&mut self, buf: &mut [u8]) -> Result<usize, embedded_io::ErrorKind> {
            self.1 = !self.1;
            if self.1 {
                return Err(embedded_io::ErrorKind::Interrupted);
            }
            self.0.read(buf).map_err(|never| match never {})
        }
    }
    let input = concat(&[V1_TCP4, b"data"]);
    let mut stream = Interrupting(Chunked::new(&input, &[5]), false);
    let mut buf = [0u8; 128];
    let got = read_header(&mut stream, None, &mut buf, &Config::new()).unwrap();
    assert_eq!(got.header_len, V1_TCP4.len());
}

/// A stream that serves a prefix and then fails: proves nothing past the
/// prefix is read.
struct PrefixOnly(Chunked);

impl embedded_io::ErrorType for PrefixOnly {
    type Error = embedded_io::ErrorKind;
}

impl embedded_io::Read for PrefixOnly {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, embedded_io::ErrorKind> {
        match self.0.read(buf) {
            Ok(0) => Err(embedded_io::ErrorKind::Other),
            Ok(n) => Ok(n),
            Err(never) => match never {},
        }
    }
}

#[test]
fn v2_length_beyond_the_limit_is_refused_before_the_body() {
    let mut prefix = proxy_hdr::v2::SIGNATURE.to_vec();
    prefix.extend_from_slice(&[0x21, 0x11, 0xff, 0xff]);
    let config = Config::new().with_max_header_len(512);
    let mut buf = [0u8; 1024];
    let got = read_header(&mut PrefixOnly(Chunked::new(&prefix, &[5])), None, &mut buf, &config);
    assert!(matches!(got, Err(Error::TooLarge { limit: 512 })), "{got:?}");
    // The buffer is a limit too.
    let mut small = [0u8; 64];
    let got = read_header(
        &mut PrefixOnly(Chunked::new(&prefix, &[16])),
        None,
        &mut small,
        &Config::new(),
    );
    assert!(matches!(got, Err(Error::TooLarge { limit: 64 })), "{got:?}");
    // A v1 line that never ends fills a small buffer and stops there.
    let mut tiny = [0u8; 20];
    let mut endless = Chunked::new(b"PROXY UNKNOWN aaaaaaaaaaaaaaaaaaaaaaaaaaa", &[3]);
    let got = read_header(&mut endless, None, &mut tiny, &Config::new());
    assert!(matches!(got, Err(Error::TooLarge { limit: 20 })), "{got:?}");
}

#[test]
fn end_of_stream() {
    let mut buf = [0u8; 128];
    let got = read_header(&mut Chunked::new(&V1_TCP4[..20], &[7]), None, &mut buf, &Config::new());
    assert!(matches!(got, Err(Error::Closed { received: 20 })), "{got:?}");
    let got = read_header(&mut Chunked::new(b"", &[7]), None, &mut buf, &Config::new());
    assert!(matches!(got, Err(Error::Closed { received: 0 })));
    let optional = Config::new().with_policy(Policy::Optional);
    let got = read_header(&mut Chunked::new(b"", &[7]), None, &mut buf, &optional).unwrap();
    assert_eq!(got, Accepted { header: None, header_len: 0, leftover: &[] });
}

#[test]
fn errors_read_well_and_convert_to_io() {
    let e: Error<std::io::Error> = Error::TimedOut { received: 3 };
    assert_eq!(e.to_string(), "timed out waiting for the PROXY header (3 bytes received)");
    let io: std::io::Error = e.into();
    assert_eq!(io.kind(), std::io::ErrorKind::TimedOut);
    let e: Error<std::io::Error> = Error::Invalid(proxy_hdr::Error::V2Crc32cMismatch);
    assert_eq!(e.to_string(), "invalid PROXY header: v2 CRC32C checksum does not match the header");
    assert_eq!(std::io::Error::from(e).kind(), std::io::ErrorKind::InvalidData);
    let closed: std::io::Error = Error::<std::io::Error>::Closed { received: 9 }.into();
    assert_eq!(closed.kind(), std::io::ErrorKind::UnexpectedEof);
}

#[tokio::test]
async fn async_loop_and_its_deadline() {
    let input = concat(&[V1_TCP4, b"after"]);
    let mut stream = Chunked::new(&input, &[2, 9]);
    let mut buf = [0u8; 128];
    let accepted =
        read_header_async(&mut stream, None, &mut buf, &Config::new(), std::future::pending())
            .await
            .unwrap();
    assert!(accepted.header.is_some());
    let mut rest = Rewind::new(&mut stream, accepted.leftover);
    let mut got = Vec::new();
    let mut chunk = [0u8; 3];
    loop {
        let n = embedded_io_async::Read::read(&mut rest, &mut chunk).await.unwrap();
        if n == 0 {
            break;
        }
        got.extend_from_slice(&chunk[..n]);
    }
    assert_eq!(got, b"after");

    // A stream that never answers ends at the deadline.
    struct Silent;
    impl embedded_io::ErrorType for Silent {
        type Error = std::convert::Infallible;
    }
    impl embedded_io_async::Read for Silent {
        async fn read(&mut self, _: &mut [u8]) -> Result<usize, Self::Error> {
            std::future::pending().await
        }
    }
    let deadline = tokio::time::sleep(std::time::Duration::from_millis(50));
    let got = read_header_async(&mut Silent, None, &mut buf, &Config::new(), deadline).await;
    assert!(matches!(got, Err(Error::TimedOut { received: 0 })));
}

/// Every cut point of a v1 and a v2 header followed by binary payload gives
/// the same header and the same bytes after it.
#[test]
fn every_two_part_split() {
    let v2 = {
        let h = proxy_hdr::v2::Header::proxy(
            proxy_hdr::Protocol::Stream,
            proxy_hdr::Addresses::Inet {
                source: "10.0.3.233:2025".parse().unwrap(),
                destination: "192.0.2.1:443".parse().unwrap(),
            },
        );
        let mut out = vec![0u8; h.encoded_len()];
        h.write(&mut out).unwrap();
        out
    };
    let payload: Vec<u8> = (0..=255u8).rev().collect();
    for header in [V1_TCP4.to_vec(), v2] {
        let input = concat(&[&header, &payload]);
        for cut in 1..input.len() {
            let mut stream = Chunked::new(&input, &[cut, input.len()]);
            let mut buf = [0u8; 512];
            let accepted = read_header(&mut stream, None, &mut buf, &Config::new()).unwrap();
            assert!(accepted.header.is_some(), "cut {cut}");
            let mut rest = Rewind::new(&mut stream, accepted.leftover);
            assert_eq!(drain(&mut rest), payload, "cut {cut}");
        }
    }
}

#[tokio::test]
async fn async_loop_with_tiny_chunks() {
    let input = concat(&[V1_TCP4, b"after"]);
    for sizes in [&[1][..], &[1, 3], &[2, 1, 40]] {
        let mut stream = Chunked::new(&input, sizes);
        let mut buf = [0u8; 128];
        let got =
            read_header_async(&mut stream, None, &mut buf, &Config::new(), std::future::pending())
                .await;
        let accepted = got.unwrap_or_else(|e| panic!("{sizes:?}: {e}"));
        assert_eq!(accepted.header_len, V1_TCP4.len(), "{sizes:?}");
    }
}
