//! Datagrams over real loopback sockets: frp's shape (one relay socket per
//! client, a header on its first datagram only) and the spec's (a header on
//! every datagram), replies routed back through the right relay socket, and
//! every drop counted by its reason; the flow tables' bounds on a fake clock.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use proxy_hdr::v2::Header;
use proxy_hdr::{Addresses, Protocol};
use proxy_hdr_io::{
    Config, DatagramMode, FlowTable, Flows, Policy, ProxyUdpSocket, Untrusted, classify,
};
use tokio::net::UdpSocket;

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// A v2 DGRAM header for `client` to port 53, then `payload`.
fn headed(client: &str, payload: &[u8]) -> Vec<u8> {
    let client = addr(client);
    let server = if client.is_ipv4() { addr("198.51.100.1:53") } else { addr("[2001:db8::1]:53") };
    let h = Header::proxy(Protocol::Dgram, Addresses::from_sockets(client, server).unwrap());
    let mut out = vec![0u8; h.encoded_len()];
    h.write(&mut out).unwrap();
    out.extend_from_slice(payload);
    out
}

async fn server(mode: DatagramMode, policy: Policy) -> (ProxyUdpSocket, SocketAddr) {
    let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let to = udp.local_addr().unwrap();
    (ProxyUdpSocket::new(udp, mode, Config::new().with_policy(policy)), to)
}

async fn relay_socket(to: SocketAddr) -> UdpSocket {
    let s = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    s.connect(to).await.unwrap();
    s
}

/// frp: one socket per client, a header on its first datagram only. Every
/// datagram is attributed to its client, and each reply reaches the socket
/// that client came through.
#[tokio::test]
async fn first_of_flow_attributes_every_datagram_and_routes_replies() {
    let (server, to) = server(DatagramMode::FirstOfFlow, Policy::Require).await;
    let clients = ["192.0.2.1:1001", "192.0.2.2:1002", "[2001:db8::3]:1003"];
    let mut relays = Vec::new();
    for client in clients {
        let relay = relay_socket(to).await;
        relay.send(&headed(client, b"first")).await.unwrap();
        for i in 0..3 {
            relay.send(format!("next {i}").as_bytes()).await.unwrap();
        }
        relays.push(relay);
    }
    let mut buf = vec![0u8; 65_536];
    for client in clients {
        for payload in ["first", "next 0", "next 1", "next 2"] {
            let (len, meta) = server.recv_from(&mut buf).await.unwrap();
            assert_eq!((meta.client, &buf[..len]), (addr(client), payload.as_bytes()));
            assert_eq!(meta.had_header, payload == "first");
            server.send_to(format!("to {client}").as_bytes(), meta.client).await.unwrap();
        }
    }
    for (relay, client) in relays.iter().zip(clients) {
        let mut answer = [0u8; 64];
        for _ in 0..4 {
            let n = relay.recv(&mut answer).await.unwrap();
            assert_eq!(&answer[..n], format!("to {client}").as_bytes());
        }
    }
    let stats = server.stats();
    assert_eq!((stats.created, stats.replaced, stats.evicted), (3, 0, 0));
    // A client never seen has no route: no reply to a spoofable address.
    let err = server.send_to(b"x", addr("203.0.113.1:1")).await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
}

/// The spec's form: one relay socket, a header on every datagram, each for
/// its own client; in flow mode a repeating sender replaces the client.
#[tokio::test]
async fn per_datagram_headers_in_both_modes() {
    for mode in [DatagramMode::PerDatagram, DatagramMode::FirstOfFlow] {
        let (server, to) = server(mode, Policy::Require).await;
        let relay = relay_socket(to).await;
        let clients = ["192.0.2.1:1", "192.0.2.2:2", "192.0.2.1:1"];
        for client in clients {
            relay.send(&headed(client, client.as_bytes())).await.unwrap();
        }
        let mut buf = vec![0u8; 2048];
        for client in clients {
            let (len, meta) = server.recv_from(&mut buf).await.unwrap();
            assert_eq!((meta.client, &buf[..len]), (addr(client), client.as_bytes()), "{mode:?}");
        }
        if mode == DatagramMode::FirstOfFlow {
            assert_eq!((server.stats().created, server.stats().replaced), (1, 2));
        }
    }
}

