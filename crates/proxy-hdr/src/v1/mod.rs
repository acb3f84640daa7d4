//! The v1 text header (§2.1): `PROXY TCP4|TCP6|UNKNOWN ...\r\n`.

mod text;

use core::fmt;
use core::net::{SocketAddrV4, SocketAddrV6};
use core::num::NonZeroUsize;

use crate::parser::{PResult, fail, incomplete, signature};
use crate::{Error, Status, WriteError};
use text::Stop;

/// The longest v1 line, CRLF included (§2.1: the `UNKNOWN` worst case).
pub const MAX_LEN: usize = 107;

/// The shortest v1 line: `PROXY UNKNOWN\r\n`.
pub const MIN_LEN: usize = 15;

/// A parsed v1 header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Header {
    /// `TCP4`: a TCP connection over IPv4.
    Tcp4 {
        /// The client's address, as the proxy saw it.
        source: SocketAddrV4,
        /// The address the client connected to.
        destination: SocketAddrV4,
    },
    /// `TCP6`: a TCP connection over IPv6.
    Tcp6 {
        /// The client's address, as the proxy saw it.
        source: SocketAddrV6,
        /// The address the client connected to.
        destination: SocketAddrV6,
    },
    /// `UNKNOWN`: the proxy does not know the addresses; use the socket's.
    Unknown,
}

/// Parses a v1 header at the start of `buf`.
///
/// Only the first [`MAX_LEN`] bytes are ever examined. A line that needs
/// more is [`Error::V1LineTooLong`]; a shorter valid prefix is incomplete.
#[inline]
pub fn parse(buf: &[u8]) -> Result<Status<Header>, Error> {
    parse_into(buf, |header| header)
}

/// [`parse`], with the header wrapped by `wrap` where it is built (see
/// `v2::parse_into`).
#[inline(always)]
pub(crate) fn parse_into<H>(
    buf: &[u8],
    wrap: impl FnOnce(Header) -> H,
) -> Result<Status<H>, Error> {
    let window = buf.get(..MAX_LEN).unwrap_or(buf);
    match line(window) {
        Ok((rest, header)) => {
            Ok(Status::Complete { header: wrap(header), len: window.len() - rest.len() })
        }
        Err(nom::Err::Incomplete(_)) if window.len() == MAX_LEN => Err(Error::V1LineTooLong),
        Err(nom::Err::Incomplete(_)) => {
            Ok(Status::Incomplete { needed: NonZeroUsize::new(MIN_LEN.saturating_sub(buf.len())) })
        }
        Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Err(e.0),
    }
}

#[derive(Clone, Copy)]
enum Protocol {
    Tcp4,
    Tcp6,
    Unknown,
}

fn line(input: &[u8]) -> PResult<'_, Header> {
    let (input, _) = signature(input, b"PROXY ")?;
    let (input, protocol) = protocol(input)?;
    match protocol {
        Protocol::Unknown => {
            let (input, _) = rest_of_line(input)?;
            Ok((input, Header::Unknown))
        }
        Protocol::Tcp4 => {
            let (input, (source, destination, sport, dport)) = fields(input, ipv4)?;
            let header = Header::Tcp4 {
                source: SocketAddrV4::new(source, sport),
                destination: SocketAddrV4::new(destination, dport),
            };
            Ok((input, header))
        }
        Protocol::Tcp6 => {
            let (input, (source, destination, sport, dport)) = fields(input, ipv6)?;
            let header = Header::Tcp6 {
                source: SocketAddrV6::new(source, sport, 0, 0),
                destination: SocketAddrV6::new(destination, dport, 0, 0),
            };
            Ok((input, header))
        }
    }
}

