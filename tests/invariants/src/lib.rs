//! The fuzz targets' invariants, one function per target in `fuzz/`, so the
//! committed corpus is replayed by a normal `cargo test`
//! (`tests/fuzz_corpus.rs`) through exactly the code the fuzzer runs,
//! structured inputs decoded the same way. Each function panics, saying
//! what was violated, on a broken promise.

use std::io::{self, Read, Write};
use std::sync::{Arc, OnceLock};

use arbitrary::{Arbitrary, Unstructured};
use proxy_hdr::v2::{self, SIGNATURE, Ssl, TlvType, TlvWriter, Tlvs};
use proxy_hdr::{Command, Error, Header, OwnedHeader, Status, WriteError, parse};
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

/// Bytes after the v2 signature: the first is the version/command byte.
pub fn parse_v2(data: &[u8]) {
    check_parse(&[&SIGNATURE[..], data].concat());
}

/// The longest prefix checked cut by cut; a longer input also gets one cut
/// the input chooses, so the cost per run stays bounded.
const EVERY_CUT_UP_TO: usize = 128;

/// One-shot vs. prefixes (streamed agreement), the header's length and
/// leftover, the `needed` hint, and writing a parsed header back.
fn check_parse(input: &[u8]) {
    let full = parse(input);
    let decided_at = match &full {
        Ok(Status::Complete { header, len }) => {
            assert!(*len <= input.len(), "length {len} beyond the {}-byte input", input.len());
            // The leftover is exactly `&input[len..]`: the header does not
            // depend on it, and it is not part of the header.
            assert_eq!(parse(&input[..*len]), full, "the header alone parses differently");
            check_tlv_views(header.tlvs());
            rewrite(header);
            *len
        }
        Err(e) => {
            readable(e);
            input.len()
        }
        Ok(Status::Incomplete { .. }) => input.len(),
    };
    let chosen = input.last().map_or(0, |&b| usize::from(b) * input.len() / 256);
    let cuts = (0..decided_at.min(EVERY_CUT_UP_TO)).chain([chosen.min(decided_at)]);
    for cut in cuts {
        match parse(&input[..cut]) {
            Ok(Status::Incomplete { needed }) => check_needed(input, cut, needed),
            // Invalid as soon as visible: a prefix that is decided has the
            // whole input's verdict (the same error, or the same header).
            prefix => assert_eq!(prefix, full, "the first {cut} bytes decided differently"),
        }
    }
}

/// An error's `Display` is a sentence a log reader can use: not empty, one
/// line, no `Debug` braces.
fn readable(e: &impl std::fmt::Display) {
    let text = e.to_string();
    assert!(!text.trim().is_empty(), "an error with no message");
    assert!(!text.contains('\n') && !text.contains('{'), "an unreadable message: {text:?}");
}

/// `needed` is a lower bound: one byte fewer than it asks for completes
/// nothing.
fn check_needed(input: &[u8], cut: usize, needed: Option<std::num::NonZeroUsize>) {
    let Some(needed) = needed else { return };
    let short = cut + needed.get() - 1;
    if short > cut && short <= input.len() {
        let got = parse(&input[..short]);
        assert!(
            !matches!(got, Ok(Status::Complete { .. })),
            "needed {needed} at {cut} bytes, but {short} bytes give {got:?}"
        );
    }
}

