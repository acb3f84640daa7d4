//! See `crates/proxy-hdr-capi/tests/fuzz_invariants.rs` for what this
//! target checks; its committed seeds are in that crate's `tests/fuzz-seeds/`.
#![no_main]

#[path = "../../crates/proxy-hdr-capi/tests/fuzz_invariants.rs"]
mod invariants;

libfuzzer_sys::fuzz_target!(|data: &[u8]| invariants::check(data));