/// `TCP4 `, `TCP6 ` or `UNKNOWN` followed by a space or CR.
fn protocol(input: &[u8]) -> PResult<'_, Protocol> {
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
            return Err(incomplete());
        };
        let rest = input.get(word.len()..).unwrap_or_default();
        return match (protocol, next) {
            // §2.1: after UNKNOWN everything up to the CRLF is ignored.
            (Protocol::Unknown, b' ' | b'\r') => Ok((rest, protocol)),
            (Protocol::Unknown, b'\n') => Err(fail(Error::V1ExpectedCrlf)),
            (_, b'\r' | b'\n') => Err(fail(Error::V1MissingField)),
            _ => Err(fail(Error::V1UnknownProtocol)),
        };
    }
    Err(fail(Error::V1UnknownProtocol))
}

/// After `UNKNOWN`, everything up to the first CRLF is ignored (§2.1),
/// lone CRs included.
fn rest_of_line(input: &[u8]) -> PResult<'_, ()> {
    match input.windows(2).position(|w| matches!(w, [b'\r', b'\n'])) {
        Some(at) => Ok((input.get(at + 2..).unwrap_or_default(), ())),
        None => Err(incomplete()),
    }
}

fn crlf(input: &[u8]) -> PResult<'_, ()> {
    match input {
        [b'\r', b'\n', rest @ ..] => Ok((rest, ())),
        [] | [b'\r'] => Err(incomplete()),
        _ => Err(fail(Error::V1ExpectedCrlf)),
    }
}

/// `SRC SP DST SP SPORT SP DPORT CRLF`, given the address scanner.
#[allow(clippy::type_complexity)] // the four fields of the line, in order
fn fields<A>(
    input: &[u8],
    address: impl Fn(&[u8]) -> PResult<'_, A> + Copy,
) -> PResult<'_, (A, A, u16, u16)> {
    let (input, source) = field(input, address)?;
    let (input, destination) = field(input, address)?;
    let (input, sport) = field(input, port)?;
    let (input, dport) = dst_port(input)?;
    let (input, _) = crlf(input)?;
    Ok((input, (source, destination, sport, dport)))
}

/// One field and the single space after it.
fn field<T>(input: &[u8], scan: impl Fn(&[u8]) -> PResult<'_, T>) -> PResult<'_, T> {
    field_start(input)?;
    let (rest, value) = scan(input)?;
    match rest.first() {
        Some(b' ') => Ok((rest.get(1..).unwrap_or_default(), value)),
        // Scanners return only at a byte they cannot take, so one is there.
        _ => Err(incomplete()),
    }
}

fn dst_port(input: &[u8]) -> PResult<'_, u16> {
    field_start(input)?;
    // Whatever follows the digits is the line's end, checked by `crlf`.
    match text::port(input) {
        Ok((value, len)) => Ok((input.get(len..).unwrap_or_default(), value)),
        Err(stop) => Err(stopped(stop, Error::V1InvalidPort)),
    }
}

/// A field may not start with a space (two in a row) or with the line's end.
fn field_start(input: &[u8]) -> PResult<'_, ()> {
    match input.first() {
        None => Err(incomplete()),
        Some(b' ') => Err(fail(Error::V1ExtraSpace)),
        Some(b'\r' | b'\n') => Err(fail(Error::V1MissingField)),
        Some(_) => Ok((input, ())),
    }
}

/// Maps a scanner stop to the field's error; a field must end in a space.
fn terminated<T>(
    input: &[u8],
    scanned: Result<(T, usize), Stop>,
    invalid: Error,
) -> PResult<'_, T> {
    match scanned {
        Ok((value, len)) => match input.get(len) {
            Some(b' ') => Ok((input.get(len..).unwrap_or_default(), value)),
            Some(b'\r' | b'\n') => Err(fail(Error::V1MissingField)),
            Some(_) => Err(stopped(Stop::At(len), invalid)),
            None => Err(incomplete()),
        },
        Err(stop) => Err(stopped(stop, invalid)),
    }
}

fn stopped(stop: Stop, invalid: Error) -> nom::Err<crate::parser::Fail> {
    match stop {
        Stop::Incomplete => incomplete(),
        Stop::At(_) => fail(invalid),
        Stop::Ipv4InIpv6 => fail(Error::V1FamilyMismatch),
    }
}

