//! The sockets a listener accepts from, and what to do when accepting
//! fails: back off on resource exhaustion instead of spinning.

// A `no_std` crate: this std-only module takes the std prelude.
#[allow(unused_imports)]
use std::prelude::rust_2024::*;

use core::future::Future;
use core::net::SocketAddr;
use core::time::Duration;
use std::io;
use std::time::Instant;

use tokio::io::{AsyncRead, AsyncWrite};

use crate::PeerAddr;

/// A socket that hands out connections: `tokio::net::TcpListener`, or a
/// `UnixListener` (HAProxy and nginx often reach the app over one).
pub trait Accept: Send + 'static {
    /// The connection type.
    type Stream: AsyncRead + AsyncWrite + PeerAddr + Unpin + Send + 'static;

    /// The next connection and its peer (`None` on a unix socket).
    fn accept(
        &mut self,
    ) -> impl Future<Output = io::Result<(Self::Stream, Option<SocketAddr>)>> + Send;

    /// The address it listens on (`None` on a unix socket).
    fn local_addr(&self) -> io::Result<Option<SocketAddr>>;
}

impl Accept for tokio::net::TcpListener {
    type Stream = tokio::net::TcpStream;

    async fn accept(&mut self) -> io::Result<(Self::Stream, Option<SocketAddr>)> {
        let (stream, peer) = tokio::net::TcpListener::accept(self).await?;
        Ok((stream, Some(peer)))
    }

    fn local_addr(&self) -> io::Result<Option<SocketAddr>> {
        tokio::net::TcpListener::local_addr(self).map(Some)
    }
}

#[cfg(unix)]
impl Accept for tokio::net::UnixListener {
    type Stream = tokio::net::UnixStream;

    async fn accept(&mut self) -> io::Result<(Self::Stream, Option<SocketAddr>)> {
        let (stream, _) = tokio::net::UnixListener::accept(self).await?;
        Ok((stream, None))
    }

    fn local_addr(&self) -> io::Result<Option<SocketAddr>> {
        Ok(None)
    }
}

/// True for the errors that mean the process or the system is out of a
/// resource (descriptors, buffers, memory): accepting again at once would
/// fail again, so wait.
pub fn is_resource_exhaustion(e: &io::Error) -> bool {
    #[cfg(unix)]
    {
        matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM))
    }
    #[cfg(not(unix))]
    {
        e.kind() == io::ErrorKind::OutOfMemory
    }
}

/// The accept loop's backoff: 10 ms doubling to 1 s while accepting keeps
/// failing for lack of resources, reset by a success; and a report at most
/// once a second, so a storm of failures is one line per second.
#[derive(Debug)]
pub(crate) struct Backoff {
    delay: Duration,
    last_report: Option<Instant>,
    suppressed: u64,
}

pub(crate) const FIRST_DELAY: Duration = Duration::from_millis(10);
pub(crate) const MAX_DELAY: Duration = Duration::from_secs(1);

impl Backoff {
    pub(crate) fn new() -> Self {
        Backoff { delay: FIRST_DELAY, last_report: None, suppressed: 0 }
    }

    /// A successful accept.
    pub(crate) fn reset(&mut self) {
        self.delay = FIRST_DELAY;
    }

    /// A failed accept: how long to wait (zero for a per-connection error
    /// such as a peer that reset before it was accepted), and whether to
    /// report it now (with how many were not reported since).
    pub(crate) fn failed(&mut self, e: &io::Error) -> (Duration, Option<u64>) {
        let wait = if is_resource_exhaustion(e) {
            let wait = self.delay;
            self.delay = (self.delay * 2).min(MAX_DELAY);
            wait
        } else {
            Duration::ZERO
        };
        let now = Instant::now();
        let due =
            self.last_report.is_none_or(|at| now.duration_since(at) >= Duration::from_secs(1));
        if due {
            self.last_report = Some(now);
            let suppressed = core::mem::take(&mut self.suppressed);
            (wait, Some(suppressed))
        } else {
            self.suppressed += 1;
            (wait, None)
        }
    }
}

#[allow(unused_variables)] // without a logging feature the line goes nowhere
pub(crate) fn log_accept_error(e: &io::Error, wait: Duration, suppressed: u64) {
    #[cfg(feature = "tracing")]
    tracing::warn!(
        target: "proxy_hdr_io::listener",
        "accept failed: {e}; retrying in {wait:?} ({suppressed} more failures in the last second)"
    );
    #[cfg(feature = "log")]
    log::warn!(
        target: "proxy_hdr_io::listener",
        "accept failed: {e}; retrying in {wait:?} ({suppressed} more failures in the last second)"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backs_off_on_exhaustion_and_reports_once_a_second() {
        let mut b = Backoff::new();
        let emfile = io::Error::from_raw_os_error(libc::EMFILE);
        let waits: Vec<Duration> = (0..9).map(|_| b.failed(&emfile).0).collect();
        assert_eq!(waits[0], Duration::from_millis(10));
        assert_eq!(waits[1], Duration::from_millis(20));
        assert_eq!(*waits.last().unwrap(), MAX_DELAY);
        b.reset();
        assert_eq!(b.failed(&emfile).0, FIRST_DELAY);
        // A reset peer is the connection's problem: no wait.
        let aborted = io::Error::from(io::ErrorKind::ConnectionAborted);
        assert_eq!(b.failed(&aborted).0, Duration::ZERO);
        // Only the first of these failures within a second is reported.
        let mut fresh = Backoff::new();
        let reports = (0..1000).filter(|_| fresh.failed(&emfile).1.is_some()).count();
        assert_eq!(reports, 1);
    }
}
