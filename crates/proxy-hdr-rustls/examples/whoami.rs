//! `whoami`: an HTTPS server that answers every HTTP/1.1 request with what it
//! knows about the connection: the real client (from the PROXY header), the
//! proxy (the socket peer), every TLV decoded, and the TLS session.
//!
//! ```sh
//! cargo run -p proxy-hdr-rustls --example whoami          # 127.0.0.1:8443, self-signed
//! curl -k https://127.0.0.1:8443/
//! curl -k --haproxy-protocol https://127.0.0.1:8443/
//! ```
//!
//! Options: `--listen ADDR`, `--cert PEM --key PEM`, `--proxy-protocol
//! require|optional|off` (default optional), `--trusted CIDR` (repeatable;
//! default: any peer), `--header-timeout SECONDS` (default 5).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use proxy_hdr::BoxedHeader as Header;
use proxy_hdr::v2::{ClientFlags, Ssl, TlvView};
use proxy_hdr_io::{Cidr, Config, Policy, Untrusted};
use proxy_hdr_rustls::{ProxyTlsAcceptor, server_config_builder};
use rustls::ServerConnection;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const USAGE: &str = "usage: whoami [--listen ADDR] [--cert PEM --key PEM] \
[--proxy-protocol require|optional|off] [--trusted CIDR]... [--header-timeout SECONDS]";

struct Options {
    listen: SocketAddr,
    cert: Option<(String, String)>,
    mode: Option<Policy>,
    trusted: Vec<Cidr>,
    header_timeout: Duration,
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        listen: "127.0.0.1:8443".parse().map_err(|e| format!("{e}"))?,
        cert: None,
        mode: Some(Policy::Optional),
        trusted: Vec::new(),
        header_timeout: Duration::from_secs(5),
    };
    let (mut cert, mut key) = (None, None);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--listen" => o.listen = value()?.parse().map_err(|e| format!("--listen: {e}"))?,
            "--cert" => cert = Some(value()?),
            "--key" => key = Some(value()?),
            "--proxy-protocol" => {
                o.mode = match value()?.as_str() {
                    "require" => Some(Policy::Require),
                    "optional" => Some(Policy::Optional),
                    "off" => None,
                    other => {
                        return Err(format!(
                            "--proxy-protocol: {other:?} is not require, optional or off"
                        ));
                    }
                }
            }
            "--trusted" => o.trusted.push(value()?.parse().map_err(|e| format!("--trusted: {e}"))?),
            "--header-timeout" => {
                let secs: f64 = value()?.parse().map_err(|e| format!("--header-timeout: {e}"))?;
                o.header_timeout = Duration::try_from_secs_f64(secs)
                    .map_err(|e| format!("--header-timeout: {e}"))?;
            }
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    o.cert = match (cert, key) {
        (Some(c), Some(k)) => Some((c, k)),
        (None, None) => None,
        _ => return Err("--cert and --key go together".into()),
    };
    Ok(o)
}

