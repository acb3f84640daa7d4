//! Inputs and contenders shared by the `parse` benchmark and the allocation
//! test, so both measure exactly the same work.
//!
//! Every contender parses one input (header plus TLS payload) and then does
//! the same consuming work: it reads both addresses and walks every TLV and
//! every SSL sub-TLV the crate exposes, folding them into a [`Outcome`]
//! digest. A lazy parser therefore pays for what an eager one validated
//! up front.

use std::net::{IpAddr, SocketAddr};

use proxy_hdr::v2::{self, ClientFlags, SslSubtype, TlvWriter};
use proxy_hdr::{Addresses, Protocol};

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
    Contender { name: "ppp", run: ppp_auto, verifies_crc32c: false },
    Contender { name: "ppp-direct", run: ppp_direct, verifies_crc32c: false },
    Contender { name: "proxy-header", run: proxy_header_parse, verifies_crc32c: false },
    Contender { name: "proxy-protocol", run: proxy_protocol_parse, verifies_crc32c: false },
];

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
/// digest as proxy-hdr. `Err` says why it did not.
pub fn check(contender: &Contender, input: &Input) -> Result<Outcome, String> {
    let outcome = (contender.run)(&input.bytes).ok_or("rejected the input")?;
    if outcome.len != input.header_len {
        return Err(format!("header length {} != {}", outcome.len, input.header_len));
    }
    if outcome.source != input.source {
        return Err(format!("source {:?} != {:?}", outcome.source, input.source));
    }
    // The same addresses and TLVs as proxy-hdr saw, walked the same way.
    let reference = proxy_hdr_parse(&input.bytes).ok_or("proxy-hdr rejected the input")?;
    if outcome.walks_tlvs && outcome.digest != reference.digest {
        return Err("a different address/TLV digest from proxy-hdr's".into());
    }
    Ok(outcome)
}

/// A small order-dependent fold.
#[derive(Clone, Copy)]
struct Fold(u64);

impl Fold {
    fn add(&mut self, v: u64) {
        self.0 = self.0.rotate_left(7).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ v;
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

    /// A TLV other than SSL: its type and value length.
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

fn proxy_hdr_parse(buf: &[u8]) -> Option<Outcome> {
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
        match tlv.ssl() {
            Some(ssl) => {
                f.ssl(ssl.client().bits(), ssl.verify());
                for sub in ssl.sub_tlvs() {
                    f.tlv(sub.raw_kind(), sub.value().len());
                }
            }
            None => f.tlv(tlv.raw_kind(), tlv.value().len()),
        }
    }
    Some(Outcome { len, source, digest: f.0, walks_tlvs: true })
}

fn ppp_v1(h: &ppp::v1::Header<'_>) -> Outcome {
    let mut f = Fold(0);
    let source = match h.addresses {
        ppp::v1::Addresses::Tcp4(a) => {
            let (s, d) = (
                SocketAddr::from((a.source_address, a.source_port)),
                SocketAddr::from((a.destination_address, a.destination_port)),
            );
            f.addrs(s, d);
            Some(s)
        }
        ppp::v1::Addresses::Tcp6(a) => {
            let (s, d) = (
                SocketAddr::from((a.source_address, a.source_port)),
                SocketAddr::from((a.destination_address, a.destination_port)),
            );
            f.addrs(s, d);
            Some(s)
        }
        ppp::v1::Addresses::Unknown => None,
    };
    Outcome { len: h.header.len(), source, digest: f.0, walks_tlvs: true }
}

fn ppp_v2(h: &ppp::v2::Header<'_>) -> Option<Outcome> {
    use ppp::v2::{Addresses as A, TypeLengthValues};
    let mut f = Fold(0);
    let source = match h.addresses {
        A::IPv4(a) => {
            let (s, d) = (
                SocketAddr::from((a.source_address, a.source_port)),
                SocketAddr::from((a.destination_address, a.destination_port)),
            );
            f.addrs(s, d);
            Some(s)
        }
        A::IPv6(a) => {
            let (s, d) = (
                SocketAddr::from((a.source_address, a.source_port)),
                SocketAddr::from((a.destination_address, a.destination_port)),
            );
            f.addrs(s, d);
            Some(s)
        }
        A::Unspecified | A::Unix(_) => None,
    };
    // ppp reports no addresses for LOCAL only through the command.
    let source = if matches!(h.command, ppp::v2::Command::Local) { None } else { source };
    for tlv in h.tlvs() {
        let tlv = tlv.ok()?;
        if tlv.kind == 0x20 {
            // ppp has no SSL type: split the value and reuse its TLV iterator.
            let (&client, rest) = tlv.value.split_first()?;
            let verify = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?);
            f.ssl(client, verify);
            for sub in TypeLengthValues::from(rest.get(4..)?) {
                let sub = sub.ok()?;
                f.tlv(sub.kind, sub.value.len());
            }
        } else {
            f.tlv(tlv.kind, tlv.value.len());
        }
    }
    Some(Outcome { len: h.len(), source, digest: f.0, walks_tlvs: true })
}

