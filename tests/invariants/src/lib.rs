//! The fuzz targets' invariants, one function per target in `fuzz/`, so the
//! committed corpus is replayed by a normal `cargo test`
//! (`tests/fuzz_corpus.rs`) through exactly the code the fuzzer runs,
//! structured inputs decoded the same way. Each function panics, saying
//! what was violated, on a broken promise.

/// The top-level README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct Readme;

mod differential;
mod driver;
mod parse;
mod roundtrip;

pub use differential::{Difference, differential, ppp_difference};
pub use driver::{driver_chunked, rustls_accept};
pub use parse::{parse_any, parse_v1, parse_v2};
pub use roundtrip::{Crc, RoundTrip, roundtrip};

/// A target's name and its invariant check.
pub type Target = (&'static str, fn(&[u8]));

/// The fuzz targets, by name (the `fuzz/fuzz_targets/*.rs` files and the
/// `fuzz/corpus/*` folders).
pub const TARGETS: [Target; 7] = [
    ("parse_any", parse_any),
    ("parse_v1", parse_v1),
    ("parse_v2", parse_v2),
    ("roundtrip", roundtrip),
    ("driver_chunked", driver_chunked),
    ("rustls_accept", rustls_accept),
    ("differential", differential),
];

/// An error's `Display` is a sentence a log reader can use: not empty, one
/// line, no `Debug` braces.
pub(crate) fn readable(e: &impl std::fmt::Display) {
    let text = e.to_string();
    assert!(!text.trim().is_empty(), "an error with no message");
    assert!(!text.contains('\n') && !text.contains('{'), "an unreadable message: {text:?}");
}
