//! Datagrams: the cost of one datagram through `split_datagram` (a header
//! on each) and through the flow table (a known flow's datagram, no
//! header), and datagrams/s of a loopback echo through `ProxyUdpSocket` in
//! both modes beside a bare `tokio::net::UdpSocket` echo, in one run.
//!
//! `cargo bench -p proxy-hdr-bench --bench datagram`.

use std::hint::black_box;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use proxy_hdr::v2::Header;
use proxy_hdr::{Addresses, Protocol};
use proxy_hdr_io::{Config, DatagramMode, FlowTable, ProxyUdpSocket, split_datagram};
use tokio::net::UdpSocket;

const PAYLOAD: [u8; 64] = [0x42; 64];

fn headed(server: SocketAddr) -> Vec<u8> {
    let source: SocketAddr = "192.0.2.1:5353".parse().expect("v4");
    let h = Header::proxy(Protocol::Dgram, Addresses::from_sockets(source, server).expect("v4"));
    let mut out = vec![0u8; h.encoded_len()];
    h.write(&mut out).expect("a header");
    out.extend_from_slice(&PAYLOAD);
    out
}

fn split(c: &mut Criterion) {
    let peer: SocketAddr = "127.0.0.1:40000".parse().expect("v4");
    let datagram = headed("198.51.100.1:53".parse().expect("v4"));
    let config = Config::new();
    let mut group = c.benchmark_group("datagram");
    group.bench_function("split_datagram_v2_dgram_tcp4", |b| {
        b.iter(|| split_datagram(black_box(&datagram), Some(peer.ip()), &config).is_ok())
    });
    let mut table = FlowTable::default();
    let now = Instant::now();
    table.receive(&datagram, peer, now, &config).expect("a flow");
    group.bench_function("flow_table_known_flow", |b| {
        b.iter(|| table.receive(black_box(&PAYLOAD), peer, now, &config).is_ok())
    });
    group.finish();
}

/// Echoes every datagram back to its client.
async fn echo_proxy(socket: Arc<ProxyUdpSocket>) {
    let mut buf = vec![0u8; 65_536];
    while let Ok((len, meta)) = socket.recv_from(&mut buf).await {
        let _ = socket.send_to(&buf[..len], meta.client).await;
    }
}

async fn echo_bare(socket: UdpSocket) {
    let mut buf = vec![0u8; 65_536];
    while let Ok((len, peer)) = socket.recv_from(&mut buf).await {
        let _ = socket.send_to(&buf[..len], peer).await;
    }
}

fn echo(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    let mut group = c.benchmark_group("udp_echo");
    for name in ["proxy_per_datagram", "proxy_first_of_flow", "bare_udp_socket"] {
        let (server, client) = rt.block_on(async {
            let server = UdpSocket::bind("127.0.0.1:0").await.expect("a socket");
            let addr = server.local_addr().expect("its address");
            let mode = match name {
                "proxy_per_datagram" => Some(DatagramMode::PerDatagram),
                "proxy_first_of_flow" => Some(DatagramMode::FirstOfFlow),
                _ => None,
            };
            match mode {
                Some(mode) => {
                    let socket = Arc::new(ProxyUdpSocket::new(server, mode, Config::new()));
                    tokio::spawn(echo_proxy(socket));
                }
                None => {
                    tokio::spawn(echo_bare(server));
                }
            }
            let client = UdpSocket::bind("127.0.0.1:0").await.expect("a socket");
            client.connect(addr).await.expect("connect");
            (addr, client)
        });
        let first = headed(server);
        let every = match name {
            "proxy_per_datagram" => first.clone(),
            _ => PAYLOAD.to_vec(),
        };
        // frp's first datagram opens the flow.
        if name == "proxy_first_of_flow" {
            rt.block_on(async {
                client.send(&first).await.expect("send");
                let mut buf = [0u8; 256];
                client.recv(&mut buf).await.expect("the echo")
            });
        }
        group.bench_function(name, |b| {
            b.iter(|| {
                rt.block_on(async {
                    client.send(&every).await.expect("send");
                    let mut buf = [0u8; 256];
                    tokio::time::timeout(Duration::from_secs(1), client.recv(&mut buf))
                        .await
                        .expect("an echo in time")
                        .expect("the echo")
                })
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50);
    targets = split, echo
}
criterion_main!(benches);
