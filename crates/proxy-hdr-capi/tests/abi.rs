//! The C ABI's contract: NULL checks, honoured lengths, encode/parse round
//! trips, TLV helpers (SSL `verified` included), messages.

use std::ffi::CStr;
use std::mem::{MaybeUninit, size_of};
use std::ptr::{null, null_mut};

use proxy_hdr_capi::*;

fn header(input: &[u8]) -> (i32, PpHeader) {
    let mut h = MaybeUninit::<PpHeader>::zeroed();
    // SAFETY: a live slice and a writable output.
    let rc = unsafe { pp_parse(input.as_ptr(), input.len(), h.as_mut_ptr(), null_mut()) };
    // SAFETY: pp_parse always writes `*out`.
    (rc, unsafe { h.assume_init() })
}

fn bytes<'a>(b: PpBytes) -> Option<&'a [u8]> {
    // SAFETY: the test keeps the parsed buffer alive while using the result.
    (!b.ptr.is_null()).then(|| unsafe { std::slice::from_raw_parts(b.ptr, b.len) })
}

fn message(code: i32) -> String {
    // SAFETY: pp_strerror returns a static NUL-terminated string.
    unsafe { CStr::from_ptr(pp_strerror(code)) }.to_str().unwrap().to_owned()
}

#[test]
fn null_pointers_are_refused_not_dereferenced() {
    // SAFETY: NULL pointers are part of the contract.
    unsafe {
        assert_eq!(pp_parse(null(), 5, null_mut(), null_mut()), PP_ERR_NULL);
        assert_eq!(pp_parse(null(), 0, null_mut(), null_mut()), PP_INCOMPLETE);
        let line = b"PROXY UNKNOWN\r\n";
        assert_eq!(pp_parse(line.as_ptr(), line.len(), null_mut(), null_mut()), 15);
        let mut cursor = 0;
        let mut tlv = MaybeUninit::<PpTlv>::zeroed();
        assert_eq!(pp_tlv_next(null(), &mut cursor, tlv.as_mut_ptr()), PP_ERR_NULL);
        let (_, h) = header(line);
        assert_eq!(pp_tlv_next(&h, null_mut(), tlv.as_mut_ptr()), PP_ERR_NULL);
        assert_eq!(pp_tlv_next(&h, &mut cursor, null_mut()), PP_ERR_NULL);
        assert_eq!(pp_tlv_next(&h, &mut cursor, tlv.as_mut_ptr()), 0);
        assert_eq!(pp_authority(&h, null_mut()), PP_ERR_NULL);
        let mut b = PpBytes { ptr: null(), len: 7 };
        assert_eq!(pp_authority(null(), &mut b), 0);
        assert!(b.ptr.is_null() && b.len == 0);
        assert_eq!(pp_ssl(&h, null_mut()), PP_ERR_NULL);
        assert!(pp_source(null(), null_mut()).is_null());
        assert_eq!(pp_encode(null(), null_mut(), 0, null_mut()), PP_ERR_NULL);
        let mut buf = [0u8; 16];
        assert_eq!(pp_read_header_fd(-1, null(), null_mut(), 16, null_mut()), PP_ERR_NULL);
        assert_eq!(pp_read_header_fd(-1, null(), buf.as_mut_ptr(), 16, null_mut()), PP_ERR_IO);
    }
}

#[test]
fn lengths_are_honoured() {
    let line = b"PROXY TCP4 192.0.2.1 198.51.100.2 5000 443\r\nGET";
    for end in 0..line.len() - 3 {
        let (rc, _) = header(&line[..end]);
        assert!(rc == PP_INCOMPLETE, "{end}: {rc}");
    }
    let (rc, h) = header(line);
    assert_eq!(rc, 44);
    let mut len = 0;
    // SAFETY: `h` is a parsed header.
    let src = unsafe { pp_source(&h, &mut len) };
    assert_eq!(len as usize, size_of::<libc::sockaddr_in>());
    // SAFETY: AF_INET of `len` bytes, inside `h`.
    let sin = unsafe { &*(src as *const libc::sockaddr_in) };
    assert_eq!(i32::from(sin.sin_family), libc::AF_INET);
    assert_eq!(u16::from_be(sin.sin_port), 5000);
    assert_eq!(u32::from_be(sin.sin_addr.s_addr), u32::from_be_bytes([192, 0, 2, 1]));
    assert_eq!(
        (h.version, h.command, h.family, h.transport),
        (1, PP_CMD_PROXY, PP_FAMILY_INET, PP_TRANSPORT_STREAM)
    );
}

