//! proxy-header: addresses, every TLV and the SSL sub-TLVs.

use crate::{Fold, Outcome};

pub(crate) fn parse(buf: &[u8]) -> Option<Outcome> {
    use proxy_header::{ParseConfig, ProxyHeader, Tlv};
    fn value_len(t: &Tlv<'_>) -> usize {
        match t {
            Tlv::Alpn(v) | Tlv::UniqueId(v) | Tlv::Custom(_, v) => v.len(),
            Tlv::Authority(s)
            | Tlv::Netns(s)
            | Tlv::SslVersion(s)
            | Tlv::SslCn(s)
            | Tlv::SslCipher(s)
            | Tlv::SslSigAlg(s)
            | Tlv::SslKeyAlg(s) => s.len(),
            Tlv::Crc32c(_) => 4,
            Tlv::Noop(n) => *n,
            _ => 0,
        }
    }
    let (h, len) = ProxyHeader::parse(buf, ParseConfig::default()).ok()?;
    let mut f = Fold(0);
    let source = h.proxied_address().map(|a| {
        f.addrs(a.source, a.destination);
        a.source
    });
    for tlv in h.tlvs() {
        match tlv.ok()? {
            Tlv::Ssl(ssl) => {
                let client = u8::from(ssl.client_ssl())
                    | u8::from(ssl.client_cert_conn()) << 1
                    | u8::from(ssl.client_cert_sess()) << 2;
                f.ssl(client, ssl.verify());
                for sub in ssl.tlvs() {
                    let sub = sub.ok()?;
                    f.tlv(sub.kind(), value_len(&sub));
                }
            }
            t => f.tlv(t.kind(), value_len(&t)),
        }
    }
    Some(Outcome { len, source, digest: f.0, walks_tlvs: true, walks_ssl: true })
}
