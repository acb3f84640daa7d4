//! The driver's decisions, with no I/O: given the bytes read so far, is the
//! header whole, is more needed, or is there none? The core frames the
//! header (`proxy_hdr::frame`); this applies the size limit, the policy and
//! trust. Every read loop (blocking, async, datagram) calls these, so
//! policy lives in one place.

use core::net::IpAddr;

use proxy_hdr::{Frame, Header, Version};

use crate::config::{Config, Policy, Untrusted};
use crate::error::Error;
use crate::trust::{self, Trust};

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

/// What the bytes read decide. A read loop stops on a `Ready<'static>`,
/// which borrows nothing, so the loop can end its mutable use of the
/// buffer: a v1 line is carried parsed, a v2 header by its length (its body
/// is checked once, by [`finish`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ready<'h> {
    /// A header already parsed (a v1 line; a datagram's header), and its length.
    Parsed(Header<'h>, usize),
    /// A v2 header of this length, its prefix checked, its body not yet.
    Framed(usize),
    /// No header: every byte read belongs to the next protocol.
    NoHeader,
}

/// Decides from the bytes read so far (`filled`) whether the loop may stop;
/// `None` means read more. `limit` is the size limit, already capped by the
/// buffer's length.
#[inline]
pub(crate) fn decide<T: Trust, E>(
    filled: &[u8],
    limit: usize,
    config: &Config<T>,
) -> Result<Option<Ready<'static>>, Error<E>> {
    if filled.is_empty() {
        // Before the first read there is nothing to frame.
        return if limit == 0 { Err(Error::TooLarge { limit }) } else { Ok(None) };
    }
    // Only the first `limit` bytes decide: a read that brought more (the
    // next protocol's bytes, or a flood) must not change the outcome, and a
    // header cannot extend past them anyway.
    let filled = filled.get(..limit).unwrap_or(filled);
    let refuse = config.policy() == Policy::Refuse;
    // Under `Refuse` a whole signature decides, before any length: what the
    // peer sent is a header, whatever its size, and however it was chunked.
    if let Some(version) = signature_complete(filled).filter(|_| refuse) {
        return Err(Error::Unexpected { version });
    }
    match proxy_hdr::frame(filled) {
        // Whole within the first `limit` bytes, so never longer than it.
        // A v1 line is parsed by its framing already: keep it.
        Ok(Frame::Whole(framed)) => Ok(Some(match framed.v1() {
            Some(line) => Ready::Parsed(Header::V1(line), framed.len()),
            None => Ready::Framed(framed.len()),
        })),
        Ok(Frame::Partial { len: Some(total), .. }) if total > limit => {
            Err(Error::TooLarge { limit })
        }
        Ok(Frame::Partial { .. }) if filled.len() >= limit => Err(Error::TooLarge { limit }),
        Ok(Frame::Partial { .. }) => Ok(None),
        Err(proxy_hdr::Error::NotProxy) => match config.policy() {
            Policy::Require => {
                crate::log::not_proxy();
                Err(Error::NotProxy { received: filled.len() })
            }
            Policy::Optional | Policy::Ignore | Policy::Refuse => Ok(Some(Ready::NoHeader)),
        },
        Err(_) if refuse => Err(Error::Unexpected {
            version: if filled.first() == Some(&b'P') { Version::V1 } else { Version::V2 },
        }),
        Err(e) => {
            crate::log::rejected(e);
            Err(Error::Invalid(e))
        }
    }
}

/// The version whose whole signature starts `filled`, if any.
pub(crate) fn signature_complete(filled: &[u8]) -> Option<Version> {
    if filled.starts_with(b"PROXY ") {
        Some(Version::V1)
    } else if filled.starts_with(&proxy_hdr::v2::SIGNATURE) {
        Some(Version::V2)
    } else {
        None
    }
}

/// The stream ended after `received` bytes, before the loop could stop.
pub(crate) fn at_eof<'b, T: Trust, E>(
    received: usize,
    config: &Config<T>,
) -> Result<Accepted<'b>, Error<E>> {
    match (received, config.policy()) {
        // Nothing at all, and nothing required: the next protocol sees EOF.
        (0, Policy::Optional | Policy::Ignore | Policy::Refuse) => {
            Ok(Accepted { header: None, header_len: 0, leftover: &[] })
        }
        _ => Err(Error::Closed { received }),
    }
}

/// Applies trust and policy to what the loop stopped on, over `filled`, the
/// bytes it read. Trust is checked before a v2 body is looked at, so an
/// untrusted peer's TLVs are never parsed.
pub(crate) fn finish<'b, T: Trust, E>(
    filled: &'b [u8],
    ready: Ready<'b>,
    peer: Option<IpAddr>,
    config: &Config<T>,
) -> Result<Accepted<'b>, Error<E>> {
    let len = match ready {
        Ready::NoHeader => {
            crate::log::no_header();
            return Ok(Accepted { header: None, header_len: 0, leftover: filled });
        }
        Ready::Parsed(_, len) | Ready::Framed(len) => len,
    };
    let leftover = filled.get(len..).unwrap_or_default();
    let dropped = Accepted { header: None, header_len: len, leftover };
    if config.policy() == Policy::Ignore {
        return Ok(dropped);
    }
    if !trust::allows(config.trusted(), peer) {
        let peer = peer.map(trust::canonical);
        crate::log::untrusted(peer);
        return match config.untrusted() {
            Untrusted::Reject => Err(Error::Untrusted { peer }),
            Untrusted::TreatAsAbsent => Ok(dropped),
        };
    }
    let header = match ready {
        Ready::Parsed(header, _) => header,
        // The same bytes the loop framed: the same frame, now checked whole.
        Ready::NoHeader | Ready::Framed(_) => {
            match proxy_hdr::parse(filled.get(..len).unwrap_or_default()) {
                Ok(proxy_hdr::Status::Complete { header, .. }) => header,
                Ok(proxy_hdr::Status::Incomplete { .. }) => {
                    return Err(Error::Closed { received: len });
                }
                Err(e) => {
                    crate::log::rejected(e);
                    return Err(Error::Invalid(e));
                }
            }
        }
    };
    crate::log::accepted(&header);
    Ok(Accepted { header: Some(header), header_len: len, leftover })
}
