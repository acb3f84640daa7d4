//! Parsing the v1 line, field by field, stopping at the first byte that
//! decides: a valid prefix is incomplete, a bad byte names its rule at once.

use core::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};
use core::num::NonZeroUsize;

use super::scan::{self, Halt};
use super::{Header, MAX_LEN, MIN_LEN};
use crate::stop::{Step, Stop, signature};
use crate::{Error, Status};

/// Parses a v1 header at the start of `buf`.
///
/// Only the first [`MAX_LEN`] bytes are ever examined. A line that needs
/// more is [`Error::V1LineTooLong`]; a shorter valid prefix is incomplete.
#[inline]
pub fn parse(buf: &[u8]) -> Result<Status<Header>, Error> {
    match line(buf) {
        Ok((header, len)) => Ok(Status::Complete { header, len }),
        Err(Stop::Incomplete) => {
            Ok(Status::Incomplete { needed: NonZeroUsize::new(MIN_LEN.saturating_sub(buf.len())) })
        }
        Err(Stop::Invalid(e)) => Err(e),
    }
}

/// The line at the start of `buf` and its length.
#[inline(always)]
pub(crate) fn line(buf: &[u8]) -> Result<(Header, usize), Stop> {
    let window = buf.get(..MAX_LEN).unwrap_or(buf);
    match fields(window) {
        Ok((rest, header)) => Ok((header, window.len() - rest.len())),
        Err(Stop::Incomplete) if window.len() == MAX_LEN => Err(Error::V1LineTooLong.into()),
        Err(stop) => Err(stop),
    }
}

#[derive(Clone, Copy)]
enum Protocol {
    Tcp4,
    Tcp6,
    Unknown,
}

#[inline(always)]
fn fields(input: &[u8]) -> Step<'_, Header> {
    let (input, ()) = signature(input, b"PROXY ")?;
    let (input, protocol) = protocol(input)?;
    match protocol {
        Protocol::Unknown => {
            let (input, ()) = rest_of_line(input)?;
            Ok((input, Header::UNKNOWN))
        }
        Protocol::Tcp4 => {
            let (input, (source, destination, sport, dport)) = addresses(input, ipv4)?;
            let header = Header::tcp4(
                SocketAddrV4::new(source, sport),
                SocketAddrV4::new(destination, dport),
            );
            Ok((input, header))
        }
        Protocol::Tcp6 => {
            let (input, (source, destination, sport, dport)) = addresses(input, ipv6)?;
            let header = Header::tcp6(
                SocketAddrV6::new(source, sport, 0, 0),
                SocketAddrV6::new(destination, dport, 0, 0),
            );
            Ok((input, header))
        }
    }
}

/// `TCP4 `, `TCP6 ` or `UNKNOWN` followed by a space or CR.
#[inline(always)]
fn protocol(input: &[u8]) -> Step<'_, Protocol> {
    // The common whole words first: fixed-width compares, no loop.
    match input {
        [b'T', b'C', b'P', b'4', b' ', rest @ ..] => return Ok((rest, Protocol::Tcp4)),
        [b'T', b'C', b'P', b'6', b' ', rest @ ..] => return Ok((rest, Protocol::Tcp6)),
        [b'U', b'N', b'K', b'N', b'O', b'W', b'N', rest @ ..]
            if matches!(rest.first(), Some(b' ' | b'\r')) =>
        {
            return Ok((rest, Protocol::Unknown));
        }
        _ => {}
    }
    let words: [(&[u8], Protocol); 3] =
        [(b"TCP4", Protocol::Tcp4), (b"TCP6", Protocol::Tcp6), (b"UNKNOWN", Protocol::Unknown)];
    for (word, protocol) in words {
        let n = word.len().min(input.len());
        if input.get(..n) != word.get(..n) {
            continue;
        }
        let Some(&next) = input.get(word.len()) else {
            return Err(Stop::Incomplete);
        };
        let rest = input.get(word.len()..).unwrap_or_default();
        return match (protocol, next) {
            // §2.1: after UNKNOWN everything up to the CRLF is ignored.
            (Protocol::Unknown, b' ' | b'\r') => Ok((rest, protocol)),
            (Protocol::Unknown, b'\n') => Err(Error::V1ExpectedCrlf.into()),
            (_, b'\r' | b'\n') => Err(Error::V1MissingField.into()),
            _ => Err(Error::V1UnknownProtocol.into()),
        };
    }
    Err(Error::V1UnknownProtocol.into())
}

