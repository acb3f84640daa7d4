//! A header as JSON, in the conformance vectors' format:
//!
//! ```json
//! { "version": 2, "command": "proxy", "transport": "tcp4",
//!   "source": "192.0.2.7:56324", "destination": "198.51.100.1:443",
//!   "tlvs": [{ "type": 2, "value_hex": "6578616d706c652e636f6d" }],
//!   "consumed": 28 }
//! ```
//!
//! With [`Detail::Decoded`] every TLV also carries its fields by name
//! (`"name": "authority", "authority": "example.com"`, the SSL TLV's flags,
//! `verified` and texts). Text that is not UTF-8 is shown lossily beside
//! the exact `value_hex`.

use proxy_hdr::v2::{ClientFlags, Ssl, Tlv, TlvView};
use proxy_hdr::{Addresses, Command, Header, Protocol, Text, Version};
use serde_json::{Map, Value, json};

/// How much of each TLV to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// `type` and `value_hex` only: the vectors' form.
    Raw,
    /// Also the decoded fields.
    Decoded,
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The header, `consumed` bytes long on the wire, in the vectors' format.
pub fn header(header: &Header<'_>, consumed: usize, detail: Detail) -> Value {
    let version = match header.version() {
        Version::V1 => 1,
        Version::V2 => 2,
    };
    let command = match header.command() {
        Command::Local => "local",
        Command::Proxy => "proxy",
    };
    let (transport, source, destination) = match (header.protocol(), header.addresses()) {
        (Some(protocol), Some(addresses)) => {
            let (source, destination) = endpoints(addresses);
            (transport(protocol, addresses), source, destination)
        }
        _ => ("unspec", Value::Null, Value::Null),
    };
    let tlvs: Vec<Value> = header.tlvs().iter().map(|t| tlv(t, detail)).collect();
    json!({
        "version": version,
        "command": command,
        "transport": transport,
        "source": source,
        "destination": destination,
        "tlvs": tlvs,
        "consumed": consumed,
    })
}

/// The address pair as strings: `ip:port`, or `unix:path` (lossy UTF-8).
fn endpoints(addresses: Addresses<'_>) -> (Value, Value) {
    let unix = |path: &[u8]| json!(format!("unix:{}", String::from_utf8_lossy(path)));
    match addresses {
        Addresses::Inet { source, destination } => {
            (json!(source.to_string()), json!(destination.to_string()))
        }
        Addresses::Inet6 { source, destination } => {
            (json!(source.to_string()), json!(destination.to_string()))
        }
        Addresses::Unix { source, destination } => {
            (unix(source.as_bytes()), unix(destination.as_bytes()))
        }
    }
}

