//! PROXY over UDP as frp and sozu send it: a header on the **first datagram
//! of a flow** only. frp opens one local UDP socket per client, so a flow is
//! keyed by the socket peer: its first datagram carries a header, whose
//! source is remembered; later datagrams carry none and are attributed to
//! the remembered client. A later datagram that starts with a v2 signature
//! (the sender restarted, or repeats headers) replaces the flow's client.
//!
//! [`classify`] decides what one datagram means (sans I/O); [`Flows`] is a
//! fixed-capacity table for `no_std` that uses it, with idle expiry on the
//! caller's clock and least-recently-used eviction when full. With std,
//! [`FlowTable`](crate::FlowTable) is the same over a hash map of any
//! capacity.
//!
//! Only a datagram that starts with the whole 12-byte v2 signature is taken
//! as a header in a known flow (v1 and STREAM are refused in datagrams,
//! §2.2): any other payload, even one that starts with `P` or `\r\n`, is the
//! flow's data.

use core::convert::Infallible;
use core::net::SocketAddr;

use proxy_hdr::Header;

use crate::config::Config;
use crate::datagram::split_datagram;
use crate::error::Error;
use crate::trust::Trust;

/// Whether every datagram carries a header, or only each flow's first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DatagramMode {
    /// A header on every datagram (the spec's form, §2.2; go-proxyproto's
    /// `ParseUDPDatagram`, HAProxy-style senders).
    #[default]
    PerDatagram,
    /// A header on the first datagram of each flow only (frp since 2026,
    /// sozu): later datagrams from the same peer are the same client's.
    FirstOfFlow,
}

/// One datagram, split and attributed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received<'d> {
    /// The real client: the header's source, the flow's remembered client,
    /// or the peer (no header under `Optional`, a LOCAL header, or a header
    /// from an untrusted peer under `TreatAsAbsent`).
    pub client: SocketAddr,
    /// The header this datagram carried, if any.
    pub header: Option<Header<'d>>,
    /// The payload: the datagram past its header.
    pub payload: &'d [u8],
    /// True when this datagram opened its flow or replaced its client.
    pub opened: bool,
}

/// What one datagram of `peer` means, given the client its flow remembers
/// (`known`), under `config`'s policy and trust. A datagram that opens a
/// flow comes back with `opened`; the caller remembers its client.
pub fn classify<'d, T: Trust>(
    datagram: &'d [u8],
    peer: SocketAddr,
    known: Option<SocketAddr>,
    config: &Config<T>,
) -> Result<Received<'d>, Error<Infallible>> {
    let signature = datagram.starts_with(&proxy_hdr::v2::SIGNATURE);
    if let (Some(client), false) = (known, signature) {
        return Ok(Received { client, header: None, payload: datagram, opened: false });
    }
    let accepted = split_datagram(datagram, Some(peer.ip()), config)?;
    let client = accepted.header.as_ref().and_then(Header::source).unwrap_or(peer);
    Ok(Received { client, header: accepted.header, payload: accepted.leftover, opened: true })
}

/// Counters of a flow table, and of the datagrams it dropped by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FlowStats {
    /// Flows opened by a first datagram.
    pub created: u64,
    /// Flows whose client a later header replaced.
    pub replaced: u64,
    /// Flows dropped after their idle time.
    pub expired: u64,
    /// Flows dropped, least recently used first, to make room.
    pub evicted: u64,
    /// Datagrams dropped: an unknown flow's first datagram without a header
    /// (under `Require`).
    pub dropped_no_header: u64,
    /// Datagrams dropped: a header from a peer that is not trusted.
    pub dropped_untrusted: u64,
    /// Datagrams dropped: cut short (inside the header, or by the buffer).
    pub dropped_truncated: u64,
    /// Datagrams dropped for any other reason: an invalid header, a stream
    /// header, one too large, or one the policy refuses.
    pub dropped_invalid: u64,
}

impl FlowStats {
    /// Counts a dropped datagram under its reason.
    pub fn dropped<E>(&mut self, e: &Error<E>) {
        let counter = match e {
            Error::NotProxy { .. } => &mut self.dropped_no_header,
            Error::Untrusted { .. } => &mut self.dropped_untrusted,
            Error::Truncated { .. } => &mut self.dropped_truncated,
            _ => &mut self.dropped_invalid,
        };
        *counter += 1;
    }
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    peer: SocketAddr,
    client: SocketAddr,
    last: u64,
}

