//! quinn behind a PROXY-sending UDP relay, over loopback: an in-test relay
//! gives each QUIC client its own upstream socket (frp's shape) and prefixes
//! a header on every datagram or on each socket's first only; connections
//! complete and the server reports each one's real client.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use proxy_hdr::v2::Header;
use proxy_hdr::{Addresses, Protocol};
use proxy_hdr_io::{Config, DatagramMode, ProxyUdpSocket};
use tokio::net::UdpSocket;

/// The relay: datagrams from clients on `front` go upstream to `server`
/// through one socket per client, with a header naming `names[i]` for the
/// i-th client; replies go back to that client.
async fn relay(front: UdpSocket, server: SocketAddr, mode: DatagramMode, names: Vec<SocketAddr>) {
    let front = Arc::new(front);
    let mut upstream: HashMap<SocketAddr, (Arc<UdpSocket>, SocketAddr, bool)> = HashMap::new();
    let mut buf = vec![0u8; 65_536];
    loop {
        let Ok((len, client)) = front.recv_from(&mut buf).await else { return };
        if !upstream.contains_key(&client) {
            let Some(name) = names.get(upstream.len()).copied() else { continue };
            let socket = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
            socket.connect(server).await.unwrap();
            let (back, front) = (socket.clone(), front.clone());
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65_536];
                while let Ok(n) = back.recv(&mut buf).await {
                    let _ = front.send_to(&buf[..n], client).await;
                }
            });
            upstream.insert(client, (socket, name, false));
        }
        let (socket, name, sent_header) = upstream.get_mut(&client).unwrap();
        let mut datagram = Vec::new();
        if mode == DatagramMode::PerDatagram || !*sent_header {
            let h = Header::proxy(Protocol::Dgram, Addresses::from_sockets(*name, server).unwrap());
            datagram = vec![0u8; h.encoded_len()];
            h.write(&mut datagram).unwrap();
            *sent_header = true;
        }
        datagram.extend_from_slice(&buf[..len]);
        let _ = socket.send(&datagram).await;
    }
}

#[tokio::test]
async fn quinn_server_behind_a_relay_sees_the_real_clients() {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let der = cert.cert.der().clone();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.signing_key.serialize_der().into());
    let server_config = quinn::ServerConfig::with_single_cert(vec![der.clone()], key).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(der).unwrap();
    let client_config = quinn::ClientConfig::with_root_certificates(Arc::new(roots)).unwrap();

    for mode in [DatagramMode::FirstOfFlow, DatagramMode::PerDatagram] {
        let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let server_addr = udp.local_addr().unwrap();
        let socket = Arc::new(ProxyUdpSocket::new(udp, mode, Config::new()));
        let endpoint = quinn::Endpoint::new_with_abstract_socket(
            quinn::EndpointConfig::default(),
            Some(server_config.clone()),
            socket.clone(),
            Arc::new(quinn::TokioRuntime),
        )
        .unwrap();
        let server = tokio::spawn(async move {
            while let Some(incoming) = endpoint.accept().await {
                let connection = incoming.await.unwrap();
                let client = socket.client_of(connection.remote_address());
                let mut answer = connection.open_uni().await.unwrap();
                let text = client.map_or("unknown".into(), |c| c.to_string());
                answer.write_all(text.as_bytes()).await.unwrap();
                answer.finish().unwrap();
                let _ = connection.closed().await;
            }
        });

        let names: Vec<SocketAddr> =
            vec!["203.0.113.7:7000".parse().unwrap(), "203.0.113.8:8000".parse().unwrap()];
        let front = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let front_addr = front.local_addr().unwrap();
        tokio::spawn(relay(front, server_addr, mode, names.clone()));

        for name in &names {
            let mut client = quinn::Endpoint::client("127.0.0.1:0".parse().unwrap()).unwrap();
            client.set_default_client_config(client_config.clone());
            let connection = client.connect(front_addr, "localhost").unwrap().await.unwrap();
            let mut stream = connection.accept_uni().await.unwrap();
            let answer = stream.read_to_end(64).await.unwrap();
            assert_eq!(String::from_utf8(answer).unwrap(), name.to_string(), "{mode:?}");
            connection.close(0u32.into(), b"done");
            client.wait_idle().await;
        }
        server.abort();
    }
}