/// After `UNKNOWN`, everything up to the first CRLF is ignored (§2.1),
/// lone CRs included.
#[inline(always)]
fn rest_of_line(input: &[u8]) -> Step<'_, ()> {
    match input.windows(2).position(|w| matches!(w, [b'\r', b'\n'])) {
        Some(at) => Ok((input.get(at + 2..).unwrap_or_default(), ())),
        None => Err(Stop::Incomplete),
    }
}

#[inline(always)]
fn crlf(input: &[u8]) -> Step<'_, ()> {
    match input {
        [b'\r', b'\n', rest @ ..] => Ok((rest, ())),
        [] | [b'\r'] => Err(Stop::Incomplete),
        _ => Err(Error::V1ExpectedCrlf.into()),
    }
}

/// `SRC SP DST SP SPORT SP DPORT CRLF`, given the address scanner.
#[allow(clippy::type_complexity)] // the four fields of the line, in order
#[inline(always)]
fn addresses<A>(
    input: &[u8],
    address: impl Fn(&[u8]) -> Step<'_, A> + Copy,
) -> Step<'_, (A, A, u16, u16)> {
    let (input, source) = field(input, address)?;
    let (input, destination) = field(input, address)?;
    let (input, sport) = field(input, port)?;
    let (input, dport) = dst_port(input)?;
    let (input, ()) = crlf(input)?;
    Ok((input, (source, destination, sport, dport)))
}

/// One field and the single space after it.
#[inline(always)]
fn field<T>(input: &[u8], scan: impl Fn(&[u8]) -> Step<'_, T>) -> Step<'_, T> {
    field_start(input)?;
    let (rest, value) = scan(input)?;
    match rest.first() {
        Some(b' ') => Ok((rest.get(1..).unwrap_or_default(), value)),
        // Scanners return only at a byte they cannot take, so one is there.
        _ => Err(Stop::Incomplete),
    }
}

#[inline(always)]
fn dst_port(input: &[u8]) -> Step<'_, u16> {
    field_start(input)?;
    // Whatever follows the digits is the line's end, checked by `crlf`.
    match scan::port(input) {
        Ok((value, len)) => Ok((input.get(len..).unwrap_or_default(), value)),
        Err(halt) => Err(halted(halt, Error::V1InvalidPort)),
    }
}

/// A field may not start with a space (two in a row) or with the line's end.
#[inline(always)]
fn field_start(input: &[u8]) -> Result<(), Stop> {
    match input.first() {
        None => Err(Stop::Incomplete),
        Some(b' ') => Err(Error::V1ExtraSpace.into()),
        Some(b'\r' | b'\n') => Err(Error::V1MissingField.into()),
        Some(_) => Ok(()),
    }
}

/// Maps a scanner's result to a step; a field must end in a space.
#[inline(always)]
fn terminated<T>(input: &[u8], scanned: Result<(T, usize), Halt>, invalid: Error) -> Step<'_, T> {
    match scanned {
        Ok((value, len)) => match input.get(len) {
            Some(b' ') => Ok((input.get(len..).unwrap_or_default(), value)),
            Some(b'\r' | b'\n') => Err(Error::V1MissingField.into()),
            Some(_) => Err(invalid.into()),
            None => Err(Stop::Incomplete),
        },
        Err(halt) => Err(halted(halt, invalid)),
    }
}

/// Where a scanner halted, in the parser's terms: `invalid` is the rule of
/// the field it was scanning.
#[inline(always)]
fn halted(halt: Halt, invalid: Error) -> Stop {
    match halt {
        Halt::Incomplete => Stop::Incomplete,
        Halt::At(_) => Stop::Invalid(invalid),
        Halt::Ipv4InIpv6 => Stop::Invalid(Error::V1FamilyMismatch),
    }
}

#[inline(always)]
fn ipv4(input: &[u8]) -> Step<'_, Ipv4Addr> {
    let scanned = scan::ipv4(input);
    // A colon in a TCP4 address means an IPv6 address (or a port glued on).
    if let Err(Halt::At(at)) | Ok((_, at)) = scanned
        && input.get(at) == Some(&b':')
    {
        return Err(Error::V1FamilyMismatch.into());
    }
    terminated(input, scanned, Error::V1InvalidIpv4)
}

#[inline(always)]
fn ipv6(input: &[u8]) -> Step<'_, Ipv6Addr> {
    terminated(input, scan::ipv6(input), Error::V1InvalidIpv6)
}

#[inline(always)]
fn port(input: &[u8]) -> Step<'_, u16> {
    terminated(input, scan::port(input), Error::V1InvalidPort)
}
