//! A tokio listener that accepts PROXY (+ TLS) connections concurrently
//! under limits and hands out only ready ones (feature `listener`).
//!
//! The accept loop runs in a task of its own. Each accepted socket's setup
//! (the header under the config's policy, trust and limits; then TLS, in a
//! TLS listener) runs in its own task under the setup deadline, so one
//! silent peer never delays another; [`Listener::accept`] returns finished
//! connections in the order they finish. At most `max_in_setup` sockets are
//! in setup at once and, optionally, `max_connections` are open: beyond
//! that, new connections wait in the kernel's backlog. Accept errors that
//! mean a resource ran out (EMFILE, ENFILE, ENOBUFS, ENOMEM) back off from
//! 10 ms to 1 s and are reported at most once a second; a failed setup is
//! counted, reported through the hook and never ends the listener.
//!
//! ```
//! use proxy_hdr_io::{Config, Policy};
//! use proxy_hdr_io::listener::ProxyListener;
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let addr = tcp.local_addr()?;
//! let mut listener = ProxyListener::new(tcp, Config::new().with_policy(Policy::Require));
//!
//! let mut proxy = tokio::net::TcpStream::connect(addr).await?;
//! proxy.write_all(b"PROXY TCP4 203.0.113.9 192.0.2.1 40000 80\r\nhello").await?;
//!
//! let mut conn = listener.accept().await?;
//! assert_eq!(conn.info().client, Some("203.0.113.9:40000".parse().unwrap()));
//! let mut hello = [0u8; 5];
//! conn.read_exact(&mut hello).await?; // the bytes after the header
//! assert_eq!(&hello, b"hello");
//! assert_eq!(listener.stats().get("accepted_v1"), 1);
//! # Ok(())
//! # }
//! ```
//!
//! `accept` is cancel-safe: a connection not yet taken stays queued.
//! Dropping the listener stops its accept loop and every setup in flight.

// A `no_std` crate: this std-only module takes the std prelude.
#[allow(unused_imports)]
use std::prelude::rust_2024::*;

mod accept;
mod connection;
mod failure;
#[cfg(any(feature = "axum", feature = "tonic"))]
mod glue;
mod info;
mod setup;
mod stats;

pub use accept::{Accept, is_resource_exhaustion};
pub use connection::Connection;
pub use failure::{Failure, Report};
pub use info::{ClientInfo, TlsInfo};
pub use setup::{Progress, Ready, Setup};
pub use stats::Stats;

use alloc::sync::Arc;
use core::net::SocketAddr;
use core::pin::Pin;
use core::task::{Context, Poll};
use std::io;

use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;

use accept::{Backoff, log_accept_error};
use connection::Slot;
use stats::Gauge;

use crate::{AnyPeer, Config};

/// The default bound on sockets in setup at once.
pub const DEFAULT_MAX_IN_SETUP: usize = 1024;

/// A listener for connections that start with a PROXY header, plain TCP or
/// unix socket (behind a load balancer that terminates TLS).
pub type ProxyListener<L = tokio::net::TcpListener, T = AnyPeer> = Listener<L, Config<T>>;

/// An accepted socket as its setup gets it: with the peer address accept
/// returned, so a peer that resets at once (a health check that sends LOCAL
/// and hangs up) is still read, not lost to a failing `getpeername`.
pub type Incoming<L> = crate::WithPeer<<L as Accept>::Stream>;

/// A hook told of every connection whose setup failed.
pub type Hook = Arc<dyn Fn(&Report<'_>) + Send + Sync>;

/// Accepts connections from `L` and sets each up with `S` in its own task;
/// see the module docs.
pub struct Listener<L: Accept, S: Setup<Incoming<L>>> {
    ready: mpsc::Receiver<Connection<S::Conn>>,
    local: Option<SocketAddr>,
    stats: Arc<Stats>,
    task: tokio::task::JoinHandle<()>,
}

impl<L: Accept, S: Setup<Incoming<L>>> core::fmt::Debug for Listener<L, S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Listener").field("local", &self.local).finish_non_exhaustive()
    }
}

/// The listener's limits and hook, before it starts.
pub struct Builder<L: Accept, S: Setup<Incoming<L>>> {
    listener: L,
    setup: S,
    max_in_setup: usize,
    max_connections: Option<usize>,
    hook: Hook,
}

impl<L: Accept, S: Setup<Incoming<L>>> Listener<L, S> {
    /// Starts accepting from `listener` with the default limits: at most
    /// [`DEFAULT_MAX_IN_SETUP`] in setup, no bound on open connections, a
    /// failed setup logged (`tracing` or `log` feature). Needs a tokio
    /// runtime.
    pub fn new(listener: L, setup: S) -> Self {
        Self::builder(listener, setup).start()
    }

    /// A listener with other limits or another hook.
    pub fn builder(listener: L, setup: S) -> Builder<L, S> {
        Builder {
            listener,
            setup,
            max_in_setup: DEFAULT_MAX_IN_SETUP,
            max_connections: None,
            hook: Arc::new(failure::log),
        }
    }

    /// The next ready connection. Cancel-safe. Fails only when the accept
    /// loop has ended (its socket failed for good).
    pub async fn accept(&mut self) -> io::Result<Connection<S::Conn>> {
        self.ready.recv().await.ok_or_else(|| io::Error::other("the listener's accept loop ended"))
    }

