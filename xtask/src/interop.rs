//! `cargo xtask interop [FILTER]...`: the `whoami` example against real
//! PROXY senders (curl, HAProxy, nginx) and a frp-shaped relay, on loopback.
//!
//! Every scenario talks to a running `whoami` and asserts on the JSON it
//! answers (or, for the refusals, on its log). Everything started here runs
//! in the foreground with a generated config in a temp dir and is stopped by
//! PID when its scenario ends; the `whoami` servers when the run ends.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use proxy_hdr::v2::Header as V2Header;
use proxy_hdr::{Addresses, Protocol};
use serde_json::Value;

use crate::senders::{
    self, CLIENT_CN, CurlOpts, Running, SNI, TempDir, curl_output, free_port, haproxy_config, host,
    start_haproxy, start_nginx,
};

const V4: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const V6: IpAddr = IpAddr::V6(Ipv6Addr::LOCALHOST);
/// A loopback address outside whoami's `--trusted 127.0.0.1/32`.
const UNTRUSTED: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
/// HAProxy's `unique-id-format`: a fixed text, so the UNIQUE_ID TLV is known.
const UNIQUE_ID: &str = "proxy-hdr-interop-unique-id";
/// The strict whoami's `--header-timeout`, in seconds.
const HEADER_TIMEOUT: f64 = 1.0;

