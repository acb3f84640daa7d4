#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)
)]

mod blocking;
mod error;
#[cfg(feature = "tokio")]
mod tokio_acceptor;

pub use blocking::{Accepted, accept, accept_from};
pub use error::Error;
#[cfg(feature = "tokio")]
pub use tokio_acceptor::{ProxyTlsAcceptor, ReplayStream, TlsAccepted, accept_lazy};

pub use {proxy_hdr, proxy_hdr_io, rustls};

/// Room for a header's TLVs in the owned copy kept per connection: as much as
/// the driver's default size limit allows.
pub const HEADER_CAPACITY: usize = proxy_hdr_io::DEFAULT_MAX_HEADER_LEN;

/// The PROXY header of an accepted connection, owned (no allocation, fixed
/// capacity); `header()` gives the parsed view.
pub type Header = proxy_hdr::OwnedHeader<HEADER_CAPACITY>;

fn owned(header: Option<&proxy_hdr::Header<'_>>) -> Result<Option<Header>, Error> {
    header.map(|h| Header::try_from(h).map_err(Error::HeaderCapacity)).transpose()
}

/// A `ServerConfig` builder on the ring provider: the one provider this
/// crate puts in the dependency graph, chosen explicitly so that no process
/// default is needed.
pub fn server_config_builder()
-> Result<rustls::ConfigBuilder<rustls::ServerConfig, rustls::WantsVerifier>, rustls::Error> {
    rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
}
