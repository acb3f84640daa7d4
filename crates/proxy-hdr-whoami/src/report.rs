//! What whoami answers: the connection as JSON, in the conformance
//! vectors' conventions.

use proxy_hdr::Addresses;
use proxy_hdr_cli::json::{Detail, header};
use proxy_hdr_io::listener::{ClientInfo, Stats};
use rustls::ServerConnection;
use serde_json::{Map, Value, json};

/// A connection's fixed facts, made once when it is set up.
#[derive(Debug, Clone)]
pub(crate) struct Connection {
    pub client: String,
    pub peer: String,
    pub proxy: Value,
    pub tls: Value,
}

impl Connection {
    /// From the listener's info and the TLS session; `local` names a unix
    /// socket when there is no IP peer.
    pub(crate) fn new(info: &ClientInfo, session: &ServerConnection, local: &str) -> Self {
        let parsed = info.header.as_ref().map(|h| h.header());
        let peer = info.peer.map_or_else(|| local.to_owned(), |p| p.to_string());
        let client = match (parsed.as_ref().and_then(|h| h.addresses()), info.client) {
            (Some(Addresses::Unix { source, .. }), _) => {
                format!("unix:{}", String::from_utf8_lossy(source.as_bytes()))
            }
            (_, Some(client)) => client.to_string(),
            (_, None) => peer.clone(),
        };
        let proxy = match &parsed {
            Some(h) => {
                let mut v = header(h, h.encoded_len(), Detail::Decoded);
                if let Some(map) = v.as_object_mut() {
                    map.remove("consumed");
                }
                v
            }
            None => Value::Null,
        };
        let tls = json!({
            "version": session.protocol_version().map(|v| format!("{v:?}")),
            "cipher": session.negotiated_cipher_suite().map(|s| format!("{:?}", s.suite())),
            "sni": session.server_name(),
            "alpn": session.alpn_protocol().map(|a| String::from_utf8_lossy(a).into_owned()),
        });
        Connection { client, peer, proxy, tls }
    }

    /// The answer to one request made over HTTP `version` ("1.1" or "2").
    pub(crate) fn answer(&self, http: &str) -> Value {
        json!({
            "client": self.client,
            "peer": self.peer,
            "proxy": self.proxy,
            "tls": self.tls,
            "http": http,
        })
    }
}

/// The listener's counters as one JSON object.
pub(crate) fn stats(stats: &Stats) -> Value {
    Value::Object(stats.snapshot().into_iter().map(|(k, v)| (k, json!(v))).collect::<Map<_, _>>())
}
