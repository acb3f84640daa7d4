//! `cargo xtask capture [FILTER]...`: records the PROXY headers real senders
//! (HAProxy, nginx, curl) put on loopback connections and saves each as a
//! conformance vector in `tests/vectors/captures/`.
//!
//! Every scenario starts a recording listener, drives one sender at it with
//! a generated config, and stops the sender by PID. Before a vector is
//! written, the parsed header is checked against what the capture knows on
//! its own (curl's source port, the frontend's address, the configured
//! unique id, SNI and client certificate, and the raw framing bytes), so a
//! parser bug cannot quietly become the expected answer.

mod checks;
mod recorder;

use std::fmt::Write as _;
use std::fs;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;
use std::time::Duration;

use proxy_hdr::v2::ClientFlags;
use proxy_hdr::{Command as PpCommand, Header, Status, Version};

use crate::senders::{
    CLIENT_CN, CurlOpts, Nginx, Running, SNI, TempDir, Versions, curl, free_port, haproxy_config,
    host, start_haproxy, start_nginx,
};
use checks::{check, check_expect};
use recorder::{Conn, Recorder};

/// The `unique-id-format` HAProxy is given: a fixed text, so the UNIQUE_ID TLV is known.
const UNIQUE_ID: &str = "proxy-hdr-capture-unique-id";

const V4: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const V6: IpAddr = IpAddr::V6(Ipv6Addr::LOCALHOST);

/// Who sends the header.
enum Sender {
    /// curl's own `--haproxy-protocol` line, straight to the recorder.
    Curl { tls: bool },
    /// An HAProxy TCP frontend relaying curl; `server` is the rest of the
    /// `server` line.
    Haproxy { server: &'static str, front: Front },
    /// HAProxy's health checks (no client at all).
    HaproxyCheck { server: &'static str },
    /// nginx's stream module with `proxy_protocol on;`, relaying curl.
    Nginx,
}

/// How HAProxy's frontend accepts curl.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Front {
    Plain,
    /// TLS terminated by HAProxy (`ssl crt`), ALPN `http/1.1`.
    Tls,
    /// TLS with a client certificate required (`verify required`).
    TlsClientCert,
}

/// What follows the header on the wire.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Data {
    None,
    /// curl's `GET / HTTP/1.1` request.
    Http,
    /// A TLS ClientHello.
    Tls,
}

/// A TLV fact the capture knows independently of the parser.
#[derive(Clone, Copy, Debug)]
enum Fact {
    /// ALPN is the one protocol the frontend offers.
    Alpn,
    /// AUTHORITY is the SNI curl sent.
    Authority,
    /// A CRC32C TLV that matches a CRC computed here.
    Crc32c,
    /// UNIQUE_ID is the configured format's text.
    UniqueId,
    /// An SSL TLV: client connected over TLS, a TLS version sub-TLV.
    Ssl,
    /// The SSL TLV carries the client certificate's CN, verified.
    Cn,
    /// The SSL TLV carries the cipher and the frontend certificate's algorithms.
    CipherSigKey,
}

struct Scenario {
    name: String,
    /// The loopback address everything in the scenario uses.
    ip: IpAddr,
    sender: Sender,
    /// The sender's configuration, in words, for the vector's `source`.
    what: String,
    version: Version,
    /// A header with no client (health check): LOCAL for v2.
    local: bool,
    data: Data,
    facts: &'static [Fact],
}

