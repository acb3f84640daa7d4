#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)
)]

mod accepted;
mod blocking;
mod connector;
mod error;
#[cfg(feature = "listener")]
mod listener;
#[cfg(feature = "tokio")]
mod tokio_acceptor;

pub use accepted::Accepted;
#[cfg(feature = "tokio")]
pub use connector::HeaderFirst;
pub use connector::ProxyTlsConnector;
#[cfg(feature = "ring")]
pub use connector::client_config_builder;
pub use error::{Error, Stage};
#[cfg(feature = "listener")]
pub use listener::ProxyTlsListener;
#[cfg(feature = "tokio")]
pub use tokio_acceptor::{Replay, accept_lazy};

pub use {proxy_hdr, proxy_hdr_io, rustls};

use std::sync::Arc;

use proxy_hdr_io::{AnyPeer, Config, Trust};
use rustls::ServerConfig;

/// A TLS acceptor that reads the PROXY header first: every byte that came
/// after the header is handed to rustls before the socket is read again.
///
/// The config's setup deadline bounds the header and the handshake together
/// (the header's own deadline runs inside it): a peer that sends one byte
/// and goes silent, or stalls in the middle of its ClientHello, is cut off.
/// Call [`accept`](Self::accept) in each connection's task, not in the
/// accept loop, or use a listener that does.
#[derive(Clone)]
pub struct ProxyTlsAcceptor<T = AnyPeer> {
    tls: Arc<ServerConfig>,
    config: Arc<Config<T>>,
}

impl<T: Trust> ProxyTlsAcceptor<T> {
    /// An acceptor for `tls`, reading headers under `config`.
    pub fn new(tls: Arc<ServerConfig>, config: Config<T>) -> Self {
        ProxyTlsAcceptor { tls, config: Arc::new(config) }
    }

    /// The header config in force.
    pub fn config(&self) -> &Config<T> {
        &self.config
    }

    /// The TLS config in force.
    pub fn tls_config(&self) -> &Arc<ServerConfig> {
        &self.tls
    }
}

impl<T> std::fmt::Debug for ProxyTlsAcceptor<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyTlsAcceptor").finish_non_exhaustive()
    }
}

/// A `ServerConfig` builder on the ring provider (feature `ring`), chosen
/// explicitly so that no process default is needed. Without the feature,
/// build your `ServerConfig` with the provider of your choice.
#[cfg(feature = "ring")]
pub fn server_config_builder()
-> Result<rustls::ConfigBuilder<ServerConfig, rustls::WantsVerifier>, rustls::Error> {
    ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
}

/// The setup's two deadlines from now: the header's (inside the setup's)
/// and the whole setup's; `None` for none.
pub(crate) fn deadlines<T: Trust>(
    config: &Config<T>,
) -> (Option<std::time::Instant>, Option<std::time::Instant>) {
    let now = std::time::Instant::now();
    let setup = config.setup_timeout().and_then(|t| now.checked_add(t));
    let header = config.header_timeout().and_then(|t| now.checked_add(t));
    let header = match (header, setup) {
        (Some(h), Some(s)) => Some(h.min(s)),
        (h, s) => h.or(s),
    };
    (header, setup)
}
