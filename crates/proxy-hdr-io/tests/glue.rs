//! The listener in axum and tonic, over real sockets: handlers see the real
//! client that the PROXY header named, never the proxy's address.

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::ConnectInfo;
use axum::routing::get;
use common::V1_TCP4;
use proxy_hdr_io::Config;
use proxy_hdr_io::listener::{ClientInfo, ProxyListener};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[tokio::test]
async fn axum_handlers_get_the_real_client() {
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = tcp.local_addr().unwrap();
    let app = Router::new().route(
        "/",
        get(|ConnectInfo(info): ConnectInfo<ClientInfo>| async move {
            format!("client={:?} peer={:?}", info.client, info.peer.map(|p| p.ip()))
        }),
    );
    let listener = ProxyListener::new(tcp, Config::new());
    tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<ClientInfo>()).await
    });
    // A silent peer first: axum's accept must not wait on it.
    let _silent = TcpStream::connect(addr).await.unwrap();
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(&[V1_TCP4, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"].concat())
        .await
        .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("client=Some(192.0.2.7:56324) peer=Some(127.0.0.1)"), "{answer}");
}

/// tonic's `Connected`: the connection's `ClientInfo` is in every request's
/// extensions, here read by an interceptor in front of the gRPC health
/// service, reached over h2c through a PROXY v2 header.
#[tokio::test]
async fn tonic_requests_carry_the_client_info() {
    use tonic_health::pb::HealthCheckRequest;
    use tonic_health::pb::health_client::HealthClient;

    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = tcp.local_addr().unwrap();
    let seen: Arc<Mutex<Vec<Option<SocketAddr>>>> = Arc::default();
    let record = seen.clone();
    let (_reporter, health) = tonic_health::server::health_reporter();
    let listener = ProxyListener::new(tcp, Config::new());
    tokio::spawn(async move {
        tonic::transport::Server::builder()
            .layer(tonic::service::InterceptorLayer::new(move |req: tonic::Request<()>| {
                let client = req.extensions().get::<ClientInfo>().and_then(|i| i.client);
                record.lock().unwrap().push(client);
                Ok(req)
            }))
            .add_service(health)
            .serve_with_incoming(listener)
            .await
    });

    let header = {
        let h = proxy_hdr::v2::Header::proxy(
            proxy_hdr::Protocol::Stream,
            proxy_hdr::Addresses::Inet {
                source: "198.51.100.23:41000".parse().unwrap(),
                destination: "192.0.2.1:50051".parse().unwrap(),
            },
        );
        let mut out = vec![0u8; h.encoded_len()];
        h.write(&mut out).unwrap();
        out
    };
    // The client side of a proxy: the header, then h2c on the same socket.
    let channel = tonic::transport::Endpoint::from_static("http://proxied.example")
        .connect_with_connector(tower::service_fn(move |_| {
            let header = header.clone();
            async move {
                let mut s = TcpStream::connect(addr).await?;
                s.write_all(&header).await?;
                Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(s))
            }
        }))
        .await
        .unwrap();
    let mut client = HealthClient::new(channel);
    let reply = client.check(HealthCheckRequest { service: String::new() }).await.unwrap();
    assert_eq!(reply.into_inner().status, 1, "SERVING");
    assert_eq!(*seen.lock().unwrap(), [Some("198.51.100.23:41000".parse().unwrap())]);
}
