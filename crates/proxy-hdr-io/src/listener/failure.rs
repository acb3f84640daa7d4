//! Why a connection's setup failed, in words that name the misconfiguration,
//! with every byte the peer chose escaped.

// A `no_std` crate: this std-only module takes the std prelude.
#[allow(unused_imports)]
use std::prelude::rust_2024::*;

use core::fmt;
use core::net::{IpAddr, SocketAddr};
use std::io;

use proxy_hdr::Version;

use crate::{DIAGNOSIS_LEN, Error, MissingHeader, Stage};

/// How a connection's setup failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum Failure {
    /// A header is required and the connection started with something else
    /// (its first bytes, for the diagnosis).
    NotProxy {
        /// Up to 512 of the bytes that arrived.
        first: Vec<u8>,
    },
    /// The header broke this rule.
    Invalid(proxy_hdr::Error),
    /// A header from a peer that is not trusted.
    Untrusted {
        /// The peer (`None`: unknown, e.g. a unix socket).
        peer: Option<IpAddr>,
    },
    /// A header over the size limit.
    TooLarge {
        /// The limit.
        limit: usize,
    },
    /// A header where the PROXY protocol is off (`Policy::Refuse`).
    Unexpected {
        /// Its version.
        version: Version,
    },
    /// The setup deadline passed in this stage.
    TimedOut {
        /// Where the connection stalled.
        stage: Stage,
    },
    /// The peer closed or reset the connection in this stage: what a health
    /// check does.
    Closed {
        /// The stage.
        stage: Stage,
    },
    /// The TLS handshake failed (rustls's message).
    Tls(String),
    /// The socket failed.
    Io(io::Error),
}

impl Failure {
    /// The failure of a header read whose buffer is `buf`.
    pub fn from_header(e: Error<io::Error>, buf: &[u8]) -> Self {
        match e {
            Error::NotProxy { received } => Failure::NotProxy {
                first: buf.get(..received.min(DIAGNOSIS_LEN)).unwrap_or_default().to_vec(),
            },
            Error::Invalid(rule) => Failure::Invalid(rule),
            Error::Untrusted { peer } => Failure::Untrusted { peer },
            Error::TooLarge { limit } => Failure::TooLarge { limit },
            Error::Unexpected { version } => Failure::Unexpected { version },
            Error::TimedOut { .. } => Failure::TimedOut { stage: Stage::Header },
            e if e.is_disconnect() => Failure::Closed { stage: Stage::Header },
            Error::Io(e) => Failure::Io(e),
            other => Failure::Io(io::Error::other(other.to_string())),
        }
    }

    /// A peer that went away (a health check), worth a debug line only.
    pub fn is_quiet(&self) -> bool {
        matches!(self, Failure::Closed { .. })
    }

    /// The stage it failed in.
    pub fn stage(&self) -> Stage {
        match self {
            Failure::TimedOut { stage } | Failure::Closed { stage } => *stage,
            Failure::Tls(_) | Failure::Io(_) => Stage::Handshake,
            _ => Stage::Header,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::NotProxy { first } => MissingHeader(first).fmt(f),
            Failure::Invalid(rule) => write!(f, "invalid PROXY header: {rule}"),
            Failure::Untrusted { peer: Some(peer) } => write!(
                f,
                "PROXY header from {peer}, which is not a trusted proxy (add it to the trusted \
                 addresses if it is one)"
            ),
            Failure::Untrusted { peer: None } => f.write_str(
                "PROXY header from a peer whose address is unknown, and only listed proxies are \
                 trusted",
            ),
            Failure::TooLarge { limit } => write!(f, "PROXY header over the {limit}-byte limit"),
            Failure::Unexpected { version } => write!(
                f,
                "the peer sent a PROXY v{} header, but this listener does not accept the PROXY \
                 protocol: enable it, or stop the proxy sending it",
                if *version == Version::V1 { 1 } else { 2 }
            ),
            Failure::TimedOut { stage } => write!(f, "connection setup timed out in {stage}"),
            Failure::Closed { stage } => write!(f, "peer closed the connection during {stage}"),
            Failure::Tls(e) => write!(f, "TLS handshake failed: {e}"),
            Failure::Io(e) => write!(f, "I/O error: {e}"),
        }
    }
}

impl core::error::Error for Failure {}

/// One failed connection, as the listener's hook and log see it.
#[derive(Debug)]
pub struct Report<'a> {
    /// The socket peer (`None` on a unix socket).
    pub peer: Option<SocketAddr>,
    /// What went wrong.
    pub failure: &'a Failure,
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.peer {
            Some(peer) => write!(f, "connection from {peer}: {}", self.failure),
            None => write!(f, "connection on a unix socket: {}", self.failure),
        }
    }
}

/// The default hook: one line per failed connection, through `tracing` or
/// `log` when enabled; health checks at debug level, the rest as warnings.
#[allow(unused_variables)] // without a logging feature the lines go nowhere
pub(crate) fn log(report: &Report<'_>) {
    let quiet = report.failure.is_quiet();
    #[cfg(feature = "tracing")]
    if quiet {
        tracing::debug!(target: "proxy_hdr_io::listener", "{report}");
    } else {
        tracing::warn!(target: "proxy_hdr_io::listener", "{report}");
    }
    #[cfg(feature = "log")]
    if quiet {
        log::debug!(target: "proxy_hdr_io::listener", "{report}");
    } else {
        log::warn!(target: "proxy_hdr_io::listener", "{report}");
    }
}