/// Validated TLVs iterate without loss, and each accessor finds what the
/// iteration holds: validate once, iterate infallibly.
fn check_tlv_views(tlvs: Tlvs<'_>) {
    let walked: usize = tlvs.iter().map(|t| 3 + t.value().len()).sum();
    assert_eq!(walked, tlvs.as_bytes().len(), "the TLV iterator stopped early");
    let has = |kind: TlvType| tlvs.find(kind).is_some();
    assert_eq!(tlvs.alpn().is_some(), has(TlvType::Alpn), "ALPN accessor");
    assert_eq!(tlvs.authority().is_some(), has(TlvType::Authority), "AUTHORITY accessor");
    assert_eq!(tlvs.crc32c().is_some(), has(TlvType::Crc32c), "CRC32C accessor");
    assert_eq!(tlvs.unique_id().is_some(), has(TlvType::UniqueId), "UNIQUE_ID accessor");
    assert_eq!(tlvs.netns().is_some(), has(TlvType::Netns), "NETNS accessor");
    assert_eq!(tlvs.ssl().is_some(), has(TlvType::Ssl), "SSL accessor");
    // Free-form vendor values: these may be absent when malformed, never panic.
    let _ = (
        tlvs.aws_vpc_endpoint_id(),
        tlvs.azure_private_endpoint_link_id(),
        tlvs.gcp_psc_connection_id(),
    );
    let (Some(ssl), Some(value)) = (tlvs.ssl(), tlvs.find(TlvType::Ssl)) else { return };
    let walked: usize = ssl.sub_tlvs().map(|t| 3 + t.value().len()).sum();
    assert_eq!(5 + walked, value.value().len(), "the SSL sub-TLV iterator stopped early");
    let present = |kind: u8| ssl.sub_tlvs().any(|t| t.kind() == kind);
    let texts = [
        (Ssl::VERSION, ssl.version()),
        (Ssl::CN, ssl.cn()),
        (Ssl::CIPHER, ssl.cipher()),
        (Ssl::SIG_ALG, ssl.sig_alg()),
        (Ssl::KEY_ALG, ssl.key_alg()),
        (Ssl::GROUP, ssl.group()),
        (Ssl::SIG_SCHEME, ssl.sig_scheme()),
    ];
    for (kind, text) in texts {
        assert_eq!(text.is_some(), present(kind), "SSL sub-TLV {kind:#04x} accessor");
    }
    assert_eq!(ssl.client_cert().is_some(), present(Ssl::CLIENT_CERT), "client cert accessor");
}

/// A parsed header written back parses to the same header. The bytes may
/// differ: IPv6 text is written in RFC 5952 form, UNKNOWN's ignored tail is
/// dropped, and a LOCAL header's address block is zeroed.
fn rewrite(header: &Header<'_>) {
    let mut out = vec![0u8; header.encoded_len()];
    let n = match header.write(&mut out) {
        Ok(n) => n,
        // The writer only refuses what it could not read back the same; a
        // parsed header is not such a header.
        Err(e) => panic!("a parsed header cannot be written back: {e} ({header:?})"),
    };
    match parse(&out[..n]) {
        Ok(Status::Complete { header: again, len }) => {
            assert_eq!(len, n, "rewritten header length");
            assert_eq!(&again, header, "the rewritten header differs");
        }
        other => panic!("a rewritten header does not parse: {other:?} ({header:?})"),
    }
}

/// An SSL TLV to write: client flags, verify result, sub-TLVs.
type SslSpec<'a> = (u8, u32, Vec<(u8, &'a [u8])>);

/// Where to put CRC32C TLVs, which the writer fills in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub enum Crc {
    /// No CRC32C TLV.
    None,
    /// Before every other TLV.
    First,
    /// After every other TLV.
    Last,
    /// One first and one last: the parser checks each, so the writer fills
    /// in both.
    Both,
}

/// What the `roundtrip` target decodes from its input: a header from the
/// core's `Arbitrary`, TLVs appended by the writer, and the short buffer
/// lengths to try.
#[derive(Debug)]
pub struct RoundTrip<'a> {
    /// The header; for v2 its `Arbitrary` TLVs are written first (after a
    /// leading CRC32C, if any).
    pub header: Header<'a>,
    /// More TLVs `(type, value)` pushed with [`TlvWriter::push`]; an entry
    /// the parser would refuse is skipped.
    pub tlvs: Vec<(u8, &'a [u8])>,
    /// An SSL TLV pushed with [`TlvWriter::ssl`], if its sub-TLVs are valid.
    pub ssl: Option<SslSpec<'a>>,
    /// CRC32C TLVs to add.
    pub crc: Crc,
    /// Picks a buffer length shorter than the header (besides one byte short).
    pub short: u16,
}

impl<'a> Arbitrary<'a> for RoundTrip<'a> {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(RoundTrip {
            header: u.arbitrary()?,
            tlvs: u.arbitrary()?,
            ssl: u.arbitrary()?,
            crc: u.arbitrary()?,
            short: u.arbitrary()?,
        })
    }
}

impl<'a> RoundTrip<'a> {
    /// Decodes the target's input exactly as the fuzzer does; `None` when
    /// the bytes run out before a case is whole.
    pub fn decode(data: &'a [u8]) -> Option<Self> {
        RoundTrip::arbitrary_take_rest(Unstructured::new(data)).ok()
    }
}

