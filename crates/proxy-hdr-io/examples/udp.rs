//! PROXY v2 over UDP with tokio: every datagram carries its own header.
//! A "proxy" socket sends three datagrams to a server socket on loopback;
//! the server splits each into header and payload and answers the real
//! client address it read.
//!
//! `cargo run -p proxy-hdr-io --features tokio --example udp`

use proxy_hdr::v2::Header;
use proxy_hdr::{Addresses, Protocol};
use proxy_hdr_io::{Config, split_datagram};
use tokio::net::UdpSocket;

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let server = UdpSocket::bind("127.0.0.1:0").await?;
    let proxy = UdpSocket::bind("127.0.0.1:0").await?;
    proxy.connect(server.local_addr()?).await?;

    let clients = ["192.0.2.1:5353", "192.0.2.2:5354", "[2001:db8::3]:5355"];
    for (i, client) in clients.iter().enumerate() {
        let client = client.parse().unwrap();
        let destination = server.local_addr()?;
        let addresses = match (client, destination) {
            (std::net::SocketAddr::V4(source), std::net::SocketAddr::V4(destination)) => {
                Addresses::Inet { source, destination }
            }
            (std::net::SocketAddr::V6(source), _) => {
                Addresses::Inet6 { source, destination: "[2001:db8::1]:53".parse().unwrap() }
            }
            _ => unreachable!(),
        };
        let header = Header::proxy(Protocol::Dgram, addresses);
        let mut datagram = vec![0u8; header.encoded_len()];
        header.write(&mut datagram).expect("sized by encoded_len");
        datagram.extend_from_slice(format!("query {i}").as_bytes());
        proxy.send(&datagram).await?;
    }

    let config = Config::new();
    // Room for the largest UDP datagram: a smaller buffer would cut
    // datagrams short without a word (recv_from truncates silently).
    let mut buf = vec![0u8; 65536];
    for expected in clients {
        let (len, from) = server.recv_from(&mut buf).await?;
        match split_datagram(&buf[..len], Some(from.ip()), &config) {
            Ok(accepted) => {
                let client = accepted.header.and_then(|h| h.source());
                println!(
                    "from {client:?} via {from}: {:?}",
                    String::from_utf8_lossy(accepted.leftover)
                );
                assert_eq!(client, Some(expected.parse().unwrap()));
            }
            Err(e) => println!("dropped a datagram from {from}: {e}"),
        }
    }
    Ok(())
}
