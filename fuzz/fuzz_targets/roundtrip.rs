//! See `conformance::fuzz::roundtrip` for what this target checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| conformance::fuzz::roundtrip(data));
