//! The listener on real loopback sockets: ready connections only, in the
//! order they finish; a silent peer delays nobody; the limits hold; every
//! outcome is counted; failures reach the hook with a readable diagnosis;
//! dropping the listener stops what it started.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::V1_TCP4;
use proxy_hdr_io::listener::{ClientInfo, Listener, ProxyListener};
use proxy_hdr_io::{CidrList, Config, Policy, Untrusted};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn bound() -> (TcpListener, std::net::SocketAddr) {
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = tcp.local_addr().unwrap();
    (tcp, addr)
}

async fn send(addr: std::net::SocketAddr, bytes: &[u8]) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(bytes).await.unwrap();
    s
}

#[tokio::test]
async fn hands_out_ready_connections_with_their_client() {
    let (tcp, addr) = bound().await;
    let mut listener = ProxyListener::new(tcp, Config::new());
    let _client = send(addr, &[V1_TCP4, b"payload"].concat()).await;
    let mut conn = listener.accept().await.unwrap();
    let info: &ClientInfo = conn.info();
    assert_eq!(info.client, Some("192.0.2.7:56324".parse().unwrap()));
    assert_eq!(info.peer.map(|p| p.ip()), Some("127.0.0.1".parse().unwrap()));
    assert_eq!(info.local, Some(addr));
    assert!(info.header.is_some());
    let mut payload = [0u8; 7];
    conn.read_exact(&mut payload).await.unwrap();
    assert_eq!(&payload, b"payload");
    let stats = listener.stats();
    assert_eq!((stats.get("accepted_v1"), stats.get("open")), (1, 1));
    drop(conn);
    assert_eq!(stats.get("open"), 0);
}

/// Vectored writes reach the socket as one: TLS writes its records that way,
/// and written one by one they meet Nagle and the client's delayed ACK (the
/// handshake benchmark found 36 ms per handshake through the listener).
#[tokio::test]
async fn vectored_writes_reach_the_socket_whole() {
    let (tcp, addr) = bound().await;
    let mut listener = ProxyListener::new(tcp, Config::new());
    let mut client = send(addr, V1_TCP4).await;
    let mut conn = listener.accept().await.unwrap();
    assert!(tokio::io::AsyncWrite::is_write_vectored(&conn));
    let bufs = [std::io::IoSlice::new(b"first "), std::io::IoSlice::new(b"second")];
    let n = conn.write_vectored(&bufs).await.unwrap();
    assert_eq!(n, 12, "both buffers in one write");
    drop(conn);
    let mut got = Vec::new();
    client.read_to_end(&mut got).await.unwrap();
    assert_eq!(got, b"first second");
}

/// A silent peer connected first holds only its own task: a good client
/// behind it is handed out at once, in completion order.
#[tokio::test]
async fn a_silent_peer_delays_nobody() {
    let (tcp, addr) = bound().await;
    let config = Config::new().with_header_timeout(Some(Duration::from_secs(5)));
    let mut listener = ProxyListener::new(tcp, config);
    let _silent = TcpStream::connect(addr).await.unwrap();
    let _slow = send(addr, b"PROXY TCP4 ").await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let start = Instant::now();
    let _good = send(addr, V1_TCP4).await;
    let conn = listener.accept().await.unwrap();
    assert!(start.elapsed() < Duration::from_millis(500), "{:?}", start.elapsed());
    assert_eq!(conn.info().client, Some("192.0.2.7:56324".parse().unwrap()));
    assert_eq!(listener.stats().get("in_setup"), 2);
}

/// Every way a connection ends is counted; failures reach the hook, one
/// report each, with a diagnosis that names the misconfiguration.
#[tokio::test]
async fn outcomes_are_counted_and_reported() {
    let (tcp, addr) = bound().await;
    let reports = Arc::new(Mutex::new(Vec::new()));
    let seen = reports.clone();
    let proxies: CidrList<2> = CidrList::parse(["10.0.0.0/8"]).unwrap();
    let config = Config::new()
        .with_header_timeout(Some(Duration::from_millis(200)))
        .with_trusted(proxies, Untrusted::Reject);
    let listener = Listener::builder(tcp, config)
        .on_failure(move |r| seen.lock().unwrap().push((r.failure.is_quiet(), r.to_string())))
        .start();
    let hello = b"\x16\x03\x01\x00\x05hello";
    let _tls = send(addr, hello).await;
    let _untrusted = send(addr, V1_TCP4).await;
    let _bad = send(addr, b"PROXY TCP4 1.2.3.999 ").await;
    let _silent = TcpStream::connect(addr).await.unwrap();
    drop(TcpStream::connect(addr).await.unwrap()); // a TCP health check
    tokio::time::sleep(Duration::from_millis(500)).await;
    let stats = listener.stats();
    for (name, want) in [
        ("rejected_not_proxy", 1),
        ("rejected_untrusted", 1),
        ("rejected_invalid", 1),
        ("invalid.v1-invalid-ipv4", 1),
        ("timed_out_header", 1),
        ("peer_closed", 1),
        ("in_setup", 0),
    ] {
        assert_eq!(stats.get(name), want, "{name}: {:?}", stats.snapshot());
    }
    let reports = reports.lock().unwrap();
    assert_eq!(reports.len(), 5, "{reports:?}");
    let line = |needle: &str| reports.iter().find(|(_, r)| r.contains(needle)).cloned();
    let (quiet, tls) = line("TLS ClientHello").expect("the direct TLS client named");
    assert!(!quiet && tls.contains("frp transport.proxyProtocolVersion"), "{tls}");
    assert!(line("not a trusted proxy").is_some_and(|(q, _)| !q));
    assert!(line("v1 TCP4 address").is_some());
    assert!(line("timed out").is_some());
    assert!(line("closed").is_some_and(|(q, _)| q), "health checks are quiet: {reports:?}");
}

