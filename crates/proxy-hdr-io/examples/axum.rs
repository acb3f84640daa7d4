//! An axum app behind a load balancer that sends the PROXY protocol (an AWS
//! NLB, HAProxy `send-proxy-v2`, nginx `proxy_protocol on`): handlers get
//! the real client through `ConnectInfo<ClientInfo>`.
//!
//! `cargo run -p proxy-hdr-io --features axum --example axum -- 127.0.0.1:8080`
//! then `curl --haproxy-protocol http://127.0.0.1:8080/`.

use axum::Router;
use axum::extract::ConnectInfo;
use axum::routing::get;
use proxy_hdr_io::listener::{ClientInfo, ProxyListener};
use proxy_hdr_io::{CidrList, Config, Untrusted};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let listen = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:8080".into());
    let tcp = tokio::net::TcpListener::bind(&listen).await?;
    // Headers only from the load balancer (here: loopback).
    let proxies: CidrList<2> = CidrList::loopback().map_err(std::io::Error::other)?;
    let config = Config::new().with_trusted(proxies, Untrusted::Reject);
    let listener = ProxyListener::new(tcp, config);
    let app = Router::new().route(
        "/",
        get(|ConnectInfo(info): ConnectInfo<ClientInfo>| async move {
            format!("client {} via {}\n", shown(info.client), shown(info.peer))
        }),
    );
    eprintln!(
        "axum example: listening on http://{}/",
        listener.local_addr().map_or(listen, |a| a.to_string())
    );
    axum::serve(listener, app.into_make_service_with_connect_info::<ClientInfo>()).await
}

fn shown(addr: Option<std::net::SocketAddr>) -> String {
    addr.map_or_else(|| "a unix socket".into(), |a| a.to_string())
}
