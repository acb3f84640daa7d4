//! Every conformance vector through `pp_parse`: the C view of the header
//! must say what the vector expects, and every prefix of the input must get
//! the code the Rust parser's answer maps to.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use proxy_hdr_capi::*;
use proxy_hdr_cli::vector::{Expect, Vector, error_with_code, to_hex};
use serde_json::{Value, json};

fn vectors(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            vectors(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

fn parse(input: &[u8]) -> (i32, PpHeader, usize) {
    let mut h = std::mem::MaybeUninit::<PpHeader>::zeroed();
    let mut needed = usize::MAX;
    // SAFETY: a live slice and writable outputs.
    let rc = unsafe { pp_parse(input.as_ptr(), input.len(), h.as_mut_ptr(), &mut needed) };
    // SAFETY: pp_parse always writes `*out`.
    (rc, unsafe { h.assume_init() }, needed)
}

fn addr(
    storage: &libc::sockaddr_storage,
    len: libc::socklen_t,
    path: *const u8,
    n: usize,
) -> Value {
    if len == 0 {
        return Value::Null;
    }
    if !path.is_null() {
        // SAFETY: the header's path borrows the vector's input, still alive.
        let bytes = unsafe { std::slice::from_raw_parts(path, n) };
        return json!(format!("unix:{}", String::from_utf8_lossy(bytes)));
    }
    let addr = match i32::from(storage.ss_family) {
        libc::AF_INET => {
            // SAFETY: ss_family says sockaddr_in; storage is large and aligned enough.
            let sin = unsafe { &*(storage as *const _ as *const libc::sockaddr_in) };
            let ip = std::net::Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr));
            SocketAddr::from((ip, u16::from_be(sin.sin_port)))
        }
        libc::AF_INET6 => {
            // SAFETY: as above, for sockaddr_in6.
            let sin6 = unsafe { &*(storage as *const _ as *const libc::sockaddr_in6) };
            let ip = std::net::Ipv6Addr::from(sin6.sin6_addr.s6_addr);
            SocketAddr::from((ip, u16::from_be(sin6.sin6_port)))
        }
        other => panic!("family {other}"),
    };
    json!(addr.to_string())
}

/// The vector format's view of a `pp_header`, built only through the C API.
fn as_json(h: &PpHeader) -> Value {
    let transport = match (h.family, h.transport) {
        (PP_FAMILY_INET, PP_TRANSPORT_STREAM) => "tcp4",
        (PP_FAMILY_INET6, PP_TRANSPORT_STREAM) => "tcp6",
        (PP_FAMILY_INET, PP_TRANSPORT_DGRAM) => "udp4",
        (PP_FAMILY_INET6, PP_TRANSPORT_DGRAM) => "udp6",
        (PP_FAMILY_UNIX, PP_TRANSPORT_STREAM) => "unix-stream",
        (PP_FAMILY_UNIX, PP_TRANSPORT_DGRAM) => "unix-dgram",
        _ => "unspec",
    };
    let mut tlvs = Vec::new();
    let (mut cursor, mut tlv) = (0usize, PpTlv { kind: 0, value: std::ptr::null(), len: 0 });
    // SAFETY: `h` was filled by pp_parse over a live buffer.
    while unsafe { pp_tlv_next(h, &mut cursor, &mut tlv) } == 1 {
        let value = if tlv.value.is_null() {
            &[][..]
        } else {
            // SAFETY: the TLV borrows the live input.
            unsafe { std::slice::from_raw_parts(tlv.value, tlv.len) }
        };
        tlvs.push(json!({ "type": tlv.kind, "value_hex": to_hex(value) }));
    }
    json!({
        "version": h.version,
        "command": if h.command == PP_CMD_PROXY { "proxy" } else { "local" },
        "transport": transport,
        "source": addr(&h.source, h.source_len, h.source_path, h.source_path_len),
        "destination": addr(&h.destination, h.destination_len, h.destination_path, h.destination_path_len),
        "tlvs": tlvs,
        "consumed": h.header_len,
    })
}

fn rust_code(input: &[u8]) -> (i32, Option<usize>) {
    match proxy_hdr::parse(input) {
        Ok(proxy_hdr::Status::Complete { len, .. }) => (len as i32, None),
        Ok(proxy_hdr::Status::Incomplete { needed }) => {
            (PP_INCOMPLETE, Some(needed.map_or(0, |n| n.get())))
        }
        Err(e) => {
            let code = proxy_hdr_capi_code(e);
            (code, None)
        }
    }
}

/// The C code for a Rust error, found through pp_strerror's text (so the
/// mapping is checked from the outside).
fn proxy_hdr_capi_code(e: proxy_hdr::Error) -> i32 {
    (-199..=-99)
        .find(|code| {
            // SAFETY: pp_strerror returns a static C string.
            let text = unsafe { std::ffi::CStr::from_ptr(pp_strerror(*code)) };
            text.to_str().unwrap() == e.to_string()
        })
        .unwrap_or_else(|| panic!("no code for {e:?}"))
}

#[test]
fn every_vector_one_shot_and_every_prefix() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors");
    let mut paths = Vec::new();
    vectors(&root, &mut paths);
    assert!(paths.len() > 300, "found only {} vectors", paths.len());
    for path in &paths {
        let v = Vector::load(path).unwrap();
        let (rc, h, _) = parse(&v.input);
        let ok = match &v.expect {
            Expect::Header(want) => rc > 0 && rc as usize == h.header_len && as_json(&h) == *want,
            Expect::Incomplete => rc == PP_INCOMPLETE,
            Expect::NotProxy => rc == PP_ERR_NOT_PROXY,
            Expect::Invalid { why } => match error_with_code(why) {
                Some(e) => rc == proxy_hdr_capi_code(e) && pp_is_invalid(rc) == 1,
                None => pp_is_invalid(rc) == 1,
            },
        };
        assert!(ok, "{}: pp_parse gave {rc} ({})", v.name, as_json(&h));
        for end in 0..=v.input.len() {
            let prefix = &v.input[..end];
            let (rc, h, needed) = parse(prefix);
            let (want, want_needed) = rust_code(prefix);
            assert_eq!(rc, want, "{} prefix {end}", v.name);
            if let Some(n) = want_needed {
                assert_eq!(needed, n, "{} prefix {end}: needed", v.name);
            }
            if rc <= 0 {
                assert_eq!(
                    (h.version, h.header_len, h.tlvs_len),
                    (0, 0, 0),
                    "{}: not zeroed",
                    v.name
                );
            }
        }
    }
}
