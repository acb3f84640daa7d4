//! The driver on real loopback sockets: std blocking and tokio, the header
//! and payload in one write and trickled, deadlines against silent and
//! slowloris peers, and a peer that closes mid-header.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use common::V1_TCP4;
use proxy_hdr_io::{
    CidrList, Config, Error, Rewind, Untrusted, read_header_std, read_header_tokio,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PAYLOAD: &[u8] = b"\x16\x03\x01\x00\x05hello, after the header";

fn v2_header() -> Vec<u8> {
    let header = proxy_hdr::v2::Header::proxy(
        proxy_hdr::Protocol::Stream,
        proxy_hdr::Addresses::Inet6 {
            source: "[2001:db8::7]:40000".parse().unwrap(),
            destination: "[2001:db8::1]:443".parse().unwrap(),
        },
    );
    let mut out = vec![0u8; header.encoded_len()];
    header.write(&mut out).unwrap();
    out
}

/// Sends `wire` in pieces of `piece` bytes, pausing between them.
fn send(mut stream: TcpStream, wire: Vec<u8>, piece: usize, pause: Duration) {
    for chunk in wire.chunks(piece) {
        stream.write_all(chunk).unwrap();
        thread::sleep(pause);
    }
    // Keep the socket open until the server is done reading.
    let _ = stream.read(&mut [0u8; 1]);
}

#[test]
fn std_blocking_one_write_and_trickled() {
    for (header, piece) in
        [(V1_TCP4.to_vec(), 4096), (v2_header(), 4096), (V1_TCP4.to_vec(), 3), (v2_header(), 1)]
    {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let wire = [&header[..], PAYLOAD].concat();
        let client = thread::spawn(move || {
            send(TcpStream::connect(addr).unwrap(), wire, piece, Duration::from_millis(1))
        });
        let (mut conn, _) = listener.accept().unwrap();
        let mut buf = [0u8; 512];
        let accepted = read_header_std(&mut conn, &mut buf, &Config::new()).unwrap();
        let source = accepted.header.unwrap().source().unwrap();
        assert!(
            source.to_string() == "192.0.2.7:56324" || source.to_string() == "[2001:db8::7]:40000"
        );
        let mut rest = Rewind::new(&mut conn, accepted.leftover);
        let mut got = vec![0u8; PAYLOAD.len()];
        rest.read_exact(&mut got).unwrap();
        assert_eq!(got, PAYLOAD, "piece {piece}");
        drop(conn);
        client.join().unwrap();
    }
}

#[test]
fn std_deadline_against_silent_and_slowloris_peers() {
    let timeout = Duration::from_millis(300);
    let config = Config::new().with_header_timeout(Some(timeout));
    for trickle in [false, true] {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let client = thread::spawn(move || {
            let mut s = TcpStream::connect(addr).unwrap();
            if trickle {
                // One byte every 50 ms: each read succeeds, the header never ends.
                for b in V1_TCP4.iter().take(20) {
                    if s.write_all(&[*b]).is_err() {
                        return;
                    }
                    thread::sleep(Duration::from_millis(50));
                }
            } else {
                thread::sleep(Duration::from_millis(1000));
            }
        });
        let (mut conn, _) = listener.accept().unwrap();
        let start = Instant::now();
        let mut buf = [0u8; 256];
        let got = read_header_std(&mut conn, &mut buf, &config);
        let took = start.elapsed();
        assert!(matches!(got, Err(Error::TimedOut { .. })), "trickle {trickle}: {got:?}");
        assert!(
            took >= timeout && took < timeout + Duration::from_millis(150),
            "trickle {trickle}: {took:?}"
        );
        drop(conn);
        client.join().unwrap();
    }
}

#[test]
fn std_peer_closing_mid_header() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let client = thread::spawn(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(&V1_TCP4[..12]).unwrap();
    });
    let (mut conn, _) = listener.accept().unwrap();
    client.join().unwrap();
    let mut buf = [0u8; 256];
    let got = read_header_std(&mut conn, &mut buf, &Config::new());
    assert!(matches!(got, Err(Error::Closed { received: 12 })), "{got:?}");
}

