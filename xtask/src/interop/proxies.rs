//! Real senders in front of whoami: curl `--haproxy-protocol`, HAProxy
//! (v2, TLS with every TLV, health checks, a unix socket), nginx, and
//! HAProxy in front of the axum example.

use std::net::{IpAddr, SocketAddr};
use std::thread;
use std::time::Duration;

use super::{Cx, Outcome, UNIQUE_ID, V4, field, proxied, tlv, url};
use crate::senders::{
    CLIENT_CN, CurlOpts, Nginx, Running, SNI, free_port, haproxy_config, host, start_haproxy,
    start_nginx,
};

pub(super) fn curl_v1(cx: &Cx) -> Outcome {
    let server = cx.optional.addr();
    let opts = CurlOpts { haproxy_protocol: true, ..Default::default() };
    let (client, json) = cx.get(&url(server), V4, &opts)?;
    field(&json, "/client", client.to_string())?;
    field(&json, "/proxy/version", 1)?;
    field(&json, "/proxy/transport", "tcp4")?;
    field(&json, "/proxy/destination", server.to_string())?;
    field(&json, "/tls/version", "TLSv1_3")?;
    Ok(format!("client {client}, v1 then TLS 1.3"))
}

/// An HAProxy TCP frontend on a free port relaying to `server_line`.
pub(super) fn haproxy(
    cx: &Cx,
    name: &str,
    bind_extra: &str,
    server_line: &str,
) -> Result<(Running, SocketAddr), String> {
    let frontend = SocketAddr::new(V4, free_port(V4)?);
    let section = format!(
        "frontend interop\n    bind {}:{}{bind_extra}\n    unique-id-format {UNIQUE_ID}\n    \
         default_backend recorder\n",
        host(V4),
        frontend.port()
    );
    let mut proc = start_haproxy(&cx.dir, name, &haproxy_config(&section, server_line))?;
    proc.wait_listening(frontend.port())?;
    Ok((proc, frontend))
}

pub(super) fn haproxy_v2(cx: &Cx) -> Outcome {
    let (_haproxy, frontend) =
        haproxy(cx, "send-proxy-v2", "", &format!("{} send-proxy-v2", cx.optional.addr()))?;
    let (client, json) = cx.get(&url(frontend), V4, &CurlOpts::default())?;
    proxied(&json, client, 2, frontend)?;
    field(&json, "/proxy/transport", "tcp4")?;
    Ok(format!("client {client} via HAProxy {}", json["peer"]))
}

pub(super) fn haproxy_tlvs(cx: &Cx) -> Outcome {
    let bind = format!(
        " ssl crt {} alpn http/1.1 ca-file {} verify required",
        cx.dir.path("server.pem").display(),
        cx.dir.path("client.crt").display()
    );
    let server = format!(
        "{} ssl verify none send-proxy-v2-ssl-cn proxy-v2-options \
         crc32c,unique-id,authority,ssl-cipher,cert-sig,cert-key",
        cx.optional.addr()
    );
    let (_haproxy, frontend) = haproxy(cx, "tlvs", &bind, &server)?;
    let opts =
        CurlOpts { resolve: Some(frontend), client_cert: Some(&cx.dir), ..Default::default() };
    let (client, json) = cx.get(&format!("https://{SNI}:{}/", frontend.port()), V4, &opts)?;
    proxied(&json, client, 2, frontend)?;
    field(tlv(&json, "crc32c")?, "/verified", true)?;
    field(tlv(&json, "unique_id")?, "/unique_id", UNIQUE_ID)?;
    field(tlv(&json, "authority")?, "/authority", SNI)?;
    field(tlv(&json, "alpn")?, "/alpn", "http/1.1")?;
    let ssl = tlv(&json, "ssl")?;
    field(ssl, "/client_ssl", true)?;
    field(ssl, "/client_cert_conn", true)?;
    field(ssl, "/verify", 0)?;
    field(ssl, "/verified", true)?;
    field(ssl, "/cn", CLIENT_CN)?;
    for name in ["version", "cipher", "sig_alg", "key_alg"] {
        if !ssl[name].is_string() {
            return Err(format!("SSL sub-TLV {name} missing: {ssl}"));
        }
    }
    // whoami's own TLS session is HAProxy's re-encrypted connection.
    if !json["tls"]["cipher"].is_string() {
        return Err(format!("no TLS session between HAProxy and whoami: {}", json["tls"]));
    }
    let kinds: Vec<String> = json["proxy"]["tlvs"]
        .as_array()
        .map(|t| t.iter().filter_map(|t| t["name"].as_str().map(String::from)).collect())
        .unwrap_or_default();
    Ok(format!("TLVs [{}], CN {}, cipher {}", kinds.join(" "), ssl["cn"], ssl["cipher"]))
}