/// A sentinel the refused writes must leave in place.
const UNTOUCHED: u8 = 0xA5;

/// Writes an arbitrary header and parses it back: equal, with the length the
/// writer announced; the owned copy agrees; a buffer too small (one byte
/// short, and a random shorter length) is refused and left untouched.
pub fn roundtrip(data: &[u8]) {
    let Some(case) = RoundTrip::decode(data) else { return };
    let mut storage = vec![0u8; 4096];
    let header = match case.header {
        Header::V2(h) => Header::V2(h.with_tlvs(build_tlvs(&mut storage, h.tlvs, &case))),
        v1 => v1,
    };
    let len = header.encoded_len();
    let mut out = vec![UNTOUCHED; len];
    let n = match header.write(&mut out) {
        Ok(n) => n,
        Err(e) => {
            assert!(refusable(&header, e), "refused {header:?}: {e}");
            assert!(out.iter().all(|&b| b == UNTOUCHED), "a refused write touched its buffer");
            return;
        }
    };
    assert_eq!(n, len, "write returned a length other than encoded_len");
    match parse(&out) {
        Ok(Status::Complete { header: back, len: parsed }) => {
            assert_eq!(parsed, len, "parsed length");
            assert_eq!(back, header, "parse(write(h)) != h");
            check_tlv_views(back.tlvs());
        }
        other => panic!("parse(write({header:?})) = {other:?}"),
    }
    let owned = OwnedHeader::<4096>::try_from(&header).expect("4096 bytes hold any TLVs here");
    assert_eq!(owned.header(), header, "the owned copy differs");

    for short in [len - 1, usize::from(case.short) % len] {
        let mut small = vec![UNTOUCHED; short];
        assert_eq!(
            header.write(&mut small),
            Err(WriteError::BufferTooSmall { needed: len }),
            "writing {len} bytes into {short}"
        );
        assert!(small.iter().all(|&b| b == UNTOUCHED), "a refused write touched its buffer");
    }
}

/// The writer refuses only headers that would not read back the same: v2
/// field combinations the parser cannot produce.
fn refusable(header: &Header<'_>, e: WriteError) -> bool {
    matches!(
        (header, e),
        (Header::V2(_), WriteError::AddressMismatch | WriteError::InvalidUnixPath)
    )
}

/// The header's own TLVs, then the case's entries, each pushed by the
/// writer when the parser would accept it alone (TLVs are validated one by
/// one, so the list stays valid), and CRC32C where the case puts it.
fn build_tlvs<'s>(storage: &'s mut [u8], own: Tlvs<'_>, case: &RoundTrip<'_>) -> Tlvs<'s> {
    let mut w = TlvWriter::new(storage);
    if matches!(case.crc, Crc::First | Crc::Both) {
        let _ = w.crc32c();
    }
    for tlv in own {
        let _ = w.push(tlv.kind().into(), tlv.value());
    }
    for &(kind, value) in &case.tlvs {
        if valid_alone(kind, value) {
            let _ = w.push(kind.into(), value);
        }
    }
    if let Some((client, verify, subs)) = &case.ssl {
        let client = v2::ClientFlags::from_bits(*client);
        let mut probe = [0u8; 4096];
        let mut alone = TlvWriter::new(&mut probe);
        if alone.ssl(client, *verify, subs).is_ok() && alone.finish().is_ok() {
            let _ = w.ssl(client, *verify, subs);
        }
    }
    if matches!(case.crc, Crc::Last | Crc::Both) {
        let _ = w.crc32c();
    }
    w.finish().expect("TLVs valid one by one make a valid list")
}

/// Whether the parser accepts this TLV on its own.
fn valid_alone(kind: u8, value: &[u8]) -> bool {
    let Ok(len) = u16::try_from(value.len()) else { return false };
    let mut one = vec![kind];
    one.extend_from_slice(&len.to_be_bytes());
    one.extend_from_slice(value);
    Tlvs::new(&one).is_ok()
}

/// An in-memory stream that returns at most the next chunk size per read
/// (cycling through `sizes`, at least one byte), or all it can when `sizes`
/// is empty.
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
        let size = match self.sizes.get(self.next % self.sizes.len().max(1)) {
            Some(&size) => usize::from(size.max(1)),
            None => usize::MAX,
        };
        self.next += 1;
        let n = size.min(buf.len()).min(self.data.len());
        let (now, later) = self.data.split_at(n);
        buf[..n].copy_from_slice(now);
        self.data = later;
        Ok(n)
    }
}

