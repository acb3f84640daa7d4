//! `proxy-hdr send`: what curl `--haproxy-protocol` does, for v1 and v2 with
//! TLVs: connect, send a header (then TLS, then an HTTP GET), print the answer.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use proxy_hdr_rustls::ProxyTlsConnector;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::encode::HeaderArgs;
use crate::tls::client_config;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The server (IP:PORT).
    addr: SocketAddr,
    #[command(flatten)]
    header: HeaderArgs,
    /// Run a TLS handshake after the header.
    #[arg(long)]
    tls: bool,
    /// The TLS server name (SNI); default `localhost`.
    #[arg(long, requires = "tls", default_value = "localhost")]
    sni: String,
    /// Accept any server certificate (self-signed test servers).
    #[arg(long, requires = "tls")]
    insecure: bool,
    /// Send `GET PATH HTTP/1.1` after the header (and TLS).
    #[arg(long, value_name = "PATH")]
    http_get: Option<String>,
    /// Seconds for the connection, the handshake and the answer.
    #[arg(long, default_value_t = 5.0)]
    timeout: f64,
}

pub(crate) async fn run(args: &Args) -> Result<ExitCode, String> {
    let timeout =
        Duration::try_from_secs_f64(args.timeout).map_err(|e| format!("--timeout: {e}"))?;
    let tcp = tokio::time::timeout(timeout, TcpStream::connect(args.addr))
        .await
        .map_err(|_| format!("{}: connect timed out", args.addr))?
        .map_err(|e| format!("{}: {e}", args.addr))?;
    let local = tcp.local_addr().map_err(|e| e.to_string())?;
    let header = args.header.wire(Some((local, args.addr)))?;
    let request = args.http_get.as_ref().map(|path| {
        format!("GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", args.sni)
    });
    eprintln!("proxy-hdr: sent a {}-byte header to {}", header.len(), args.addr);
    let answer = if args.tls {
        let config = client_config(args.insecure, &[b"http/1.1"])?;
        let name = ServerName::try_from(args.sni.clone()).map_err(|e| format!("--sni: {e}"))?;
        let connector = ProxyTlsConnector::new(config).with_timeout(Some(timeout));
        let mut tls =
            connector.connect(tcp, &header, name).await.map_err(|e| format!("TLS: {e}"))?;
        eprintln!("proxy-hdr: TLS handshake completed");
        if let Some(req) = &request {
            tls.write_all(req.as_bytes()).await.map_err(|e| e.to_string())?;
        }
        read_answer(&mut tls, timeout).await
    } else {
        let mut tcp = tcp;
        let mut wire = header;
        wire.extend_from_slice(request.as_deref().unwrap_or_default().as_bytes());
        tcp.write_all(&wire).await.map_err(|e| e.to_string())?;
        read_answer(&mut tcp, timeout).await
    };
    print!("{}", String::from_utf8_lossy(&answer));
    Ok(ExitCode::SUCCESS)
}

/// Everything the server sends until it closes, or the timeout.
async fn read_answer<S: AsyncRead + Unpin>(stream: &mut S, timeout: Duration) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = tokio::time::timeout(timeout, stream.read_to_end(&mut out)).await;
    out
}