type Outcome = Result<String, String>;
/// A scenario's name and its check.
type Scenario = (&'static str, fn(&Cx) -> Outcome);

/// One `whoami` process and the address it reported listening on.
struct Whoami {
    proc: Running,
    addr: SocketAddr,
}

impl Whoami {
    fn start(
        bin: &PathBuf,
        dir: &TempDir,
        name: &str,
        ip: IpAddr,
        args: &[&str],
    ) -> Result<Self, String> {
        let mut cmd = Command::new(bin);
        cmd.arg("--listen").arg(SocketAddr::new(ip, 0).to_string()).args(args);
        let proc = Running::spawn("whoami", &mut cmd, &dir.path(&format!("whoami-{name}.log")))?;
        // Port 0, then the address from whoami's first line: no port race.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let out = proc.output();
            if let Some(addr) = out
                .split("listening on https://")
                .nth(1)
                .and_then(|rest| rest.split('/').next())
                .and_then(|a| a.parse().ok())
            {
                return Ok(Whoami { proc, addr });
            }
            if Instant::now() >= deadline {
                return Err(format!("whoami {name} did not start: {}", proc.log()));
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// A position in the log, to look only at what comes after it.
    fn mark(&self) -> usize {
        self.proc.output().len()
    }

    /// Waits up to 3 s for a log line after `mark` containing every one of `words`.
    fn expect_log(&self, mark: usize, words: &[&str]) -> Result<String, String> {
        let deadline = Instant::now() + Duration::from_secs(3);
        loop {
            let out = self.proc.output();
            let new = out.get(mark..).unwrap_or_default();
            if let Some(line) = new.lines().find(|l| words.iter().all(|w| l.contains(w))) {
                return Ok(line.trim().to_string());
            }
            if Instant::now() >= deadline {
                return Err(format!("no log line with {words:?}; whoami logged: {new:?}"));
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The servers and tools every scenario shares.
struct Cx {
    dir: TempDir,
    module: String,
    /// `--proxy-protocol optional` on 127.0.0.1 and on ::1.
    optional: Whoami,
    optional6: Whoami,
    /// `--proxy-protocol require --trusted 127.0.0.1/32 --header-timeout 1`.
    strict: Whoami,
    /// `--proxy-protocol off`: a plain TLS server, as before this project.
    plain: Whoami,
}

impl Cx {
    /// curl `url` from `ip`; whoami's JSON and the address curl used.
    fn get(
        &self,
        url: &str,
        ip: IpAddr,
        opts: &CurlOpts<'_>,
    ) -> Result<(SocketAddr, Value), String> {
        let (client, out) = curl_output(url, ip, opts)?;
        if !out.status.success() {
            return Err(format!(
                "curl {url} failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        let json = serde_json::from_slice(&out.stdout).map_err(|e| {
            format!("whoami's answer is not JSON ({e}): {:?}", String::from_utf8_lossy(&out.stdout))
        })?;
        Ok((client, json))
    }

    /// curl `url` from `ip` expecting it to fail; its error text.
    fn refused(&self, url: &str, ip: IpAddr, opts: &CurlOpts<'_>) -> Outcome {
        let (_, out) = curl_output(url, ip, opts)?;
        if out.status.success() {
            return Err(format!("curl {url} succeeded: {}", String::from_utf8_lossy(&out.stdout)));
        }
        Ok(String::from_utf8_lossy(&out.stderr).trim().to_string())
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
        ("1-curl-haproxy-protocol-v1", curl_v1),
        ("2-haproxy-send-proxy-v2", haproxy_v2),
        ("3-haproxy-tls-send-proxy-v2-ssl-cn-tlvs", haproxy_tlvs),
        ("4-haproxy-health-checks-local", haproxy_checks),
        ("5-nginx-stream-proxy-protocol-ipv4", |cx| nginx(cx, V4)),
        ("5-nginx-stream-proxy-protocol-ipv6", |cx| nginx(cx, V6)),
        ("6-frp-header-and-clienthello-in-one-write", |cx| frp(cx, false)),
        ("6-frp-header-and-clienthello-byte-by-byte", |cx| frp(cx, true)),
        ("6-frp-to-a-plain-tls-server-fails", frp_plain_fails),
        ("7-require-refuses-bare-tls", bare_tls_refused),
        ("7-require-refuses-garbage-header", garbage_refused),
        ("7-require-refuses-untrusted-peer", untrusted_refused),
        ("7-require-cuts-silent-client-at-timeout", silent_cut),
        ("7-require-still-serves-after-refusals", still_serving),
        ("8-optional-direct-tls-without-header", direct_tls),
    ]
}

fn curl_v1(cx: &Cx) -> Outcome {
    let server = cx.optional.addr;
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
fn haproxy(
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

fn haproxy_v2(cx: &Cx) -> Outcome {
    let (_haproxy, frontend) =
        haproxy(cx, "send-proxy-v2", "", &format!("{} send-proxy-v2", cx.optional.addr))?;
    let (client, json) = cx.get(&url(frontend), V4, &CurlOpts::default())?;
    proxied(&json, client, 2, frontend)?;
    field(&json, "/proxy/transport", "tcp4")?;
    Ok(format!("client {client} via HAProxy {}", json["peer"]))
}

fn haproxy_tlvs(cx: &Cx) -> Outcome {
    let bind = format!(
        " ssl crt {} alpn http/1.1 ca-file {} verify required",
        cx.dir.path("server.pem").display(),
        cx.dir.path("client.crt").display()
    );
    let server = format!(
        "{} ssl verify none send-proxy-v2-ssl-cn proxy-v2-options \
         crc32c,unique-id,authority,ssl-cipher,cert-sig,cert-key",
        cx.optional.addr
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

fn haproxy_checks(cx: &Cx) -> Outcome {
    let mark = cx.optional.mark();
    let server = format!("{} check inter 200 send-proxy-v2", cx.optional.addr);
    let (haproxy, _) = haproxy(cx, "checks", "", &server)?;
    thread::sleep(Duration::from_millis(1200));
    drop(haproxy);
    let log = cx.optional.proc.output();
    let new = log.get(mark..).unwrap_or_default();
    let checks = new.lines().filter(|l| l.contains("closed by the peer before TLS")).count();
    if let Some(bad) = new.lines().find(|l| {
        !l.contains("closed by the peer") && (l.contains("refused") || l.contains("failed"))
    }) {
        return Err(format!("a health check was logged as an error: {bad}"));
    }
    if checks < 2 {
        return Err(format!("expected several health checks in 1.2 s, whoami logged: {new:?}"));
    }
    Ok(format!("{checks} LOCAL health checks, none logged as an error"))
}

fn nginx(cx: &Cx, ip: IpAddr) -> Outcome {
    let (whoami, fam) = if ip.is_ipv4() { (&cx.optional, "tcp4") } else { (&cx.optional6, "tcp6") };
    let frontend = SocketAddr::new(ip, free_port(ip)?);
    let _nginx = start_nginx(&cx.dir, &format!("nginx-{fam}"), &cx.module, frontend, whoami.addr)?;
    let (client, json) = cx.get(&url(frontend), ip, &CurlOpts::default())?;
    proxied(&json, client, 1, frontend)?;
    field(&json, "/proxy/transport", fam)?;
    Ok(format!("client {client} via nginx {}", json["peer"]))
}

/// A relay shaped like frp with `proxyProtocolVersion = "v2"`: it waits for
/// the client's ClientHello, then writes the v2 header and the ClientHello
/// together (or one byte at a time), then relays both ways.
fn frp_relay(
    upstream: SocketAddr,
    trickle: bool,
) -> Result<(SocketAddr, thread::JoinHandle<Result<(), String>>), String> {
    let listener = TcpListener::bind((V4, 0)).map_err(|e| e.to_string())?;
    let relay = listener.local_addr().map_err(|e| e.to_string())?;
    let handle = thread::spawn(move || {
        let (mut client, client_addr) = listener.accept().map_err(|e| e.to_string())?;
        client.set_read_timeout(Some(Duration::from_secs(5))).map_err(|e| e.to_string())?;
        let hello = tls_record(&mut client)?;
        let (SocketAddr::V4(source), SocketAddr::V4(destination)) = (client_addr, relay) else {
            return Err("the relay is IPv4 only".into());
        };
        let header = V2Header::proxy(Protocol::Stream, Addresses::Inet { source, destination });
        let mut wire = vec![0u8; header.encoded_len()];
        header.write(&mut wire).map_err(|e| e.to_string())?;
        wire.extend_from_slice(&hello);
        let mut server = TcpStream::connect(upstream).map_err(|e| e.to_string())?;
        server.set_nodelay(true).map_err(|e| e.to_string())?;
        if trickle {
            for byte in &wire {
                server.write_all(std::slice::from_ref(byte)).map_err(|e| e.to_string())?;
                thread::sleep(Duration::from_millis(1));
            }
        } else {
            server.write_all(&wire).map_err(|e| e.to_string())?;
        }
        relay_both_ways(client, server)
    });
    Ok((relay, handle))
}

/// One whole TLS record (the ClientHello) from `stream`.
fn tls_record(stream: &mut TcpStream) -> Result<Vec<u8>, String> {
    let mut record = vec![0u8; 5];
    stream.read_exact(&mut record).map_err(|e| format!("reading the ClientHello: {e}"))?;
    let len = usize::from(u16::from_be_bytes([record[3], record[4]]));
    record.resize(5 + len, 0);
    stream.read_exact(&mut record[5..]).map_err(|e| format!("reading the ClientHello: {e}"))?;
    Ok(record)
}

fn relay_both_ways(client: TcpStream, server: TcpStream) -> Result<(), String> {
    let copy = |mut from: TcpStream, mut to: TcpStream| {
        let _ = std::io::copy(&mut from, &mut to);
        let _ = to.shutdown(Shutdown::Write);
    };
    let (c2, s2) = (
        client.try_clone().map_err(|e| e.to_string())?,
        server.try_clone().map_err(|e| e.to_string())?,
    );
    let up = thread::spawn(move || copy(c2, s2));
    copy(server, client);
    up.join().map_err(|_| "relay thread panicked".to_string())
}

fn frp(cx: &Cx, trickle: bool) -> Outcome {
    let (relay, handle) = frp_relay(cx.optional.addr, trickle)?;
    let got = cx.get(&url(relay), V4, &CurlOpts::default());
    handle.join().map_err(|_| "relay panicked".to_string())??;
    let (client, json) = got?;
    proxied(&json, client, 2, relay)?;
    let how = if trickle { "one byte per write" } else { "one write" };
    Ok(format!("client {client}, header + ClientHello in {how}"))
}

/// The failure this project exists for: a TLS server that starts the
/// handshake at once gets the header as its first bytes.
fn frp_plain_fails(cx: &Cx) -> Outcome {
    let mark = cx.plain.mark();
    let (relay, handle) = frp_relay(cx.plain.addr, false)?;
    let curl = cx.refused(&url(relay), V4, &CurlOpts::default());
    let _ = handle.join();
    let curl = curl?;
    let line = cx.plain.expect_log(mark, &["TLS handshake failed"])?;
    Ok(format!("as expected: curl: {curl}; {line}"))
}

fn bare_tls_refused(cx: &Cx) -> Outcome {
    let mark = cx.strict.mark();
    cx.refused(&url(cx.strict.addr), V4, &CurlOpts::default())?;
    cx.strict.expect_log(mark, &["refused", "does not start with a PROXY header"])
}

fn garbage_refused(cx: &Cx) -> Outcome {
    let mark = cx.strict.mark();
    let mut tcp = TcpStream::connect(cx.strict.addr).map_err(|e| e.to_string())?;
    tcp.write_all(b"PROXY TCP4 256.0.0.1 127.0.0.1 40000 443\r\n\x16\x03\x01")
        .map_err(|e| e.to_string())?;
    closed_within(&mut tcp, Duration::from_secs(3))?;
    cx.strict.expect_log(mark, &["refused", "invalid PROXY header"])
}

fn untrusted_refused(cx: &Cx) -> Outcome {
    let mark = cx.strict.mark();
    let opts = CurlOpts { haproxy_protocol: true, ..Default::default() };
    cx.refused(&url(cx.strict.addr), UNTRUSTED, &opts)?;
    cx.strict.expect_log(mark, &["refused", "127.0.0.2", "not a trusted proxy"])
}

fn silent_cut(cx: &Cx) -> Outcome {
    let mark = cx.strict.mark();
    let start = Instant::now();
    let mut tcp = TcpStream::connect(cx.strict.addr).map_err(|e| e.to_string())?;
    closed_within(&mut tcp, Duration::from_secs(5))?;
    let took = start.elapsed().as_secs_f64();
    if !(HEADER_TIMEOUT * 0.9..HEADER_TIMEOUT + 1.0).contains(&took) {
        return Err(format!("closed after {took:.2} s with --header-timeout {HEADER_TIMEOUT}"));
    }
    let line = cx.strict.expect_log(mark, &["refused", "timed out"])?;
    Ok(format!("closed after {took:.2} s; {line}"))
}

/// Waits for the server to close `tcp` (EOF or reset), at most `limit`.
fn closed_within(tcp: &mut TcpStream, limit: Duration) -> Result<(), String> {
    tcp.set_read_timeout(Some(limit)).map_err(|e| e.to_string())?;
    let mut buf = [0u8; 256];
    loop {
        match tcp.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(format!("the server kept the connection open for {limit:?}"));
            }
            Err(_) => return Ok(()),
        }
    }
}

fn still_serving(cx: &Cx) -> Outcome {
    let opts = CurlOpts { haproxy_protocol: true, ..Default::default() };
    let (client, json) = cx.get(&url(cx.strict.addr), V4, &opts)?;
    field(&json, "/client", client.to_string())?;
    field(&json, "/proxy/version", 1)?;
    Ok(format!("client {client}"))
}

fn direct_tls(cx: &Cx) -> Outcome {
    let (client, json) = cx.get(&url(cx.optional.addr), V4, &CurlOpts::default())?;
    field(&json, "/client", client.to_string())?;
    field(&json, "/peer", client.to_string())?;
    field(&json, "/proxy", Value::Null)?;
    field(&json, "/tls/version", "TLSv1_3")?;
    Ok(format!("client {client}, no header"))
}

/// Builds the whoami example and returns its path.
fn build_whoami() -> Result<PathBuf, String> {
    let status = Command::new(crate::cargo())
        .args(["build", "--quiet", "-p", "proxy-hdr-rustls", "--example", "whoami"])
        .current_dir(crate::workspace_root())
        .status()
        .map_err(|e| format!("building whoami: {e}"))?;
    if !status.success() {
        return Err("building whoami failed".into());
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| crate::workspace_root().join("target"), PathBuf::from);
    Ok(target.join("debug/examples/whoami"))
}

pub fn run(args: &[String]) -> Result<bool, String> {
    senders::install("interop")?;
    let module = senders::stream_module()?;
    let whoami = build_whoami()?;
    let dir = TempDir::new("proxy-hdr-interop")?;
    senders::make_certs(&dir)?;
    let timeout = HEADER_TIMEOUT.to_string();
    let start = |name, ip, args: &[&str]| Whoami::start(&whoami, &dir, name, ip, args);
    let optional = start("optional", V4, &["--proxy-protocol", "optional"])?;
    let optional6 = start("optional6", V6, &["--proxy-protocol", "optional"])?;
    let strict = start(
        "strict",
        V4,
        &["--proxy-protocol", "require", "--trusted", "127.0.0.1/32", "--header-timeout", &timeout],
    )?;
    let plain = start("plain", V4, &["--proxy-protocol", "off"])?;
    let cx = Cx { dir, module, optional, optional6, strict, plain };

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
