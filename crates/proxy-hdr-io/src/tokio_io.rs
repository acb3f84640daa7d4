//! tokio streams: the async read loop over `FromTokio`, with the header's
//! deadline from `tokio::time`.

use std::io;

use embedded_io_adapters::tokio_1::FromTokio;
use tokio::io::AsyncRead;

use crate::asynch::read_header_async;
use crate::config::Config;
use crate::engine::Accepted;
use crate::error::Error;
use crate::peer::{PeerAddr, peer_of};
use crate::trust::Trust;

/// Reads a header from a tokio stream (`TcpStream`, `UnixStream`, or any
/// stream wrapped in [`WithPeer`](crate::WithPeer)): its peer is checked
/// against the trusted peers, and the config's header deadline bounds the
/// whole header.
///
/// Not cancel-safe (see [`read_header_async`]); the deadline is built in,
/// so there is no need to race it against a timer.
pub async fn read_header_tokio<'b, S, T>(
    stream: &mut S,
    buf: &'b mut [u8],
    config: &Config<T>,
) -> Result<Accepted<'b>, Error<io::Error>>
where
    S: AsyncRead + PeerAddr + Unpin + ?Sized,
    T: Trust,
{
    read_header_tokio_within(stream, buf, config, config.header_timeout()).await
}

/// [`read_header_tokio`] under another deadline than the header's own (a
/// listener's setup deadline, when it is shorter).
pub(crate) async fn read_header_tokio_within<'b, S, T>(
    stream: &mut S,
    buf: &'b mut [u8],
    config: &Config<T>,
    timeout: Option<core::time::Duration>,
) -> Result<Accepted<'b>, Error<io::Error>>
where
    S: AsyncRead + PeerAddr + Unpin + ?Sized,
    T: Trust,
{
    let peer = peer_of(stream)?;
    let mut stream = FromTokio::new(stream);
    read_header_async(&mut stream, peer, buf, config, deadline(timeout)).await
}

/// A future that completes after `timeout`, or never for `None` (or a
/// timeout too large to represent).
pub(crate) async fn deadline(timeout: Option<core::time::Duration>) {
    match timeout.and_then(|t| tokio::time::Instant::now().checked_add(t)) {
        Some(at) => tokio::time::sleep_until(at).await,
        None => core::future::pending().await,
    }
}
