//! The differential target: our verdict against `ppp`'s, every
//! disagreement one of the documented [`Difference`]s.

use proxy_hdr::{Addresses, Command, Error, Header, Status, parse};

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
    /// §2.2: under PROXY only the listed family/protocol bytes are valid
    /// (0x00, 0x11, 0x12, 0x21, 0x22, 0x31, 0x32). ppp accepts UNSPEC on one
    /// side and a value on the other (0x01, 0x02, 0x10, 0x20, 0x30).
    V2UnlistedAddressType,
    /// §2.2: the TLVs fill the header exactly, to its length. ppp parses
    /// the header without its TLVs (it frames them when iterated), so it
    /// accepts a header whose last TLV runs past the end, or that ends with
    /// one or two stray bytes.
    V2TlvFraming,
    /// §2.2.3: a receiver that supports CRC32C must verify it. ppp never
    /// computes it.
    V2Crc32c,
    /// §2.2.3, §2.2.5, §2.2.6: the length rules of the known TLV types (a
    /// 4-byte CRC32C, UNIQUE_ID of at most 128 bytes, the SSL TLV's 5-byte
    /// prefix and framed sub-TLVs). ppp does not look at TLV values. (Text
    /// is not a rule for either: neither checks UTF-8.)
    V2TlvValue,
}

impl Difference {
    /// Every documented difference.
    pub const ALL: [Difference; 8] = [
        Difference::V1PortSign,
        Difference::V1BareLf,
        Difference::V1UnknownTail,
        Difference::V2LocalAddressInfo,
        Difference::V2UnlistedAddressType,
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
        assert_eq!(h.command() == Command::Local, t.local, "commands differ from ppp's");
    }
    // We report addresses only for PROXY with a known protocol; when we
    // do, ppp's are the same.
    let ours = header.source().zip(header.destination());
    if ours.is_some() {
        assert_eq!(ours, t.ip, "addresses differ from ppp's: {header:?}");
    }
    if let Some(Addresses::Unix { source, destination }) = header.addresses() {
        let ours = (source.as_bytes(), destination.as_bytes());
        assert_eq!(Some(ours), t.unix, "unix paths differ from ppp's");
    }
}

/// We accept a header `ppp` does not (or not yet).
fn we_accept_more(data: &[u8], header: &Header<'_>, len: usize) -> Option<Difference> {
    match header {
        Header::V1(h) if h.is_unknown() => {
            let line = &data[..len];
            let body = &line[..len - 2];
            let spaces = line.iter().filter(|&&b| b == b' ').count();
            let ppp_cannot =
                body.contains(&b'\r') || std::str::from_utf8(line).is_err() || spaces > 5;
            ppp_cannot.then_some(Difference::V1UnknownTail)
        }
        Header::V2(h) if h.command() == Command::Local => {
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
        Err(Error::V2UnlistedAddressType) => Some(Difference::V2UnlistedAddressType),
        Err(Error::V2TlvTruncated | Error::V2TlvTrailingBytes) => Some(Difference::V2TlvFraming),
        Err(Error::V2Crc32cMismatch) => Some(Difference::V2Crc32c),
        Err(
            Error::V2Crc32cLength
            | Error::V2UniqueIdTooLong
            | Error::V2SslTooShort
            | Error::V2SslSubTlvFraming,
        ) => Some(Difference::V2TlvValue),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proxy_hdr::v2::SIGNATURE;

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
            (v2(b"\x21\x01\x00\x00"), Some(Difference::V2UnlistedAddressType)),
            (
                v2(b"\x21\x10\x00\x0c\x01\x02\x03\x04\x05\x06\x07\x08\x00\x01\x00\x02"),
                Some(Difference::V2UnlistedAddressType),
            ),
            (v2(b"\x21\x00\x00\x04\x20\x00\x01\x01"), Some(Difference::V2TlvValue)),
            // Text is not a rule: an AUTHORITY that is not UTF-8 is fine for both.
            (v2(b"\x21\x00\x00\x04\x02\x00\x01\xff"), None),
            (v2(b"\x21\x00\x00\x04\x04\x00\x01x"), None),
        ];
        for (input, want) in cases {
            assert_eq!(ppp_difference(&input), want, "{:?}", String::from_utf8_lossy(&input));
        }
    }
}
