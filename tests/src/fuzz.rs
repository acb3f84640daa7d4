//! The fuzz targets' invariants, one function per target in `fuzz/`, so the
//! committed corpus is replayed by a normal `cargo test`
//! (`tests/fuzz_corpus.rs`) through exactly the code the fuzzer runs. Each
//! function panics, with what was violated, on a broken promise.

use std::io::{self, Read, Write};
use std::sync::{Arc, OnceLock};

use arbitrary::{Arbitrary, Unstructured};
use proxy_hdr::v2::{self, SIGNATURE, TlvWriter};
use proxy_hdr::{Command, Error, Header, Status, parse};
use proxy_hdr_io::{Config, Policy};

/// A target's name and its invariant check.
pub type Target = (&'static str, fn(&[u8]));

/// The fuzz targets, by name (the `fuzz/fuzz_targets/*.rs` files and the
/// `fuzz/corpus/*` folders).
pub const TARGETS: [Target; 7] = [
    ("parse_any", parse_any),
    ("parse_v1", parse_v1),
    ("parse_v2", parse_v2),
    ("roundtrip", roundtrip),
    ("driver_chunked", driver_chunked),
    ("rustls_accept", rustls_accept),
    ("differential", differential),
];

/// Arbitrary bytes.
pub fn parse_any(data: &[u8]) {
    check_parse(data);
}

/// Bytes after `PROXY `, so the fuzzer works past the v1 signature.
pub fn parse_v1(data: &[u8]) {
    check_parse(&[b"PROXY ", data].concat());
}

/// Bytes after the v2 signature.
pub fn parse_v2(data: &[u8]) {
    check_parse(&[&SIGNATURE[..], data].concat());
}

/// One-shot vs. every prefix, the leftover, the `needed` hint, and writing a
/// parsed header back.
fn check_parse(input: &[u8]) {
    let full = parse(input);
    if let Ok(Status::Complete { header, len }) = &full {
        assert!(*len <= input.len(), "length {len} beyond the input");
        // What follows is the caller's: parsing just the header agrees.
        assert_eq!(parse(&input[..*len]), full, "the header alone parses differently");
        rewrite(header, &input[..*len]);
    }
    // Streamed: a prefix is incomplete, or already the final verdict.
    let cuts = input.len().min(256);
    for cut in 0..cuts {
        match parse(&input[..cut]) {
            Ok(Status::Incomplete { needed }) => {
                if let Some(needed) = needed {
                    // `needed` is a lower bound: one byte fewer completes nothing.
                    let short = cut + needed.get() - 1;
                    if short > cut && short <= input.len() {
                        let got = parse(&input[..short]);
                        assert!(
                            !matches!(got, Ok(Status::Complete { .. })),
                            "needed {needed} at {cut} bytes, but {short} bytes give {got:?}"
                        );
                    }
                }
            }
            prefix => assert_eq!(prefix, full, "the first {cut} bytes decided differently"),
        }
    }
}

/// A parsed header written back parses to the same header; a v1 line is
/// written back byte for byte except for `UNKNOWN`'s ignored tail.
fn rewrite(header: &Header<'_>, wire: &[u8]) {
    let mut out = vec![0u8; header.encoded_len()];
    let Ok(n) = header.write(&mut out) else { return };
    match parse(&out[..n]) {
        Ok(Status::Complete { header: again, len }) => {
            assert_eq!(len, n, "rewritten header length");
            assert_eq!(&again, header, "rewritten header differs");
        }
        other => panic!("a rewritten header does not parse: {other:?} ({wire:02x?})"),
    }
}

/// An SSL TLV to write: client flags, verify, sub-TLVs.
type SslSpec<'a> = (u8, u32, Vec<(u8, &'a [u8])>);

/// A header from the core's `Arbitrary`, with, for v2, a TLV list built by
/// the writer from fuzzer-chosen entries (CRC32C computed by the writer).
#[derive(Debug)]
struct RoundTrip<'a> {
    header: Header<'a>,
    tlvs: Vec<(u8, &'a [u8])>,
    ssl: Option<SslSpec<'a>>,
    crc: bool,
    short_by: usize,
}

