//! TLVs after the v2 address block (§2.2.1 - §2.2.8): framed and checked
//! once, when the header is parsed, so that iterating and reading them
//! cannot fail.

use core::hash::{Hash, Hasher};

use super::cloud::{Aws, Azure};
use super::ssl::Ssl;
use crate::codepoint::open_enum;
use crate::{Error, Text};

/// The longest UNIQUE_ID value (§2.2.5).
pub const UNIQUE_ID_MAX: usize = 128;

open_enum! {
    /// A TLV type (§2.2). Unknown types are carried, not rejected.
    pub enum TlvType {
        /// 0x01: the ALPN protocol in use (§2.2.1).
        Alpn = 0x01,
        /// 0x02: the host name the client asked for, e.g. the TLS SNI (§2.2.2).
        Authority = 0x02,
        /// 0x03: CRC-32C of the header (§2.2.3).
        Crc32c = 0x03,
        /// 0x04: padding, ignored (§2.2.4).
        Noop = 0x04,
        /// 0x05: an opaque connection id of up to 128 bytes (§2.2.5).
        UniqueId = 0x05,
        /// 0x20: TLS details of the client connection, with sub-TLVs (§2.2.6).
        Ssl = 0x20,
        /// 0x30: the network namespace name (§2.2.7).
        Netns = 0x30,
        /// 0xE0 (custom range, §2.2.8): Google Cloud Private Service Connect
        /// connection id, a big-endian u64.
        Gcp = 0xE0,
        /// 0xEA (custom range): AWS, with a subtype byte ([`Aws`]).
        Aws = 0xEA,
        /// 0xEE (custom range): Azure, with a subtype byte ([`Azure`]).
        Azure = 0xEE,
    }
}

impl TlvType {
    /// True for the application-specific range 0xE0 - 0xEF (§2.2.8), where
    /// cloud load balancers put their TLVs.
    pub fn is_custom(self) -> bool {
        matches!(u8::from(self), 0xE0..=0xEF)
    }
}

/// One TLV: a type byte and its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tlv<'a> {
    kind: u8,
    value: &'a [u8],
}

/// A TLV's value, decoded by its type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlvView<'a> {
    /// ALPN: the protocol, e.g. `b"h2"`.
    Alpn(&'a [u8]),
    /// AUTHORITY: the host name.
    Authority(Text<'a>),
    /// CRC32C: the checksum sent (verified during the parse).
    Crc32c(u32),
    /// NOOP: padding.
    Noop,
    /// UNIQUE_ID: an opaque id of at most 128 bytes.
    UniqueId(&'a [u8]),
    /// SSL: how the client connected to the proxy.
    Ssl(Ssl<'a>),
    /// NETNS: the network namespace.
    Netns(Text<'a>),
    /// Google Cloud: the PSC connection id, when the value is 8 bytes.
    Gcp(Option<u64>),
    /// AWS: subtype and value.
    Aws(Aws<'a>),
    /// Azure: subtype and value.
    Azure(Azure<'a>),
    /// Any other type: the raw type byte and value.
    Other(u8, &'a [u8]),
}

impl<'a> Tlv<'a> {
    /// The type.
    #[inline]
    pub fn kind(&self) -> TlvType {
        TlvType::from(self.kind)
    }

    /// The raw type byte.
    #[inline]
    pub const fn raw_kind(&self) -> u8 {
        self.kind
    }

    /// The value bytes.
    #[inline]
    pub const fn value(&self) -> &'a [u8] {
        self.value
    }

    /// The value, decoded by type. The framing rules were checked during the
    /// parse, so an SSL TLV always decodes; text is not checked for UTF-8.
    pub fn view(&self) -> TlvView<'a> {
        let v = self.value;
        match self.kind() {
            TlvType::Alpn => TlvView::Alpn(v),
            TlvType::Authority => TlvView::Authority(Text::new(v)),
            TlvType::Crc32c => match v.try_into() {
                Ok(crc) => TlvView::Crc32c(u32::from_be_bytes(crc)),
                Err(_) => TlvView::Other(self.kind, v),
            },
            TlvType::Noop => TlvView::Noop,
            TlvType::UniqueId => TlvView::UniqueId(v),
            TlvType::Ssl => match Ssl::trusted(v) {
                Some(ssl) => TlvView::Ssl(ssl),
                None => TlvView::Other(self.kind, v),
            },
            TlvType::Netns => TlvView::Netns(Text::new(v)),
            TlvType::Gcp => TlvView::Gcp(v.try_into().ok().map(u64::from_be_bytes)),
            TlvType::Aws => TlvView::Aws(Aws::new(v)),
            TlvType::Azure => TlvView::Azure(Azure::new(v)),
            TlvType::Unknown(kind) => TlvView::Other(kind, v),
        }
    }

    /// The SSL TLV's fields, when this is one.
    #[inline]
    pub fn ssl(&self) -> Option<Ssl<'a>> {
        // The type byte first: building a whole view for every TLV met while
        // looking for this one cost a quarter of a TLV walk.
        if self.kind != u8::from(TlvType::Ssl) {
            return None;
        }
        Ssl::trusted(self.value)
    }
}

/// One framed type-length-value: the type byte, the value, the bytes after it.
pub(crate) type Split<'a> = (u8, &'a [u8], &'a [u8]);

/// Splits one type-length-value off the front of `input`: a type byte, a
/// big-endian length and that many value bytes (`None` at the end). TLVs and
/// SSL sub-TLVs share this framing.
#[inline(always)]
pub(crate) fn frame(input: &[u8]) -> Option<Result<Split<'_>, FrameError>> {
    let [kind, hi, lo, rest @ ..] = input else {
        return if input.is_empty() { None } else { Some(Err(FrameError::Trailing)) };
    };
    let len = usize::from(u16::from_be_bytes([*hi, *lo]));
    Some(match rest.split_at_checked(len) {
        Some((value, rest)) => Ok((*kind, value, rest)),
        None => Err(FrameError::Truncated),
    })
}

/// How framing failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FrameError {
    /// One or two bytes left: too few for a type and length.
    Trailing,
    /// The length runs past the end.
    Truncated,
}

/// An iterator over framed TLVs; it cannot fail.
#[derive(Debug, Clone)]
pub struct TlvIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for TlvIter<'a> {
    type Item = Tlv<'a>;

    #[inline]
    fn next(&mut self) -> Option<Tlv<'a>> {
        // Framing was checked at parse time: a failure here means the end.
        let (kind, value, rest) = frame(self.rest)?.ok()?;
        self.rest = rest;
        Some(Tlv { kind, value })
    }
}

