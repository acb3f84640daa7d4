//! The `proxy-hdr` command-line tool's library part: headers as JSON in the
//! conformance vectors' format, shared with `whoami` and the test harness,
//! so every tool of the project shows a header the same way.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod json;
pub mod vector;
