//! Result codes and their messages. A function returns a length (> 0), 0
//! where documented, or one of these negative codes; [`pp_strerror`] names
//! each. Parse errors get one code per rule of `proxy_hdr::Error`, with the
//! same message as its Rust `Display`; the codes are fixed here, never
//! derived from the enum's order, so they are stable across versions.

use core::ffi::{CStr, c_char, c_int};
use std::ffi::CString;
use std::sync::OnceLock;

use proxy_hdr::Error;

/// Major version of this API (semantic versioning: a change here breaks it).
pub const PP_VERSION_MAJOR: c_int = 0;
/// Minor version of this API.
pub const PP_VERSION_MINOR: c_int = 1;
/// Patch version of this API.
pub const PP_VERSION_PATCH: c_int = 0;

/// The input is a valid prefix of a header: call again with more bytes
/// (`*out_needed` says how many more at least, 0 when unknown).
pub const PP_INCOMPLETE: c_int = -1;
/// A required pointer argument was NULL (or a buffer NULL with a non-zero length).
pub const PP_ERR_NULL: c_int = -2;
/// The output buffer is too small (`*out_needed` says how large it must be).
pub const PP_ERR_BUFFER_TOO_SMALL: c_int = -3;
/// An argument is out of range (an unknown version, policy or transport, a
/// socket address of an unsupported family, mixed families).
pub const PP_ERR_ARGUMENT: c_int = -4;
/// The configuration is invalid (a trusted block that does not parse).
pub const PP_ERR_CONFIG: c_int = -5;
/// A bug in this library (a caught panic); please report it.
pub const PP_ERR_INTERNAL: c_int = -6;
/// The header did not arrive before the deadline.
pub const PP_ERR_TIMEOUT: c_int = -10;
/// The peer closed the connection before a whole header.
pub const PP_ERR_CLOSED: c_int = -11;
/// A header came from a peer outside the trusted list.
pub const PP_ERR_UNTRUSTED: c_int = -12;
/// The header is longer than the size limit (or the buffer).
pub const PP_ERR_TOO_LARGE: c_int = -13;
/// The policy is off and the connection starts with a PROXY header: a proxy
/// sends headers this server does not expect (a misconfiguration).
pub const PP_ERR_UNEXPECTED: c_int = -14;
/// A socket call failed; `errno` says why.
pub const PP_ERR_IO: c_int = -15;
/// An invalid header, for a rule this version has no code for.
pub const PP_ERR_INVALID: c_int = -99;
/// Not a PROXY protocol header (the first bytes fit neither signature).
pub const PP_ERR_NOT_PROXY: c_int = -100;