#[test]
fn std_v2_length_beyond_limit_refused_without_waiting_for_the_body() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let client = thread::spawn(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        let mut prefix = proxy_hdr::v2::SIGNATURE.to_vec();
        prefix.extend_from_slice(&[0x21, 0x11, 0xff, 0xff]);
        s.write_all(&prefix).unwrap();
        // Never send the body; wait for the server to hang up.
        let _ = s.read(&mut [0u8; 1]);
    });
    let (mut conn, _) = listener.accept().unwrap();
    let config =
        Config::new().with_max_header_len(1024).with_header_timeout(Some(Duration::from_secs(5)));
    let start = Instant::now();
    let mut buf = [0u8; 2048];
    let got = read_header_std(&mut conn, &mut buf, &config);
    assert!(matches!(got, Err(Error::TooLarge { limit: 1024 })), "{got:?}");
    assert!(start.elapsed() < Duration::from_secs(1), "decided on the length field");
    drop(conn);
    client.join().unwrap();
}

#[tokio::test]
async fn tokio_one_write_and_trickled() {
    for (header, piece) in [(v2_header(), 4096), (V1_TCP4.to_vec(), 1), (v2_header(), 5)] {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let wire = [&header[..], PAYLOAD].concat();
        let client = tokio::spawn(async move {
            let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
            s.set_nodelay(true).unwrap();
            for chunk in wire.chunks(piece) {
                s.write_all(chunk).await.unwrap();
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            let mut echo = vec![0u8; PAYLOAD.len()];
            s.read_exact(&mut echo).await.unwrap();
            echo
        });
        let (mut conn, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 512];
        let accepted = read_header_tokio(&mut conn, &mut buf, &Config::new()).await.unwrap();
        assert!(accepted.header.unwrap().source().is_some());
        let leftover = accepted.leftover.to_vec();
        let mut rest = Rewind::new(conn, leftover);
        let mut got = vec![0u8; PAYLOAD.len()];
        rest.read_exact(&mut got).await.unwrap();
        assert_eq!(got, PAYLOAD);
        // Writes pass through the replaying stream.
        rest.write_all(&got).await.unwrap();
        assert_eq!(client.await.unwrap(), PAYLOAD, "piece {piece}");
    }
}

#[tokio::test]
async fn tokio_deadline() {
    let timeout = Duration::from_millis(200);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let client = tokio::spawn(async move {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        for b in V1_TCP4.iter().take(15) {
            if s.write_all(&[*b]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(40)).await;
        }
    });
    let (mut conn, _) = listener.accept().await.unwrap();
    let start = Instant::now();
    let mut buf = [0u8; 256];
    let got =
        read_header_tokio(&mut conn, &mut buf, &Config::new().with_header_timeout(Some(timeout)))
            .await;
    let took = start.elapsed();
    assert!(matches!(got, Err(Error::TimedOut { received }) if received > 0), "{got:?}");
    assert!(took >= timeout && took < timeout + Duration::from_millis(150), "{took:?}");
    drop(conn);
    client.await.unwrap();
}

#[tokio::test]
async fn tokio_first_byte_alone() {
    for first in 1..6 {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let client = tokio::spawn(async move {
            let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
            s.set_nodelay(true).unwrap();
            s.write_all(&V1_TCP4[..first]).await.unwrap();
            tokio::time::sleep(Duration::from_millis(20)).await;
            s.write_all(&V1_TCP4[first..]).await.unwrap();
            let _ = s.read(&mut [0u8; 1]).await;
        });
        let (mut conn, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 256];
        let got = read_header_tokio(&mut conn, &mut buf, &Config::new()).await;
        let outcome = format!("{got:?}");
        drop(got);
        assert!(
            outcome.starts_with("Ok"),
            "first {first}: {outcome} {:?}",
            String::from_utf8_lossy(&buf[..20])
        );
        drop(conn);
        client.await.unwrap();
    }
}

/// A peer that connects and resets at once (a load balancer's TCP health
/// check) is a disconnect, whether the reset arrives before `getpeername`
/// (`ENOTCONN`) or during the first read (`ECONNRESET`); a peer that sends
/// garbage is not.
#[tokio::test]
async fn tokio_reset_at_once_is_a_disconnect() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    for wait_for_reset in [true, false] {
        let s = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (mut conn, _) = listener.accept().await.unwrap();
        s.set_zero_linger().unwrap();
        drop(s);
        if wait_for_reset {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mut buf = [0u8; 256];
        let got = read_header_tokio(&mut conn, &mut buf, &Config::new()).await;
        let err = got.expect_err("a reset connection has no header");
        assert!(err.is_disconnect(), "{err:?}");
        if wait_for_reset {
            // Gone before `getpeername`: reported as a close, not as ENOTCONN.
            assert!(matches!(err, Error::Closed { received: 0 }), "{err:?}");
        }
    }
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut conn, _) = listener.accept().await.unwrap();
    s.write_all(b"PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n").await.unwrap();
    let mut buf = [0u8; 256];
    let err = read_header_tokio(&mut conn, &mut buf, &Config::new()).await.unwrap_err();
    assert!(!err.is_disconnect(), "{err:?}");
}

