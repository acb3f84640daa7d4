//! Inputs and contenders shared by the `parse` benchmark and the allocation
//! test, so both measure exactly the same work.
//!
//! Every contender parses one input (header plus TLS payload) and then does
//! the same consuming work: it reads both addresses and walks every TLV and
//! every SSL sub-TLV the crate exposes, folding them into a [`Outcome`]
//! digest. A lazy parser therefore pays for what an eager one validated
//! up front.
//!
//! The peers are ppp (through its auto-detecting and its per-version entry
//! points), proxy-header, proxy-protocol and proxy-protocol-codec; their
//! adapters live in `peers`, one module per crate.

use std::net::{IpAddr, SocketAddr};

use proxy_hdr::v2::{self, ClientFlags, SslSubtype, TlvWriter};
use proxy_hdr::{Addresses, Protocol};

mod peers;

/// One benchmark input: a PROXY header followed by application bytes.
#[derive(Debug, Clone)]
pub struct Input {
    /// The criterion group name.
    pub name: &'static str,
    /// The header, then [`PAYLOAD`].
    pub bytes: Vec<u8>,
    /// The header's length, without the payload.
    pub header_len: usize,
    /// The client address the header reports (`None`: LOCAL or UNKNOWN).
    pub source: Option<SocketAddr>,
}

/// What a contender hands back, compared across contenders before measuring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// How many bytes the contender took as the header.
    pub len: usize,
    /// The client address it reported.
    pub source: Option<SocketAddr>,
    /// A fold of the addresses and of every TLV type, length and SSL field.
    pub digest: u64,
    /// Whether the contender exposes TLVs at all (digests compare only then).
    pub walks_tlvs: bool,
    /// Whether it opens the SSL TLV (client, verify and sub-TLVs). When not,
    /// it folds SSL as one opaque TLV and [`check`] compares it with a
    /// proxy-hdr digest folded the same way.
    pub walks_ssl: bool,
}

/// A parser under test.
#[derive(Debug, Clone, Copy)]
pub struct Contender {
    /// The criterion function name.
    pub name: &'static str,
    /// Parse and consume; `None` when the crate rejects the input.
    pub run: fn(&[u8]) -> Option<Outcome>,
    /// Whether parsing verifies a CRC32C TLV.
    pub verifies_crc32c: bool,
}

/// Every contender, proxy-hdr first.
pub const CONTENDERS: &[Contender] = &[
    Contender { name: "proxy-hdr", run: proxy_hdr_parse, verifies_crc32c: true },
    Contender { name: "ppp", run: peers::ppp::auto, verifies_crc32c: false },
    Contender { name: "ppp-direct", run: peers::ppp::direct, verifies_crc32c: false },
    Contender { name: "proxy-header", run: peers::proxy_header::parse, verifies_crc32c: false },
    Contender { name: "proxy-protocol", run: peers::proxy_protocol::parse, verifies_crc32c: false },
    Contender {
        name: "proxy-protocol-codec",
        run: peers::proxy_protocol_codec::parse,
        verifies_crc32c: false,
    },
];

/// proxy-hdr walking the SSL TLV as one opaque TLV, as the peers that
/// cannot open it do: the like-for-like row for TLV inputs (its parse still
/// validates the sub-TLVs). Not in [`CONTENDERS`]: only the interleaved
/// example times it.
pub const PROXY_HDR_SSL_OPAQUE: Contender = Contender {
    name: "proxy-hdr, SSL unopened",
    run: |buf| proxy_hdr_walk(buf, false),
    verifies_crc32c: true,
};

/// The first 64 bytes of a TLS 1.3 ClientHello record: what follows the
/// header on a real connection, so parsers must find the header's end.
pub const PAYLOAD: [u8; 64] = {
    let mut p = [0u8; 64];
    let head = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03];
    let mut i = 0;
    while i < p.len() {
        p[i] = if i < head.len() { head[i] } else { (i as u8).wrapping_mul(73) ^ 0x5a };
        i += 1;
    }
    p
};