/// `max_in_setup` bounds the sockets in setup; beyond it, connections wait
/// in the backlog and are set up as room frees.
#[tokio::test]
async fn at_most_max_in_setup_at_once() {
    let (tcp, addr) = bound().await;
    let config = Config::new().with_header_timeout(Some(Duration::from_millis(300)));
    let mut listener = Listener::builder(tcp, config).max_in_setup(2).start();
    let silent: Vec<TcpStream> = {
        let mut v = Vec::new();
        for _ in 0..4 {
            v.push(TcpStream::connect(addr).await.unwrap());
        }
        v
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(listener.stats().get("in_setup"), 2);
    let _good = send(addr, V1_TCP4).await;
    // Two time out (300 ms), then the next two, then the good one is set up.
    let conn = tokio::time::timeout(Duration::from_secs(3), listener.accept()).await;
    assert!(conn.is_ok(), "the good client was served once room freed");
    // The last two silent sockets time out together: the first frees the
    // room the good one takes, so the second's count may land just after.
    let timed_out = || listener.stats().get("timed_out_header");
    for _ in 0..100 {
        if timed_out() >= 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(timed_out(), 4);
    drop(silent);
}

/// `max_connections` counts handed-out connections until they are dropped.
#[tokio::test]
async fn max_connections_holds_until_a_connection_is_dropped() {
    let (tcp, addr) = bound().await;
    let mut listener = Listener::builder(tcp, Config::new()).max_connections(Some(1)).start();
    let _a = send(addr, V1_TCP4).await;
    let first = listener.accept().await.unwrap();
    let _b = send(addr, V1_TCP4).await;
    let waited = tokio::time::timeout(Duration::from_millis(300), listener.accept()).await;
    assert!(waited.is_err(), "a second connection while the first is open");
    drop(first);
    let second = tokio::time::timeout(Duration::from_secs(2), listener.accept()).await;
    assert!(second.is_ok(), "served once the first was dropped");
}

#[tokio::test]
async fn unix_socket_behind_a_local_proxy() {
    let dir = std::env::temp_dir().join(format!("proxy-hdr-listener-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join("app.sock");
    let _ = std::fs::remove_file(&path);
    let unix = tokio::net::UnixListener::bind(&path).unwrap();
    // A unix socket has no peer address: only a trust of every peer lets a
    // header through (the socket's permissions decide who may connect).
    let mut listener = Listener::new(unix, Config::new());
    let mut client = tokio::net::UnixStream::connect(&path).await.unwrap();
    client.write_all(&[V1_TCP4, b"x"].concat()).await.unwrap();
    let conn = listener.accept().await.unwrap();
    assert_eq!(conn.info().client, Some("192.0.2.7:56324".parse().unwrap()));
    assert_eq!((conn.info().peer, conn.info().local), (None, None));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Dropping the listener stops its accept loop and every setup in flight:
/// a peer in setup is disconnected, not left hanging.
#[tokio::test]
async fn dropping_the_listener_stops_its_tasks() {
    let (tcp, addr) = bound().await;
    let config = Config::new().with_policy(Policy::Require).with_header_timeout(None);
    let listener = ProxyListener::new(tcp, config);
    let mut in_setup = send(addr, b"PROXY ").await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(listener.stats().get("in_setup"), 1);
    drop(listener);
    let mut buf = [0u8; 1];
    let closed = tokio::time::timeout(Duration::from_secs(2), in_setup.read(&mut buf)).await;
    assert!(matches!(closed, Ok(Ok(0)) | Ok(Err(_))), "{closed:?}");
    assert!(TcpStream::connect(addr).await.is_err(), "nothing listens any more");
}
