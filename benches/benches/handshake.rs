//! TLS 1.3 handshakes on loopback, in one run: the TLS listener
//! (`ProxyTlsListener`) with a v2 header, the same listener without one
//! (`Optional`), and a bare tokio-rustls accept loop (accept, spawn,
//! handshake).
//!
//! `cargo bench -p proxy-hdr-bench --bench handshake`. One connection is:
//! connect, (header,) handshake, one byte from the server, reset. Two
//! measurements: criterion's wall time per connection, then the server's
//! CPU time per handshake. The server runtime is one thread, so its CPU
//! clock (`CLOCK_THREAD_CPUTIME_ID`, read on that thread) is the whole
//! server's cost; the servers take turns in rounds so that drift on this
//! shared machine hits each alike.
//!
//! CPU time on a shared VM varies by ±15% between rounds; instruction counts
//! do not. `HANDSHAKE_ONLY=<case>` runs one case alone, so that
//! `valgrind --tool=callgrind --separate-threads=yes` on the bench binary
//! (`--bench none` skips criterion) gives the server thread's instructions
//! (its `-02` file) for 2000 handshakes.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use proxy_hdr::v2::Header;
use proxy_hdr::{Addresses, Protocol};
use proxy_hdr_io::{Config, Policy};
use proxy_hdr_rustls::{ProxyTlsAcceptor, ProxyTlsListener};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::{Handle, Runtime};
use tokio_rustls::{TlsAcceptor, TlsConnector};

/// Rounds of the CPU measurement, and handshakes per server per round.
const ROUNDS: usize = 10;
const PER_ROUND: usize = 200;

/// Which server the connection meets.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Server {
    /// `ProxyTlsListener` under `Optional`.
    Listener,
    /// A bare `tokio_rustls::TlsAcceptor` loop, no PROXY support at all.
    Plain,
}

/// The listener: setups in their own tasks, ready connections handed out,
/// each answered in a task of its own.
async fn serve_listener(tcp: TcpListener, tls: Arc<rustls::ServerConfig>) {
    let acceptor = ProxyTlsAcceptor::new(tls, Config::new().with_policy(Policy::Optional));
    let mut listener = ProxyTlsListener::new(tcp, acceptor);
    while let Ok(conn) = listener.accept().await {
        tokio::spawn(async move {
            let (mut tls, _info) = conn.into_parts();
            let _ = tls.write_all(b"k").await;
        });
    }
}

/// What a server without this project does.
async fn serve_plain(tcp: TcpListener, tls: Arc<rustls::ServerConfig>) {
    let acceptor = TlsAcceptor::from(tls);
    while let Ok((conn, _)) = tcp.accept().await {
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            if let Ok(mut tls) = acceptor.accept(conn).await {
                let _ = tls.write_all(b"k").await;
            }
        });
    }
}

async fn one_handshake(server: SocketAddr, header: &[u8], connector: &TlsConnector) {
    let mut tcp = TcpStream::connect(server).await.expect("connect");
    tcp.set_nodelay(true).expect("nodelay");
    if !header.is_empty() {
        tcp.write_all(header).await.expect("the header");
    }
    let name = ServerName::try_from("localhost").expect("a name");
    let mut tls = connector.connect(name, tcp).await.expect("a handshake");
    let mut answer = [0u8; 1];
    tls.read_exact(&mut answer).await.expect("the answer");
    // Reset rather than close: no TIME_WAIT, so ports never run out.
    tls.get_ref().0.set_zero_linger().expect("linger");
}

/// The CPU time the calling thread has used.
fn thread_cpu() -> Duration {
    let t = nix::time::clock_gettime(nix::time::ClockId::CLOCK_THREAD_CPUTIME_ID).expect("a clock");
    Duration::new(t.tv_sec() as u64, t.tv_nsec() as u32)
}

/// The server thread's CPU time, read on it.
fn server_cpu(server: &Handle, client: &Runtime) -> Duration {
    client.block_on(server.spawn(async { thread_cpu() })).expect("the server thread")
}

struct Pki {
    server: Arc<rustls::ServerConfig>,
    connector: TlsConnector,
}