/// The driver's limit in the target, small enough that the fuzzer reaches it.
const DRIVER_LIMIT: usize = 1024;

/// What a read came to, owned so two reads can be compared.
type Outcome = Result<(Option<String>, usize, Vec<u8>), String>;

/// The first byte picks the policy, the next 16 are read sizes, the rest is
/// the stream. The outcome (header or error, header length) is the same
/// read in chunks and in one piece; header + leftover + what the stream
/// still holds is the input, byte for byte; and it is what `parse` says.
pub fn driver_chunked(data: &[u8]) {
    let Some((&policy, rest)) = data.split_first() else { return };
    let (sizes, input) = rest.split_at(rest.len().min(16));
    let policy = [Policy::Require, Policy::Optional, Policy::Ignore][usize::from(policy % 3)];
    let config = Config::new().with_policy(policy).with_max_header_len(DRIVER_LIMIT);
    let run = |sizes: &[u8]| -> (Outcome, Vec<u8>) {
        let mut stream = Chunked { data: input, sizes, next: 0 };
        let mut buf = [0u8; DRIVER_LIMIT];
        let outcome = proxy_hdr_io::read_header(&mut stream, &mut buf, &config);
        let outcome = match outcome {
            Ok(a) => {
                check_against_parse(input, a.header.as_ref(), a.header_len, policy);
                Ok((a.header.map(|h| format!("{h:?}")), a.header_len, a.leftover.to_vec()))
            }
            Err(e) => {
                if let proxy_hdr_io::Error::Invalid(rule) = e {
                    // Not-PROXY is its own outcome; as `Invalid` it means the
                    // driver framed a header the parser did not find.
                    assert_ne!(
                        rule,
                        Error::NotProxy,
                        "the driver framed a header parse does not see"
                    );
                    assert_eq!(parse(input), Err(rule), "the driver and parse disagree");
                }
                readable(&e);
                Err(format!("{e:?}"))
            }
        };
        (outcome, stream.data.to_vec())
    };
    let (chunked, unread) = run(sizes);
    let (whole, whole_unread) = run(&[]);
    let strip = |o: &Outcome| o.as_ref().map(|(h, len, _)| (h.clone(), *len)).map_err(Clone::clone);
    assert_eq!(strip(&chunked), strip(&whole), "the chunking changed the outcome");
    for (outcome, unread) in [(&chunked, &unread), (&whole, &whole_unread)] {
        if let Ok((_, header_len, leftover)) = outcome {
            let replay = [&input[..*header_len], leftover, unread].concat();
            assert_eq!(replay, input, "header + leftover + unread is not the input");
        }
    }
}

