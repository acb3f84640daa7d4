//! One setup deadline covers the header and the TLS handshake. Found: the
//! handshake had no time limit, so a client that sent one byte under
//! `Optional`, or a valid header and three bytes of a ClientHello under
//! `Require`, held its connection (task, descriptor, buffers) for ever.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use common::{pki, tls_client, v2_header};
use proxy_hdr_io::{Config, Policy};
use proxy_hdr_rustls::{Error, ProxyTlsAcceptor, Stage};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SETUP: Duration = Duration::from_millis(400);
/// How late a cut may come: scheduling on a loaded 2-core machine.
const MARGIN: Duration = Duration::from_millis(300);

fn config(policy: Policy) -> Config {
    Config::new().with_policy(policy).with_setup_timeout(Some(SETUP))
}

/// What a stalling client sends before it goes silent.
fn stalls() -> Vec<(&'static str, Policy, Vec<u8>)> {
    let dst = "127.0.0.1:443".parse().unwrap();
    vec![
        ("one byte 0x16 under optional", Policy::Optional, vec![0x16]),
        (
            "a header then 3 bytes of a ClientHello under require",
            Policy::Require,
            [v2_header("192.0.2.1:1", dst, None), vec![0x16, 0x03, 0x01]].concat(),
        ),
    ]
}

fn within_the_deadline(what: &str, took: Duration) {
    assert!(took >= SETUP && took < SETUP + MARGIN, "{what}: cut after {took:?}");
}

#[tokio::test]
async fn tokio_stalled_handshakes_are_cut_at_the_setup_deadline() {
    let pki = pki();
    for (what, policy, sent) in stalls() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let client = tokio::spawn(async move {
            let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
            s.write_all(&sent).await.unwrap();
            let mut sink = Vec::new();
            let _ = s.read_to_end(&mut sink).await; // until the server hangs up
            Instant::now()
        });
        let (stream, _) = listener.accept().await.unwrap();
        let acceptor = ProxyTlsAcceptor::new(pki.server.clone(), config(policy));
        let start = Instant::now();
        let got = acceptor.accept(stream).await.map(|_| ());
        assert!(matches!(got, Err(Error::TimedOut { stage: Stage::Handshake })), "{what}: {got:?}");
        within_the_deadline(what, start.elapsed());
        // The connection is closed, not left open after the error.
        let closed = client.await.unwrap();
        within_the_deadline(what, closed - start);
    }
}

#[test]
fn blocking_stalled_handshakes_are_cut_at_the_setup_deadline() {
    let pki = pki();
    for (what, policy, sent) in stalls() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let client = std::thread::spawn(move || {
            let mut s = TcpStream::connect(addr).unwrap();
            s.write_all(&sent).unwrap();
            let _ = s.read_to_end(&mut Vec::new());
        });
        let (stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let acceptor = ProxyTlsAcceptor::new(pki.server.clone(), config(policy));
        let start = Instant::now();
        let got = acceptor.accept_blocking(stream).map(|_| ());
        assert!(matches!(got, Err(Error::TimedOut { stage: Stage::Handshake })), "{what}: {got:?}");
        within_the_deadline(what, start.elapsed());
        client.join().unwrap();
    }
}

/// The header deadline runs inside the setup deadline: a silent client is
/// cut at the shorter one, and reported at the header stage.
#[tokio::test]
async fn a_silent_client_is_cut_in_the_header_stage() {
    let pki = pki();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let _silent = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (stream, _) = listener.accept().await.unwrap();
    let config = config(Policy::Require).with_header_timeout(Some(Duration::from_secs(60)));
    let acceptor = ProxyTlsAcceptor::new(pki.server.clone(), config);
    let start = Instant::now();
    let got = acceptor.accept(stream).await.map(|_| ());
    assert!(matches!(got, Err(Error::TimedOut { stage: Stage::Header })), "{got:?}");
    within_the_deadline("silent", start.elapsed());
}

