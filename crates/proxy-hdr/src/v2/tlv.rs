//! TLVs after the v2 address block (§2.2.1 - §2.2.8): validated once, when
//! the header is parsed, so that iterating and reading them cannot fail.

use core::hash::{Hash, Hasher};

use super::ssl::{ClientFlags, Ssl};
use crate::{Error, WriteError};

/// The longest UNIQUE_ID value (§2.2.5).
pub const UNIQUE_ID_MAX: usize = 128;

/// A TLV type byte (§2.2). Unknown types are carried, not rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TlvType {
    /// 0x01: the ALPN protocol in use (§2.2.1).
    Alpn,
    /// 0x02: the host name the client asked for, e.g. the TLS SNI (§2.2.2).
    Authority,
    /// 0x03: CRC-32C of the header (§2.2.3).
    Crc32c,
    /// 0x04: padding, ignored (§2.2.4).
    Noop,
    /// 0x05: an opaque connection id of up to 128 bytes (§2.2.5).
    UniqueId,
    /// 0x20: TLS details of the client connection, with sub-TLVs (§2.2.6).
    Ssl,
    /// 0x30: the network namespace name (§2.2.7).
    Netns,
    /// 0xE0-0xEF: application-specific (§2.2.8), e.g. cloud load balancers.
    Custom(u8),
    /// Any other type.
    Other(u8),
}

impl TlvType {
    /// AWS: VPC endpoint id, under subtype [`TlvType::AWS_VPCE_ID`].
    pub const AWS: u8 = 0xEA;
    /// The AWS subtype carrying the VPC endpoint id (`vpce-...`).
    pub const AWS_VPCE_ID: u8 = 0x01;
    /// Azure: private endpoint link id, under subtype [`TlvType::AZURE_LINK_ID`].
    pub const AZURE: u8 = 0xEE;
    /// The Azure subtype carrying the private endpoint LinkID (u32, little-endian).
    pub const AZURE_LINK_ID: u8 = 0x01;
    /// Google Cloud: Private Service Connect connection id (u64, big-endian).
    pub const GCP: u8 = 0xE0;
}

impl From<u8> for TlvType {
    fn from(b: u8) -> Self {
        match b {
            0x01 => TlvType::Alpn,
            0x02 => TlvType::Authority,
            0x03 => TlvType::Crc32c,
            0x04 => TlvType::Noop,
            0x05 => TlvType::UniqueId,
            0x20 => TlvType::Ssl,
            0x30 => TlvType::Netns,
            0xE0..=0xEF => TlvType::Custom(b),
            other => TlvType::Other(other),
        }
    }
}

impl From<TlvType> for u8 {
    fn from(t: TlvType) -> u8 {
        match t {
            TlvType::Alpn => 0x01,
            TlvType::Authority => 0x02,
            TlvType::Crc32c => 0x03,
            TlvType::Noop => 0x04,
            TlvType::UniqueId => 0x05,
            TlvType::Ssl => 0x20,
            TlvType::Netns => 0x30,
            TlvType::Custom(b) | TlvType::Other(b) => b,
        }
    }
}

/// One TLV: a type byte and its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tlv<'a> {
    kind: u8,
    value: &'a [u8],
}

impl<'a> Tlv<'a> {
    /// The raw type byte.
    pub const fn kind(&self) -> u8 {
        self.kind
    }

    /// The type, decoded (meaningful for top-level TLVs, not SSL sub-TLVs).
    pub fn tlv_type(&self) -> TlvType {
        TlvType::from(self.kind)
    }

    /// The value bytes.
    pub const fn value(&self) -> &'a [u8] {
        self.value
    }
}

/// Splits one TLV off the front of `input`: a type byte, a big-endian
/// length and that many value bytes.
#[inline(always)]
fn frame(input: &[u8], trailing: Error, truncated: Error) -> Result<(Tlv<'_>, &[u8]), Error> {
    let [kind, hi, lo, rest @ ..] = input else {
        return Err(trailing);
    };
    let len = usize::from(u16::from_be_bytes([*hi, *lo]));
    let (value, rest) = rest.split_at_checked(len).ok_or(truncated)?;
    Ok((Tlv { kind: *kind, value }, rest))
}