/// A header the driver returns is the one `parse` finds at the start of the
/// input; no header means `parse` found none (or one that was dropped).
fn check_against_parse(input: &[u8], header: Option<&Header<'_>>, len: usize, policy: Policy) {
    let parsed = parse(input);
    match (header, len) {
        (Some(h), _) => {
            assert_eq!(parsed, Ok(Status::Complete { header: *h, len }), "driver vs parse")
        }
        // `Ignore` parses the header and drops it.
        (None, len) if len > 0 => {
            assert_eq!(policy, Policy::Ignore, "a header of {len} bytes was dropped");
            assert!(
                matches!(parsed, Ok(Status::Complete { len: l, .. }) if l == len),
                "dropped a {len}-byte header, parse says {parsed:?}"
            );
        }
        (None, _) => {
            assert_ne!(policy, Policy::Require, "no header under Require");
            assert!(
                input.is_empty() || parsed == Err(Error::NotProxy),
                "no header, but parse says {parsed:?}"
            );
        }
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

/// The adapter's size limit in the target.
const ADAPTER_LIMIT: usize = 1024;

/// Bytes through the blocking adapter under `Optional`: it returns (the
/// input ends), and the stage it blames is the one the parser's verdict on
/// the same bytes implies: a valid header (or none) is never blamed on the
/// PROXY stage, an invalid one always is, with the same rule.
pub fn rustls_accept(data: &[u8]) {
    let config = Config::new().with_policy(Policy::Optional).with_max_header_len(ADAPTER_LIMIT);
    let got = proxy_hdr_rustls::accept_from(Replay(data), tls_config(), &config);
    let verdict = parse(data.get(..ADAPTER_LIMIT).unwrap_or(data));
    let e = match got {
        Ok(_) => panic!("a TLS handshake completed with no client"),
        Err(e) => {
            readable(&e);
            e
        }
    };
    match verdict {
        Ok(Status::Complete { .. }) | Err(Error::NotProxy) => {
            assert!(!e.is_proxy(), "a valid (or absent) header blamed on the PROXY stage: {e}");
        }
        Err(rule) => assert!(
            matches!(&e, proxy_hdr_rustls::Error::Proxy(proxy_hdr_io::Error::Invalid(r)) if *r == rule),
            "an invalid header ({rule}) reported as {e}"
        ),
        // Nothing at all under `Optional`: TLS sees the end of the stream.
        Ok(Status::Incomplete { .. }) if data.is_empty() => assert!(!e.is_proxy(), "{e}"),
        // The input ends inside the header, or the header is over the limit.
        Ok(Status::Incomplete { .. }) => assert!(e.is_proxy(), "{e}"),
    }
}

/// A deliberate difference between our verdict and `ppp`'s (2.3): a rule of
/// `doc/proxy-protocol.txt` in haproxy/haproxy that one parser applies and
/// the other does not. [`differential`] fails on any disagreement between
/// "valid" and "not valid" that is not one of these.
///
/// Not compared: a prefix one parser calls incomplete and the other invalid
/// (ppp waits for a partial v1 line that we already reject at its first bad
/// byte, and rejects a LOCAL prefix we wait on, see
/// [`Difference::V2LocalAddressInfo`]); addresses we do not report under
/// PROXY with protocol UNSPEC (§2.2 lets the receiver ignore them), which
/// ppp decodes anyway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Difference {
    /// §2.1: a port is a decimal number. ppp parses it with
    /// `u16::from_str`, which also takes a leading `+` (it does refuse
    /// leading zeros, as the IPv4 parser both use does).
    V1PortSign,
    /// §2.1: the line ends with CRLF. ppp splits the line at spaces and CRs
    /// and ends it at any `\n` field, so it also takes a bare LF: a line with
    /// no CR at all ending in ` \n`, or `PROXY UNKNOWN \n\rX`, 17 bytes.
    V1BareLf,
    /// §2.1: after `UNKNOWN` the receiver ignores everything up to the
    /// CRLF. ppp ends the line at its first CR, wants UTF-8, and splits it
    /// into at most seven fields, so a lone CR, bytes that are not UTF-8 or
    /// more than four words after `UNKNOWN` make it refuse the line, or wait
    /// for more forever.
    V1UnknownTail,
    /// §2.2: a LOCAL receiver discards the protocol block, the family
    /// included, and skips by the length field. ppp refuses a LOCAL header
    /// whose family or protocol nibble is unassigned, or whose length is
    /// shorter than the family's address block.
    V2LocalAddressInfo,
    /// §2.2: the TLVs fill the header exactly, to its length. ppp parses
    /// the header without its TLVs (it frames them when iterated), so it
    /// accepts a header whose last TLV runs past the end, or that ends with
    /// one or two stray bytes.
    V2TlvFraming,
    /// §2.2.3: a receiver that supports CRC32C must verify it. ppp never
    /// computes it.
    V2Crc32c,
    /// §2.2.1 - §2.2.7: the values of the known TLV types (a 4-byte
    /// CRC32C, UNIQUE_ID of at most 128 bytes, UTF-8 AUTHORITY and NETNS,
    /// the SSL TLV's 5-byte prefix, framed sub-TLVs and UTF-8 texts). ppp
    /// does not look at TLV values.
    V2TlvValue,
}

impl Difference {
    /// Every documented difference.
    pub const ALL: [Difference; 7] = [
        Difference::V1PortSign,
        Difference::V1BareLf,
        Difference::V1UnknownTail,
        Difference::V2LocalAddressInfo,
        Difference::V2TlvFraming,
        Difference::V2Crc32c,
        Difference::V2TlvValue,
    ];
}

/// Our verdict against `ppp`'s. When both accept, the length, version,
/// command and reported addresses agree. When only one accepts, the
/// difference must be a [`Difference`]; anything else fails.
pub fn differential(data: &[u8]) {
    let _ = ppp_difference(data);
}

/// The [`Difference`] that explains a disagreement with `ppp` on `data`,
/// `None` when both agree; panics on a disagreement not on the list.
pub fn ppp_difference(data: &[u8]) -> Option<Difference> {
    let ours = parse(data);
    let result = ppp::HeaderResult::parse(data);
    let theirs = Theirs::of(&result);
    let explained = match (&ours, &theirs) {
        (Ok(Status::Complete { header, len }), Some(t)) if *len == t.len => {
            agree(header, t);
            return None;
        }
        (Ok(Status::Complete { .. }), Some(t)) => ppp_accepts_more(data, &ours, t),
        (Ok(Status::Complete { header, len }), None) => we_accept_more(data, header, *len),
        (_, Some(t)) => ppp_accepts_more(data, &ours, t),
        (_, None) => return None,
    };
    match explained {
        Some(difference) => Some(difference),
        None => panic!(
            "an undocumented difference from ppp on {data:02x?}:\n  ours {ours:?}\n  ppp  {result:?}"
        ),
    }
}

/// A header `ppp` accepted, as far as we compare it.
struct Theirs<'r> {
    len: usize,
    /// The v1 line, for a v1 header.
    line: Option<&'r str>,
    /// LOCAL, for a v2 header.
    local: bool,
    ip: Pair,
    unix: Option<(&'r [u8], &'r [u8])>,
}

