//! The SSL TLV (§2.2.6): client flags, verify result and sub-TLVs.

use super::tlv::{FrameError, frame};
use crate::codepoint::open_enum;
use crate::{Error, Text};

/// Which TLS elements the client presented (the `client` bit field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ClientFlags(u8);

impl ClientFlags {
    /// PP2_CLIENT_SSL: the client connected over TLS.
    pub const SSL: ClientFlags = ClientFlags(0x01);
    /// PP2_CLIENT_CERT_CONN: the client sent a certificate on this connection.
    pub const CERT_CONN: ClientFlags = ClientFlags(0x02);
    /// PP2_CLIENT_CERT_SESS: the client sent a certificate in this TLS
    /// session (possibly on an earlier connection, when it was resumed).
    pub const CERT_SESS: ClientFlags = ClientFlags(0x04);

    /// From the raw byte; unknown bits are kept.
    pub const fn from_bits(bits: u8) -> Self {
        ClientFlags(bits)
    }

    /// The raw byte.
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// True when every bit of `other` is set.
    pub const fn contains(self, other: ClientFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// True when any bit of `other` is set.
    pub const fn intersects(self, other: ClientFlags) -> bool {
        self.0 & other.0 != 0
    }
}

impl core::ops::BitOr for ClientFlags {
    type Output = ClientFlags;
    fn bitor(self, rhs: ClientFlags) -> ClientFlags {
        ClientFlags(self.0 | rhs.0)
    }
}

open_enum! {
    /// An SSL sub-TLV type (§2.2.6), a codepoint space of its own.
    pub enum SslSubtype {
        /// PP2_SUBTYPE_SSL_VERSION: the TLS version, e.g. `TLSv1.3`.
        Version = 0x21,
        /// PP2_SUBTYPE_SSL_CN: the client certificate's Common Name.
        Cn = 0x22,
        /// PP2_SUBTYPE_SSL_CIPHER: the cipher, e.g. `TLS_AES_256_GCM_SHA384`.
        Cipher = 0x23,
        /// PP2_SUBTYPE_SSL_SIG_ALG: the frontend certificate's signature algorithm.
        SigAlg = 0x24,
        /// PP2_SUBTYPE_SSL_KEY_ALG: the frontend certificate's key algorithm.
        KeyAlg = 0x25,
        /// PP2_SUBTYPE_SSL_GROUP: the key exchange group (newer HAProxy).
        Group = 0x26,
        /// PP2_SUBTYPE_SSL_SIG_SCHEME: the TLS signature scheme (newer HAProxy).
        SigScheme = 0x27,
        /// PP2_SUBTYPE_SSL_CLIENT_CERT: the client certificate, DER (newer HAProxy).
        ClientCert = 0x28,
    }
}

/// One SSL sub-TLV.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SslSubTlv<'a> {
    kind: u8,
    value: &'a [u8],
}

impl<'a> SslSubTlv<'a> {
    /// The subtype.
    pub fn kind(&self) -> SslSubtype {
        SslSubtype::from(self.kind)
    }

    /// The raw subtype byte.
    pub const fn raw_kind(&self) -> u8 {
        self.kind
    }

    /// The value bytes.
    pub const fn value(&self) -> &'a [u8] {
        self.value
    }
}

/// The SSL sub-TLVs in wire order; framed during the parse, so iterating
/// cannot fail.
#[derive(Debug, Clone)]
pub struct SslSubTlvs<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for SslSubTlvs<'a> {
    type Item = SslSubTlv<'a>;

    #[inline]
    fn next(&mut self) -> Option<SslSubTlv<'a>> {
        let (kind, value, rest) = frame(self.rest)?.ok()?;
        self.rest = rest;
        Some(SslSubTlv { kind, value })
    }
}

/// The SSL TLV's value, framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ssl<'a> {
    client: ClientFlags,
    verify: u32,
    sub_tlvs: &'a [u8],
}

impl<'a> Ssl<'a> {
    /// Checks an SSL TLV value: the 5-byte prefix, then sub-TLVs that frame
    /// it exactly.
    pub(crate) fn check(value: &[u8]) -> Result<(), Error> {
        let ssl = Ssl::trusted(value).ok_or(Error::V2SslTooShort)?;
        let mut rest = ssl.sub_tlvs;
        while let Some(framed) = frame(rest) {
            let (_, _, after) = framed.map_err(|_: FrameError| Error::V2SslSubTlvFraming)?;
            rest = after;
        }
        Ok(())
    }