/// Text as the spec requires it: ASCII is checked with a fast scan, other
/// bytes must be valid UTF-8.
pub(crate) fn is_text(bytes: &[u8]) -> bool {
    is_ascii(bytes) || core::str::from_utf8(bytes).is_ok()
}

/// Word-at-a-time ASCII check for short values: whole 8-byte words OR-ed
/// together, the tail as one more (overlapping) word, so no byte loop runs
/// for values of 4 bytes or more. `is_ascii` spends longer on alignment.
fn is_ascii(bytes: &[u8]) -> bool {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let word = |w: &[u8]| w.try_into().map_or(HIGH, u64::from_ne_bytes);
    let half = |w: &[u8]| w.try_into().map_or(HIGH, |w| u64::from(u32::from_ne_bytes(w)));
    let len = bytes.len();
    let high = match len {
        8.. => {
            let tail = bytes.get(len - 8..).map_or(HIGH, word);
            bytes.chunks_exact(8).map(word).fold(tail, |acc, w| acc | w)
        }
        4.. => bytes.get(..4).map_or(HIGH, half) | bytes.get(len - 4..).map_or(HIGH, half),
        _ => bytes.iter().fold(0, |acc, &b| acc | u64::from(b)),
    };
    high & HIGH == 0
}

/// Where the CRC32C values of a TLV sequence are, found while validating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CrcFields {
    /// No CRC32C TLV.
    None,
    /// One, whose value starts at this offset in the TLV bytes.
    One(usize),
    /// More than one (unusual; handled by walking the TLVs again).
    Several,
}

/// An iterator over TLVs already validated; it cannot fail.
#[derive(Debug, Clone)]
pub struct TlvIter<'a> {
    rest: &'a [u8],
    offset: usize,
}

impl<'a> TlvIter<'a> {
    pub(crate) const fn new(bytes: &'a [u8]) -> Self {
        TlvIter { rest: bytes, offset: 0 }
    }

    /// The next TLV and the offset of its value within the iterated bytes.
    #[inline]
    fn next_at(&mut self) -> Option<(Tlv<'a>, usize)> {
        // Framing was checked at parse time: a failure here means the end.
        let (tlv, rest) =
            frame(self.rest, Error::V2TlvTrailingBytes, Error::V2TlvTruncated).ok()?;
        let value_at = self.offset + 3;
        self.offset = value_at + tlv.value.len();
        self.rest = rest;
        Some((tlv, value_at))
    }
}

impl<'a> Iterator for TlvIter<'a> {
    type Item = Tlv<'a>;

