//! The TLS listener (feature `listener`): the driver's listener with a TLS
//! handshake after the header, in each connection's own task.

use std::time::Duration;

use proxy_hdr_io::listener::{Failure, Listener, Progress, Ready, Setup, TlsInfo};
use proxy_hdr_io::{AnyPeer, PeerAddr, Trust};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::server::TlsStream;

use crate::{Error, ProxyTlsAcceptor, Replay, Stage};

/// A listener for connections that start with a PROXY header, then TLS:
/// `ProxyTlsListener::new(tcp_listener, acceptor)`. Connections come out
/// with the handshake done and their [`ClientInfo`](proxy_hdr_io::listener::ClientInfo),
/// ALPN and SNI included.
///
/// ```no_run
/// # async fn demo(tls: std::sync::Arc<rustls::ServerConfig>) -> std::io::Result<()> {
/// use proxy_hdr_io::Config;
/// use proxy_hdr_rustls::{ProxyTlsAcceptor, ProxyTlsListener};
///
/// let tcp = tokio::net::TcpListener::bind("0.0.0.0:443").await?;
/// let mut listener = ProxyTlsListener::new(tcp, ProxyTlsAcceptor::new(tls, Config::new()));
/// loop {
///     let conn = listener.accept().await?;
///     let client = conn.info().client;
///     tokio::spawn(async move { /* serve `conn`, a TLS stream, for `client` */ });
/// }
/// # }
/// ```
pub type ProxyTlsListener<L = tokio::net::TcpListener, T = AnyPeer> =
    Listener<L, ProxyTlsAcceptor<T>>;

impl<S, T> Setup<S> for ProxyTlsAcceptor<T>
where
    S: AsyncRead + AsyncWrite + PeerAddr + Unpin + Send + 'static,
    T: Trust + Send + Sync + 'static,
{
    type Conn = TlsStream<Replay<S>>;

    async fn setup(&self, stream: S, progress: Progress<'_>) -> Result<Ready<Self::Conn>, Failure> {
        let seen = |h: Option<&proxy_hdr::BoxedHeader>| {
            progress.header_read(h.map(|h| h.header()).as_ref())
        };
        let accepted = self.accept_observed(stream, seen).await.map_err(failure)?;
        let (_, session) = accepted.tls.get_ref();
        let tls = TlsInfo {
            alpn: session.alpn_protocol().map(<[u8]>::to_vec),
            sni: session.server_name().map(str::to_owned),
        };
        Ok(Ready { conn: accepted.tls, header: accepted.header, tls: Some(tls) })
    }

    fn setup_timeout(&self) -> Option<Duration> {
        self.config().setup_timeout().or(self.config().header_timeout())
    }

    fn last_stage(&self) -> Stage {
        Stage::Handshake
    }

    /// The header and the handshake run under one deadline of their own.
    fn enforces_timeout(&self) -> bool {
        true
    }
}

/// The adapter's error as the listener counts and reports it.
fn failure(e: Error) -> Failure {
    let disconnect = e.is_disconnect();
    match e {
        Error::NotProxy { first } => Failure::NotProxy { first },
        Error::Proxy(e) => Failure::from_header(e, &[]),
        Error::TimedOut { stage } => Failure::TimedOut { stage },
        Error::Tls(e) => Failure::Tls(e.to_string()),
        _ if disconnect => Failure::Closed { stage: Stage::Handshake },
        Error::Io(e) | Error::Refused(e) => Failure::Io(e),
    }
}