    /// The address it listens on (`None` on a unix socket).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.local
    }

    /// The counters, shared with the accept loop.
    pub fn stats(&self) -> &Arc<Stats> {
        &self.stats
    }
}

impl<L: Accept, S: Setup<Incoming<L>>> Drop for Listener<L, S> {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl<L: Accept, S: Setup<Incoming<L>>> Builder<L, S> {
    /// At most `n` sockets in setup at once (at least 1).
    pub fn max_in_setup(mut self, n: usize) -> Self {
        self.max_in_setup = n.max(1);
        self
    }

    /// At most `n` connections open at once, counting those in setup and
    /// those handed out until they are dropped; `None` for no bound.
    pub fn max_connections(mut self, n: Option<usize>) -> Self {
        self.max_connections = n.map(|n| n.max(1));
        self
    }

    /// Calls `hook` for every failed setup instead of logging it.
    pub fn on_failure(mut self, hook: impl Fn(&Report<'_>) + Send + Sync + 'static) -> Self {
        self.hook = Arc::new(hook);
        self
    }

    /// Starts the accept loop.
    pub fn start(self) -> Listener<L, S> {
        let local = self.listener.local_addr().ok().flatten();
        let stats = Arc::new(Stats::default());
        let (tx, ready) = mpsc::channel(self.max_in_setup);
        let task = tokio::spawn(accept_loop(self, tx, stats.clone()));
        Listener { ready, local, stats, task }
    }
}

/// Accepts while there is room, sets each socket up in its own task.
async fn accept_loop<L: Accept, S: Setup<Incoming<L>>>(
    builder: Builder<L, S>,
    ready: mpsc::Sender<Connection<S::Conn>>,
    stats: Arc<Stats>,
) {
    let Builder { mut listener, setup, max_in_setup, max_connections, hook } = builder;
    let setup = Arc::new(setup);
    let in_setup = Arc::new(Semaphore::new(max_in_setup));
    let open = max_connections.map(|n| Arc::new(Semaphore::new(n)));
    let mut tasks = JoinSet::new();
    let mut backoff = Backoff::new();
    // The listener's address, once: a `getsockname` per connection cost a
    // syscall each.
    let local = listener.local_addr().ok().flatten();
    loop {
        // Room first, then accept: beyond the limits, sockets wait in the backlog.
        let Ok(setup_permit) = in_setup.clone().acquire_owned().await else { return };
        let open_permit = match &open {
            Some(open) => match open.clone().acquire_owned().await {
                Ok(permit) => Some(permit),
                Err(_) => return,
            },
            None => None,
        };
        let (stream, peer) = loop {
            // Reap finished setups so the set does not grow.
            while tasks.try_join_next().is_some() {}
            match listener.accept().await {
                Ok(accepted) => {
                    backoff.reset();
                    break accepted;
                }
                Err(e) => {
                    stats.accept_error();
                    let (wait, report) = backoff.failed(&e);
                    if let Some(suppressed) = report {
                        log_accept_error(&e, wait, suppressed);
                    }
                    if !wait.is_zero() {
                        tokio::time::sleep(wait).await;
                    }
                }
            }
        };
        let (setup, stats, ready, hook) =
            (setup.clone(), stats.clone(), ready.clone(), hook.clone());
        tasks.spawn(async move {
            stats.gauge(Gauge::InSetup, true);
            let stream = crate::WithPeer::new(stream, peer.map(|p| p.ip()));
            let outcome = set_up(&*setup, stream, Progress { stats: &stats }).await;
            stats.gauge(Gauge::InSetup, false);
            // The outcome is counted (and a failure reported) before room
            // frees, so a setup that starts next sees every earlier one counted.
            match &outcome {
                Ok(_) => stats.ready(),
                Err(failure) => {
                    stats.failed(failure);
                    hook(&Report { peer, failure });
                }
            }
            drop(setup_permit);
            if let Ok(done) = outcome {
                let mut info = ClientInfo::new(peer, local, done.header);
                info.tls = done.tls;
                let slot = Slot { _permit: open_permit, stats };
                let _ = ready.send(Connection::new(done.conn, info, slot)).await;
            }
        });
    }
}

/// `setup.setup(stream)` under its deadline (a backstop: setups keep their
/// own deadlines and say which stage timed out).
async fn set_up<S, St>(
    setup: &S,
    stream: St,
    progress: Progress<'_>,
) -> Result<Ready<S::Conn>, Failure>
where
    S: Setup<St>,
{
    let work = setup.setup(stream, progress);
    if setup.enforces_timeout() {
        return work.await;
    }
    let Some(timeout) = setup.setup_timeout() else { return work.await };
    let backstop = timeout + core::time::Duration::from_millis(100);
    match tokio::time::timeout(backstop, work).await {
        Ok(outcome) => outcome,
        Err(_) => Err(Failure::TimedOut { stage: setup.last_stage() }),
    }
}

impl<L: Accept, S: Setup<Incoming<L>>> futures_core::Stream for Listener<L, S> {
    type Item = io::Result<Connection<S::Conn>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().ready.poll_recv(cx).map(|c| c.map(Ok))
    }
}
