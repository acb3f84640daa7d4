//! Where a connection's peer address comes from: the socket, or the caller.

use core::net::IpAddr;
use std::io;

/// A connected stream that can name its peer, so the readers that take it
/// check trust without being told the address.
pub trait PeerAddr {
    /// The peer's IP address; `Ok(None)` for a stream without one (a unix
    /// socket), which only a trust of every peer accepts.
    fn peer_ip(&self) -> io::Result<Option<IpAddr>>;
}

impl PeerAddr for std::net::TcpStream {
    fn peer_ip(&self) -> io::Result<Option<IpAddr>> {
        self.peer_addr().map(|a| Some(a.ip()))
    }
}

#[cfg(unix)]
impl PeerAddr for std::os::unix::net::UnixStream {
    fn peer_ip(&self) -> io::Result<Option<IpAddr>> {
        Ok(None)
    }
}

#[cfg(feature = "tokio")]
impl PeerAddr for tokio::net::TcpStream {
    fn peer_ip(&self) -> io::Result<Option<IpAddr>> {
        self.peer_addr().map(|a| Some(a.ip()))
    }
}

#[cfg(all(feature = "tokio", unix))]
impl PeerAddr for tokio::net::UnixStream {
    fn peer_ip(&self) -> io::Result<Option<IpAddr>> {
        Ok(None)
    }
}

impl<S: PeerAddr + ?Sized> PeerAddr for &mut S {
    fn peer_ip(&self) -> io::Result<Option<IpAddr>> {
        (**self).peer_ip()
    }
}

/// A stream with its peer address given by the caller: a connection that
/// came through something else first (an outer TLS layer, a tunnel), or an
/// in-memory stream in tests. Reads and writes go to the stream.
#[derive(Debug)]
pub struct WithPeer<S> {
    /// The stream.
    pub stream: S,
    /// The peer's address, `None` when unknown.
    pub peer: Option<IpAddr>,
}

impl<S> WithPeer<S> {
    /// `stream`, from `peer`.
    pub fn new(stream: S, peer: Option<IpAddr>) -> Self {
        WithPeer { stream, peer }
    }
}

impl<S> PeerAddr for WithPeer<S> {
    fn peer_ip(&self) -> io::Result<Option<IpAddr>> {
        Ok(self.peer)
    }
}

impl<S: io::Read> io::Read for WithPeer<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.stream.read(buf)
    }
}

impl<S: io::Write> io::Write for WithPeer<S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.stream.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stream.flush()
    }
}

#[cfg(feature = "tokio")]
mod tokio_impls {
    use core::pin::Pin;
    use core::task::{Context, Poll};
    use std::io;

    use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

    use super::WithPeer;

    impl<S: AsyncRead + Unpin> AsyncRead for WithPeer<S> {
        fn poll_read(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
        }
    }

    impl<S: AsyncWrite + Unpin> AsyncWrite for WithPeer<S> {
        fn poll_write(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
        }

        // Forwarded, or rustls's records go out one write each: with Nagle
        // on, the second small segment waits for the peer's delayed ACK
        // (found by the handshake benchmark: 36 ms per handshake, not 0.6).
        fn poll_write_vectored(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            bufs: &[io::IoSlice<'_>],
        ) -> Poll<io::Result<usize>> {
            Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
        }

        fn is_write_vectored(&self) -> bool {
            self.stream.is_write_vectored()
        }

        fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut self.get_mut().stream).poll_flush(cx)
        }

        fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
        }
    }
}

/// The peer of `stream` for a reader: a peer already gone (a TCP health
/// check that connects and resets at once makes `getpeername` fail with
/// `ENOTCONN`) is a close, not a failure of this side.
pub(crate) fn peer_of<S: PeerAddr + ?Sized>(
    stream: &S,
) -> Result<Option<IpAddr>, crate::Error<io::Error>> {
    match stream.peer_ip() {
        Ok(peer) => Ok(peer),
        Err(e) if e.kind() == io::ErrorKind::NotConnected => {
            Err(crate::Error::Closed { received: 0 })
        }
        Err(e) => Err(crate::Error::Io(e)),
    }
}
