//! Every stage of a whoami connection has a bound, each tested against the
//! real binary on loopback: the header and TLS handshake (one setup
//! deadline), the wait for a request head, a stalled write, the head's
//! size; and the accept loop under a descriptor limit. Found before these
//! bounds: a client that sent one byte under `optional`, or a header and 3
//! bytes of a ClientHello under `require`, held its connection for ever; 80
//! held connections under a 64-descriptor limit spun the accept loop at
//! 100 % CPU with 821,080 log lines in 2.1 s.

mod common;

use std::time::{Duration, Instant};

use common::{Whoami, body, closed_after, cpu_seconds, v2};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// Limits in these tests, and how late a cut may come on a loaded machine.
const LIMIT: Duration = Duration::from_secs(1);
const MARGIN: Duration = Duration::from_millis(600);

fn cut_in_time(what: &str, took: Option<Duration>) {
    let took = took.unwrap_or_else(|| panic!("{what}: still open after {:?}", LIMIT + MARGIN));
    assert!(
        took >= LIMIT - Duration::from_millis(100) && took < LIMIT + MARGIN,
        "{what}: {took:?}"
    );
}

#[tokio::test]
async fn every_stage_is_cut_within_its_limit_while_good_clients_are_served() {
    let optional = Whoami::start(&["--handshake-timeout", "1", "--idle-timeout", "1"]);
    let require = Whoami::start(&["--proxy-protocol", "require", "--handshake-timeout", "1"]);
    let wait = LIMIT + MARGIN + Duration::from_secs(1);

    // One byte 0x16 under optional, then silence.
    let start = Instant::now();
    let mut one_byte = TcpStream::connect(optional.addr).await.unwrap();
    one_byte.write_all(&[0x16]).await.unwrap();
    // A header, then 3 bytes of a ClientHello, under require.
    let mut stalled = TcpStream::connect(require.addr).await.unwrap();
    stalled
        .write_all(&[v2("192.0.2.1:1", require.addr), vec![0x16, 0x03, 0x01]].concat())
        .await
        .unwrap();
    // The handshake done, then no request at all.
    let mut idle = optional.tls(b"").await;
    let idle_start = Instant::now();
    // A request head that never ends, trickled a byte at a time.
    let mut partial = optional.tls(b"").await;
    let partial_start = Instant::now();
    let trickle = async {
        for b in b"GET / HTTP/1.1\r\nHost: local" {
            if partial.write_all(&[*b]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
        closed_after(&mut partial, partial_start, wait).await
    };

    // Meanwhile a good client, through the proxy's header, is served.
    let served = optional.get(&v2("203.0.113.7:7777", optional.addr), "/").await;
    assert_eq!(body(&served)["client"], "203.0.113.7:7777", "{served}");

    let (a, b, c, d) = tokio::join!(
        closed_after(&mut one_byte, start, wait),
        closed_after(&mut stalled, start, wait),
        closed_after(&mut idle, idle_start, wait),
        trickle,
    );
    cut_in_time("one byte then silence (optional)", a);
    cut_in_time("header then a stalled ClientHello (require)", b);
    cut_in_time("handshake done, then idle", c);
    // hyper's header-read timeout: the head must be whole within the limit,
    // counted from the connection's first wait for it.
    cut_in_time("a partial request head", d);

    let stats = body(&optional.get(b"", "/stats").await);
    assert_eq!(stats["timed_out_tls"], 1, "{stats}");
    let stats = body(&require.get(&v2("192.0.2.9:9", require.addr), "/stats").await);
    assert_eq!(stats["timed_out_tls"], 1, "{stats}");
    // The stalled peer's header was good (counted), then TLS timed out.
    assert_eq!(stats["accepted_v2"], 2, "{stats}");
}

#[tokio::test]
async fn an_oversized_request_head_is_refused_with_431() {
    use tokio::io::AsyncReadExt;
    let whoami = Whoami::start(&[]);
    let mut tls = whoami.tls(b"").await;
    let huge = format!("GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n", "a".repeat(64 * 1024));
    let _ = tls.write_all(huge.as_bytes()).await;
    let mut answer = String::new();
    let _ = tls.read_to_string(&mut answer).await;
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer:.200}");
}

#[test]
fn a_zero_timeout_is_refused_with_a_clear_message() {
    for flag in ["--header-timeout", "--handshake-timeout", "--idle-timeout", "--write-timeout"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_whoami"))
            .args([flag, "0"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag}: {text}");
        assert!(text.contains("must be above 0"), "{flag}: {text}");
    }
}

/// Under a 64-descriptor limit with 80 connections held open, accept fails
/// with EMFILE: whoami backs off instead of spinning, logs about it at most
/// once a second, and serves again once the connections close.
#[tokio::test]
async fn out_of_descriptors_it_backs_off_and_recovers() {
    if std::process::Command::new("prlimit").arg("--version").output().is_err() {
        eprintln!("prlimit (util-linux) is not installed: skipped");
        return;
    }
    let whoami = Whoami::start_with(&["prlimit", "--nofile=64"], &["--handshake-timeout", "30"]);
    let mut held = Vec::new();
    for _ in 0..80 {
        held.push(TcpStream::connect(whoami.addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (cpu0, lines0) = (cpu_seconds(whoami.child.id()), whoami.log().lines().count());
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (cpu1, lines1) = (cpu_seconds(whoami.child.id()), whoami.log().lines().count());
    let share = (cpu1 - cpu0) / 2.0;
    assert!(share < 0.05, "whoami used {:.1} % CPU while out of descriptors", share * 100.0);
    assert!(lines1 - lines0 <= 4, "{} log lines in 2 s:\n{}", lines1 - lines0, whoami.log());
    assert!(whoami.log().contains("accept failed"), "{}", whoami.log());
    drop(held);
    let served = tokio::time::timeout(Duration::from_secs(10), whoami.get(b"", "/")).await;
    let served = served.expect("served again once descriptors were free");
    assert!(body(&served)["client"].is_string(), "{served}");
    println!(
        "CPU while out of descriptors: {:.2} %, {} log lines in 2 s",
        share * 100.0,
        lines1 - lines0
    );
}
