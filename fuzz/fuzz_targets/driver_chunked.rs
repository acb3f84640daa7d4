//! See `invariants::driver_chunked` for what this target checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| invariants::driver_chunked(data));