impl<'a> Arbitrary<'a> for RoundTrip<'a> {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(RoundTrip {
            header: u.arbitrary()?,
            tlvs: u.arbitrary()?,
            ssl: u.arbitrary()?,
            crc: u.arbitrary()?,
            short_by: u.int_in_range(1..=64)?,
        })
    }
}

/// Writes an arbitrary header and parses it back: equal, with the length the
/// writer announced; a buffer too small is refused and left untouched.
pub fn roundtrip(data: &[u8]) {
    let Ok(case) = RoundTrip::arbitrary_take_rest(Unstructured::new(data)) else { return };
    let mut storage = [0u8; 2048];
    let mut header = case.header;
    if let Header::V2(h) = &mut header
        && let Some(tlvs) = build_tlvs(&mut storage, &case)
    {
        *h = h.with_tlvs(tlvs);
    }
    let len = header.encoded_len();
    let mut out = vec![0u8; len];
    match header.write(&mut out) {
        Ok(n) => {
            assert_eq!(n, len, "write returned a length other than encoded_len");
            match parse(&out) {
                Ok(Status::Complete { header: back, len: parsed }) => {
                    assert_eq!(parsed, len, "parsed length");
                    assert_eq!(back, header, "parse(write(h)) != h");
                }
                other => panic!("parse(write({header:?})) = {other:?}"),
            }
            let short = len.saturating_sub(case.short_by);
            let mut small = vec![0xA5u8; short];
            assert!(header.write(&mut small).is_err(), "wrote {len} bytes into {short}");
            assert!(small.iter().all(|&b| b == 0xA5), "a refused write touched its buffer");
        }
        Err(_) => {
            let mut again = vec![0xA5u8; len];
            assert!(header.write(&mut again).is_err());
            assert!(again.iter().all(|&b| b == 0xA5), "a refused write touched its buffer");
        }
    }
}

/// The TLV list the writer builds from the case's entries, skipping the
/// ones it refuses (that is its job); `None` if nothing could be finished.
fn build_tlvs<'s>(storage: &'s mut [u8], case: &RoundTrip<'_>) -> Option<v2::Tlvs<'s>> {
    let mut w = TlvWriter::new(storage);
    for &(kind, value) in &case.tlvs {
        let _ = w.push(kind.into(), value);
    }
    if let Some((client, verify, subs)) = &case.ssl {
        let subs: Vec<(u8, &[u8])> = subs.iter().map(|&(k, v)| (k, v)).collect();
        let _ = w.ssl(v2::ClientFlags::from_bits(*client), *verify, &subs);
    }
    if case.crc {
        let _ = w.crc32c();
    }
    w.finish().ok()
}

/// An in-memory stream that returns at most the next chunk size per read.
struct Chunked<'a> {
    data: &'a [u8],
    sizes: &'a [u8],
    next: usize,
}

impl embedded_io::ErrorType for Chunked<'_> {
    type Error = core::convert::Infallible;
}

impl embedded_io::Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        let size = self.sizes.get(self.next % self.sizes.len().max(1)).copied().unwrap_or(255);
        self.next += 1;
        let n = usize::from(size.max(1)).min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// The first byte picks the policy, the next 16 are read sizes, the rest is
