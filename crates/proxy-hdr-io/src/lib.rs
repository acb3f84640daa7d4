#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)
)]

#[cfg(feature = "std")]
extern crate std;

mod asynch;
mod blocking;
mod config;
mod datagram;
mod engine;
mod error;
mod log;
mod rewind;
#[cfg(feature = "std")]
mod std_io;
#[cfg(feature = "tokio")]
mod tokio_io;
mod trust;

pub use asynch::read_header_async;
pub use blocking::{read_header, read_header_from};
pub use config::{Config, DEFAULT_MAX_HEADER_LEN, MAX_HEADER_LEN, Policy, Untrusted};
pub use datagram::split_datagram;
pub use engine::Accepted;
pub use error::Error;
#[cfg(feature = "std")]
pub use error::is_disconnect_kind;
pub use rewind::Rewind;
#[cfg(feature = "std")]
pub use std_io::{read_header_std, read_header_tcp};
#[cfg(feature = "tokio")]
pub use tokio_io::{read_header_tokio, read_header_tokio_from};
pub use trust::{AnyPeer, Cidr, CidrError, CidrList, Trust};

pub use proxy_hdr;