fn tls_config(
    cert: &Option<(String, String)>,
) -> Result<rustls::ServerConfig, Box<dyn std::error::Error>> {
    let (chain, key) = match cert {
        Some((cert, key)) => (
            CertificateDer::pem_file_iter(cert)?.collect::<Result<Vec<_>, _>>()?,
            PrivateKeyDer::from_pem_file(key)?,
        ),
        None => {
            let names = vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
            let generated = rcgen::generate_simple_self_signed(names)?;
            let key = PrivateKeyDer::Pkcs8(generated.signing_key.serialize_der().into());
            (vec![generated.cert.der().clone()], key)
        }
    };
    let mut config = server_config_builder()?.with_no_client_auth().with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

#[tokio::main]
async fn main() {
    let options = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let tls = match tls_config(&options.cert) {
        Ok(c) => Arc::new(c),
        Err(e) => {
            eprintln!("whoami: TLS setup failed: {e}");
            std::process::exit(1);
        }
    };
    let listener = match TcpListener::bind(options.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("whoami: cannot listen on {}: {e}", options.listen);
            std::process::exit(1);
        }
    };
    let mode = match options.mode {
        Some(Policy::Require) => "require",
        Some(_) => "optional",
        None => "off",
    };
    let local = listener.local_addr().map_or(options.listen, |a| a);
    eprintln!("whoami: listening on https://{local}/ (PROXY protocol: {mode})");

    let trusted = options.trusted;
    let trust = move |ip: IpAddr| trusted.is_empty() || trusted.iter().any(|c| c.contains(ip));
    let config = Config::new()
        .with_policy(options.mode.unwrap_or(Policy::Optional))
        .with_header_timeout(Some(options.header_timeout))
        .with_trusted(trust, Untrusted::Reject);
    let acceptor = ProxyTlsAcceptor::new(tls.clone(), config);
    let plain = tokio_rustls::TlsAcceptor::from(tls);
    let proxy_protocol = options.mode.is_some();

    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(conn) => conn,
            Err(e) => {
                eprintln!("whoami: accept failed: {e}");
                continue;
            }
        };
        // Each connection in its own task: a silent client holds only itself.
        let acceptor = acceptor.clone();
        let plain = plain.clone();
        tokio::spawn(async move {
            if proxy_protocol {
                serve_proxied(acceptor, stream, peer).await;
            } else {
                match plain.accept(stream).await {
                    Ok(mut tls) => {
                        let tls_info = tls_json(tls.get_ref().1);
                        answer(&mut tls, peer, None, tls_info).await;
                    }
                    Err(e) => eprintln!("whoami: {peer}: TLS handshake failed: {e}"),
                }
            }
        });
    }
}

async fn serve_proxied<T: proxy_hdr_io::Trust>(
    acceptor: ProxyTlsAcceptor<T>,
    stream: TcpStream,
    peer: SocketAddr,
) {
    match acceptor.accept(stream).await {
        Ok(mut accepted) => {
            let tls_info = tls_json(accepted.tls.get_ref().1);
            answer(&mut accepted.tls, peer, accepted.header.as_ref(), tls_info).await;
        }
        // A proxy's health check: a LOCAL header (or nothing), then it hangs up.
        Err(e) if e.is_disconnect() => {
            eprintln!("whoami: {peer}: closed by the peer before TLS (a health check?): {e}");
        }
        Err(e) => eprintln!("whoami: {peer}: refused: {e}"),
    }
}

/// Answers HTTP/1.1 requests on the connection until the client is done.
async fn answer<S: AsyncRead + AsyncWrite + Unpin>(
    tls: &mut S,
    peer: SocketAddr,
    header: Option<&Header>,
    tls_info: Value,
) {
    let parsed = header.map(Header::header);
    let client = parsed.and_then(|h| h.source()).map_or(peer.to_string(), |s| s.to_string());
    let client = match parsed.and_then(|h| h.addresses()) {
        Some(proxy_hdr::Addresses::Unix { source, .. }) => {
            format!("unix:{}", String::from_utf8_lossy(source.as_bytes()))
        }
        _ => client,
    };
    let body = json!({
        "client": client,
        "peer": peer.to_string(),
        "proxy": parsed.map(|h| proxy_json(&h)),
        "tls": tls_info,
    });
    let body = format!("{body:#}\n");
    let mut request = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        // Read one request head.
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            match tls.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => request.extend_from_slice(&chunk[..n]),
            }
            if request.len() > 64 * 1024 {
                return;
            }
        }
        let end = request.windows(4).position(|w| w == b"\r\n\r\n").map_or(0, |p| p + 4);
        let head = String::from_utf8_lossy(&request[..end]).to_ascii_lowercase();
        request.drain(..end);
        let close = head.contains("\r\nconnection: close");
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{}\r\n{body}",
            body.len(),
            if close { "connection: close\r\n" } else { "" },
        );
        if tls.write_all(response.as_bytes()).await.is_err() || close {
            let _ = tls.shutdown().await;
            return;
        }
    }
}