type Pair = Option<(std::net::SocketAddr, std::net::SocketAddr)>;

impl<'r> Theirs<'r> {
    fn of(result: &'r ppp::HeaderResult<'_>) -> Option<Self> {
        use ppp::v1::Addresses as A1;
        use ppp::v2::Addresses as A2;
        let pair = |s: (std::net::IpAddr, u16), d: (std::net::IpAddr, u16)| -> Pair {
            Some((s.into(), d.into()))
        };
        match result {
            ppp::HeaderResult::V1(Ok(h)) => Some(Theirs {
                len: h.header.len(),
                line: Some(h.header.as_ref()),
                local: false,
                ip: match h.addresses {
                    A1::Tcp4(a) => pair(
                        (a.source_address.into(), a.source_port),
                        (a.destination_address.into(), a.destination_port),
                    ),
                    A1::Tcp6(a) => pair(
                        (a.source_address.into(), a.source_port),
                        (a.destination_address.into(), a.destination_port),
                    ),
                    A1::Unknown => None,
                },
                unix: None,
            }),
            ppp::HeaderResult::V2(Ok(h)) => Some(Theirs {
                len: h.len(),
                line: None,
                local: h.command == ppp::v2::Command::Local,
                ip: match h.addresses {
                    A2::IPv4(a) => pair(
                        (a.source_address.into(), a.source_port),
                        (a.destination_address.into(), a.destination_port),
                    ),
                    A2::IPv6(a) => pair(
                        (a.source_address.into(), a.source_port),
                        (a.destination_address.into(), a.destination_port),
                    ),
                    _ => None,
                },
                unix: match &h.addresses {
                    A2::Unix(u) => Some((until_nul(&u.source), until_nul(&u.destination))),
                    _ => None,
                },
            }),
            _ => None,
        }
    }
}

fn until_nul(path: &[u8]) -> &[u8] {
    &path[..path.iter().position(|&b| b == 0).unwrap_or(path.len())]
}

/// Both accepted a header of the same length: it is the same header.
fn agree(header: &Header<'_>, t: &Theirs<'_>) {
    assert_eq!(
        matches!(header, Header::V1(_)),
        t.line.is_some(),
        "versions differ from ppp's: {header:?}"
    );
    if let Header::V2(h) = header {
        assert_eq!(h.command == Command::Local, t.local, "commands differ from ppp's");
    }
    // We report addresses only for PROXY with a known protocol; when we
    // do, ppp's are the same.
    let ours = header.source().zip(header.destination());
    if ours.is_some() {
        assert_eq!(ours, t.ip, "addresses differ from ppp's: {header:?}");
    }
    if let Header::V2(v2::Header {
        addresses: v2::Addresses::Unix { source, destination }, ..
    }) = header
    {
        let ours = (source.as_bytes(), destination.as_bytes());
        assert_eq!(Some(ours), t.unix, "unix paths differ from ppp's");
    }
}

