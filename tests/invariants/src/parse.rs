//! The parse targets: one-shot against every prefix, the header's length
//! and leftover, the `needed` hint, TLV views, and writing a parsed header
//! back.

use proxy_hdr::v2::{SIGNATURE, SslSubtype, TlvType, Tlvs};
use proxy_hdr::{Header, Status, parse};

use crate::readable;

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
pub(crate) fn check_tlv_views(tlvs: Tlvs<'_>) {
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
    let present = |kind: SslSubtype| ssl.sub_tlvs().any(|t| t.kind() == kind);
    let texts = [
        (SslSubtype::Version, ssl.version()),
        (SslSubtype::Cn, ssl.cn()),
        (SslSubtype::Cipher, ssl.cipher()),
        (SslSubtype::SigAlg, ssl.sig_alg()),
        (SslSubtype::KeyAlg, ssl.key_alg()),
        (SslSubtype::Group, ssl.group()),
        (SslSubtype::SigScheme, ssl.sig_scheme()),
    ];
    for (kind, text) in texts {
        assert_eq!(text.is_some(), present(kind), "SSL sub-TLV {kind:?} accessor");
        // Text is checked only when asked, and asking never panics.
        let _ = text.map(|t| (t.as_str(), t.to_string()));
    }
    assert_eq!(
        ssl.client_cert().is_some(),
        present(SslSubtype::ClientCert),
        "client cert accessor"
    );
    // Every TLV item has its typed view, and an SSL item's is the same SSL.
    for tlv in tlvs.iter() {
        let _ = tlv.view();
    }
    assert_eq!(tlvs.iter().find_map(|t| t.ssl()), Some(ssl), "SSL view while iterating");
}

/// A parsed header written back parses to the same header. The bytes may
/// differ: IPv6 text is written in RFC 5952 form, UNKNOWN's ignored tail is
/// dropped, and a LOCAL header's address block is zeroed.
fn rewrite(header: &Header<'_>) {
    let mut out = vec![0u8; header.encoded_len()];
    let n = match header.write(&mut out) {
        Ok(n) => n,
        // A header value cannot disagree with itself: every one is written.
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
