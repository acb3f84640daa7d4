//! A relay shaped like frp with `proxyProtocolVersion = "v2"`.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use proxy_hdr::v2::Header as V2Header;
use proxy_hdr::{Addresses, Protocol};

use super::{Cx, Outcome, V4, proxied, url};
use crate::senders::CurlOpts;

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

pub(super) fn frp(cx: &Cx, trickle: bool) -> Outcome {
    let (relay, handle) = frp_relay(cx.optional.addr(), trickle)?;
    let got = cx.get(&url(relay), V4, &CurlOpts::default());
    handle.join().map_err(|_| "relay panicked".to_string())??;
    let (client, json) = got?;
    proxied(&json, client, 2, relay)?;
    let how = if trickle { "one byte per write" } else { "one write" };
    Ok(format!("client {client}, header + ClientHello in {how}"))
}

/// The failure this project exists for, now named: whoami with the PROXY
/// protocol off gets a header from a frp-shaped relay and says so, instead
/// of handing it to TLS (which failed with "received corrupt message").
pub(super) fn frp_to_off(cx: &Cx) -> Outcome {
    let mark = cx.off.mark();
    let (relay, handle) = frp_relay(cx.off.addr(), false)?;
    let curl = cx.refused(&url(relay), V4, &CurlOpts::default());
    let _ = handle.join();
    let curl = curl?;
    let line = cx.off.expect_log(
        mark,
        &[
            "refused",
            "sent a PROXY v2 header, but this listener does not accept the PROXY protocol",
        ],
    )?;
    Ok(format!("curl: {curl}; {line}"))
}
