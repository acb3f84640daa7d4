//! std sockets: the blocking read loop under a deadline, kept with socket
//! timeouts.

use core::time::Duration;
use std::io;
use std::net::TcpStream;
use std::time::Instant;

use crate::blocking::read_header;
use crate::config::Config;
use crate::engine::Accepted;
use crate::error::Error;
use crate::peer::{PeerAddr, WithPeer, peer_of};
use crate::trust::Trust;

/// A blocking std socket: reads and writes that a timeout can bound.
pub trait Socket: io::Read + io::Write + PeerAddr {
    /// The socket's read timeout.
    fn read_timeout(&self) -> io::Result<Option<Duration>>;
    /// Sets the socket's read timeout (`Some(zero)` is refused by std).
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()>;
    /// The socket's write timeout.
    fn write_timeout(&self) -> io::Result<Option<Duration>>;
    /// Sets the socket's write timeout.
    fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()>;
    /// True when the socket is in non-blocking mode (`false` where the
    /// platform cannot tell).
    fn is_nonblocking(&self) -> io::Result<bool>;
    /// Moves the socket into or out of non-blocking mode.
    fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()>;
}

/// `Socket` for std's socket types, which share these methods.
macro_rules! std_socket {
    ($ty:ty) => {
        impl Socket for $ty {
            fn read_timeout(&self) -> io::Result<Option<Duration>> {
                <$ty>::read_timeout(self)
            }
            fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
                <$ty>::set_read_timeout(self, timeout)
            }
            fn write_timeout(&self) -> io::Result<Option<Duration>> {
                <$ty>::write_timeout(self)
            }
            fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
                <$ty>::set_write_timeout(self, timeout)
            }
            fn is_nonblocking(&self) -> io::Result<bool> {
                #[cfg(unix)]
                return socket2::SockRef::from(self).nonblocking();
                #[cfg(not(unix))]
                return Ok(false);
            }
            fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()> {
                <$ty>::set_nonblocking(self, nonblocking)
            }
        }
    };
}

std_socket!(TcpStream);
#[cfg(unix)]
std_socket!(std::os::unix::net::UnixStream);

impl<S: Socket> Socket for WithPeer<S> {
    fn read_timeout(&self) -> io::Result<Option<Duration>> {
        self.stream.read_timeout()
    }
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.stream.set_read_timeout(timeout)
    }
    fn write_timeout(&self) -> io::Result<Option<Duration>> {
        self.stream.write_timeout()
    }
    fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.stream.set_write_timeout(timeout)
    }
    fn is_nonblocking(&self) -> io::Result<bool> {
        self.stream.is_nonblocking()
    }
    fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()> {
        self.stream.set_nonblocking(nonblocking)
    }
}

/// Reads a header from a blocking std socket: its peer (from the socket)
/// is checked against the trusted peers, and the config's header deadline
/// bounds the whole header. Each read's timeout is what is left of it; a
/// read interrupted by a signal is retried with the time left; a socket in
/// non-blocking mode is read in blocking mode for the header. The socket's
/// own timeouts and mode are restored before returning.
///
/// For a stream whose peer the socket cannot name, wrap it in
/// [`WithPeer`].
pub fn read_header_std<'b, S: Socket + ?Sized, T: Trust>(
    stream: &mut S,
    buf: &'b mut [u8],
    config: &Config<T>,
) -> Result<Accepted<'b>, Error<io::Error>> {
    let peer = peer_of(stream)?;
    let mut timed = Deadline::new(stream, config.header_timeout()).map_err(Error::Io)?;
    let result = read_header(&mut timed, peer, buf, config);
    let restored = timed.restore();
    let accepted = result?;
    restored.map_err(Error::Io)?;
    Ok(accepted)
}

/// A std socket under a deadline: each read and write is given the time
/// left as its timeout and fails with `TimedOut` once it has passed; a call
/// interrupted by a signal is retried. The socket's own timeouts and
/// blocking mode are put back by [`restore`](Self::restore), or when this is
/// dropped.
pub struct Deadline<'s, S: Socket + ?Sized> {
    socket: &'s mut S,
    deadline: Option<Instant>,
    saved: Option<Saved>,
}

#[derive(Clone, Copy)]
struct Saved {
    read: Option<Duration>,
    write: Option<Duration>,
    nonblocking: bool,
}

impl<S: Socket + ?Sized> core::fmt::Debug for Deadline<'_, S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Deadline").field("deadline", &self.deadline).finish_non_exhaustive()
    }
}

impl<'s, S: Socket + ?Sized> Deadline<'s, S> {
    /// `socket`, with calls bounded by `timeout` from now; `None`, or a
    /// timeout too large to represent, is no deadline.
    pub fn new(socket: &'s mut S, timeout: Option<Duration>) -> io::Result<Self> {
        let saved = Saved {
            read: socket.read_timeout()?,
            write: socket.write_timeout()?,
            nonblocking: socket.is_nonblocking()?,
        };
        if saved.nonblocking {
            socket.set_nonblocking(false)?;
        }
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        Ok(Deadline { socket, deadline, saved: Some(saved) })
    }

    /// Puts the socket's own timeouts and mode back.
    pub fn restore(mut self) -> io::Result<()> {
        self.put_back()
    }

    fn put_back(&mut self) -> io::Result<()> {
        let Some(saved) = self.saved.take() else { return Ok(()) };
        self.socket.set_read_timeout(saved.read)?;
        self.socket.set_write_timeout(saved.write)?;
        if saved.nonblocking {
            self.socket.set_nonblocking(true)?;
        }
        Ok(())
    }

    /// The time left, as a socket timeout; `Err(TimedOut)` once it is gone.
    fn left(&self) -> io::Result<Option<Duration>> {
        let Some(deadline) = self.deadline else { return Ok(None) };
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        // A zero timeout means "none" to the socket: never pass one.
        Ok(Some(left.max(Duration::from_millis(1))))
    }

    /// Runs `call` with the time left as the timeout `set` installs.
    fn bounded<T>(
        &mut self,
        set: fn(&S, Option<Duration>) -> io::Result<()>,
        mut call: impl FnMut(&mut S) -> io::Result<T>,
    ) -> io::Result<T> {
        loop {
            let left = self.left()?;
            if self.deadline.is_some() {
                set(self.socket, left)?;
            }
            match call(self.socket) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                // Linux reports an expired SO_RCVTIMEO as EAGAIN; the socket
                // is blocking here, so that is the only way to get one.
                Err(e)
                    if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) =>
                {
                    return Err(io::ErrorKind::TimedOut.into());
                }
                other => return other,
            }
        }
    }
}

impl<S: Socket + ?Sized> Drop for Deadline<'_, S> {
    fn drop(&mut self) {
        let _ = self.put_back();
    }
}

impl<S: Socket + ?Sized> io::Read for Deadline<'_, S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.bounded(S::set_read_timeout, |s| s.read(buf))
    }
}

impl<S: Socket + ?Sized> io::Write for Deadline<'_, S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.bounded(S::set_write_timeout, |s| s.write(buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.bounded(S::set_write_timeout, |s| s.flush())
    }
}

impl<S: Socket + ?Sized> embedded_io::ErrorType for Deadline<'_, S> {
    type Error = io::Error;
}

impl<S: Socket + ?Sized> embedded_io::Read for Deadline<'_, S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        io::Read::read(self, buf)
    }
}
