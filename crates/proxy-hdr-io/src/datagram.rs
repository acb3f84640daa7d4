//! PROXY v2 over UDP: every datagram starts with its own header (§2.2,
//! DGRAM), so a datagram is split, not streamed.

use core::convert::Infallible;
use core::net::IpAddr;

use proxy_hdr::Status;

use crate::config::Config;
use crate::engine::{self, Accepted, Framing};
use crate::error::Error;
use crate::trust::Trust;

/// Splits one received datagram into its header and payload, with the same
/// policy and trust checks as a stream. A datagram is whole, so a header cut
/// short is [`Error::Truncated`], never "read more".
///
/// ```
/// use proxy_hdr_io::{split_datagram, Config};
/// let mut datagram = Vec::new();
/// let header = proxy_hdr::v2::Header::proxy(
///     proxy_hdr::v2::Protocol::Dgram,
///     proxy_hdr::v2::Addresses::Inet {
///         source: "192.0.2.1:5353".parse().unwrap(),
///         destination: "198.51.100.1:53".parse().unwrap(),
///     },
/// );
/// datagram.resize(header.encoded_len(), 0);
/// header.write(&mut datagram).unwrap();
/// datagram.extend_from_slice(b"payload");
///
/// let accepted = split_datagram(&datagram, None, &Config::new()).unwrap();
/// assert_eq!(accepted.header.unwrap().source(), Some("192.0.2.1:5353".parse().unwrap()));
/// assert_eq!(accepted.leftover, b"payload");
/// ```
pub fn split_datagram<'d, T: Trust>(
    datagram: &'d [u8],
    peer: Option<IpAddr>,
    config: &Config<T>,
) -> Result<Accepted<'d>, Error<Infallible>> {
    let framing = match proxy_hdr::parse(datagram) {
        Ok(Status::Complete { len, .. }) if len > config.limit() => {
            return Err(Error::TooLarge { limit: config.limit() });
        }
        Ok(Status::Complete { len, .. }) => Framing::Header(len),
        Ok(Status::Incomplete { .. }) => return Err(Error::Truncated { received: datagram.len() }),
        Err(proxy_hdr::Error::NotProxy) => engine::frame(datagram, datagram.len(), config)?,
        Err(e) => return Err(Error::Invalid(e)),
    };
    engine::finish(datagram, framing, peer, config)
}