/// Every drop, counted by its reason and reported; a good datagram after
/// them still arrives.
#[tokio::test]
async fn drops_are_counted_by_reason() {
    let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let to = udp.local_addr().unwrap();
    let reasons = Arc::new(Mutex::new(Vec::new()));
    let seen = reasons.clone();
    let server = ProxyUdpSocket::new(udp, DatagramMode::FirstOfFlow, Config::new())
        .on_drop(move |_, why| seen.lock().unwrap().push(why.to_string()));
    let relay = relay_socket(to).await;
    relay.send(b"no header on an unknown flow").await.unwrap();
    relay.send(b"PROXY TCP4 192.0.2.1 198.51.100.1 1 2\r\nv1").await.unwrap();
    let stream = Header::proxy(
        Protocol::Stream,
        Addresses::from_sockets(addr("192.0.2.1:1"), addr("198.51.100.1:2")).unwrap(),
    );
    let mut wire = vec![0u8; stream.encoded_len()];
    stream.write(&mut wire).unwrap();
    relay.send(&wire).await.unwrap();
    relay.send(&headed("192.0.2.9:9", b"")[..20]).await.unwrap(); // cut in its header
    relay.send(&headed("192.0.2.9:9", &[7u8; 200])).await.unwrap(); // fills the buffer
    relay.send(&headed("192.0.2.9:9", b"ok")).await.unwrap();
    let mut buf = vec![0u8; 200];
    let (len, meta) = server.recv_from(&mut buf).await.unwrap();
    assert_eq!((meta.client, &buf[..len]), (addr("192.0.2.9:9"), &b"ok"[..]));
    let stats = server.stats();
    assert_eq!(
        (stats.dropped_no_header, stats.dropped_invalid, stats.dropped_truncated),
        (1, 2, 2),
        "{stats:?}"
    );
    let reasons = reasons.lock().unwrap();
    assert_eq!(reasons.len(), 5, "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("stream")), "{reasons:?}");
}

#[tokio::test]
async fn an_untrusted_relay_is_dropped() {
    let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let to = udp.local_addr().unwrap();
    let only: Vec<proxy_hdr_io::Cidr> = vec!["10.0.0.0/8".parse().unwrap()];
    let config = Config::new().with_trusted(only, Untrusted::Reject);
    let server = ProxyUdpSocket::new(udp, DatagramMode::PerDatagram, config);
    let relay = relay_socket(to).await;
    relay.send(&headed("192.0.2.1:1", b"spoof")).await.unwrap();
    let mut buf = vec![0u8; 2048];
    let got = tokio::time::timeout(Duration::from_millis(200), server.recv_from(&mut buf)).await;
    assert!(got.is_err(), "an untrusted datagram arrived: {got:?}");
    assert_eq!(server.stats().dropped_untrusted, 1);
}

/// Under `Optional`, a payload that starts like a signature, but not with a
/// whole one, is the peer's data; one that starts with `PROXY ` claims to be
/// a (v1, so wrong-transport) header and is dropped as invalid.
#[test]
fn optional_payloads_that_look_like_a_signature() {
    let config = Config::new().with_policy(Policy::Optional);
    let peer = addr("127.0.0.1:4000");
    for payload in [&b"P"[..], b"PROX", b"\r\n\r\n\0"] {
        let got = classify(payload, peer, None, &config);
        assert!(got.is_ok_and(|r| r.client == peer && r.payload == payload), "{payload:?}");
    }
    let got = classify(b"PROXY but not really", peer, None, &config);
    assert!(matches!(got, Err(proxy_hdr_io::Error::Invalid(_))), "{got:?}");
    // In a known flow every such payload is the flow's, whatever it starts with.
    let client = addr("192.0.2.1:1");
    for payload in [&b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n"[..], b"\r\n\r\n\0\r\nQUI"] {
        let got = classify(payload, peer, Some(client), &Config::new()).unwrap();
        assert_eq!((got.client, got.payload, got.opened), (client, payload, false));
    }
}

/// The `no_std` table on the caller's clock: idle flows expire, a full table
/// evicts the least recently used, a header replaces a flow's client.
#[test]
fn fixed_table_expires_evicts_and_replaces() {
    let config = Config::new();
    let mut flows: Flows<2> = Flows::new(100);
    let (a, b, c) = (addr("127.0.0.1:1"), addr("127.0.0.1:2"), addr("127.0.0.1:3"));
    flows.receive(&headed("192.0.2.1:1", b""), a, 0, &config).unwrap();
    flows.receive(&headed("192.0.2.2:2", b""), b, 10, &config).unwrap();
    flows.receive(b"a again", a, 20, &config).unwrap(); // b is now the least recent
    flows.receive(&headed("192.0.2.3:3", b""), c, 30, &config).unwrap();
    assert_eq!((flows.client_of(a), flows.client_of(b)), (Some(addr("192.0.2.1:1")), None));
    assert_eq!(flows.peer_of(addr("192.0.2.3:3")), Some(c));
    assert!(flows.receive(b"b lost its flow", b, 40, &config).is_err());
    flows.receive(&headed("192.0.2.7:7", b""), a, 50, &config).unwrap();
    assert_eq!(flows.client_of(a), Some(addr("192.0.2.7:7")));
    flows.expire(200); // both idle for more than 100
    assert!(flows.is_empty());
    let s = flows.stats();
    assert_eq!((s.created, s.evicted, s.replaced, s.expired, s.dropped_no_header), (3, 1, 1, 2, 1));
}

/// The std table: the same bounds, and a flood of new peers keeps it at
/// its capacity.
#[test]
fn std_table_stays_bounded_under_a_flood() {
    let config = Config::new();
    let mut table = FlowTable::new(100, Duration::from_secs(30));
    let start = Instant::now();
    let first = headed("192.0.2.1:1", b"");
    for port in 1..=10_000u16 {
        let peer = SocketAddr::new("127.0.0.1".parse().unwrap(), port);
        table.receive(&first, peer, start, &config).unwrap();
    }
    assert_eq!((table.len(), table.stats().evicted), (100, 9_900));
    // The most recent survive; idle ones go after their time.
    assert!(table.client_of(addr("127.0.0.1:10000")).is_some());
    assert!(table.client_of(addr("127.0.0.1:1")).is_none());
    let later = start + Duration::from_secs(31);
    table.receive(&first, addr("127.0.0.1:1"), later, &config).unwrap();
    assert_eq!((table.len(), table.stats().expired), (1, 100));
}
