//! The driver's decisions, with no I/O: given the bytes read so far, is the
//! header framed, is more needed, or is there none? Both read loops (blocking
//! and async) call these, so policy lives in one place.

use core::net::IpAddr;

use proxy_hdr::{Header, Status};

use crate::config::{Config, Policy, Untrusted};
use crate::error::Error;
use crate::trust::Trust;

/// What the bytes read so far say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// A valid prefix: read more.
    NeedMore,
    /// A header ends at this length (its body not yet validated).
    Header(usize),
    /// The stream does not start with a PROXY header.
    NoHeader,
}

/// A header read from a stream, and every byte that arrived after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accepted<'b> {
    /// The header, when one was read and is to be used: `None` when there was
    /// none (`Optional`), it was dropped (`Ignore`), or its peer is not trusted
    /// (`TreatAsAbsent`).
    pub header: Option<Header<'b>>,
    /// The header's length on the wire (0 when there was none).
    pub header_len: usize,
    /// The bytes read past the header: the start of the next protocol. Hand
    /// them to it before reading the stream again (see [`Rewind`](crate::Rewind)).
    pub leftover: &'b [u8],
}

/// Frames the header in `filled` cheaply, so the read loop can tell when to
/// stop without parsing the whole header on every read. `capacity` is the
/// caller's buffer size.
///
/// The v2 prefix is checked by the parser as soon as it has 16 bytes, so a
/// length beyond the limit is refused before the body is read. A v1 line is
/// framed by its CRLF; until one arrives the parser runs on what is there, so
/// a bad byte is reported at once, not after the line ends.
pub(crate) fn frame<T: Trust, E>(
    filled: &[u8],
    capacity: usize,
    config: &Config<T>,
) -> Result<Framing, Error<E>> {
    let limit = config.limit().min(capacity);
    let probe = match filled.first() {
        Some(b'\r') => filled.get(..proxy_hdr::v2::PREFIX_LEN).unwrap_or(filled),
        // Only a line that has the whole `PROXY ` signature is framed by its
        // CRLF; anything else starting with `P` (`POST /`) goes to the parser.
        Some(b'P') if filled.starts_with(b"PROXY ") => {
            let window = filled.get(..proxy_hdr::v1::MAX_LEN).unwrap_or(filled);
            if let Some(end) = crlf_end(window) {
                return Ok(Framing::Header(end));
            }
            filled
        }
        _ => filled,
    };
    match proxy_hdr::parse(probe) {
        Ok(Status::Complete { len, .. }) => Ok(Framing::Header(len)),
        Ok(Status::Incomplete { needed }) => {
            let v2_prefix =
                probe.len() == proxy_hdr::v2::PREFIX_LEN && probe.first() == Some(&b'\r');
            if let (true, Some(needed)) = (v2_prefix, needed) {
                // Past the v2 prefix `needed` is exact: the length field.
                let total = proxy_hdr::v2::PREFIX_LEN + needed.get();
                if total > limit {
                    return Err(Error::TooLarge { limit });
                }
                if filled.len() >= total {
                    return Ok(Framing::Header(total));
                }
            } else if filled.len() >= limit {
                return Err(Error::TooLarge { limit });
            }
            Ok(Framing::NeedMore)
        }
        Err(proxy_hdr::Error::NotProxy) => match config.policy {
            Policy::Require => Err(Error::NotProxy),
            Policy::Optional | Policy::Ignore => Ok(Framing::NoHeader),
        },
        Err(e) => Err(Error::Invalid(e)),
    }
}

/// The end of the first CRLF in `window`, if any.
fn crlf_end(window: &[u8]) -> Option<usize> {
    let lf = window.iter().position(|&b| b == b'\n')?;
    (lf > 0 && window.get(lf - 1) == Some(&b'\r')).then_some(lf + 1)
}

/// The stream ended after `received` bytes, before the header was framed.
pub(crate) fn at_eof<'b, T: Trust, E>(
    received: usize,
    config: &Config<T>,
) -> Result<Accepted<'b>, Error<E>> {
    match (received, config.policy) {
        // Nothing at all, and nothing required: the next protocol sees EOF.
        (0, Policy::Optional | Policy::Ignore) => {
            Ok(Accepted { header: None, header_len: 0, leftover: &[] })
        }
        _ => Err(Error::Closed { received }),
    }
}

/// Parses the framed header once, then applies policy and trust.
pub(crate) fn finish<'b, T: Trust, E>(
    buf: &'b [u8],
    framing: Framing,
    peer: Option<IpAddr>,
    config: &Config<T>,
) -> Result<Accepted<'b>, Error<E>> {
    let len = match framing {
        Framing::Header(len) => len,
        Framing::NoHeader | Framing::NeedMore => {
            crate::log::no_header();
            return Ok(Accepted { header: None, header_len: 0, leftover: buf });
        }
    };
    let (header, len) = match proxy_hdr::parse(buf) {
        Ok(Status::Complete { header, len: parsed }) if parsed == len => (header, len),
        Err(e) => {
            crate::log::rejected(e);
            return Err(Error::Invalid(e));
        }
        // Framing found the header's end, so the parser agrees or fails;
        // anything else would be a bug, reported rather than trusted.
        Ok(_) => return Err(Error::Invalid(proxy_hdr::Error::NotProxy)),
    };
    let leftover = buf.get(len..).unwrap_or_default();
    if let Some(peer) = peer
        && !config.trusted.is_trusted(peer)
    {
        crate::log::untrusted(peer);
        return match config.untrusted {
            Untrusted::Reject => Err(Error::Untrusted { peer }),
            Untrusted::TreatAsAbsent => Ok(Accepted { header: None, header_len: len, leftover }),
        };
    }
    if config.policy == Policy::Ignore {
        return Ok(Accepted { header: None, header_len: len, leftover });
    }
    crate::log::accepted(&header);
    Ok(Accepted { header: Some(header), header_len: len, leftover })
}