    #[inline]
    fn next(&mut self) -> Option<Tlv<'a>> {
        self.next_at().map(|(tlv, _)| tlv)
    }
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

    /// Validates `bytes` as a TLV sequence with every rule the parser applies,
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
        while !rest.is_empty() {
            let (tlv, after) = frame(rest, Error::V2TlvTrailingBytes, Error::V2TlvTruncated)?;
            check_value(tlv)?;
            if tlv.kind == u8::from(TlvType::Crc32c) {
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
        while let Ok((tlv, after)) = frame(rest, Error::V2TlvTrailingBytes, Error::V2TlvTruncated) {
            if check_value(tlv).is_err() {
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
    pub const fn iter(&self) -> TlvIter<'a> {
        TlvIter::new(self.bytes)
    }

    /// The first TLV of type `kind`.
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
    pub fn authority(&self) -> Option<&'a str> {
        self.value(TlvType::Authority).and_then(|v| core::str::from_utf8(v).ok())
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
        self.value(TlvType::Ssl).and_then(Ssl::trusted)
    }

    /// NETNS (§2.2.7): the network namespace name.
    pub fn netns(&self) -> Option<&'a str> {
        self.value(TlvType::Netns).and_then(|v| core::str::from_utf8(v).ok())
    }

    /// AWS (0xEA, subtype 0x01): the VPC endpoint id, e.g. `vpce-08d2bf15fac5001c9`.
    pub fn aws_vpc_endpoint_id(&self) -> Option<&'a str> {
        self.subtyped(TlvType::AWS, TlvType::AWS_VPCE_ID).and_then(|v| core::str::from_utf8(v).ok())
    }

    /// Azure (0xEE, subtype 0x01): the private endpoint LinkID.
    pub fn azure_private_endpoint_link_id(&self) -> Option<u32> {
        let v = self.subtyped(TlvType::AZURE, TlvType::AZURE_LINK_ID)?;
        Some(u32::from_le_bytes(v.try_into().ok()?))
    }

    /// Google Cloud (0xE0): the Private Service Connect connection id.
    pub fn gcp_psc_connection_id(&self) -> Option<u64> {
        let v = self.value(TlvType::Custom(TlvType::GCP))?;
        Some(u64::from_be_bytes(v.try_into().ok()?))
    }

    fn subtyped(&self, kind: u8, subtype: u8) -> Option<&'a [u8]> {
        self.iter().find_map(|t| match t.value {
            [sub, rest @ ..] if t.kind == kind && *sub == subtype => Some(rest),
            _ => None,
        })
    }

    /// Offsets of CRC32C values, relative to a header whose TLVs start at `start`.
    pub(crate) fn crc32c_offsets(self, start: usize) -> impl Iterator<Item = usize> + 'a {
        let mut iter = self.iter();
        core::iter::from_fn(move || iter.next_at())
            .filter(|(t, _)| t.kind == u8::from(TlvType::Crc32c))
            .map(move |(_, at)| start + at)
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

/// The content rules of the known types (§2.2.2 - §2.2.7).
fn check_value(tlv: Tlv<'_>) -> Result<(), Error> {
    let utf8 = |v: &[u8], e| if is_text(v) { Ok(()) } else { Err(e) };
    match TlvType::from(tlv.kind) {
        TlvType::Authority => utf8(tlv.value, Error::V2AuthorityNotUtf8),
        TlvType::Crc32c if tlv.value.len() != 4 => Err(Error::V2Crc32cLength),
        TlvType::UniqueId if tlv.value.len() > UNIQUE_ID_MAX => Err(Error::V2UniqueIdTooLong),
        TlvType::Ssl => Ssl::parse(tlv.value).map(|_| ()),
        TlvType::Netns => utf8(tlv.value, Error::V2NetnsNotUtf8),
        _ => Ok(()),
    }
}

pub(crate) fn check_ssl_sub_tlvs(mut rest: &[u8]) -> Result<(), Error> {
    while !rest.is_empty() {
        let (tlv, after) = frame(rest, Error::V2SslSubTlvFraming, Error::V2SslSubTlvFraming)?;
        if Ssl::is_text(tlv.kind) && !is_text(tlv.value) {
            return Err(Error::V2SslTextNotUtf8);
        }
        rest = after;
    }
    Ok(())
}

/// Builds a TLV sequence in a caller's buffer, for writing headers.
///
/// ```
/// use proxy_hdr::v2::{Header, Protocol, Addresses, TlvWriter, TlvType};
///
/// let mut storage = [0u8; 64];
/// let mut tlvs = TlvWriter::new(&mut storage);
/// tlvs.push(TlvType::Authority, b"example.com")?.crc32c()?;
/// let tlvs = tlvs.finish()?;
/// let header = Header::proxy(Protocol::Stream, Addresses::Inet {
///     source: "192.0.2.1:5000".parse().unwrap(),
///     destination: "198.51.100.2:443".parse().unwrap(),
/// }).with_tlvs(tlvs);
///
/// let mut out = [0u8; 128];
/// let len = header.write(&mut out)?;
/// let parsed = proxy_hdr::v2::parse(&out[..len]).unwrap();
/// assert!(matches!(parsed, proxy_hdr::Status::Complete { header: h, .. } if h == header));
/// # Ok::<(), proxy_hdr::WriteError>(())
/// ```
#[derive(Debug)]
pub struct TlvWriter<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl<'b> TlvWriter<'b> {
    /// Writes into `buf`, from its start.
    pub fn new(buf: &'b mut [u8]) -> Self {
        TlvWriter { buf, len: 0 }
    }

