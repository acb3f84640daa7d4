//! ppp: its version-detecting entry point and its per-version parsers. It
//! has no SSL type, so the adapter splits the SSL value's fixed fields and
//! walks the sub-TLVs with ppp's own TLV iterator.

use std::net::SocketAddr;

use crate::{Fold, Outcome};

fn v1_outcome(h: &ppp::v1::Header<'_>) -> Outcome {
    let mut f = Fold(0);
    let source = match h.addresses {
        ppp::v1::Addresses::Tcp4(a) => {
            let (s, d) = (
                SocketAddr::from((a.source_address, a.source_port)),
                SocketAddr::from((a.destination_address, a.destination_port)),
            );
            f.addrs(s, d);
            Some(s)
        }
        ppp::v1::Addresses::Tcp6(a) => {
            let (s, d) = (
                SocketAddr::from((a.source_address, a.source_port)),
                SocketAddr::from((a.destination_address, a.destination_port)),
            );
            f.addrs(s, d);
            Some(s)
        }
        ppp::v1::Addresses::Unknown => None,
    };
    Outcome { len: h.header.len(), source, digest: f.0, walks_tlvs: true, walks_ssl: true }
}

fn v2_outcome(h: &ppp::v2::Header<'_>) -> Option<Outcome> {
    use ppp::v2::{Addresses as A, TypeLengthValues};
    let mut f = Fold(0);
    let source = match h.addresses {
        A::IPv4(a) => {
            let (s, d) = (
                SocketAddr::from((a.source_address, a.source_port)),
                SocketAddr::from((a.destination_address, a.destination_port)),
            );
            f.addrs(s, d);
            Some(s)
        }
        A::IPv6(a) => {
            let (s, d) = (
                SocketAddr::from((a.source_address, a.source_port)),
                SocketAddr::from((a.destination_address, a.destination_port)),
            );
            f.addrs(s, d);
            Some(s)
        }
        A::Unspecified | A::Unix(_) => None,
    };
    // ppp reports no addresses for LOCAL only through the command.
    let source = if matches!(h.command, ppp::v2::Command::Local) { None } else { source };
    for tlv in h.tlvs() {
        let tlv = tlv.ok()?;
        if tlv.kind == 0x20 {
            // ppp has no SSL type: split the value and reuse its TLV iterator.
            let (&client, rest) = tlv.value.split_first()?;
            let verify = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?);
            f.ssl(client, verify);
            for sub in TypeLengthValues::from(rest.get(4..)?) {
                let sub = sub.ok()?;
                f.tlv(sub.kind, sub.value.len());
            }
        } else {
            f.tlv(tlv.kind, tlv.value.len());
        }
    }
    Some(Outcome { len: h.len(), source, digest: f.0, walks_tlvs: true, walks_ssl: true })
}

/// ppp's version-detecting entry point.
pub(crate) fn auto(buf: &[u8]) -> Option<Outcome> {
    match ppp::HeaderResult::parse(buf) {
        ppp::HeaderResult::V1(r) => r.ok().map(|h| v1_outcome(&h)),
        ppp::HeaderResult::V2(r) => v2_outcome(&r.ok()?),
    }
}

/// ppp's per-version parsers, picked by the first byte as a caller would.
pub(crate) fn direct(buf: &[u8]) -> Option<Outcome> {
    match buf.first()? {
        b'P' => ppp::v1::Header::try_from(buf).ok().map(|h| v1_outcome(&h)),
        _ => v2_outcome(&ppp::v2::Header::try_from(buf).ok()?),
    }
}
