//! Debug-level events, through `log`, `tracing` or `defmt` when enabled;
//! nothing per byte. Only this crate's own words and addresses reach a log
//! line, never bytes the peer sent.

use core::net::IpAddr;

use proxy_hdr::Header;

#[allow(unused_variables)] // without a logging feature the events go nowhere
pub(crate) fn accepted(header: &Header<'_>) {
    let version = if header.version() == proxy_hdr::Version::V1 { 1u8 } else { 2 };
    #[cfg(feature = "log")]
    log::debug!(
        "PROXY v{version} header accepted: {:?} -> {:?}",
        header.source(),
        header.destination()
    );
    #[cfg(feature = "tracing")]
    tracing::debug!(version, source = ?header.source(), destination = ?header.destination(), "PROXY header accepted");
    #[cfg(feature = "defmt")]
    defmt::debug!("PROXY v{=u8} header accepted", version);
}

#[allow(unused_variables)] // without a logging feature the events go nowhere
pub(crate) fn rejected(e: proxy_hdr::Error) {
    #[cfg(feature = "log")]
    log::debug!("PROXY header rejected: {e}");
    #[cfg(feature = "tracing")]
    tracing::debug!(rule = e.code(), "PROXY header rejected: {e}");
    #[cfg(feature = "defmt")]
    defmt::debug!("PROXY header rejected: {=str}", e.code());
}

#[allow(unused_variables)] // without a logging feature the events go nowhere
pub(crate) fn untrusted(peer: Option<IpAddr>) {
    #[cfg(feature = "log")]
    log::debug!("PROXY header from untrusted peer {peer:?}");
    #[cfg(feature = "tracing")]
    tracing::debug!(peer = ?peer, "PROXY header from an untrusted peer");
    #[cfg(feature = "defmt")]
    defmt::debug!("PROXY header from an untrusted peer");
}

pub(crate) fn no_header() {
    #[cfg(feature = "log")]
    log::debug!("no PROXY header; bytes go to the next protocol");
    #[cfg(feature = "tracing")]
    tracing::debug!("no PROXY header; bytes go to the next protocol");
    #[cfg(feature = "defmt")]
    defmt::debug!("no PROXY header");
}

pub(crate) fn not_proxy() {
    #[cfg(feature = "log")]
    log::debug!("connection does not start with a PROXY header, which is required");
    #[cfg(feature = "tracing")]
    tracing::debug!("connection does not start with a PROXY header, which is required");
    #[cfg(feature = "defmt")]
    defmt::debug!("no PROXY header, and one is required");
}
