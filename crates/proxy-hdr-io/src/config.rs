//! Limits and policy for reading a header, in one struct shared by every
//! connection of a listener.

use core::time::Duration;

use crate::trust::{AnyPeer, Trust};

/// Whether a connection must, may or must not be trusted to start with a
/// PROXY header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Policy {
    /// Every connection starts with a header; anything else is an error.
    /// The default, because the spec (§5) forbids guessing.
    #[default]
    Require,
    /// A header is used when present; otherwise every byte read is returned
    /// as leftover for the next protocol. Decided from the first bytes (a
    /// TLS ClientHello starts with 0x16, HTTP with a method). An explicit
    /// opt-in: a client that connects directly can then send a header and
    /// claim any address, unless [`Config::trusted`] limits who may.
    Optional,
    /// A header, when present, is parsed and dropped; the connection's own
    /// addresses are used.
    Ignore,
}

/// What to do when a peer that is not trusted sends a header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Untrusted {
    /// Fail with [`Error::Untrusted`](crate::Error::Untrusted).
    #[default]
    Reject,
    /// Parse and drop the header, as if it were absent: its addresses are
    /// never reported, so they cannot be spoofed.
    TreatAsAbsent,
}

/// The default limit on a header's size: any v1 line, and a v2 header with a
/// generous set of TLVs (HAProxy's SSL TLVs included, a client certificate
/// in DER within reason).
pub const DEFAULT_MAX_HEADER_LEN: usize = 4096;

/// The hard bound on [`Config::max_header_len`]: the largest v2 header.
pub const MAX_HEADER_LEN: usize = proxy_hdr::v2::MAX_LEN;

/// How to read a header: size limit, deadline, policy and trusted peers.
#[derive(Debug, Clone)]
pub struct Config<T = AnyPeer> {
    /// Largest header accepted, in bytes (capped at [`MAX_HEADER_LEN`]). A v2
    /// header declaring more is rejected before its body is read.
    pub max_header_len: usize,
    /// Time allowed for the whole header, from the first read. `None` waits
    /// forever (not advisable on a public port). The blocking generic
    /// reader cannot enforce it; the std, tokio and async readers do.
    pub timeout: Option<Duration>,
    /// Whether a header is required, optional or ignored.
    pub policy: Policy,
    /// Which peers may send a header.
    pub trusted: T,
    /// What to do with a header from a peer that `trusted` rejects.
    pub untrusted: Untrusted,
}

impl Config<AnyPeer> {
    /// Defaults: header required, 4096 bytes, 5 seconds, any peer trusted.
    pub const fn new() -> Self {
        Config {
            max_header_len: DEFAULT_MAX_HEADER_LEN,
            timeout: Some(Duration::from_secs(5)),
            policy: Policy::Require,
            trusted: AnyPeer,
            untrusted: Untrusted::Reject,
        }
    }
}

impl Default for Config<AnyPeer> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Trust> Config<T> {
    /// The same config with a size limit (capped at [`MAX_HEADER_LEN`]).
    pub fn with_max_header_len(mut self, len: usize) -> Self {
        self.max_header_len = len.min(MAX_HEADER_LEN);
        self
    }

    /// The same config with a deadline for the whole header.
    pub fn with_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }

    /// The same config with another policy.
    pub fn with_policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// The same config, trusting only the peers `trusted` accepts.
    pub fn with_trusted<U: Trust>(self, trusted: U, untrusted: Untrusted) -> Config<U> {
        Config {
            max_header_len: self.max_header_len,
            timeout: self.timeout,
            policy: self.policy,
            trusted,
            untrusted,
        }
    }

    /// The size limit in force, with the hard bound applied.
    pub(crate) fn limit(&self) -> usize {
        self.max_header_len.min(MAX_HEADER_LEN)
    }
}
