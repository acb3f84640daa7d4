//! The v1 text header (§2.1): `PROXY TCP4|TCP6|UNKNOWN ...\r\n`.

mod parse;
mod scan;

pub(crate) use parse::line;
pub use parse::parse;

use core::fmt;
use core::net::{SocketAddr, SocketAddrV4, SocketAddrV6};

use crate::ip_block::IpBlock;
use crate::{Addresses, WriteError};

/// The longest v1 line, CRLF included (§2.1: the `UNKNOWN` worst case).
pub const MAX_LEN: usize = 107;

/// The shortest v1 line: `PROXY UNKNOWN\r\n`.
pub const MIN_LEN: usize = 15;

/// A v1 header: `TCP4` or `TCP6` with two addresses, or `UNKNOWN`.
///
/// Only the address and port travel: an IPv6 address's flow label and
/// scope id are not sent, so a header drops them when it is built.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header(Option<IpBlock>);

impl Header {
    /// `UNKNOWN`: the proxy does not know the addresses; use the socket's.
    pub const UNKNOWN: Header = Header(None);

    /// `TCP4`: a TCP connection over IPv4.
    pub const fn tcp4(source: SocketAddrV4, destination: SocketAddrV4) -> Self {
        Header(Some(IpBlock::v4(source, destination)))
    }

    /// `TCP6`: a TCP connection over IPv6.
    pub const fn tcp6(source: SocketAddrV6, destination: SocketAddrV6) -> Self {
        Header(Some(IpBlock::v6(source, destination)))
    }

    /// True for `UNKNOWN`.
    pub const fn is_unknown(&self) -> bool {
        self.0.is_none()
    }

    /// The addresses, for `TCP4` and `TCP6`.
    #[inline]
    pub const fn addresses(&self) -> Option<Addresses<'static>> {
        match self.0 {
            Some(ip) => Some(ip.addresses()),
            None => None,
        }
    }

    /// The client's address and port, for `TCP4` and `TCP6`.
    #[inline]
    pub const fn source(&self) -> Option<SocketAddr> {
        match self.0 {
            Some(ip) => Some(ip.source()),
            None => None,
        }
    }

    /// The address the client connected to, for `TCP4` and `TCP6`.
    #[inline]
    pub const fn destination(&self) -> Option<SocketAddr> {
        match self.0 {
            Some(ip) => Some(ip.destination()),
            None => None,
        }
    }

    /// The line for TCP `addresses`; `None` for unix sockets, which v1
    /// cannot carry.
    pub const fn from_addresses(addresses: Addresses<'_>) -> Option<Self> {
        match IpBlock::new(addresses) {
            Some(ip) => Some(Header(Some(ip))),
            None => None,
        }
    }

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
        // `Ipv6Addr`'s Display is the RFC 5952 form our parser accepts.
        let (word, source, destination) = match self.addresses() {
            Some(Addresses::Inet { source, destination }) => {
                ("TCP4", SocketAddr::V4(source), SocketAddr::V4(destination))
            }
            Some(Addresses::Inet6 { source, destination }) => {
                ("TCP6", SocketAddr::V6(source), SocketAddr::V6(destination))
            }
            _ => return w.write_str("PROXY UNKNOWN\r\n"),
        };
        let (s, d) = (source.ip(), destination.ip());
        write!(w, "PROXY {word} {s} {d} {} {}\r\n", source.port(), destination.port())
    }
}

impl fmt::Debug for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.addresses() {
            Some(Addresses::Inet { source, destination }) => f
                .debug_struct("Tcp4")
                .field("source", &source)
                .field("destination", &destination)
                .finish(),
            Some(Addresses::Inet6 { source, destination }) => f
                .debug_struct("Tcp6")
                .field("source", &source)
                .field("destination", &destination)
                .finish(),
            _ => f.write_str("Unknown"),
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
    use crate::{Error, Status};

    fn header(line: &str) -> Result<Status<Header>, Error> {
        parse(line.as_bytes())
    }

    #[test]
    fn accepts() {
        let cases: &[(&str, Header)] = &[
            (
                "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n",
                Header::tcp4(
                    "192.168.0.1:56324".parse().unwrap(),
                    "192.168.0.11:443".parse().unwrap(),
                ),
            ),
            (
                "PROXY TCP6 ::ffff:192.0.2.1 2001:db8::1 0 65535\r\n",
                Header::tcp6(
                    "[::ffff:192.0.2.1]:0".parse().unwrap(),
                    "[2001:db8::1]:65535".parse().unwrap(),
                ),
            ),
            ("PROXY UNKNOWN\r\n", Header::UNKNOWN),
            ("PROXY UNKNOWN ffff::1 ::1 65535 65535\r\n", Header::UNKNOWN),
            ("PROXY UNKNOWN \r garbage\r\n", Header::UNKNOWN),
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

    /// Neither a flow label nor a scope id travels, so a header built with
    /// them drops them and equals the header read back.
    #[test]
    fn a_built_header_equals_its_parse() {
        use core::net::Ipv6Addr;
        let with = |flow, scope| {
            let ip = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
            (
                SocketAddrV6::new(ip, 443, flow, scope),
                SocketAddrV6::new(Ipv6Addr::LOCALHOST, 80, flow, scope),
            )
        };
        let (s, d) = with(9, 2);
        let built = Header::tcp6(s, d);
        let mut out = [0u8; MAX_LEN];
        let len = built.write(&mut out).unwrap();
        assert_eq!(
            header(core::str::from_utf8(&out[..len]).unwrap()),
            Ok(Status::Complete { header: built, len })
        );
        let (s0, d0) = with(0, 0);
        assert_eq!(built.addresses(), Some(Addresses::Inet6 { source: s0, destination: d0 }));
        assert_eq!(built.source(), Some(SocketAddr::V6(s0)));
        assert_eq!(built.destination(), Some(SocketAddr::V6(d0)));
        assert!(!built.is_unknown() && Header::UNKNOWN.is_unknown());
        assert_eq!(Header::UNKNOWN.source(), None);
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
