//! The peers' adapters, one module per crate. Each parses a buffer through
//! the crate's public API, as a caller would, then reads both addresses and
//! walks every TLV (and SSL sub-TLV) the crate exposes into a [`Fold`],
//! exactly as [`crate::proxy_hdr_walk`] does for proxy-hdr.
//!
//! [`Fold`]: crate::Fold

pub(crate) mod ppp;
pub(crate) mod proxy_header;
pub(crate) mod proxy_protocol;
pub(crate) mod proxy_protocol_codec;
