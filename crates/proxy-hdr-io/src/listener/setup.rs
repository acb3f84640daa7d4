//! What a listener does with each accepted socket before handing it out:
//! read the header (and, in a TLS listener, run the handshake).

// A `no_std` crate: this std-only module takes the std prelude.
#[allow(unused_imports)]
use std::prelude::rust_2024::*;

use core::future::Future;
use core::time::Duration;
use std::io;

use proxy_hdr::BoxedHeader;
use tokio::io::{AsyncRead, AsyncWrite};

use super::failure::Failure;
use super::info::TlsInfo;
use super::stats::Stats;
use crate::tokio_io::read_header_tokio_within;
use crate::{Config, PeerAddr, Rewind, Stage, Trust};

/// A connection's setup: from an accepted socket to a ready connection.
/// Runs in the connection's own task, under the setup deadline.
pub trait Setup<S>: Send + Sync + 'static {
    /// The ready connection's stream.
    type Conn: Send + 'static;

    /// Sets the connection up, telling `progress` as soon as its header
    /// stage has succeeded (so a header is counted even when a later stage
    /// fails, as a health check's LOCAL header before it hangs up).
    fn setup(
        &self,
        stream: S,
        progress: Progress<'_>,
    ) -> impl Future<Output = Result<Ready<Self::Conn>, Failure>> + Send;

    /// The deadline for the whole setup.
    fn setup_timeout(&self) -> Option<Duration>;

    /// The stage a setup that overran its deadline is counted in (the
    /// listener's backstop; setups report their own timeouts first).
    fn last_stage(&self) -> Stage {
        Stage::Header
    }

    /// True when [`setup`](Self::setup) itself ends by
    /// [`setup_timeout`](Self::setup_timeout), as the built-in setups do:
    /// the listener then adds no backstop timer of its own. On an idle
    /// runtime each timer registered wakes its driver (an eventfd write), so
    /// this spares one per connection. The default, `false`, keeps the
    /// backstop for setups that do not say.
    fn enforces_timeout(&self) -> bool {
        false
    }
}

/// Where a setup tells the listener how it is going.
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a> {
    pub(crate) stats: &'a Stats,
}

impl Progress<'_> {
    /// The header stage succeeded, with this header (`None`: none, or one
    /// not to be used).
    pub fn header_read(&self, header: Option<&proxy_hdr::Header<'_>>) {
        self.stats.accepted(header);
    }
}

/// A set-up connection: its stream, header and TLS details.
#[derive(Debug)]
pub struct Ready<C> {
    /// The stream, ready for the application.
    pub conn: C,
    /// The header, when one was read and is to be used.
    pub header: Option<BoxedHeader>,
    /// What TLS negotiated, for a TLS setup.
    pub tls: Option<TlsInfo>,
}

/// The plain listener's setup: the header under the config, then the
/// stream with the bytes after it replayed first.
impl<S, T> Setup<S> for Config<T>
where
    S: AsyncRead + AsyncWrite + PeerAddr + Unpin + Send + 'static,
    T: Trust + Send + Sync + 'static,
{
    type Conn = Rewind<S, Vec<u8>>;

    async fn setup(
        &self,
        mut stream: S,
        progress: Progress<'_>,
    ) -> Result<Ready<Self::Conn>, Failure> {
        let mut buf = vec![0u8; self.buffer_len()];
        let timeout = Setup::<S>::setup_timeout(self);
        let (header, leftover) =
            match read_header_tokio_within(&mut stream, &mut buf, self, timeout).await {
                Ok(accepted) => {
                    progress.header_read(accepted.header.as_ref());
                    let header = accepted.header.as_ref().map(BoxedHeader::new).transpose();
                    let header = header.map_err(|e| Failure::Io(io::Error::other(e)))?;
                    (header, accepted.leftover.to_vec())
                }
                Err(e) => return Err(Failure::from_header(e, &buf)),
            };
        Ok(Ready { conn: Rewind::new(stream, leftover), header, tls: None })
    }

    fn setup_timeout(&self) -> Option<Duration> {
        match (self.header_timeout(), Config::setup_timeout(self)) {
            (Some(h), Some(s)) => Some(h.min(s)),
            (h, s) => h.or(s),
        }
    }

    /// The header is read within `setup_timeout`.
    fn enforces_timeout(&self) -> bool {
        true
    }
}
