//! `whoami`: an HTTPS server behind a PROXY-protocol proxy (frp, HAProxy,
//! nginx, a cloud load balancer) that answers every request with the real
//! client, the proxy, the header's TLVs and the TLS session, as JSON.
//!
//! ```sh
//! cargo run -p proxy-hdr-whoami        # https://127.0.0.1:8443/, self-signed
//! curl -k https://127.0.0.1:8443/
//! curl -k --haproxy-protocol https://127.0.0.1:8443/
//! ```

mod idle;
mod options;
mod report;
mod serve;

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use proxy_hdr_io::listener::{Accept, Listener, Report};
use proxy_hdr_io::{Cidr, Config, Trust, Untrusted};
use proxy_hdr_rustls::{ProxyTlsAcceptor, server_config_builder};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use options::{Listen, Mode, Options, Trusted};

/// The peers whoami takes headers from.
#[derive(Debug, Clone)]
enum Peers {
    Any,
    Listed(Vec<Cidr>),
}

impl Trust for Peers {
    fn is_trusted(&self, peer: std::net::IpAddr) -> bool {
        match self {
            Peers::Any => true,
            Peers::Listed(blocks) => blocks.is_trusted(peer),
        }
    }

    fn trusts_unknown(&self) -> bool {
        matches!(self, Peers::Any)
    }
}

fn main() -> ExitCode {
    let options = Options::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => return fail(&format!("cannot start the runtime: {e}")),
    };
    runtime.block_on(run(options))
}

fn fail(why: &str) -> ExitCode {
    eprintln!("whoami: {why}");
    ExitCode::FAILURE
}

async fn run(options: Options) -> ExitCode {
    let tls = match tls_config(&options) {
        Ok(c) => Arc::new(c),
        Err(e) => return fail(&format!("TLS setup failed: {e}")),
    };
    let unix = matches!(options.listen, Listen::Unix(_));
    let peers = trust(&options, unix);
    if options.handshake_timeout < options.header_timeout {
        eprintln!(
            "whoami: note: --handshake-timeout {:?} is shorter than --header-timeout {:?}: the \
             header gets at most the handshake's time",
            options.handshake_timeout, options.header_timeout
        );
    }
    let config = Config::new()
        .with_policy(options.proxy_protocol.policy())
        .with_header_timeout(Some(options.header_timeout))
        .with_setup_timeout(Some(options.handshake_timeout))
        .with_trusted(peers, Untrusted::Reject);
    let acceptor = ProxyTlsAcceptor::new(tls, config);
    let mode = match options.proxy_protocol {
        Mode::Require => "require",
        Mode::Optional => "optional",
        Mode::Off => "off",
    };
    match &options.listen {
        Listen::Tcp(addr) => match tokio::net::TcpListener::bind(addr).await {
            Ok(tcp) => {
                let local = tcp.local_addr().map_or(*addr, |a| a);
                eprintln!("whoami: listening on https://{local}/ (PROXY protocol: {mode})");
                serve_forever(tcp, acceptor, &options, local.to_string()).await
            }
            Err(e) => fail(&format!("cannot listen on {addr}: {e}")),
        },
        Listen::Unix(path) => {
            let _ = std::fs::remove_file(path);
            match tokio::net::UnixListener::bind(path) {
                Ok(unix) => {
                    let shown = format!("unix:{}", path.display());
                    eprintln!("whoami: listening on https+{shown} (PROXY protocol: {mode})");
                    serve_forever(unix, acceptor, &options, shown).await
                }
                Err(e) => fail(&format!("cannot listen on {}: {e}", path.display())),
            }
        }
    }
}

/// Who may send headers, said at start-up: loopback by default on TCP, the
/// socket's users on a unix socket, everyone with `--trusted any`.
fn trust(options: &Options, unix: bool) -> Peers {
    let blocks: Vec<Cidr> = options
        .trusted
        .iter()
        .filter_map(|t| match t {
            Trusted::Block(b) => Some(*b),
            Trusted::Any => None,
        })
        .collect();
    let peers = if options.trusted.contains(&Trusted::Any) {
        eprintln!(
            "whoami: warning: --trusted any: every peer may send a PROXY header, so any client \
             that reaches this port can claim any address"
        );
        Peers::Any
    } else if blocks.is_empty() && unix {
        eprintln!(
            "whoami: PROXY headers trusted from every peer that can open the unix socket (its \
             file permissions decide who can)"
        );
        Peers::Any
    } else if blocks.is_empty() {
        let loopback =
            ["127.0.0.0/8", "::1/128"].map(|b| b.parse().unwrap_or_else(|_| unreachable!()));
        eprintln!(
            "whoami: PROXY headers trusted from loopback only (127.0.0.0/8, ::1): pass --trusted \
             with your proxies' addresses, or --trusted any"
        );
        Peers::Listed(loopback.to_vec())
    } else {
        let list: Vec<String> = blocks.iter().map(ToString::to_string).collect();
        eprintln!("whoami: PROXY headers trusted from {}", list.join(", "));
        Peers::Listed(blocks)
    };
    if options.proxy_protocol == Mode::Off {
        eprintln!("whoami: PROXY protocol off: a connection that starts with a header is refused");
    }
    peers
}

async fn serve_forever<L: Accept>(
    listener: L,
    acceptor: ProxyTlsAcceptor<Peers>,
    options: &Options,
    local: String,
) -> ExitCode
where
    L::Stream: 'static,
{
    let mut listener = Listener::builder(listener, acceptor)
        .max_connections(Some(options.max_connections))
        .on_failure(log_failure)
        .start();
    let limits = serve::Limits { idle: options.idle_timeout, write: options.write_timeout };
    let stats = listener.stats().clone();
    loop {
        match listener.accept().await {
            Ok(conn) => {
                let (stats, local) = (stats.clone(), local.clone());
                tokio::spawn(serve::connection(conn, stats, limits, local));
            }
            Err(e) => return fail(&format!("the listener stopped: {e}")),
        }
    }
}

/// One line per refused connection; health checks (a peer that closes,
/// after a LOCAL header or nothing) at debug level only.
fn log_failure(report: &Report<'_>) {
    if report.failure.is_quiet() {
        tracing::debug!("closed by the peer before TLS (a health check?): {report}");
    } else {
        tracing::warn!("refused: {report}");
    }
}

fn tls_config(options: &Options) -> Result<rustls::ServerConfig, Box<dyn std::error::Error>> {
    let (chain, key) = match (&options.cert, &options.key) {
        (Some(cert), Some(key)) => (
            CertificateDer::pem_file_iter(cert)?.collect::<Result<Vec<_>, _>>()?,
            PrivateKeyDer::from_pem_file(key)?,
        ),
        _ => {
            let names = vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
            let generated = rcgen::generate_simple_self_signed(names)?;
            let key = PrivateKeyDer::Pkcs8(generated.signing_key.serialize_der().into());
            (vec![generated.cert.der().clone()], key)
        }
    };
    let mut config = server_config_builder()?.with_no_client_auth().with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}
