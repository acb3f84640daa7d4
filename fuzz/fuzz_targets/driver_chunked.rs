//! See `conformance::fuzz::driver_chunked` for what this target checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| conformance::fuzz::driver_chunked(data));
