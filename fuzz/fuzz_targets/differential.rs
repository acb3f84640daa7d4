//! See `conformance::fuzz::differential` for what this target checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| conformance::fuzz::differential(data));