/// ppp's version-detecting entry point.
fn ppp_auto(buf: &[u8]) -> Option<Outcome> {
    match ppp::HeaderResult::parse(buf) {
        ppp::HeaderResult::V1(r) => r.ok().map(|h| ppp_v1(&h)),
        ppp::HeaderResult::V2(r) => ppp_v2(&r.ok()?),
    }
}

/// ppp's per-version parsers, picked by the first byte as a caller would.
fn ppp_direct(buf: &[u8]) -> Option<Outcome> {
    match buf.first()? {
        b'P' => ppp::v1::Header::try_from(buf).ok().map(|h| ppp_v1(&h)),
        _ => ppp_v2(&ppp::v2::Header::try_from(buf).ok()?),
    }
}

fn proxy_header_parse(buf: &[u8]) -> Option<Outcome> {
    use proxy_header::{ParseConfig, ProxyHeader, Tlv};
    fn value_len(t: &Tlv<'_>) -> usize {
        match t {
            Tlv::Alpn(v) | Tlv::UniqueId(v) | Tlv::Custom(_, v) => v.len(),
            Tlv::Authority(s)
            | Tlv::Netns(s)
            | Tlv::SslVersion(s)
            | Tlv::SslCn(s)
            | Tlv::SslCipher(s)
            | Tlv::SslSigAlg(s)
            | Tlv::SslKeyAlg(s) => s.len(),
            Tlv::Crc32c(_) => 4,
            Tlv::Noop(n) => *n,
            _ => 0,
        }
    }
    let (h, len) = ProxyHeader::parse(buf, ParseConfig::default()).ok()?;
    let mut f = Fold(0);
    let source = h.proxied_address().map(|a| {
        f.addrs(a.source, a.destination);
        a.source
    });
    for tlv in h.tlvs() {
        match tlv.ok()? {
            Tlv::Ssl(ssl) => {
                let client = u8::from(ssl.client_ssl())
                    | u8::from(ssl.client_cert_conn()) << 1
                    | u8::from(ssl.client_cert_sess()) << 2;
                f.ssl(client, ssl.verify());
                for sub in ssl.tlvs() {
                    let sub = sub.ok()?;
                    f.tlv(sub.kind(), value_len(&sub));
                }
            }
            t => f.tlv(t.kind(), value_len(&t)),
        }
    }
    Some(Outcome { len, source, digest: f.0, walks_tlvs: true })
}

/// proxy-protocol skips TLVs without exposing them: addresses only.
fn proxy_protocol_parse(buf: &[u8]) -> Option<Outcome> {
    use proxy_protocol::{ProxyHeader, version1, version2};
    let mut rest = buf;
    let header = proxy_protocol::parse(&mut rest).ok()?;
    let len = buf.len() - rest.len();
    let mut f = Fold(0);
    let pair: Option<(SocketAddr, SocketAddr)> = match header {
        ProxyHeader::Version1 {
            addresses: version1::ProxyAddresses::Ipv4 { source, destination },
        } => Some((source.into(), destination.into())),
        ProxyHeader::Version1 {
            addresses: version1::ProxyAddresses::Ipv6 { source, destination },
        } => Some((source.into(), destination.into())),
        ProxyHeader::Version2 {
            command: version2::ProxyCommand::Proxy,
            addresses: version2::ProxyAddresses::Ipv4 { source, destination },
            ..
        } => Some((source.into(), destination.into())),
        ProxyHeader::Version2 {
            command: version2::ProxyCommand::Proxy,
            addresses: version2::ProxyAddresses::Ipv6 { source, destination },
            ..
        } => Some((source.into(), destination.into())),
        _ => None,
    };
    if let Some((s, d)) = pair {
        f.addrs(s, d);
    }
    Some(Outcome { len, source: pair.map(|(s, _)| s), digest: f.0, walks_tlvs: false })
}
