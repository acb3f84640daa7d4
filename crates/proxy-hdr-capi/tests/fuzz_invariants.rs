//! The invariants the fuzz target `capi` checks (`fuzz/fuzz_targets/capi.rs`
//! includes this file), and the replay of its committed seeds
//! (`tests/fuzz-seeds/`, regressions included) by `cargo test`:
//! `pp_parse` agrees with the Rust parser (length, or the error's code), TLV
//! iteration and helpers stay inside the input, a split never changes the
//! answer, and `pp_read_header_fd` over a socket pair consumes exactly the
//! header (or nothing), leaving every later byte readable.
#![allow(dead_code)] // `check` is the fuzz target's; the test is cargo's.

use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::ptr::null_mut;

use proxy_hdr_capi::*;

fn parse(data: &[u8]) -> (i32, PpHeader) {
    let mut h = std::mem::MaybeUninit::<PpHeader>::zeroed();
    let mut needed = 0;
    // SAFETY: a live slice and writable outputs.
    let rc = unsafe { pp_parse(data.as_ptr(), data.len(), h.as_mut_ptr(), &mut needed) };
    // SAFETY: always written.
    (rc, unsafe { h.assume_init() })
}

fn check_views(h: &PpHeader, data: &[u8]) {
    let range = data.as_ptr_range();
    // Inside `data`; an empty value may point one past its end.
    let inside = |p: *const u8, n: usize| {
        p.is_null()
            || (p >= range.start
                && (p as usize).checked_add(n).is_some_and(|e| e <= range.end as usize))
    };
    let (mut cursor, mut tlv) = (0, PpTlv { kind: 0, value: std::ptr::null(), len: 0 });
    // SAFETY: `h` borrows `data`, alive; outputs writable.
    unsafe {
        while pp_tlv_next(h, &mut cursor, &mut tlv) == 1 {
            assert!(inside(tlv.value, tlv.len));
        }
        let mut b = PpBytes { ptr: std::ptr::null(), len: 0 };
        for f in [pp_alpn, pp_authority, pp_unique_id, pp_netns, pp_aws_vpc_endpoint_id] {
            f(h, &mut b);
            assert!(inside(b.ptr, b.len));
        }
        let mut ssl = std::mem::MaybeUninit::<PpSsl>::zeroed();
        if pp_ssl(h, ssl.as_mut_ptr()) == 1 {
            let ssl = ssl.assume_init();
            assert!(inside(ssl.cn.ptr, ssl.cn.len) && inside(ssl.version.ptr, ssl.version.len));
        }
    }
}

/// The invariants, for one input.
pub fn check(data: &[u8]) {
    let (rc, h) = parse(data);
    let want = match proxy_hdr::parse(data) {
        Ok(proxy_hdr::Status::Complete { len, .. }) => len as i32,
        Ok(proxy_hdr::Status::Incomplete { .. }) => PP_INCOMPLETE,
        Err(e) => error_code(e),
    };
    assert_eq!(rc, want);
    if rc > 0 {
        check_views(&h, data);
    }
    // A split (at a point taken from the data) parsed as a reader would.
    let split = data.first().map_or(0, |b| usize::from(*b) % (data.len() + 1));
    let (first, _) = parse(&data[..split]);
    assert!(first == PP_INCOMPLETE || first == rc, "{first} vs {rc}");
    // The socket entry point, every peer trusted, under the policy and the
    // size limit the last byte picks.
    let Ok((mut client, mut server)) = UnixStream::pair() else { return };
    if data.len() > 60_000 || client.write_all(data).is_err() {
        return;
    }
    drop(client);
    let pick = data.last().copied().unwrap_or(0);
    let policy = [PP_POLICY_REQUIRE, PP_POLICY_OPTIONAL, PP_POLICY_OFF][usize::from(pick % 3)];
    let limit = if pick & 0x80 == 0 { 4096 } else { 40 };
    let config =
        PpConfig { policy, timeout_ms: 1000, max_header_len: limit, ..pp_config_default() };
    let mut buf = vec![0u8; 4096];
    // SAFETY: a live socket, config and buffer.
    let got = unsafe {
        pp_read_header_fd(server.as_raw_fd(), &config, buf.as_mut_ptr(), buf.len(), null_mut())
    };
    let mut rest = Vec::new();
    let _ = server.read_to_end(&mut rest);
    if got >= 0 {
        assert_eq!(rest, &data[got as usize..], "exactly the header is consumed");
        assert!(got == 0 || got == rc, "{got} vs {rc}");
    }
    // The C reader re-implements the driver's decision over a peek; both
    // decide the same.
    assert_eq!(got, driver(data, policy, limit), "pp_read_header_fd vs read_header");
}

/// What the Rust driver decides for the same bytes, policy and limit, in
/// the C API's codes: the header's length, 0 for none, or the error.
fn driver(data: &[u8], policy: i32, limit: usize) -> i32 {
    use proxy_hdr_io::{Config, Error, Policy};
    let policy = match policy {
        PP_POLICY_REQUIRE => Policy::Require,
        PP_POLICY_OPTIONAL => Policy::Optional,
        _ => Policy::Refuse,
    };
    let config = Config::new().with_policy(policy).with_max_header_len(limit);
    let mut stream = data;
    let mut buf = vec![0u8; 4096];
    match proxy_hdr_io::read_header(&mut stream, None, &mut buf, &config) {
        Ok(accepted) if accepted.header.is_some() => accepted.header_len as i32,
        Ok(_) => 0,
        Err(Error::NotProxy { .. }) => PP_ERR_NOT_PROXY,
        Err(Error::Unexpected { .. }) => PP_ERR_UNEXPECTED,
        Err(Error::TooLarge { .. }) => PP_ERR_TOO_LARGE,
        Err(Error::Closed { .. }) => PP_ERR_CLOSED,
        Err(Error::Invalid(e)) => error_code(e),
        Err(other) => panic!("the driver over memory: {other:?}"),
    }
}

#[test]
fn every_committed_seed_keeps_the_invariants() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-seeds");
    let mut seeds: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    seeds.sort();
    assert!(seeds.len() >= 4, "{} seeds", seeds.len());
    for seed in seeds {
        let data = std::fs::read(&seed).unwrap();
        let outcome = std::panic::catch_unwind(|| check(&data));
        assert!(outcome.is_ok(), "seed {} broke an invariant", seed.display());
    }
}
