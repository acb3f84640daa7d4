//! See `invariants::differential` for what this target checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| invariants::differential(data));
