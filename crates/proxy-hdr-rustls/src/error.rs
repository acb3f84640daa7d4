//! Which stage failed: the PROXY header or the TLS handshake. The two are
//! never confused, because rustls only ever sees the bytes after a header
//! the driver accepted.

use std::fmt;
use std::io;

pub use proxy_hdr_io::Stage;

/// Why accepting a connection failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// Reading the PROXY header failed: which rule was broken, an untrusted
    /// peer, ... (never a timeout: that is [`Error::TimedOut`]; never a
    /// missing header: that is [`Error::NotProxy`]).
    Proxy(proxy_hdr_io::Error<io::Error>),
    /// A header is required and the connection started with something else:
    /// its first bytes (at most `proxy_hdr_io::DIAGNOSIS_LEN`), which the
    /// message describes (a direct TLS client and its SNI, an HTTP request).
    NotProxy {
        /// The bytes that arrived.
        first: Vec<u8>,
    },
    /// The connection's setup deadline (or the header's own, inside it)
    /// passed in `stage`.
    TimedOut {
        /// Where the connection stalled.
        stage: Stage,
    },
    /// The TLS handshake failed (rustls's own error).
    Tls(rustls::Error),
    /// The socket failed during the TLS handshake.
    Io(io::Error),
    /// `accept_lazy`'s chooser refused the connection.
    Refused(io::Error),
}

impl Error {
    /// Splits an I/O error from the handshake into rustls's error, when it
    /// wraps one, a timeout, or a plain I/O error.
    pub(crate) fn from_handshake(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::TimedOut {
            return Error::TimedOut { stage: Stage::Handshake };
        }
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

    /// A header-stage failure, with its timeout reported as the stage's.
    pub(crate) fn from_header(e: proxy_hdr_io::Error<io::Error>, buf: &[u8]) -> Self {
        match e {
            proxy_hdr_io::Error::TimedOut { .. } => Error::TimedOut { stage: Stage::Header },
            proxy_hdr_io::Error::NotProxy { received } => Error::NotProxy {
                first: buf
                    .get(..received.min(proxy_hdr_io::DIAGNOSIS_LEN))
                    .unwrap_or_default()
                    .to_vec(),
            },
            e => Error::Proxy(e),
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
            Error::Tls(_) | Error::TimedOut { .. } | Error::Refused(_) | Error::NotProxy { .. } => {
                false
            }
        }
    }

    /// The stage that failed.
    pub fn stage(&self) -> Stage {
        match self {
            Error::Proxy(_) | Error::NotProxy { .. } | Error::TimedOut { stage: Stage::Header } => {
                Stage::Header
            }
            _ => Stage::Handshake,
        }
    }

    /// True when the PROXY header stage failed.
    pub fn is_proxy(&self) -> bool {
        self.stage() == Stage::Header
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Proxy(e) => write!(f, "PROXY header stage: {e}"),
            Error::NotProxy { first } => {
                write!(f, "PROXY header stage: {}", proxy_hdr_io::MissingHeader(first))
            }
            Error::TimedOut { stage } => write!(f, "connection setup timed out in {stage}"),
            Error::Tls(e) => write!(f, "TLS handshake stage: {e}"),
            Error::Io(e) => write!(f, "TLS handshake stage: I/O error: {e}"),
            Error::Refused(e) => {
                write!(f, "TLS handshake stage: refused by the config chooser: {e}")
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Proxy(e) => Some(e),
            Error::Tls(e) => Some(e),
            Error::Io(e) | Error::Refused(e) => Some(e),
            Error::TimedOut { .. } | Error::NotProxy { .. } => None,
        }
    }
}

impl From<Error> for io::Error {
    fn from(e: Error) -> Self {
        match e {
            Error::Proxy(p) => p.into(),
            Error::Io(e) => e,
            Error::TimedOut { .. } => io::Error::new(io::ErrorKind::TimedOut, e),
            Error::NotProxy { .. } => io::Error::new(io::ErrorKind::InvalidData, e),
            Error::Refused(_) => io::Error::new(io::ErrorKind::PermissionDenied, e),
            tls => io::Error::new(io::ErrorKind::InvalidData, tls),
        }
    }
}
