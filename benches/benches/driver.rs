//! What the driver costs on top of the parser, and what a PROXY header costs
//! a loopback connection.
//!
//! `cargo bench -p proxy-hdr-bench --bench driver`:
//! - `driver/<input>/{parse,read_header}`: `proxy_hdr::parse` on bytes in
//!   memory vs. `proxy_hdr_io::read_header` pulling the same bytes from an
//!   in-memory `embedded_io::Read` into a fixed 512-byte buffer.
//! - `loopback/{no_header,v2_header}`: one whole TCP connection on 127.0.0.1
//!   (connect, a 64-byte payload, a 1-byte answer, reset), with the server
//!   reading the payload directly or through `read_header_tokio` and
//!   `Rewind`.

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use proxy_hdr_bench::{PAYLOAD, inputs};
use proxy_hdr_io::{Config, Rewind, read_header, read_header_tokio};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

fn in_memory(c: &mut Criterion) {
    let config = Config::new().with_header_timeout(None);
    for input in inputs()
        .into_iter()
        .filter(|i| ["v1_tcp4", "v2_tcp4", "v2_tcp6_tlvs_crc"].contains(&i.name))
    {
        let mut group = c.benchmark_group(format!("driver/{}", input.name));
        let bytes = input.bytes.as_slice();
        // Both sides hand the whole header on (`black_box`), as a server
        // would, so neither is measured with its decoding optimised away.
        group.bench_function("parse", |b| {
            b.iter(|| match proxy_hdr::parse(black_box(bytes)) {
                Ok(proxy_hdr::Status::Complete { header, len }) => {
                    black_box(&header);
                    len
                }
                other => panic!("{other:?}"),
            })
        });
        group.bench_function("read_header", |b| {
            let mut buf = [0u8; 512];
            b.iter(|| {
                let mut stream = black_box(bytes);
                match read_header(&mut stream, None, &mut buf, &config) {
                    Ok(accepted) => {
                        black_box(&accepted.header);
                        accepted.header_len + accepted.leftover.len()
                    }
                    Err(e) => panic!("{e:?}"),
                }
            })
        });
        group.finish();
    }
}

/// A loopback server answering each connection's 64-byte payload with one
/// byte, reading a PROXY header first when `header`.
async fn serve(listener: TcpListener, header: bool) {
    loop {
        let Ok((mut conn, _)) = listener.accept().await else { return };
        tokio::spawn(async move {
            let mut payload = [0u8; PAYLOAD.len()];
            if header {
                let mut buf = [0u8; 512];
                let accepted =
                    read_header_tokio(&mut conn, &mut buf, &Config::new()).await.expect("a header");
                assert!(accepted.header.is_some());
                // The payload through the replaying stream, the answer through it too.
                let mut rest = Rewind::new(&mut conn, accepted.leftover);
                rest.read_exact(&mut payload).await.expect("the payload");
                assert_eq!(payload, PAYLOAD);
                rest.write_all(b"k").await.expect("the answer");
            } else {
                conn.read_exact(&mut payload).await.expect("the payload");
                assert_eq!(payload, PAYLOAD);
                conn.write_all(b"k").await.expect("the answer");
            }
        });
    }
}

async fn one_connection(server: SocketAddr, wire: &[u8]) {
    let mut tcp = TcpStream::connect(server).await.expect("connect");
    tcp.set_nodelay(true).expect("nodelay");
    tcp.write_all(wire).await.expect("write");
    let mut answer = [0u8; 1];
    tcp.read_exact(&mut answer).await.expect("the answer");
    // Reset rather than close: no TIME_WAIT, so ports never run out.
    tcp.set_zero_linger().expect("linger");
}

fn loopback(c: &mut Criterion) {
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let client_rt =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    let v2 = inputs().into_iter().find(|i| i.name == "v2_tcp4").expect("the v2_tcp4 input");
    let mut group = c.benchmark_group("loopback");
    for (name, header, wire) in
        [("no_header", false, PAYLOAD.to_vec()), ("v2_header", true, v2.bytes.clone())]
    {
        let listener =
            server_rt.block_on(TcpListener::bind("127.0.0.1:0")).expect("a loopback listener");
        let addr = listener.local_addr().expect("its address");
        server_rt.spawn(serve(listener, header));
        group.bench_function(name, |b| b.iter(|| client_rt.block_on(one_connection(addr, &wire))));
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50);
    targets = in_memory, loopback
}
criterion_main!(benches);