/// The header in the conformance vectors' form, each TLV decoded too.
fn proxy_json(header: &proxy_hdr::Header<'_>) -> Value {
    let mut value = conformance::header_expect(header, header.encoded_len());
    if let Some(map) = value.as_object_mut() {
        map.remove("consumed");
        let decoded: Vec<Value> = header.tlvs().iter().map(tlv_json).collect();
        map.insert("tlvs".into(), Value::Array(decoded));
    }
    value
}

fn tlv_json(tlv: proxy_hdr::v2::Tlv<'_>) -> Value {
    let hex: String = tlv.value().iter().map(|b| format!("{b:02x}")).collect();
    let mut out = json!({ "type": tlv.raw_kind(), "value_hex": hex });
    let text =
        |t: proxy_hdr::Text<'_>| Value::String(String::from_utf8_lossy(t.as_bytes()).into_owned());
    let raw = |b: &[u8]| Value::String(String::from_utf8_lossy(b).into_owned());
    let decoded = match tlv.view() {
        TlvView::Alpn(v) => json!({ "name": "alpn", "alpn": raw(v) }),
        TlvView::Authority(v) => json!({ "name": "authority", "authority": text(v) }),
        TlvView::Crc32c(_) => json!({ "name": "crc32c", "verified": true }),
        TlvView::Noop => json!({ "name": "noop" }),
        TlvView::UniqueId(v) => json!({ "name": "unique_id", "unique_id": raw(v) }),
        TlvView::Netns(v) => json!({ "name": "netns", "netns": text(v) }),
        TlvView::Ssl(ssl) => ssl_json(ssl),
        TlvView::Aws(aws) => match aws.vpc_endpoint_id() {
            Some(id) => json!({ "name": "aws", "vpce_id": text(id) }),
            None => json!({ "name": "aws" }),
        },
        TlvView::Azure(azure) => match azure.private_endpoint_link_id() {
            Some(id) => json!({ "name": "azure", "link_id": id }),
            None => json!({ "name": "azure" }),
        },
        TlvView::Gcp(Some(id)) => json!({ "name": "gcp", "psc_connection_id": id }),
        TlvView::Gcp(None) => json!({ "name": "gcp" }),
        _ if tlv.kind().is_custom() => json!({ "name": "custom" }),
        _ => json!({ "name": "unknown" }),
    };
    if let (Some(out), Some(decoded)) = (out.as_object_mut(), decoded.as_object()) {
        out.extend(decoded.clone());
    }
    out
}

fn ssl_json(ssl: Ssl<'_>) -> Value {
    let client = ssl.client();
    let text = |t: Option<proxy_hdr::Text<'_>>| {
        t.map(|t| String::from_utf8_lossy(t.as_bytes()).into_owned())
    };
    json!({
        "name": "ssl",
        "client": client.bits(),
        "client_ssl": client.contains(ClientFlags::SSL),
        "client_cert_conn": client.contains(ClientFlags::CERT_CONN),
        "client_cert_sess": client.contains(ClientFlags::CERT_SESS),
        "verify": ssl.verify(),
        "verified": ssl.is_verified(),
        "version": text(ssl.version()),
        "cn": text(ssl.cn()),
        "cipher": text(ssl.cipher()),
        "sig_alg": text(ssl.sig_alg()),
        "key_alg": text(ssl.key_alg()),
        "group": text(ssl.group()),
        "sig_scheme": text(ssl.sig_scheme()),
        "client_cert_der_len": ssl.client_cert().map(<[u8]>::len),
        "sub_tlvs": ssl.sub_tlvs().map(|t| t.raw_kind()).collect::<Vec<_>>(),
    })
}

fn tls_json(conn: &ServerConnection) -> Value {
    json!({
        "version": conn.protocol_version().map(|v| format!("{v:?}")),
        "cipher": conn.negotiated_cipher_suite().map(|s| format!("{:?}", s.suite())),
        "sni": conn.server_name(),
        "alpn": conn.alpn_protocol().map(|a| String::from_utf8_lossy(a).into_owned()),
    })
}