/// A name, the rest of the `server` line, the frontend, and what to expect.
type HaproxyCase = (&'static str, &'static str, Front, Version, Data, &'static [Fact]);

fn scenarios() -> Vec<Scenario> {
    use Fact::*;
    let mut all = Vec::new();
    let s = |name: String, ip, sender, what: String, version, data, facts| Scenario {
        name,
        ip,
        sender,
        what,
        version,
        local: false,
        data,
        facts,
    };
    for (ip, fam, over) in [(V4, "tcp4", "IPv4"), (V6, "tcp6", "IPv6")] {
        for (tls, scheme) in [(false, "http"), (true, "https")] {
            let data = if tls { Data::Tls } else { Data::Http };
            all.push(s(
                format!("curl-{scheme}-{fam}"),
                ip,
                Sender::Curl { tls },
                format!("--haproxy-protocol {scheme}:// over {over}"),
                Version::V1,
                data,
                &[],
            ));
        }
        let haproxy: [HaproxyCase; 6] = [
            ("send-proxy", "send-proxy", Front::Plain, Version::V1, Data::Http, &[]),
            ("send-proxy-v2", "send-proxy-v2", Front::Plain, Version::V2, Data::Http, &[]),
            (
                "send-proxy-v2-ssl",
                "send-proxy-v2-ssl",
                Front::Tls,
                Version::V2,
                Data::Http,
                &[Ssl, Alpn],
            ),
            (
                "send-proxy-v2-ssl-cn",
                "send-proxy-v2-ssl-cn",
                Front::TlsClientCert,
                Version::V2,
                Data::Http,
                &[Ssl, Cn, Alpn],
            ),
            // Every option `proxy-v2-options` takes in HAProxy 2.6.
            (
                "proxy-v2-options",
                "send-proxy-v2 proxy-v2-options crc32c,unique-id,authority,ssl,cert-cn,ssl-cipher,cert-sig,cert-key",
                Front::TlsClientCert,
                Version::V2,
                Data::Http,
                &[Crc32c, UniqueId, Authority, Ssl, Cn, CipherSigKey, Alpn],
            ),
            // The case this project exists for: the header, then a ClientHello.
            (
                "send-proxy-v2-then-tls",
                "send-proxy-v2 ssl verify none",
                Front::Plain,
                Version::V2,
                Data::Tls,
                &[],
            ),
        ];
        for (name, server, front, version, data, facts) in haproxy {
            let front_words = match front {
                Front::Plain => "TCP frontend",
                Front::Tls => "TLS frontend",
                Front::TlsClientCert => "TLS frontend with client certificate",
            };
            let server_words = if facts.iter().any(|f| matches!(f, UniqueId)) {
                format!("{server} (unique-id-format {UNIQUE_ID})")
            } else {
                server.to_string()
            };
            all.push(s(
                format!("haproxy-{name}-{fam}"),
                ip,
                Sender::Haproxy { server, front },
                format!("{server_words}, {front_words}, over {over}"),
                version,
                data,
                facts,
            ));
        }
        all.push(s(
            format!("nginx-stream-{fam}"),
            ip,
            Sender::Nginx,
            format!("stream proxy_protocol on, over {over}"),
            Version::V1,
            Data::Http,
            &[],
        ));
    }
    let checks: [(&str, &'static str, Version, &'static [Fact]); 3] = [
        ("send-proxy-v2", "send-proxy-v2", Version::V2, &[]),
        ("send-proxy-v2-crc32c", "send-proxy-v2 proxy-v2-options crc32c", Version::V2, &[Crc32c]),
        ("send-proxy-v1", "check-send-proxy", Version::V1, &[]),
    ];
    for (name, server, version, facts) in checks {
        all.push(Scenario {
            name: format!("haproxy-check-{name}"),
            ip: V4,
            sender: Sender::HaproxyCheck { server },
            what: format!("health check (server check inter 500 {server})"),
            version,
            local: true,
            data: Data::None,
            facts,
        });
    }
    all
}

/// What a scenario's run produced, and the addresses it knows independently.
struct Observed {
    conn: Conn,
    source: Option<SocketAddr>,
    destination: Option<SocketAddr>,
}

pub(crate) fn run(args: &[String]) -> Result<bool, String> {
    crate::senders::install("capture")?;
    let versions = Versions::probe()?;
    let module = crate::senders::stream_module()?;
    let dir = TempDir::new("proxy-hdr-capture")?;
    crate::senders::make_certs(&dir)?;
    let out_dir = crate::workspace_root().join("tests/vectors/captures");
    fs::create_dir_all(&out_dir).map_err(|e| format!("creating {}: {e}", out_dir.display()))?;

    let (mut passed, mut failed) = (0, 0);
    let chosen = scenarios()
        .into_iter()
        .filter(|s| args.is_empty() || args.iter().any(|a| s.name.contains(a.as_str())));
    for sc in chosen {
        let outcome =
            drive(&sc, &dir, &module).and_then(|obs| save(&sc, &obs, &versions, &out_dir));
        match outcome {
            Ok(summary) => {
                passed += 1;
                println!("capture {}: ok ({summary})", sc.name);
            }
            Err(why) => {
                failed += 1;
                println!("capture {}: FAILED: {why}", sc.name);
            }
        }
    }
    println!("capture: {passed} passed, {failed} failed");
    Ok(failed == 0)
}

/// Runs one scenario's sender against a fresh recorder.
fn drive(sc: &Scenario, dir: &TempDir, module: &str) -> Result<Observed, String> {
    let rec = Recorder::start(sc.ip)?;
    let ip = sc.ip;
    // The sender lives until the capture is collected, then is killed and reaped.
    let (source, destination, sender) = match sc.sender {
        Sender::Curl { tls } => {
            let scheme = if tls { "https" } else { "http" };
            let url = format!("{scheme}://{}:{}/", host(ip), rec.addr.port());
            let client =
                curl(&url, ip, &CurlOpts { haproxy_protocol: true, ..Default::default() })?;
            (Some(client), Some(rec.addr), None)
        }
        Sender::Haproxy { server, front } => {
            let frontend = SocketAddr::new(ip, free_port(ip)?);
            let mut bind = format!("{}:{}", host(ip), frontend.port());
            if front != Front::Plain {
                let _ = write!(bind, " ssl crt {} alpn http/1.1", dir.path("server.pem").display());
            }
            if front == Front::TlsClientCert {
                let _ =
                    write!(bind, " ca-file {} verify required", dir.path("client.crt").display());
            }
            let cfg = haproxy_config(
                &format!(
                    "frontend capture\n    bind {bind}\n    unique-id-format {UNIQUE_ID}\n    \
                     default_backend recorder\n"
                ),
                &format!("{} {server}", rec.addr),
            );
            let mut proc = start_haproxy(dir, &sc.name, &cfg)?;
            proc.wait_listening(frontend.port())?;
            let (url, opts) = match front {
                Front::Plain => {
                    (format!("http://{}:{}/", host(ip), frontend.port()), CurlOpts::default())
                }
                Front::Tls | Front::TlsClientCert => (
                    format!("https://{SNI}:{}/", frontend.port()),
                    CurlOpts {
                        resolve: Some(frontend),
                        client_cert: (front == Front::TlsClientCert).then_some(dir),
                        ..Default::default()
                    },
                ),
            };
            let client = curl(&url, ip, &opts)?;
            (Some(client), Some(frontend), Some(proc))
        }
        Sender::HaproxyCheck { server } => {
            // HAProxy refuses to start without a listener; nothing connects to this one.
            let idle = format!(
                "frontend idle\n    bind {}:{}\n    default_backend recorder\n",
                host(ip),
                free_port(ip)?
            );
            let cfg = haproxy_config(&idle, &format!("{} check inter 500 {server}", rec.addr));
            (None, None, Some(start_haproxy(dir, &sc.name, &cfg)?))
        }
        Sender::Nginx => {
            let frontend = SocketAddr::new(ip, free_port(ip)?);
            let proc = start_nginx(dir, &sc.name, module, frontend, rec.addr, Nginx::Sends)?;
            let client = curl(
                &format!("http://{}:{}/", host(ip), frontend.port()),
                ip,
                &CurlOpts::default(),
            )?;
            (Some(client), Some(frontend), Some(proc))
        }
    };
    let conn = rec.first(Duration::from_secs(5)).ok_or_else(|| {
        let log = sender.as_ref().map(Running::log).unwrap_or_default();
        format!("nothing reached the recorder; sender said: {log}")
    })?;
    // HAProxy's v1 has no LOCAL: a v1 health check reports the check
    // connection's own addresses, which the recorder saw from its side.
    let (source, destination) = match (&sc.sender, sc.version) {
        (Sender::HaproxyCheck { .. }, Version::V1) => (Some(conn.peer), Some(rec.addr)),
        _ => (source, destination),
    };
    Ok(Observed { conn, source, destination })
}

/// Parses the capture, checks it against the scenario's own facts, and
/// writes the vector. Returns the summary for the `ok` line.
fn save(
    sc: &Scenario,
    obs: &Observed,
    versions: &Versions,
    out_dir: &Path,
) -> Result<String, String> {
    let bytes = obs.conn.bytes.as_slice();
    if bytes.is_empty() {
        return Err("the sender connected but sent nothing".into());
    }
    let (header, len) = match proxy_hdr::parse(bytes) {
        Ok(Status::Complete { header, len }) => (header, len),
        Ok(Status::Incomplete { needed }) => {
            return Err(format!(
                "parser wants more (needed {needed:?}) after all {} bytes",
                bytes.len()
            ));
        }
        Err(e) => return Err(format!("parser rejected the capture: {e} ({})", hex(bytes))),
    };
    check(sc, obs, &header, len).map_err(|why| format!("{why} (captured {})", hex(bytes)))?;

    let tool = match sc.sender {
        Sender::Curl { .. } => &versions.curl,
        Sender::Haproxy { .. } | Sender::HaproxyCheck { .. } => &versions.haproxy,
        Sender::Nginx => &versions.nginx,
    };
    let source = format!("captured on loopback from {tool} {} (cargo xtask capture)", sc.what);
    let expect = conformance::header_expect(&header, len);
    check_expect(sc, obs, &expect, len)?;
    let expect = serde_json::to_string_pretty(&expect).map_err(|e| e.to_string())?;
    let text = format!(
        "{{\n  \"name\": {},\n  \"source\": {},\n  \"input_hex\": \"{}\",\n  \"expect\": {}\n}}\n",
        serde_json::Value::from(sc.name.as_str()),
        serde_json::Value::from(source),
        hex(bytes),
        expect.replace('\n', "\n  "),
    );
    let path = out_dir.join(format!("{}.json", sc.name));
    fs::write(&path, text).map_err(|e| format!("writing {}: {e}", path.display()))?;

    let kinds: Vec<String> =
        header.tlvs().iter().map(|t| format!("{:02x}", t.raw_kind())).collect();
    let reads: Vec<String> = obs.conn.reads.iter().map(usize::to_string).collect();
    Ok(format!(
        "{} bytes: header {len} + {} after; reads [{}]; tlvs [{}]",
        bytes.len(),
        bytes.len() - len,
        reads.join(" "),
        kinds.join(" "),
    ))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}
