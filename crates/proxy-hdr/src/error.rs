//! Why a header was rejected: one variant per rule of `doc/proxy-protocol.txt`.

use core::fmt;

/// A parse outcome that is not a header: either the input is not a PROXY
/// header at all ([`Error::NotProxy`]) or it breaks one rule of the spec.
///
/// Every variant names exactly one rule, so a server log can say which one
/// a peer broke. [`Error::code`] gives a stable kebab-case name for the
/// rule, used by the conformance vectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Error {
    /// The first bytes match neither the v1 `PROXY ` prefix nor the v2
    /// signature: the peer is not speaking the PROXY protocol.
    NotProxy,

    /// v1: no CRLF within the first 107 bytes (§2.1).
    V1LineTooLong,
    /// v1: the protocol word is not `TCP4`, `TCP6` or `UNKNOWN`.
    V1UnknownProtocol,
    /// v1: two spaces in a row, or a space where a field should start.
    V1ExtraSpace,
    /// v1: the line ends before the addresses and ports are all present.
    V1MissingField,
    /// v1: a `TCP4` address that is not a dotted quad (0..255, no leading zeros).
    V1InvalidIpv4,
    /// v1: a `TCP6` address that is not in RFC 4291 text form (zones are not allowed).
    V1InvalidIpv6,
    /// v1: an IPv6 address after `TCP4`, or an IPv4 address after `TCP6`.
    V1FamilyMismatch,
    /// v1: a port that is not a decimal 0..65535 without sign or leading zeros.
    V1InvalidPort,
    /// v1: something other than CRLF follows the last field (the destination
    /// port, or `UNKNOWN` itself), or the line ends in a lone CR or LF.
    V1ExpectedCrlf,

    /// v2: the version nibble is not 2 (§2.2).
    V2UnsupportedVersion,
    /// v2: the command nibble is neither LOCAL (0) nor PROXY (1).
    V2UnknownCommand,
    /// v2: an address family other than UNSPEC, INET, INET6 or UNIX under PROXY.
    V2UnknownFamily,
    /// v2: a transport protocol other than UNSPEC, STREAM or DGRAM under PROXY.
    V2UnknownProtocol,
    /// v2: the length field is shorter than the family's address block.
    V2AddressBlockTooShort,
    /// v2: a TLV's declared length runs past the end of the header.
    V2TlvTruncated,
    /// v2: one or two bytes after the last TLV, too few for a TLV header.
    V2TlvTrailingBytes,
    /// v2: a CRC32C TLV whose value is not exactly 4 bytes (§2.2.3).
    V2Crc32cLength,
    /// v2: the CRC32C TLV does not match the checksum of the header (§2.2.3).
    V2Crc32cMismatch,
    /// v2: a UNIQUE_ID TLV longer than 128 bytes (§2.2.5).
    V2UniqueIdTooLong,
    /// v2: an AUTHORITY TLV that is not UTF-8 (§2.2.2).
    V2AuthorityNotUtf8,
    /// v2: an SSL TLV shorter than its 5-byte client/verify prefix (§2.2.6).
    V2SslTooShort,
    /// v2: an SSL sub-TLV whose length does not frame exactly inside the SSL TLV.
    V2SslSubTlvFraming,
    /// v2: an SSL sub-TLV that carries text (version, CN, cipher, algorithms) is not UTF-8.
    V2SslTextNotUtf8,
    /// v2: a NETNS TLV that is not UTF-8 (§2.2.7).
    V2NetnsNotUtf8,
}

impl Error {
    /// Every variant, in declaration order (for tests and tools).
    pub const ALL: [Error; 25] = [
        Error::NotProxy,
        Error::V1LineTooLong,
        Error::V1UnknownProtocol,
        Error::V1ExtraSpace,
        Error::V1MissingField,
        Error::V1InvalidIpv4,
        Error::V1InvalidIpv6,
        Error::V1FamilyMismatch,
        Error::V1InvalidPort,
        Error::V1ExpectedCrlf,
        Error::V2UnsupportedVersion,
        Error::V2UnknownCommand,
        Error::V2UnknownFamily,
        Error::V2UnknownProtocol,
        Error::V2AddressBlockTooShort,
        Error::V2TlvTruncated,
        Error::V2TlvTrailingBytes,
        Error::V2Crc32cLength,
        Error::V2Crc32cMismatch,
        Error::V2UniqueIdTooLong,
        Error::V2AuthorityNotUtf8,
        Error::V2SslTooShort,
        Error::V2SslSubTlvFraming,
        Error::V2SslTextNotUtf8,
        Error::V2NetnsNotUtf8,
    ];

    /// True for [`Error::NotProxy`]: the bytes are some other protocol, not a
    /// broken PROXY header. A server that makes the header optional falls
    /// through to its own protocol on this outcome only.
    pub const fn is_not_proxy(self) -> bool {
        matches!(self, Error::NotProxy)
    }

