//! A connection that closes when it sits idle (no byte either way for the
//! idle timeout) or a write stalls (for the write timeout), for HTTP/2,
//! where hyper has no idle timeout of its own. (HTTP/1.1 also gets hyper's
//! header-read timeout: a request head must be whole within the idle
//! timeout, so trickling one byte at a time does not keep it open.)

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep, sleep};

/// `S`, closed with `TimedOut` when idle or stalled in a write.
pub(crate) struct Idle<S> {
    inner: S,
    idle: Duration,
    write: Duration,
    idle_timer: Pin<Box<Sleep>>,
    write_timer: Option<Pin<Box<Sleep>>>,
}

impl<S> Idle<S> {
    pub(crate) fn new(inner: S, idle: Duration, write: Duration) -> Self {
        Idle { inner, idle, write, idle_timer: Box::pin(sleep(idle)), write_timer: None }
    }

    fn active(&mut self) {
        self.idle_timer.as_mut().reset(Instant::now() + self.idle);
    }

    fn timed_out(what: &str) -> io::Error {
        io::Error::new(io::ErrorKind::TimedOut, what.to_owned())
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Idle<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(r) => {
                this.active();
                Poll::Ready(r)
            }
            Poll::Pending => {
                ready!(this.idle_timer.as_mut().poll(cx));
                Poll::Ready(Err(Self::timed_out("idle timeout")))
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Idle<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().timed_write(cx, |inner, cx| Pin::new(inner).poll_write(cx, buf))
    }

    // Forwarded: TLS records written one by one would meet Nagle and the
    // client's delayed ACK.
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().timed_write(cx, |inner, cx| Pin::new(inner).poll_write_vectored(cx, bufs))
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

impl<S: AsyncWrite + Unpin> Idle<S> {
    /// A write under the write timeout.
    fn timed_write(
        &mut self,
        cx: &mut Context<'_>,
        op: impl FnOnce(&mut S, &mut Context<'_>) -> Poll<io::Result<usize>>,
    ) -> Poll<io::Result<usize>> {
        let this = self;
        match op(&mut this.inner, cx) {
            Poll::Ready(r) => {
                this.write_timer = None;
                this.active();
                Poll::Ready(r)
            }
            Poll::Pending => {
                let write = this.write;
                let timer = this.write_timer.get_or_insert_with(|| Box::pin(sleep(write)));
                ready!(timer.as_mut().poll(cx));
                Poll::Ready(Err(Self::timed_out("write timeout")))
            }
        }
    }
}
