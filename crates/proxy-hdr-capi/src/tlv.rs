//! The v2 TLVs of a parsed header (§2.2): iteration and typed helpers, all
//! borrowed from the caller's buffer. Every function re-frames the bytes
//! `pp_header.tlvs` points to, so a header a C program altered yields "not
//! found", never an out-of-bounds read.

use core::ffi::c_int;
use core::ptr;

use proxy_hdr::Text;
use proxy_hdr::v2::{Ssl, Tlvs};

use crate::codes::PP_ERR_NULL;
use crate::header::{PpHeader, input};

/// One TLV: its type and its value, borrowed.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct PpTlv {
    /// The type byte (`PP2_TYPE_*` of the spec: 0x01 ALPN, 0x02 AUTHORITY...).
    pub kind: u8,
    /// The value (NULL when empty).
    pub value: *const u8,
    /// The value's length.
    pub len: usize,
}

/// A borrowed byte string; `ptr` is NULL when absent.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct PpBytes {
    /// The bytes, not NUL-terminated (NULL when absent).
    pub ptr: *const u8,
    /// Their length.
    pub len: usize,
}

impl PpBytes {
    const NONE: PpBytes = PpBytes { ptr: ptr::null(), len: 0 };

    fn of(bytes: Option<&[u8]>) -> Self {
        bytes.map_or(PpBytes::NONE, |b| PpBytes { ptr: b.as_ptr(), len: b.len() })
    }
}

/// The SSL TLV (§2.2.6).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct PpSsl {
    /// The client flags: 0x01 SSL, 0x02 CERT_CONN, 0x04 CERT_SESS.
    pub client: u8,
    /// 1 when the client used TLS, presented a certificate (on this
    /// connection or in the resumed session) and the proxy verified it:
    /// `verify` zero alone proves nothing, HAProxy sends zero for a client
    /// without a certificate.
    pub verified: u8,
    /// The raw `verify` field (zero unless a presented certificate failed).
    pub verify: u32,
    /// The TLS version (sub-TLV 0x21), e.g. `TLSv1.3`.
    pub version: PpBytes,
    /// The client certificate's Common Name (0x22), as the proxy copied it.
    pub cn: PpBytes,
    /// The cipher (0x23).
    pub cipher: PpBytes,
    /// The certificate's signature algorithm (0x24).
    pub sig_alg: PpBytes,
    /// The certificate's key algorithm (0x25).
    pub key_alg: PpBytes,
}

/// The header's TLVs, re-framed; `None` for NULL or bytes that do not frame.
///
/// # Safety
/// `header` must be NULL or point to a `pp_header` whose `tlvs` points to
/// `tlvs_len` readable bytes.
unsafe fn tlvs<'a>(header: *const PpHeader) -> Option<Tlvs<'a>> {
    // SAFETY: NULL or a valid pp_header (the contract).
    let header = unsafe { header.as_ref() }?;
    // SAFETY: the header's TLV pointer covers `tlvs_len` bytes (the contract).
    let bytes = unsafe { input(header.tlvs, header.tlvs_len) }?;
    Tlvs::new(bytes).ok()
}

/// Writes `value` to `out` when both are present; 1 when found, 0 when not,
/// `PP_ERR_NULL` when `out` is NULL.
fn give(out: Option<&mut PpBytes>, value: Option<&[u8]>) -> c_int {
    let Some(out) = out else { return PP_ERR_NULL };
    *out = PpBytes::of(value);
    c_int::from(value.is_some())
}

/// The TLV after position `*cursor` (start with 0): writes it to `*out`,
/// advances the cursor and returns 1; returns 0 at the end, `PP_ERR_NULL`
/// for a NULL argument.
///
/// # Safety
/// `header` must be NULL or a header filled by this library; `cursor` and
/// `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pp_tlv_next(
    header: *const PpHeader,
    cursor: *mut usize,
    out: *mut PpTlv,
) -> c_int {
    crate::guard(|| {
        // SAFETY: NULL or writable (the contract).
        let (Some(cursor), Some(out)) = (unsafe { cursor.as_mut() }, unsafe { out.as_mut() })
        else {
            return PP_ERR_NULL;
        };
        if header.is_null() {
            return PP_ERR_NULL;
        }
        // SAFETY: forwarded contract.
        let Some(tlvs) = (unsafe { tlvs(header) }) else { return 0 };
        match tlvs.iter().nth(*cursor) {
            Some(tlv) => {
                let value = tlv.value();
                let ptr = if value.is_empty() { ptr::null() } else { value.as_ptr() };
                *out = PpTlv { kind: tlv.raw_kind(), value: ptr, len: value.len() };
                *cursor += 1;
                1
            }
            None => 0,
        }
    })
}

