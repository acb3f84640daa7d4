//! The adapter on loopback, in process: the header and the ClientHello in
//! one write (frp's shape) and trickled byte by byte, blocking and tokio,
//! the lazy acceptor, Optional on one port, and the failures, each reported
//! at its own stage.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use common::{pki, tls_client, v2_header};
use proxy_hdr_io::{CidrList, Config, Policy, Untrusted};
use proxy_hdr_rustls::{Error, ProxyTlsAcceptor, Stage, accept_lazy};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[test]
fn blocking_header_and_client_hello_in_one_write_and_trickled() {
    let pki = pki();
    for piece in [usize::MAX, 1] {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let client =
            tls_client(addr, pki.client.clone(), v2_header("203.0.113.9:40000", addr, None), piece);
        let (stream, _) = listener.accept().unwrap();
        let acceptor = ProxyTlsAcceptor::new(pki.server.clone(), Config::new());
        let mut accepted = acceptor.accept_blocking(stream).unwrap();
        let source = accepted.header.as_ref().and_then(|h| h.header().source());
        assert_eq!(source, Some("203.0.113.9:40000".parse().unwrap()), "piece {piece}");
        let mut ping = [0u8; 4];
        accepted.tls.read_exact(&mut ping).unwrap();
        assert_eq!(&ping, b"ping");
        accepted.tls.write_all(format!("{}", source.unwrap()).as_bytes()).unwrap();
        accepted.tls.conn.send_close_notify();
        accepted.tls.flush().unwrap();
        drop(accepted);
        assert_eq!(client.join().unwrap().unwrap(), "203.0.113.9:40000", "piece {piece}");
    }
}

/// Serves one connection with the tokio acceptor, echoing the client
/// address it learned; returns the acceptor's outcome as text.
async fn serve_one(
    acceptor: ProxyTlsAcceptor<impl proxy_hdr_io::Trust + Send + Sync + 'static>,
    listener: tokio::net::TcpListener,
) -> Result<String, Error> {
    let (stream, peer) = listener.accept().await.unwrap();
    let mut accepted = acceptor.accept(stream).await?;
    let client = accepted.header.as_ref().and_then(|h| h.header().source()).unwrap_or(peer);
    let mut ping = [0u8; 4];
    accepted.tls.read_exact(&mut ping).await.map_err(Error::Io)?;
    accepted.tls.write_all(client.to_string().as_bytes()).await.map_err(Error::Io)?;
    accepted.tls.shutdown().await.map_err(Error::Io)?;
    Ok(client.to_string())
}

#[tokio::test]
async fn tokio_one_write_trickled_and_direct_under_optional() {
    let pki = pki();
    let optional = Config::new().with_policy(Policy::Optional);
    for (prefix, piece, want) in [
        (Some("198.51.100.7:1234"), usize::MAX, Some("198.51.100.7:1234")),
        (Some("198.51.100.8:1235"), 1, Some("198.51.100.8:1235")),
        (None, usize::MAX, None),
    ] {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let header = prefix.map(|p| v2_header(p, addr, Some(b"example.com"))).unwrap_or_default();
        let client = tls_client(addr, pki.client.clone(), header, piece);
        let served =
            serve_one(ProxyTlsAcceptor::new(pki.server.clone(), optional.clone()), listener)
                .await
                .unwrap();
        let answer =
            tokio::task::spawn_blocking(move || client.join().unwrap()).await.unwrap().unwrap();
        assert_eq!(answer, served);
        match want {
            Some(source) => assert_eq!(served, source),
            // A direct TLS client: its own socket address.
            None => assert!(served.starts_with("127.0.0.1:")),
        }
    }
}

#[tokio::test]
async fn lazy_acceptor_sees_client_hello_and_header() {
    let pki = pki();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let client = tls_client(
        addr,
        pki.client.clone(),
        v2_header("192.0.2.77:999", addr, Some(b"api.example")),
        usize::MAX,
    );
    let (stream, _) = listener.accept().await.unwrap();
    let server = pki.server.clone();
    let mut seen = None;
    let mut accepted = accept_lazy(stream, &Config::new(), |hello, header| {
        let header = header.unwrap().header();
        seen = Some((
            hello.server_name().map(str::to_owned),
            hello.alpn().map(|mut a| a.next().map(<[u8]>::to_vec)),
            header.source(),
            header.tlvs().authority().and_then(|a| a.as_str()).map(str::to_owned),
        ));
        std::future::ready(Ok(server))
    })
    .await
    .unwrap();
    let (sni, alpn, source, authority) = seen.unwrap();
    assert_eq!(sni.as_deref(), Some("localhost"));
    assert_eq!(alpn, Some(Some(b"http/1.1".to_vec())));
    assert_eq!(source, Some("192.0.2.77:999".parse().unwrap()));
    assert_eq!(authority.as_deref(), Some("api.example"));
    let mut ping = [0u8; 4];
    accepted.tls.read_exact(&mut ping).await.unwrap();
    accepted.tls.write_all(b"ok").await.unwrap();
    accepted.tls.shutdown().await.unwrap();
    let answer =
        tokio::task::spawn_blocking(move || client.join().unwrap()).await.unwrap().unwrap();
    assert_eq!(answer, "ok");
}

