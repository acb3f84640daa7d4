//! tokio streams: the async read loop over `FromTokio`, with the deadline
//! from `tokio::time`.

use std::io;
use std::net::IpAddr;

use embedded_io_adapters::tokio_1::FromTokio;
use tokio::io::AsyncRead;
use tokio::net::TcpStream;

use crate::asynch::read_header_async;
use crate::config::Config;
use crate::engine::Accepted;
use crate::error::Error;
use crate::trust::Trust;

/// Reads a header from a tokio TCP connection, checking the peer against
/// [`Config::trusted`] and bounding the whole header by [`Config::timeout`].
///
/// Not cancel-safe (see [`read_header_async`]); the timeout is built in.
pub async fn read_header_tokio<'b, T: Trust>(
    stream: &mut TcpStream,
    buf: &'b mut [u8],
    config: &Config<T>,
) -> Result<Accepted<'b>, Error<io::Error>> {
    let peer = Error::from_peer_addr(stream.peer_addr())?;
    read_header_tokio_from(stream, Some(peer), buf, config).await
}

/// Reads a header from any tokio `AsyncRead` (a unix socket, a TLS stream of
/// an outer proxy, ...), checking `peer` when given.
pub async fn read_header_tokio_from<'b, S: AsyncRead + Unpin, T: Trust>(
    stream: &mut S,
    peer: Option<IpAddr>,
    buf: &'b mut [u8],
    config: &Config<T>,
) -> Result<Accepted<'b>, Error<io::Error>> {
    let mut stream = FromTokio::new(stream);
    let deadline = async {
        match config.timeout {
            Some(t) => tokio::time::sleep(t).await,
            None => core::future::pending().await,
        }
    };
    read_header_async(&mut stream, peer, buf, config, deadline).await
}
