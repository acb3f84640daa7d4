//! A stream that replays the bytes read past the header before reading on
//! (after hyper's `Rewind`), so the next protocol sees the connection as if
//! the header had never been there.

/// Serves `prefix` (the leftover) first, then the inner stream. Writes,
/// flushes and shutdowns go straight to the inner stream.
///
/// `B` is any byte container: `&[u8]` borrowed from the read buffer, a
/// `heapless::Vec` or, with `std`, a `Vec<u8>` to move into a spawned task.
/// Once the prefix is replayed it is dropped, so an owned prefix holds no
/// memory for the rest of the connection.
#[derive(Debug)]
pub struct Rewind<S, B> {
    prefix: Option<B>,
    pos: usize,
    inner: S,
}

impl<S, B: AsRef<[u8]>> Rewind<S, B> {
    /// Replays `prefix`, then reads `inner`.
    pub fn new(inner: S, prefix: B) -> Self {
        Rewind { prefix: Some(prefix), pos: 0, inner }
    }

    /// The prefix bytes not yet read.
    pub fn pending(&self) -> &[u8] {
        pending(&self.prefix, self.pos)
    }

    /// The inner stream.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// The inner stream, mutably (reading it directly skips what is pending).
    pub fn inner_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The inner stream and the prefix bytes not yet read, given back (as
    /// `BufWriter::into_parts` does): nothing is dropped.
    ///
    /// ```
    /// use proxy_hdr_io::Rewind;
    /// let mut stream = Rewind::new(&b"world"[..], &b"hello "[..]);
    /// let mut first = [0u8; 2];
    /// std::io::Read::read(&mut stream, &mut first).unwrap();
    /// let (inner, unread) = stream.into_parts();
    /// assert_eq!((unread.as_ref(), inner), (&b"llo "[..], &b"world"[..]));
    /// ```
    pub fn into_parts(self) -> (S, Unread<B>) {
        (self.inner, Unread { bytes: self.prefix, pos: self.pos })
    }

    /// Copies pending prefix bytes into `buf`; `None` when none are left.
    fn replay(&mut self, buf: &mut [u8]) -> Option<usize> {
        let pending = self.pending();
        if pending.is_empty() || buf.is_empty() {
            return None;
        }
        let n = pending.len().min(buf.len());
        buf.get_mut(..n)?.copy_from_slice(pending.get(..n)?);
        self.consumed(n);
        Some(n)
    }

    /// Marks `n` pending bytes read, dropping the prefix once all are.
    fn consumed(&mut self, n: usize) {
        self.pos += n;
        if self.pending().is_empty() {
            self.prefix = None;
            self.pos = 0;
        }
    }
}

fn pending<B: AsRef<[u8]>>(prefix: &Option<B>, pos: usize) -> &[u8] {
    prefix.as_ref().and_then(|p| p.as_ref().get(pos..)).unwrap_or_default()
}

/// The prefix bytes a [`Rewind`] had not replayed yet: its buffer and how
/// far it got. `as_ref()` is the unread part, so it can prefix another
/// stream in turn.
#[derive(Debug, Clone)]
pub struct Unread<B> {
    bytes: Option<B>,
    pos: usize,
}

impl<B: AsRef<[u8]>> AsRef<[u8]> for Unread<B> {
    fn as_ref(&self) -> &[u8] {
        pending(&self.bytes, self.pos)
    }
}

impl<B> Unread<B> {
    /// The whole buffer, the part already read included; `None` once it was
    /// all replayed (and dropped).
    pub fn into_buffer(self) -> Option<B> {
        self.bytes
    }
}

impl<S: embedded_io::ErrorType, B> embedded_io::ErrorType for Rewind<S, B> {
    type Error = S::Error;
}

impl<S: embedded_io::Read, B: AsRef<[u8]>> embedded_io::Read for Rewind<S, B> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, S::Error> {
        match self.replay(buf) {
            Some(n) => Ok(n),
            None => self.inner.read(buf),
        }
    }
}

impl<S: embedded_io::Write, B> embedded_io::Write for Rewind<S, B> {
    fn write(&mut self, buf: &[u8]) -> Result<usize, S::Error> {
        self.inner.write(buf)
    }

    fn flush(&mut self) -> Result<(), S::Error> {
        self.inner.flush()
    }
}

impl<S: embedded_io_async::Read, B: AsRef<[u8]>> embedded_io_async::Read for Rewind<S, B> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, S::Error> {
        match self.replay(buf) {
            Some(n) => Ok(n),
            None => self.inner.read(buf).await,
        }
    }
}

impl<S: embedded_io_async::Write, B> embedded_io_async::Write for Rewind<S, B> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, S::Error> {
        self.inner.write(buf).await
    }

    async fn flush(&mut self) -> Result<(), S::Error> {
        self.inner.flush().await
    }
}

#[cfg(feature = "std")]
impl<S: std::io::Read, B: AsRef<[u8]>> std::io::Read for Rewind<S, B> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.replay(buf) {
            Some(n) => Ok(n),
            None => self.inner.read(buf),
        }
    }
}

#[cfg(feature = "std")]
impl<S: std::io::Write, B> std::io::Write for Rewind<S, B> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.inner.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(feature = "tokio")]
mod tokio_impls {
    use core::pin::Pin;
    use core::task::{Context, Poll};
    use std::io;

    use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

    use super::Rewind;

    impl<S: AsyncRead + Unpin, B: AsRef<[u8]> + Unpin> AsyncRead for Rewind<S, B> {
        fn poll_read(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            let this = self.get_mut();
            let pending = this.pending();
            if !pending.is_empty() {
                let n = pending.len().min(buf.remaining());
                buf.put_slice(pending.get(..n).unwrap_or_default());
                this.consumed(n);
                return Poll::Ready(Ok(()));
            }
            Pin::new(&mut this.inner).poll_read(cx, buf)
        }
    }

    impl<S: AsyncWrite + Unpin, B: Unpin> AsyncWrite for Rewind<S, B> {
        fn poll_write(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
        }

        fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut self.get_mut().inner).poll_flush(cx)
        }

        fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
        }

        fn poll_write_vectored(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            bufs: &[io::IoSlice<'_>],
        ) -> Poll<io::Result<usize>> {
            Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
        }

        fn is_write_vectored(&self) -> bool {
            self.inner.is_write_vectored()
        }
    }
}
