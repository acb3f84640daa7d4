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
#[inline]
pub(crate) fn frame<T: Trust, E>(
    filled: &[u8],
    capacity: usize,
    config: &Config<T>,
) -> Result<Framing, Error<E>> {
    let limit = config.limit().min(capacity);
    if filled.is_empty() && limit > 0 {
        // Before the first read there is nothing to frame.
        return Ok(Framing::NeedMore);
    }
    if let Some(total) = whole_v2(filled, limit) {
        return Ok(Framing::Header(total));
    }
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

/// The length of a v2 header that is already whole in `filled` and within
/// `limit`, read off its signature and length field alone: the common case
/// (the header arrives in one read) then costs one parse, in [`finish`],
/// which still reports any rule the header breaks. Anything else takes the
/// parser's path, so a bad prefix is reported before the body arrives.
#[inline]
fn whole_v2(filled: &[u8], limit: usize) -> Option<usize> {
    use proxy_hdr::v2::{PREFIX_LEN, SIGNATURE};
    let (signature, rest): (&[u8; 12], _) = filled.split_first_chunk()?;
    let (_version_family, rest): (&[u8; 2], _) = rest.split_first_chunk()?;
    let length: &[u8; 2] = rest.first_chunk()?;
    if *signature != SIGNATURE {
        return None;
    }
    let total = PREFIX_LEN + usize::from(u16::from_be_bytes(*length));
    (total <= limit && total <= filled.len()).then_some(total)
}

/// The end of the first CRLF in `window`, if any.
fn crlf_end(window: &[u8]) -> Option<usize> {
    let lf = first_lf(window)?;
    (lf > 0 && window.get(lf - 1) == Some(&b'\r')).then_some(lf + 1)
}

/// The index of the first `\n`, eight bytes at a time (a v1 line is up to
/// 107 bytes and this runs on every read of one).
fn first_lf(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    const LFS: u64 = u64::from_ne_bytes([b'\n'; 8]);
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let word = u64::from_ne_bytes(chunk.try_into().unwrap_or([0; 8])) ^ LFS;
        // Non-zero exactly when some byte of `word` is zero (a `\n` here).
        if word.wrapping_sub(ONES) & !word & HIGHS != 0 {
            return chunk.iter().position(|&b| b == b'\n').map(|i| offset + i);
        }
        offset += 8;
    }
    chunks.remainder().iter().position(|&b| b == b'\n').map(|i| offset + i)
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

#[cfg(test)]
mod tests {
    use super::first_lf;

    #[test]
    fn first_lf_agrees_with_a_plain_search() {
        let mut line = [b'x'; 40];
        assert_eq!(first_lf(&line), None);
        for at in 0..line.len() {
            line[at] = b'\n';
            for start in 0..=at {
                let want = line[start..].iter().position(|&b| b == b'\n');
                assert_eq!(first_lf(&line[start..]), want, "lf at {at}, from {start}");
            }
            // Bytes next to '\n' in value must not look like it.
            line[at] = if at % 2 == 0 { 0x0b } else { 0x8a };
        }
        assert_eq!(first_lf(&line), None);
    }
}
