//! What whoami refuses, and how it says so: a direct TLS client where a
//! header is required, a garbage header, an untrusted peer, a silent client,
//! a header where the protocol is off; and that it still serves afterwards.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{Cx, HEADER_TIMEOUT, Outcome, UNTRUSTED, V4, field, url};
use crate::senders::CurlOpts;

pub(super) fn bare_tls_refused(cx: &Cx) -> Outcome {
    let mark = cx.strict.mark();
    cx.refused(&url(cx.strict.addr()), V4, &CurlOpts::default())?;
    cx.strict.expect_log(
        mark,
        &[
            "refused",
            "no PROXY header, and one is required",
            "TLS ClientHello",
            "frp transport.proxyProtocolVersion",
        ],
    )
}

pub(super) fn garbage_refused(cx: &Cx) -> Outcome {
    let mark = cx.strict.mark();
    let mut tcp = TcpStream::connect(cx.strict.addr()).map_err(|e| e.to_string())?;
    tcp.write_all(b"PROXY TCP4 256.0.0.1 127.0.0.1 40000 443\r\n\x16\x03\x01")
        .map_err(|e| e.to_string())?;
    closed_within(&mut tcp, Duration::from_secs(3))?;
    cx.strict.expect_log(mark, &["refused", "invalid PROXY header"])
}

pub(super) fn untrusted_refused(cx: &Cx) -> Outcome {
    let mark = cx.strict.mark();
    let opts = CurlOpts { haproxy_protocol: true, ..Default::default() };
    cx.refused(&url(cx.strict.addr()), UNTRUSTED, &opts)?;
    cx.strict.expect_log(mark, &["refused", "127.0.0.2", "not a trusted proxy"])
}

pub(super) fn silent_cut(cx: &Cx) -> Outcome {
    let mark = cx.strict.mark();
    let start = Instant::now();
    let mut tcp = TcpStream::connect(cx.strict.addr()).map_err(|e| e.to_string())?;
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

pub(super) fn still_serving(cx: &Cx) -> Outcome {
    let opts = CurlOpts { haproxy_protocol: true, ..Default::default() };
    let (client, json) = cx.get(&url(cx.strict.addr()), V4, &opts)?;
    field(&json, "/client", client.to_string())?;
    field(&json, "/proxy/version", 1)?;
    Ok(format!("client {client}"))
}

pub(super) fn direct_tls(cx: &Cx) -> Outcome {
    let (client, json) = cx.get(&url(cx.optional.addr()), V4, &CurlOpts::default())?;
    field(&json, "/client", client.to_string())?;
    field(&json, "/peer", client.to_string())?;
    field(&json, "/proxy", Value::Null)?;
    field(&json, "/tls/version", "TLSv1_3")?;
    Ok(format!("client {client}, no header"))
}

/// HAProxy sending `send-proxy-v2` to whoami with the protocol off: the log
/// names the misconfiguration on the proxy's side.
pub(super) fn haproxy_to_off(cx: &Cx) -> Outcome {
    let mark = cx.off.mark();
    let (_haproxy, frontend) =
        super::proxies::haproxy(cx, "to-off", "", &format!("{} send-proxy-v2", cx.off.addr()))?;
    cx.refused(&url(frontend), V4, &CurlOpts::default())?;
    cx.off.expect_log(
        mark,
        &["refused", "sent a PROXY v2 header", "enable it, or stop the proxy sending it"],
    )
}