    /// Appends a TLV. On error nothing is written.
    pub fn push(&mut self, kind: TlvType, value: &[u8]) -> Result<&mut Self, WriteError> {
        self.push_parts(u8::from(kind), &[value])
    }

    /// Appends a CRC32C TLV; [`Header::write`](super::Header::write) fills in
    /// the checksum.
    pub fn crc32c(&mut self) -> Result<&mut Self, WriteError> {
        self.push(TlvType::Crc32c, &[0; 4])
    }

    /// Appends an SSL TLV (§2.2.6) with the given sub-TLVs `(type, value)`.
    pub fn ssl(
        &mut self,
        client: ClientFlags,
        verify: u32,
        sub_tlvs: &[(u8, &[u8])],
    ) -> Result<&mut Self, WriteError> {
        let mut head = [0u8; 5];
        let (flags, verify_bytes) = head.split_at_mut(1);
        flags.copy_from_slice(&[client.bits()]);
        verify_bytes.copy_from_slice(&verify.to_be_bytes());
        let sub_len: usize = sub_tlvs.iter().map(|(_, v)| 3 + v.len()).sum();
        let total = 5 + sub_len;
        let start = self.len;
        self.reserve(total)?;
        self.put(&[u8::from(TlvType::Ssl)]);
        self.put(&u16::try_from(total).map_err(|_| WriteError::TooLong)?.to_be_bytes());
        self.put(&head);
        for (kind, value) in sub_tlvs {
            match u16::try_from(value.len()) {
                Ok(len) => {
                    self.put(&[*kind]);
                    self.put(&len.to_be_bytes());
                    self.put(value);
                }
                Err(_) => {
                    self.len = start;
                    return Err(WriteError::TooLong);
                }
            }
        }
        Ok(self)
    }

    fn push_parts(&mut self, kind: u8, parts: &[&[u8]]) -> Result<&mut Self, WriteError> {
        let value_len: usize = parts.iter().map(|p| p.len()).sum();
        let len = u16::try_from(value_len).map_err(|_| WriteError::TooLong)?;
        self.reserve(3 + value_len)?;
        self.put(&[kind]);
        self.put(&len.to_be_bytes());
        for part in parts {
            self.put(part);
        }
        Ok(self)
    }

    fn reserve(&self, n: usize) -> Result<(), WriteError> {
        let needed = self.len + n;
        if needed > self.buf.len() {
            return Err(WriteError::BufferTooSmall { needed });
        }
        if needed > u16::MAX as usize {
            return Err(WriteError::TooLong);
        }
        Ok(())
    }

    /// Copies after a successful `reserve`.
    fn put(&mut self, bytes: &[u8]) {
        if let Some(dst) = self.buf.get_mut(self.len..self.len + bytes.len()) {
            dst.copy_from_slice(bytes);
            self.len += bytes.len();
        }
    }

    /// The TLVs written so far, validated as the parser would.
    pub fn finish(self) -> Result<Tlvs<'b>, WriteError> {
        let TlvWriter { buf, len } = self;
        let bytes: &'b [u8] = buf;
        Tlvs::new(bytes.get(..len).unwrap_or_default()).map_err(WriteError::InvalidTlv)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The word-at-a-time check agrees with `<[u8]>::is_ascii` at every
    /// length around the word sizes, with a high bit at every position.
    #[test]
    fn ascii_check_agrees_with_core_at_every_length_and_position() {
        let text = [b'a'; 40];
        for len in 0..text.len() {
            assert!(is_ascii(&text[..len]), "len {len}");
            for at in 0..len {
                let mut bytes = text;
                bytes[at] = 0x80 | (at as u8);
                assert!(!is_ascii(&bytes[..len]), "len {len}, high bit at {at}");
            }
        }
        assert!(is_text("caf\u{e9}".as_bytes()) && !is_text(b"caf\xe9"));
    }
}