fn ipv4(input: &[u8]) -> PResult<'_, core::net::Ipv4Addr> {
    let scanned = text::ipv4(input);
    // A colon in a TCP4 address means an IPv6 address (or a port glued on).
    if let Err(Stop::At(at)) | Ok((_, at)) = scanned
        && input.get(at) == Some(&b':')
    {
        return Err(fail(Error::V1FamilyMismatch));
    }
    terminated(input, scanned, Error::V1InvalidIpv4)
}

fn ipv6(input: &[u8]) -> PResult<'_, core::net::Ipv6Addr> {
    terminated(input, text::ipv6(input), Error::V1InvalidIpv6)
}

fn port(input: &[u8]) -> PResult<'_, u16> {
    terminated(input, text::port(input), Error::V1InvalidPort)
}

impl Header {
    /// The length of the line [`write`](Self::write) produces.
    pub fn encoded_len(&self) -> usize {
        let mut counter = Counter(0);
        // Counting cannot fail.
        let _ = self.emit(&mut counter);
        counter.0
    }

    /// Writes the line into `out` and returns its length. On error `out` is
    /// left untouched.
    pub fn write(&self, out: &mut [u8]) -> Result<usize, WriteError> {
        let needed = self.encoded_len();
        let Some(dst) = out.get_mut(..needed) else {
            return Err(WriteError::BufferTooSmall { needed });
        };
        let mut cursor = Cursor { buf: dst, pos: 0 };
        self.emit(&mut cursor).map_err(|_| WriteError::BufferTooSmall { needed })?;
        Ok(cursor.pos)
    }

    fn emit(&self, w: &mut impl fmt::Write) -> fmt::Result {
        match self {
            Header::Tcp4 { source, destination } => write!(
                w,
                "PROXY TCP4 {} {} {} {}\r\n",
                source.ip(),
                destination.ip(),
                source.port(),
                destination.port()
            ),
            // `Ipv6Addr`'s Display is the RFC 5952 form our parser accepts.
            Header::Tcp6 { source, destination } => write!(
                w,
                "PROXY TCP6 {} {} {} {}\r\n",
                source.ip(),
                destination.ip(),
                source.port(),
                destination.port()
            ),
            Header::Unknown => w.write_str("PROXY UNKNOWN\r\n"),
        }
    }
}

struct Counter(usize);

impl fmt::Write for Counter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0 += s.len();
        Ok(())
    }
}

