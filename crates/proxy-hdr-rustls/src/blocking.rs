//! The blocking acceptor: `std::net::TcpStream` and `rustls::StreamOwned`.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

use proxy_hdr_io::{Config, Trust, read_header_std, read_header_tcp};
use rustls::{ServerConfig, ServerConnection, StreamOwned};

use crate::{Error, Header, owned};

/// A TLS connection whose PROXY header (if any) was read first.
#[derive(Debug)]
pub struct Accepted<S> {
    /// The PROXY header, owned; `None` when there was none or it was not to
    /// be used (see `proxy_hdr_io::Policy` and `Untrusted`).
    pub header: Option<Header>,
    /// The TLS stream, handshake complete.
    pub tls: S,
}

/// Reads the PROXY header under `config`, hands every byte that followed it
/// to a new `ServerConnection` before anything else is read from the socket,
/// then completes the TLS handshake.
///
/// The header's deadline is [`Config::timeout`]; the handshake uses the
/// socket's own read timeout, as a `StreamOwned` would.
pub fn accept<T: Trust>(
    mut stream: TcpStream,
    tls: Arc<ServerConfig>,
    config: &Config<T>,
) -> Result<Accepted<StreamOwned<ServerConnection, TcpStream>>, Error> {
    let mut buf = vec![0u8; config.max_header_len.max(512)];
    let accepted = read_header_tcp(&mut stream, &mut buf, config)?;
    handshake(stream, &accepted, tls)
}

/// [`accept`] over any blocking stream (a unix socket behind a local proxy,
/// an in-memory stream in tests and fuzzing). There is no peer address, so
/// [`Config::trusted`] is not consulted, and no deadline: bound the stream's
/// reads yourself.
pub fn accept_from<S: Read + Write, T: Trust>(
    mut stream: S,
    tls: Arc<ServerConfig>,
    config: &Config<T>,
) -> Result<Accepted<StreamOwned<ServerConnection, S>>, Error> {
    let mut buf = vec![0u8; config.max_header_len.max(512)];
    let accepted = read_header_std(&mut stream, &mut buf, config)?;
    handshake(stream, &accepted, tls)
}

/// The handshake after the header: the leftover first, then the stream.
fn handshake<S: Read + Write>(
    mut stream: S,
    accepted: &proxy_hdr_io::Accepted<'_>,
    tls: Arc<ServerConfig>,
) -> Result<Accepted<StreamOwned<ServerConnection, S>>, Error> {
    let header = owned(accepted.header.as_ref())?;
    let mut conn = ServerConnection::new(tls).map_err(Error::Tls)?;
    feed(&mut conn, accepted.leftover)?;
    while conn.is_handshaking() {
        conn.complete_io(&mut stream).map_err(Error::from_handshake)?;
    }
    Ok(Accepted { header, tls: StreamOwned::new(conn, stream) })
}

/// Gives rustls the bytes read past the header, in as many calls as its
/// buffer needs, processing them as they go in.
pub(crate) fn feed(conn: &mut ServerConnection, mut leftover: &[u8]) -> Result<(), Error> {
    while !leftover.is_empty() {
        let n = conn.read_tls(&mut leftover).map_err(Error::Io)?;
        if n == 0 {
            return Err(Error::Io(io::Error::other("rustls took none of the leftover bytes")));
        }
        conn.process_new_packets().map_err(Error::Tls)?;
    }
    Ok(())
}