macro_rules! rules {
    ($( $(#[$doc:meta])* $name:ident = $code:literal => $variant:ident; )*) => {
        $( $(#[$doc])* pub const $name: c_int = $code; )*
        /// Every parse rule and its code.
        pub(crate) const RULES: &[(Error, c_int)] = &[ $( (Error::$variant, $name), )* ];
    };
}

rules! {
    /// v1: no CRLF within 107 bytes (§2.1).
    PP_ERR_V1_LINE_TOO_LONG = -101 => V1LineTooLong;
    /// v1: the protocol is not TCP4, TCP6 or UNKNOWN (§2.1).
    PP_ERR_V1_UNKNOWN_PROTOCOL = -102 => V1UnknownProtocol;
    /// v1: fields not separated by exactly one space.
    PP_ERR_V1_EXTRA_SPACE = -103 => V1ExtraSpace;
    /// v1: the line ends before all addresses and ports.
    PP_ERR_V1_MISSING_FIELD = -104 => V1MissingField;
    /// v1: a bad IPv4 address.
    PP_ERR_V1_INVALID_IPV4 = -105 => V1InvalidIpv4;
    /// v1: a bad IPv6 address.
    PP_ERR_V1_INVALID_IPV6 = -106 => V1InvalidIpv6;
    /// v1: the address family does not match the protocol.
    PP_ERR_V1_FAMILY_MISMATCH = -107 => V1FamilyMismatch;
    /// v1: a bad port.
    PP_ERR_V1_INVALID_PORT = -108 => V1InvalidPort;
    /// v1: the line does not end with CRLF right after its last field.
    PP_ERR_V1_EXPECTED_CRLF = -109 => V1ExpectedCrlf;
    /// v2: the version nibble is not 2 (§2.2).
    PP_ERR_V2_UNSUPPORTED_VERSION = -110 => V2UnsupportedVersion;
    /// v2: the command is neither LOCAL nor PROXY.
    PP_ERR_V2_UNKNOWN_COMMAND = -111 => V2UnknownCommand;
    /// v2: an unknown address family.
    PP_ERR_V2_UNKNOWN_FAMILY = -112 => V2UnknownFamily;
    /// v2: an unknown transport protocol.
    PP_ERR_V2_UNKNOWN_PROTOCOL = -113 => V2UnknownProtocol;
    /// v2: family and protocol not both UNSPEC or both set.
    PP_ERR_V2_UNLISTED_ADDRESS_TYPE = -114 => V2UnlistedAddressType;
    /// v2: the length is shorter than the family's address block.
    PP_ERR_V2_ADDRESS_BLOCK_TOO_SHORT = -115 => V2AddressBlockTooShort;
    /// v2: a TLV runs past the end of the header.
    PP_ERR_V2_TLV_TRUNCATED = -116 => V2TlvTruncated;
    /// v2: the header ends with a partial TLV header.
    PP_ERR_V2_TLV_TRAILING_BYTES = -117 => V2TlvTrailingBytes;
    /// v2: the CRC32C TLV is not 4 bytes (§2.2.3).
    PP_ERR_V2_CRC32C_LENGTH = -118 => V2Crc32cLength;
    /// v2: the CRC32C does not match the header (§2.2.3).
    PP_ERR_V2_CRC32C_MISMATCH = -119 => V2Crc32cMismatch;
    /// v2: UNIQUE_ID is longer than 128 bytes (§2.2.5).
    PP_ERR_V2_UNIQUE_ID_TOO_LONG = -120 => V2UniqueIdTooLong;
    /// v2: the SSL TLV is shorter than its 5-byte prefix (§2.2.6).
    PP_ERR_V2_SSL_TOO_SHORT = -121 => V2SslTooShort;
    /// v2: the SSL sub-TLVs do not frame the SSL TLV exactly.
    PP_ERR_V2_SSL_SUB_TLV_FRAMING = -122 => V2SslSubTlvFraming;
}

/// The C code of a parse error (Rust-side helper, for tools and tests).
pub fn error_code(e: Error) -> c_int {
    if e == Error::NotProxy {
        return PP_ERR_NOT_PROXY;
    }
    RULES.iter().find(|(rule, _)| *rule == e).map_or(PP_ERR_INVALID, |(_, code)| *code)
}

/// The messages of the parse errors, built once from their `Display`.
fn parse_messages() -> &'static [(c_int, CString)] {
    static MESSAGES: OnceLock<Vec<(c_int, CString)>> = OnceLock::new();
    MESSAGES.get_or_init(|| {
        Error::ALL
            .iter()
            .filter_map(|e| Some((error_code(*e), CString::new(e.message()).ok()?)))
            .collect()
    })
}

fn message(code: c_int) -> &'static CStr {
    match code {
        0.. => c"success",
        PP_INCOMPLETE => c"incomplete: a valid prefix of a PROXY header, more bytes are needed",
        PP_ERR_NULL => c"a required pointer argument is NULL",
        PP_ERR_BUFFER_TOO_SMALL => c"output buffer too small",
        PP_ERR_ARGUMENT => c"an argument is out of range",
        PP_ERR_CONFIG => c"invalid configuration (a trusted address block does not parse)",
        PP_ERR_INTERNAL => c"internal error in proxy-hdr (a bug; please report it)",
        PP_ERR_TIMEOUT => c"timed out waiting for the PROXY header",
        PP_ERR_CLOSED => c"connection closed before a whole PROXY header",
        PP_ERR_UNTRUSTED => c"PROXY header from a peer that is not trusted",
        PP_ERR_TOO_LARGE => c"PROXY header longer than the size limit",
        PP_ERR_UNEXPECTED => {
            c"PROXY header received but the PROXY protocol is off (a proxy sends headers this server does not expect)"
        }
        PP_ERR_IO => c"socket error (see errno)",
        PP_ERR_INVALID => c"invalid PROXY protocol header",
        _ => parse_messages()
            .iter()
            .find(|(c, _)| *c == code)
            .map_or(c"unknown error code", |(_, m)| m.as_c_str()),
    }
}

/// A static, NUL-terminated description of `code` (any value: unknown codes
/// get "unknown error code", non-negative ones "success"). For parse errors
/// it is exactly the Rust `Display` of `proxy_hdr::Error`.
#[unsafe(no_mangle)]
pub extern "C" fn pp_strerror(code: c_int) -> *const c_char {
    std::panic::catch_unwind(|| message(code).as_ptr()).unwrap_or(c"internal error".as_ptr())
}

/// Non-zero when `code` is an invalid-header error (one parse rule, or
/// [`PP_ERR_INVALID`]): neither incomplete, nor not-PROXY, nor an I/O outcome.
#[unsafe(no_mangle)]
pub extern "C" fn pp_is_invalid(code: c_int) -> c_int {
    c_int::from(code == PP_ERR_INVALID || (-199..=-101).contains(&code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_has_its_own_code_and_the_rust_message() {
        for e in Error::ALL {
            let code = error_code(*e);
            assert!(code != PP_ERR_INVALID, "{e:?} has no code");
            assert_eq!(Error::ALL.iter().filter(|o| error_code(**o) == code).count(), 1);
            assert_eq!(message(code).to_str().ok(), Some(e.to_string().as_str()));
            assert_eq!(pp_is_invalid(code), c_int::from(*e != Error::NotProxy));
        }
        assert_eq!(RULES.len() + 1, Error::ALL.len());
    }

    #[test]
    fn version_matches_the_package() {
        let want = format!("{PP_VERSION_MAJOR}.{PP_VERSION_MINOR}.{PP_VERSION_PATCH}");
        assert_eq!(want, env!("CARGO_PKG_VERSION"));
    }
}
