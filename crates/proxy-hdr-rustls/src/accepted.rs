//! A connection whose header was read and whose TLS handshake is done.

use proxy_hdr::BoxedHeader;

/// A TLS connection whose PROXY header (if any) was read first.
#[derive(Debug)]
pub struct Accepted<S> {
    /// The PROXY header, owned and sized to its TLVs; `None` when there was
    /// none or it was not to be used (see `proxy_hdr_io::Policy` and
    /// `Untrusted`).
    pub header: Option<BoxedHeader>,
    /// The TLS stream, handshake complete.
    pub tls: S,
}

impl<S> Accepted<S> {
    /// The real client's address when the header carries one.
    pub fn source(&self) -> Option<std::net::SocketAddr> {
        self.header.as_ref().and_then(|h| h.header().source())
    }
}
