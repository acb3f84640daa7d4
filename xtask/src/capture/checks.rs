//! The cross-checks a capture passes before it becomes a vector: each
//! compares the parse with a fact the capture knows without the parser, or
//! re-reads the raw bytes itself.

use super::*;

/// The cross-checks: each compares the parse with a fact the capture knows
/// without the parser, or re-reads the raw bytes itself.
pub(super) fn check(
    sc: &Scenario,
    obs: &Observed,
    header: &Header<'_>,
    len: usize,
) -> Result<(), String> {
    let bytes = obs.conn.bytes.as_slice();
    if header.version() != sc.version {
        return Err(format!("expected {:?}, parsed {:?}", sc.version, header.version()));
    }
    let want_command =
        if sc.local && sc.version == Version::V2 { PpCommand::Local } else { PpCommand::Proxy };
    if header.command() != want_command {
        return Err(format!("expected {want_command:?}, parsed {:?}", header.command()));
    }
    if (header.source(), header.destination()) != (obs.source, obs.destination) {
        return Err(format!(
            "addresses: expected {:?} -> {:?}, parsed {:?} -> {:?}",
            obs.source,
            obs.destination,
            header.source(),
            header.destination()
        ));
    }
    match sc.version {
        Version::V1 => check_v1_line(obs, bytes, len)?,
        Version::V2 => check_v2_frame(sc, obs, bytes, len)?,
    }

    let rest = bytes.get(len..).unwrap_or_default();
    match sc.data {
        Data::None if !rest.is_empty() => {
            return Err(format!("{} unexpected bytes after the header", rest.len()));
        }
        Data::Http if !rest.starts_with(b"GET / HTTP/1.1\r\n") => {
            return Err("the header is not followed by curl's GET / HTTP/1.1".into());
        }
        Data::Tls if !rest.starts_with(&[0x16, 0x03]) => {
            return Err("the header is not followed by a TLS handshake record".into());
        }
        _ => {}
    }

    let tlvs = header.tlvs();
    for fact in sc.facts {
        let ok = match fact {
            Fact::Alpn => tlvs.alpn() == Some(b"http/1.1".as_slice()),
            Fact::Authority => text(tlvs.authority()) == Some(SNI),
            Fact::Crc32c => tlvs.crc32c().is_some() && crc_matches(bytes, len),
            Fact::UniqueId => tlvs.unique_id() == Some(UNIQUE_ID.as_bytes()),
            Fact::Ssl => tlvs.ssl().is_some_and(|s| {
                s.client().contains(ClientFlags::SSL)
                    && matches!(text(s.version()), Some("TLSv1.2" | "TLSv1.3"))
            }),
            Fact::Cn => tlvs.ssl().is_some_and(|s| {
                text(s.cn()) == Some(CLIENT_CN)
                    && s.client().contains(ClientFlags::CERT_CONN | ClientFlags::CERT_SESS)
                    && s.is_verified()
            }),
            // Facts of the frontend certificate made with `openssl req -newkey rsa:2048`.
            Fact::CipherSigKey => tlvs.ssl().is_some_and(|s| {
                s.cipher().is_some_and(|c| !c.as_bytes().is_empty())
                    && text(s.sig_alg()) == Some("RSA-SHA256")
                    && text(s.key_alg()) == Some("RSA2048")
            }),
        };
        if !ok {
            return Err(format!("TLV fact {fact:?} does not hold"));
        }
    }
    Ok(())
}

/// The written expectation must say what the capture knows, too.
pub(super) fn check_expect(
    sc: &Scenario,
    obs: &Observed,
    expect: &serde_json::Value,
    len: usize,
) -> Result<(), String> {
    let addr = |a: Option<SocketAddr>| a.map_or(serde_json::Value::Null, |a| a.to_string().into());
    let version = match sc.version {
        Version::V1 => 1,
        Version::V2 => 2,
    };
    let command = if sc.local && sc.version == Version::V2 { "local" } else { "proxy" };
    let known = [
        ("version", serde_json::Value::from(version)),
        ("command", command.into()),
        ("source", addr(obs.source)),
        ("destination", addr(obs.destination)),
        ("consumed", len.into()),
    ];
    for (key, want) in known {
        if expect.get(key) != Some(&want) {
            return Err(format!(
                "header_expect says {key} = {:?}, expected {want}",
                expect.get(key)
            ));
        }
    }
    Ok(())
}

