//! whoami's command line. Its flags are a contract that tools and tests
//! outside this repository rely on: keep every one, spelled as it is.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use proxy_hdr_io::{Cidr, Policy};

/// An HTTPS server that answers every request with what it knows about the
/// connection: the real client (from the PROXY header), the proxy (the
/// socket peer), the header with every TLV decoded, and the TLS session.
/// `GET /stats` returns the listener's counters.
#[derive(Debug, Parser)]
#[command(name = "whoami", version)]
pub(crate) struct Options {
    /// Where to listen: `IP:PORT`, or `unix:PATH` for a unix socket (what
    /// HAProxy and nginx often connect to on the same host).
    #[arg(long, default_value = "127.0.0.1:8443")]
    pub listen: Listen,

    /// The certificate chain (PEM); without it a self-signed one for
    /// localhost, 127.0.0.1 and ::1 is made at start.
    #[arg(long, requires = "key")]
    pub cert: Option<PathBuf>,

    /// The certificate's private key (PEM).
    #[arg(long, requires = "cert")]
    pub key: Option<PathBuf>,

    /// Whether connections start with a PROXY header: `require` (refuse
    /// those that do not), `optional` (use one when present), `off` (refuse
    /// those that do, naming the misconfiguration).
    #[arg(long, value_enum, default_value_t = Mode::Optional)]
    pub proxy_protocol: Mode,

    /// A proxy allowed to send PROXY headers: an address or block such as
    /// `10.0.0.0/8`, repeatable; `any` trusts every peer. Default: loopback
    /// only on TCP (every peer that can open the socket on a unix socket).
    #[arg(long = "trusted", value_name = "CIDR|any")]
    pub trusted: Vec<Trusted>,

    /// Seconds allowed for the PROXY header, from accept (must be above 0).
    #[arg(long, default_value = "5", value_parser = seconds)]
    pub header_timeout: Duration,

    /// Seconds allowed for the whole connection setup: the header and the
    /// TLS handshake (must be above 0).
    #[arg(long, default_value = "10", value_parser = seconds)]
    pub handshake_timeout: Duration,

    /// Seconds a connection may wait for a request head, the first one
    /// included, or sit idle between keep-alive requests (must be above 0).
    #[arg(long, default_value = "60", value_parser = seconds)]
    pub idle_timeout: Duration,

    /// Seconds a response write may stall before the connection is closed.
    #[arg(long, default_value = "30", value_parser = seconds)]
    pub write_timeout: Duration,

    /// Connections open at once; beyond it new ones wait in the backlog.
    #[arg(long, default_value_t = 10_000)]
    pub max_connections: usize,
}

/// Where to listen.
#[derive(Debug, Clone)]
pub(crate) enum Listen {
    /// A TCP address.
    Tcp(std::net::SocketAddr),
    /// A unix socket path.
    Unix(PathBuf),
}

impl std::str::FromStr for Listen {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.strip_prefix("unix:") {
            Some(path) if !path.is_empty() => Ok(Listen::Unix(path.into())),
            Some(_) => Err("unix: needs a path".into()),
            None => s
                .parse()
                .map(Listen::Tcp)
                .map_err(|e| format!("{e} (expected IP:PORT or unix:PATH)")),
        }
    }
}

/// `--proxy-protocol`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Mode {
    /// Every connection must start with a header.
    Require,
    /// A header is used when present.
    Optional,
    /// Headers are refused.
    Off,
}

impl Mode {
    /// The driver's policy.
    pub(crate) fn policy(self) -> Policy {
        match self {
            Mode::Require => Policy::Require,
            Mode::Optional => Policy::Optional,
            Mode::Off => Policy::Refuse,
        }
    }
}

/// One `--trusted` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Trusted {
    /// Every peer.
    Any,
    /// An address block.
    Block(Cidr),
}

impl std::str::FromStr for Trusted {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s == "any" {
            return Ok(Trusted::Any);
        }
        s.parse().map(Trusted::Block).map_err(|e| format!("{e}"))
    }
}

/// Seconds as a duration: finite and above zero (zero would mean "no limit"
/// to some and "at once" to others; neither is a safe guess).
fn seconds(s: &str) -> Result<Duration, String> {
    let secs: f64 = s.parse().map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if secs.is_nan() || secs <= 0.0 {
        return Err(format!("{s} must be above 0 (a limit is required; there is no \"no limit\")"));
    }
    Duration::try_from_secs_f64(secs).map_err(|e| format!("{s}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_validated_with_clear_messages() {
        let parse = |args: &[&str]| {
            Options::try_parse_from(std::iter::once("whoami").chain(args.iter().copied()))
        };
        let e = parse(&["--header-timeout", "0"]).unwrap_err().to_string();
        assert!(e.contains("must be above 0"), "{e}");
        assert!(parse(&["--header-timeout", "nan"]).is_err());
        assert!(
            parse(&["--trusted", "::ffff:10.0.0.0/64"])
                .unwrap_err()
                .to_string()
                .contains("IPv4-mapped")
        );
        assert!(parse(&["--cert", "a.pem"]).is_err(), "--cert needs --key");
        let o =
            parse(&["--listen", "unix:/tmp/w.sock", "--trusted", "any", "--proxy-protocol", "off"])
                .unwrap();
        assert!(matches!(o.listen, Listen::Unix(_)));
        assert_eq!((o.trusted[0], o.proxy_protocol.policy()), (Trusted::Any, Policy::Refuse));
        let o = parse(&[]).unwrap();
        assert_eq!(
            (o.header_timeout, o.handshake_timeout),
            (Duration::from_secs(5), Duration::from_secs(10))
        );
        assert_eq!((o.idle_timeout, o.max_connections), (Duration::from_secs(60), 10_000));
    }
}
