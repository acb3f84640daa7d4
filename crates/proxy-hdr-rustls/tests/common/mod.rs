//! Helpers shared by the adapter's test binaries: certificates, headers and
//! a blocking TLS client.
#![allow(dead_code, missing_docs)] // each test binary uses a different part

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig};

pub(crate) struct Pki {
    pub server: Arc<ServerConfig>,
    pub client: Arc<ClientConfig>,
}

/// The provider is the test's choice (ring); the adapter does not pick one.
fn server_config_builder()
-> Result<rustls::ConfigBuilder<ServerConfig, rustls::WantsVerifier>, rustls::Error> {
    ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
}

pub(crate) fn pki() -> Pki {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let der: CertificateDer<'static> = cert.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(cert.signing_key.serialize_der().into());
    let mut server = server_config_builder()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![der.clone()], key)
        .unwrap();
    server.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let mut roots = RootCertStore::empty();
    roots.add(der).unwrap();
    let mut client =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
    client.alpn_protocols = vec![b"http/1.1".to_vec()];
    Pki { server: Arc::new(server), client: Arc::new(client) }
}

pub(crate) fn v2_header(
    source: &str,
    destination: SocketAddr,
    authority: Option<&[u8]>,
) -> Vec<u8> {
    let addresses = proxy_hdr::Addresses::Inet {
        source: source.parse().unwrap(),
        destination: destination.to_string().parse().unwrap(),
    };
    let mut storage = [0u8; 256];
    let mut tlvs = proxy_hdr::v2::TlvWriter::new(&mut storage);
    if let Some(a) = authority {
        tlvs.push(proxy_hdr::v2::TlvType::Authority, a).unwrap();
    }
    tlvs.crc32c().unwrap();
    let header = proxy_hdr::v2::Header::proxy(proxy_hdr::Protocol::Stream, addresses)
        .with_tlvs(tlvs.finish().unwrap());
    let mut out = vec![0u8; header.encoded_len()];
    header.write(&mut out).unwrap();
    out
}

/// A TLS client that sends `prefix` and its ClientHello in `pieces`-byte
/// writes (one write when `pieces` is large), then finishes the handshake,
/// writes a request and reads the answer to the end.
pub(crate) fn tls_client(
    addr: SocketAddr,
    client: Arc<ClientConfig>,
    prefix: Vec<u8>,
    piece: usize,
) -> thread::JoinHandle<Result<String, String>> {
    thread::spawn(move || {
        let mut tcp = TcpStream::connect(addr).map_err(|e| e.to_string())?;
        tcp.set_nodelay(true).unwrap();
        let mut conn =
            ClientConnection::new(client, ServerName::try_from("localhost").unwrap()).unwrap();
        let mut hello = Vec::new();
        conn.write_tls(&mut hello).unwrap();
        let wire = [prefix, hello].concat();
        for chunk in wire.chunks(piece) {
            tcp.write_all(chunk).map_err(|e| e.to_string())?;
            if piece < wire.len() {
                thread::sleep(Duration::from_micros(300));
            }
        }
        let mut tls = rustls::Stream::new(&mut conn, &mut tcp);
        tls.write_all(b"ping").map_err(|e| e.to_string())?;
        let mut answer = String::new();
        match tls.read_to_string(&mut answer) {
            Ok(_) => Ok(answer),
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(answer),
            Err(e) => Err(e.to_string()),
        }
    })
}