/// Failures are reported at their own stage, and the server keeps serving.
#[tokio::test]
async fn failures_name_their_stage() {
    let pki = pki();
    let require = Config::new().with_header_timeout(Some(Duration::from_millis(300)));
    let run = |prefix: Vec<u8>, config: Config<CidrList<2>>| {
        let pki_client = pki.client.clone();
        let server = pki.server.clone();
        async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let client = tls_client(addr, pki_client, prefix, usize::MAX);
            let got = serve_one(ProxyTlsAcceptor::new(server, config), listener).await;
            let _ = tokio::task::spawn_blocking(move || client.join()).await;
            got
        }
    };
    let loopback: CidrList<2> = CidrList::parse(["127.0.0.0/8"]).unwrap();
    let elsewhere: CidrList<2> = CidrList::parse(["10.0.0.0/8"]).unwrap();
    let trusting = require.clone().with_trusted(loopback.clone(), Untrusted::Reject);

    // A bare TLS client under Require: refused at the PROXY stage, not a TLS alert.
    let got = run(Vec::new(), trusting.clone()).await;
    let Err(Error::NotProxy { first }) = &got else { panic!("{got:?}") };
    assert_eq!(first.first(), Some(&0x16), "the ClientHello kept for the diagnosis");
    let line = got.as_ref().unwrap_err().to_string();
    assert!(line.contains("starts with a TLS ClientHello (SNI localhost)"), "{line}");
    // A garbage header: the rule it broke.
    let got = run(b"PROXY TCP4 1.2.3.4 5.6.7.8 99999 1\r\n".to_vec(), trusting.clone()).await;
    assert!(
        matches!(
            &got,
            Err(Error::Proxy(proxy_hdr_io::Error::Invalid(proxy_hdr::Error::V1InvalidPort)))
        ),
        "{got:?}"
    );
    // A header from outside the trusted list.
    let untrusting = require.clone().with_trusted(elsewhere, Untrusted::Reject);
    let got = run(v2_header("192.0.2.1:1", "127.0.0.1:1".parse().unwrap(), None), untrusting).await;
    assert!(matches!(&got, Err(Error::Proxy(proxy_hdr_io::Error::Untrusted { .. }))), "{got:?}");
    // A valid header followed by something that is not TLS: the TLS stage.
    let not_tls = [
        v2_header("192.0.2.1:1", "127.0.0.1:1".parse().unwrap(), None),
        b"GET / HTTP/1.1\r\n\r\n".to_vec(),
    ]
    .concat();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let raw = tokio::spawn(async move {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(&not_tls).await.unwrap();
        let mut sink = Vec::new();
        let _ = s.read_to_end(&mut sink).await;
    });
    let got =
        serve_one(ProxyTlsAcceptor::new(pki.server.clone(), trusting.clone()), listener).await;
    assert!(matches!(&got, Err(Error::Tls(_))), "{got:?}");
    assert!(!got.as_ref().unwrap_err().is_proxy());
    raw.await.unwrap();

    // A silent client is cut at the header timeout.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let silent = tokio::spawn(async move {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        let mut sink = Vec::new();
        let _ = s.read_to_end(&mut sink).await;
    });
    let start = Instant::now();
    let got =
        serve_one(ProxyTlsAcceptor::new(pki.server.clone(), trusting.clone()), listener).await;
    assert!(matches!(&got, Err(Error::TimedOut { stage: Stage::Header })), "{got:?}");
    assert!(start.elapsed() < Duration::from_millis(800));
    silent.await.unwrap();

    // A health check: a LOCAL header, then the proxy hangs up. A disconnect,
    // not a refusal (whoami logs it quietly).
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let check = tokio::spawn(async move {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        let local = proxy_hdr::v2::Header::local();
        let mut wire = vec![0u8; local.encoded_len()];
        local.write(&mut wire).unwrap();
        s.write_all(&wire).await.unwrap();
    });
    let got =
        serve_one(ProxyTlsAcceptor::new(pki.server.clone(), trusting.clone()), listener).await;
    let err = got.unwrap_err();
    assert!(err.is_disconnect() && !err.is_proxy(), "{err:?}");
    check.await.unwrap();

    // And a good request still works afterwards.
    let got = run(v2_header("192.0.2.5:5", "127.0.0.1:1".parse().unwrap(), None), trusting).await;
    assert_eq!(got.unwrap(), "192.0.2.5:5");
}
