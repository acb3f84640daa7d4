//! The TLS listener over real sockets: handshakes run in each connection's
//! task under the setup deadline; axum and hyper (HTTP/1.1 and HTTP/2 by
//! ALPN) behind it see the real client; under load, good clients are served
//! with their exact address while slow ones are cut.

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{pki, v2_header};
use proxy_hdr_io::listener::{ClientInfo, Listener};
use proxy_hdr_io::{Config, Policy};
use proxy_hdr_rustls::{ProxyTlsAcceptor, ProxyTlsListener};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsConnector;

/// Connects, writes `prefix`, then runs a TLS client over the same socket.
async fn tls(
    addr: SocketAddr,
    connector: &TlsConnector,
    prefix: &[u8],
) -> std::io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let mut tcp = TcpStream::connect(addr).await?;
    tcp.write_all(prefix).await?;
    connector.connect(ServerName::try_from("localhost").unwrap(), tcp).await
}

fn connector(pki: &common::Pki, alpn: &[&[u8]]) -> TlsConnector {
    let mut client = (*pki.client).clone();
    client.alpn_protocols = alpn.iter().map(|a| a.to_vec()).collect();
    TlsConnector::from(Arc::new(client))
}

#[tokio::test]
async fn connections_come_out_after_the_handshake_with_alpn_and_sni() {
    let pki = pki();
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = tcp.local_addr().unwrap();
    let mut listener =
        ProxyTlsListener::new(tcp, ProxyTlsAcceptor::new(pki.server.clone(), Config::new()));
    let client = tokio::spawn(async move {
        let mut tls =
            tls(addr, &connector(&pki, &[b"h2"]), &v2_header("203.0.113.50:5050", addr, None))
                .await
                .unwrap();
        let mut answer = String::new();
        tls.read_to_string(&mut answer).await.unwrap();
        answer
    });
    let mut conn = listener.accept().await.unwrap();
    let info = conn.info().clone();
    assert_eq!(info.client, Some("203.0.113.50:5050".parse().unwrap()));
    let tls = info.tls.unwrap();
    assert_eq!((tls.alpn.as_deref(), tls.sni.as_deref()), (Some(&b"h2"[..]), Some("localhost")));
    conn.write_all(b"hi").await.unwrap();
    conn.shutdown().await.unwrap();
    assert_eq!(client.await.unwrap(), "hi");
    assert_eq!(listener.stats().get("accepted_v2"), 1);
}

/// The seed's failure, named: a direct TLS client where a header is
/// required (with its SNI), and a PROXY-sending proxy where the protocol is
/// off; and a peer that stalls mid-ClientHello, cut at the deadline.
#[tokio::test]
async fn misconfigurations_are_named_and_stalls_cut() {
    let pki = pki();
    let run = |policy: Policy| {
        let server = pki.server.clone();
        async move {
            let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = tcp.local_addr().unwrap();
            let reports: Arc<Mutex<Vec<String>>> = Arc::default();
            let seen = reports.clone();
            let config = Config::new()
                .with_policy(policy)
                .with_setup_timeout(Some(Duration::from_millis(400)));
            let listener = Listener::builder(tcp, ProxyTlsAcceptor::new(server, config))
                .on_failure(move |r| seen.lock().unwrap().push(r.to_string()))
                .start();
            (listener, addr, reports)
        }
    };
    let (require, addr, reports) = run(Policy::Require).await;
    let _ = tls(addr, &connector(&pki, &[]), b"").await;
    let mut stall = TcpStream::connect(addr).await.unwrap();
    stall
        .write_all(&[v2_header("192.0.2.1:1", addr, None), vec![0x16, 0x03, 0x01]].concat())
        .await
        .unwrap();
    let start = Instant::now();
    let mut sink = Vec::new();
    let _ = stall.read_to_end(&mut sink).await;
    let cut = start.elapsed();
    assert!(cut >= Duration::from_millis(350) && cut < Duration::from_millis(900), "{cut:?}");
    tokio::time::sleep(Duration::from_millis(50)).await;
    let lines = reports.lock().unwrap().clone();
    assert!(
        lines.iter().any(|l| l.contains("starts with a TLS ClientHello (SNI localhost)")),
        "{lines:?}"
    );
    assert!(lines.iter().any(|l| l.contains("timed out in the TLS handshake")), "{lines:?}");
    assert_eq!(require.stats().get("rejected_not_proxy"), 1);
    assert_eq!(require.stats().get("timed_out_tls"), 1);

    let (off, addr, reports) = run(Policy::Refuse).await;
    let _ = tls(addr, &connector(&pki, &[]), &v2_header("192.0.2.1:1", addr, None)).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let lines = reports.lock().unwrap().clone();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("sent a PROXY v2 header, but this listener does not accept")),
        "{lines:?}"
    );
    assert_eq!(off.stats().get("rejected_unexpected_header"), 1);
    // And a direct client is still served with the protocol off.
    let mut direct = off;
    let client =
        tokio::spawn(async move { tls(addr, &connector(&pki, &[]), b"").await.map(|_| ()) });
    let conn = direct.accept().await.unwrap();
    assert_eq!(conn.info().client, conn.info().peer);
    client.await.unwrap().unwrap();
}