/// the stream. The outcome does not depend on the chunking, and header +
/// leftover + what the stream still holds is the input, byte for byte.
pub fn driver_chunked(data: &[u8]) {
    let Some((&policy, rest)) = data.split_first() else { return };
    let (sizes, input) = rest.split_at(rest.len().min(16));
    let policy = [Policy::Require, Policy::Optional, Policy::Ignore][usize::from(policy % 3)];
    let config = Config::new().with_policy(policy).with_max_header_len(1024);
    let run = |sizes: &[u8]| {
        let mut stream = Chunked { data: input, sizes, next: 0 };
        let mut buf = [0u8; 1024];
        let outcome = proxy_hdr_io::read_header(&mut stream, &mut buf, &config).map(|a| {
            let header = a.header.map(|h| format!("{h:?}"));
            (header, a.header_len, a.leftover.to_vec())
        });
        (outcome.map_err(|e| format!("{e:?}")), stream.data.to_vec())
    };
    let (chunked, unread) = run(sizes);
    let (whole, _) = run(&[255]);
    let strip = |o: &Result<(Option<String>, usize, Vec<u8>), String>| {
        o.as_ref().map(|(h, len, _)| (h.clone(), *len)).map_err(Clone::clone)
    };
    assert_eq!(strip(&chunked), strip(&whole), "the chunking changed the outcome");
    if let Ok((_, header_len, leftover)) = &chunked {
        let mut replay = input[..*header_len].to_vec();
        replay.extend_from_slice(leftover);
        replay.extend_from_slice(&unread);
        assert_eq!(replay, input, "header + leftover + unread is not the input");
    }
}

/// A TLS server config made once (rcgen, ring).
fn tls_config() -> Arc<rustls::ServerConfig> {
    static CONFIG: OnceLock<Arc<rustls::ServerConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()])
                .expect("a certificate");
            let key =
                rustls::pki_types::PrivateKeyDer::Pkcs8(cert.signing_key.serialize_der().into());
            let config = proxy_hdr_rustls::server_config_builder()
                .expect("ring")
                .with_no_client_auth()
                .with_single_cert(vec![cert.cert.der().clone()], key)
                .expect("a server config");
            Arc::new(config)
        })
        .clone()
}

/// Reads the input, then EOF; swallows writes.
struct Replay<'a>(&'a [u8]);