/// A header read with a deadline survives a signal: socket receives with a
/// timeout are never restarted by the kernel (signal(7), even with
/// SA_RESTART), so each EINTR is retried with the time left. Found: the
/// connection failed with "Interrupted system call".
#[test]
fn std_signal_during_the_header_is_retried() {
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;
    let flag = Arc::new(AtomicBool::new(false));
    signal_hook::flag::register(signal_hook::consts::SIGUSR1, flag.clone()).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let server = thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        tx.send(nix::sys::pthread::pthread_self()).unwrap();
        let mut buf = [0u8; 256];
        let config = Config::new().with_header_timeout(Some(Duration::from_secs(3)));
        read_header_std(&mut conn, &mut buf, &config)
            .map(|a| a.header_len)
            .map_err(|e| e.to_string())
    });
    let mut client = TcpStream::connect(addr).unwrap();
    let reader = rx.recv().unwrap();
    client.write_all(&V1_TCP4[..10]).unwrap();
    thread::sleep(Duration::from_millis(200));
    for _ in 0..3 {
        nix::sys::pthread::pthread_kill(reader, nix::sys::signal::Signal::SIGUSR1).unwrap();
        thread::sleep(Duration::from_millis(50));
    }
    client.write_all(&V1_TCP4[10..]).unwrap();
    assert_eq!(server.join().unwrap(), Ok(V1_TCP4.len()));
    assert!(flag.load(std::sync::atomic::Ordering::Relaxed), "the signal was delivered");
}

/// `Duration::MAX` means no deadline, not a panic (`Instant + Duration`
/// overflowed); a socket left non-blocking is read as a blocking one, not
/// timed out at once, and is non-blocking again afterwards.
#[test]
fn std_huge_timeout_and_nonblocking_socket() {
    for nonblocking in [false, true] {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let client = thread::spawn(move || {
            send(TcpStream::connect(addr).unwrap(), V1_TCP4.to_vec(), 7, Duration::from_millis(60))
        });
        let (mut conn, _) = listener.accept().unwrap();
        conn.set_nonblocking(nonblocking).unwrap();
        let config = Config::new().with_header_timeout(Some(Duration::MAX));
        let mut buf = [0u8; 256];
        let got = read_header_std(&mut conn, &mut buf, &config).map(|a| a.header_len);
        assert_eq!(got.map_err(|e| e.to_string()), Ok(V1_TCP4.len()), "nonblocking {nonblocking}");
        if nonblocking {
            let after = conn.read(&mut [0u8; 1]);
            assert_eq!(after.unwrap_err().kind(), std::io::ErrorKind::WouldBlock, "mode restored");
        }
        assert_eq!(conn.read_timeout().unwrap(), None, "timeout restored");
        drop(conn);
        client.join().unwrap();
    }
}

/// A unix socket has no peer address: under a trust list, a header from it
/// is refused (fails closed).
#[test]
fn std_unix_socket_under_a_trust_list_fails_closed() {
    use std::os::unix::net::{UnixListener, UnixStream};
    let dir = std::env::temp_dir().join(format!("proxy-hdr-io-unix-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join("s.sock");
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path).unwrap();
    let mut client = UnixStream::connect(&path).unwrap();
    client.write_all(V1_TCP4).unwrap();
    let (mut conn, _) = listener.accept().unwrap();
    let proxies: CidrList<2> = CidrList::loopback().unwrap();
    let config = Config::new().with_trusted(proxies, Untrusted::Reject);
    let mut buf = [0u8; 256];
    let got = read_header_std(&mut conn, &mut buf, &config);
    assert!(matches!(got, Err(Error::Untrusted { peer: None })), "{got:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
