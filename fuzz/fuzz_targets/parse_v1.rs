//! See `invariants::parse_v1` for what this target checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| invariants::parse_v1(data));
