//! The client side over loopback: a PROXY header and the ClientHello in one
//! write, then a handshake the adapter completes, tokio and blocking; and a
//! relay's pass-through header that stays one well-formed header followed
//! by exactly the client's bytes.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;

use common::pki;
use proxy_hdr::v2::TlvType;
use proxy_hdr_io::{Config, Keep, Outbound};
use proxy_hdr_rustls::{ProxyTlsAcceptor, ProxyTlsConnector};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn name() -> ServerName<'static> {
    ServerName::try_from("localhost").unwrap()
}

#[tokio::test]
async fn tokio_header_and_client_hello_in_one_write_then_tls() {
    let pki = pki();
    // A raw receiver first: the first read holds the whole header and the
    // start of the ClientHello.
    let raw = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = raw.local_addr().unwrap();
    let header = Outbound::v2("198.51.100.9:999".parse().unwrap(), addr)
        .authority("a.example")
        .encode()
        .unwrap();
    let connector = ProxyTlsConnector::new(pki.client.clone());
    let (h, c) = (header.clone(), connector.clone());
    let client = tokio::spawn(async move { c.connect_addr(addr, &h, name()).await.map(|_| ()) });
    let (mut conn, _) = raw.accept().await.unwrap();
    let mut first = vec![0u8; 4096];
    let n = conn.read(&mut first).await.unwrap();
    assert!(n > header.len() + 5, "one read: {n} bytes");
    assert_eq!(&first[..header.len()], &header[..]);
    assert_eq!(first[header.len()], 0x16, "the ClientHello right after the header");
    drop(conn);
    let _ = client.await;

    // The adapter on the other side: the handshake completes.
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = tcp.local_addr().unwrap();
    let acceptor = ProxyTlsAcceptor::new(pki.server.clone(), Config::new());
    let server = tokio::spawn(async move {
        let (stream, _) = tcp.accept().await.unwrap();
        let mut accepted = acceptor.accept(stream).await.unwrap();
        accepted.tls.write_all(accepted.source().unwrap().to_string().as_bytes()).await.unwrap();
        accepted.tls.shutdown().await.unwrap();
    });
    let header = Outbound::v2("198.51.100.9:999".parse().unwrap(), addr).crc32c().encode().unwrap();
    let mut tls = connector.connect_addr(addr, &header, name()).await.unwrap();
    let mut answer = String::new();
    tls.read_to_string(&mut answer).await.unwrap();
    assert_eq!(answer, "198.51.100.9:999");
    server.await.unwrap();
}

#[test]
fn blocking_connector_then_the_blocking_acceptor() {
    let pki = pki();
    let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = tcp.local_addr().unwrap();
    let acceptor = ProxyTlsAcceptor::new(pki.server.clone(), Config::new());
    let server = std::thread::spawn(move || {
        let (stream, _) = tcp.accept().unwrap();
        let mut accepted = acceptor.accept_blocking(stream).unwrap();
        let source = accepted.source().unwrap();
        accepted.tls.write_all(source.to_string().as_bytes()).unwrap();
        accepted.tls.conn.send_close_notify();
        accepted.tls.flush().unwrap();
    });
    let header =
        Outbound::v1("[2001:db8::5]:5".parse().unwrap(), "[2001:db8::1]:443".parse().unwrap())
            .encode()
            .unwrap();
    let connector = ProxyTlsConnector::new(pki.client.clone());
    let mut tls = connector.connect_addr_blocking(addr, &header, name()).unwrap();
    let mut answer = String::new();
    let _ = tls.read_to_string(&mut answer);
    assert_eq!(answer, "[2001:db8::5]:5");
    server.join().unwrap();
}

/// The pass-through a relay does: an accepted header's TLVs, some dropped,
/// some kept, a new one added, a CRC32C computed anew. Whatever the choice,
/// the upstream bytes are exactly one well-formed header followed by
/// exactly the client's bytes (Envoy's CVE-2026-47692 let skipped TLV bytes
/// spill into the upstream stream).
#[test]
fn pass_through_is_one_header_then_exactly_the_client_bytes() {
    let client_bytes: &[u8] = b"\x16\x03\x01\x00\x04ABCD and more";
    let accepted = Outbound::v2("203.0.113.1:1".parse().unwrap(), "192.0.2.1:443".parse().unwrap())
        .tlv(TlvType::Alpn, b"h2")
        .tlv(TlvType::Authority, b"shop.example")
        .tlv(TlvType::UniqueId, b"\x02\x00\x05skip-me")
        .tlv(TlvType::Unknown(0xE7), b"\x03\x00\x01x")
        .crc32c()
        .encode()
        .unwrap();
    let Ok(proxy_hdr::Status::Complete { header, .. }) = proxy_hdr::parse(&accepted) else {
        panic!()
    };
    let keeps: [Keep<'_>; 4] = [
        Keep::All,
        Keep::None,
        Keep::Types(&[TlvType::Authority]),
        Keep::Types(&[TlvType::Alpn, TlvType::Unknown(0xE7), TlvType::Crc32c]),
    ];
    for keep in keeps {
        for version in [proxy_hdr::Version::V2, proxy_hdr::Version::V1] {
            let mut out = Outbound::from_header(&header, keep).with_version(version);
            if version == proxy_hdr::Version::V2 {
                out = out.tlv(TlvType::Netns, b"relay-ns");
            }
            let wire = match out.encode_with(client_bytes) {
                Ok(wire) => wire,
                // v1 cannot carry TLVs: refused, never half-written.
                Err(proxy_hdr_io::BuildError::V1CarriesNoTlvs) => continue,
                Err(e) => panic!("{keep:?} {version:?}: {e}"),
            };
            let Ok(proxy_hdr::Status::Complete { header: up, len }) = proxy_hdr::parse(&wire)
            else {
                panic!("{keep:?}: the upstream bytes do not start with a header")
            };
            assert_eq!(&wire[len..], client_bytes, "{keep:?} {version:?}: bytes after the header");
            assert_eq!(up.source(), header.source(), "{keep:?}");
            let kinds: Vec<TlvType> = up.tlvs().iter().map(|t| t.kind()).collect();
            for kept in header.tlvs().iter().map(|t| t.kind()).filter(|k| *k != TlvType::Crc32c) {
                let wanted = match keep {
                    Keep::All => true,
                    Keep::None => false,
                    Keep::Types(t) => t.contains(&kept),
                };
                assert_eq!(
                    kinds.contains(&kept),
                    wanted && version == proxy_hdr::Version::V2,
                    "{keep:?} {kept:?}"
                );
            }
        }
    }
}