/// HAProxy's health checks (`check` with `send-proxy-v2`: a LOCAL header,
/// then a close) are counted as LOCAL and never logged as refusals.
pub(super) fn haproxy_checks(cx: &Cx) -> Outcome {
    let before = cx.stat(&cx.optional, "accepted_local")?;
    let mark = cx.optional.mark();
    let server = format!("{} check inter 200 send-proxy-v2", cx.optional.addr());
    let (haproxy, _) = haproxy(cx, "checks", "", &server)?;
    thread::sleep(Duration::from_millis(1200));
    drop(haproxy);
    let checks = cx.stat(&cx.optional, "accepted_local")? - before;
    let log = cx.optional.proc.output();
    let new = log.get(mark..).unwrap_or_default();
    if let Some(bad) = new.lines().find(|l| l.contains("refused")) {
        return Err(format!("a health check was logged as a refusal: {bad}"));
    }
    if checks < 2 {
        return Err(format!("expected several LOCAL checks in 1.2 s in /stats, got {checks}"));
    }
    Ok(format!(
        "{checks} health checks counted as accepted_local in /stats, none logged as a refusal"
    ))
}

pub(super) fn nginx(cx: &Cx, ip: IpAddr) -> Outcome {
    let (whoami, fam) = if ip.is_ipv4() { (&cx.optional, "tcp4") } else { (&cx.optional6, "tcp6") };
    let frontend = SocketAddr::new(ip, free_port(ip)?);
    let _nginx = start_nginx(
        &cx.dir,
        &format!("nginx-{fam}"),
        &cx.module,
        frontend,
        whoami.addr(),
        Nginx::Sends,
    )?;
    let (client, json) = cx.get(&url(frontend), ip, &CurlOpts::default())?;
    proxied(&json, client, 1, frontend)?;
    field(&json, "/proxy/transport", fam)?;
    Ok(format!("client {client} via nginx {}", json["peer"]))
}

/// HAProxy terminating TLS for a client without a certificate, with
/// `send-proxy-v2-ssl`: the SSL TLV says SSL with `verify` 0, which is not
/// "verified" (found: it was reported verified, so a gate on it let such a
/// client through).
pub(super) fn haproxy_no_client_cert(cx: &Cx) -> Outcome {
    let bind = format!(" ssl crt {}", cx.dir.path("server.pem").display());
    let server = format!("{} ssl verify none send-proxy-v2-ssl", cx.optional.addr());
    let (_haproxy, frontend) = haproxy(cx, "no-client-cert", &bind, &server)?;
    let opts = CurlOpts { resolve: Some(frontend), ..Default::default() };
    let (client, json) = cx.get(&format!("https://{SNI}:{}/", frontend.port()), V4, &opts)?;
    proxied(&json, client, 2, frontend)?;
    let ssl = tlv(&json, "ssl")?;
    field(ssl, "/client_ssl", true)?;
    field(ssl, "/client_cert_conn", false)?;
    field(ssl, "/verify", 0)?;
    field(ssl, "/verified", false)?;
    Ok(format!("SSL TLV client {}, verify 0, verified false", ssl["client"]))
}

/// HAProxy reaching whoami over a unix socket (`server s1 /path
/// send-proxy-v2`, curl's TLS passed through), as it often does on the same
/// host.
pub(super) fn haproxy_unix(cx: &Cx) -> Outcome {
    let mark = cx.unix.mark();
    let server = format!("{} send-proxy-v2", cx.unix_path.display());
    let (_haproxy, frontend) = haproxy(cx, "unix", "", &server)?;
    let (client, json) = cx.get(&url(frontend), V4, &CurlOpts::default())?;
    proxied(&json, client, 2, frontend)?;
    if !json["peer"].as_str().is_some_and(|p| p.starts_with("unix:")) {
        return Err(format!("peer {} is not the unix socket", json["peer"]));
    }
    let line = cx.unix.expect_log(mark, &["served", &client.to_string(), "via unix:"])?;
    Ok(format!("client {client} via HAProxy over {}; {line}", json["peer"]))
}

/// The axum example (the README's first integration) behind HAProxy
/// `send-proxy-v2`: its handler reports curl's address, not HAProxy's.
pub(super) fn axum_behind_haproxy(cx: &Cx) -> Outcome {
    let (_haproxy, frontend) =
        haproxy(cx, "axum", "", &format!("{} send-proxy-v2", cx.axum.addr()))?;
    let url = format!("http://{}:{}/", host(V4), frontend.port());
    let (client, body) = cx.text(&url, V4, &CurlOpts::default())?;
    let want = format!("client {client} via ");
    if !body.starts_with(&want) {
        return Err(format!("the app answered {body:?}, expected {want:?}..."));
    }
    Ok(body.trim().to_string())
}