#[tokio::test]
async fn axum_over_tls_sees_the_real_client() {
    use axum::extract::ConnectInfo;
    let pki = pki();
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = tcp.local_addr().unwrap();
    let app = axum::Router::new().route(
        "/",
        axum::routing::get(|ConnectInfo(info): ConnectInfo<ClientInfo>| async move {
            format!("{}", info.client.unwrap())
        }),
    );
    let listener =
        ProxyTlsListener::new(tcp, ProxyTlsAcceptor::new(pki.server.clone(), Config::new()));
    tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<ClientInfo>()).await
    });
    let mut tls =
        tls(addr, &connector(&pki, &[b"http/1.1"]), &v2_header("198.51.100.4:4444", addr, None))
            .await
            .unwrap();
    tls.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut answer = String::new();
    let _ = tls.read_to_string(&mut answer).await;
    assert!(
        answer.starts_with("HTTP/1.1 200") && answer.ends_with("198.51.100.4:4444"),
        "{answer}"
    );
}

/// hyper-util's auto builder on the listener: HTTP/2 when ALPN says h2,
/// HTTP/1.1 otherwise (the `hyper` example's shape).
#[tokio::test]
async fn hyper_auto_serves_http1_and_http2_by_alpn() {
    use http_body_util::{BodyExt, Empty, Full};
    use hyper::body::Bytes;
    use hyper_util::rt::{TokioExecutor, TokioIo};

    let pki = pki();
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = tcp.local_addr().unwrap();
    let mut listener =
        ProxyTlsListener::new(tcp, ProxyTlsAcceptor::new(pki.server.clone(), Config::new()));
    tokio::spawn(async move {
        while let Ok(conn) = listener.accept().await {
            let client = conn.info().client;
            let service = hyper::service::service_fn(move |req: hyper::Request<_>| async move {
                let body = format!("{:?} {:?}", req.version(), client.unwrap());
                Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(Bytes::from(
                    body,
                ))))
            });
            tokio::spawn(async move {
                let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                let _ = builder.serve_connection(TokioIo::new(conn), service).await;
            });
        }
    });
    // HTTP/2 over TLS with ALPN h2.
    let h2 = tls(addr, &connector(&pki, &[b"h2"]), &v2_header("198.51.100.2:2222", addr, None))
        .await
        .unwrap();
    let (mut send, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(h2))
            .await
            .unwrap();
    tokio::spawn(conn);
    let req =
        hyper::Request::builder().uri("https://localhost/").body(Empty::<Bytes>::new()).unwrap();
    let body = send.send_request(req).await.unwrap().into_body().collect().await.unwrap();
    assert_eq!(body.to_bytes(), "HTTP/2.0 198.51.100.2:2222");
    // HTTP/1.1 with ALPN http/1.1.
    let h1 =
        tls(addr, &connector(&pki, &[b"http/1.1"]), &v2_header("198.51.100.1:1111", addr, None))
            .await
            .unwrap();
    let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(h1)).await.unwrap();
    tokio::spawn(conn);
    let req =
        hyper::Request::builder().uri("/").header("host", "x").body(Empty::<Bytes>::new()).unwrap();
    let body = send.send_request(req).await.unwrap().into_body().collect().await.unwrap();
    assert_eq!(body.to_bytes(), "HTTP/1.1 198.51.100.1:1111");
}

