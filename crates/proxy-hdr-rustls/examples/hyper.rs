//! hyper 1 behind a PROXY-protocol proxy, over TLS: hyper-util's auto
//! builder serves HTTP/2 when ALPN says `h2` and HTTP/1.1 otherwise, on
//! connections the listener hands out with their header read and their
//! handshake done.
//!
//! `cargo run -p proxy-hdr-rustls --features listener,ring --example hyper -- 127.0.0.1:8443`
//! then `curl -k --haproxy-protocol https://127.0.0.1:8443/`.

use std::convert::Infallible;
use std::sync::Arc;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper_util::rt::{TokioExecutor, TokioIo};
use proxy_hdr_io::Config;
use proxy_hdr_rustls::{ProxyTlsAcceptor, ProxyTlsListener, server_config_builder};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let listen = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:8443".into());
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()])?;
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.signing_key.serialize_der().into());
    let mut tls = server_config_builder()?
        .with_no_client_auth()
        .with_single_cert(vec![cert.cert.der().clone()], key)?;
    tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = ProxyTlsAcceptor::new(Arc::new(tls), Config::new());
    let tcp = tokio::net::TcpListener::bind(&listen).await?;
    eprintln!("hyper example: listening on https://{}/", tcp.local_addr()?);
    let mut listener = ProxyTlsListener::new(tcp, acceptor);
    loop {
        let conn = listener.accept().await?;
        let client = conn.info().client;
        let service = hyper::service::service_fn(move |req: hyper::Request<_>| async move {
            let body = format!("{:?} from {client:?}\n", req.version());
            Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from(body))))
        });
        tokio::spawn(async move {
            let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            let _ = builder.serve_connection(TokioIo::new(conn), service).await;
        });
    }
}
