//! TLS 1.3 handshakes per second on loopback: the PROXY acceptor with a v2
//! header, the same acceptor on a connection without one (`Optional`), and
//! a plain `tokio_rustls::TlsAcceptor`, in one run.
//!
//! `cargo bench -p proxy-hdr-bench --bench handshake`. One iteration is a
//! whole connection: connect, (header,) handshake, one byte from the server,
//! reset. The server is whoami-shaped: a spawned task per connection.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use proxy_hdr::v2::Header;
use proxy_hdr::{Addresses, Protocol};
use proxy_hdr_io::{Config, Policy};
use proxy_hdr_rustls::ProxyTlsAcceptor;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::{TlsAcceptor, TlsConnector};

/// Which server the connection meets.
#[derive(Clone, Copy)]
enum Server {
    /// `ProxyTlsAcceptor` under `Optional`.
    Proxy,
    /// `tokio_rustls::TlsAcceptor`, no PROXY support at all.
    Plain,
}

async fn serve(listener: TcpListener, server: Server, tls: Arc<rustls::ServerConfig>) {
    let proxy = ProxyTlsAcceptor::new(tls.clone(), Config::new().with_policy(Policy::Optional));
    let plain = TlsAcceptor::from(tls);
    loop {
        let Ok((conn, _)) = listener.accept().await else { return };
        let (proxy, plain) = (proxy.clone(), plain.clone());
        tokio::spawn(async move {
            match server {
                Server::Proxy => {
                    let mut accepted = proxy.accept(conn).await.expect("a handshake");
                    accepted.tls.write_all(b"k").await.expect("the answer");
                }
                Server::Plain => {
                    let mut tls = plain.accept(conn).await.expect("a handshake");
                    tls.write_all(b"k").await.expect("the answer");
                }
            }
        });
    }
}

async fn one_handshake(server: SocketAddr, header: &[u8], connector: &TlsConnector) {
    let mut tcp = TcpStream::connect(server).await.expect("connect");
    tcp.set_nodelay(true).expect("nodelay");
    if !header.is_empty() {
        tcp.write_all(header).await.expect("the header");
    }
    let name = ServerName::try_from("localhost").expect("a name");
    let mut tls = connector.connect(name, tcp).await.expect("a handshake");
    let mut answer = [0u8; 1];
    tls.read_exact(&mut answer).await.expect("the answer");
    // Reset rather than close: no TIME_WAIT, so ports never run out.
    tls.get_ref().0.set_zero_linger().expect("linger");
}

fn handshakes(c: &mut Criterion) {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).expect("a cert");
    let der: CertificateDer<'static> = cert.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(cert.signing_key.serialize_der().into());
    let server_tls = Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("ring")
        .with_no_client_auth()
        .with_single_cert(vec![der.clone()], key)
        .expect("a server config"),
    );
    let mut roots = rustls::RootCertStore::empty();
    roots.add(der).expect("the root");
    let client_tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_protocol_versions(&[&rustls::version::TLS13])
    .expect("TLS 1.3")
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = TlsConnector::from(Arc::new(client_tls));

    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let client_rt =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");

    let mut group = c.benchmark_group("handshake");
    for (name, server) in [
        ("v2_header", Server::Proxy),
        ("no_header", Server::Proxy),
        ("plain_tokio_rustls", Server::Plain),
    ] {
        let listener =
            server_rt.block_on(TcpListener::bind("127.0.0.1:0")).expect("a loopback listener");
        let addr = listener.local_addr().expect("its address");
        server_rt.spawn(serve(listener, server, server_tls.clone()));
        let header = if name == "v2_header" {
            let SocketAddr::V4(destination) = addr else { unreachable!("127.0.0.1") };
            let h = Header::proxy(
                Protocol::Stream,
                Addresses::Inet { source: "203.0.113.7:40000".parse().expect("v4"), destination },
            );
            let mut wire = vec![0u8; h.encoded_len()];
            h.write(&mut wire).expect("a header");
            wire
        } else {
            Vec::new()
        };
        group.bench_function(name, |b| {
            b.iter(|| client_rt.block_on(one_handshake(addr, &header, &connector)))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .sample_size(30);
    targets = handshakes
}
criterion_main!(benches);