/// We accept a header `ppp` does not (or not yet).
fn we_accept_more(data: &[u8], header: &Header<'_>, len: usize) -> Option<Difference> {
    match header {
        Header::V1(proxy_hdr::v1::Header::Unknown) => {
            let line = &data[..len];
            let body = &line[..len - 2];
            let spaces = line.iter().filter(|&&b| b == b' ').count();
            let ppp_cannot =
                body.contains(&b'\r') || std::str::from_utf8(line).is_err() || spaces > 5;
            ppp_cannot.then_some(Difference::V1UnknownTail)
        }
        Header::V2(h) if h.command == Command::Local => {
            use ppp::v2::ParseError as P;
            match ppp::v2::Header::try_from(data) {
                Err(P::AddressFamily(_) | P::Protocol(_) | P::InvalidAddresses(..)) => {
                    Some(Difference::V2LocalAddressInfo)
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// `ppp` accepts a header we refuse, wait on, or find to be of another
/// length.
fn ppp_accepts_more(
    data: &[u8],
    ours: &Result<Status<Header<'_>>, Error>,
    t: &Theirs<'_>,
) -> Option<Difference> {
    if let Some(line) = t.line {
        if !line.ends_with("\r\n") {
            return Some(Difference::V1BareLf);
        }
        let fields: Vec<&str> = line.trim_end_matches("\r\n").split(' ').collect();
        let signed_port =
            fields.get(4..6).is_some_and(|ports| ports.iter().any(|p| p.starts_with('+')));
        return (*ours == Err(Error::V1InvalidPort) && signed_port)
            .then_some(Difference::V1PortSign);
    }
    // ppp's v2 header has the length the prefix declares, as ours would.
    let declared = data.get(14..16).map(|l| 16 + usize::from(u16::from_be_bytes([l[0], l[1]])));
    if declared != Some(t.len) {
        return None;
    }
    match ours {
        Err(Error::V2TlvTruncated | Error::V2TlvTrailingBytes) => Some(Difference::V2TlvFraming),
        Err(Error::V2Crc32cMismatch) => Some(Difference::V2Crc32c),
        Err(
            Error::V2Crc32cLength
            | Error::V2UniqueIdTooLong
            | Error::V2AuthorityNotUtf8
            | Error::V2SslTooShort
            | Error::V2SslSubTlvFraming
            | Error::V2SslTextNotUtf8
            | Error::V2NetnsNotUtf8,
        ) => Some(Difference::V2TlvValue),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each documented difference, on the smallest input that shows it.
    #[test]
    fn every_difference_from_ppp_is_recognised() {
        let v2 = |fields: &[u8]| [&SIGNATURE[..], fields].concat();
        let cases: Vec<(Vec<u8>, Option<Difference>)> = vec![
            (b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n".to_vec(), None),
            (b"PROXY TCP4 1.2.3.4 5.6.7.8 +1 2\r\n".to_vec(), Some(Difference::V1PortSign)),
            (b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \n".to_vec(), Some(Difference::V1BareLf)),
            (b"PROXY UNKNOWN \n\rIT\n".to_vec(), Some(Difference::V1BareLf)),
            (b"PROXY UNKNOWN\r\r\n".to_vec(), Some(Difference::V1UnknownTail)),
            (b"PROXY UNKNOWN \xff\r\n".to_vec(), Some(Difference::V1UnknownTail)),
            (b"PROXY UNKNOWN a b c d e\r\n".to_vec(), Some(Difference::V1UnknownTail)),
            (b"PROXY UNKNOWN a b c d\r\n".to_vec(), None),
            (v2(b"\x20\x15\x00\x00"), Some(Difference::V2LocalAddressInfo)),
            (v2(b"\x20\x11\x00\x00"), Some(Difference::V2LocalAddressInfo)),
            (v2(b"\x21\x00\x00\x02\x04\x00"), Some(Difference::V2TlvFraming)),
            (v2(b"\x21\x00\x00\x04\x04\x00\x05x"), Some(Difference::V2TlvFraming)),
            (v2(b"\x21\x00\x00\x07\x03\x00\x04\x00\x00\x00\x00"), Some(Difference::V2Crc32c)),
            (v2(b"\x21\x00\x00\x04\x02\x00\x01\xff"), Some(Difference::V2TlvValue)),
            (v2(b"\x21\x00\x00\x04\x04\x00\x01x"), None),
        ];
        for (input, want) in cases {
            assert_eq!(ppp_difference(&input), want, "{:?}", String::from_utf8_lossy(&input));
        }
    }
}
