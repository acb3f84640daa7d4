//! The flow table with std: any capacity, O(1) lookups and O(log n)
//! least-recently-used order, so a flood of new peers costs each datagram
//! the same as one flow does.

use alloc::collections::BTreeMap;
use core::convert::Infallible;
use core::hash::Hash;
use core::net::SocketAddr;
use core::time::Duration;
use std::collections::HashMap;
use std::time::Instant;

use crate::config::Config;
use crate::error::Error;
use crate::flow::{FlowStats, Received, classify};
use crate::trust::Trust;

/// A bounded map in least-recently-used order.
#[derive(Debug)]
pub(crate) struct Lru<K, V> {
    map: HashMap<K, (V, u64, Instant)>,
    order: BTreeMap<u64, K>,
    next: u64,
    capacity: usize,
}

impl<K: Hash + Eq + Copy, V: Copy> Lru<K, V> {
    pub(crate) fn new(capacity: usize) -> Self {
        Lru { map: HashMap::new(), order: BTreeMap::new(), next: 0, capacity: capacity.max(1) }
    }

    pub(crate) fn peek(&self, key: &K) -> Option<V> {
        self.map.get(key).map(|(v, ..)| *v)
    }

    /// Sets `key` to `value` as the most recently used; true when the least
    /// recently used entry was evicted to make room.
    pub(crate) fn insert(&mut self, key: K, value: V, now: Instant) -> bool {
        let seq = self.next;
        self.next += 1;
        if let Some((_, old, _)) = self.map.insert(key, (value, seq, now)) {
            self.order.remove(&old);
            self.order.insert(seq, key);
            return false;
        }
        self.order.insert(seq, key);
        if self.map.len() <= self.capacity {
            return false;
        }
        if let Some((_, oldest)) = self.order.pop_first() {
            self.map.remove(&oldest);
        }
        true
    }

    /// Drops the entries last used before `now - idle`; how many.
    pub(crate) fn expire(&mut self, now: Instant, idle: Duration) -> u64 {
        let mut dropped = 0;
        while let Some((_, key)) = self.order.first_key_value() {
            let stale = self.map.get(key).is_none_or(|(.., last)| now.duration_since(*last) > idle);
            if !stale {
                break;
            }
            if let Some((_, key)) = self.order.pop_first() {
                self.map.remove(&key);
            }
            dropped += 1;
        }
        dropped
    }

    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }
}

/// The first-datagram-of-a-flow table with std (see [`Flows`](crate::Flows)
/// for the `no_std` one): at most `capacity` flows keyed by the socket peer,
/// each expiring after `idle`.
#[derive(Debug)]
pub struct FlowTable {
    flows: Lru<SocketAddr, SocketAddr>,
    idle: Duration,
    stats: FlowStats,
}

/// The default bound on flows in a [`FlowTable`].
pub const DEFAULT_MAX_FLOWS: usize = 65_536;
/// The default idle time of a flow (frp's UDP proxies keep a client's
/// socket for 10 s without traffic; a little more here).
pub const DEFAULT_FLOW_IDLE: Duration = Duration::from_secs(30);

impl Default for FlowTable {
    fn default() -> Self {
        FlowTable::new(DEFAULT_MAX_FLOWS, DEFAULT_FLOW_IDLE)
    }
}

impl FlowTable {
    /// An empty table of at most `capacity` flows, each expiring after `idle`.
    pub fn new(capacity: usize, idle: Duration) -> Self {
        FlowTable { flows: Lru::new(capacity), idle, stats: FlowStats::default() }
    }

    /// Splits and attributes one datagram from `peer` received at `now`;
    /// an error is counted and means the datagram is dropped.
    pub fn receive<'d, T: Trust>(
        &mut self,
        datagram: &'d [u8],
        peer: SocketAddr,
        now: Instant,
        config: &Config<T>,
    ) -> Result<Received<'d>, Error<Infallible>> {
        self.stats.expired += self.flows.expire(now, self.idle);
        let known = self.flows.peek(&peer);
        let received = classify(datagram, peer, known, config).inspect_err(|e| {
            self.stats.dropped(e);
        })?;
        match (known, received.opened) {
            (None, _) => self.stats.created += 1,
            (Some(_), true) => self.stats.replaced += 1,
            (Some(_), false) => {}
        }
        if self.flows.insert(peer, received.client, now) {
            self.stats.evicted += 1;
        }
        Ok(received)
    }

    /// The client a flow from `peer` is attributed to.
    pub fn client_of(&self, peer: SocketAddr) -> Option<SocketAddr> {
        self.flows.peek(&peer)
    }

    /// Flows open now (expired ones are dropped on the next datagram).
    pub fn len(&self) -> usize {
        self.flows.len()
    }

    /// True when no flow is open.
    pub fn is_empty(&self) -> bool {
        self.flows.len() == 0
    }

    /// The counters.
    pub fn stats(&self) -> FlowStats {
        self.stats
    }

    /// Counts a datagram dropped before it reached the table (a truncated
    /// one, say).
    pub fn count_dropped<E>(&mut self, e: &Error<E>) {
        self.stats.dropped(e);
    }
}
