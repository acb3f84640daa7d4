//! The sending side against real receivers: the relay example between curl
//! and whoami, passing HAProxy's TLVs through, and in front of HAProxy
//! `accept-proxy` and nginx `listen ... proxy_protocol`; the `proxy-hdr`
//! CLI's `send` and `probe` against whoami and HAProxy.

use std::net::SocketAddr;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::process::Server;
use super::proxies::haproxy;
use super::{Cx, Outcome, UNIQUE_ID, V4, field, proxied, tlv, url};
use crate::senders::{
    CurlOpts, Nginx, Running, free_port, haproxy_config, host, start_haproxy, start_nginx,
};

/// A relay to `upstream` sending `version`, with `extra` flags.
fn start_relay(
    cx: &Cx,
    name: &str,
    upstream: SocketAddr,
    extra: &[&str],
) -> Result<Server, String> {
    let upstream = upstream.to_string();
    let mut args = vec!["--upstream", &upstream];
    args.extend_from_slice(extra);
    Server::relay(&cx.relay, &cx.dir, name, &args)
}

/// curl → relay (`--send-proxy v2`) → whoami: whoami reports curl.
pub(super) fn curl_relay_whoami(cx: &Cx) -> Outcome {
    let relay = start_relay(cx, "plain", cx.optional.addr(), &["--send-proxy", "v2"])?;
    let (client, json) = cx.get(&url(relay.addr()), V4, &CurlOpts::default())?;
    proxied(&json, client, 2, relay.addr())?;
    Ok(format!("client {client} via the relay {}", json["peer"]))
}

/// curl → HAProxy (`send-proxy-v2` with TLVs) → relay (`--accept-proxy
/// require --pass-tlvs all`) → whoami: HAProxy's TLVs arrive, the CRC32C
/// recomputed for the relay's header.
pub(super) fn haproxy_tlvs_through_relay(cx: &Cx) -> Outcome {
    let args = ["--send-proxy", "v2", "--accept-proxy", "require", "--pass-tlvs", "all"];
    let relay = start_relay(cx, "pass-all", cx.optional.addr(), &args)?;
    let server = format!("{} send-proxy-v2 proxy-v2-options crc32c,unique-id", relay.addr());
    let (_haproxy, frontend) = haproxy(cx, "to-relay", "", &server)?;
    let (client, json) = cx.get(&url(frontend), V4, &CurlOpts::default())?;
    proxied(&json, client, 2, frontend)?;
    field(tlv(&json, "unique_id")?, "/unique_id", UNIQUE_ID)?;
    field(tlv(&json, "crc32c")?, "/verified", true)?;

    // Only UNIQUE_ID (0x05) passed: no CRC32C upstream.
    let args = ["--send-proxy", "v2", "--accept-proxy", "require", "--pass-tlvs", "0x05"];
    let relay = start_relay(cx, "pass-some", cx.optional.addr(), &args)?;
    let server = format!("{} send-proxy-v2 proxy-v2-options crc32c,unique-id", relay.addr());
    let (_haproxy, frontend) = haproxy(cx, "to-relay-some", "", &server)?;
    let (client, json) = cx.get(&url(frontend), V4, &CurlOpts::default())?;
    proxied(&json, client, 2, frontend)?;
    field(tlv(&json, "unique_id")?, "/unique_id", UNIQUE_ID)?;
    if tlv(&json, "crc32c").is_ok() {
        return Err(format!("--pass-tlvs 0x05 passed a CRC32C: {}", json["proxy"]["tlvs"]));
    }
    Ok(format!("client {client}; TLVs {} with --pass-tlvs 0x05", json["proxy"]["tlvs"]))
}

/// Waits up to 3 s for a line of `proc`'s output (or of `file`) containing `want`.
fn logged(read: impl Fn() -> String, want: &str) -> Outcome {
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let text = read();
        if let Some(line) = text.lines().find(|l| l.contains(want)) {
            return Ok(line.trim().to_string());
        }
        if Instant::now() >= deadline {
            return Err(format!("no line with {want:?} in {text:?}"));
        }
        thread::sleep(Duration::from_millis(50));
    }
}

/// curl → relay (`--send-proxy v2`) → HAProxy `accept-proxy` (logging the
/// client, then `send-proxy-v2`) → whoami: HAProxy logs and forwards curl.
pub(super) fn relay_to_haproxy(cx: &Cx) -> Outcome {
    let frontend = SocketAddr::new(V4, free_port(V4)?);
    let section = format!(
        "frontend receiver\n    bind {}:{} accept-proxy\n    log stderr format raw local0\n    \
         log-format \"haproxy-client %ci:%cp\"\n    default_backend recorder\n",
        host(V4),
        frontend.port()
    );
    let config = haproxy_config(&section, &format!("{} send-proxy-v2", cx.optional.addr()));
    let mut proc: Running = start_haproxy(&cx.dir, "accept-proxy", &config)?;
    proc.wait_listening(frontend.port())?;
    let relay = start_relay(cx, "to-haproxy", frontend, &["--send-proxy", "v2"])?;
    let (client, json) = cx.get(&url(relay.addr()), V4, &CurlOpts::default())?;
    field(&json, "/client", client.to_string())?;
    let line = logged(|| proc.output(), &format!("haproxy-client {client}"))?;
    Ok(format!("HAProxy logged {line:?}; whoami: client {client}"))
}