impl Read for Replay<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl Write for Replay<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Bytes through the blocking adapter under `Optional`: it returns (the
/// input ends), and the stage it blames matches the parser's own verdict.
pub fn rustls_accept(data: &[u8]) {
    let config = Config::new().with_policy(Policy::Optional).with_max_header_len(1024);
    let got = proxy_hdr_rustls::accept_from(Replay(data), tls_config(), &config);
    let verdict = parse(data.get(..1024).unwrap_or(data));
    match (&verdict, &got) {
        // Not a TLS client, so the handshake cannot succeed.
        (_, Ok(_)) => panic!("a handshake completed with no client"),
        (Ok(Status::Complete { .. }) | Err(Error::NotProxy), Err(e)) => {
            assert!(!e.is_proxy(), "a valid (or absent) header blamed on the PROXY stage: {e}");
        }
        (Err(rule), Err(e)) => assert!(
            matches!(e, proxy_hdr_rustls::Error::Proxy(proxy_hdr_io::Error::Invalid(r)) if r == rule),
            "an invalid header ({rule}) reported as {e}"
        ),
        // Nothing at all under `Optional`: TLS sees the end of the stream.
        (Ok(Status::Incomplete { .. }), Err(e)) if data.is_empty() => assert!(!e.is_proxy(), "{e}"),
        // The input ends inside the header.
        (Ok(Status::Incomplete { .. }), Err(e)) => assert!(e.is_proxy(), "{e}"),
    }
}

/// Our verdict against `ppp`'s. When both accept, the length and the
/// addresses agree. When only one does, the difference must be one we chose
/// (see [`deliberate`]); anything else fails.
pub fn differential(data: &[u8]) {
    let ours = parse(data);
    let theirs = ppp::HeaderResult::parse(data);
    let theirs_complete = match &theirs {
        ppp::HeaderResult::V1(Ok(h)) => Some((h.header.len(), ppp_v1_addresses(h))),
        ppp::HeaderResult::V2(Ok(h)) => Some((h.len(), ppp_v2_addresses(h))),
        _ => None,
    };
    match (&ours, theirs_complete) {
        (Ok(Status::Complete { header, len }), Some((their_len, their_addrs))) => {
            assert_eq!(*len, their_len, "header length: ours {len}, ppp {their_len}");
            let our_addrs = header.source().zip(header.destination());
            if header.command() == Command::Proxy && our_addrs.is_some() {
                assert_eq!(our_addrs, their_addrs, "addresses differ from ppp's");
            }
        }
        (Ok(Status::Complete { header, .. }), None) => {
            assert!(
                ppp_is_stricter(header, &theirs),
                "we accept {header:?}, ppp does not: {theirs:?}"
            );
        }
        (Err(e), Some(_)) => {
            assert!(deliberate(*e), "ppp accepts what we reject as {e:?} ({e})");
        }
        // ppp also ends a v1 line at a bare LF; §2.1 requires CRLF.
        (Ok(Status::Incomplete { .. }), Some((len, _))) => assert!(
            !data.get(..len).unwrap_or(data).ends_with(b"\r\n"),
            "ppp took a {len}-byte header where we still wait for more"
        ),
        _ => {}
    }
}

/// Rules we enforce and `ppp` does not, each from `doc/proxy-protocol.txt`
/// in haproxy/haproxy:
/// - §2.1: addresses and ports in canonical decimal (no leading zeros, no
///   `+`), single spaces, the address family matching `TCP4`/`TCP6`, and a
///   CRLF ending; ppp parses fields with the standard library's lenient
///   parsers and splits on spaces.
/// - §2.2: the version and command nibbles, the family and protocol bytes,
///   and an address block no shorter than the family needs.
/// - §2.2.1-§2.2.7: TLVs framed exactly inside the declared length, CRC32C
///   verified (ppp never checks it), UNIQUE_ID at most 128 bytes, SSL and its
///   sub-TLVs framed, AUTHORITY and the SSL texts in UTF-8; ppp iterates
///   TLVs lazily and accepts a header whose TLVs it would fail on.
fn deliberate(e: Error) -> bool {
    !matches!(e, Error::NotProxy)
}

/// `ppp` refuses some headers we accept, all valid by the spec: a v1
/// `UNKNOWN` line with text after the word (§2.1: the rest of the line is
/// ignored), a LOCAL header with any family or protocol byte (§2.2: the
/// receiver must ignore the address information of LOCAL), UNIX or UNSPEC
/// layouts it does not model. What it must never do is call incomplete a
/// header we found whole.
///
/// ppp also waits for more after `UNKNOWN` followed by a lone CR (it wants
/// the CRLF right after its own end), where the spec ignores up to the first
/// CRLF.
fn ppp_is_stricter(header: &Header<'_>, theirs: &ppp::HeaderResult<'_>) -> bool {
    use ppp::PartialResult;
    matches!(header, Header::V1(proxy_hdr::v1::Header::Unknown)) || !theirs.is_incomplete()
}

type Pair = Option<(std::net::SocketAddr, std::net::SocketAddr)>;

fn ppp_v1_addresses(h: &ppp::v1::Header<'_>) -> Pair {
    match h.addresses {
        ppp::v1::Addresses::Tcp4(a) => Some((
            (a.source_address, a.source_port).into(),
            (a.destination_address, a.destination_port).into(),
        )),
        ppp::v1::Addresses::Tcp6(a) => Some((
            (a.source_address, a.source_port).into(),
            (a.destination_address, a.destination_port).into(),
        )),
        ppp::v1::Addresses::Unknown => None,
    }
}

fn ppp_v2_addresses(h: &ppp::v2::Header<'_>) -> Pair {
    match h.addresses {
        ppp::v2::Addresses::IPv4(a) => Some((
            (a.source_address, a.source_port).into(),
            (a.destination_address, a.destination_port).into(),
        )),
        ppp::v2::Addresses::IPv6(a) => Some((
            (a.source_address, a.source_port).into(),
            (a.destination_address, a.destination_port).into(),
        )),
        _ => None,
    }
}