fn ssl_tlv(client: u8, verify: u32, cn: &[u8]) -> Vec<u8> {
    let mut sub = vec![0x21, 0, 7];
    sub.extend_from_slice(b"TLSv1.3");
    sub.extend_from_slice(&[0x22, 0, cn.len() as u8]);
    sub.extend_from_slice(cn);
    let mut v = vec![client];
    v.extend_from_slice(&verify.to_be_bytes());
    v.extend_from_slice(&sub);
    let mut tlv = vec![0x20];
    tlv.extend_from_slice(&(v.len() as u16).to_be_bytes());
    tlv.extend_from_slice(&v);
    tlv
}

fn encode(params: &PpEncodeParams) -> Vec<u8> {
    let mut needed = 0;
    // SAFETY: valid params, a zero-length output.
    let rc = unsafe { pp_encode(params, null_mut(), 0, &mut needed) };
    assert_eq!(rc, PP_ERR_BUFFER_TOO_SMALL);
    let mut out = vec![0u8; needed];
    // SAFETY: valid params, `needed` writable bytes.
    let rc = unsafe { pp_encode(params, out.as_mut_ptr(), out.len(), null_mut()) };
    assert_eq!(rc as usize, needed);
    out
}

fn sin6(ip: [u8; 16], port: u16) -> libc::sockaddr_in6 {
    // SAFETY: zero is a valid sockaddr_in6.
    let mut s: libc::sockaddr_in6 = unsafe { std::mem::zeroed() };
    s.sin6_family = libc::AF_INET6 as libc::sa_family_t;
    s.sin6_port = port.to_be();
    s.sin6_addr.s6_addr = ip;
    s
}

#[test]
fn encode_then_parse_with_tlvs_and_the_ssl_helpers() {
    let (src, dst) =
        (sin6([0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7], 40000), sin6([0; 16], 443));
    let mut tlvs = vec![0x02, 0, 11];
    tlvs.extend_from_slice(b"example.com");
    tlvs.extend_from_slice(&[0x03, 0, 4, 0, 0, 0, 0]); // CRC32C, computed by the writer
    tlvs.extend(ssl_tlv(0x01 | 0x02, 0, b"client-cn"));
    let params = PpEncodeParams {
        version: 2,
        command: PP_CMD_PROXY,
        transport: PP_TRANSPORT_STREAM,
        source: (&src as *const libc::sockaddr_in6).cast(),
        source_len: size_of::<libc::sockaddr_in6>() as u32,
        destination: (&dst as *const libc::sockaddr_in6).cast(),
        destination_len: size_of::<libc::sockaddr_in6>() as u32,
        tlvs: tlvs.as_ptr(),
        tlvs_len: tlvs.len(),
    };
    let wire = encode(&params);
    let (rc, h) = header(&wire);
    assert_eq!(rc as usize, wire.len(), "{}", message(rc));
    assert_eq!((h.version, h.family), (2, PP_FAMILY_INET6));
    let (mut b, mut ssl) = (PpBytes { ptr: null(), len: 0 }, MaybeUninit::<PpSsl>::zeroed());
    // SAFETY: `h` borrows `wire`, alive; outputs writable.
    unsafe {
        assert_eq!(pp_authority(&h, &mut b), 1);
        assert_eq!(bytes(b), Some(&b"example.com"[..]));
        assert_eq!(pp_unique_id(&h, &mut b), 0);
        assert!(b.ptr.is_null());
        assert_eq!(pp_tlv_find(&h, 0x03, &mut b), 1);
        assert_ne!(bytes(b), Some(&[0u8; 4][..]), "the writer computes the CRC");
        assert_eq!(pp_ssl(&h, ssl.as_mut_ptr()), 1);
        let ssl = ssl.assume_init();
        assert_eq!((ssl.client, ssl.verify, ssl.verified), (3, 0, 1));
        assert_eq!(bytes(ssl.version), Some(&b"TLSv1.3"[..]));
        assert_eq!(bytes(ssl.cn), Some(&b"client-cn"[..]));
        assert!(ssl.cipher.ptr.is_null());
    }
    // verify == 0 without a certificate is not "verified" (HAProxy sends 0).
    let mut wire = b"\r\n\r\n\0\r\nQUIT\n\x21\x00".to_vec();
    let tlv = ssl_tlv(0x01, 0, b"x");
    wire.extend_from_slice(&(tlv.len() as u16).to_be_bytes());
    wire.extend_from_slice(&tlv);
    let (rc, h) = header(&wire);
    assert_eq!(rc as usize, wire.len(), "{}", message(rc));
    let mut ssl = MaybeUninit::<PpSsl>::zeroed();
    // SAFETY: as above.
    let ssl = unsafe {
        assert_eq!(pp_ssl(&h, ssl.as_mut_ptr()), 1);
        ssl.assume_init()
    };
    assert_eq!((ssl.client, ssl.verify, ssl.verified), (1, 0, 0));
}

