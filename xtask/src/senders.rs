//! The real senders (HAProxy, nginx, curl), shared by `capture` and
//! `interop`: installing them, their versions, their config files, and
//! running them in the foreground until stopped by PID.

use std::fs;
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The host name curl asks for (TLS SNI), so HAProxy's AUTHORITY is known.
pub(crate) const SNI: &str = "capture.proxy-hdr.test";
/// The Common Name of the client certificate curl presents.
pub(crate) const CLIENT_CN: &str = "proxy-hdr-capture-client";

const TOOLS: [&str; 4] = ["haproxy", "nginx", "curl", "openssl"];
const PACKAGES: [&str; 5] = ["haproxy", "nginx", "libnginx-mod-stream", "curl", "openssl"];
const STREAM_MODULES: [&str; 2] = [
    "/usr/lib/nginx/modules/ngx_stream_module.so",
    "/usr/lib64/nginx/modules/ngx_stream_module.so",
];

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Installs the senders from Debian's packages unless they are all present.
pub(crate) fn install(task: &str) -> Result<(), String> {
    if TOOLS.iter().all(|t| have(t)) && stream_module().is_ok() {
        return Ok(());
    }
    println!("{task}: installing {}", PACKAGES.join(" "));
    run_quiet(Command::new("apt-get").arg("update"))?;
    run_quiet(
        Command::new("apt-get")
            .args(["install", "-y"])
            .args(PACKAGES)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
}

fn run_quiet(cmd: &mut Command) -> Result<(), String> {
    let out = cmd.output().map_err(|e| format!("running {cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr).trim()))
    }
}

/// The nginx stream module's path, from the usual places or the Debian
/// `modules-available` snippet.
pub(crate) fn stream_module() -> Result<String, String> {
    if let Some(p) = STREAM_MODULES.iter().find(|p| Path::new(p).exists()) {
        return Ok((*p).to_string());
    }
    let snippet = fs::read_to_string("/usr/share/nginx/modules-available/mod-stream.conf")
        .map_err(|_| "nginx stream module not found (package libnginx-mod-stream)".to_string())?;
    snippet
        .split_whitespace()
        .find(|w| w.ends_with(".so;"))
        .map(|w| w.trim_end_matches(';').to_string())
        .ok_or_else(|| "no load_module line in mod-stream.conf".into())
}

/// The senders' upstream versions, as named in each vector's `source`.
pub(crate) struct Versions {
    pub haproxy: String,
    pub nginx: String,
    pub curl: String,
}

impl Versions {
    pub(crate) fn probe() -> Result<Self, String> {
        // "HAProxy version 2.6.12-1+deb12u4 ..." / "nginx version: nginx/1.22.1" / "curl 7.88.1 (...".
        let haproxy = word_after(&output("haproxy", &["-v"])?, "version ")?;
        let nginx = word_after(&output("nginx", &["-v"])?, "nginx/")?;
        let curl = word_after(&output("curl", &["--version"])?, "curl ")?;
        let upstream = |v: String| v.split('-').next().unwrap_or_default().to_string();
        Ok(Versions {
            haproxy: format!("HAProxy {}", upstream(haproxy)),
            nginx: format!("nginx {}", upstream(nginx)),
            curl: format!("curl {}", upstream(curl)),
        })
    }
}

/// stdout and stderr together (nginx prints its version on stderr).
fn output(tool: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new(tool).args(args).output().map_err(|e| format!("running {tool}: {e}"))?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
}

fn word_after(text: &str, marker: &str) -> Result<String, String> {
    let start = text.find(marker).ok_or_else(|| format!("no {marker:?} in {text:?}"))?;
    let rest = text.get(start + marker.len()..).unwrap_or_default();
    Ok(rest.split_whitespace().next().unwrap_or_default().to_string())
}

/// A fresh directory under the system temp dir, removed on drop.
pub(crate) struct TempDir(pub PathBuf);

impl TempDir {
    pub(crate) fn new(prefix: &str) -> Result<Self, String> {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let dir = std::env::temp_dir().join(format!("{prefix}-{}-{nanos}", std::process::id()));
        fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        Ok(TempDir(dir))
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Makes the frontend's certificate (`server.pem`: cert then key, as HAProxy
/// wants it) and the client's (`client.crt`, `client.key`; self-signed, so it
/// is also the CA file that verifies it).
pub(crate) fn make_certs(dir: &TempDir) -> Result<(), String> {
    for (name, cn) in [("server", SNI), ("client", CLIENT_CN)] {
        let (crt, key) = (dir.path(&format!("{name}.crt")), dir.path(&format!("{name}.key")));
        run_quiet(
            Command::new("openssl")
                .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "7"])
                .args(["-subj", &format!("/CN={cn}"), "-keyout"])
                .arg(&key)
                .arg("-out")
                .arg(&crt),
        )?;
    }
    let read = |n: &str| fs::read_to_string(dir.path(n)).map_err(|e| format!("reading {n}: {e}"));
    fs::write(dir.path("server.pem"), read("server.crt")? + &read("server.key")?)
        .map_err(|e| format!("writing server.pem: {e}"))
}

/// A child process that is killed and reaped when dropped, whatever happened.
pub(crate) struct Running {
    child: Child,
    what: &'static str,
    stderr: PathBuf,
}

impl Running {
    /// Starts `cmd` in the foreground with its stdout and stderr in `output`.
    pub(crate) fn spawn(
        what: &'static str,
        cmd: &mut Command,
        output: &Path,
    ) -> Result<Self, String> {
        let stderr = output.to_path_buf();
        let file = fs::File::create(&stderr).map_err(|e| e.to_string())?;
        let child = cmd
            .stdin(Stdio::null())
            .stdout(file.try_clone().map_err(|e| e.to_string())?)
            .stderr(file)
            .spawn()
            .map_err(|e| format!("starting {what}: {e}"))?;
        Ok(Running { child, what, stderr })
    }

    /// Waits until the process listens on `port` (read from /proc/net, so no
    /// probe connection reaches the recorder).
    pub(crate) fn wait_listening(&mut self, port: u16) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(5);
        while !listening(port) {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("{} exited ({status}): {}", self.what, self.log()));
            }
            if Instant::now() >= deadline {
                return Err(format!("{} did not listen on port {port}: {}", self.what, self.log()));
            }
            thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    /// The process's output so far, as written.
    pub(crate) fn output(&self) -> String {
        fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// The process's output so far, on one line.
    pub(crate) fn log(&self) -> String {
        let text = fs::read_to_string(&self.stderr).unwrap_or_default();
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// True when some socket is in LISTEN state on `port`.
fn listening(port: u16) -> bool {
    let suffix = format!(":{port:04X}");
    ["/proc/net/tcp", "/proc/net/tcp6"].iter().any(|file| {
        fs::read_to_string(file).unwrap_or_default().lines().skip(1).any(|line| {
            let cols: Vec<&str> = line.split_whitespace().collect();
            // Columns: sl local_address rem_address st ...; 0A is TCP_LISTEN.
            cols.get(1).is_some_and(|a| a.ends_with(&suffix)) && cols.get(3) == Some(&"0A")
        })
    })
}

/// A port that is free on `ip` right now, for a sender's frontend.
pub(crate) fn free_port(ip: IpAddr) -> Result<u16, String> {
    let listener =
        TcpListener::bind((ip, 0)).map_err(|e| format!("finding a port on {ip}: {e}"))?;
    listener.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

/// `ip` as a host in a URL or a config file.
pub(crate) fn host(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    }
}

/// curl's source ports come from a fixed high range, one per attempt, so the
/// header's source port is known in advance.
static NEXT_LOCAL_PORT: AtomicU16 = AtomicU16::new(47_000);

/// What a curl run needs beyond the URL.
#[derive(Default)]
pub(crate) struct CurlOpts<'a> {
    /// Prepend curl's own v1 header (`--haproxy-protocol`).
    pub haproxy_protocol: bool,
    /// Resolve [`SNI`] to this address (so the URL names it and TLS sends it).
    pub resolve: Option<SocketAddr>,
    /// Present the client certificate made by [`make_certs`].
    pub client_cert: Option<&'a TempDir>,
}

/// Runs curl once against `url` and returns the source address it used.
/// curl's exit status is not the point (the recorder never answers); only a
/// failure to bind the local port is retried with the next one.
pub(crate) fn curl(
    url: &str,
    client_ip: IpAddr,
    opts: &CurlOpts<'_>,
) -> Result<SocketAddr, String> {
    curl_output(url, client_ip, opts).map(|(source, _)| source)
}

/// Runs curl once against `url` from `client_ip` and a fresh local port;
/// returns that source address and curl's output.
pub(crate) fn curl_output(
    url: &str,
    client_ip: IpAddr,
    opts: &CurlOpts<'_>,
) -> Result<(SocketAddr, Output), String> {
    for _ in 0..5 {
        let port = NEXT_LOCAL_PORT.fetch_add(1, Ordering::Relaxed);
        let mut cmd = Command::new("curl");
        cmd.args(["--silent", "--show-error", "--insecure", "--max-time", "5"])
            .args(["--local-port", &port.to_string()])
            .args(["--interface", &client_ip.to_string()]);
        if opts.haproxy_protocol {
            cmd.arg("--haproxy-protocol");
        }
        if let Some(addr) = opts.resolve {
            cmd.args(["--resolve", &format!("{SNI}:{}:{}", addr.port(), host(addr.ip()))]);
        }
        if let Some(dir) = opts.client_cert {
            cmd.arg("--cert").arg(dir.path("client.crt")).arg("--key").arg(dir.path("client.key"));
        }
        let out = cmd.arg(url).output().map_err(|e| format!("running curl: {e}"))?;
        // 45: CURLE_INTERFACE_FAILED, the local port could not be bound.
        if out.status.code() != Some(45) {
            return Ok((SocketAddr::new(client_ip, port), out));
        }
    }
    Err("curl could not bind a local port in 5 tries".into())
}

/// An HAProxy config in TCP mode: `frontend` (one or more sections), then a
/// backend `recorder` with one server line `server s1 {server}`.
pub(crate) fn haproxy_config(frontend: &str, server: &str) -> String {
    format!(
        "global\n    nbthread 1\n\ndefaults\n    mode tcp\n    timeout connect 2s\n    \
         timeout client 5s\n    timeout server 5s\n\n{frontend}\nbackend recorder\n    \
         server s1 {server}\n"
    )
}

/// Writes `text` as `{name}.cfg` and starts HAProxy on it in the foreground.
pub(crate) fn start_haproxy(dir: &TempDir, name: &str, text: &str) -> Result<Running, String> {
    let cfg = dir.path(&format!("{name}.cfg"));
    fs::write(&cfg, text).map_err(|e| format!("writing {}: {e}", cfg.display()))?;
    let mut cmd = Command::new("haproxy");
    cmd.arg("-f").arg(&cfg).arg("-db");
    Running::spawn("haproxy", &mut cmd, &dir.path(&format!("{name}.out")))
}

/// Starts nginx in the foreground with a stream server on `frontend` that
/// relays to `upstream`, and waits until it listens. As a sender
/// (`Nginx::Sends`) it adds `proxy_protocol on;` (a v1 header); as a
/// receiver (`Nginx::Receives`) it listens with `proxy_protocol` and logs
/// the header's client in its access log (`-access.log`).
/// nginx's part in a stream: sending the PROXY protocol, or receiving it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Nginx {
    Sends,
    Receives,
}

pub(crate) fn start_nginx(
    dir: &TempDir,
    name: &str,
    module: &str,
    frontend: SocketAddr,
    upstream: SocketAddr,
    role: Nginx,
) -> Result<Running, String> {
    let cfg = dir.path(&format!("{name}.conf"));
    let (client, listen, send) = match role {
        Nginx::Sends => ("$remote_addr:$remote_port", "", "\n        proxy_protocol on;"),
        Nginx::Receives => ("$proxy_protocol_addr:$proxy_protocol_port", " proxy_protocol", ""),
    };
    let p = |suffix: &str| dir.path(&format!("{name}{suffix}")).display().to_string();
    let text = format!(
        "load_module {module};\nmaster_process off;\nworker_processes 1;\npid {};\n\
         error_log {} info;\nevents {{ worker_connections 64; }}\nstream {{\n    \
         log_format capture '{client} $status $bytes_received';\n    \
         access_log {} capture;\n    server {{\n        listen {}:{}{listen};\n        \
         proxy_pass {};{send}\n    }}\n}}\n",
        p(".pid"),
        p("-error.log"),
        p("-access.log"),
        host(frontend.ip()),
        frontend.port(),
        upstream,
    );
    fs::write(&cfg, text).map_err(|e| format!("writing {}: {e}", cfg.display()))?;
    let mut cmd = Command::new("nginx");
    cmd.arg("-p").arg(&dir.0).arg("-e").arg(p("-error.log")).arg("-c").arg(&cfg);
    cmd.args(["-g", "daemon off;"]);
    let mut proc = Running::spawn("nginx", &mut cmd, &dir.path(&format!("{name}.out")))?;
    proc.wait_listening(frontend.port())?;
    Ok(proc)
}
