//! The SSL TLV (§2.2.6): client flags, verify result and sub-TLVs.

use super::tlv::{TlvIter, check_ssl_sub_tlvs};
use crate::Error;

/// Which TLS elements the client presented (the `client` bit field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ClientFlags(u8);

impl ClientFlags {
    /// PP2_CLIENT_SSL: the client connected over TLS.
    pub const SSL: ClientFlags = ClientFlags(0x01);
    /// PP2_CLIENT_CERT_CONN: the client sent a certificate on this connection.
    pub const CERT_CONN: ClientFlags = ClientFlags(0x02);
    /// PP2_CLIENT_CERT_SESS: the client sent a certificate in this TLS session.
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
}

impl core::ops::BitOr for ClientFlags {
    type Output = ClientFlags;
    fn bitor(self, rhs: ClientFlags) -> ClientFlags {
        ClientFlags(self.0 | rhs.0)
    }
}

/// The SSL TLV's value, validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ssl<'a> {
    client: ClientFlags,
    verify: u32,
    sub_tlvs: &'a [u8],
}

impl<'a> Ssl<'a> {
    /// PP2_SUBTYPE_SSL_VERSION: the TLS version, e.g. `TLSv1.3`.
    pub const VERSION: u8 = 0x21;
    /// PP2_SUBTYPE_SSL_CN: the client certificate's Common Name.
    pub const CN: u8 = 0x22;
    /// PP2_SUBTYPE_SSL_CIPHER: the cipher, e.g. `TLS_AES_256_GCM_SHA384`.
    pub const CIPHER: u8 = 0x23;
    /// PP2_SUBTYPE_SSL_SIG_ALG: the frontend certificate's signature algorithm.
    pub const SIG_ALG: u8 = 0x24;
    /// PP2_SUBTYPE_SSL_KEY_ALG: the frontend certificate's key algorithm.
    pub const KEY_ALG: u8 = 0x25;
    /// PP2_SUBTYPE_SSL_GROUP: the key exchange group (newer HAProxy).
    pub const GROUP: u8 = 0x26;
    /// PP2_SUBTYPE_SSL_SIG_SCHEME: the TLS signature scheme (newer HAProxy).
    pub const SIG_SCHEME: u8 = 0x27;
    /// PP2_SUBTYPE_SSL_CLIENT_CERT: the client certificate, DER (newer HAProxy).
    pub const CLIENT_CERT: u8 = 0x28;

    pub(crate) const fn is_text(kind: u8) -> bool {
        matches!(kind, Self::VERSION..=Self::SIG_SCHEME)
    }

    /// Validates an SSL TLV value.
    pub(crate) fn parse(value: &'a [u8]) -> Result<Self, Error> {
        let ssl = Self::trusted(value).ok_or(Error::V2SslTooShort)?;
        check_ssl_sub_tlvs(ssl.sub_tlvs)?;
        Ok(ssl)
    }

    /// Splits a value that `parse` already accepted.
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

    /// The verify result: zero when the client certificate was verified.
    pub const fn verify(&self) -> u32 {
        self.verify
    }

    /// True when the client presented a certificate that was verified.
    pub const fn is_verified(&self) -> bool {
        self.verify == 0
    }

    /// The sub-TLVs in wire order (types are the `Ssl::*` constants).
    pub const fn sub_tlvs(&self) -> TlvIter<'a> {
        TlvIter::new(self.sub_tlvs)
    }

    fn sub(&self, kind: u8) -> Option<&'a [u8]> {
        self.sub_tlvs().find(|t| t.kind() == kind).map(|t| t.value())
    }

    fn text(&self, kind: u8) -> Option<&'a str> {
        self.sub(kind).and_then(|v| core::str::from_utf8(v).ok())
    }

    /// The TLS version, e.g. `TLSv1.3`.
    pub fn version(&self) -> Option<&'a str> {
        self.text(Self::VERSION)
    }

    /// The client certificate's Common Name.
    pub fn cn(&self) -> Option<&'a str> {
        self.text(Self::CN)
    }

    /// The cipher name.
    pub fn cipher(&self) -> Option<&'a str> {
        self.text(Self::CIPHER)
    }

    /// The frontend certificate's signature algorithm, e.g. `RSA-SHA256`.
    pub fn sig_alg(&self) -> Option<&'a str> {
        self.text(Self::SIG_ALG)
    }

    /// The frontend certificate's key algorithm, e.g. `RSA2048`.
    pub fn key_alg(&self) -> Option<&'a str> {
        self.text(Self::KEY_ALG)
    }

    /// The key exchange group, e.g. `X25519`.
    pub fn group(&self) -> Option<&'a str> {
        self.text(Self::GROUP)
    }

    /// The signature scheme, e.g. `rsa_pss_rsae_sha256`.
    pub fn sig_scheme(&self) -> Option<&'a str> {
        self.text(Self::SIG_SCHEME)
    }

    /// The client certificate, DER-encoded.
    pub fn client_cert(&self) -> Option<&'a [u8]> {
        self.sub(Self::CLIENT_CERT)
    }
}
