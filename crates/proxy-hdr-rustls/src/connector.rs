//! The client side: a PROXY header, then a rustls client handshake over the
//! same stream, the header and the ClientHello in one write (what frp and
//! HAProxy `send-proxy-v2` + `ssl` put on the wire).

use std::io::{self, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use proxy_hdr_io::{Deadline, Socket};
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, StreamOwned};

/// Connects through a PROXY header: the header's bytes are sent with the
/// ClientHello, then the handshake runs over the same stream, under one
/// deadline (connect, header and handshake).
#[derive(Clone)]
pub struct ProxyTlsConnector {
    tls: Arc<ClientConfig>,
    timeout: Option<Duration>,
}

impl std::fmt::Debug for ProxyTlsConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyTlsConnector").field("timeout", &self.timeout).finish_non_exhaustive()
    }
}

impl ProxyTlsConnector {
    /// A connector for `tls`, with a 10-second deadline.
    pub fn new(tls: Arc<ClientConfig>) -> Self {
        ProxyTlsConnector { tls, timeout: Some(Duration::from_secs(10)) }
    }

    /// The same connector with another deadline (`None`: none).
    pub fn with_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }

    /// The deadline.
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// The TLS config.
    pub fn tls_config(&self) -> &Arc<ClientConfig> {
        &self.tls
    }

    /// Blocking: writes `header` (its wire bytes, e.g. from
    /// `proxy_hdr_io::Outbound::encode`) and the ClientHello in one write
    /// on `stream`, then completes the handshake; the socket's own timeouts
    /// are restored afterwards.
    pub fn connect_blocking<S: Socket>(
        &self,
        mut stream: S,
        header: &[u8],
        server_name: ServerName<'static>,
    ) -> io::Result<StreamOwned<ClientConnection, S>> {
        let mut conn =
            ClientConnection::new(self.tls.clone(), server_name).map_err(io::Error::other)?;
        let mut first = header.to_vec();
        conn.write_tls(&mut first)?;
        {
            let mut timed = Deadline::new(&mut stream, self.timeout)?;
            timed.write_all(&first)?;
            while conn.is_handshaking() {
                conn.complete_io(&mut timed)?;
            }
            timed.restore()?;
        }
        Ok(StreamOwned::new(conn, stream))
    }

    /// Blocking: connects to `addr` (within the deadline), then
    /// [`connect_blocking`](Self::connect_blocking).
    pub fn connect_addr_blocking(
        &self,
        addr: SocketAddr,
        header: &[u8],
        server_name: ServerName<'static>,
    ) -> io::Result<StreamOwned<ClientConnection, TcpStream>> {
        let started = Instant::now();
        let tcp = match self.timeout {
            Some(t) => TcpStream::connect_timeout(&addr, t)?,
            None => TcpStream::connect(addr)?,
        };
        tcp.set_nodelay(true)?;
        let left = self.timeout.map(|t| t.saturating_sub(started.elapsed()));
        self.clone().with_timeout(left).connect_blocking(tcp, header, server_name)
    }
}

#[cfg(feature = "tokio")]
mod tokio_connector {
    use std::future::Future;
    use std::io;
    use std::net::SocketAddr;
    use std::pin::Pin;
    use std::task::{Context, Poll, ready};

    use rustls::pki_types::ServerName;
    use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
    use tokio::net::TcpStream;
    use tokio_rustls::client::TlsStream;

    use super::ProxyTlsConnector;

    impl ProxyTlsConnector {
        /// Writes `header` and the ClientHello in one write on `stream`,
        /// then completes the handshake, within the deadline.
        pub async fn connect<S: AsyncRead + AsyncWrite + Unpin>(
            &self,
            stream: S,
            header: &[u8],
            server_name: ServerName<'static>,
        ) -> io::Result<TlsStream<HeaderFirst<S>>> {
            let stream =
                HeaderFirst { inner: stream, pending: header.to_vec(), sent: 0, payload: 0 };
            let handshake =
                tokio_rustls::TlsConnector::from(self.tls.clone()).connect(server_name, stream);
            within(self.timeout, handshake).await?
        }

