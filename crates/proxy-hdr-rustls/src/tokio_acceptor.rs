//! The tokio acceptors: over `tokio_rustls::TlsAcceptor`, and over
//! `LazyConfigAcceptor` to choose the `ServerConfig` from the ClientHello
//! and the PROXY header together.

use std::future::Future;
use std::io;
use std::sync::Arc;

use proxy_hdr_io::{AnyPeer, Config, Rewind, Trust, read_header_tokio};
use rustls::ServerConfig;
use rustls::server::{Acceptor, ClientHello};
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;
use tokio_rustls::{LazyConfigAcceptor, TlsAcceptor};

use crate::{Error, Header, owned};

/// The stream under TLS: the socket, with the bytes read past the header
/// replayed first.
pub type ReplayStream = Rewind<TcpStream, Vec<u8>>;

/// A TLS connection whose PROXY header (if any) was read first.
#[derive(Debug)]
pub struct TlsAccepted {
    /// The PROXY header, owned; `None` when there was none or it was not to
    /// be used.
    pub header: Option<Header>,
    /// The TLS stream, handshake complete.
    pub tls: TlsStream<ReplayStream>,
}

/// `tokio_rustls::TlsAcceptor` with the PROXY header read first.
///
/// Call [`accept`](Self::accept) in each connection's task, not in the accept
/// loop: a slow peer then only holds its own task (until the deadline).
#[derive(Clone)]
pub struct ProxyTlsAcceptor<T = AnyPeer> {
    tls: TlsAcceptor,
    config: Arc<Config<T>>,
}

impl<T: Trust> ProxyTlsAcceptor<T> {
    /// An acceptor for `tls`, reading headers under `config`.
    pub fn new(tls: Arc<ServerConfig>, config: Config<T>) -> Self {
        ProxyTlsAcceptor { tls: TlsAcceptor::from(tls), config: Arc::new(config) }
    }

    /// The header config in force.
    pub fn config(&self) -> &Config<T> {
        &self.config
    }

    /// Reads the header, then runs the handshake over the leftover bytes and
    /// the socket. Not cancel-safe (the header's deadline is built in).
    pub async fn accept(&self, mut stream: TcpStream) -> Result<TlsAccepted, Error> {
        let (header, replay) = read_header_and_replay(&mut stream, &self.config).await?;
        let io = Rewind::new(stream, replay);
        let tls = self.tls.accept(io).await.map_err(Error::from_handshake)?;
        Ok(TlsAccepted { header, tls })
    }
}

/// Reads the header, then lets `choose` pick the `ServerConfig` from the
/// ClientHello (SNI, ALPN, ...) *and* the PROXY header (the real client
/// address, TLVs such as AUTHORITY or a cloud endpoint id), then completes
/// the handshake. `choose` returning `Err` refuses the connection.
///
/// ```no_run
/// # async fn demo(stream: tokio::net::TcpStream, a: std::sync::Arc<rustls::ServerConfig>) {
/// use proxy_hdr_io::Config;
/// let accepted = proxy_hdr_rustls::accept_lazy(stream, &Config::new(), |hello, header| {
///     let via_endpoint = header.is_some_and(|h| h.header().tlvs().aws_vpc_endpoint_id().is_some());
///     let _sni = hello.server_name();
///     std::future::ready(if via_endpoint { Ok(a.clone()) } else { Ok(a.clone()) })
/// }).await;
/// # }
/// ```
pub async fn accept_lazy<T, F, Fut>(
    mut stream: TcpStream,
    config: &Config<T>,
    choose: F,
) -> Result<TlsAccepted, Error>
where
    T: Trust,
    F: FnOnce(&ClientHello<'_>, Option<&Header>) -> Fut,
    Fut: Future<Output = Result<Arc<ServerConfig>, io::Error>>,
{
    let (header, replay) = read_header_and_replay(&mut stream, config).await?;
    let io = Rewind::new(stream, replay);
    let start =
        LazyConfigAcceptor::new(Acceptor::default(), io).await.map_err(Error::from_handshake)?;
    let chosen = choose(&start.client_hello(), header.as_ref()).await.map_err(Error::Io)?;
    let tls = start.into_stream(chosen).await.map_err(Error::from_handshake)?;
    Ok(TlsAccepted { header, tls })
}

async fn read_header_and_replay<T: Trust>(
    stream: &mut TcpStream,
    config: &Config<T>,
) -> Result<(Option<Header>, Vec<u8>), Error> {
    let mut buf = vec![0u8; config.max_header_len.max(512)];
    let accepted = read_header_tokio(stream, &mut buf, config).await?;
    let header = owned(accepted.header.as_ref())?;
    Ok((header, accepted.leftover.to_vec()))
}
