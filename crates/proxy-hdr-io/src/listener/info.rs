//! What a handler knows about its connection: the socket peer, the header,
//! and the real client.

// A `no_std` crate: this std-only module takes the std prelude.
#[allow(unused_imports)]
use std::prelude::rust_2024::*;

use alloc::sync::Arc;
use core::net::SocketAddr;

use proxy_hdr::BoxedHeader;

/// A connection's addresses and PROXY header, handed out with it.
///
/// Cheap to clone (the header is shared), so it can go into every request's
/// extensions (axum `ConnectInfo`, tonic `Connected`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientInfo {
    /// The real client: the header's source when there is one (a header is
    /// only ever used from a trusted peer), else the socket peer.
    pub client: Option<SocketAddr>,
    /// The socket peer: the proxy (or a direct client); `None` on a unix
    /// socket.
    pub peer: Option<SocketAddr>,
    /// The local address the connection came in on (`None` on a unix socket).
    pub local: Option<SocketAddr>,
    /// The PROXY header, when one was read and used.
    pub header: Option<Arc<BoxedHeader>>,
    /// What TLS negotiated, for connections of a TLS listener.
    pub tls: Option<TlsInfo>,
}

impl ClientInfo {
    /// The info of a connection from `peer` to `local` with `header`.
    pub fn new(
        peer: Option<SocketAddr>,
        local: Option<SocketAddr>,
        header: Option<BoxedHeader>,
    ) -> Self {
        let client = header.as_ref().and_then(|h| h.header().source()).or(peer);
        ClientInfo { client, peer, local, header: header.map(Arc::new), tls: None }
    }
}

/// What a TLS handshake negotiated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsInfo {
    /// The ALPN protocol, e.g. `b"h2"`.
    pub alpn: Option<Vec<u8>>,
    /// The server name the client asked for (SNI).
    pub sni: Option<String>,
}