/// curl → relay (`--send-proxy v1`) → nginx `listen ... proxy_protocol` →
/// whoami: nginx's access log names curl.
pub(super) fn relay_to_nginx(cx: &Cx) -> Outcome {
    let frontend = SocketAddr::new(V4, free_port(V4)?);
    let upstream = cx.optional.addr();
    let _nginx =
        start_nginx(&cx.dir, "nginx-receiver", &cx.module, frontend, upstream, Nginx::Receives)?;
    let relay = start_relay(cx, "to-nginx", frontend, &["--send-proxy", "v1"])?;
    let (client, json) = cx.get(&url(relay.addr()), V4, &CurlOpts::default())?;
    // nginx forwards no header here: whoami sees nginx, not curl.
    field(&json, "/proxy", Value::Null)?;
    let log = cx.dir.path("nginx-receiver-access.log");
    let line = logged(|| std::fs::read_to_string(&log).unwrap_or_default(), &client.to_string())?;
    Ok(format!("nginx logged {line:?}"))
}

/// Runs the CLI with `args`; its stdout, or why it failed.
fn cli(cx: &Cx, args: &[&str]) -> Outcome {
    let out = Command::new(&cx.cli)
        .args(args)
        .output()
        .map_err(|e| format!("running {}: {e}", cx.cli.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(format!("proxy-hdr {args:?} failed ({}): {stdout}{stderr}", out.status));
    }
    Ok(stdout)
}

/// `proxy-hdr send --v2` with TLVs, TLS and a GET: whoami reports the
/// header's client and TLVs.
pub(super) fn cli_send(cx: &Cx) -> Outcome {
    let server = cx.optional.addr().to_string();
    let args = [
        "send",
        &server,
        "--v2",
        "--source",
        "203.0.113.9:40000",
        "--destination",
        &server,
        "--authority",
        "shop.example",
        "--crc32c",
        "--tls",
        "--insecure",
        "--http-get",
        "/",
    ];
    let out = cli(cx, &args)?;
    let body = out.find('{').map(|at| &out[at..]).ok_or_else(|| format!("no JSON in {out:?}"))?;
    let json: Value = serde_json::from_str(body.trim()).map_err(|e| format!("{e}: {body:?}"))?;
    field(&json, "/client", "203.0.113.9:40000")?;
    field(tlv(&json, "authority")?, "/authority", "shop.example")?;
    field(tlv(&json, "crc32c")?, "/verified", true)?;
    Ok(format!("whoami saw client {} with AUTHORITY and CRC32C", json["client"]))
}

/// `proxy-hdr probe --tls ADDR`, checked for `verdict`; the output on one line.
fn probe(cx: &Cx, addr: SocketAddr, verdict: &str) -> Outcome {
    let out = cli(cx, &["probe", &addr.to_string(), "--tls", "--timeout", "2"])?;
    if !out.contains(verdict) {
        return Err(format!("expected a verdict with {verdict:?}, got {out:?}"));
    }
    Ok(out.lines().map(str::trim).collect::<Vec<_>>().join(" | "))
}

const TLS_FIRST: &str = "this server expects TLS first";
const REQUIRED: &str = "this server requires a PROXY header (v1 and v2)";
const OPTIONAL: &str = "this server takes connections with and without a PROXY header";

pub(super) fn probe_whoami_require(cx: &Cx) -> Outcome {
    probe(cx, cx.strict.addr(), REQUIRED)
}

pub(super) fn probe_whoami_optional(cx: &Cx) -> Outcome {
    probe(cx, cx.optional.addr(), OPTIONAL)
}

pub(super) fn probe_whoami_off(cx: &Cx) -> Outcome {
    probe(cx, cx.off.addr(), TLS_FIRST)
}

/// HAProxy relaying TCP to whoami `off`: without `accept-proxy` the header
/// reaches whoami, which refuses it; with it, HAProxy takes the header.
pub(super) fn probe_haproxy(cx: &Cx, accept_proxy: bool) -> Outcome {
    let (bind, verdict) = if accept_proxy { (" accept-proxy", REQUIRED) } else { ("", TLS_FIRST) };
    let (_haproxy, frontend) = haproxy(cx, "probe", bind, &cx.off.addr().to_string())?;
    probe(cx, frontend, verdict)
}