/// A flow table of at most `N` flows, for `no_std`: flows idle for longer
/// than `idle` (in the caller's clock units, e.g. milliseconds) expire; when
/// it is full the least recently used flow makes room. Lookups scan the
/// table, which suits the small `N` of a microcontroller.
///
/// ```
/// use proxy_hdr::{Addresses, Protocol};
/// use proxy_hdr_io::{Config, Flows};
/// let relay = "127.0.0.1:40000".parse().unwrap(); // frp's socket for this client
/// let header = proxy_hdr::v2::Header::proxy(Protocol::Dgram, Addresses::Inet {
///     source: "192.0.2.1:5353".parse().unwrap(),
///     destination: "198.51.100.1:53".parse().unwrap(),
/// });
/// let mut first = vec![0u8; header.encoded_len()];
/// header.write(&mut first).unwrap();
/// first.extend_from_slice(b"query 1");
///
/// let mut flows: Flows<8> = Flows::new(60_000);
/// let config = Config::new();
/// let got = flows.receive(&first, relay, 0, &config).unwrap();
/// assert_eq!((got.client.to_string(), got.payload), ("192.0.2.1:5353".into(), &b"query 1"[..]));
/// // The next datagram from that socket has no header: the same client.
/// let got = flows.receive(b"query 2", relay, 10, &config).unwrap();
/// assert_eq!(got.client.to_string(), "192.0.2.1:5353");
/// ```
#[derive(Debug, Clone)]
pub struct Flows<const N: usize> {
    slots: heapless::Vec<Slot, N>,
    idle: u64,
    stats: FlowStats,
}

impl<const N: usize> Flows<N> {
    /// An empty table whose flows expire after `idle` clock units.
    pub const fn new(idle: u64) -> Self {
        Flows { slots: heapless::Vec::new(), idle, stats: FlowStats::default_const() }
    }

    /// Splits and attributes one datagram from `peer` received at `now`;
    /// an error is counted and means the datagram is dropped.
    pub fn receive<'d, T: Trust>(
        &mut self,
        datagram: &'d [u8],
        peer: SocketAddr,
        now: u64,
        config: &Config<T>,
    ) -> Result<Received<'d>, Error<Infallible>> {
        self.expire(now);
        let at = self.slots.iter().position(|s| s.peer == peer);
        let known = at.and_then(|i| self.slots.get(i)).map(|s| s.client);
        let received = classify(datagram, peer, known, config).inspect_err(|e| {
            self.stats.dropped(e);
        })?;
        match at.and_then(|i| self.slots.get_mut(i)) {
            Some(slot) => {
                if received.opened {
                    self.stats.replaced += 1;
                    slot.client = received.client;
                }
                slot.last = now;
            }
            None => self.open(Slot { peer, client: received.client, last: now }),
        }
        Ok(received)
    }

    /// The client a flow from `peer` is attributed to.
    pub fn client_of(&self, peer: SocketAddr) -> Option<SocketAddr> {
        self.slots.iter().find(|s| s.peer == peer).map(|s| s.client)
    }

    /// The peer (the relay's socket) to send a reply for `client` to.
    pub fn peer_of(&self, client: SocketAddr) -> Option<SocketAddr> {
        self.slots.iter().filter(|s| s.client == client).max_by_key(|s| s.last).map(|s| s.peer)
    }

    /// Flows open now.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// True when no flow is open.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The counters.
    pub fn stats(&self) -> FlowStats {
        self.stats
    }

    /// Drops every flow idle since before `now - idle`.
    pub fn expire(&mut self, now: u64) {
        let idle = self.idle;
        let before = self.slots.len();
        self.slots.retain(|s| now.saturating_sub(s.last) <= idle);
        self.stats.expired += (before - self.slots.len()) as u64;
    }

    fn open(&mut self, slot: Slot) {
        self.stats.created += 1;
        if self.slots.is_full() {
            let lru = self.slots.iter().enumerate().min_by_key(|(_, s)| s.last).map(|(i, _)| i);
            if let Some(i) = lru {
                self.slots.swap_remove(i);
                self.stats.evicted += 1;
            }
        }
        // Room was made above (N = 0 keeps nothing).
        let _ = self.slots.push(slot);
    }
}

impl FlowStats {
    const fn default_const() -> Self {
        FlowStats {
            created: 0,
            replaced: 0,
            expired: 0,
            evicted: 0,
            dropped_no_header: 0,
            dropped_untrusted: 0,
            dropped_truncated: 0,
            dropped_invalid: 0,
        }
    }
}
