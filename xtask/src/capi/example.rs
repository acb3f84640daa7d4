//! The libevent + OpenSSL example (`examples/c/libevent_https.c`): built
//! against the static library (under ASan + UBSan when that works) and run
//! against curl `--haproxy-protocol`, HAProxy `send-proxy-v2` (TLS passed
//! through), HAProxy terminating TLS with a client certificate and
//! `send-proxy-v2-ssl-cn` (SSL TLVs), nginx `proxy_protocol on`, an
//! frp-shaped client (v2 header and ClientHello in one write), a silent
//! peer, policy off with detection and an untrusted peer.

use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{SAN_ENV, compile, have};
use crate::senders::{
    CLIENT_CN, CurlOpts, Nginx, Running, SNI, TempDir, curl_output, free_port, haproxy_config,
    make_certs, start_haproxy, start_nginx, stream_module,
};

const V4: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
/// curl connects from here, so the real client differs from HAProxy's address.
const CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
const LIBS: [&str; 4] = ["-levent_openssl", "-levent", "-lssl", "-lcrypto"];

fn packages_present() -> bool {
    Path::new("/usr/include/event2/bufferevent_ssl.h").exists()
        && Path::new("/usr/include/openssl/ssl.h").exists()
}

fn ensure_packages() -> bool {
    if packages_present() {
        return true;
    }
    println!("capi: installing libevent-dev libssl-dev");
    let apt = |args: &[&str]| {
        Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let _ = apt(&["install", "-y", "libevent-dev", "libssl-dev"])
        || (apt(&["update"]) && apt(&["install", "-y", "libevent-dev", "libssl-dev"]));
    packages_present()
}

pub(crate) fn run(root: &Path, include: &Path, lib: &Path, out: &Path) -> Result<bool, String> {
    if !ensure_packages() {
        println!("capi: libevent-dev / libssl-dev not available: the example is skipped");
        return Ok(true);
    }
    let source = root.join("examples/c/libevent_https.c");
    let plain = out.join("libevent_https");
    compile(&source, include, lib, &plain, false, &LIBS)?;
    let asan = out.join("libevent_https-asan");
    let exe = match compile(&source, include, lib, &asan, true, &LIBS)? {
        Some(()) => asan,
        None => {
            println!("capi: the example runs without sanitizers (they do not link here)");
            plain
        }
    };
    let missing = ["curl", "haproxy", "openssl"].into_iter().find(|t| !have(t));
    if let Some(tool) = missing
        && let Err(e) = crate::senders::install("capi")
    {
        println!("capi: {tool} is missing and could not be installed ({e}): the runs are skipped");
        return Ok(true);
    }
    let dir = TempDir::new("proxy-hdr-capi")?;
    make_certs(&dir)?;
    let mut ok = true;
    let scenarios: [(&str, Scenario); 6] = [
        ("curl --haproxy-protocol", curl_v1),
        ("HAProxy send-proxy-v2, TLS passed through", haproxy_v2),
        ("HAProxy TLS + client cert, send-proxy-v2-ssl-cn", haproxy_tls),
        ("nginx proxy_protocol on, TLS passed through", nginx_v1),
        ("frp-shaped client: v2 header and ClientHello in one write", one_write),
        ("silent peer", silent),
    ];
    let server = Server::start(&exe, &dir)?;
    for (name, check) in
        [("policy off, with detection", policy_off as Other), ("untrusted peer", untrusted)]
    {
        match check(&exe, &dir) {
            Ok(note) => println!("capi: ok   example: {name}: {note}"),
            Err(e) => {
                ok = false;
                println!("capi: FAIL example: {name}: {e}");
            }
        }
    }
    for (name, scenario) in scenarios {
        match scenario(&server, &dir) {
            Ok(note) => println!("capi: ok   example: {name}: {note}"),
            Err(e) => {
                ok = false;
                println!("capi: FAIL example: {name}: {e}\n  server log: {}", server.proc.log());
            }
        }
    }
    let log = server.proc.output();
    if log.contains("AddressSanitizer") || log.contains("runtime error") {
        println!("capi: FAIL the example's sanitizers reported:\n{log}");
        ok = false;
    }
    Ok(ok)
}

type Scenario = fn(&Server, &TempDir) -> Result<String, String>;
type Other = fn(&Path, &TempDir) -> Result<String, String>;

/// Policy off: plain TLS is served, a header is refused and named.
fn policy_off(exe: &Path, dir: &TempDir) -> Result<String, String> {
    let server = Server::with(exe, dir, "off", &["--proxy-protocol", "off"])?;
    let url = format!("https://{}/", server.addr);
    let (client, json) = get(&url, &CurlOpts::default())?;
    field(&json, "/client", client.to_string())?;
    field(&json, "/proxy", Value::Null)?;
    let (_, out) = curl(&url, &CurlOpts { haproxy_protocol: true, ..Default::default() })?;
    let log = server.proc.log();
    if out.status.success() || !log.contains("the PROXY protocol is off") {
        return Err(format!("a header was not refused: {log}"));
    }
    Ok("plain TLS served, curl --haproxy-protocol refused: PROXY header received but the PROXY protocol is off".into())
}

/// A header from a peer outside --trusted is refused.
fn untrusted(exe: &Path, dir: &TempDir) -> Result<String, String> {
    let server = Server::with(exe, dir, "untrusted", &["--trusted", "10.0.0.0/8"])?;
    let url = format!("https://{}/", server.addr);
    let (_, out) = curl(&url, &CurlOpts { haproxy_protocol: true, ..Default::default() })?;
    let log = server.proc.log();
    if out.status.success() || !log.contains("from a peer that is not trusted") {
        return Err(format!("an untrusted header was not refused: {log}"));
    }
    Ok("curl --haproxy-protocol from 127.0.0.2 refused (trusted 10.0.0.0/8)".into())
}

struct Server {
    proc: Running,
    addr: SocketAddr,
}

impl Server {
    fn start(exe: &Path, dir: &TempDir) -> Result<Server, String> {
        Server::with(
            exe,
            dir,
            "server",
            &["--proxy-protocol", "require", "--trusted", "127.0.0.0/8"],
        )
    }

    fn with(exe: &Path, dir: &TempDir, name: &str, args: &[&str]) -> Result<Server, String> {
        let addr = SocketAddr::new(V4, free_port(V4)?);
        let mut cmd = Command::new(exe);
        cmd.args(["--listen", &addr.to_string(), "--header-timeout", "1"])
            .args(args)
            .arg("--cert")
            .arg(dir.path("server.crt"))
            .arg("--key")
            .arg(dir.path("server.key"))
            .envs(SAN_ENV);
        let log = dir.path(&format!("{name}.log"));
        let mut proc = Running::spawn("libevent_https", &mut cmd, &log)?;
        proc.wait_listening(addr.port())?;
        Ok(Server { proc, addr })
    }
}

/// `curl_output`, past the local ports a recent run left in TIME_WAIT
/// (each try moves on by five ports).
fn curl(url: &str, opts: &CurlOpts<'_>) -> Result<(SocketAddr, std::process::Output), String> {
    let mut last = String::new();
    for _ in 0..8 {
        match curl_output(url, CLIENT, opts) {
            Ok(done) => return Ok(done),
            Err(e) => last = e,
        }
    }
    Err(last)
}

fn get(url: &str, opts: &CurlOpts<'_>) -> Result<(SocketAddr, Value), String> {
    let (client, out) = curl(url, opts)?;
    if !out.status.success() {
        return Err(format!("curl {url}: {}", String::from_utf8_lossy(&out.stderr).trim()));
    }
    let json = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))?;
    Ok((client, json))
}

