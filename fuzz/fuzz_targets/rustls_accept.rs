//! See `invariants::rustls_accept` for what this target checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| invariants::rustls_accept(data));