const V1_TCP4: &str = "PROXY TCP4 192.168.100.200 10.0.0.1 56324 443\r\n";
const V1_TCP6: &str =
    "PROXY TCP6 2001:db8:85a3:8d3:1319:8a2e:370:7348 2001:db8::ff00:42:8329 56324 443\r\n";
const V1_UNKNOWN: &str = "PROXY UNKNOWN\r\n";

fn with_payload(header: &[u8]) -> Vec<u8> {
    [header, &PAYLOAD[..]].concat()
}

fn sock(s: &str) -> SocketAddr {
    s.parse().expect("a socket address")
}

fn write_v2(header: &v2::Header<'_>) -> Vec<u8> {
    let mut out = vec![0u8; header.encoded_len()];
    let len = header.write(&mut out).expect("a writable header");
    out.truncate(len);
    out
}

/// The six inputs in report order, then a diagnostic seventh.
pub fn inputs() -> Vec<Input> {
    let text = |name, line: &str, source: Option<&str>| Input {
        name,
        bytes: with_payload(line.as_bytes()),
        header_len: line.len(),
        source: source.map(sock),
    };
    let binary = |name, header: Vec<u8>, source: Option<&str>| Input {
        name,
        header_len: header.len(),
        bytes: with_payload(&header),
        source: source.map(sock),
    };

    let tcp4 = v2::Header::proxy(
        Protocol::Stream,
        Addresses::Inet {
            source: "192.168.100.200:56324".parse().expect("v4"),
            destination: "10.0.0.1:443".parse().expect("v4"),
        },
    );

    let mut with_crc = [0u8; 512];
    let mut without_crc = [0u8; 512];
    let tcp6_tlvs = |storage, crc| {
        v2::Header::proxy(
            Protocol::Stream,
            Addresses::Inet6 {
                source: "[2001:db8:85a3:8d3:1319:8a2e:370:7348]:56324".parse().expect("v6"),
                destination: "[2001:db8::ff00:42:8329]:443".parse().expect("v6"),
            },
        )
        .with_tlvs(realistic_tlvs(storage, crc))
    };
    let tcp6_crc = tcp6_tlvs(&mut with_crc, true);
    let tcp6_no_crc = tcp6_tlvs(&mut without_crc, false);

    vec![
        text("v1_tcp4", V1_TCP4, Some("192.168.100.200:56324")),
        text("v1_tcp6", V1_TCP6, Some("[2001:db8:85a3:8d3:1319:8a2e:370:7348]:56324")),
        text("v1_unknown", V1_UNKNOWN, None),
        binary("v2_tcp4", write_v2(&tcp4), Some("192.168.100.200:56324")),
        binary(
            "v2_tcp6_tlvs_crc",
            write_v2(&tcp6_crc),
            Some("[2001:db8:85a3:8d3:1319:8a2e:370:7348]:56324"),
        ),
        binary("v2_local", write_v2(&v2::Header::local()), None),
        // Diagnostic: the same TLVs without CRC32C, to separate its cost.
        binary(
            "v2_tcp6_tlvs_nocrc",
            write_v2(&tcp6_no_crc),
            Some("[2001:db8:85a3:8d3:1319:8a2e:370:7348]:56324"),
        ),
    ]
}

/// ALPN h2, AUTHORITY, a 32-byte UNIQUE_ID, SSL with five sub-TLVs and,
/// when `crc`, a CRC32C that `Header::write` fills in.
fn realistic_tlvs(storage: &mut [u8], crc: bool) -> v2::Tlvs<'_> {
    let mut w = TlvWriter::new(storage);
    w.push(v2::TlvType::Alpn, b"h2")
        .and_then(|w| w.push(v2::TlvType::Authority, b"api.eu-west-1.shop.example.com"))
        .and_then(|w| w.push(v2::TlvType::UniqueId, b"4f8c2a1e7b3d4e9aa6c5d2f1e0b9c8d7"))
        .and_then(|w| {
            w.ssl(
                ClientFlags::from_bits(0x07),
                0,
                &[
                    (SslSubtype::Version, b"TLSv1.3"),
                    (SslSubtype::Cn, b"client-7f3a.shop.example.com"),
                    (SslSubtype::Cipher, b"TLS_AES_256_GCM_SHA384"),
                    (SslSubtype::SigAlg, b"RSA-SHA256"),
                    (SslSubtype::KeyAlg, b"RSA2048"),
                ],
            )
        })
        .and_then(|w| if crc { w.crc32c() } else { Ok(w) })
        .expect("tlvs fit");
    w.finish().expect("valid tlvs")
}

