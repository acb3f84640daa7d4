//! PROXY v2 over UDP: a datagram is split, not streamed (§2.2, DGRAM).

use core::convert::Infallible;
use core::net::IpAddr;

use proxy_hdr::{Frame, Protocol, Version};

use crate::config::{Config, Policy};
use crate::engine::{self, Accepted, Ready};
use crate::error::Error;
use crate::trust::Trust;

/// Splits one received datagram from `peer` into its header and payload,
/// with the same policy and trust checks as a stream.
///
/// A datagram is whole, so a header cut short is [`Error::Truncated`], never
/// "read more"; a datagram header must be v2 and say DGRAM (or LOCAL or
/// UNSPEC), else [`Error::WrongTransport`]. Under `Optional`, a datagram that
/// is only a strict prefix of a signature (a one-byte `P`) is payload.
///
/// ```
/// use proxy_hdr::{Addresses, Protocol};
/// use proxy_hdr_io::{split_datagram, Config};
/// let header = proxy_hdr::v2::Header::proxy(Protocol::Dgram, Addresses::Inet {
///     source: "192.0.2.1:5353".parse().unwrap(),
///     destination: "198.51.100.1:53".parse().unwrap(),
/// });
/// let mut datagram = vec![0u8; header.encoded_len()];
/// header.write(&mut datagram).unwrap();
/// datagram.extend_from_slice(b"payload");
///
/// let relay = Some("127.0.0.1".parse().unwrap());
/// let accepted = split_datagram(&datagram, relay, &Config::new()).unwrap();
/// assert_eq!(accepted.header.unwrap().source(), Some("192.0.2.1:5353".parse().unwrap()));
/// assert_eq!(accepted.leftover, b"payload");
/// ```
pub fn split_datagram<'d, T: Trust>(
    datagram: &'d [u8],
    peer: Option<IpAddr>,
    config: &Config<T>,
) -> Result<Accepted<'d>, Error<Infallible>> {
    let limit = config.max_header_len();
    let policy = config.policy();
    // Under `Refuse` a whole signature decides before any length, as on streams.
    if let Some(version) = engine::signature_complete(datagram).filter(|_| policy == Policy::Refuse)
    {
        return Err(Error::Unexpected { version });
    }
    let ready = match proxy_hdr::frame(datagram) {
        Ok(Frame::Whole(framed)) if framed.len() > limit => return Err(Error::TooLarge { limit }),
        Ok(Frame::Whole(framed)) => {
            if framed.version() == Version::V1 || framed.protocol() == Some(Protocol::Stream) {
                return Err(Error::WrongTransport);
            }
            // The body is checked by `finish`, after trust.
            Ready::Framed(framed.len())
        }
        Ok(Frame::Partial { .. }) => match (policy, engine::signature_complete(datagram)) {
            (_, Some(_)) => return Err(Error::Truncated { received: datagram.len() }),
            // Only a strict prefix of a signature: a payload that starts
            // with `P` or `\r`, not a cut header.
            (Policy::Require, None) => return Err(Error::NotProxy { received: datagram.len() }),
            (_, None) => Ready::NoHeader,
        },
        Err(proxy_hdr::Error::NotProxy) if policy == Policy::Require => {
            return Err(Error::NotProxy { received: datagram.len() });
        }
        Err(proxy_hdr::Error::NotProxy) => Ready::NoHeader,
        Err(_) if policy == Policy::Refuse => {
            let version = if datagram.first() == Some(&b'P') { Version::V1 } else { Version::V2 };
            return Err(Error::Unexpected { version });
        }
        Err(e) => return Err(Error::Invalid(e)),
    };
    engine::finish(datagram, ready, peer, config)
}