/// Where the CRC32C values of a TLV list are, found while validating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CrcFields {
    /// No CRC32C TLV.
    None,
    /// One, whose value starts at this offset in the TLV bytes.
    One(usize),
    /// More than one (unusual; handled by walking the TLVs again).
    Several,
}

/// The TLVs of a v2 header: a validated byte region.
///
/// Equality and hashing ignore CRC32C values: a checksum is derived from the
/// rest of the header, so two headers carrying the same information are
/// equal whatever checksum each was written with.
#[derive(Debug, Clone, Copy)]
pub struct Tlvs<'a> {
    bytes: &'a [u8],
}

impl<'a> Tlvs<'a> {
    /// No TLVs.
    pub const EMPTY: Tlvs<'static> = Tlvs { bytes: &[] };

    /// Validates `bytes` as a TLV list with every rule the parser applies,
    /// except the CRC32C value, which depends on the whole header.
    pub fn new(bytes: &'a [u8]) -> Result<Self, Error> {
        Self::validate(bytes).map(|(tlvs, _)| tlvs)
    }

    /// Validates in one pass and says where CRC32C values are.
    #[inline]
    pub(crate) fn validate(bytes: &'a [u8]) -> Result<(Self, CrcFields), Error> {
        if bytes.is_empty() {
            // Most headers carry no TLVs: not even a call.
            return Ok((Tlvs { bytes }, CrcFields::None));
        }
        Self::validate_list(bytes)
    }

    fn validate_list(bytes: &'a [u8]) -> Result<(Self, CrcFields), Error> {
        let mut crc = CrcFields::None;
        let mut rest = bytes;
        while let Some(framed) = frame(rest) {
            let (kind, value, after) = framed.map_err(|e| match e {
                FrameError::Trailing => Error::V2TlvTrailingBytes,
                FrameError::Truncated => Error::V2TlvTruncated,
            })?;
            check_value(kind, value)?;
            if kind == u8::from(TlvType::Crc32c) {
                let at = bytes.len() - after.len() - 4;
                crc = match crc {
                    CrcFields::None => CrcFields::One(at),
                    _ => CrcFields::Several,
                };
            }
            rest = after;
        }
        Ok((Tlvs { bytes }, crc))
    }

    /// The whole TLVs at the start of `bytes` that pass validation, up to
    /// the first one that does not: fuzzers get valid lists of any shape
    /// from raw bytes, without an allocation to build them in.
    #[cfg(feature = "arbitrary")]
    pub(crate) fn valid_prefix(bytes: &'a [u8]) -> Self {
        let mut rest = bytes;
        while let Some(Ok((kind, value, after))) = frame(rest) {
            if check_value(kind, value).is_err() {
                break;
            }
            rest = after;
        }
        Tlvs { bytes: bytes.get(..bytes.len() - rest.len()).unwrap_or_default() }
    }

    /// Bytes copied from a `Tlvs` that was validated (owned headers).
    pub(crate) const fn trusted(bytes: &'a [u8]) -> Self {
        Tlvs { bytes }
    }