/// The vectors' name of a transport.
pub fn transport(protocol: Protocol, addresses: Addresses<'_>) -> &'static str {
    match (addresses, protocol) {
        (Addresses::Inet { .. }, Protocol::Stream) => "tcp4",
        (Addresses::Inet { .. }, Protocol::Dgram) => "udp4",
        (Addresses::Inet6 { .. }, Protocol::Stream) => "tcp6",
        (Addresses::Inet6 { .. }, Protocol::Dgram) => "udp6",
        (Addresses::Unix { .. }, Protocol::Stream) => "unix-stream",
        (Addresses::Unix { .. }, Protocol::Dgram) => "unix-dgram",
    }
}

/// One TLV: its type and value, and with [`Detail::Decoded`] its fields.
pub fn tlv(tlv: Tlv<'_>, detail: Detail) -> Value {
    let mut out = Map::new();
    out.insert("type".into(), json!(tlv.raw_kind()));
    out.insert("value_hex".into(), json!(hex(tlv.value())));
    if detail == Detail::Decoded
        && let Value::Object(fields) = decoded(tlv)
    {
        out.extend(fields);
    }
    Value::Object(out)
}

fn text(t: Text<'_>) -> Value {
    Value::String(String::from_utf8_lossy(t.as_bytes()).into_owned())
}

fn decoded(tlv: Tlv<'_>) -> Value {
    let lossy = |b: &[u8]| Value::String(String::from_utf8_lossy(b).into_owned());
    match tlv.view() {
        TlvView::Alpn(v) => json!({ "name": "alpn", "alpn": lossy(v) }),
        TlvView::Authority(v) => json!({ "name": "authority", "authority": text(v) }),
        TlvView::Crc32c(_) => json!({ "name": "crc32c", "verified": true }),
        TlvView::Noop => json!({ "name": "noop" }),
        TlvView::UniqueId(v) => json!({ "name": "unique_id", "unique_id": lossy(v) }),
        TlvView::Netns(v) => json!({ "name": "netns", "netns": text(v) }),
        TlvView::Ssl(ssl) => ssl_fields(ssl),
        TlvView::Aws(aws) => match aws.vpc_endpoint_id() {
            Some(id) => json!({ "name": "aws", "vpce_id": text(id) }),
            None => json!({ "name": "aws" }),
        },
        TlvView::Azure(azure) => match azure.private_endpoint_link_id() {
            Some(id) => json!({ "name": "azure", "link_id": id }),
            None => json!({ "name": "azure" }),
        },
        TlvView::Gcp(Some(id)) => json!({ "name": "gcp", "psc_connection_id": id }),
        TlvView::Gcp(None) => json!({ "name": "gcp" }),
        _ if tlv.kind().is_custom() => json!({ "name": "custom" }),
        _ => json!({ "name": "unknown" }),
    }
}

/// The SSL TLV's fields: flags, the raw `verify`, and `verified` (which
/// needs a certificate: see `Ssl::is_verified`), then the sub-TLV texts.
pub fn ssl_fields(ssl: Ssl<'_>) -> Value {
    let client = ssl.client();
    let text = |t: Option<Text<'_>>| t.map(text);
    json!({
        "name": "ssl",
        "client": client.bits(),
        "client_ssl": client.contains(ClientFlags::SSL),
        "client_cert_conn": client.contains(ClientFlags::CERT_CONN),
        "client_cert_sess": client.contains(ClientFlags::CERT_SESS),
        "verify": ssl.verify(),
        "verified": ssl.is_verified(),
        "version": text(ssl.version()),
        "cn": text(ssl.cn()),
        "cipher": text(ssl.cipher()),
        "sig_alg": text(ssl.sig_alg()),
        "key_alg": text(ssl.key_alg()),
        "group": text(ssl.group()),
        "sig_scheme": text(ssl.sig_scheme()),
        "client_cert_der_len": ssl.client_cert().map(<[u8]>::len),
        "sub_tlvs": ssl.sub_tlvs().map(|t| t.raw_kind()).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoded_tlvs_keep_the_raw_value_beside_the_fields() {
        let mut storage = [0u8; 128];
        let mut w = proxy_hdr::v2::TlvWriter::new(&mut storage);
        w.push(proxy_hdr::v2::TlvType::Authority, b"caf\xe9").unwrap();
        w.ssl(ClientFlags::SSL, 0, &[]).unwrap();
        let h = Header::V2(proxy_hdr::v2::Header::local().with_tlvs(w.finish().unwrap()));
        let raw = header(&h, 99, Detail::Raw);
        assert_eq!(raw["transport"], "unspec");
        assert_eq!(raw["tlvs"][0], json!({ "type": 2, "value_hex": "636166e9" }));
        let decoded = header(&h, 99, Detail::Decoded);
        assert_eq!(decoded["tlvs"][0]["authority"], "caf\u{fffd}");
        assert_eq!(decoded["tlvs"][0]["value_hex"], "636166e9");
        // TLS without a client certificate is not verified (HAProxy's zeroes).
        assert_eq!(decoded["tlvs"][1]["verify"], 0);
        assert_eq!(decoded["tlvs"][1]["verified"], false);
    }
}
