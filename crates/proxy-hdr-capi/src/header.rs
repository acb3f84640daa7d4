//! `pp_parse` and the parsed header as a plain C struct.

use core::ffi::c_int;
use core::ptr;

use libc::{sockaddr, sockaddr_storage, socklen_t};
use proxy_hdr::{Addresses, Command, Header, Protocol, Status, Version};

use crate::codes::{PP_ERR_NULL, PP_INCOMPLETE, error_code};
use crate::{guard, sockaddr as sa};

/// `command`: LOCAL (health checks; use the socket's own addresses, §2.2).
pub const PP_CMD_LOCAL: u8 = 0;
/// `command`: PROXY (a relayed connection).
pub const PP_CMD_PROXY: u8 = 1;
/// `family`: no addresses (v1 UNKNOWN, v2 UNSPEC or LOCAL).
pub const PP_FAMILY_UNSPEC: u8 = 0;
/// `family`: IPv4.
pub const PP_FAMILY_INET: u8 = 1;
/// `family`: IPv6.
pub const PP_FAMILY_INET6: u8 = 2;
/// `family`: unix socket paths.
pub const PP_FAMILY_UNIX: u8 = 3;
/// `transport`: unknown.
pub const PP_TRANSPORT_UNSPEC: u8 = 0;
/// `transport`: a stream (TCP, unix stream).
pub const PP_TRANSPORT_STREAM: u8 = 1;
/// `transport`: datagrams (UDP, unix dgram).
pub const PP_TRANSPORT_DGRAM: u8 = 2;

/// A parsed header. Every pointer borrows the buffer given to `pp_parse`
/// (or `pp_read_header_fd`): the header is valid while that buffer is, and
/// nothing needs freeing.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct PpHeader {
    /// 1 or 2.
    pub version: u8,
    /// `PP_CMD_LOCAL` or `PP_CMD_PROXY` (v1 is always PROXY).
    pub command: u8,
    /// `PP_FAMILY_*`.
    pub family: u8,
    /// `PP_TRANSPORT_*`.
    pub transport: u8,
    /// The header's length in bytes: the caller's data starts after it.
    pub header_len: usize,
    /// The client's address (`AF_INET`, `AF_INET6` or `AF_UNIX`;
    /// `AF_UNSPEC` when the header carries none).
    pub source: sockaddr_storage,
    /// The length of `source` (for `getnameinfo`), 0 when none.
    pub source_len: socklen_t,
    /// The address the client connected to.
    pub destination: sockaddr_storage,
    /// The length of `destination`, 0 when none.
    pub destination_len: socklen_t,
    /// For `PP_FAMILY_UNIX`: the source path, not NUL-terminated (NULL otherwise).
    pub source_path: *const u8,
    /// The length of `source_path`.
    pub source_path_len: usize,
    /// For `PP_FAMILY_UNIX`: the destination path, not NUL-terminated.
    pub destination_path: *const u8,
    /// The length of `destination_path`.
    pub destination_path_len: usize,
    /// The v2 TLV bytes, validated (NULL and 0 for none and for v1): walk
    /// them with `pp_tlv_next`.
    pub tlvs: *const u8,
    /// The length of `tlvs`.
    pub tlvs_len: usize,
}

impl PpHeader {
    /// An empty header (what a failed call leaves).
    pub(crate) fn empty() -> Self {
        PpHeader {
            version: 0,
            command: PP_CMD_LOCAL,
            family: PP_FAMILY_UNSPEC,
            transport: PP_TRANSPORT_UNSPEC,
            header_len: 0,
            source: sa::empty(),
            source_len: 0,
            destination: sa::empty(),
            destination_len: 0,
            source_path: ptr::null(),
            source_path_len: 0,
            destination_path: ptr::null(),
            destination_path_len: 0,
            tlvs: ptr::null(),
            tlvs_len: 0,
        }
    }

    /// The C form of `header`, `len` bytes long; its pointers borrow what
    /// `header` borrows.
    pub(crate) fn from_header(header: &Header<'_>, len: usize) -> Self {
        let mut out = PpHeader::empty();
        out.version = match header.version() {
            Version::V1 => 1,
            Version::V2 => 2,
        };
        out.command = match header.command() {
            Command::Local => PP_CMD_LOCAL,
            Command::Proxy => PP_CMD_PROXY,
        };
        out.header_len = len;
        if let (Some(protocol), Some(addresses)) = (header.protocol(), header.addresses()) {
            out.transport = match protocol {
                Protocol::Stream => PP_TRANSPORT_STREAM,
                Protocol::Dgram => PP_TRANSPORT_DGRAM,
            };
            match addresses {
                Addresses::Inet { .. } | Addresses::Inet6 { .. } => {
                    out.family = if matches!(addresses, Addresses::Inet { .. }) {
                        PP_FAMILY_INET
                    } else {
                        PP_FAMILY_INET6
                    };
                    if let (Some(s), Some(d)) = (addresses.source(), addresses.destination()) {
                        out.source_len = sa::store(s, &mut out.source);
                        out.destination_len = sa::store(d, &mut out.destination);
                    }
                }
                Addresses::Unix { source, destination } => {
                    out.family = PP_FAMILY_UNIX;
                    let (s, d) = (source.as_bytes(), destination.as_bytes());
                    out.source_len = sa::store_unix(s, &mut out.source);
                    out.destination_len = sa::store_unix(d, &mut out.destination);
                    (out.source_path, out.source_path_len) = (s.as_ptr(), s.len());
                    (out.destination_path, out.destination_path_len) = (d.as_ptr(), d.len());
                }
            }
        }
        let tlvs = header.tlvs().as_bytes();
        if !tlvs.is_empty() {
            (out.tlvs, out.tlvs_len) = (tlvs.as_ptr(), tlvs.len());
        }
        out
    }
}