/// A good client completes well inside the deadline, and the blocking
/// acceptor gives the socket back with the caller's own timeout.
#[test]
fn blocking_good_client_and_its_timeouts_restored() {
    let pki = pki();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let client = tls_client(addr, pki.client.clone(), v2_header("192.0.2.9:9", addr, None), 7);
    let (stream, _) = listener.accept().unwrap();
    let mine = Some(Duration::from_secs(42));
    stream.set_read_timeout(mine).unwrap();
    let acceptor = ProxyTlsAcceptor::new(pki.server.clone(), config(Policy::Require));
    let mut accepted = acceptor.accept_blocking(stream).unwrap();
    assert_eq!(accepted.tls.sock.read_timeout().unwrap(), mine);
    assert_eq!(accepted.source(), Some("192.0.2.9:9".parse().unwrap()));
    let mut ping = [0u8; 4];
    accepted.tls.read_exact(&mut ping).unwrap();
    accepted.tls.write_all(b"ok").unwrap();
    accepted.tls.conn.send_close_notify();
    accepted.tls.flush().unwrap();
    drop(accepted);
    assert_eq!(client.join().unwrap().unwrap(), "ok");
}

/// The owned header has no fixed capacity: a 5 KB header under an 8 KB
/// limit is kept whole (found: it was read, then refused with "capacity is
/// 4096"), and what a connection holds for a typical header is small.
#[tokio::test]
async fn large_headers_are_owned_and_typical_ones_are_small() {
    let pki = pki();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut storage = vec![0u8; 6000];
    let mut tlvs = proxy_hdr::v2::TlvWriter::new(&mut storage);
    tlvs.push(proxy_hdr::v2::TlvType::Noop, &[0u8; 5000]).unwrap();
    tlvs.push(proxy_hdr::v2::TlvType::Authority, b"big.example").unwrap();
    let header = proxy_hdr::v2::Header::proxy(
        proxy_hdr::Protocol::Stream,
        proxy_hdr::Addresses::Inet {
            source: "192.0.2.3:3".parse().unwrap(),
            destination: "127.0.0.1:1".parse().unwrap(),
        },
    )
    .with_tlvs(tlvs.finish().unwrap());
    let mut wire = vec![0u8; header.encoded_len()];
    header.write(&mut wire).unwrap();
    let client = tls_client(addr, pki.client.clone(), wire, usize::MAX);
    let (stream, _) = listener.accept().await.unwrap();
    let config = config(Policy::Require).with_max_header_len(8192);
    let acceptor = ProxyTlsAcceptor::new(pki.server.clone(), config);
    let mut accepted = acceptor.accept(stream).await.unwrap();
    let owned = accepted.header.as_ref().unwrap();
    assert_eq!(owned.header().tlvs().authority().and_then(|a| a.as_str()), Some("big.example"));
    assert_eq!(owned.storage().len(), 5003 + 14, "sized to its TLVs");
    let mut ping = [0u8; 4];
    accepted.tls.read_exact(&mut ping).await.unwrap();
    accepted.tls.shutdown().await.unwrap();
    let _ = tokio::task::spawn_blocking(move || client.join()).await;

    // A typical header (v2 TCP4 with AUTHORITY, ALPN, CRC32C): what the
    // owned copy holds, inline and on the heap.
    let mut storage = [0u8; 64];
    let mut tlvs = proxy_hdr::v2::TlvWriter::new(&mut storage);
    tlvs.push(proxy_hdr::v2::TlvType::Authority, b"api.example.com").unwrap();
    tlvs.push(proxy_hdr::v2::TlvType::Alpn, b"h2").unwrap();
    tlvs.crc32c().unwrap();
    let typical = proxy_hdr::Header::V2(
        proxy_hdr::v2::Header::proxy(
            proxy_hdr::Protocol::Stream,
            proxy_hdr::Addresses::Inet {
                source: "192.0.2.3:3".parse().unwrap(),
                destination: "127.0.0.1:1".parse().unwrap(),
            },
        )
        .with_tlvs(tlvs.finish().unwrap()),
    );
    let owned = proxy_hdr::BoxedHeader::new(&typical).unwrap();
    let held = size_of::<Option<proxy_hdr::BoxedHeader>>() + owned.storage().len();
    println!(
        "owned typical header: {held} bytes (inline {} + heap {})",
        size_of::<Option<proxy_hdr::BoxedHeader>>(),
        owned.storage().len()
    );
    // 4,360 bytes before (a fixed 4 KiB capacity); the goal is a tenth of it.
    assert!(held <= 436, "{held} bytes held for a typical header");
}
