//! go-proxyproto, the library frp builds its headers with, as a sender: a
//! small Go program (`xtask/go/sender`) built offline from Debian's
//! packages, against `udp_echo` in both datagram modes and whoami over TCP.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use super::process::Server;
use super::{Cx, Outcome, V4, field, url};
use crate::senders::CurlOpts;

/// Builds the Go sender, installing Go and go-proxyproto when missing; the
/// reason when that cannot be done.
pub(super) fn build_sender(cx: &Cx) -> Result<PathBuf, String> {
    let have = |cmd: &mut Command| cmd.output().is_ok_and(|o| o.status.success());
    let lib = "/usr/share/gocode/src/github.com/pires/go-proxyproto";
    if !have(Command::new("go").arg("version")) || !Path::new(lib).exists() {
        let ok = have(
            Command::new("apt-get")
                .args(["install", "-y", "golang-go", "golang-github-pires-go-proxyproto-dev"])
                .env("DEBIAN_FRONTEND", "noninteractive"),
        );
        if !ok {
            return Err("golang-go / golang-github-pires-go-proxyproto-dev not installable".into());
        }
    }
    let out = cx.dir.path("go-sender");
    let status = Command::new("go")
        .args(["build", "-o"])
        .arg(&out)
        .arg("main.go")
        .current_dir(crate::workspace_root().join("xtask/go/sender"))
        .env("GO111MODULE", "off")
        .env("GOPATH", "/usr/share/gocode")
        .env("GOCACHE", cx.dir.path("go-cache"))
        .output()
        .map_err(|e| format!("running go: {e}"))?;
    if !status.status.success() {
        return Err(format!("go build failed: {}", String::from_utf8_lossy(&status.stderr)));
    }
    Ok(out)
}

/// Runs the sender with `args`; every reply as JSON.
fn run(bin: &Path, args: &[&str]) -> Result<Vec<Value>, String> {
    let out = Command::new(bin).args(args).output().map_err(|e| format!("sender: {e}"))?;
    if !out.status.success() {
        return Err(format!("sender {args:?}: {}", String::from_utf8_lossy(&out.stderr).trim()));
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).map_err(|e| format!("{e}: {l:?}")))
        .collect()
}

fn udp_echo(cx: &Cx, mode: &str) -> Result<Server, String> {
    let args = ["--listen", "127.0.0.1:0", "--mode", mode];
    Server::program(&cx.udp_echo, &cx.dir, &format!("udp-echo-{mode}"), &args)
}

const CLIENTS: [&str; 3] = ["192.0.2.1:1001", "192.0.2.2:1002", "198.51.100.3:1003"];

/// A header on every datagram, as go-proxyproto's datagram senders do.
pub(super) fn udp_per_datagram(cx: &Cx) -> Outcome {
    let bin = match &cx.go {
        Ok(bin) => bin,
        Err(why) => return Ok(format!("skipped: {why}")),
    };
    let echo = udp_echo(cx, "datagram")?;
    let server = echo.addr().to_string();
    let mut args = vec!["udp-datagram", &server];
    args.extend(CLIENTS);
    let replies = run(bin, &args)?;
    for (reply, client) in replies.iter().zip(CLIENTS) {
        field(reply, "/client", client)?;
    }
    if replies.len() != CLIENTS.len() {
        return Err(format!("{} replies for {} datagrams", replies.len(), CLIENTS.len()));
    }
    Ok(format!("{} datagrams, each from its own client via {}", replies.len(), replies[0]["peer"]))
}

/// frp's shape: one socket per client, a header on its first datagram only.
pub(super) fn udp_first_of_flow(cx: &Cx) -> Outcome {
    let bin = match &cx.go {
        Ok(bin) => bin,
        Err(why) => return Ok(format!("skipped: {why}")),
    };
    let echo = udp_echo(cx, "flow")?;
    let server = echo.addr().to_string();
    let mut args = vec!["udp-flow", &server, "3"];
    args.extend(CLIENTS);
    let replies = run(bin, &args)?;
    if replies.len() != CLIENTS.len() * 4 {
        return Err(format!("{} replies, expected {}", replies.len(), CLIENTS.len() * 4));
    }
    for (i, reply) in replies.iter().enumerate() {
        field(reply, "/client", CLIENTS[i / 4])?;
    }
    Ok(format!(
        "{} datagrams from {} frp-style flows, each attributed to its client",
        replies.len(),
        CLIENTS.len()
    ))
}

/// go-proxyproto's `WriteTo` in a TCP relay, curl's TLS behind it: whoami
/// reports the simulated client.
pub(super) fn tcp_then_tls(cx: &Cx) -> Outcome {
    let bin = match &cx.go {
        Ok(bin) => bin,
        Err(why) => return Ok(format!("skipped: {why}")),
    };
    let client = "203.0.113.50:5000";
    let upstream = cx.optional.addr().to_string();
    let relay =
        Server::program(bin, &cx.dir, "go-tcp", &["tcp", "127.0.0.1:0", &upstream, client])?;
    let front: SocketAddr = relay.addr();
    let (_, json) = cx.get(&url(front), V4, &CurlOpts::default())?;
    field(&json, "/client", client)?;
    field(&json, "/proxy/version", 2)?;
    Ok(format!("client {client} via go-proxyproto WriteTo, then curl's TLS"))
}