fn field(json: &Value, pointer: &str, want: impl Into<Value>) -> Result<(), String> {
    let want = want.into();
    match json.pointer(pointer) {
        Some(got) if *got == want => Ok(()),
        got => Err(format!("{pointer} is {got:?}, want {want} in {json}")),
    }
}

fn curl_v1(server: &Server, _: &TempDir) -> Result<String, String> {
    let url = format!("https://{}/", server.addr);
    let opts = CurlOpts { haproxy_protocol: true, ..Default::default() };
    let (client, json) = get(&url, &opts)?;
    field(&json, "/client", client.to_string())?;
    field(&json, "/proxy/version", 1)?;
    field(&json, "/proxy/destination", server.addr.to_string())?;
    field(&json, "/tls/version", "TLSv1.3")?;
    // Without a header the server refuses (policy require): curl fails.
    let (_, out) = curl(&url, &CurlOpts::default())?;
    if out.status.success() {
        return Err("a connection without a header was served under require".into());
    }
    Ok(format!("client {} = curl's address; {json}", json["client"]))
}

fn haproxy(
    dir: &TempDir,
    name: &str,
    bind: &str,
    server_line: &str,
) -> Result<(Running, SocketAddr), String> {
    let frontend = SocketAddr::new(V4, free_port(V4)?);
    let section = format!(
        "frontend capi\n    bind 127.0.0.1:{}{bind}\n    default_backend recorder\n",
        frontend.port()
    );
    let mut proc = start_haproxy(dir, name, &haproxy_config(&section, server_line))?;
    proc.wait_listening(frontend.port())?;
    Ok((proc, frontend))
}

fn haproxy_v2(server: &Server, dir: &TempDir) -> Result<String, String> {
    let (_haproxy, frontend) = haproxy(dir, "v2", "", &format!("{} send-proxy-v2", server.addr))?;
    let (client, json) = get(&format!("https://{frontend}/"), &CurlOpts::default())?;
    field(&json, "/client", client.to_string())?;
    field(&json, "/proxy/version", 2)?;
    field(&json, "/proxy/destination", frontend.to_string())?;
    let peer = json["peer"].as_str().unwrap_or_default();
    if !peer.starts_with("127.0.0.1:") {
        return Err(format!("peer {peer} is not HAProxy's 127.0.0.1"));
    }
    Ok(format!("client {} via HAProxy (peer {peer})", json["client"]))
}

