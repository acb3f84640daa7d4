//! Serving one ready connection: HTTP/1.1 or HTTP/2 (by ALPN) through axum,
//! under the idle and write timeouts and a bound on the request head.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Extension, State};
use axum::http::{StatusCode, Version, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use proxy_hdr_io::listener::{Connection, Stats};
use proxy_hdr_rustls::Replay;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::server::TlsStream;

use crate::idle::Idle;
use crate::report;

/// The largest request head accepted; a larger one is answered 431 (HTTP/1.1)
/// or refused by HTTP/2's header-list limit, and the connection closed.
const MAX_HEAD: usize = 16 * 1024;

/// The per-connection time limits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub idle: Duration,
    pub write: Duration,
}

/// Serves requests on `conn` until the client is done or a limit is hit.
pub(crate) async fn connection<S>(
    conn: Connection<TlsStream<Replay<S>>>,
    stats: Arc<Stats>,
    limits: Limits,
    local: String,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let facts = Arc::new(report::Connection::new(conn.info(), conn.get_ref().get_ref().1, &local));
    let (client, peer) = (facts.client.clone(), facts.peer.clone());
    let app = Router::new()
        .route("/stats", get(stats_json))
        .fallback(whoami)
        .layer(Extension(facts))
        .with_state(stats);
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.idle)
        .max_buf_size(MAX_HEAD);
    builder.http2().timer(TokioTimer::new()).max_header_list_size(MAX_HEAD as u32);
    let io = TokioIo::new(Idle::new(conn, limits.idle, limits.write));
    let outcome = builder.serve_connection(io, TowerToHyperService::new(app)).await;
    match outcome {
        Ok(()) => tracing::info!("served {client} via {peer}"),
        Err(e) => tracing::info!("served {client} via {peer}, then: {e}"),
    }
}

async fn whoami(
    version: Version,
    Extension(facts): Extension<Arc<report::Connection>>,
) -> Response {
    let http = if version == Version::HTTP_2 { "2" } else { "1.1" };
    json(format!("{:#}\n", facts.answer(http)))
}

async fn stats_json(State(stats): State<Arc<Stats>>) -> Response {
    json(format!("{:#}\n", report::stats(&stats)))
}

fn json(body: String) -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}
