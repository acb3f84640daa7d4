//! Debug-level events, through `log` or `defmt` when enabled; nothing per byte.

use core::net::IpAddr;

use proxy_hdr::Header;

#[allow(unused_variables)] // without a logging feature the events go nowhere
pub(crate) fn accepted(header: &Header<'_>) {
    #[cfg(feature = "log")]
    log::debug!(
        "PROXY v{} header accepted: {:?} -> {:?}",
        if header.version() == proxy_hdr::Version::V1 { 1 } else { 2 },
        header.source(),
        header.destination()
    );
    #[cfg(feature = "defmt")]
    defmt::debug!(
        "PROXY v{=u8} header accepted",
        if header.version() == proxy_hdr::Version::V1 { 1 } else { 2 }
    );
}

#[allow(unused_variables)] // without a logging feature the events go nowhere
pub(crate) fn rejected(e: proxy_hdr::Error) {
    #[cfg(feature = "log")]
    log::debug!("PROXY header rejected: {e}");
    #[cfg(feature = "defmt")]
    defmt::debug!("PROXY header rejected: {=str}", e.code());
}

#[allow(unused_variables)] // without a logging feature the events go nowhere
pub(crate) fn untrusted(peer: IpAddr) {
    #[cfg(feature = "log")]
    log::debug!("PROXY header from untrusted peer {peer}");
    #[cfg(feature = "defmt")]
    defmt::debug!("PROXY header from an untrusted peer");
}

pub(crate) fn no_header() {
    #[cfg(feature = "log")]
    log::debug!("no PROXY header; bytes go to the next protocol");
    #[cfg(feature = "defmt")]
    defmt::debug!("no PROXY header");
}
