//! The tokio acceptors: over `tokio_rustls::TlsAcceptor`, and over
//! `LazyConfigAcceptor` to choose the `ServerConfig` from the ClientHello
//! and the PROXY header together.

use std::future::Future;
use std::io;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::Poll;
use std::time::Instant;

use embedded_io_adapters::tokio_1::FromTokio;
use proxy_hdr::BoxedHeader;
use proxy_hdr_io::{Config, PeerAddr, Rewind, Trust, read_header_async};
use rustls::ServerConfig;
use rustls::server::{Acceptor, ClientHello};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Sleep;
use tokio_rustls::server::TlsStream;
use tokio_rustls::{LazyConfigAcceptor, TlsAcceptor};

use crate::{Accepted, Error, ProxyTlsAcceptor, Stage};

/// The stream under TLS: the socket, with the bytes read past the header
/// replayed first.
pub type Replay<S> = Rewind<S, Vec<u8>>;

impl<T: Trust> ProxyTlsAcceptor<T> {
    /// Reads the header, then runs the handshake over the leftover bytes and
    /// the stream (`TcpStream`, `UnixStream`, or any stream in
    /// [`WithPeer`](proxy_hdr_io::WithPeer)), all under the config's setup
    /// deadline. Not cancel-safe: dropping the future drops the connection.
    pub async fn accept<S>(&self, stream: S) -> Result<Accepted<TlsStream<Replay<S>>>, Error>
    where
        S: AsyncRead + AsyncWrite + PeerAddr + Unpin,
    {
        self.accept_observed(stream, |_| {}).await
    }

    /// [`accept`](Self::accept), calling `header_read` when the header
    /// stage has succeeded (a listener counts it then).
    pub(crate) async fn accept_observed<S>(
        &self,
        stream: S,
        header_read: impl FnOnce(Option<&BoxedHeader>),
    ) -> Result<Accepted<TlsStream<Replay<S>>>, Error>
    where
        S: AsyncRead + AsyncWrite + PeerAddr + Unpin,
    {
        let (header_deadline, setup_deadline) = crate::deadlines(self.config());
        let mut timer = pin!(header_deadline.map(|at| tokio::time::sleep_until(at.into())));
        let (header, io) = read_and_replay(stream, self.config(), timer.as_mut()).await?;
        header_read(header.as_ref());
        let handshake = TlsAcceptor::from(self.tls_config().clone()).accept(io);
        let tls = within(later(timer.as_mut(), setup_deadline), Stage::Handshake, handshake)
            .await?
            .map_err(Error::from_handshake)?;
        Ok(Accepted { header, tls })
    }
}

/// Reads the header, then lets `choose` pick the `ServerConfig` from the
/// ClientHello (SNI, ALPN, ...) *and* the PROXY header (the real client
/// address, TLVs such as AUTHORITY or a cloud endpoint id), then completes
/// the handshake, all under the config's setup deadline (`choose` runs
/// inside it). `choose` returning `Err` refuses the connection.
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
pub async fn accept_lazy<S, T, F, Fut>(
    stream: S,
    config: &Config<T>,
    choose: F,
) -> Result<Accepted<TlsStream<Replay<S>>>, Error>
where
    S: AsyncRead + AsyncWrite + PeerAddr + Unpin,
    T: Trust,
    F: FnOnce(&ClientHello<'_>, Option<&BoxedHeader>) -> Fut,
    Fut: Future<Output = Result<Arc<ServerConfig>, io::Error>>,
{
    let (header_deadline, setup_deadline) = crate::deadlines(config);
    let mut timer = pin!(header_deadline.map(|at| tokio::time::sleep_until(at.into())));
    let (header, io) = read_and_replay(stream, config, timer.as_mut()).await?;
    let handshake = async {
        let start = LazyConfigAcceptor::new(Acceptor::default(), io)
            .await
            .map_err(Error::from_handshake)?;
        let chosen =
            choose(&start.client_hello(), header.as_ref()).await.map_err(Error::Refused)?;
        start.into_stream(chosen).await.map_err(Error::from_handshake)
    };
    let tls = within(later(timer.as_mut(), setup_deadline), Stage::Handshake, handshake).await??;
    Ok(Accepted { header, tls })
}

/// The setup's one timer, moved from the header's deadline to the setup's
/// (`None`: no deadline for the handshake). One timer re-registered later,
/// rather than a second one registered earlier than the listener's
/// backstop, spares the runtime a wake-up (an eventfd write) per
/// connection.
fn later(timer: Pin<&mut Option<Sleep>>, deadline: Option<Instant>) -> Option<Pin<&mut Sleep>> {
    let mut sleep = timer.as_pin_mut()?;
    sleep.as_mut().reset(deadline?.into());
    Some(sleep)
}

/// Reads the header by `deadline`, keeping it (owned, sized to its TLVs)
/// and the bytes after it (sized to them), and gives back the stream with
/// those bytes replayed first.
async fn read_and_replay<S, T>(
    mut stream: S,
    config: &Config<T>,
    deadline: Pin<&mut Option<Sleep>>,
) -> Result<(Option<BoxedHeader>, Replay<S>), Error>
where
    S: AsyncRead + PeerAddr + Unpin,
    T: Trust,
{
    let peer = stream.peer_ip().map_err(|e| match e.kind() {
        io::ErrorKind::NotConnected => Error::Proxy(proxy_hdr_io::Error::Closed { received: 0 }),
        _ => Error::Proxy(proxy_hdr_io::Error::Io(e)),
    })?;
    let mut buf = vec![0u8; config.buffer_len()];
    let timer = async {
        match deadline.as_pin_mut() {
            Some(sleep) => sleep.await,
            None => std::future::pending().await,
        }
    };
    let mut reader = FromTokio::new(&mut stream);
    let accepted = match read_header_async(&mut reader, peer, &mut buf, config, timer).await {
        Ok(accepted) => accepted,
        Err(e) => return Err(Error::from_header(e, &buf)),
    };
    let header = accepted.header.as_ref().map(BoxedHeader::new).transpose();
    let header = header.map_err(|e| Error::Io(io::Error::other(e)))?;
    let leftover = accepted.leftover.to_vec();
    Ok((header, Rewind::new(stream, leftover)))
}

/// `work`, unless `timer` fires first: then a timeout in `stage`.
async fn within<F: Future>(
    timer: Option<Pin<&mut Sleep>>,
    stage: Stage,
    work: F,
) -> Result<F::Output, Error> {
    let Some(mut timer) = timer else { return Ok(work.await) };
    let mut work = pin!(work);
    std::future::poll_fn(|cx| {
        if let Poll::Ready(out) = work.as_mut().poll(cx) {
            return Poll::Ready(Ok(out));
        }
        timer.as_mut().poll(cx).map(|()| Err(Error::TimedOut { stage }))
    })
    .await
}