fn pki() -> Pki {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).expect("a cert");
    let der: CertificateDer<'static> = cert.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(cert.signing_key.serialize_der().into());
    let server = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("ring")
        .with_no_client_auth()
        .with_single_cert(vec![der.clone()], key)
        .expect("a server config");
    let mut roots = rustls::RootCertStore::empty();
    roots.add(der).expect("the root");
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .expect("TLS 1.3")
        .with_root_certificates(roots)
        .with_no_client_auth();
    Pki { server: Arc::new(server), connector: TlsConnector::from(Arc::new(client)) }
}

/// One benchmarked case: a running server and what the client sends first.
struct Case {
    name: &'static str,
    addr: SocketAddr,
    header: Vec<u8>,
}

/// Starts the three servers on a one-thread runtime of their own.
fn start(pki: &Pki) -> (Handle, Vec<Case>) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    let handle = rt.handle().clone();
    std::thread::spawn(move || rt.block_on(std::future::pending::<()>()));
    let mut cases = Vec::new();
    for (name, server) in [
        ("listener_v2_header", Server::Listener),
        ("listener_no_header", Server::Listener),
        ("plain_tokio_rustls", Server::Plain),
    ] {
        let std = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback listener");
        std.set_nonblocking(true).expect("nonblocking");
        let addr = std.local_addr().expect("its address");
        let tls = pki.server.clone();
        handle.spawn(async move {
            let tcp = TcpListener::from_std(std).expect("a tokio listener");
            match server {
                Server::Listener => serve_listener(tcp, tls).await,
                Server::Plain => serve_plain(tcp, tls).await,
            }
        });
        let header = if name == "listener_v2_header" {
            let SocketAddr::V4(destination) = addr else { unreachable!("127.0.0.1") };
            let h = Header::proxy(
                Protocol::Stream,
                Addresses::Inet { source: "203.0.113.7:40000".parse().expect("v4"), destination },
            );
            let mut wire = vec![0u8; h.encoded_len()];
            h.write(&mut wire).expect("a header");
            wire
        } else {
            Vec::new()
        };
        cases.push(Case { name, addr, header });
    }
    (handle, cases)
}

fn handshakes(c: &mut Criterion) {
    let pki = pki();
    let (server, cases) = start(&pki);
    let client =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");

    let mut group = c.benchmark_group("handshake");
    for case in &cases {
        group.bench_function(case.name, |b| {
            b.iter(|| client.block_on(one_handshake(case.addr, &case.header, &pki.connector)))
        });
    }
    group.finish();

    // Server CPU per handshake, the servers taking turns.
    let mut cpu = vec![Duration::ZERO; cases.len()];
    let mut wall = vec![Duration::ZERO; cases.len()];
    let mut rounds = vec![Vec::new(); cases.len()];
    // `HANDSHAKE_ONLY=name` measures one server alone (under strace, say).
    let only = std::env::var("HANDSHAKE_ONLY").ok();
    for _ in 0..ROUNDS {
        for (i, case) in cases.iter().enumerate() {
            if only.as_deref().is_some_and(|o| o != case.name) {
                continue;
            }
            let (cpu0, wall0) = (server_cpu(&server, &client), Instant::now());
            for _ in 0..PER_ROUND {
                client.block_on(one_handshake(case.addr, &case.header, &pki.connector));
            }
            // The last answer's task may still be finishing: let it.
            std::thread::sleep(Duration::from_millis(5));
            let spent = server_cpu(&server, &client) - cpu0;
            wall[i] += wall0.elapsed();
            cpu[i] += spent;
            rounds[i].push(spent.as_secs_f64() * 1e6 / PER_ROUND as f64);
        }
    }
    let n = (ROUNDS * PER_ROUND) as f64;
    let bare = cpu[cases.len() - 1].as_secs_f64() * 1e6 / n;
    if only.is_some() {
        return;
    }
    println!(
        "server CPU per handshake ({} each, {ROUNDS} interleaved rounds):",
        ROUNDS * PER_ROUND
    );
    for (i, case) in cases.iter().enumerate() {
        let per = cpu[i].as_secs_f64() * 1e6 / n;
        let (lo, hi) = rounds[i].iter().fold((f64::MAX, 0f64), |(l, h), r| (l.min(*r), h.max(*r)));
        println!(
            "  {:<20} {per:7.1} µs ({:+.1}% vs the bare loop; rounds {lo:.1}..{hi:.1}), {:.0} handshakes/s",
            case.name,
            (per / bare - 1.0) * 100.0,
            n / wall[i].as_secs_f64()
        );
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .sample_size(30);
    targets = handshakes
}
criterion_main!(benches);
