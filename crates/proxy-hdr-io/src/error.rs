//! Why a header could not be read, generic over the stream's own error.

use core::fmt;
use core::net::IpAddr;

/// Why reading a PROXY header failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error<E> {
    /// The stream failed.
    Io(E),
    /// The deadline passed before the header was whole.
    TimedOut {
        /// Bytes received by then.
        received: usize,
    },
    /// The peer closed the connection in the middle of the header.
    Closed {
        /// Bytes received before the close.
        received: usize,
    },
    /// A datagram ends inside its PROXY header.
    Truncated {
        /// The datagram's length.
        received: usize,
    },
    /// The header is larger than the configured limit (or the buffer). A v2
    /// header is rejected on its length field, before its body is read.
    TooLarge {
        /// The limit in force.
        limit: usize,
    },
    /// The connection does not start with a PROXY header, and one is required.
    NotProxy,
    /// A peer that is not trusted sent a header.
    Untrusted {
        /// The peer's address.
        peer: IpAddr,
    },
    /// The header breaks a rule of the spec.
    Invalid(proxy_hdr::Error),
}

impl<E> Error<E> {
    /// The same error with the I/O error mapped.
    pub fn map_io<F>(self, f: impl FnOnce(E) -> F) -> Error<F> {
        match self {
            Error::Io(e) => Error::Io(f(e)),
            Error::TimedOut { received } => Error::TimedOut { received },
            Error::Closed { received } => Error::Closed { received },
            Error::Truncated { received } => Error::Truncated { received },
            Error::TooLarge { limit } => Error::TooLarge { limit },
            Error::NotProxy => Error::NotProxy,
            Error::Untrusted { peer } => Error::Untrusted { peer },
            Error::Invalid(e) => Error::Invalid(e),
        }
    }
}

impl<E: fmt::Display> fmt::Display for Error<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(e) => write!(f, "I/O error while reading the PROXY header: {e}"),
            Error::TimedOut { received } => {
                write!(f, "timed out waiting for the PROXY header ({received} bytes received)")
            }
            Error::Closed { received } => write!(
                f,
                "peer closed the connection in the middle of the PROXY header \
                 ({received} bytes received)"
            ),
            Error::Truncated { received } => {
                write!(f, "datagram of {received} bytes ends inside its PROXY header")
            }
            Error::TooLarge { limit } => {
                write!(f, "PROXY header larger than the {limit}-byte limit")
            }
            Error::NotProxy => {
                f.write_str("connection does not start with a PROXY header, which is required")
            }
            Error::Untrusted { peer } => {
                write!(f, "PROXY header from {peer}, which is not a trusted proxy")
            }
            Error::Invalid(e) => write!(f, "invalid PROXY header: {e}"),
        }
    }
}

impl<E: core::error::Error + 'static> core::error::Error for Error<E> {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            Error::Invalid(e) => Some(e),
            _ => None,
        }
    }
}

#[cfg(feature = "std")]
impl From<Error<std::io::Error>> for std::io::Error {
    fn from(e: Error<std::io::Error>) -> Self {
        use std::io::ErrorKind;
        let kind = match &e {
            Error::Io(_) => return e.into_io().unwrap_or_else(std::io::Error::other),
            Error::TimedOut { .. } => ErrorKind::TimedOut,
            Error::Closed { .. } => ErrorKind::UnexpectedEof,
            Error::Untrusted { .. } => ErrorKind::PermissionDenied,
            Error::Truncated { .. }
            | Error::TooLarge { .. }
            | Error::NotProxy
            | Error::Invalid(_) => ErrorKind::InvalidData,
        };
        std::io::Error::new(kind, e)
    }
}

#[cfg(feature = "std")]
impl Error<std::io::Error> {
    /// The peer's address, or [`Error::Closed`] when the peer is already
    /// gone: a peer that connects and resets at once (a TCP health check)
    /// makes `getpeername` fail with `ENOTCONN`, which is a close, not a
    /// failure of this side.
    pub(crate) fn from_peer_addr(
        peer: std::io::Result<core::net::SocketAddr>,
    ) -> Result<IpAddr, Self> {
        match peer {
            Ok(addr) => Ok(addr.ip()),
            Err(e) if e.kind() == std::io::ErrorKind::NotConnected => {
                Err(Error::Closed { received: 0 })
            }
            Err(e) => Err(Error::Io(e)),
        }
    }

    /// True when the peer went away (closed or reset the connection) rather
    /// than sending something wrong: what a load balancer's TCP health check
    /// does, so servers can log it quietly.
    pub fn is_disconnect(&self) -> bool {
        match self {
            Error::Closed { .. } => true,
            Error::Io(e) => is_disconnect_kind(e.kind()),
            _ => false,
        }
    }
}

/// The I/O error kinds that mean the peer closed or reset the connection.
#[cfg(feature = "std")]
pub fn is_disconnect_kind(kind: std::io::ErrorKind) -> bool {
    use std::io::ErrorKind::*;
    matches!(kind, UnexpectedEof | ConnectionReset | ConnectionAborted | NotConnected | BrokenPipe)
}

impl<E> Error<E> {
    /// The stream's own error, if that is what this is.
    pub fn into_io(self) -> Result<E, Self> {
        match self {
            Error::Io(e) => Ok(e),
            other => Err(other),
        }
    }
}
