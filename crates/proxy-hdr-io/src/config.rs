//! Limits and policy for reading a header, in one struct shared by every
//! connection of a listener.

use core::time::Duration;

use crate::trust::{AnyPeer, Trust};

/// Whether a connection must, may or must not start with a PROXY header.
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
    /// claim any address, unless [`Config::with_trusted`] limits who may.
    Optional,
    /// A header, when present, is skipped; the connection's own addresses
    /// are used. It is skipped by its framing: a bad v2 prefix or v1 line is
    /// still an error, but a v2 body is not examined, and trust is not
    /// checked, since nothing of the header is used.
    Ignore,
    /// The PROXY protocol is off: a connection that starts with a header is
    /// refused with [`Error::Unexpected`](crate::Error::Unexpected), which
    /// names the misconfiguration (a proxy sends headers this listener does
    /// not accept), instead of handing the header to the next protocol.
    Refuse,
}

/// What to do when a peer that is not trusted sends a header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Untrusted {
    /// Fail with [`Error::Untrusted`](crate::Error::Untrusted).
    #[default]
    Reject,
    /// Skip the header (by its framing, its v2 body unexamined), as if it
    /// were absent: its addresses are never reported, so they cannot be
    /// spoofed.
    TreatAsAbsent,
}

/// The default limit on a header's size: any v1 line, and a v2 header with a
/// generous set of TLVs (HAProxy's SSL TLVs included, a client certificate
/// in DER within reason).
pub const DEFAULT_MAX_HEADER_LEN: usize = 4096;

/// The hard bound on the size limit: the largest v2 header.
pub const MAX_HEADER_LEN: usize = proxy_hdr::v2::MAX_LEN;

/// The default deadline for the header.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(5);

/// The default deadline for the whole connection setup (header, then the
/// next protocol's handshake in adapters that run one).
pub const DEFAULT_SETUP_TIMEOUT: Duration = Duration::from_secs(10);

/// How to read a header: size limit, deadlines, policy and trusted peers.
///
/// ```
/// use std::time::Duration;
/// use proxy_hdr_io::{CidrList, Config, Policy, Untrusted};
///
/// let proxies: CidrList<2> = CidrList::parse(["10.0.0.0/8", "fd00::/8"]).unwrap();
/// let config = Config::new()
///     .with_policy(Policy::Require)
///     .with_header_timeout(Some(Duration::from_secs(2)))
///     .with_max_header_len(1024)
///     .with_trusted(proxies, Untrusted::Reject);
/// assert_eq!(config.max_header_len(), 1024);
/// ```
#[derive(Debug, Clone)]
pub struct Config<T = AnyPeer> {
    max_header_len: usize,
    header_timeout: Option<Duration>,
    setup_timeout: Option<Duration>,
    policy: Policy,
    trusted: T,
    untrusted: Untrusted,
}

impl Config<AnyPeer> {
    /// Defaults: header required, 4096 bytes, 5 seconds for the header and
    /// 10 for the whole setup, any peer trusted (restrict it with
    /// [`with_trusted`](Self::with_trusted) unless only proxies can reach
    /// the port).
    pub const fn new() -> Self {
        Config {
            max_header_len: DEFAULT_MAX_HEADER_LEN,
            header_timeout: Some(DEFAULT_HEADER_TIMEOUT),
            setup_timeout: Some(DEFAULT_SETUP_TIMEOUT),
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
    /// The same config with a size limit, capped at [`MAX_HEADER_LEN`]. A v2
    /// header declaring more is refused on its length field, before its body
    /// is read. Only the first `limit` bytes are examined, however many a
    /// read brings: a v1 line with no CRLF within them is too large.
    pub fn with_max_header_len(mut self, len: usize) -> Self {
        self.max_header_len = len.min(MAX_HEADER_LEN);
        self
    }

    /// The same config with a deadline for the header, counted from the
    /// first read; `None` waits for ever (not advisable on a public port).
    /// A deadline too large to represent is no deadline.
    pub fn with_header_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.header_timeout = timeout;
        self
    }

    /// The same config with a deadline for the whole connection setup: the
    /// header and whatever an adapter or listener does before handing the
    /// connection out (a TLS handshake). The header's deadline runs inside
    /// it. The plain readers (`read_header*`) use only the header deadline.
    pub fn with_setup_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.setup_timeout = timeout;
        self
    }

    /// The same config with another policy.
    pub fn with_policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// The same config, trusting only the peers `trusted` accepts, and
    /// treating a header from any other peer as `untrusted` says.
    pub fn with_trusted<U: Trust>(self, trusted: U, untrusted: Untrusted) -> Config<U> {
        Config {
            max_header_len: self.max_header_len,
            header_timeout: self.header_timeout,
            setup_timeout: self.setup_timeout,
            policy: self.policy,
            trusted,
            untrusted,
        }
    }

    /// The size limit in force (at most [`MAX_HEADER_LEN`]).
    pub fn max_header_len(&self) -> usize {
        self.max_header_len
    }

    /// The header's deadline.
    pub fn header_timeout(&self) -> Option<Duration> {
        self.header_timeout
    }

    /// The connection setup's deadline.
    pub fn setup_timeout(&self) -> Option<Duration> {
        self.setup_timeout
    }

    /// The policy.
    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// The trusted peers.
    pub fn trusted(&self) -> &T {
        &self.trusted
    }

    /// What happens to a header from an untrusted peer.
    pub fn untrusted(&self) -> Untrusted {
        self.untrusted
    }

    /// The buffer size an owned reader should use: the limit, and at least
    /// enough for a v1 line and a ClientHello's first segment to come along.
    pub fn buffer_len(&self) -> usize {
        self.max_header_len.max(512)
    }
}
