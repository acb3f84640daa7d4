//! A UDP service behind a PROXY-sending UDP relay (frp, go-proxyproto): it
//! answers each datagram with one JSON datagram naming the real client and
//! logs dropped ones with the reason.
//!
//! ```sh
//! cargo run -p proxy-hdr-io --features tokio --example udp_echo -- \
//!     --listen 127.0.0.1:5353 --mode flow --trusted 127.0.0.1
//! ```
//! `--mode datagram`: a header on every datagram (the spec); `--mode flow`:
//! on the first datagram of each relay socket only (frp).

use std::net::SocketAddr;

use clap::Parser;
use proxy_hdr_io::{Cidr, Config, DatagramMode, Policy, ProxyUdpSocket, Untrusted};

#[derive(Debug, Parser)]
struct Options {
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:5353")]
    listen: SocketAddr,
    /// `datagram` (a header on each) or `flow` (on each flow's first).
    #[arg(long, value_parser = ["datagram", "flow"], default_value = "datagram")]
    mode: String,
    /// Relays allowed to send headers (default: loopback).
    #[arg(long)]
    trusted: Vec<Cidr>,
    /// Accept datagrams without a header too (attributed to their peer).
    #[arg(long)]
    optional: bool,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let o = Options::parse();
    let mode = if o.mode == "flow" { DatagramMode::FirstOfFlow } else { DatagramMode::PerDatagram };
    let trusted =
        if o.trusted.is_empty() { vec!["127.0.0.0/8".parse()?, "::1".parse()?] } else { o.trusted };
    let policy = if o.optional { Policy::Optional } else { Policy::Require };
    let config = Config::new().with_policy(policy).with_trusted(trusted, Untrusted::Reject);
    let udp = tokio::net::UdpSocket::bind(o.listen).await?;
    let socket = ProxyUdpSocket::new(udp, mode, config)
        .on_drop(|peer, why| eprintln!("udp_echo: dropped a datagram from {peer}: {why}"));
    eprintln!("udp_echo: listening on {} ({} mode)", socket.local_addr()?, o.mode);
    let mut buf = vec![0u8; 65_536];
    loop {
        let (len, meta) = socket.recv_from(&mut buf).await?;
        let hex: String = buf[..len].iter().map(|b| format!("{b:02x}")).collect();
        let answer = serde_json::json!({
            "client": meta.client.to_string(),
            "peer": meta.peer.to_string(),
            "payload_hex": hex,
        });
        socket.send_to(answer.to_string().as_bytes(), meta.client).await?;
    }
}
