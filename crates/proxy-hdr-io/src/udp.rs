//! A tokio UDP socket behind a PROXY-sending UDP relay (frp, go-proxyproto
//! senders): `recv_from` strips the header and names the real client;
//! `send_to(client)` routes the reply to the relay socket that client came
//! through, so a server answers the right client without knowing the relay.

use alloc::sync::Arc;
use core::net::SocketAddr;
use core::time::Duration;
use std::io;
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use std::format;

use tokio::net::UdpSocket;

use crate::flow::{DatagramMode, FlowStats, Received};
use crate::flow_table::{DEFAULT_FLOW_IDLE, DEFAULT_MAX_FLOWS, FlowTable, Lru};
use crate::{AnyPeer, Config, Error, Trust, split_datagram};

/// Where a received datagram came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UdpMeta {
    /// The real client (the header's, the flow's, or the peer).
    pub client: SocketAddr,
    /// The socket peer: the relay's socket (or a direct client).
    pub peer: SocketAddr,
    /// True when this datagram carried a header.
    pub had_header: bool,
}

/// A hook told of every dropped datagram: its peer and why.
pub type DropHook = Arc<dyn Fn(SocketAddr, &Error<core::convert::Infallible>) + Send + Sync>;

struct State {
    flows: FlowTable,
    /// client -> the peer its datagrams came through, for replies.
    routes: Lru<SocketAddr, SocketAddr>,
    /// peer -> the client of its latest datagram.
    clients: Lru<SocketAddr, SocketAddr>,
    stats: FlowStats,
}

/// A `tokio::net::UdpSocket` whose datagrams start with PROXY headers, per
/// datagram or per flow ([`DatagramMode`]).
///
/// The receive buffer must be larger than any datagram: a datagram that
/// fills it may have been cut by the kernel, so it is dropped as truncated
/// (65,536 bytes always suffices).
pub struct ProxyUdpSocket<T = AnyPeer> {
    pub(crate) socket: UdpSocket,
    mode: DatagramMode,
    config: Config<T>,
    idle: Duration,
    state: Mutex<State>,
    on_drop: Option<DropHook>,
}

impl<T> core::fmt::Debug for ProxyUdpSocket<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ProxyUdpSocket")
            .field("socket", &self.socket)
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl<T: Trust> ProxyUdpSocket<T> {
    /// Wraps `socket`; headers are read under `config` (its policy, trust and
    /// size limit; its timeouts do not apply to datagrams). At most 65,536
    /// flows and routes, each kept 30 s after its last datagram.
    pub fn new(socket: UdpSocket, mode: DatagramMode, config: Config<T>) -> Self {
        Self::with_limits(socket, mode, config, DEFAULT_MAX_FLOWS, DEFAULT_FLOW_IDLE)
    }

    /// [`new`](Self::new) with other bounds on the flow and route tables.
    pub fn with_limits(
        socket: UdpSocket,
        mode: DatagramMode,
        config: Config<T>,
        capacity: usize,
        idle: Duration,
    ) -> Self {
        let state = State {
            flows: FlowTable::new(capacity, idle),
            routes: Lru::new(capacity),
            clients: Lru::new(capacity),
            stats: FlowStats::default(),
        };
        ProxyUdpSocket { socket, mode, config, idle, state: Mutex::new(state), on_drop: None }
    }

    /// Calls `hook` for every dropped datagram (to log it: the error's
    /// `Display` names the reason; no attacker bytes are in it).
    pub fn on_drop(
        mut self,
        hook: impl Fn(SocketAddr, &Error<core::convert::Infallible>) + Send + Sync + 'static,
    ) -> Self {
        self.on_drop = Some(Arc::new(hook));
        self
    }

    /// Receives the next datagram that passes the checks: its payload is
    /// moved to the start of `buf`; returns its length and where it came
    /// from. Dropped datagrams are counted and reported to the hook.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, UdpMeta)> {
        loop {
            let (len, peer) = self.socket.recv_from(buf).await?;
            if let Some(got) = self.take(buf, len, peer) {
                return Ok(got);
            }
        }
    }

    /// One received datagram of `len` bytes in `buf`: its payload moved to
    /// the start, or `None` when it is dropped (counted and reported).
    pub(crate) fn take(
        &self,
        buf: &mut [u8],
        len: usize,
        peer: SocketAddr,
    ) -> Option<(usize, UdpMeta)> {
        let datagram = buf.get(..len).unwrap_or_default();
        let outcome = if len == buf.len() {
            let e = Error::Truncated { received: len };
            self.lock().stats.dropped(&e);
            Err(e)
        } else {
            self.split(datagram, peer)
        };
        match outcome {
            Ok((client, had_header, payload_len)) => {
                buf.copy_within(len - payload_len..len, 0);
                Some((payload_len, UdpMeta { client, peer, had_header }))
            }
            Err(e) => {
                if let Some(hook) = &self.on_drop {
                    hook(peer, &e);
                }
                None
            }
        }
    }

    /// Splits one datagram under the mode; the client, whether it had a
    /// header, and the payload's length (it ends the datagram).
    fn split(
        &self,
        datagram: &[u8],
        peer: SocketAddr,
    ) -> Result<(SocketAddr, bool, usize), Error<core::convert::Infallible>> {
        let now = Instant::now();
        let mut state = self.lock();
        let received = match self.mode {
            DatagramMode::FirstOfFlow => state.flows.receive(datagram, peer, now, &self.config),
            DatagramMode::PerDatagram => split_datagram(datagram, Some(peer.ip()), &self.config)
                .map(|a| Received {
                    client: a.header.as_ref().and_then(proxy_hdr::Header::source).unwrap_or(peer),
                    header: a.header,
                    payload: a.leftover,
                    opened: true,
                }),
        };
        let received = received.inspect_err(|e| {
            if self.mode == DatagramMode::PerDatagram {
                state.stats.dropped(e);
            }
        })?;
        state.routes.expire(now, self.idle);
        state.routes.insert(received.client, peer, now);
        state.clients.expire(now, self.idle);
        state.clients.insert(peer, received.client, now);
        Ok((received.client, received.header.is_some(), received.payload.len()))
    }

    /// Sends `buf` to `client` through the peer its datagrams came from.
    /// A client never seen (or whose route expired) is `NotFound`: replies
    /// go only where a datagram came from.
    pub async fn send_to(&self, buf: &[u8], client: SocketAddr) -> io::Result<usize> {
        let peer = self.lock().routes.peek(&client).ok_or_else(|| {
            io::Error::new(io::ErrorKind::NotFound, format!("no route to client {client}"))
        })?;
        self.socket.send_to(buf, peer).await
    }

    /// The client of the latest datagram from `peer`: with quinn, the real
    /// client of a connection whose `remote_address()` is `peer` (a relay
    /// that gives each client its own socket, as frp does, keeps this
    /// one-to-one).
    pub fn client_of(&self, peer: SocketAddr) -> Option<SocketAddr> {
        self.lock().clients.peek(&peer)
    }

    /// The counters: the flow table's (first-of-flow mode) and drops.
    pub fn stats(&self) -> FlowStats {
        let state = self.lock();
        let mut stats = state.flows.stats();
        let own = state.stats;
        stats.dropped_no_header += own.dropped_no_header;
        stats.dropped_untrusted += own.dropped_untrusted;
        stats.dropped_truncated += own.dropped_truncated;
        stats.dropped_invalid += own.dropped_invalid;
        stats
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    /// The socket.
    pub fn get_ref(&self) -> &UdpSocket {
        &self.socket
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state holds counters and tables only: a panic elsewhere leaves
        // them usable.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
