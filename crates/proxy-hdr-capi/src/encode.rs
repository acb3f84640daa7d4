//! `pp_encode`: write a header into the caller's buffer (for C proxies and
//! tests). The core writer does the work, CRC32C included.

use core::ffi::c_int;

use libc::{sockaddr, socklen_t};
use proxy_hdr::v2::Tlvs;
use proxy_hdr::{Addresses, Protocol, UnixAddr, WriteError, v1, v2};

use crate::codes::*;
use crate::header::{PP_CMD_LOCAL, PP_CMD_PROXY, PP_TRANSPORT_DGRAM, PP_TRANSPORT_STREAM, input};
use crate::sockaddr::{CAddr, load};

/// What `pp_encode` writes.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct PpEncodeParams {
    /// 1 (text line) or 2 (binary).
    pub version: u8,
    /// `PP_CMD_PROXY` or `PP_CMD_LOCAL` (v2 only; LOCAL carries no addresses).
    pub command: u8,
    /// `PP_TRANSPORT_STREAM` or `PP_TRANSPORT_DGRAM` (v2; v1 is always TCP).
    pub transport: u8,
    /// The client's address (`AF_INET`, `AF_INET6`, or `AF_UNIX` for v2);
    /// NULL with `destination` NULL for v1 `UNKNOWN` / v2 UNSPEC.
    pub source: *const sockaddr,
    /// The length of `*source`.
    pub source_len: socklen_t,
    /// The address the client connected to, of the same family.
    pub destination: *const sockaddr,
    /// The length of `*destination`.
    pub destination_len: socklen_t,
    /// v2 only: raw TLV bytes to append (type, 16-bit length, value...),
    /// checked as a parser would; a CRC32C TLV's value is computed. NULL for none.
    pub tlvs: *const u8,
    /// The length of `tlvs`.
    pub tlvs_len: usize,
}

fn addresses<'a>(source: CAddr<'a>, destination: CAddr<'a>) -> Result<Addresses<'a>, c_int> {
    match (source, destination) {
        (CAddr::Ip(s), CAddr::Ip(d)) => Addresses::from_sockets(s, d).ok_or(PP_ERR_ARGUMENT),
        (CAddr::Unix(s), CAddr::Unix(d)) => Ok(Addresses::Unix {
            source: UnixAddr::new(s).ok_or(PP_ERR_ARGUMENT)?,
            destination: UnixAddr::new(d).ok_or(PP_ERR_ARGUMENT)?,
        }),
        _ => Err(PP_ERR_ARGUMENT),
    }
}

/// Writes the header `params` describes to `out` (`cap` bytes) and returns
/// its length; `PP_ERR_BUFFER_TOO_SMALL` with `*out_needed` (may be NULL)
/// set when `cap` is too small (nothing is written then);
/// `PP_ERR_ARGUMENT` for a bad version, command, transport or address pair;
/// a `PP_ERR_V2_*` code for TLV bytes that do not frame; `PP_ERR_TOO_LARGE`
/// for a v2 body over 65535 bytes; `PP_ERR_NULL` for NULL `params`/`out`.
///
/// # Safety
/// `params` must be NULL or valid, its pointers covering their lengths;
/// `out` must point to `cap` writable bytes; `out_needed` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pp_encode(
    params: *const PpEncodeParams,
    out: *mut u8,
    cap: usize,
    out_needed: *mut usize,
) -> c_int {
    crate::guard(|| {
        // SAFETY: NULL or valid / writable (the contract).
        let (Some(p), needed) = (unsafe { params.as_ref() }, unsafe { out_needed.as_mut() }) else {
            return PP_ERR_NULL;
        };
        if out.is_null() && cap != 0 {
            return PP_ERR_NULL;
        }
        // SAFETY: `source`/`destination` cover their lengths (the contract).
        let pair =
            unsafe { (load(p.source, p.source_len), load(p.destination, p.destination_len)) };
        let addresses = match (p.source.is_null() && p.destination.is_null(), pair) {
            (true, _) => None,
            (false, (Some(s), Some(d))) => match addresses(s, d) {
                Ok(a) => Some(a),
                Err(code) => return code,
            },
            (false, _) => return PP_ERR_ARGUMENT,
        };
        let header: proxy_hdr::Header<'_> = match p.version {
            1 if p.command != PP_CMD_PROXY => return PP_ERR_ARGUMENT,
            1 => match addresses {
                None => v1::Header::UNKNOWN.into(),
                Some(a) => match v1::Header::from_addresses(a) {
                    Some(h) => h.into(),
                    None => return PP_ERR_ARGUMENT,
                },
            },
            2 => {
                // SAFETY: `tlvs` covers `tlvs_len` bytes (the contract).
                let Some(bytes) = (unsafe { input(p.tlvs, p.tlvs_len) }) else {
                    return PP_ERR_NULL;
                };
                let tlvs = match Tlvs::new(bytes) {
                    Ok(t) => t,
                    Err(e) => return error_code(e),
                };
                let protocol = match p.transport {
                    PP_TRANSPORT_STREAM => Protocol::Stream,
                    PP_TRANSPORT_DGRAM => Protocol::Dgram,
                    _ if addresses.is_none() => Protocol::Stream,
                    _ => return PP_ERR_ARGUMENT,
                };
                let h = match (p.command, addresses) {
                    (PP_CMD_LOCAL, None) => v2::Header::local(),
                    (PP_CMD_PROXY, None) => v2::Header::proxy_unspec(),
                    (PP_CMD_PROXY, Some(a)) => v2::Header::proxy(protocol, a),
                    _ => return PP_ERR_ARGUMENT,
                };
                h.with_tlvs(tlvs).into()
            }
            _ => return PP_ERR_ARGUMENT,
        };
        let buf: &mut [u8] = if cap == 0 {
            &mut []
        } else {
            // SAFETY: non-NULL (checked above) with `cap` writable bytes.
            unsafe { core::slice::from_raw_parts_mut(out, cap) }
        };
        match header.write(buf) {
            Ok(n) => c_int::try_from(n).unwrap_or(PP_ERR_TOO_LARGE),
            Err(WriteError::BufferTooSmall { needed: n }) => {
                if let Some(needed) = needed {
                    *needed = n;
                }
                PP_ERR_BUFFER_TOO_SMALL
            }
            Err(WriteError::TooLong) => PP_ERR_TOO_LARGE,
            Err(WriteError::InvalidTlv(e)) => error_code(e),
            Err(_) => PP_ERR_ARGUMENT,
        }
    })
}
