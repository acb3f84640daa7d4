//! `pp_read_header_fd` over real loopback sockets: exactly the header is
//! consumed, the deadline holds, a close is told apart, policy and trust.

use std::ffi::CStr;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::ptr::null;
use std::thread;
use std::time::{Duration, Instant};

use proxy_hdr_capi::*;

/// A connected pair: (client side, server side).
fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    (client, server)
}

fn read(server: &TcpStream, config: &PpConfig, buf: &mut [u8]) -> (i32, PpHeader) {
    let mut h = std::mem::MaybeUninit::<PpHeader>::zeroed();
    // SAFETY: a live socket, config, buffer and output.
    let rc = unsafe {
        pp_read_header_fd(server.as_raw_fd(), config, buf.as_mut_ptr(), buf.len(), h.as_mut_ptr())
    };
    // SAFETY: always written.
    (rc, unsafe { h.assume_init() })
}

fn config(policy: i32, timeout_ms: u32, trusted: Option<&'static CStr>) -> PpConfig {
    PpConfig {
        policy,
        timeout_ms,
        max_header_len: 0,
        trusted: trusted.map_or(null(), CStr::as_ptr),
    }
}

fn rest(mut server: TcpStream) -> Vec<u8> {
    server.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut out = Vec::new();
    server.read_to_end(&mut out).unwrap();
    out
}

const V2: &[u8] =
    b"\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x0c\xc0\x00\x02\x01\xc6\x33\x64\x02\x9c\x40\x01\xbb";
const HELLO: &[u8] = b"\x16\x03\x01\x00\x05hello";

#[test]
fn header_and_payload_in_one_write_leave_exactly_the_payload() {
    for header in [&b"PROXY TCP4 192.0.2.1 198.51.100.2 40000 443\r\n"[..], V2] {
        let (mut client, server) = pair();
        client.write_all(&[header, HELLO].concat()).unwrap();
        client.shutdown(std::net::Shutdown::Write).unwrap();
        let mut buf = [0u8; 512];
        let (rc, h) =
            read(&server, &config(PP_POLICY_REQUIRE, 2000, Some(c"127.0.0.0/8")), &mut buf);
        assert_eq!(rc as usize, header.len());
        assert_eq!(h.header_len, header.len());
        assert_eq!(h.family, PP_FAMILY_INET);
        assert_eq!(rest(server), HELLO, "the bytes after the header stay in the kernel");
    }
}

#[test]
fn a_header_split_over_writes_is_put_together() {
    // Optional takes nothing until the signature is whole (it may not be a
    // header); require takes each prefix. Both must end at the header.
    for policy in [PP_POLICY_OPTIONAL, PP_POLICY_REQUIRE] {
        let (mut client, server) = pair();
        let writer = thread::spawn(move || {
            for chunk in [&V2[..5], &V2[5..13], &V2[13..20], &V2[20..]] {
                client.write_all(chunk).unwrap();
                thread::sleep(Duration::from_millis(30));
            }
            client.write_all(HELLO).unwrap();
        });
        let mut buf = [0u8; 512];
        let (rc, _) = read(&server, &config(policy, 3000, None), &mut buf);
        assert_eq!(rc as usize, V2.len(), "policy {policy}");
        writer.join().unwrap();
        assert_eq!(rest(server), HELLO);
    }
}

#[test]
fn a_silent_peer_times_out_within_the_bound() {
    let (_client, server) = pair();
    let start = Instant::now();
    let (rc, _) = read(&server, &config(PP_POLICY_REQUIRE, 300, None), &mut [0u8; 64]);
    let took = start.elapsed();
    assert_eq!(rc, PP_ERR_TIMEOUT);
    assert!(took >= Duration::from_millis(290) && took < Duration::from_millis(1500), "{took:?}");
}

#[test]
fn one_byte_then_close_is_closed_under_every_policy() {
    for (policy, byte) in
        [(PP_POLICY_REQUIRE, b'\r'), (PP_POLICY_OPTIONAL, b'\r'), (PP_POLICY_OFF, b'P')]
    {
        let (mut client, server) = pair();
        client.write_all(&[byte]).unwrap();
        drop(client);
        let start = Instant::now();
        let (rc, _) = read(&server, &config(policy, 3000, None), &mut [0u8; 64]);
        assert_eq!(rc, PP_ERR_CLOSED, "policy {policy}");
        assert!(start.elapsed() < Duration::from_secs(1));
    }
    // Nothing at all, then close: an error only when a header is required.
    for (policy, want) in [(PP_POLICY_REQUIRE, PP_ERR_CLOSED), (PP_POLICY_OPTIONAL, 0)] {
        let (client, server) = pair();
        drop(client);
        assert_eq!(read(&server, &config(policy, 3000, None), &mut [0u8; 64]).0, want);
    }
}

#[test]
fn policy_trust_and_size() {
    let cases: [(&[u8], PpConfig, i32); 8] = [
        (HELLO, config(PP_POLICY_REQUIRE, 2000, None), PP_ERR_NOT_PROXY),
        (HELLO, config(PP_POLICY_OPTIONAL, 2000, None), 0),
        (HELLO, config(PP_POLICY_OFF, 2000, None), 0),
        (V2, config(PP_POLICY_OFF, 2000, None), PP_ERR_UNEXPECTED),
        // Off names a header by its signature, before its size.
        (
            V2,
            PpConfig { max_header_len: 20, ..config(PP_POLICY_OFF, 2000, None) },
            PP_ERR_UNEXPECTED,
        ),
        (V2, config(PP_POLICY_REQUIRE, 2000, Some(c"10.0.0.0/8, ::1")), PP_ERR_UNTRUSTED),
        (
            V2,
            PpConfig { max_header_len: 20, ..config(PP_POLICY_REQUIRE, 2000, None) },
            PP_ERR_TOO_LARGE,
        ),
        (
            b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n",
            config(PP_POLICY_REQUIRE, 2000, None),
            PP_ERR_V1_EXPECTED_CRLF,
        ),
    ];
    for (input, cfg, want) in cases {
        let (mut client, server) = pair();
        client.write_all(&[input, HELLO].concat()).unwrap();
        client.shutdown(std::net::Shutdown::Write).unwrap();
        let (rc, _) = read(&server, &cfg, &mut [0u8; 512]);
        assert_eq!(rc, want, "{:?}", String::from_utf8_lossy(input));
        if want == 0 {
            assert_eq!(rest(server), [input, HELLO].concat(), "nothing consumed without a header");
        }
    }
    let (_client, server) = pair();
    assert_eq!(read(&server, &config(7, 10, None), &mut [0u8; 8]).0, PP_ERR_ARGUMENT);
    assert_eq!(read(&server, &config(0, 10, Some(c"nonsense")), &mut [0u8; 8]).0, PP_ERR_CONFIG);
}
