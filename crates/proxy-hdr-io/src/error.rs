//! Why a header could not be read, generic over the stream's own error.

use core::fmt;
use core::net::IpAddr;

use proxy_hdr::Version;

/// Why reading a PROXY header failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error<E> {
    /// The stream failed.
    Io(E),
    /// The header's deadline passed before the header was whole.
    TimedOut {
        /// Bytes received by then.
        received: usize,
    },
    /// The peer closed the connection in the middle of the header (or, under
    /// `Require`, before sending anything).
    Closed {
        /// Bytes received before the close.
        received: usize,
    },
    /// A datagram ends inside its PROXY header (or was cut short by a
    /// receive buffer too small for it).
    Truncated {
        /// The datagram's length.
        received: usize,
    },
    /// The header is larger than the configured limit (or the buffer). A v2
    /// header is refused on its length field, before its body is read.
    TooLarge {
        /// The limit in force.
        limit: usize,
    },
    /// The connection does not start with a PROXY header, and one is
    /// required: the proxy in front does not send the PROXY protocol, or the
    /// client bypassed it. The first `received` bytes of the caller's buffer
    /// hold what arrived (see [`FirstBytes`](crate::FirstBytes)).
    NotProxy {
        /// Bytes received.
        received: usize,
    },
    /// A peer that is not trusted sent a header (`None`: a peer whose
    /// address is unknown, under a trust list that does not accept
    /// everyone).
    Untrusted {
        /// The peer's address, canonical.
        peer: Option<IpAddr>,
    },
    /// The header breaks a rule of the spec.
    Invalid(proxy_hdr::Error),
    /// A header arrived, but the policy is [`Refuse`](crate::Policy::Refuse):
    /// the proxy sends the PROXY protocol and this side does not accept it.
    Unexpected {
        /// The header's version.
        version: Version,
    },
    /// A datagram carries a header for a stream (v1, or v2 STREAM): datagram
    /// headers say DGRAM, or LOCAL/UNSPEC (§2.2).
    WrongTransport,
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
            Error::NotProxy { received } => Error::NotProxy { received },
            Error::Untrusted { peer } => Error::Untrusted { peer },
            Error::Invalid(e) => Error::Invalid(e),
            Error::Unexpected { version } => Error::Unexpected { version },
            Error::WrongTransport => Error::WrongTransport,
        }
    }

    /// The stream's own error, if that is what this is.
    pub fn into_io(self) -> Result<E, Self> {
        match self {
            Error::Io(e) => Ok(e),
            other => Err(other),
        }
    }
}

fn version(v: Version) -> u8 {
    match v {
        Version::V1 => 1,
        Version::V2 => 2,
    }
}

impl<E: fmt::Display> fmt::Display for Error<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(e) => write!(f, "I/O error while reading the PROXY header: {e}"),
            Error::TimedOut { received } => {
                write!(f, "timed out waiting for the PROXY header ({received} bytes received)")
            }
            Error::Closed { received: 0 } => {
                f.write_str("peer closed the connection before sending a PROXY header")
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
            Error::NotProxy { .. } => {
                f.write_str("connection does not start with a PROXY header, which is required")
            }
            Error::Untrusted { peer: Some(peer) } => {
                write!(f, "PROXY header from {peer}, which is not a trusted proxy")
            }
            Error::Untrusted { peer: None } => f.write_str(
                "PROXY header from a peer whose address is unknown, and only listed proxies \
                 are trusted",
            ),
            Error::Invalid(e) => write!(f, "invalid PROXY header: {e}"),
            Error::Unexpected { version: v } => write!(
                f,
                "the peer sent a PROXY v{} header, but this listener does not accept the \
                 PROXY protocol: enable it, or stop the proxy sending it",
                version(*v)
            ),
            Error::WrongTransport => f.write_str(
                "datagram carries a PROXY header for a stream (v1, or v2 STREAM), not DGRAM",
            ),
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
            | Error::NotProxy { .. }
            | Error::Invalid(_)
            | Error::Unexpected { .. }
            | Error::WrongTransport => ErrorKind::InvalidData,
        };
        std::io::Error::new(kind, e)
    }
}

#[cfg(feature = "std")]
impl Error<std::io::Error> {
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

/// The stage of a connection's setup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    /// Reading the PROXY header.
    Header,
    /// The next protocol's handshake after the header (TLS).
    Handshake,
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stage::Header => "the PROXY header",
            Stage::Handshake => "the TLS handshake",
        })
    }
}
