//! Which stage failed: the PROXY header or the TLS handshake. The two are
//! never confused, because rustls only ever sees the bytes after a header
//! the driver accepted.

use std::fmt;
use std::io;

/// Why accepting a connection failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// Reading the PROXY header failed: which rule was broken, a timeout, an
    /// untrusted peer, a missing header under `Require`, ...
    Proxy(proxy_hdr_io::Error<io::Error>),
    /// The TLS handshake failed (rustls's own error).
    Tls(rustls::Error),
    /// The socket failed during the TLS handshake.
    Io(io::Error),
    /// The header's TLVs do not fit the owned copy kept for the connection.
    HeaderCapacity(proxy_hdr::CapacityError),
}

impl Error {
    /// Splits an I/O error from the handshake into rustls's error, when it
    /// wraps one, or a plain I/O error.
    pub(crate) fn from_handshake(e: io::Error) -> Self {
        let is_tls = e.get_ref().is_some_and(|inner| inner.is::<rustls::Error>());
        if !is_tls {
            return Error::Io(e);
        }
        match e.into_inner().map(|inner| inner.downcast::<rustls::Error>()) {
            Some(Ok(tls)) => Error::Tls(*tls),
            Some(Err(other)) => Error::Io(io::Error::other(other)),
            None => Error::Io(io::Error::other("TLS handshake failed")),
        }
    }

    /// True when the peer closed or reset the connection before the
    /// handshake finished, at either stage: what a load balancer's health
    /// check does (a LOCAL header, or nothing, then a close), so a server can
    /// log it quietly instead of as a refusal.
    pub fn is_disconnect(&self) -> bool {
        match self {
            Error::Proxy(e) => e.is_disconnect(),
            Error::Io(e) => proxy_hdr_io::is_disconnect_kind(e.kind()),
            Error::Tls(_) | Error::HeaderCapacity(_) => false,
        }
    }

    /// True when the PROXY header stage failed.
    pub fn is_proxy(&self) -> bool {
        matches!(self, Error::Proxy(_) | Error::HeaderCapacity(_))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Proxy(e) => write!(f, "PROXY header stage: {e}"),
            Error::Tls(e) => write!(f, "TLS handshake stage: {e}"),
            Error::Io(e) => write!(f, "TLS handshake stage: I/O error: {e}"),
            Error::HeaderCapacity(e) => write!(f, "PROXY header stage: {e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Proxy(e) => Some(e),
            Error::Tls(e) => Some(e),
            Error::Io(e) => Some(e),
            Error::HeaderCapacity(e) => Some(e),
        }
    }
}

impl From<proxy_hdr_io::Error<io::Error>> for Error {
    fn from(e: proxy_hdr_io::Error<io::Error>) -> Self {
        Error::Proxy(e)
    }
}

impl From<Error> for io::Error {
    fn from(e: Error) -> Self {
        match e {
            Error::Proxy(p) => p.into(),
            Error::Io(e) => e,
            tls => io::Error::new(io::ErrorKind::InvalidData, tls),
        }
    }
}