struct Cursor<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl fmt::Write for Cursor<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.pos + s.len();
        let dst = self.buf.get_mut(self.pos..end).ok_or(fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.pos = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(line: &str) -> Result<Status<Header>, Error> {
        parse(line.as_bytes())
    }

    #[test]
    fn accepts() {
        let cases: &[(&str, Header)] = &[
            (
                "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n",
                Header::Tcp4 {
                    source: "192.168.0.1:56324".parse().unwrap(),
                    destination: "192.168.0.11:443".parse().unwrap(),
                },
            ),
            (
                "PROXY TCP6 ::ffff:192.0.2.1 2001:db8::1 0 65535\r\n",
                Header::Tcp6 {
                    source: "[::ffff:192.0.2.1]:0".parse().unwrap(),
                    destination: "[2001:db8::1]:65535".parse().unwrap(),
                },
            ),
            ("PROXY UNKNOWN\r\n", Header::Unknown),
            ("PROXY UNKNOWN ffff::1 ::1 65535 65535\r\n", Header::Unknown),
            ("PROXY UNKNOWN \r garbage\r\n", Header::Unknown),
        ];
        for (line, want) in cases {
            let got = header(line);
            assert_eq!(got, Ok(Status::Complete { header: *want, len: line.len() }), "{line:?}");
        }
    }

    #[test]
    fn rejects_with_the_rule_broken() {
        use Error::*;
        let cases: &[(&str, Error)] = &[
            ("proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n", NotProxy),
            ("PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n", V1UnknownProtocol),
            ("PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n", V1UnknownProtocol),
            ("PROXY TCP44 1.2.3.4 5.6.7.8 1 2\r\n", V1UnknownProtocol),
            ("PROXY UNKNOWNX\r\n", V1UnknownProtocol),
            ("PROXY TCP4\r\n", V1MissingField),
            ("PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n", V1ExtraSpace),
            ("PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n", V1ExtraSpace),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 1  2\r\n", V1ExtraSpace),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", V1MissingField),
            ("PROXY TCP4 1.2.3.4\r\n", V1MissingField),
            ("PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n", V1InvalidIpv4),
            ("PROXY TCP4 1.2.3.04 5.6.7.8 1 2\r\n", V1InvalidIpv4),
            ("PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n", V1InvalidIpv4),
            ("PROXY TCP4 ::1 ::1 1 2\r\n", V1FamilyMismatch),
            ("PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n", V1FamilyMismatch),
            ("PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n", V1InvalidIpv6),
            ("PROXY TCP6 1::2::3 ::1 1 2\r\n", V1InvalidIpv6),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n", V1InvalidPort),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 +1 2\r\n", V1InvalidPort),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n", V1InvalidPort),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n", V1ExpectedCrlf),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", V1ExpectedCrlf),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX", V1ExpectedCrlf),
        ];
        for (line, want) in cases {
            assert_eq!(header(line), Err(*want), "{line:?}");
        }
    }

    #[test]
    fn line_length_bound() {
        // The §2.1 worst case is exactly 107 bytes and is accepted.
        let worst = "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff \
                     ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
        assert_eq!(worst.len(), MAX_LEN);
        assert!(header(worst).is_ok_and(|s| s.is_complete()));
        // One byte more and the CRLF falls outside the window.
        let long = worst.replacen("UNKNOWN", "UNKNOWN ", 1);
        assert_eq!(header(&long), Err(Error::V1LineTooLong));
        // 106 bytes without CRLF are still a valid prefix.
        assert!(matches!(header(&long[..106]), Ok(Status::Incomplete { .. })));
    }

    /// Every prefix of a line is incomplete until the byte that decides it,
    /// then gives the same answer as the whole input.
    #[test]
    fn prefixes_agree_with_the_whole() {
        let lines = [
            "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\nGET /",
            "PROXY TCP6 2001:db8::1 ::ffff:10.0.0.1 1 2\r\n",
            "PROXY TCP4 1.2.3.400 5.6.7.8 1 2\r\n",
            "PROXY UNKNOWN x\r\n",
        ];
        for line in lines {
            let whole = header(line);
            let mut decided = false;
            for end in 0..=line.len() {
                let got = header(&line[..end]);
                if decided {
                    assert_eq!(got, whole, "{line:?} at {end}");
                } else if got != whole {
                    assert!(matches!(got, Ok(Status::Incomplete { .. })), "{line:?} at {end}");
                } else {
                    decided = true;
                }
            }
            assert!(decided);
        }
    }

    #[test]
    fn write_round_trips() {
        for line in [
            "PROXY TCP4 0.0.0.0 255.255.255.255 0 65535\r\n",
            "PROXY TCP6 2001:db8::8:800:200c:417a ::ffff:192.0.2.1 443 8443\r\n",
            "PROXY UNKNOWN\r\n",
        ] {
            let Ok(Status::Complete { header, .. }) = header(line) else { panic!("{line}") };
            let mut out = [0u8; MAX_LEN];
            assert_eq!(header.encoded_len(), line.len());
            assert_eq!(header.write(&mut out), Ok(line.len()));
            assert_eq!(&out[..line.len()], line.as_bytes());
            let mut small = [7u8; MAX_LEN];
            assert!(header.write(&mut small[..line.len() - 1]).is_err());
            assert_eq!(small, [7u8; MAX_LEN], "untouched on error");
        }
    }
}