/// Runs `contender` on `input` and checks it parsed the header correctly:
/// the right length and source address and, when it exposes TLVs, the same
/// digest as proxy-hdr (with the SSL TLV folded opaquely on both sides when
/// the contender does not open it). `Err` says why it did not.
pub fn check(contender: &Contender, input: &Input) -> Result<Outcome, String> {
    let outcome = (contender.run)(&input.bytes).ok_or("rejected the input")?;
    if outcome.len != input.header_len {
        return Err(format!("header length {} != {}", outcome.len, input.header_len));
    }
    if outcome.source != input.source {
        return Err(format!("source {:?} != {:?}", outcome.source, input.source));
    }
    // The same addresses and TLVs as proxy-hdr saw, walked the same way.
    let reference =
        proxy_hdr_walk(&input.bytes, outcome.walks_ssl).ok_or("proxy-hdr rejected the input")?;
    if outcome.walks_tlvs && outcome.digest != reference.digest {
        return Err("a different address/TLV digest from proxy-hdr's".into());
    }
    Ok(outcome)
}

/// A small order-dependent fold: a rotate and an add, a two-cycle chain
/// per field. It was a multiply (five cycles per field), which on the
/// TLV-rich input put 27 fields' worth of harness latency into every
/// contender's time, most into whichever walked the most fields.
#[derive(Clone, Copy)]
struct Fold(u64);

impl Fold {
    fn add(&mut self, v: u64) {
        self.0 = self.0.rotate_left(5).wrapping_add(v);
    }

    fn ip(&mut self, ip: IpAddr) {
        match ip {
            IpAddr::V4(a) => self.add(u64::from(a.to_bits())),
            IpAddr::V6(a) => {
                let bits = a.to_bits();
                self.add(bits as u64);
                self.add((bits >> 64) as u64);
            }
        }
    }

    fn addrs(&mut self, source: SocketAddr, destination: SocketAddr) {
        self.ip(source.ip());
        self.ip(destination.ip());
        self.add(u64::from(source.port()));
        self.add(u64::from(destination.port()));
    }

    /// A TLV other than an opened SSL one: its type and value length.
    fn tlv(&mut self, kind: u8, len: usize) {
        self.add(u64::from(kind));
        self.add(len as u64);
    }

    /// The SSL TLV's fixed fields.
    fn ssl(&mut self, client: u8, verify: u32) {
        self.add(0x20);
        self.add(u64::from(client));
        self.add(u64::from(verify));
    }
}

/// proxy-hdr, the reference: addresses, every TLV and the SSL sub-TLVs.
fn proxy_hdr_parse(buf: &[u8]) -> Option<Outcome> {
    proxy_hdr_walk(buf, true)
}

/// proxy-hdr's parse and walk; `open_ssl: false` folds the SSL TLV as one
/// opaque TLV, for comparing with a contender that cannot open it.
fn proxy_hdr_walk(buf: &[u8], open_ssl: bool) -> Option<Outcome> {
    let proxy_hdr::Status::Complete { header, len } = proxy_hdr::parse(buf).ok()? else {
        return None;
    };
    let mut f = Fold(0);
    let source = header.source();
    if let (Some(s), Some(d)) = (source, header.destination()) {
        f.addrs(s, d);
    }
    let tlvs = header.tlvs();
    for tlv in tlvs.iter() {
        match tlv.ssl().filter(|_| open_ssl) {
            Some(ssl) => {
                f.ssl(ssl.client().bits(), ssl.verify());
                for sub in ssl.sub_tlvs() {
                    f.tlv(sub.raw_kind(), sub.value().len());
                }
            }
            None => f.tlv(tlv.raw_kind(), tlv.value().len()),
        }
    }
    Some(Outcome { len, source, digest: f.0, walks_tlvs: true, walks_ssl: open_ssl })
}