        /// Connects to `addr`, then [`connect`](Self::connect), all within
        /// the deadline.
        pub async fn connect_addr(
            &self,
            addr: SocketAddr,
            header: &[u8],
            server_name: ServerName<'static>,
        ) -> io::Result<TlsStream<HeaderFirst<TcpStream>>> {
            let work = async {
                let tcp = TcpStream::connect(addr).await?;
                tcp.set_nodelay(true)?;
                self.clone().with_timeout(None).connect(tcp, header, server_name).await
            };
            within(self.timeout, work).await?
        }
    }

    async fn within<F: Future>(
        timeout: Option<std::time::Duration>,
        work: F,
    ) -> io::Result<F::Output> {
        match timeout {
            Some(t) => tokio::time::timeout(t, work).await.map_err(|_| {
                io::Error::new(io::ErrorKind::TimedOut, "PROXY + TLS connect timed out")
            }),
            None => Ok(work.await),
        }
    }

    /// A stream whose first write is prefixed with the PROXY header, so the
    /// header and the ClientHello leave in one write. Reads pass through.
    #[derive(Debug)]
    pub struct HeaderFirst<S> {
        inner: S,
        /// The header, then (once the first write came) that write's bytes.
        pending: Vec<u8>,
        sent: usize,
        /// How many bytes of the first write are in `pending`.
        payload: usize,
    }

    impl<S> HeaderFirst<S> {
        /// The stream.
        pub fn get_ref(&self) -> &S {
            &self.inner
        }

        /// The stream, mutably.
        pub fn get_mut(&mut self) -> &mut S {
            &mut self.inner
        }
    }

    impl<S: AsyncRead + Unpin> AsyncRead for HeaderFirst<S> {
        fn poll_read(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
        }
    }

    impl<S: AsyncWrite + Unpin> AsyncWrite for HeaderFirst<S> {
        fn poll_write(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            let this = self.get_mut();
            if this.pending.is_empty() {
                return Pin::new(&mut this.inner).poll_write(cx, buf);
            }
            // The first write: header and these bytes together. A caller that
            // got `Pending` writes the same bytes again, so take them once.
            if this.payload == 0 {
                this.pending.extend_from_slice(buf);
                this.payload = buf.len();
            }
            while this.sent < this.pending.len() {
                let rest = this.pending.get(this.sent..).unwrap_or_default();
                let n = ready!(Pin::new(&mut this.inner).poll_write(cx, rest))?;
                if n == 0 {
                    return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                }
                this.sent += n;
            }
            let payload = this.payload;
            this.pending = Vec::new();
            Poll::Ready(Ok(payload))
        }

        // After the first write, forwarded (TLS records in one write each
        // would meet Nagle and the server's delayed ACK); the first one goes
        // through `poll_write`, with the header.
        fn poll_write_vectored(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            bufs: &[io::IoSlice<'_>],
        ) -> Poll<io::Result<usize>> {
            if self.pending.is_empty() {
                return Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs);
            }
            let first = bufs.iter().find(|b| !b.is_empty()).map_or(&[][..], |b| &**b);
            self.poll_write(cx, first)
        }

        fn is_write_vectored(&self) -> bool {
            self.inner.is_write_vectored()
        }

        fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut self.get_mut().inner).poll_flush(cx)
        }

        fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
        }
    }
}

#[cfg(feature = "tokio")]
pub use tokio_connector::HeaderFirst;

/// A `ClientConfig` builder on the ring provider (feature `ring`).
#[cfg(feature = "ring")]
pub fn client_config_builder()
-> Result<rustls::ConfigBuilder<ClientConfig, rustls::WantsVerifier>, rustls::Error> {
    ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
}
