//! quinn behind a PROXY-sending UDP relay (feature `quinn`):
//! [`ProxyUdpSocket`] as a `quinn::AsyncUdpSocket`, so an endpoint sees
//! headers stripped, in either [`DatagramMode`](crate::DatagramMode), and
//! the application looks up a connection's real client with
//! [`ProxyUdpSocket::client_of`]`(connection.remote_address())`.
//!
//! Datagrams are received and sent one at a time (no GRO or GSO): each one
//! may carry its own header, and the payload is moved to the start of
//! quinn's buffer in place, without an allocation.
//!
//! ```no_run
//! # async fn demo(server: quinn::ServerConfig) -> std::io::Result<()> {
//! use std::sync::Arc;
//! use proxy_hdr_io::{Config, DatagramMode, ProxyUdpSocket};
//!
//! let udp = tokio::net::UdpSocket::bind("0.0.0.0:443").await?;
//! let socket = Arc::new(ProxyUdpSocket::new(udp, DatagramMode::FirstOfFlow, Config::new()));
//! let endpoint = quinn::Endpoint::new_with_abstract_socket(
//!     quinn::EndpointConfig::default(),
//!     Some(server),
//!     socket.clone(),
//!     Arc::new(quinn::TokioRuntime),
//! )?;
//! while let Some(incoming) = endpoint.accept().await {
//!     let connection = incoming.await?;
//!     let client = socket.client_of(connection.remote_address());
//! }
//! # Ok(())
//! # }
//! ```

use alloc::boxed::Box;
use alloc::sync::Arc;
use core::fmt;
use core::net::SocketAddr;
use core::pin::Pin;
use core::task::{Context, Poll, ready};
use std::io::{self, IoSliceMut};

use quinn::udp::{RecvMeta, Transmit};
use quinn::{AsyncUdpSocket, UdpPoller};
use tokio::io::ReadBuf;

use crate::{ProxyUdpSocket, Trust};

impl<T: Trust + Send + Sync + 'static> AsyncUdpSocket for ProxyUdpSocket<T> {
    fn create_io_poller(self: Arc<Self>) -> Pin<Box<dyn UdpPoller>> {
        Box::pin(Writable(self))
    }

    fn try_send(&self, transmit: &Transmit<'_>) -> io::Result<()> {
        // One datagram per transmit: `max_transmit_segments` is 1.
        self.socket.try_send_to(transmit.contents, transmit.destination).map(|_| ())
    }

    fn poll_recv(
        &self,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
        meta: &mut [RecvMeta],
    ) -> Poll<io::Result<usize>> {
        let (Some(buf), Some(out)) = (bufs.first_mut(), meta.first_mut()) else {
            return Poll::Ready(Ok(0));
        };
        loop {
            let mut read = ReadBuf::new(buf);
            let peer = ready!(self.socket.poll_recv_from(cx, &mut read))?;
            let len = read.filled().len();
            // Dropped datagrams are counted and reported; poll the next.
            if let Some((len, _)) = self.take(buf, len, peer) {
                *out = RecvMeta { addr: peer, len, stride: len, ecn: None, dst_ip: None };
                return Poll::Ready(Ok(1));
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }
}

/// Polls the socket for room to send.
struct Writable<T>(Arc<ProxyUdpSocket<T>>);

impl<T> fmt::Debug for Writable<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Writable").field(&self.0).finish()
    }
}

impl<T: Send + Sync + 'static> UdpPoller for Writable<T> {
    fn poll_writable(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.0.socket.poll_send_ready(cx)
    }
}
