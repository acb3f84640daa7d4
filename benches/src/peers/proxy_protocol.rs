//! proxy-protocol: addresses only.

use std::net::SocketAddr;

use crate::{Fold, Outcome};

/// proxy-protocol skips TLVs without exposing them: addresses only.
pub(crate) fn parse(buf: &[u8]) -> Option<Outcome> {
    use proxy_protocol::{ProxyHeader, version1, version2};
    let mut rest = buf;
    let header = proxy_protocol::parse(&mut rest).ok()?;
    let len = buf.len() - rest.len();
    let mut f = Fold(0);
    let pair: Option<(SocketAddr, SocketAddr)> = match header {
        ProxyHeader::Version1 {
            addresses: version1::ProxyAddresses::Ipv4 { source, destination },
        } => Some((source.into(), destination.into())),
        ProxyHeader::Version1 {
            addresses: version1::ProxyAddresses::Ipv6 { source, destination },
        } => Some((source.into(), destination.into())),
        ProxyHeader::Version2 {
            command: version2::ProxyCommand::Proxy,
            addresses: version2::ProxyAddresses::Ipv4 { source, destination },
            ..
        } => Some((source.into(), destination.into())),
        ProxyHeader::Version2 {
            command: version2::ProxyCommand::Proxy,
            addresses: version2::ProxyAddresses::Ipv6 { source, destination },
            ..
        } => Some((source.into(), destination.into())),
        _ => None,
    };
    if let Some((s, d)) = pair {
        f.addrs(s, d);
    }
    Some(Outcome {
        len,
        source: pair.map(|(s, _)| s),
        digest: f.0,
        walks_tlvs: false,
        walks_ssl: false,
    })
}
