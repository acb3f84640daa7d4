//! The servers the scenarios talk to: whoami (over TCP or a unix socket)
//! and the axum example, each started in the foreground, its address read
//! from its first lines, stopped by PID when dropped.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use crate::senders::{Running, TempDir};

/// One server process and where it listens.
pub(super) struct Server {
    pub proc: Running,
    /// The TCP address (`None` for a unix socket).
    pub addr: Option<SocketAddr>,
}

impl Server {
    /// Starts `bin` with `args` and waits for a line with `marker` followed
    /// by its address (`ADDR/`), or by anything for a unix socket.
    fn start(
        bin: &Path,
        args: &[String],
        log: PathBuf,
        marker: &str,
        unix: bool,
    ) -> Result<Self, String> {
        let mut cmd = Command::new(bin);
        cmd.args(args).env("RUST_LOG", "debug");
        let proc = Running::spawn("a server", &mut cmd, &log)?;
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let out = proc.output();
            if let Some(rest) = out.split(marker).nth(1) {
                if unix {
                    return Ok(Server { proc, addr: None });
                }
                if let Some(addr) = rest.split(['/', ' ', '\n']).next().and_then(|a| a.parse().ok())
                {
                    return Ok(Server { proc, addr: Some(addr) });
                }
            }
            if Instant::now() >= deadline {
                return Err(format!("{} did not start: {}", bin.display(), proc.log()));
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// whoami on `ip`, port 0, with `args`.
    pub(super) fn whoami(
        bin: &Path,
        dir: &TempDir,
        name: &str,
        ip: IpAddr,
        args: &[&str],
    ) -> Result<Self, String> {
        let mut all = vec!["--listen".to_string(), SocketAddr::new(ip, 0).to_string()];
        all.extend(args.iter().map(|a| a.to_string()));
        Self::start(
            bin,
            &all,
            dir.path(&format!("whoami-{name}.log")),
            "listening on https://",
            false,
        )
    }

    /// whoami on the unix socket `path`, with `args`.
    pub(super) fn whoami_unix(
        bin: &Path,
        dir: &TempDir,
        name: &str,
        path: &Path,
        args: &[&str],
    ) -> Result<Self, String> {
        let mut all = vec!["--listen".to_string(), format!("unix:{}", path.display())];
        all.extend(args.iter().map(|a| a.to_string()));
        Self::start(
            bin,
            &all,
            dir.path(&format!("whoami-{name}.log")),
            "listening on https+unix:",
            true,
        )
    }

    /// The axum example on `ip`, port 0.
    pub(super) fn axum_example(bin: &Path, dir: &TempDir, ip: IpAddr) -> Result<Self, String> {
        let args = [SocketAddr::new(ip, 0).to_string()];
        Self::start(bin, &args, dir.path("axum-example.log"), "listening on http://", false)
    }

    /// Any program that prints `listening on ADDR` once it listens.
    pub(super) fn program(
        bin: &Path,
        dir: &TempDir,
        name: &str,
        args: &[&str],
    ) -> Result<Self, String> {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        Self::start(bin, &args, dir.path(&format!("{name}.log")), "listening on ", false)
    }

    /// The relay example, listening on loopback port 0, with `args`.
    pub(super) fn relay(
        bin: &Path,
        dir: &TempDir,
        name: &str,
        args: &[&str],
    ) -> Result<Self, String> {
        let mut all = vec!["--listen".to_string(), "127.0.0.1:0".to_string()];
        all.extend(args.iter().map(|a| a.to_string()));
        Self::start(bin, &all, dir.path(&format!("relay-{name}.log")), "listening on ", false)
    }

    /// The TCP address, for a server that has one.
    pub(super) fn addr(&self) -> SocketAddr {
        self.addr.unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0)))
    }

    /// A position in the log, to look only at what comes after it.
    pub(super) fn mark(&self) -> usize {
        self.proc.output().len()
    }

    /// Waits up to 3 s for a log line after `mark` containing every one of `words`.
    pub(super) fn expect_log(&self, mark: usize, words: &[&str]) -> Result<String, String> {
        let deadline = Instant::now() + Duration::from_secs(3);
        loop {
            let out = self.proc.output();
            let new = out.get(mark..).unwrap_or_default();
            if let Some(line) = new.lines().find(|l| words.iter().all(|w| l.contains(w))) {
                return Ok(line.trim().to_string());
            }
            if Instant::now() >= deadline {
                return Err(format!("no log line with {words:?}; the server logged: {new:?}"));
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Builds `-p package [--features f] [--example e]` and returns the binary.
pub(super) fn build(
    package: &str,
    features: &[&str],
    example: Option<&str>,
    bin: &str,
) -> Result<PathBuf, String> {
    let mut cmd = Command::new(crate::cargo());
    cmd.args(["build", "--quiet", "-p", package]).current_dir(crate::workspace_root());
    if !features.is_empty() {
        cmd.args(["--features", &features.join(",")]);
    }
    if let Some(example) = example {
        cmd.args(["--example", example]);
    }
    let status = cmd.status().map_err(|e| format!("building {package}: {e}"))?;
    if !status.success() {
        return Err(format!("building {package} failed"));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| crate::workspace_root().join("target"), PathBuf::from);
    Ok(match example {
        Some(_) => target.join("debug/examples").join(bin),
        None => target.join("debug").join(bin),
    })
}
