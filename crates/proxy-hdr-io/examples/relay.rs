//! A TCP relay that sends the PROXY protocol upstream: frp's or HAProxy's
//! job in miniature. It accepts connections (reading a PROXY header itself
//! with `--accept-proxy`), connects upstream within a deadline, writes a
//! header carrying the real client (the accepted header's TLVs passed
//! through with `--pass-tlvs`), and relays both ways, half-closes included.
//!
//! ```sh
//! cargo run -p proxy-hdr-io --features listener --example relay -- \
//!     --listen 127.0.0.1:9000 --upstream 127.0.0.1:8443 --send-proxy v2
//! ```

use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;
use proxy_hdr::Version;
use proxy_hdr::v2::TlvType;
use proxy_hdr_io::listener::{ClientInfo, Listener};
use proxy_hdr_io::{Cidr, Config, Keep, Outbound, Policy, Untrusted};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Parser)]
struct Options {
    /// Where clients (or the proxy in front) connect.
    #[arg(long)]
    listen: SocketAddr,
    /// Where to relay to.
    #[arg(long)]
    upstream: SocketAddr,
    /// The header sent upstream: v1 or v2.
    #[arg(long, value_parser = ["v1", "v2"])]
    send_proxy: String,
    /// Read a PROXY header from each connection first: require or optional.
    #[arg(long, value_parser = ["require", "optional"])]
    accept_proxy: Option<String>,
    /// The accepted header's TLVs to pass upstream: `all`, or types such as
    /// `0x01,0x02` (v2 only).
    #[arg(long, default_value = "")]
    pass_tlvs: String,
    /// Peers allowed to send a header (default: loopback).
    #[arg(long)]
    trusted: Vec<Cidr>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let o = Options::parse();
    let version = if o.send_proxy == "v1" { Version::V1 } else { Version::V2 };
    let pass: Vec<TlvType> = o
        .pass_tlvs
        .split(',')
        .filter(|t| !t.is_empty() && *t != "all")
        .map(|t| {
            let n = t.strip_prefix("0x").map_or_else(|| t.parse(), |h| u8::from_str_radix(h, 16));
            n.map(TlvType::from).map_err(|_| format!("--pass-tlvs: {t:?} is not a TLV type"))
        })
        .collect::<Result<_, _>>()?;
    let all = o.pass_tlvs == "all";
    let tcp = TcpListener::bind(o.listen).await?;
    eprintln!("relay: listening on {} -> {} ({})", tcp.local_addr()?, o.upstream, o.send_proxy);
    let relay = Relay { upstream: o.upstream, version, pass, all };
    match o.accept_proxy.as_deref() {
        None => loop {
            let (stream, peer) = tcp.accept().await?;
            let info = ClientInfo::new(Some(peer), stream.local_addr().ok(), None);
            let relay = relay.clone();
            tokio::spawn(async move { relay.serve(stream, info).await });
        },
        Some(policy) => {
            let trusted = if o.trusted.is_empty() {
                vec!["127.0.0.0/8".parse()?, "::1".parse()?]
            } else {
                o.trusted
            };
            let policy = if policy == "require" { Policy::Require } else { Policy::Optional };
            let config = Config::new().with_policy(policy).with_trusted(trusted, Untrusted::Reject);
            let mut listener = Listener::new(tcp, config);
            loop {
                let conn = listener.accept().await?;
                let info = conn.info().clone();
                let relay = relay.clone();
                tokio::spawn(async move { relay.serve(conn, info).await });
            }
        }
    }
}

#[derive(Debug, Clone)]
struct Relay {
    upstream: SocketAddr,
    version: Version,
    pass: Vec<TlvType>,
    all: bool,
}

impl Relay {
    /// The header for upstream: the accepted one passed through, or one
    /// for the socket's own client.
    fn header(&self, info: &ClientInfo) -> Option<Vec<u8>> {
        let outbound = match (&info.header, info.client, info.local) {
            (Some(h), ..) => {
                // v1 carries no TLVs: none pass through it.
                let keep = match self.version {
                    Version::V1 => Keep::None,
                    Version::V2 if self.all => Keep::All,
                    Version::V2 => Keep::Types(&self.pass),
                };
                Outbound::from_header(&h.header(), keep)
            }
            (None, Some(client), Some(local)) => Outbound::v2(client, local),
            _ => Outbound::unknown(self.version),
        };
        match outbound.with_version(self.version).encode() {
            Ok(wire) => Some(wire),
            Err(e) => {
                eprintln!("relay: cannot build the upstream header: {e}");
                None
            }
        }
    }

    async fn serve<S: AsyncRead + AsyncWrite + Unpin>(&self, mut client: S, info: ClientInfo) {
        let Some(header) = self.header(&info) else { return };
        let connect =
            tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(self.upstream));
        let mut upstream = match connect.await {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => return eprintln!("relay: {}: {e}", self.upstream),
            Err(_) => return eprintln!("relay: {}: connect timed out", self.upstream),
        };
        if upstream.write_all(&header).await.is_err() {
            return;
        }
        // Both ways; each side's EOF becomes a shutdown of the other's writes.
        match tokio::io::copy_bidirectional(&mut client, &mut upstream).await {
            Ok((up, down)) => eprintln!("relay: {:?}: {up} bytes up, {down} down", info.client),
            Err(e) => eprintln!("relay: {:?}: {e}", info.client),
        }
    }
}
