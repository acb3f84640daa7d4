//! A gRPC service (tonic's health service) behind a load balancer that
//! sends the PROXY protocol, over h2c: every request's extensions carry the
//! connection's `ClientInfo`, read here by an interceptor.
//!
//! `cargo run -p proxy-hdr-io --features tonic --example tonic -- 127.0.0.1:50051`

use proxy_hdr_io::Config;
use proxy_hdr_io::listener::{ClientInfo, ProxyListener};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let listen = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:50051".into());
    let tcp = tokio::net::TcpListener::bind(&listen).await?;
    eprintln!("tonic example: listening on {}", tcp.local_addr()?);
    let (_reporter, health) = tonic_health::server::health_reporter();
    tonic::transport::Server::builder()
        .layer(tonic::service::InterceptorLayer::new(|req: tonic::Request<()>| {
            let info = req.extensions().get::<ClientInfo>();
            eprintln!("gRPC request from {:?}", info.and_then(|i| i.client));
            Ok(req)
        }))
        .add_service(health)
        .serve_with_incoming(ProxyListener::new(tcp, Config::new()))
        .await?;
    Ok(())
}
