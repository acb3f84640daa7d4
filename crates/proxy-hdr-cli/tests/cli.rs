//! The `proxy-hdr` binary as an operator runs it: decode, encode, send and
//! probe, against in-process servers on loopback.

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use proxy_hdr_io::listener::Listener;
use proxy_hdr_io::{Config, Policy};
use proxy_hdr_rustls::ProxyTlsAcceptor;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_proxy-hdr"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out:?}"))
}

#[test]
fn decode_says_header_invalid_incomplete_or_not_proxy() {
    let out = run(&["decode"], b"PROXY TCP4 192.0.2.7 198.51.100.1 56324 443\r\nGET /");
    assert!(out.status.success());
    let v = json(&out);
    assert_eq!(
        (v["version"].as_u64(), v["source"].as_str(), v["consumed"].as_u64()),
        (Some(1), Some("192.0.2.7:56324"), Some(45))
    );

    let out = run(&["decode"], b"PROXY TCP4 1.2.3.400 ");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json(&out)["why"], "v1-invalid-ipv4");

    let out = run(&["decode", "--hex"], b"0d0a0d0a 000d0a51 55");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json(&out)["error"], "incomplete");

    let out = run(&["decode"], b"GET /index.html HTTP/1.1\r\n");
    assert_eq!(json(&out)["error"], "not_proxy");
    assert!(json(&out)["why"].as_str().unwrap().contains("an HTTP request (GET /index.html)"));
}

#[test]
fn encode_then_decode_round_trips_with_decoded_tlvs() {
    let out = run(
        &[
            "encode",
            "--v2",
            "--source",
            "203.0.113.9:40000",
            "--destination",
            "192.0.2.1:443",
            "--authority",
            "shop.example",
            "--tlv",
            "0x05=6964",
            "--crc32c",
        ],
        b"",
    );
    assert!(out.status.success(), "{out:?}");
    let decoded = run(&["decode"], &out.stdout);
    let v = json(&decoded);
    assert_eq!(v["source"], "203.0.113.9:40000");
    let names: Vec<&str> =
        v["tlvs"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["unique_id", "authority", "crc32c"]);
    assert_eq!(v["tlvs"][1]["authority"], "shop.example");
    let hex = run(
        &[
            "encode",
            "--v1",
            "--source",
            "[2001:db8::1]:1",
            "--destination",
            "[2001:db8::2]:2",
            "--hex",
        ],
        b"",
    );
    assert_eq!(
        String::from_utf8_lossy(&hex.stdout).trim(),
        proxy_hdr_cli::json::hex(b"PROXY TCP6 2001:db8::1 2001:db8::2 1 2\r\n")
    );
}

#[test]
fn decode_runs_the_committed_vectors() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/vectors");
    let out = run(&["decode", "--vectors", dir], b"");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.trim_end().ends_with(" failed") && text.contains(" passed, 0 failed"), "{text}");
}

#[test]
fn bad_flags_and_unreachable_servers_give_one_clear_line() {
    for args in [
        &["encode", "--v1", "--v2"][..],
        &["encode", "--v2", "--tlv", "zz=00"],
        &["encode", "--v1", "--local"],
        &["encode", "--v1", "--source", "192.0.2.1:1", "--destination", "[::1]:2"],
        &["send", "127.0.0.1:1", "--v2", "--timeout", "2"],
        &["probe", "127.0.0.1:1"],
    ] {
        let out = run(args, b"");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        // One line that says what is wrong (clap adds its usage after it).
        let first = err.lines().next().unwrap_or_default();
        assert!(
            first.starts_with("error: ") || first.starts_with("proxy-hdr: "),
            "{args:?}: {err}"
        );
    }
}

fn tls_server() -> (Arc<rustls::ServerConfig>, rcgen::CertifiedKey<rcgen::KeyPair>) {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.signing_key.serialize_der().into());
    let config = proxy_hdr_rustls::server_config_builder()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.cert.der().clone()], key)
        .unwrap();
    (Arc::new(config), cert)
}

/// A TLS server behind the PROXY listener that answers each connection with
/// the client address it learned.
async fn proxy_server(policy: Policy) -> std::net::SocketAddr {
    let (tls, _) = tls_server();
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = tcp.local_addr().unwrap();
    let mut listener =
        Listener::new(tcp, ProxyTlsAcceptor::new(tls, Config::new().with_policy(policy)));
    tokio::spawn(async move {
        while let Ok(mut conn) = listener.accept().await {
            let client = conn.info().client;
            tokio::spawn(async move {
                let mut request = [0u8; 256];
                let _ = conn.read(&mut request).await;
                let _ = conn
                    .write_all(format!("HTTP/1.1 200 OK\r\n\r\nclient {client:?}").as_bytes())
                    .await;
                let _ = conn.shutdown().await;
            });
        }
    });
    addr
}

/// A plain rustls server: TLS first, no PROXY support (the seed's server).
async fn plain_tls_server() -> std::net::SocketAddr {
    let (tls, _) = tls_server();
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = tcp.local_addr().unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    tokio::spawn(async move {
        while let Ok((s, _)) = tcp.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(mut tls) = acceptor.accept(s).await {
                    let _ = tls.write_all(b"HTTP/1.1 200 OK\r\n\r\nhello").await;
                    let _ = tls.shutdown().await;
                }
            });
        }
    });
    addr
}

async fn cli(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(&args, b"")
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_puts_the_header_before_tls_and_prints_the_answer() {
    let addr = proxy_server(Policy::Require).await;
    let out = cli([
        "send",
        &addr.to_string(),
        "--v2",
        "--source",
        "203.0.113.5:5555",
        "--destination",
        &addr.to_string(),
        "--tls",
        "--insecure",
        "--http-get",
        "/",
    ]
    .map(String::from)
    .to_vec())
    .await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.ends_with("client Some(203.0.113.5:5555)"), "{out:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_says_what_each_server_expects() {
    let cases = [
        (plain_tls_server().await, "expects TLS first: a proxy sending the PROXY protocol"),
        (proxy_server(Policy::Require).await, "requires a PROXY header (v1 and v2)"),
        (proxy_server(Policy::Optional).await, "with and without a PROXY header"),
    ];
    for (addr, verdict) in cases {
        let out =
            cli(["probe", &addr.to_string(), "--tls", "--timeout", "2"].map(String::from).to_vec())
                .await;
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{out:?}");
        assert!(text.contains(verdict), "{addr}: {text}");
        println!("{text}");
    }
}
