//! The libevent + OpenSSL example (`examples/c/libevent_https.c`): built
//! against the static library (under ASan + UBSan when that works) and run
//! against curl `--haproxy-protocol`, HAProxy `send-proxy-v2` (TLS passed
//! through) and HAProxy terminating TLS with a client certificate and
//! `send-proxy-v2-ssl-cn` (SSL TLVs, header and ClientHello in one write).

use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{SAN_ENV, compile, have};
use crate::senders::{
    CLIENT_CN, CurlOpts, Running, SNI, TempDir, curl_output, free_port, haproxy_config, make_certs,
    start_haproxy,
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
    let scenarios: [(&str, Scenario); 4] = [
        ("curl --haproxy-protocol", curl_v1),
        ("HAProxy send-proxy-v2, TLS passed through", haproxy_v2),
        ("HAProxy TLS + client cert, send-proxy-v2-ssl-cn", haproxy_tls),
        ("silent peer", silent),
    ];
    let server = Server::start(&exe, &dir)?;
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

struct Server {
    proc: Running,
    addr: SocketAddr,
}

impl Server {
    fn start(exe: &Path, dir: &TempDir) -> Result<Server, String> {
        let addr = SocketAddr::new(V4, free_port(V4)?);
        let mut cmd = Command::new(exe);
        cmd.args(["--listen", &addr.to_string(), "--proxy-protocol", "require"])
            .args(["--trusted", "127.0.0.0/8", "--header-timeout", "1"])
            .arg("--cert")
            .arg(dir.path("server.crt"))
            .arg("--key")
            .arg(dir.path("server.key"))
            .envs(SAN_ENV);
        let mut proc = Running::spawn("libevent_https", &mut cmd, &dir.path("example.log"))?;
        proc.wait_listening(addr.port())?;
        Ok(Server { proc, addr })
    }
}

fn get(url: &str, opts: &CurlOpts<'_>) -> Result<(SocketAddr, Value), String> {
    let (client, out) = curl_output(url, CLIENT, opts)?;
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
    let (_, out) = curl_output(&url, CLIENT, &CurlOpts::default())?;
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