/// A v1 header must be exactly the line the known addresses make.
fn check_v1_line(obs: &Observed, bytes: &[u8], len: usize) -> Result<(), String> {
    let line = match (obs.source, obs.destination) {
        (Some(s), Some(d)) => {
            let fam = if s.is_ipv4() { "TCP4" } else { "TCP6" };
            format!("PROXY {fam} {} {} {} {}\r\n", s.ip(), d.ip(), s.port(), d.port())
        }
        _ => return Err("a v1 scenario must know its addresses".into()),
    };
    if bytes.get(..len) != Some(line.as_bytes()) {
        return Err(format!("expected the line {line:?}"));
    }
    Ok(())
}

const V2_SIGNATURE: [u8; 12] = *b"\r\n\r\n\0\r\nQUIT\n";

/// A v2 header's fixed fields and address block, read here byte by byte.
fn check_v2_frame(sc: &Scenario, obs: &Observed, bytes: &[u8], len: usize) -> Result<(), String> {
    let fixed = |i: usize| bytes.get(i).copied().unwrap_or_default();
    if bytes.get(..12) != Some(V2_SIGNATURE.as_slice()) {
        return Err("no v2 signature".into());
    }
    let declared = 16 + usize::from(u16::from_be_bytes([fixed(14), fixed(15)]));
    if declared != len {
        return Err(format!("the header declares {declared} bytes, the parser consumed {len}"));
    }
    let ver_cmd = if sc.local { 0x20 } else { 0x21 };
    if fixed(12) != ver_cmd {
        return Err(format!("version/command byte {:#04x}, expected {ver_cmd:#04x}", fixed(12)));
    }
    if let (Some(s), Some(d)) = (obs.source, obs.destination) {
        let (fam, block) = match (s, d) {
            (SocketAddr::V4(s), SocketAddr::V4(d)) => {
                (0x11, [&s.ip().octets()[..], &d.ip().octets()[..]].concat())
            }
            (SocketAddr::V6(s), SocketAddr::V6(d)) => {
                (0x21, [&s.ip().octets()[..], &d.ip().octets()[..]].concat())
            }
            _ => return Err("mixed address families".into()),
        };
        let block =
            [block, s.port().to_be_bytes().to_vec(), d.port().to_be_bytes().to_vec()].concat();
        if fixed(13) != fam || bytes.get(16..16 + block.len()) != Some(block.as_slice()) {
            return Err("the family byte or address block is not the known addresses".into());
        }
    }
    Ok(())
}

/// Recomputes the header's CRC32C (Castagnoli, bitwise) with the CRC32C
/// TLV's value zeroed (§2.2.3) and compares it with the value sent.
/// A text TLV as a string, when it is UTF-8.
fn text(t: Option<proxy_hdr::Text<'_>>) -> Option<&str> {
    t.and_then(|t| t.as_str())
}

fn crc_matches(bytes: &[u8], len: usize) -> bool {
    let Some(header) = bytes.get(..len) else { return false };
    let addr_len = match header.get(13).map(|f| f >> 4) {
        Some(1) => 12,
        Some(2) => 36,
        Some(3) => 216,
        _ => 0,
    };
    // Walk the TLVs to find the CRC32C value's offset.
    let mut at = 16 + addr_len;
    let mut crc_at = None;
    while let (Some(&kind), Some(hi), Some(lo)) =
        (header.get(at), header.get(at + 1), header.get(at + 2))
    {
        if kind == 0x03 {
            crc_at = Some(at + 3);
        }
        at += 3 + usize::from(u16::from_be_bytes([*hi, *lo]));
    }
    let Some(value) = crc_at.and_then(|i| header.get(i..i + 4)) else { return false };
    let sent = u32::from_be_bytes([value[0], value[1], value[2], value[3]]);
    let mut zeroed = header.to_vec();
    if let Some(v) = crc_at.and_then(|i| zeroed.get_mut(i..i + 4)) {
        v.fill(0);
    }
    let mut crc = !0u32;
    for b in zeroed {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0x82F6_3B78 } else { crc >> 1 };
        }
    }
    !crc == sent
}
