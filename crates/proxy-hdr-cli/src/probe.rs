//! `proxy-hdr probe`: what a server does with no header, a v1 and a v2
//! header, and what that means for the proxy in front of it.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use proxy_hdr_io::Outbound;
use proxy_hdr_rustls::ProxyTlsConnector;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::tls::client_config;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The server (IP:PORT).
    addr: SocketAddr,
    /// Follow each header with a TLS handshake (else an HTTP request).
    #[arg(long)]
    tls: bool,
    /// The TLS server name (SNI).
    #[arg(long, default_value = "localhost")]
    sni: String,
    /// Seconds to wait for each try.
    #[arg(long, default_value_t = 3.0)]
    timeout: f64,
}

/// What the server did with one try.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    /// The TLS handshake completed.
    Tls,
    /// It answered (the first line of the answer).
    Answered(String),
    /// It closed the connection.
    Closed,
    /// It reset the connection.
    Reset,
    /// It sent a TLS alert, or its TLS failed otherwise.
    TlsFailed(String),
    /// It said nothing within the timeout.
    TimedOut,
    /// The connection could not be made.
    Unreachable(String),
}

impl Seen {
    fn ok(&self) -> bool {
        matches!(self, Seen::Tls | Seen::Answered(_))
    }

    fn words(&self) -> String {
        match self {
            Seen::Tls => "completed TLS".into(),
            Seen::Answered(line) => format!("answered ({line})"),
            Seen::Closed => "closed the connection".into(),
            Seen::Reset => "reset the connection".into(),
            Seen::TlsFailed(e) => format!("TLS failed: {e}"),
            Seen::TimedOut => "said nothing (timed out)".into(),
            Seen::Unreachable(e) => format!("unreachable: {e}"),
        }
    }
}

pub(crate) async fn run(args: &Args) -> Result<ExitCode, String> {
    let timeout =
        Duration::try_from_secs_f64(args.timeout).map_err(|e| format!("--timeout: {e}"))?;
    let mut seen = Vec::new();
    for (name, version) in [("no header", None), ("v1 header", Some(1)), ("v2 header", Some(2))] {
        let outcome = try_once(args, version, timeout).await;
        println!("{name:>10}: {}", outcome.words());
        seen.push(outcome);
    }
    if let Some(Seen::Unreachable(e)) = seen.first() {
        return Err(format!("{}: {e}", args.addr));
    }
    println!("verdict: {}", verdict(&seen, args.tls));
    Ok(ExitCode::SUCCESS)
}

/// One connection: a header of `version` (or none), then TLS or a request.
async fn try_once(args: &Args, version: Option<u8>, timeout: Duration) -> Seen {
    let tcp = match tokio::time::timeout(timeout, TcpStream::connect(args.addr)).await {
        Ok(Ok(tcp)) => tcp,
        Ok(Err(e)) => return Seen::Unreachable(e.to_string()),
        Err(_) => return Seen::Unreachable("connect timed out".into()),
    };
    let local = tcp.local_addr().unwrap_or(args.addr);
    let header = match version {
        None => Vec::new(),
        Some(1) => Outbound::v1(local, args.addr).encode().unwrap_or_default(),
        Some(_) => Outbound::v2(local, args.addr).encode().unwrap_or_default(),
    };
    if args.tls {
        let Ok(config) = client_config(true, &[b"http/1.1"]) else {
            return Seen::TlsFailed("no config".into());
        };
        let Ok(name) = ServerName::try_from(args.sni.clone()) else {
            return Seen::TlsFailed("bad SNI".into());
        };
        let connector = ProxyTlsConnector::new(config).with_timeout(Some(timeout));
        return match connector.connect(tcp, &header, name).await {
            Ok(_) => Seen::Tls,
            Err(e) => classify(&e),
        };
    }
    let mut tcp = tcp;
    let request = b"HEAD / HTTP/1.0\r\n\r\n";
    if tcp.write_all(&[&header[..], request].concat()).await.is_err() {
        return Seen::Reset;
    }
    let mut answer = vec![0u8; 512];
    match tokio::time::timeout(timeout, tcp.read(&mut answer)).await {
        Err(_) => Seen::TimedOut,
        Ok(Ok(0)) => Seen::Closed,
        Ok(Ok(n)) => {
            let text = String::from_utf8_lossy(&answer[..n]);
            Seen::Answered(
                proxy_hdr::Escaped(text.lines().next().unwrap_or_default().as_bytes()).to_string(),
            )
        }
        Ok(Err(e)) => classify(&e),
    }
}

fn classify(e: &std::io::Error) -> Seen {
    use std::io::ErrorKind::*;
    match e.kind() {
        UnexpectedEof => Seen::Closed,
        ConnectionReset | ConnectionAborted | BrokenPipe => Seen::Reset,
        TimedOut => Seen::TimedOut,
        _ => Seen::TlsFailed(e.to_string()),
    }
}

/// The verdict in plain words, from the three tries.
fn verdict(seen: &[Seen], tls: bool) -> String {
    let ok: Vec<bool> = seen.iter().map(Seen::ok).collect();
    let first = if tls { "TLS" } else { "its own protocol" };
    match ok.as_slice() {
        [true, false, false] => format!(
            "this server expects {first} first: a proxy sending the PROXY protocol (frp \
             proxyProtocolVersion = v2, HAProxy send-proxy-v2, nginx proxy_protocol on) will see \
             its connections dropped right after accept. Turn PROXY support on in the server, or \
             off in the proxy"
        ),
        [false, true, true] => {
            "this server requires a PROXY header (v1 and v2): only clients that come through \
             the proxy are served"
                .into()
        }
        [true, true, true] => {
            "this server takes connections with and without a PROXY header (optional): make \
             sure only your proxies can send one, or any client can claim any address"
                .into()
        }
        [false, false, true] => {
            "this server requires a v2 header and refuses v1: set the proxy to v2 (frp \
             proxyProtocolVersion = v2, HAProxy send-proxy-v2)"
                .into()
        }
        [false, true, false] => {
            "this server requires a v1 header and refuses v2: set the proxy to v1 (HAProxy \
             send-proxy, nginx proxy_protocol on)"
                .into()
        }
        [true, _, _] => {
            "this server serves clients without a header but refuses one of the versions".into()
        }
        _ => format!(
            "this server served none of the tries: check the address and port, and whether it speaks {}",
            if tls { "TLS" } else { "plain TCP (try --tls)" }
        ),
    }
}