    /// Splits a value long enough for the prefix (the parser checked the rest).
    pub(crate) fn trusted(value: &'a [u8]) -> Option<Self> {
        match value {
            [client, v0, v1, v2, v3, sub_tlvs @ ..] => Some(Ssl {
                client: ClientFlags(*client),
                verify: u32::from_be_bytes([*v0, *v1, *v2, *v3]),
                sub_tlvs,
            }),
            _ => None,
        }
    }

    /// The client flags.
    pub const fn client(&self) -> ClientFlags {
        self.client
    }

    /// The raw `verify` field: zero unless the proxy's check of a client
    /// certificate failed. HAProxy sends zero for a client that presented
    /// no certificate at all, so this alone proves nothing: use
    /// [`is_verified`](Self::is_verified).
    pub const fn verify(&self) -> u32 {
        self.verify
    }

    /// True when the client connected over TLS, presented a certificate (on
    /// this connection, or in the session it resumed) and the proxy
    /// verified it: `verify` is zero **and** the flags say SSL and
    /// `CERT_CONN` or `CERT_SESS`.
    pub const fn is_verified(&self) -> bool {
        self.verify == 0
            && self.client.contains(ClientFlags::SSL)
            && self
                .client
                .intersects(ClientFlags(ClientFlags::CERT_CONN.0 | ClientFlags::CERT_SESS.0))
    }

    /// The sub-TLVs in wire order.
    pub const fn sub_tlvs(&self) -> SslSubTlvs<'a> {
        SslSubTlvs { rest: self.sub_tlvs }
    }

    /// The value of the first sub-TLV of type `kind`.
    pub fn find(&self, kind: SslSubtype) -> Option<&'a [u8]> {
        let kind = u8::from(kind);
        self.sub_tlvs().find(|t| t.kind == kind).map(|t| t.value)
    }

    fn text(&self, kind: SslSubtype) -> Option<Text<'a>> {
        self.find(kind).map(Text::new)
    }

    /// The TLS version, e.g. `TLSv1.3`.
    pub fn version(&self) -> Option<Text<'a>> {
        self.text(SslSubtype::Version)
    }

    /// The client certificate's Common Name, as the proxy copied it (not
    /// always UTF-8: a BMPString CN is UTF-16).
    pub fn cn(&self) -> Option<Text<'a>> {
        self.text(SslSubtype::Cn)
    }

    /// The cipher name.
    pub fn cipher(&self) -> Option<Text<'a>> {
        self.text(SslSubtype::Cipher)
    }

    /// The frontend certificate's signature algorithm, e.g. `RSA-SHA256`.
    pub fn sig_alg(&self) -> Option<Text<'a>> {
        self.text(SslSubtype::SigAlg)
    }

    /// The frontend certificate's key algorithm, e.g. `RSA2048`.
    pub fn key_alg(&self) -> Option<Text<'a>> {
        self.text(SslSubtype::KeyAlg)
    }

    /// The key exchange group, e.g. `X25519`.
    pub fn group(&self) -> Option<Text<'a>> {
        self.text(SslSubtype::Group)
    }

    /// The signature scheme, e.g. `rsa_pss_rsae_sha256`.
    pub fn sig_scheme(&self) -> Option<Text<'a>> {
        self.text(SslSubtype::SigScheme)
    }

    /// The client certificate, DER-encoded.
    pub fn client_cert(&self) -> Option<&'a [u8]> {
        self.find(SslSubtype::ClientCert)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// HAProxy sends `client = SSL, verify = 0` for a TLS client without a
    /// certificate (see the committed capture
    /// `haproxy-send-proxy-v2-ssl-tcp4.json`): that is not verified.
    #[test]
    fn verified_needs_a_certificate() {
        let ssl = |client: u8, verify: u32| {
            let v = verify.to_be_bytes();
            let value = [client, v[0], v[1], v[2], v[3]];
            Ssl::trusted(&value).map(|s| s.is_verified())
        };
        assert_eq!(ssl(0x01, 0), Some(false), "TLS, no certificate");
        assert_eq!(ssl(0x00, 0), Some(false), "not even TLS");
        assert_eq!(ssl(0x03, 0), Some(true), "certificate on this connection, verified");
        assert_eq!(ssl(0x05, 0), Some(true), "certificate in the resumed session, verified");
        assert_eq!(ssl(0x03, 21), Some(false), "certificate that failed verification");
        assert_eq!(ssl(0x06, 0), Some(false), "certificate flags without SSL");
    }
}
