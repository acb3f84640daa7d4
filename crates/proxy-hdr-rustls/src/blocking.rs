//! The blocking acceptor: a std socket and `rustls::StreamOwned`.

use std::io;
use std::time::Instant;

use proxy_hdr::BoxedHeader;
use proxy_hdr_io::{Deadline, Socket, Trust, read_header};
use rustls::{ServerConnection, StreamOwned};

use crate::{Accepted, Error, ProxyTlsAcceptor};

impl<T: Trust> ProxyTlsAcceptor<T> {
    /// Reads the PROXY header from a blocking std socket (`TcpStream`,
    /// `UnixStream`, or any stream in [`WithPeer`](proxy_hdr_io::WithPeer)),
    /// hands every byte that followed it to a new `ServerConnection`, then
    /// completes the handshake, all under the config's setup deadline (each
    /// read and write gets the time left as its socket timeout; the socket's
    /// own timeouts are restored before it is handed back).
    pub fn accept_blocking<S: Socket>(
        &self,
        mut stream: S,
    ) -> Result<Accepted<StreamOwned<ServerConnection, S>>, Error> {
        let (header_deadline, setup_deadline) = crate::deadlines(self.config());
        let peer = stream.peer_ip().map_err(|e| Error::Proxy(proxy_hdr_io::Error::Io(e)))?;
        let (header, leftover) = {
            let mut buf = vec![0u8; self.config().buffer_len()];
            let mut timed = Deadline::new(&mut stream, left(header_deadline)).map_err(Error::Io)?;
            let accepted = match read_header(&mut timed, peer, &mut buf, self.config()) {
                Ok(accepted) => accepted,
                Err(e) => return Err(Error::from_header(e, &buf)),
            };
            let header = accepted.header.as_ref().map(BoxedHeader::new).transpose();
            let header = header.map_err(|e| Error::Io(io::Error::other(e)))?;
            let leftover = accepted.leftover.to_vec();
            timed.restore().map_err(Error::Io)?;
            (header, leftover)
        };
        let mut conn = ServerConnection::new(self.tls_config().clone()).map_err(Error::Tls)?;
        feed(&mut conn, &leftover)?;
        let mut timed = Deadline::new(&mut stream, left(setup_deadline)).map_err(Error::Io)?;
        while conn.is_handshaking() {
            conn.complete_io(&mut timed).map_err(Error::from_handshake)?;
        }
        timed.restore().map_err(Error::Io)?;
        Ok(Accepted { header, tls: StreamOwned::new(conn, stream) })
    }
}

/// The time left until `deadline`, as a timeout (zero once passed, which
/// fails the next call at once).
fn left(deadline: Option<Instant>) -> Option<std::time::Duration> {
    deadline.map(|d| d.saturating_duration_since(Instant::now()))
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