/// 1,000 concurrent TLS clients through one listener, each writing its
/// header and ClientHello in randomly sized pieces, with 20 slowloris peers
/// (a byte of header every 100 ms) and 10 that stall mid-ClientHello: every
/// good client is served with its exact address, every slow one cut at the
/// setup deadline, and none delays the others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_with_slowloris_and_stalled_handshakes() {
    const GOOD: usize = 1000;
    const SETUP: Duration = Duration::from_millis(1500);
    let pki = pki();
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let tcp = socket.listen(4096).unwrap();
    let addr = tcp.local_addr().unwrap();
    let config = Config::new().with_setup_timeout(Some(SETUP));
    let mut listener =
        ProxyTlsListener::new(tcp, ProxyTlsAcceptor::new(pki.server.clone(), config));
    let stats = listener.stats().clone();
    let server = tokio::spawn(async move {
        let mut served = 0;
        while served < GOOD {
            let mut conn = listener.accept().await.unwrap();
            let client = conn.info().client.unwrap();
            tokio::spawn(async move {
                let _ = conn.write_all(client.to_string().as_bytes()).await;
                let _ = conn.shutdown().await;
            });
            served += 1;
        }
        listener
    });
    let start = Instant::now();
    let mut slow = Vec::new();
    for i in 0..30u16 {
        slow.push(tokio::spawn(async move {
            let mut s = TcpStream::connect(addr).await.unwrap();
            let header = v2_header(&format!("192.0.2.200:{}", 1000 + i), addr, None);
            if i < 20 {
                for b in &header {
                    if s.write_all(&[*b]).await.is_err() {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            } else {
                let _ = s.write_all(&[header, vec![0x16, 0x03, 0x01, 0x00]].concat()).await;
            }
            let mut sink = Vec::new();
            let _ = s.read_to_end(&mut sink).await;
            Instant::now()
        }));
    }
    let connector = connector(&pki, &[]);
    let mut good = Vec::new();
    for i in 0..GOOD {
        let connector = connector.clone();
        good.push(tokio::spawn(async move {
            let source: SocketAddr =
                format!("10.{}.{}.{}:{}", i / 65536, (i / 256) % 256, i % 256, 20000 + i)
                    .parse()
                    .unwrap();
            let mut tcp = TcpStream::connect(addr).await.unwrap();
            tcp.set_nodelay(true).unwrap();
            let header = v2_header(&source.to_string(), addr, None);
            // Random pieces: the header split at a point picked by `i`.
            let cut = 1 + (i * 7919) % (header.len() - 1);
            tcp.write_all(&header[..cut]).await.unwrap();
            tokio::task::yield_now().await;
            tcp.write_all(&header[cut..]).await.unwrap();
            let mut tls =
                connector.connect(ServerName::try_from("localhost").unwrap(), tcp).await.unwrap();
            let mut answer = String::new();
            let _ = tls.read_to_string(&mut answer).await;
            assert_eq!(answer, source.to_string());
        }));
    }
    for g in good {
        g.await.unwrap();
    }
    let served_in = start.elapsed();
    let _listener = server.await.unwrap();
    for s in slow {
        let cut_at = s.await.unwrap() - start;
        assert!(cut_at < SETUP + Duration::from_secs(2), "a slow peer held on for {cut_at:?}");
    }
    // The 10 stalled handshakes had good headers: counted, then timed out.
    assert_eq!(stats.get("accepted_v2"), GOOD as u64 + 10);
    assert_eq!(stats.get("ready"), GOOD as u64);
    assert_eq!(
        stats.get("timed_out_header") + stats.get("timed_out_tls"),
        30,
        "{:?}",
        stats.snapshot()
    );
    println!("{GOOD} TLS clients served in {served_in:?} beside 30 slow peers");
}

/// A health check that sends LOCAL and resets at once is counted as LOCAL:
/// the listener keeps the peer address accept returned. Found: getpeername
/// on the already reset socket failed, and the check was counted as a
/// connection closed before its header.
#[tokio::test]
async fn a_local_header_then_a_reset_is_counted_as_local() {
    let pki = pki();
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = tcp.local_addr().unwrap();
    // The check is over before the listener runs: the socket waits in the
    // backlog with its header and the reset.
    let check = TcpStream::connect(addr).await.unwrap();
    let local = proxy_hdr::v2::Header::local();
    let mut wire = vec![0u8; local.encoded_len()];
    local.write(&mut wire).unwrap();
    let mut check = check;
    check.write_all(&wire).await.unwrap();
    check.set_zero_linger().unwrap();
    drop(check);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let listener =
        ProxyTlsListener::new(tcp, ProxyTlsAcceptor::new(pki.server.clone(), Config::new()));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stats = listener.stats();
    assert_eq!(
        (stats.get("accepted_local"), stats.get("peer_closed")),
        (1, 1),
        "{:?}",
        stats.snapshot()
    );
}
