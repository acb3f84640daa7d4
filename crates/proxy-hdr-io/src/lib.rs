#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
// A no_std crate reaches for core and alloc first.
#![warn(clippy::std_instead_of_core, clippy::std_instead_of_alloc)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)
)]

#[cfg(feature = "std")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod asynch;
mod blocking;
mod config;
mod datagram;
mod engine;
mod error;
mod first_bytes;
mod flow;
#[cfg(feature = "std")]
mod flow_table;
#[cfg(feature = "listener")]
pub mod listener;
mod log;
#[cfg(feature = "std")]
mod outbound;
#[cfg(feature = "std")]
mod peer;
#[cfg(feature = "quinn")]
mod quinn_socket;
mod rewind;
mod send;
#[cfg(feature = "std")]
mod std_io;
#[cfg(feature = "tokio")]
mod tokio_io;
mod trust;
#[cfg(feature = "tokio")]
mod udp;

pub use asynch::read_header_async;
pub use blocking::read_header;
pub use config::{
    Config, DEFAULT_HEADER_TIMEOUT, DEFAULT_MAX_HEADER_LEN, DEFAULT_SETUP_TIMEOUT, MAX_HEADER_LEN,
    Policy, Untrusted,
};
pub use datagram::split_datagram;
pub use engine::Accepted;
#[cfg(feature = "std")]
pub use error::is_disconnect_kind;
pub use error::{Error, Stage};
pub use first_bytes::{DIAGNOSIS_LEN, FirstBytes, MissingHeader};
pub use flow::{DatagramMode, FlowStats, Flows, Received, classify};
#[cfg(feature = "std")]
pub use flow_table::{DEFAULT_FLOW_IDLE, DEFAULT_MAX_FLOWS, FlowTable};
#[cfg(feature = "std")]
pub use outbound::{BuildError, Keep, Outbound};
#[cfg(feature = "std")]
pub use peer::{PeerAddr, WithPeer};
pub use rewind::{Rewind, Unread};
#[cfg(feature = "std")]
pub use send::write_header_std;
#[cfg(feature = "tokio")]
pub use send::write_header_tokio;
pub use send::{SendError, write_header, write_header_async};
#[cfg(feature = "std")]
pub use std_io::{Deadline, Socket, read_header_std};
#[cfg(feature = "tokio")]
pub use tokio_io::read_header_tokio;
pub use trust::{AnyPeer, Cidr, CidrError, CidrList, Trust, canonical};
#[cfg(feature = "tokio")]
pub use udp::{DropHook, ProxyUdpSocket, UdpMeta};

pub use proxy_hdr;