/// The `len` bytes at `buf` as a slice; `None` for NULL with a non-zero length.
///
/// # Safety
/// A non-NULL `buf` must point to `len` readable bytes valid for `'a`.
pub(crate) unsafe fn input<'a>(buf: *const u8, len: usize) -> Option<&'a [u8]> {
    if len == 0 {
        return Some(&[]);
    }
    if buf.is_null() {
        return None;
    }
    // SAFETY: non-NULL, and the caller promises `len` readable bytes.
    Some(unsafe { core::slice::from_raw_parts(buf, len) })
}

/// Parses a v1 or v2 PROXY header at the start of `buf` (`len` bytes).
///
/// Returns the header's length (> 0) and fills `*out` (which may be NULL to
/// only validate); bytes from `buf + result` on belong to the next protocol.
/// Returns `PP_INCOMPLETE` for a valid prefix, with `*out_needed` (may be
/// NULL) set to a lower bound on the bytes still needed, or 0 when unknown;
/// `PP_ERR_NOT_PROXY` when the first bytes fit no signature; a
/// `PP_ERR_V1_*` / `PP_ERR_V2_*` code for the rule a header breaks;
/// `PP_ERR_NULL` when `buf` is NULL and `len` is not 0. On failure `*out`
/// is zeroed.
///
/// # Safety
/// `buf` must point to `len` readable bytes (or be NULL when `len` is 0);
/// `out` and `out_needed` must each be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pp_parse(
    buf: *const u8,
    len: usize,
    out: *mut PpHeader,
    out_needed: *mut usize,
) -> c_int {
    guard(|| {
        // SAFETY: `out` and `out_needed` are NULL or writable (the contract).
        let (out, needed) = unsafe { (out.as_mut(), out_needed.as_mut()) };
        let mut answer = PpHeader::empty();
        // SAFETY: the caller promises `len` readable bytes at `buf`.
        let code = match unsafe { input(buf, len) } {
            None => PP_ERR_NULL,
            Some(bytes) => match proxy_hdr::parse(bytes) {
                Ok(Status::Complete { header, len }) => {
                    answer = PpHeader::from_header(&header, len);
                    c_int::try_from(len).unwrap_or(c_int::MAX)
                }
                Ok(Status::Incomplete { needed: n }) => {
                    if let Some(needed) = needed {
                        *needed = n.map_or(0, |n| n.get());
                    }
                    PP_INCOMPLETE
                }
                Err(e) => error_code(e),
            },
        };
        if let Some(out) = out {
            *out = answer;
        }
        code
    })
}

/// The source address, or NULL when the header carries none; `*len` (may be
/// NULL) gets its length. Borrowed from `*header`.
///
/// # Safety
/// `header` must be NULL or point to a `pp_header`; `len` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pp_source(
    header: *const PpHeader,
    len: *mut socklen_t,
) -> *const sockaddr {
    // SAFETY: forwarded contract.
    unsafe { address(header, len, |h| (&h.source, h.source_len)) }
}

/// The destination address, or NULL; as `pp_source`.
///
/// # Safety
/// As `pp_source`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pp_destination(
    header: *const PpHeader,
    len: *mut socklen_t,
) -> *const sockaddr {
    // SAFETY: forwarded contract.
    unsafe { address(header, len, |h| (&h.destination, h.destination_len)) }
}

/// # Safety
/// As `pp_source`.
unsafe fn address(
    header: *const PpHeader,
    len: *mut socklen_t,
    pick: fn(&PpHeader) -> (&sockaddr_storage, socklen_t),
) -> *const sockaddr {
    // SAFETY: NULL or a valid pp_header, NULL or writable (the contract).
    let (header, len) = unsafe { (header.as_ref(), len.as_mut()) };
    let (addr, n) = header.map_or((ptr::null(), 0), |h| {
        let (addr, n) = pick(h);
        if n == 0 { (ptr::null(), 0) } else { ((addr as *const sockaddr_storage).cast(), n) }
    });
    if let Some(len) = len {
        *len = n;
    }
    addr
}