/// The value of the first TLV of type `kind`: 1 and `*out` set when found,
/// 0 (and `out->ptr` NULL) when not, `PP_ERR_NULL` for NULL `out`.
///
/// # Safety
/// As `pp_tlv_next`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pp_tlv_find(
    header: *const PpHeader,
    kind: u8,
    out: *mut PpBytes,
) -> c_int {
    crate::guard(|| {
        // SAFETY: forwarded contract.
        let found = unsafe { tlvs(header) }.and_then(|t| t.find(kind.into())).map(|t| t.value());
        // SAFETY: NULL or writable (the contract).
        give(unsafe { out.as_mut() }, found)
    })
}

macro_rules! text_helper {
    ($(#[$doc:meta])* $name:ident, $get:expr) => {
        $(#[$doc])*
        ///
        /// # Safety
        /// As `pp_tlv_next`.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $name(header: *const PpHeader, out: *mut PpBytes) -> c_int {
            crate::guard(|| {
                let get: for<'t> fn(&Tlvs<'t>) -> Option<&'t [u8]> = $get;
                // SAFETY: forwarded contract.
                let found = unsafe { tlvs(header) };
                // SAFETY: NULL or writable (the contract).
                give(unsafe { out.as_mut() }, found.as_ref().and_then(get))
            })
        }
    };
}

text_helper!(
    /// The ALPN TLV (0x01, §2.2.1), e.g. `h2`: as `pp_tlv_find`.
    pp_alpn, |t| t.alpn()
);
text_helper!(
    /// The AUTHORITY TLV (0x02, §2.2.2), the host name (TLS SNI): as `pp_tlv_find`.
    pp_authority, |t| t.authority().map(|a| a.as_bytes())
);
text_helper!(
    /// The UNIQUE_ID TLV (0x05, §2.2.5), up to 128 bytes: as `pp_tlv_find`.
    pp_unique_id, |t| t.unique_id()
);
text_helper!(
    /// The NETNS TLV (0x30, §2.2.7): as `pp_tlv_find`.
    pp_netns, |t| t.netns().map(|a| a.as_bytes())
);
text_helper!(
    /// AWS's VPC endpoint id (TLV 0xEA, subtype 0x01): as `pp_tlv_find`.
    pp_aws_vpc_endpoint_id, |t| t.aws_vpc_endpoint_id().map(|a| a.as_bytes())
);

/// The SSL TLV (0x20, §2.2.6) with its sub-TLVs: 1 and `*out` filled when
/// present, 0 when not, `PP_ERR_NULL` for NULL `out`.
///
/// # Safety
/// As `pp_tlv_next`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pp_ssl(header: *const PpHeader, out: *mut PpSsl) -> c_int {
    crate::guard(|| {
        // SAFETY: NULL or writable (the contract).
        let Some(out) = (unsafe { out.as_mut() }) else { return PP_ERR_NULL };
        // SAFETY: forwarded contract.
        let ssl: Option<Ssl<'_>> = unsafe { tlvs(header) }.and_then(|t| t.ssl());
        let text = |t: Option<Text<'_>>| PpBytes::of(t.map(|t| t.as_bytes()));
        *out = match ssl {
            Some(ssl) => PpSsl {
                client: ssl.client().bits(),
                verified: u8::from(ssl.is_verified()),
                verify: ssl.verify(),
                version: text(ssl.version()),
                cn: text(ssl.cn()),
                cipher: text(ssl.cipher()),
                sig_alg: text(ssl.sig_alg()),
                key_alg: text(ssl.key_alg()),
            },
            None => PpSsl {
                client: 0,
                verified: 0,
                verify: 0,
                version: PpBytes::NONE,
                cn: PpBytes::NONE,
                cipher: PpBytes::NONE,
                sig_alg: PpBytes::NONE,
                key_alg: PpBytes::NONE,
            },
        };
        c_int::from(ssl.is_some())
    })
}

/// Azure's Private Endpoint LinkID (TLV 0xEE, subtype 0x01): 1 and `*out`
/// set when present, 0 when not, `PP_ERR_NULL` for NULL `out`.
///
/// # Safety
/// As `pp_tlv_next`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pp_azure_link_id(header: *const PpHeader, out: *mut u32) -> c_int {
    crate::guard(|| {
        // SAFETY: NULL or writable (the contract).
        let Some(out) = (unsafe { out.as_mut() }) else { return PP_ERR_NULL };
        // SAFETY: forwarded contract.
        let id = unsafe { tlvs(header) }.and_then(|t| t.azure_private_endpoint_link_id());
        *out = id.unwrap_or(0);
        c_int::from(id.is_some())
    })
}

/// Google Cloud's Private Service Connect connection id (TLV 0xE0): 1 and
/// `*out` set when present, 0 when not, `PP_ERR_NULL` for NULL `out`.
///
/// # Safety
/// As `pp_tlv_next`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pp_gcp_psc_id(header: *const PpHeader, out: *mut u64) -> c_int {
    crate::guard(|| {
        // SAFETY: NULL or writable (the contract).
        let Some(out) = (unsafe { out.as_mut() }) else { return PP_ERR_NULL };
        // SAFETY: forwarded contract.
        let id = unsafe { tlvs(header) }.and_then(|t| t.gcp_psc_connection_id());
        *out = id.unwrap_or(0);
        c_int::from(id.is_some())
    })
}
