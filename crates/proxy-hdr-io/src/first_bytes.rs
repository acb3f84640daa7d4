//! What a connection that should have started with a PROXY header started
//! with instead, told from its first bytes, for a log line that names the
//! misconfiguration.

use core::fmt;

use proxy_hdr::Escaped;

/// The protocol the first bytes of a connection look like.
///
/// `Display` says what arrived, with every byte the peer chose escaped:
/// ```
/// use proxy_hdr_io::FirstBytes;
/// let http = FirstBytes::of(b"GET /admin\r\nHTTP/1.1\r\n");
/// assert_eq!(http.to_string(), "an HTTP request (GET /admin)");
/// assert_eq!(FirstBytes::of(b"SSH-2.0-OpenSSH_9.6\r\n").to_string(), "an SSH banner (SSH-2.0-OpenSSH_9.6)");
/// assert_eq!(FirstBytes::of(b"\x00\x01\xff").to_string(), "bytes 00 01 ff");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstBytes<'a> {
    /// A TLS handshake record: a client speaking TLS directly.
    TlsClientHello {
        /// The server name it asked for, when the ClientHello is whole
        /// enough to read it.
        sni: Option<&'a [u8]>,
    },
    /// An HTTP/1 request line.
    Http {
        /// The method.
        method: &'a [u8],
        /// The request target, cut at 64 bytes.
        target: &'a [u8],
    },
    /// An HTTP/2 connection preface.
    Http2,
    /// An SSH banner.
    Ssh {
        /// The banner line, cut at 64 bytes.
        banner: &'a [u8],
    },
    /// Something else: the first bytes.
    Other(&'a [u8]),
}

const METHODS: [&[u8]; 9] =
    [b"GET", b"POST", b"PUT", b"HEAD", b"DELETE", b"OPTIONS", b"PATCH", b"CONNECT", b"TRACE"];

impl<'a> FirstBytes<'a> {
    /// Classifies `bytes`, the start of a connection.
    pub fn of(bytes: &'a [u8]) -> Self {
        if let [0x16, 0x03, _, ..] = bytes {
            return FirstBytes::TlsClientHello { sni: sni(bytes) };
        }
        if bytes.starts_with(b"PRI * HTTP/2.0") {
            return FirstBytes::Http2;
        }
        if bytes.starts_with(b"SSH-") {
            return FirstBytes::Ssh { banner: cut(line(bytes), 64) };
        }
        if let Some((method, rest)) = split_word(bytes)
            && METHODS.contains(&method)
        {
            let target = split_word(rest).map_or(line(rest), |(target, _)| target);
            return FirstBytes::Http { method, target: cut(target, 64) };
        }
        FirstBytes::Other(cut(bytes, 16))
    }
}

fn cut(bytes: &[u8], max: usize) -> &[u8] {
    bytes.get(..max).unwrap_or(bytes)
}

fn line(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().position(|&b| b == b'\r' || b == b'\n').unwrap_or(bytes.len());
    bytes.get(..end).unwrap_or_default()
}

fn split_word(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let at = bytes.iter().position(|&b| b == b' ')?;
    Some((bytes.get(..at)?, bytes.get(at + 1..)?))
}

/// The SNI host name of a ClientHello (RFC 8446 §4.1.2, RFC 6066 §3), read
/// with bounds checks only: `None` when any part is missing or malformed.
fn sni(record: &[u8]) -> Option<&[u8]> {
    let mut r = Reader(record);
    r.skip(5)?; // record header
    let [1] = r.take(1)? else { return None }; // ClientHello
    r.skip(3 + 2 + 32)?; // length, version, random
    let session = r.byte()?;
    r.skip(usize::from(session))?;
    let suites = r.u16()?;
    r.skip(usize::from(suites))?;
    let compressions = r.byte()?;
    r.skip(usize::from(compressions))?;
    let mut extensions = r.framed()?;
    while let (Some(kind), Some(len)) = (extensions.u16(), extensions.u16()) {
        let body = extensions.take(usize::from(len))?;
        if kind == 0 {
            let mut names = Reader(body).framed()?;
            while let Some(name_type) = names.byte() {
                let name = names.framed()?.0;
                if name_type == 0 {
                    return Some(name);
                }
            }
            return None;
        }
    }
    None
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }
    fn skip(&mut self, n: usize) -> Option<()> {
        self.take(n).map(|_| ())
    }
    fn byte(&mut self) -> Option<u8> {
        self.take(1)?.first().copied()
    }
    /// A part prefixed by its 16-bit length.
    fn framed(&mut self) -> Option<Reader<'a>> {
        let len = self.u16()?;
        self.take(usize::from(len)).map(Reader)
    }
    fn u16(&mut self) -> Option<u16> {
        let b = self.take(2)?;
        Some(u16::from_be_bytes([*b.first()?, *b.get(1)?]))
    }
}

impl fmt::Display for FirstBytes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FirstBytes::TlsClientHello { sni: Some(sni) } => {
                write!(f, "a TLS ClientHello (SNI {})", Escaped(sni))
            }
            FirstBytes::TlsClientHello { sni: None } => f.write_str("a TLS ClientHello"),
            FirstBytes::Http { method, target } => {
                write!(f, "an HTTP request ({} {})", Escaped(method), Escaped(target))
            }
            FirstBytes::Http2 => f.write_str("an HTTP/2 connection preface"),
            FirstBytes::Ssh { banner } => write!(f, "an SSH banner ({})", Escaped(banner)),
            FirstBytes::Other([]) => f.write_str("nothing"),
            FirstBytes::Other(bytes) => {
                f.write_str("bytes")?;
                for b in *bytes {
                    write!(f, " {b:02x}")?;
                }
                Ok(())
            }
        }
    }
}

/// How many of a connection's first bytes are worth keeping for a
/// [`MissingHeader`] diagnosis: a whole ClientHello's SNI is in them.
pub const DIAGNOSIS_LEN: usize = 512;

/// Why a connection that had to start with a PROXY header did not, as one
/// sentence for a log: what it started with (escaped) and what to change.
///
/// ```
/// use proxy_hdr_io::MissingHeader;
/// let line = MissingHeader(b"GET / HTTP/1.1\r\n").to_string();
/// assert!(line.starts_with("no PROXY header, and one is required: the connection starts with an HTTP request (GET /)."));
/// assert!(line.contains("frp transport.proxyProtocolVersion"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MissingHeader<'a>(pub &'a [u8]);

impl fmt::Display for MissingHeader<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "no PROXY header, and one is required: the connection starts with {}. The proxy in \
             front is not sending the PROXY protocol (frp transport.proxyProtocolVersion, HAProxy \
             send-proxy or send-proxy-v2, nginx proxy_protocol on), or the client bypassed the \
             proxy",
            FirstBytes::of(self.0)
        )
    }
}