fn haproxy_tls(server: &Server, dir: &TempDir) -> Result<String, String> {
    let bind = format!(
        " ssl crt {} alpn http/1.1 ca-file {} verify required",
        dir.path("server.pem").display(),
        dir.path("client.crt").display()
    );
    let line = format!(
        "{} ssl verify none send-proxy-v2-ssl-cn proxy-v2-options crc32c,authority,ssl-cipher",
        server.addr
    );
    let (_haproxy, frontend) = haproxy(dir, "tls", &bind, &line)?;
    let opts = CurlOpts { resolve: Some(frontend), client_cert: Some(dir), ..Default::default() };
    let (client, json) = get(&format!("https://{SNI}:{}/", frontend.port()), &opts)?;
    field(&json, "/client", client.to_string())?;
    let tlvs = json.pointer("/proxy/tlvs").and_then(Value::as_array).ok_or("no TLVs")?;
    let named =
        |n: &str| tlvs.iter().find(|t| t["name"] == n).ok_or(format!("no {n} TLV in {json}"));
    field(named("authority")?, "/authority", SNI)?;
    let ssl = named("ssl")?;
    field(ssl, "/verified", true)?;
    field(ssl, "/cn", CLIENT_CN)?;
    Ok(format!("client {}, SSL TLV {ssl}", json["client"]))
}

fn nginx_v1(server: &Server, dir: &TempDir) -> Result<String, String> {
    let module = match stream_module() {
        Ok(m) => m,
        Err(e) => return Ok(format!("skipped: no nginx stream module ({e})")),
    };
    let frontend = SocketAddr::new(V4, free_port(V4)?);
    let _nginx = start_nginx(dir, "nginx", &module, frontend, server.addr, Nginx::Sends)?;
    let (client, json) = get(&format!("https://{frontend}/"), &CurlOpts::default())?;
    field(&json, "/client", client.to_string())?;
    field(&json, "/proxy/version", 1)?;
    field(&json, "/proxy/destination", frontend.to_string())?;
    Ok(format!("client {} via nginx (peer {})", json["client"], json["peer"]))
}

/// An frp-shaped client in Python's `ssl` (memory BIOs): a v2 header for a
/// remote client 203.0.113.7:40000 and the ClientHello in one `send`, then
/// the handshake and one request; prints the response body.
const ONE_WRITE: &str = r#"
import socket, ssl, struct, sys
host, port = sys.argv[1], int(sys.argv[2])
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
tls = ctx.wrap_bio(inc, out, server_hostname="localhost")
s = socket.create_connection((host, port), source_address=("127.0.0.2", 0))
def step(f):
    while True:
        try:
            return f()
        except ssl.SSLWantReadError:
            s.sendall(out.read())
            data = s.recv(65536)
            if not data:
                raise SystemExit("closed during TLS")
            inc.write(data)
try:
    tls.do_handshake()
except ssl.SSLWantReadError:
    pass
addrs = socket.inet_aton("203.0.113.7") + socket.inet_aton(host) + struct.pack("!HH", 40000, port)
header = b"\r\n\r\n\x00\r\nQUIT\n\x21\x11" + struct.pack("!H", len(addrs)) + addrs
s.sendall(header + out.read())
step(tls.do_handshake)
tls.write(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
s.sendall(out.read())
answer = b""
while b"\r\n\r\n" not in answer:
    answer += step(lambda: tls.read(65536))
head, body = answer.split(b"\r\n\r\n", 1)
length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
while len(body) < length:
    body += step(lambda: tls.read(65536))
print(body.decode())
"#;

fn one_write(server: &Server, _: &TempDir) -> Result<String, String> {
    if !have("python3") {
        return Ok("skipped: no python3".into());
    }
    let out = Command::new("python3")
        .args(["-c", ONE_WRITE, &server.addr.ip().to_string(), &server.addr.port().to_string()])
        .output()
        .map_err(|e| format!("python3: {e}"))?;
    if !out.status.success() {
        return Err(format!("python3: {}", String::from_utf8_lossy(&out.stderr).trim()));
    }
    let json: Value = serde_json::from_slice(&out.stdout).map_err(|e| format!("not JSON: {e}"))?;
    field(&json, "/client", "203.0.113.7:40000")?;
    let peer = json["peer"].as_str().unwrap_or_default();
    if !peer.starts_with("127.0.0.2:") {
        return Err(format!("peer {peer} is not the sender's 127.0.0.2"));
    }
    Ok(format!("client {} from the header, peer {peer}", json["client"]))
}

fn silent(server: &Server, _: &TempDir) -> Result<String, String> {
    let mut stream = TcpStream::connect(server.addr).map_err(|e| e.to_string())?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).map_err(|e| e.to_string())?;
    let start = Instant::now();
    let n = stream.read(&mut [0u8; 16]).map_err(|e| format!("no close within 5 s: {e}"))?;
    let took = start.elapsed();
    if n != 0 || took > Duration::from_millis(2500) {
        return Err(format!("read {n} bytes after {took:?}, want a close after the 1 s deadline"));
    }
    Ok(format!("closed after {took:.2?} (header timeout 1 s)"))
}