#[test]
fn encode_refuses_bad_arguments() {
    let src = sin6([0; 16], 1);
    let mut p = PpEncodeParams {
        version: 3,
        command: PP_CMD_PROXY,
        transport: PP_TRANSPORT_STREAM,
        source: (&src as *const libc::sockaddr_in6).cast(),
        source_len: size_of::<libc::sockaddr_in6>() as u32,
        destination: null(),
        destination_len: 0,
        tlvs: null(),
        tlvs_len: 0,
    };
    let mut out = [0u8; 256];
    // SAFETY: valid params and buffer.
    let run = |p: &PpEncodeParams, out: &mut [u8]| unsafe {
        pp_encode(p, out.as_mut_ptr(), out.len(), null_mut())
    };
    assert_eq!(run(&p, &mut out), PP_ERR_ARGUMENT, "version 3");
    p.version = 2;
    assert_eq!(run(&p, &mut out), PP_ERR_ARGUMENT, "one address");
    p.source_len = 4;
    p.destination = p.source;
    assert_eq!(run(&p, &mut out), PP_ERR_ARGUMENT, "short sockaddr");
    p.source_len = size_of::<libc::sockaddr_in6>() as u32;
    p.destination_len = p.source_len;
    let tlv = [0x02, 0, 9, b'x'];
    (p.tlvs, p.tlvs_len) = (tlv.as_ptr(), tlv.len());
    assert_eq!(run(&p, &mut out), PP_ERR_V2_TLV_TRUNCATED);
    p.tlvs_len = 0;
    let n = run(&p, &mut out);
    assert_eq!(n, 16 + 36);
    assert_eq!(run(&p, &mut out[..10]), PP_ERR_BUFFER_TOO_SMALL);
    p.version = 1;
    let n = run(&p, &mut out);
    assert_eq!(&out[..n as usize], b"PROXY TCP6 :: :: 1 1\r\n");
}

#[test]
fn messages_are_static_and_match_rust() {
    assert_eq!(message(PP_ERR_V2_CRC32C_MISMATCH), proxy_hdr::Error::V2Crc32cMismatch.to_string());
    assert_eq!(message(PP_ERR_NOT_PROXY), proxy_hdr::Error::NotProxy.to_string());
    assert_eq!(message(PP_ERR_TIMEOUT), "timed out waiting for the PROXY header");
    assert_eq!(message(-12345), "unknown error code");
    assert_eq!(message(7), "success");
    // SAFETY: static string.
    let version = unsafe { CStr::from_ptr(pp_version()) }.to_str().unwrap();
    assert_eq!(version, format!("{PP_VERSION_MAJOR}.{PP_VERSION_MINOR}.{PP_VERSION_PATCH}"));
}