    /// The raw TLV bytes, as on the wire.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// True when there are no TLVs.
    pub const fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The TLVs in wire order.
    #[inline]
    pub const fn iter(&self) -> TlvIter<'a> {
        TlvIter { rest: self.bytes }
    }

    /// The first TLV of type `kind`.
    #[inline]
    pub fn find(&self, kind: TlvType) -> Option<Tlv<'a>> {
        let kind = u8::from(kind);
        self.iter().find(|t| t.kind == kind)
    }

    fn value(&self, kind: TlvType) -> Option<&'a [u8]> {
        self.find(kind).map(|t| t.value)
    }

    /// ALPN (§2.2.1): the protocol, e.g. `b"h2"`.
    pub fn alpn(&self) -> Option<&'a [u8]> {
        self.value(TlvType::Alpn)
    }

    /// AUTHORITY (§2.2.2): the host name, e.g. the TLS SNI.
    pub fn authority(&self) -> Option<Text<'a>> {
        self.value(TlvType::Authority).map(Text::new)
    }

    /// CRC32C (§2.2.3): the checksum sent, already verified.
    pub fn crc32c(&self) -> Option<u32> {
        self.crc32c_values().next()
    }

    /// UNIQUE_ID (§2.2.5): the opaque connection id (at most 128 bytes).
    pub fn unique_id(&self) -> Option<&'a [u8]> {
        self.value(TlvType::UniqueId)
    }

    /// SSL (§2.2.6): how the client connected to the proxy over TLS.
    pub fn ssl(&self) -> Option<Ssl<'a>> {
        self.find(TlvType::Ssl).and_then(|t| t.ssl())
    }

    /// NETNS (§2.2.7): the network namespace name.
    pub fn netns(&self) -> Option<Text<'a>> {
        self.value(TlvType::Netns).map(Text::new)
    }

    /// AWS (0xEA, subtype 0x01): the VPC endpoint id, e.g. `vpce-08d2bf15fac5001c9`.
    pub fn aws_vpc_endpoint_id(&self) -> Option<Text<'a>> {
        self.iter().find_map(|t| match t.view() {
            TlvView::Aws(aws) => aws.vpc_endpoint_id(),
            _ => None,
        })
    }

    /// Azure (0xEE, subtype 0x01): the private endpoint LinkID.
    pub fn azure_private_endpoint_link_id(&self) -> Option<u32> {
        self.iter().find_map(|t| match t.view() {
            TlvView::Azure(azure) => azure.private_endpoint_link_id(),
            _ => None,
        })
    }

    /// Google Cloud (0xE0): the Private Service Connect connection id.
    pub fn gcp_psc_connection_id(&self) -> Option<u64> {
        self.value(TlvType::Gcp).and_then(|v| v.try_into().ok()).map(u64::from_be_bytes)
    }

    /// Offsets of CRC32C values within the TLV bytes.
    pub(crate) fn crc32c_offsets(self) -> impl Iterator<Item = usize> + 'a {
        let (mut rest, mut offset) = (self.bytes, 0);
        core::iter::from_fn(move || {
            loop {
                let (kind, value, after) = frame(rest)?.ok()?;
                let at = offset + 3;
                offset = at + value.len();
                rest = after;
                if kind == u8::from(TlvType::Crc32c) {
                    return Some(at);
                }
            }
        })
    }

    pub(crate) fn crc32c_values(self) -> impl Iterator<Item = u32> + 'a {
        self.iter()
            .filter(|t| t.kind == u8::from(TlvType::Crc32c))
            .filter_map(|t| t.value.try_into().ok().map(u32::from_be_bytes))
    }
}

impl<'a> IntoIterator for Tlvs<'a> {
    type Item = Tlv<'a>;
    type IntoIter = TlvIter<'a>;

    fn into_iter(self) -> TlvIter<'a> {
        self.iter()
    }
}

/// A CRC32C value is derived data; compare the TLV's presence, not its value.
fn information(t: Tlv<'_>) -> (u8, &[u8]) {
    if t.kind == u8::from(TlvType::Crc32c) { (t.kind, &[]) } else { (t.kind, t.value) }
}

impl PartialEq for Tlvs<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().map(information).eq(other.iter().map(information))
    }
}

impl Eq for Tlvs<'_> {}

impl Hash for Tlvs<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for tlv in self.iter() {
            information(tlv).hash(state);
        }
    }
}

/// The length rules of the known types (§2.2.3, §2.2.5, §2.2.6). Text is
/// not checked here: see [`Text`].
#[inline]
fn check_value(kind: u8, value: &[u8]) -> Result<(), Error> {
    match TlvType::from(kind) {
        TlvType::Crc32c if value.len() != 4 => Err(Error::V2Crc32cLength),
        TlvType::UniqueId if value.len() > UNIQUE_ID_MAX => Err(Error::V2UniqueIdTooLong),
        TlvType::Ssl => Ssl::check(value),
        _ => Ok(()),
    }
}
