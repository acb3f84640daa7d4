//! `cargo xtask interop [FILTER]...`: whoami (and the axum example) against
//! real PROXY senders (curl, HAProxy, nginx) and a frp-shaped relay, and
//! the project's own senders (the relay example, the CLI) against real
//! receivers, on loopback.
//!
//! Every scenario talks to a running server and asserts on the JSON it
//! answers, its counters (`/stats`) or its log. Everything started here
//! runs in the foreground with a generated config in a temp dir and is
//! stopped by PID when its scenario ends; the servers when the run ends.

mod golang;
mod process;
mod proxies;
mod refusals;
mod relay;
mod sending;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use serde_json::Value;

use crate::senders::{self, CurlOpts, TempDir, curl_output, host};
use process::Server;

const V4: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const V6: IpAddr = IpAddr::V6(Ipv6Addr::LOCALHOST);
/// A loopback address outside the strict whoami's `--trusted 127.0.0.1/32`.
const UNTRUSTED: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
/// HAProxy's `unique-id-format`: a fixed text, so the UNIQUE_ID TLV is known.
const UNIQUE_ID: &str = "proxy-hdr-interop-unique-id";
/// The strict whoami's `--header-timeout`, in seconds.
const HEADER_TIMEOUT: f64 = 1.0;

type Outcome = Result<String, String>;
/// A scenario's name and its check.
type Scenario = (&'static str, fn(&Cx) -> Outcome);

/// The servers and tools every scenario shares.
struct Cx {
    dir: TempDir,
    module: String,
    /// `--proxy-protocol optional` on 127.0.0.1 and on ::1.
    optional: Server,
    optional6: Server,
    /// `--proxy-protocol require --trusted 127.0.0.1/32 --header-timeout 1`.
    strict: Server,
    /// `--proxy-protocol off`: refuses headers, naming the misconfiguration.
    off: Server,
    /// `--proxy-protocol require` on a unix socket.
    unix: Server,
    unix_path: std::path::PathBuf,
    /// The axum example app (plain HTTP behind the PROXY listener).
    axum: Server,
    /// The relay example and the `proxy-hdr` CLI, built.
    relay: std::path::PathBuf,
    cli: std::path::PathBuf,
    /// The udp_echo example, and the Go sender (or why it cannot be built).
    udp_echo: std::path::PathBuf,
    go: Result<std::path::PathBuf, String>,
}

impl Cx {
    /// curl `url` from `ip`; the JSON answer and the address curl used.
    fn get(
        &self,
        url: &str,
        ip: IpAddr,
        opts: &CurlOpts<'_>,
    ) -> Result<(SocketAddr, Value), String> {
        let (client, body) = self.text(url, ip, opts)?;
        let json = serde_json::from_str(&body)
            .map_err(|e| format!("the answer is not JSON ({e}): {body:?}"))?;
        Ok((client, json))
    }

    /// curl `url` from `ip`; the body and the address curl used.
    fn text(
        &self,
        url: &str,
        ip: IpAddr,
        opts: &CurlOpts<'_>,
    ) -> Result<(SocketAddr, String), String> {
        let (client, out) = curl_output(url, ip, opts)?;
        if !out.status.success() {
            return Err(format!(
                "curl {url} failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok((client, String::from_utf8_lossy(&out.stdout).into_owned()))
    }

    /// curl `url` from `ip` expecting it to fail; its error text.
    fn refused(&self, url: &str, ip: IpAddr, opts: &CurlOpts<'_>) -> Outcome {
        let (_, out) = curl_output(url, ip, opts)?;
        if out.status.success() {
            return Err(format!("curl {url} succeeded: {}", String::from_utf8_lossy(&out.stdout)));
        }
        Ok(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }

    /// One counter of a whoami's `/stats`, asked directly (no header).
    fn stat(&self, whoami: &Server, name: &str) -> Result<u64, String> {
        let (_, stats) =
            self.get(&format!("{}stats", url(whoami.addr())), V4, &CurlOpts::default())?;
        stats[name].as_u64().ok_or_else(|| format!("no counter {name} in {stats}"))
    }
}

fn url(addr: SocketAddr) -> String {
    format!("https://{}:{}/", host(addr.ip()), addr.port())
}

/// Checks that the JSON at `pointer` equals `want`.
fn field(json: &Value, pointer: &str, want: impl Into<Value>) -> Result<(), String> {
    let want = want.into();
    match json.pointer(pointer) {
        Some(got) if *got == want => Ok(()),
        got => Err(format!("{pointer}: expected {want}, got {}", got.unwrap_or(&Value::Null))),
    }
}

/// The TLV object whose `name` is `name`.
fn tlv<'a>(json: &'a Value, name: &str) -> Result<&'a Value, String> {
    json.pointer("/proxy/tlvs")
        .and_then(Value::as_array)
        .and_then(|tlvs| tlvs.iter().find(|t| t["name"] == name))
        .ok_or_else(|| format!("no {name} TLV in {}", json["proxy"]["tlvs"]))
}

/// The checks every proxied answer shares: the real client, the version,
/// and the address the client dialled.
fn proxied(
    json: &Value,
    client: SocketAddr,
    version: u8,
    frontend: SocketAddr,
) -> Result<(), String> {
    field(json, "/client", client.to_string())?;
    field(json, "/proxy/command", "proxy")?;
    field(json, "/proxy/version", version)?;
    field(json, "/proxy/destination", frontend.to_string())?;
    if json["peer"] == json["client"] {
        return Err(format!(
            "peer {} is the client: the header's address was not used",
            json["peer"]
        ));
    }
    Ok(())
}

fn scenarios() -> Vec<Scenario> {
    vec![
        ("1-curl-haproxy-protocol-v1", proxies::curl_v1),
        ("2-haproxy-send-proxy-v2", proxies::haproxy_v2),
        ("3-haproxy-tls-client-cert-every-tlv-verified", proxies::haproxy_tlvs),
        ("3-haproxy-tls-no-client-cert-not-verified", proxies::haproxy_no_client_cert),
        ("4-haproxy-health-checks-counted-as-local", proxies::haproxy_checks),
        ("5-nginx-stream-proxy-protocol-ipv4", |cx| proxies::nginx(cx, V4)),
        ("5-nginx-stream-proxy-protocol-ipv6", |cx| proxies::nginx(cx, V6)),
        ("6-frp-header-and-clienthello-in-one-write", |cx| relay::frp(cx, false)),
        ("6-frp-header-and-clienthello-byte-by-byte", |cx| relay::frp(cx, true)),
        ("6-frp-to-whoami-with-the-protocol-off-is-named", relay::frp_to_off),
        ("7-require-names-a-direct-tls-client", refusals::bare_tls_refused),
        ("7-require-refuses-garbage-header", refusals::garbage_refused),
        ("7-require-refuses-untrusted-peer", refusals::untrusted_refused),
        ("7-require-cuts-silent-client-at-timeout", refusals::silent_cut),
        ("7-require-still-serves-after-refusals", refusals::still_serving),
        ("7-off-names-haproxy-sending-the-protocol", refusals::haproxy_to_off),
        ("8-optional-direct-tls-without-header", refusals::direct_tls),
        ("9-haproxy-to-whoami-over-a-unix-socket", proxies::haproxy_unix),
        ("10-axum-app-behind-haproxy", proxies::axum_behind_haproxy),
        ("11-relay-curl-to-whoami", sending::curl_relay_whoami),
        ("11-relay-passes-haproxy-tlvs-through", sending::haproxy_tlvs_through_relay),
        ("11-relay-to-haproxy-accept-proxy", sending::relay_to_haproxy),
        ("11-relay-to-nginx-proxy-protocol", sending::relay_to_nginx),
        ("12-cli-send-v2-tlvs-tls-get", sending::cli_send),
        ("12-cli-probe-whoami-require", sending::probe_whoami_require),
        ("12-cli-probe-whoami-optional", sending::probe_whoami_optional),
        ("12-cli-probe-whoami-off", sending::probe_whoami_off),
        ("12-cli-probe-haproxy-tcp-without-accept-proxy", |cx| sending::probe_haproxy(cx, false)),
        ("12-cli-probe-haproxy-accept-proxy", |cx| sending::probe_haproxy(cx, true)),
        ("13-go-proxyproto-udp-header-on-every-datagram", golang::udp_per_datagram),
        ("13-go-proxyproto-udp-frp-first-datagram-of-a-flow", golang::udp_first_of_flow),
        ("13-go-proxyproto-tcp-write-to-then-tls", golang::tcp_then_tls),
    ]
}

pub(crate) fn run(args: &[String]) -> Result<bool, String> {
    senders::install("interop")?;
    let module = senders::stream_module()?;
    let whoami = process::build("proxy-hdr-whoami", &[], None, "whoami")?;
    let axum = process::build("proxy-hdr-io", &["axum"], Some("axum"), "axum")?;
    let relay = process::build("proxy-hdr-io", &["listener"], Some("relay"), "relay")?;
    let cli = process::build("proxy-hdr-cli", &[], None, "proxy-hdr")?;
    let udp_echo = process::build("proxy-hdr-io", &["tokio"], Some("udp_echo"), "udp_echo")?;
    let dir = TempDir::new("proxy-hdr-interop")?;
    senders::make_certs(&dir)?;
    let timeout = HEADER_TIMEOUT.to_string();
    let start = |name, ip, args: &[&str]| Server::whoami(&whoami, &dir, name, ip, args);
    let optional = start("optional", V4, &["--proxy-protocol", "optional"])?;
    let optional6 = start("optional6", V6, &["--proxy-protocol", "optional"])?;
    let strict = start(
        "strict",
        V4,
        &["--proxy-protocol", "require", "--trusted", "127.0.0.1/32", "--header-timeout", &timeout],
    )?;
    let off = start("off", V4, &["--proxy-protocol", "off"])?;
    let unix_path = dir.path("whoami.sock");
    let unix =
        Server::whoami_unix(&whoami, &dir, "unix", &unix_path, &["--proxy-protocol", "require"])?;
    let axum = Server::axum_example(&axum, &dir, V4)?;
    let mut cx = Cx {
        dir,
        module,
        optional,
        optional6,
        strict,
        off,
        unix,
        unix_path,
        axum,
        relay,
        cli,
        udp_echo,
        go: Err("not built yet".into()),
    };
    cx.go = golang::build_sender(&cx);
    if let Err(why) = &cx.go {
        println!("interop: the go-proxyproto scenarios are skipped: {why}");
    }

    let (mut passed, mut failed) = (0, 0);
    for (name, scenario) in scenarios() {
        if !args.is_empty() && !args.iter().any(|a| name.contains(a.as_str())) {
            continue;
        }
        match scenario(&cx) {
            Ok(what) => {
                passed += 1;
                println!("interop {name}: ok ({what})");
            }
            Err(why) => {
                failed += 1;
                println!("interop {name}: FAILED: {why}");
            }
        }
    }
    println!("interop: {passed} passed, {failed} failed");
    Ok(failed == 0)
}
