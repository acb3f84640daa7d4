//! Runs the real whoami binary on loopback for a test, and a TLS client
//! that trusts its certificate. Everything started is stopped by PID.
#![allow(dead_code)] // each test binary uses a different part

use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

pub(crate) struct Whoami {
    pub child: Child,
    pub addr: SocketAddr,
    pub log: PathBuf,
    pub dir: PathBuf,
    pub connector: tokio_rustls::TlsConnector,
}

impl Drop for Whoami {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Whoami {
    /// Starts whoami on 127.0.0.1, port 0, with `args`, wrapped in `wrapper`
    /// (e.g. `prlimit --nofile=64`) when given.
    pub(crate) fn start_with(wrapper: &[&str], args: &[&str]) -> Whoami {
        let dir = std::env::temp_dir().join(format!(
            "whoami-test-{}-{}",
            std::process::id(),
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        std::fs::write(dir.join("cert.pem"), cert.cert.pem()).unwrap();
        std::fs::write(dir.join("key.pem"), cert.signing_key.serialize_pem()).unwrap();
        let log = dir.join("whoami.log");
        let bin = env!("CARGO_BIN_EXE_whoami");
        let mut cmd = match wrapper.split_first() {
            Some((first, rest)) => {
                let mut c = Command::new(first);
                c.args(rest).arg(bin);
                c
            }
            None => Command::new(bin),
        };
        cmd.args(["--listen", "127.0.0.1:0", "--cert"])
            .arg(dir.join("cert.pem"))
            .arg("--key")
            .arg(dir.join("key.pem"))
            .args(args)
            .env("RUST_LOG", "debug")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap());
        let child = cmd.spawn().expect("whoami starts");
        let deadline = Instant::now() + Duration::from_secs(20);
        let addr = loop {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if let Some(addr) = text
                .split("listening on https://")
                .nth(1)
                .and_then(|r| r.split('/').next())
                .and_then(|a| a.parse().ok())
            {
                break addr;
            }
            assert!(Instant::now() < deadline, "whoami did not start: {text}");
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut roots = rustls::RootCertStore::empty();
        roots.add(CertificateDer::from(cert.cert.der().to_vec())).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut client = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        client.alpn_protocols = vec![b"http/1.1".to_vec()];
        let connector = tokio_rustls::TlsConnector::from(Arc::new(client));
        Whoami { child, addr, log, dir, connector }
    }

    pub(crate) fn start(args: &[&str]) -> Whoami {
        Self::start_with(&[], args)
    }

    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// A TLS connection after `prefix` (a PROXY header, or nothing).
    pub(crate) async fn tls(&self, prefix: &[u8]) -> tokio_rustls::client::TlsStream<TcpStream> {
        let mut tcp = TcpStream::connect(self.addr).await.unwrap();
        tcp.write_all(prefix).await.unwrap();
        self.connector.connect(ServerName::try_from("localhost").unwrap(), tcp).await.unwrap()
    }

    /// One GET over a fresh connection; the response text.
    pub(crate) async fn get(&self, prefix: &[u8], path: &str) -> String {
        use tokio::io::AsyncReadExt;
        let mut tls = self.tls(prefix).await;
        let req = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        tls.write_all(req.as_bytes()).await.unwrap();
        let mut out = String::new();
        let _ = tls.read_to_string(&mut out).await;
        out
    }
}

/// The JSON body of an HTTP response.
pub(crate) fn body(response: &str) -> serde_json::Value {
    let body = response.split("\r\n\r\n").nth(1).unwrap_or_default();
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {response}"))
}

/// How long after `start` the server closes `stream` (EOF or reset),
/// waiting at most `limit` from now.
pub(crate) async fn closed_after<S: tokio::io::AsyncRead + Unpin>(
    stream: &mut S,
    start: Instant,
    limit: Duration,
) -> Option<Duration> {
    use tokio::io::AsyncReadExt;
    let waited = Instant::now();
    let mut buf = [0u8; 256];
    loop {
        match tokio::time::timeout(limit.saturating_sub(waited.elapsed()), stream.read(&mut buf))
            .await
        {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(start.elapsed()),
            Ok(Ok(_)) => {}
        }
    }
}

/// CPU seconds (user + system) a process has used, from /proc.
pub(crate) fn cpu_seconds(pid: u32) -> f64 {
    let mut stat = String::new();
    std::fs::File::open(format!("/proc/{pid}/stat")).unwrap().read_to_string(&mut stat).unwrap();
    let after_name = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after_name.split(' ').collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / 100.0
}

/// A v2 header for `source`.
pub(crate) fn v2(source: &str, destination: SocketAddr) -> Vec<u8> {
    let header = proxy_hdr::v2::Header::proxy(
        proxy_hdr::Protocol::Stream,
        proxy_hdr::Addresses::from_sockets(source.parse().unwrap(), destination).unwrap(),
    );
    let mut out = vec![0u8; header.encoded_len()];
    header.write(&mut out).unwrap();
    out
}