    /// A stable kebab-case name of the rule, as used in conformance vectors.
    pub const fn code(self) -> &'static str {
        match self {
            Error::NotProxy => "not-proxy",
            Error::V1LineTooLong => "v1-line-too-long",
            Error::V1UnknownProtocol => "v1-unknown-protocol",
            Error::V1ExtraSpace => "v1-extra-space",
            Error::V1MissingField => "v1-missing-field",
            Error::V1InvalidIpv4 => "v1-invalid-ipv4",
            Error::V1InvalidIpv6 => "v1-invalid-ipv6",
            Error::V1FamilyMismatch => "v1-family-mismatch",
            Error::V1InvalidPort => "v1-invalid-port",
            Error::V1ExpectedCrlf => "v1-expected-crlf",
            Error::V2UnsupportedVersion => "v2-unsupported-version",
            Error::V2UnknownCommand => "v2-unknown-command",
            Error::V2UnknownFamily => "v2-unknown-family",
            Error::V2UnknownProtocol => "v2-unknown-protocol",
            Error::V2AddressBlockTooShort => "v2-address-block-too-short",
            Error::V2TlvTruncated => "v2-tlv-truncated",
            Error::V2TlvTrailingBytes => "v2-tlv-trailing-bytes",
            Error::V2Crc32cLength => "v2-crc32c-length",
            Error::V2Crc32cMismatch => "v2-crc32c-mismatch",
            Error::V2UniqueIdTooLong => "v2-unique-id-too-long",
            Error::V2AuthorityNotUtf8 => "v2-authority-not-utf8",
            Error::V2SslTooShort => "v2-ssl-too-short",
            Error::V2SslSubTlvFraming => "v2-ssl-sub-tlv-framing",
            Error::V2SslTextNotUtf8 => "v2-ssl-text-not-utf8",
            Error::V2NetnsNotUtf8 => "v2-netns-not-utf8",
        }
    }

    const fn message(self) -> &'static str {
        match self {
            Error::NotProxy => "not a PROXY protocol header",
            Error::V1LineTooLong => "v1 header has no CRLF within the first 107 bytes",
            Error::V1UnknownProtocol => "v1 protocol is not TCP4, TCP6 or UNKNOWN",
            Error::V1ExtraSpace => "v1 fields must be separated by exactly one space",
            Error::V1MissingField => "v1 line ends before all addresses and ports",
            Error::V1InvalidIpv4 => {
                "v1 TCP4 address is not a dotted quad of 0..255 without leading zeros"
            }
            Error::V1InvalidIpv6 => "v1 TCP6 address is not an RFC 4291 IPv6 address",
            Error::V1FamilyMismatch => "v1 address family does not match the protocol",
            Error::V1InvalidPort => "v1 port is not a decimal 0..65535 without leading zeros",
            Error::V1ExpectedCrlf => {
                "v1 line must end with CRLF right after its last field, not a lone CR or LF"
            }
            Error::V2UnsupportedVersion => "v2 version nibble is not 2",
            Error::V2UnknownCommand => "v2 command is neither LOCAL nor PROXY",
            Error::V2UnknownFamily => "v2 address family is not UNSPEC, INET, INET6 or UNIX",
            Error::V2UnknownProtocol => "v2 transport protocol is not UNSPEC, STREAM or DGRAM",
            Error::V2AddressBlockTooShort => {
                "v2 length is shorter than the address block of its family"
            }
            Error::V2TlvTruncated => "v2 TLV runs past the end of the header",
            Error::V2TlvTrailingBytes => "v2 header ends with a partial TLV header",
            Error::V2Crc32cLength => "v2 CRC32C TLV is not exactly 4 bytes",
            Error::V2Crc32cMismatch => "v2 CRC32C checksum does not match the header",
            Error::V2UniqueIdTooLong => "v2 UNIQUE_ID TLV is longer than 128 bytes",
            Error::V2AuthorityNotUtf8 => "v2 AUTHORITY TLV is not UTF-8",
            Error::V2SslTooShort => {
                "v2 SSL TLV is shorter than its 5-byte client and verify fields"
            }
            Error::V2SslSubTlvFraming => "v2 SSL sub-TLVs do not frame the SSL TLV exactly",
            Error::V2SslTextNotUtf8 => "v2 SSL sub-TLV text is not UTF-8",
            Error::V2NetnsNotUtf8 => "v2 NETNS TLV is not UTF-8",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl core::error::Error for Error {}

/// Why a header could not be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum WriteError {
    /// The output buffer is shorter than [`encoded_len`](crate::Header::encoded_len).
    BufferTooSmall {
        /// Bytes the header needs.
        needed: usize,
    },
    /// The addresses do not fit the command, family or protocol (for example
    /// addresses on a LOCAL header, or IPv6 addresses with the INET family),
    /// so the written header would not parse back to the same value.
    AddressMismatch,
    /// A unix path longer than 108 bytes or containing a NUL byte.
    InvalidUnixPath,
    /// The v2 body (addresses and TLVs) is longer than 65535 bytes.
    TooLong,
    /// The TLVs break a rule the parser enforces.
    InvalidTlv(Error),
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteError::BufferTooSmall { needed } => {
                write!(f, "output buffer too small: the header needs {needed} bytes")
            }
            WriteError::AddressMismatch => {
                f.write_str("addresses do not match the header's command, family or protocol")
            }
            WriteError::InvalidUnixPath => {
                f.write_str("unix path is longer than 108 bytes or contains a NUL byte")
            }
            WriteError::TooLong => f.write_str("v2 header body is longer than 65535 bytes"),
            WriteError::InvalidTlv(e) => write!(f, "invalid TLV: {e}"),
        }
    }
}

impl core::error::Error for WriteError {}
