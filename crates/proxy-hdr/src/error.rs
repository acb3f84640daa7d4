//! Why a header was rejected: one variant per rule of `doc/proxy-protocol.txt`.

use core::fmt;

/// Writes the error enum, its list of variants, their codes and messages
/// from one table, so a rule is written once.
macro_rules! rules {
    ($( $(#[$doc:meta])* $variant:ident => $code:literal, $message:literal; )*) => {
        /// A parse outcome that is not a header: either the input is not a
        /// PROXY header at all ([`Error::NotProxy`]) or it breaks one rule of
        /// the spec.
        ///
        /// Every variant names exactly one rule, so a server log can say
        /// which one a peer broke. [`Error::code`] gives a stable kebab-case
        /// name for the rule, used by the conformance vectors.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[cfg_attr(feature = "defmt", derive(defmt::Format))]
        #[non_exhaustive]
        pub enum Error {
            $( $(#[$doc])* $variant, )*
        }

        impl Error {
            /// Every variant, in declaration order (for tests and tools). A
            /// slice, so that a new rule is not a breaking change.
            pub const ALL: &'static [Error] = &[ $( Error::$variant, )* ];

            /// A stable kebab-case name of the rule, as used in conformance
            /// vectors and in the C API.
            pub const fn code(self) -> &'static str {
                match self {
                    $( Error::$variant => $code, )*
                }
            }

            /// The rule, as a lower-case phrase (what `Display` prints).
            pub const fn message(self) -> &'static str {
                match self {
                    $( Error::$variant => $message, )*
                }
            }
        }
    };
}

rules! {
    /// The first bytes match neither the v1 `PROXY ` prefix nor the v2
    /// signature: the peer is not speaking the PROXY protocol.
    NotProxy => "not-proxy", "not a PROXY protocol header";

    /// v1: no CRLF within the first 107 bytes (§2.1).
    V1LineTooLong => "v1-line-too-long", "v1 header has no CRLF within the first 107 bytes";
    /// v1: the protocol word is not `TCP4`, `TCP6` or `UNKNOWN`.
    V1UnknownProtocol => "v1-unknown-protocol", "v1 protocol is not TCP4, TCP6 or UNKNOWN";
    /// v1: two spaces in a row, or a space where a field should start.
    V1ExtraSpace => "v1-extra-space", "v1 fields must be separated by exactly one space";
    /// v1: the line ends before the addresses and ports are all present.
    V1MissingField => "v1-missing-field", "v1 line ends before all addresses and ports";
    /// v1: a `TCP4` address that is not a dotted quad (0..255, no leading zeros).
    V1InvalidIpv4 => "v1-invalid-ipv4",
        "v1 TCP4 address is not a dotted quad of 0..255 without leading zeros";
    /// v1: a `TCP6` address that is not in RFC 4291 text form (zones are not allowed).
    V1InvalidIpv6 => "v1-invalid-ipv6", "v1 TCP6 address is not an RFC 4291 IPv6 address";
    /// v1: an IPv6 address after `TCP4`, or an IPv4 address after `TCP6`.
    V1FamilyMismatch => "v1-family-mismatch", "v1 address family does not match the protocol";
    /// v1: a port that is not a decimal 0..65535 without sign or leading zeros.
    V1InvalidPort => "v1-invalid-port",
        "v1 port is not a decimal 0..65535 without leading zeros";
    /// v1: something other than CRLF follows the last field (the destination
    /// port, or `UNKNOWN` itself), or the line ends in a lone CR or LF.
    V1ExpectedCrlf => "v1-expected-crlf",
        "v1 line must end with CRLF right after its last field, not a lone CR or LF";

    /// v2: the version nibble is not 2 (§2.2).
    V2UnsupportedVersion => "v2-unsupported-version", "v2 version nibble is not 2";
    /// v2: the command nibble is neither LOCAL (0) nor PROXY (1).
    V2UnknownCommand => "v2-unknown-command", "v2 command is neither LOCAL nor PROXY";
    /// v2: under PROXY, an address family nibble other than UNSPEC, INET,
    /// INET6 or UNIX.
    V2UnknownFamily => "v2-unknown-family",
        "v2 address family is not UNSPEC, INET, INET6 or UNIX";
    /// v2: under PROXY, a transport protocol nibble other than UNSPEC,
    /// STREAM or DGRAM.
    V2UnknownProtocol => "v2-unknown-protocol",
        "v2 transport protocol is not UNSPEC, STREAM or DGRAM";
    /// v2: under PROXY, UNSPEC on one side of the family/protocol byte but
    /// not the other (0x01, 0x02, 0x10, 0x20, 0x30): §2.2 lists only
    /// 0x00, 0x11, 0x12, 0x21, 0x22, 0x31 and 0x32.
    V2UnlistedAddressType => "v2-unlisted-address-type",
        "v2 family and protocol must both be UNSPEC or both be set (0x00, 0x11 .. 0x32)";
    /// v2: the length field is shorter than the family's address block.
    V2AddressBlockTooShort => "v2-address-block-too-short",
        "v2 length is shorter than the address block of its family";
    /// v2: a TLV's declared length runs past the end of the header.
    V2TlvTruncated => "v2-tlv-truncated", "v2 TLV runs past the end of the header";
    /// v2: one or two bytes after the last TLV, too few for a TLV header.
    V2TlvTrailingBytes => "v2-tlv-trailing-bytes", "v2 header ends with a partial TLV header";
    /// v2: a CRC32C TLV whose value is not exactly 4 bytes (§2.2.3).
    V2Crc32cLength => "v2-crc32c-length", "v2 CRC32C TLV is not exactly 4 bytes";
    /// v2: the CRC32C TLV does not match the checksum of the header (§2.2.3).
    V2Crc32cMismatch => "v2-crc32c-mismatch", "v2 CRC32C checksum does not match the header";
    /// v2: a UNIQUE_ID TLV longer than 128 bytes (§2.2.5).
    V2UniqueIdTooLong => "v2-unique-id-too-long", "v2 UNIQUE_ID TLV is longer than 128 bytes";
    /// v2: an SSL TLV shorter than its 5-byte client/verify prefix (§2.2.6).
    V2SslTooShort => "v2-ssl-too-short",
        "v2 SSL TLV is shorter than its 5-byte client and verify fields";
    /// v2: an SSL sub-TLV whose length does not frame exactly inside the SSL TLV.
    V2SslSubTlvFraming => "v2-ssl-sub-tlv-framing",
        "v2 SSL sub-TLVs do not frame the SSL TLV exactly";
}

impl Error {
    /// True for [`Error::NotProxy`]: the bytes are some other protocol, not a
    /// broken PROXY header. A server that makes the header optional falls
    /// through to its own protocol on this outcome only.
    pub const fn is_not_proxy(self) -> bool {
        matches!(self, Error::NotProxy)
    }

    /// The error whose [`code`](Self::code) is `code`.
    pub fn from_code(code: &str) -> Option<Error> {
        Error::ALL.iter().copied().find(|e| e.code() == code)
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
            WriteError::TooLong => f.write_str("v2 header body is longer than 65535 bytes"),
            WriteError::InvalidTlv(e) => write!(f, "invalid TLV: {e}"),
        }
    }
}

impl core::error::Error for WriteError {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Codes are unique kebab-case names and messages are one-line phrases.
    #[test]
    fn every_rule_has_a_unique_code_and_a_message() {
        for (i, e) in Error::ALL.iter().enumerate() {
            assert!(
                e.code().bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            );
            assert_eq!(Error::from_code(e.code()), Some(*e));
            assert!(Error::ALL[..i].iter().all(|other| other.code() != e.code()), "{e:?}");
            assert!(!e.message().is_empty() && !e.message().contains('\n'));
        }
    }
}
